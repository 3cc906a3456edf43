import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginErrorKind, PluginTarget } from '../../../src/plugins/types.ts';
import { engineBed, gateway, pluginFailure, type EngineBed } from './support.ts';

const TIMEOUT_MS = 1000;
const MEMORY_MB = 16;

describe('sandbox limits and refusals', () => {
  let bed: EngineBed;
  let healthy: PluginTarget;

  beforeAll(async () => {
    bed = await engineBed({ callTimeoutMs: TIMEOUT_MS, memoryLimitMb: MEMORY_MB, maxConcurrentCalls: 2 });
    healthy = await bed.target(gateway("function health_check() { return 'still fine'; }"));
  });
  afterAll(async () => {
    await bed?.close();
  });

  /** Runs `body` as an async function; checks the failure kind and that a normal call works afterwards. */
  async function expectStopped(body: string, kind: PluginErrorKind): Promise<string> {
    const target = await bed.target(gateway(`async function probe(input) { ${body} }`));
    const error = await pluginFailure(bed.engine.call(target, 'probe'), kind);
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(await bed.engine.call(healthy, 'health_check')).toBe('still fine');
    return error.message;
  }

  it('stops an endless loop at the time limit (timeout), sync or after a host call', async () => {
    expect(await expectStopped('while (true) {}', 'timeout')).toContain(`exceeded the time limit of ${TIMEOUT_MS} ms`);
    const afterHost = await bed.target(gateway(`async function probe(m) { rustbill_host.http_get(m.base + '/slow?ms=10'); await null; for (;;) {} }`), { base: bed.url });
    await pluginFailure(bed.engine.call(afterHost, 'probe'), 'timeout');
    const inTopLevel = await bed.target(gateway('while (true) {}'));
    await pluginFailure(bed.engine.call(inTopLevel, 'health_check'), 'timeout');
  });

  it('cuts off a host call that outlives the time limit (timeout)', async () => {
    const target = await bed.target(gateway("function probe(m) { return rustbill_host.http_get(m.base + '/hang'); }"), { base: bed.url });
    await pluginFailure(bed.engine.call(target, 'probe'), 'timeout');
    expect(await bed.engine.call(healthy, 'health_check')).toBe('still fine');
  });

  it('stops memory bombs at the memory limit (memory) and keeps serving', async () => {
    const bombs = [
      'const a = []; for (;;) a.push("x".repeat(100000) + a.length);',
      'const a = []; for (;;) a.push({ a: 1, b: 2, c: a.length });',
      'const a = []; for (;;) a.push(new Array(10000).fill(a.length));',
      'const a = []; for (;;) a.push(new Uint8Array(512 * 1024));',
      'const m = new Map(); for (let i = 0; ; i++) m.set("k" + i, i);',
      'return new ArrayBuffer(1024 * 1024 * 1024).byteLength;',
    ];
    for (const bomb of bombs) {
      const message = await expectStopped(bomb, 'memory');
      expect(message, bomb).toContain(`ran out of memory (limit ${MEMORY_MB} MB)`);
    }
    expect(await expectStopped('let s = "ab"; for (;;) s = s + s + "c";', 'script_error')).toContain('string too long');
  });

  it('stops deep recursion (memory, stack message), also recursion in native code', async () => {
    expect(await expectStopped('function down(n) { return down(n + 1) + 1; } return down(0);', 'memory')).toContain('overflowed the stack');
    expect(await expectStopped('let o = {}; for (let i = 0; i < 50000; i++) o = { o }; return JSON.stringify(o).length;', 'memory')).toContain(
      'overflowed the stack',
    );
    const afterHost = await bed.target(
      gateway("function probe(m) { rustbill_host.http_get(m.base + '/slow?ms=5'); let o = []; for (let i = 0; i < 50000; i++) o = [o]; return JSON.stringify(o).length; }"),
      { base: bed.url },
    );
    await pluginFailure(bed.engine.call(afterHost, 'probe'), 'memory');
    expect(await bed.engine.call(healthy, 'health_check')).toBe('still fine');
  });

  it('refuses require, process, fetch, timers and import() (forbidden)', async () => {
    for (const [body, name] of [
      ["return require('fs').readFileSync('/etc/passwd', 'utf8');", 'require'],
      ['return process.env;', 'process'],
      ["return fetch('http://example.com');", 'fetch'],
      ['setTimeout(() => {}, 10);', 'setTimeout'],
      ["return Buffer.from('x');", 'Buffer'],
    ] as const) {
      expect(await expectStopped(body, 'forbidden')).toContain(`${name} is not available in plugin scripts`);
    }
    expect(await expectStopped("return await import('fs');", 'forbidden')).toContain('import() is not available');
    expect(await expectStopped("return await import('data:text/javascript,export default 1');", 'forbidden')).toContain('import() is not available');
    const probe = await bed.target(
      gateway(`function probe() {
        return [typeof require, typeof process, typeof fetch, typeof setTimeout, typeof WebAssembly, typeof XMLHttpRequest, typeof globalThis.std, typeof globalThis.os];
      }`),
    );
    expect(await bed.engine.call(probe, 'probe')).toEqual(Array(8).fill('undefined'));
  });

  it('ends a call whose promise never settles, and work left behind does not leak into the next call', async () => {
    expect(await expectStopped('await new Promise(() => {});', 'script_error')).toContain('returned a promise that never settled');
    const background = await bed.target(
      gateway(`function probe() {
        Promise.resolve().then(function again() { globalThis.ticks = (globalThis.ticks || 0) + 1; Promise.resolve().then(again); });
        function fan() { Promise.resolve().then(fan); Promise.resolve().then(fan); }
        fan();
        return 'returned';
      }
      function health_check() { return typeof globalThis.ticks; }`),
    );
    expect(await bed.engine.call(background, 'probe')).toBe('returned');
    expect(await bed.engine.call(background, 'health_check')).toBe('undefined');
    expect(await bed.engine.call(healthy, 'health_check')).toBe('still fine');
  });

  it('keeps serving after many failures (modules are replaced, not leaked)', async () => {
    const before = bed.engine.stats();
    for (let i = 0; i < 5; i++) await pluginFailure(bed.engine.call(await bed.target(gateway('function probe() { const a = []; for (;;) a.push({ i: a.length }); }')), 'probe'), 'memory');
    const after = bed.engine.stats();
    expect(after.modules.discarded).toBeGreaterThanOrEqual(before.modules.discarded + 5);
    expect(after.modules.created - after.modules.discarded).toBeLessThanOrEqual(2);
    expect(after.threads.total).toBeLessThanOrEqual(2);
    const results = await Promise.all(Array.from({ length: 6 }, () => bed.engine.call(healthy, 'health_check')));
    expect(results).toEqual(Array(6).fill('still fine'));
  });
});
