import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineBed, gateway, pluginFailure, type EngineBed } from './support.ts';

describe('engine.call', () => {
  let bed: EngineBed;
  beforeAll(async () => {
    bed = await engineBed();
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('passes one merged object (config, then args, args win) and undefined as the second argument', async () => {
    const source = gateway(`
      function create_payment(merged, second) {
        return { merged, secondIsUndefined: second === undefined, argc: arguments.length };
      }`);
    const target = await bed.target(source, { api_url: 'https://pay.example.com', pid: '1001', amount: 'config' });
    const result = await bed.engine.call(target, 'create_payment', { payment_id: 'pay-1', amount: '12.50' });
    expect(result).toEqual({
      merged: { api_url: 'https://pay.example.com', pid: '1001', amount: '12.50', payment_id: 'pay-1' },
      secondIsUndefined: true,
      argc: 2,
    });
  });

  it('returns plain data: strings stay strings (JSON text too), undefined becomes null, bytes become objects', async () => {
    const source = gateway(`
      function a() { return '{"json":"stays text"}'; }
      function b() { return [1, 'two', true, null, { nested: [3] }]; }
      function c() { return undefined; }
      function d() { return 42.5; }
      function e() { return new Date(Date.UTC(2026, 0, 2)); }
      function f() { return { skip: undefined, fn() {}, keep: 1 }; }`);
    const target = await bed.target(source);
    expect(await bed.engine.call(target, 'a')).toBe('{"json":"stays text"}');
    expect(await bed.engine.call(target, 'b')).toEqual([1, 'two', true, null, { nested: [3] }]);
    expect(await bed.engine.call(target, 'c')).toBeNull();
    expect(await bed.engine.call(target, 'd')).toBe(42.5);
    expect(await bed.engine.call(target, 'e')).toBe('2026-01-02T00:00:00.000Z');
    expect(await bed.engine.call(target, 'f')).toEqual({ keep: 1 });
  });

  it('refuses results that are not JSON data', async () => {
    const source = gateway(`
      function cyclic() { const o = {}; o.self = o; return o; }
      function big() { return 10n; }`);
    const target = await bed.target(source);
    expect((await pluginFailure(bed.engine.call(target, 'cyclic'), 'script_error')).message).toMatch(/^the result cannot be converted to JSON: /);
    expect((await pluginFailure(bed.engine.call(target, 'big'), 'script_error')).message).toMatch(/BigInt/);
  });

  it('awaits async functions, also across awaits and host calls', async () => {
    const source = gateway(`
      async function create_payment(merged) {
        const first = await Promise.resolve(merged.payment_id);
        const body = rustbill_host.http_get(merged.base + '/slow?ms=20&tag=' + first);
        const second = await new Promise(resolve => resolve(body + '!'));
        const again = await step(second);
        return { first, again };
      }
      async function step(value) { await null; return rustbill_host.http_post(value.length > 0 ? '${bed.url}/echo' : '', value, 'text/plain'); }`);
    const target = await bed.target(source, { base: bed.url });
    const result = (await bed.engine.call(target, 'create_payment', { payment_id: 'p7' })) as { first: string; again: string };
    expect(result.first).toBe('p7');
    expect(JSON.parse(result.again)).toMatchObject({ method: 'POST', body: 'slow:p7!', contentType: 'text/plain' });
  });

  it('turns a returned "ERROR: …" string into script_error (rest trimmed), in sync and async functions', async () => {
    const source = gateway(`
      function query_payment() { return 'ERROR:   invalid signature  '; }
      async function refund() { await null; return 'ERROR:upstream refused'; }
      function health_check() { return 'error: lower case is data'; }`);
    const target = await bed.target(source);
    expect((await pluginFailure(bed.engine.call(target, 'query_payment'), 'script_error')).message).toBe('invalid signature');
    expect((await pluginFailure(bed.engine.call(target, 'refund'), 'script_error')).message).toBe('upstream refused');
    expect(await bed.engine.call(target, 'health_check')).toBe('error: lower case is data');
  });

  it('turns thrown errors (sync, async, non-Error values) into script_error with the message only', async () => {
    const source = gateway(`
      function create_payment() { throw new Error('card declined'); }
      async function query_payment() { await null; throw new TypeError('bad type'); }
      function refund() { throw 'plain string'; }
      function handle_callback() { return Promise.reject(new Error('rejected promise')); }
      function health_check() { null.property; }`);
    const target = await bed.target(source);
    const declined = await pluginFailure(bed.engine.call(target, 'create_payment'), 'script_error');
    expect(declined.message).toBe('card declined');
    expect(declined.message).not.toMatch(/\n\s+at /);
    expect((await pluginFailure(bed.engine.call(target, 'query_payment'), 'script_error')).message).toBe('bad type');
    expect((await pluginFailure(bed.engine.call(target, 'refund'), 'script_error')).message).toBe('plain string');
    expect((await pluginFailure(bed.engine.call(target, 'handle_callback'), 'script_error')).message).toBe('rejected promise');
    expect((await pluginFailure(bed.engine.call(target, 'health_check'), 'script_error')).message).toContain('null');
  });

  it('refuses unknown function names with contract', async () => {
    const target = await bed.target(gateway(''));
    expect((await pluginFailure(bed.engine.call(target, 'no_such_function'), 'contract')).message).toBe('gateway script gateway-test has no function no_such_function');
    expect((await pluginFailure(bed.engine.call(target, 'rustbill_host'), 'contract')).message).toContain('has no function');
    await pluginFailure(bed.engine.call(target, 'health_check); process.exit(1); ('), 'contract');
  });

  it('refuses a changed script that breaks the contract', async () => {
    const target = await bed.target(gateway(''));
    expect(await bed.engine.call(target, 'health_check')).toBe(true);
    const broken = { ...target, source: target.source.replace('function refund(', 'function refund_typo(') };
    expect((await pluginFailure(bed.engine.call(broken, 'health_check'), 'contract')).message).toBe('gateway script gateway-test is missing function refund');
  });

  it('gives every call a fresh context: globals set by one call are gone in the next', async () => {
    const source = gateway(`
      var counter = 0;
      function health_check() { counter += 1; globalThis.leak = (globalThis.leak || 0) + 1; Array.prototype.polluted = true; return [counter, globalThis.leak]; }
      function initialize() { return [].polluted === undefined; }`);
    const target = await bed.target(source);
    expect(await bed.engine.call(target, 'health_check')).toEqual([1, 1]);
    expect(await bed.engine.call(target, 'health_check')).toEqual([1, 1]);
    expect(await bed.engine.call(target, 'initialize')).toBe(true);
  });

  it('keeps rustbill_host read-only', async () => {
    const source = gateway(`
      function health_check() {
        try { rustbill_host = null; } catch (e) {}
        try { rustbill_host.http_get = () => 'fake'; } catch (e) {}
        delete globalThis.rustbill_host;
        return typeof rustbill_host.http_get === 'function' && rustbill_host.md5_hex('a') === '0cc175b9c0f1b6a831c399e269772661';
      }`);
    expect(await bed.engine.call(await bed.target(source), 'health_check')).toBe(true);
  });
});

describe('hot reload and eviction', () => {
  let bed: EngineBed;
  beforeAll(async () => {
    bed = await engineBed();
  });
  afterAll(async () => {
    await bed?.close();
  });

  const version = (label: string, extra = '') => gateway(`function health_check() { return '${label}'; }\n${extra}`);

  it('a changed source takes effect on the next call, without evict or restart', async () => {
    const target = await bed.target(version('v1'));
    expect(await bed.engine.call(target, 'health_check')).toBe('v1');
    expect(await bed.engine.call({ ...target, source: version('v2') }, 'health_check')).toBe('v2');
    expect(await bed.engine.call(target, 'health_check')).toBe('v1');
  });

  it('a changed config takes effect on the next call', async () => {
    const source = gateway('function health_check(merged) { return merged.mode; }');
    const target = await bed.target(source, { mode: 'sandbox' });
    expect(await bed.engine.call(target, 'health_check')).toBe('sandbox');
    expect(await bed.engine.call({ ...target, config: { mode: 'live' } }, 'health_check')).toBe('live');
  });

  it('validates an interface once per source+config, and again after evict()', async () => {
    const source = version('cached', "rustbill_host.log_info('top level of the cached script');");
    const target = await bed.target(source);
    const topLevelRuns = () => bed.lines.filter(line => line.msg === 'top level of the cached script').length;
    await bed.engine.call(target, 'health_check');
    const afterFirst = topLevelRuns(); // the inspection and the call each run the top level once
    await bed.engine.call(target, 'health_check');
    expect(topLevelRuns()).toBe(afterFirst + 1);
    expect(bed.engine.stats().cachedInterfaces).toBeGreaterThan(0);
    bed.engine.evict(target.interfaceId);
    await bed.engine.call(target, 'health_check');
    expect(topLevelRuns()).toBe(afterFirst + 3);
  });

  it('config key order does not invalidate the cache', async () => {
    const source = version('order', "rustbill_host.log_info('order probe');");
    const target = await bed.target(source, { a: 1, b: { c: 2, d: 3 } });
    await bed.engine.call(target, 'health_check');
    const runs = bed.lines.filter(line => line.msg === 'order probe').length;
    await bed.engine.call({ ...target, config: { b: { d: 3, c: 2 }, a: 1 } }, 'health_check');
    expect(bed.lines.filter(line => line.msg === 'order probe').length).toBe(runs + 1);
  });
});
