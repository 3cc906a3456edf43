import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineBed, gateway, type EngineBed } from './support.ts';

/**
 * An asyncified QuickJS module can have only one suspended host call at a time (a second one
 * throws QuickJSAsyncifyError "Already suspended"), so the engine leases a whole module per call.
 * These tests run many calls at once, each suspended in a real HTTP request.
 */
describe('concurrent calls', () => {
  let bed: EngineBed;
  beforeAll(async () => {
    bed = await engineBed({ maxConcurrentCalls: 8 });
  });
  afterAll(async () => {
    await bed?.close();
  });

  const source = gateway(`
    async function create_payment(merged) {
      const first = rustbill_host.http_get(merged.base + '/slow?ms=' + merged.delay + '&tag=' + merged.payment_id);
      await null;
      rustbill_host.state_set('payment', merged.payment_id);
      const second = rustbill_host.http_post(merged.base + '/echo/' + merged.payment_id, first, 'text/plain');
      return { first, echoed: JSON.parse(second).body, state: rustbill_host.state_get('payment') };
    }`);

  it('20 concurrent calls, each suspended in async host calls, get their own results', async () => {
    const targets = await Promise.all(Array.from({ length: 20 }, () => bed.target(source, { base: bed.url })));
    // Warm up (compiles and caches the inspection; QuickJS's WebAssembly tiers up).
    await bed.engine.call(targets[0] ?? (await bed.target(source)), 'create_payment', { payment_id: 'warm', delay: 1 });

    const delay = 100;
    const results = await Promise.all(targets.map((target, i) => bed.engine.call(target, 'create_payment', { payment_id: `pay-${i}`, delay })));

    results.forEach((result, i) => {
      expect(result).toEqual({ first: `slow:pay-${i}`, echoed: `slow:pay-${i}`, state: `pay-${i}` });
    });
    for (const [i, target] of targets.entries()) expect(await bed.host.stateGet(target.interfaceId, 'payment')).toBe(`pay-${i}`);
    // 20 calls over 8 threads: the upstream saw several slow requests at once (one after another, it
    // would see one at a time), never more than the threads.
    const overlap = Math.max(...bed.requests.filter((request) => request.path.startsWith('/slow?ms=100')).map((request) => request.inFlight));
    expect(overlap).toBeGreaterThan(1);
    expect(overlap).toBeLessThanOrEqual(8);
    const stats = bed.engine.stats();
    expect(stats.threads.total).toBeLessThanOrEqual(8);
    expect(stats.threads.waiting).toBe(0);
  });

  it('a failing call does not disturb the calls running next to it', async () => {
    const mixed = gateway(`
      function create_payment(merged) {
        if (merged.mode === 'loop') for (;;) {}
        if (merged.mode === 'bomb') { const a = []; for (;;) a.push({ n: a.length }); }
        if (merged.mode === 'throw') throw new Error('declined ' + merged.payment_id);
        return rustbill_host.http_get(merged.base + '/slow?ms=30&tag=' + merged.payment_id);
      }`);
    const modes = ['ok', 'bomb', 'ok', 'throw', 'ok', 'ok', 'bomb', 'ok', 'throw', 'ok'];
    const calls = await Promise.all(
      modes.map(async (mode, i) => {
        const target = await bed.target(mixed, { base: bed.url, mode });
        return bed.engine.call(target, 'create_payment', { payment_id: `m${i}` }).then(
          value => ({ mode, value }),
          (error: unknown) => ({ mode, error: error instanceof Error ? error.message : String(error) }),
        );
      }),
    );
    calls.forEach((outcome, i) => {
      if (outcome.mode === 'ok') expect(outcome).toEqual({ mode: 'ok', value: `slow:m${i}` });
      if (outcome.mode === 'throw') expect(outcome).toEqual({ mode: 'throw', error: `declined m${i}` });
      if (outcome.mode === 'bomb') expect('error' in outcome && outcome.error).toContain('ran out of memory');
    });
  });
});
