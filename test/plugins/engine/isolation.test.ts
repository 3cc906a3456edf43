import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '../../../src/lib/ids.ts';
import type { PluginTarget } from '../../../src/plugins/types.ts';
import { engineBed, gateway, pluginFailure, type EngineBed } from './support.ts';

const TIMEOUT_MS = 1000;

/** Counts event-loop turns of this (the caller's) thread until stopped. */
function tickCounter(): { readonly ticks: number; stop(): Promise<void> } {
  let ticks = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      await new Promise<void>(resolve => setImmediate(resolve));
      ticks += 1;
    }
  })();
  return {
    get ticks() {
      return ticks;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * Plugin code runs in sandbox threads, never on the caller's event loop (issue 6): a busy script
 * costs its own call and nobody else's, and the caller's thread enforces the deadline even when
 * the script never yields.
 */
describe('plugin calls run off the caller’s event loop', () => {
  let bed: EngineBed;
  let healthy: PluginTarget;

  beforeAll(async () => {
    bed = await engineBed({ callTimeoutMs: TIMEOUT_MS, maxConcurrentCalls: 2 });
    healthy = await bed.target(gateway("function health_check() { return 'quick'; }"));
    // Start both threads now (two calls that each hold one for 100 ms), so that no test waits for a thread to start.
    const hold = await bed.target(gateway('function probe() { const until = Date.now() + 100; while (Date.now() < until) {} return true; }'));
    expect(await Promise.all([bed.engine.call(hold, 'probe'), bed.engine.call(hold, 'probe')])).toEqual([true, true]);
    expect(bed.engine.stats().threads.total).toBe(2);
  });
  afterAll(async () => {
    await bed?.close();
  });

  const logged = (message: string, target: PluginTarget): boolean => bed.lines.some(line => line.msg === message && line.interfaceId === target.interfaceId);

  it('while one call spins in while(true), a trivial call finishes first and this event loop keeps turning', async () => {
    const busy = await bed.target(gateway("function probe() { rustbill_host.log_info('spinning'); while (true) {} }"));
    const order: string[] = [];
    const busyCall = bed.engine.call(busy, 'probe');
    busyCall.then(
      () => order.push('busy call returned'),
      () => order.push('busy call failed'),
    );
    await vi.waitFor(() => expect(logged('spinning', busy)).toBe(true), { timeout: 10_000, interval: 5 });
    const counter = tickCounter();

    expect(await bed.engine.call(healthy, 'health_check')).toBe('quick');
    order.push('trivial call returned');
    const error = await pluginFailure(busyCall, 'timeout');
    const ticksDuringBusyCall = counter.ticks;
    await counter.stop();

    expect(order).toEqual(['trivial call returned', 'busy call failed']);
    expect(error.message).toBe(`probe() of gateway script gateway-test exceeded the time limit of ${TIMEOUT_MS} ms`);
    // A blocked event loop turns zero times while the script spins; a free one, thousands of times.
    expect(ticksDuringBusyCall).toBeGreaterThan(100);
  });

  it('a call stuck in WebAssembly that the interrupt handler cannot stop fails at its deadline; its thread is terminated and replaced', async () => {
    // One BigInt toString of a 980,000-bit number is a single native QuickJS call of about 3 s
    // here, which never consults the interrupt handler; doing it twice makes about 7 s. The engine
    // that ran scripts on the caller's thread returned this script's result after all of it.
    const stuck = await bed.target(
      gateway(`function probe() {
        rustbill_host.log_info('stuck started');
        const big = 7n ** 350000n;
        const digits = big.toString().length + big.toString().length;
        rustbill_host.log_info('stuck finished');
        return digits;
      }`),
    );
    const before = bed.engine.stats().threads;
    const error = await pluginFailure(bed.engine.call(stuck, 'probe'), 'timeout');
    // The call failed at its deadline, while its thread was still stuck (terminated only after the grace).
    expect(bed.engine.stats().threads.terminated).toBe(before.terminated);
    expect(error.message).toContain(`exceeded the time limit of ${TIMEOUT_MS} ms`);
    expect(logged('stuck started', stuck)).toBe(true);

    await vi.waitFor(() => expect(bed.engine.stats().threads.terminated).toBe(before.terminated + 1), { timeout: 10_000, interval: 20 });
    // The thread never got past the toString calls: nothing of the late result came back.
    expect(logged('stuck finished', stuck)).toBe(false);

    // The engine serves as before: both slots work again (the terminated thread is replaced on demand).
    const results = await Promise.all([bed.engine.call(healthy, 'health_check'), bed.engine.call(healthy, 'health_check')]);
    expect(results).toEqual(['quick', 'quick']);
    const after = bed.engine.stats().threads;
    expect(after.total).toBe(2);
    expect(after.created).toBeGreaterThan(before.created);
    expect(after.crashed).toBe(before.crashed);
  });

  it('a host call in flight at the deadline gets an aborted signal, and its connection is closed', async () => {
    const target = await bed.target(gateway("function probe(m) { return rustbill_host.http_get(m.base + '/hang?tag=' + m.tag); }"), { base: bed.url });
    const tag = newId();
    await pluginFailure(bed.engine.call(target, 'probe', { tag }), 'timeout');

    const handedOver = bed.outbound.find(request => request.url.endsWith(`/hang?tag=${tag}`));
    expect(handedOver).toBeDefined();
    expect(handedOver?.signal).toBeInstanceOf(AbortSignal);
    expect(handedOver?.signal?.aborted).toBe(true);
    const seen = bed.requests.find(request => request.path === `/hang?tag=${tag}`);
    expect(seen).toBeDefined();
    await vi.waitFor(() => expect(seen?.cutOff).toBe(true), { timeout: 5_000, interval: 10 });
  });
});

describe('engine.close', () => {
  it('terminates the threads: the running call fails with host_error, and so do later calls', async () => {
    const bed = await engineBed({ callTimeoutMs: 30_000 });
    try {
      const busy = await bed.target(gateway("function probe() { rustbill_host.log_info('closing soon'); for (;;) {} }"));
      const running = bed.engine.call(busy, 'probe');
      await vi.waitFor(() => expect(bed.lines.some(line => line.msg === 'closing soon')).toBe(true), { timeout: 10_000, interval: 5 });
      await bed.engine.close();
      expect((await pluginFailure(running, 'host_error')).message).toContain('the plugin engine is shutting down');
      expect(bed.engine.stats().threads.total).toBe(0);
      await pluginFailure(bed.engine.call(busy, 'probe'), 'host_error');
    } finally {
      await bed.close();
    }
  });
});

describe('idle sandbox threads', () => {
  it('are stopped after idleThreadMs, down to one, and started again when calls need them', async () => {
    const bed = await engineBed({ maxConcurrentCalls: 3, idleThreadMs: 300 });
    try {
      const target = await bed.target(gateway("function health_check(m) { return rustbill_host.http_get(m.base + '/slow?ms=50&tag=' + m.tag); }"), { base: bed.url });
      const burst = () => Promise.all(['a', 'b', 'c'].map(tag => bed.engine.call(target, 'health_check', { tag })));
      // Three calls at once, each holding its thread for 50 ms: the warm thread and two new ones.
      expect(await burst()).toEqual(['slow:a', 'slow:b', 'slow:c']);
      expect(bed.engine.stats().threads.created).toBe(3);
      await vi.waitFor(() => expect(bed.engine.stats().threads).toMatchObject({ total: 1, retired: 2 }), { timeout: 10_000, interval: 20 });
      expect(await burst()).toEqual(['slow:a', 'slow:b', 'slow:c']);
      // The kept thread and two new ones (how many are still alive now depends on their start-up times).
      expect(bed.engine.stats().threads).toMatchObject({ created: 5, crashed: 0, terminated: 0 });
    } finally {
      await bed.close();
    }
  });
});
