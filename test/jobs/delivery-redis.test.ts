/**
 * Outbox delivery through BullMQ (real Redis, a unique prefix per test) on a fresh database.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createEventProcessing, retryFailedEvent, listFailedEvents, type EventHandler, type EventProcessing, type OutboxEvent } from '../../src/jobs/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';
import {
  CallLog,
  capturingLog,
  deliveryCount,
  deletePrefix,
  eventStates,
  insertEvents,
  jobsConfig,
  keysUnder,
  processedCount,
  REDIS_URL,
  testPool,
  uniquePrefix,
  waitFor,
  waitForStatus,
} from './support.ts';

describe('outbox delivery with Redis', () => {
  let database: MigratedTestDatabase;
  let pool: pg.Pool;
  const started: EventProcessing[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    database = await migratedTestDatabase();
    pool = testPool(database.url);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
    await Promise.all(prefixes.splice(0).map((prefix) => deletePrefix(prefix)));
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  function processing(handlers: Record<string, EventHandler>, options: { prefix?: string; redisUrl?: string | null; workerId?: string; config?: Parameters<typeof jobsConfig>[0] } = {}): EventProcessing {
    const prefix = options.prefix ?? uniquePrefix();
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    const instance = createEventProcessing({
      pool,
      redisUrl: options.redisUrl === undefined ? REDIS_URL : options.redisUrl,
      redisPrefix: prefix,
      handlers,
      config: jobsConfig({ poll_interval_ms: 100, ...options.config }),
      log: capturingLog().log,
      workerId: options.workerId ?? 'test-worker',
    });
    started.push(instance);
    return instance;
  }

  it('hands every event inserted as a row to its handler exactly once, through BullMQ, and leaves no job behind', async () => {
    const type = `paid_${newId().slice(-8)}`;
    const calls = new CallLog();
    const seen: OutboxEvent[] = [];
    const prefix = uniquePrefix();
    const instance = processing(
      {
        [type]: async (event) => {
          const end = calls.begin(event.id);
          seen.push(event);
          await new Promise((resolve) => setTimeout(resolve, 2));
          end();
        },
      },
      { prefix },
    );
    const orderId = newId();
    const customerId = newId();
    const ids = await insertEvents(pool, [
      { eventType: type, orderId, customerId, payload: { amount: '10.50' } },
      ...Array.from({ length: 59 }, (_, i) => ({ eventType: type, payload: { n: i } })),
    ]);
    const before = await processedCount(type, 'done', 'queue');
    instance.start();
    instance.nudge();
    await waitForStatus(pool, ids, ['done']);
    await instance.stop();

    expect([...calls.calls.keys()].sort()).toEqual([...ids].sort());
    expect([...calls.calls.values()].every((n) => n === 1)).toBe(true);
    expect(calls.maxConcurrent).toBe(1);
    const states = await eventStates(pool, ids);
    expect([...states.values()].every((s) => s.status === 'done' && s.attempts === 1 && s.locked_by === null)).toBe(true);
    expect(await processedCount(type, 'done', 'queue')).toBe(before + ids.length);
    // The handler saw the row as written.
    const first = seen.find((e) => e.id === ids[0]);
    expect(first).toMatchObject({ eventType: type, orderId, customerId, payload: { amount: '10.50' }, attempts: 0 });
    expect(first?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // No job is left in Redis that could run an event a second time.
    const jobKeys = (await keysUnder(prefix)).filter((key) => ids.some((id) => key.includes(id)));
    expect(jobKeys).toEqual([]);
  });

  it('retries a failing handler with a growing backoff, leaves the event failed after max_attempts, and runs it again after "events retry"', async () => {
    const type = `flaky_${newId().slice(-8)}`;
    const callTimes: number[] = [];
    let succeed = false;
    const instance = processing(
      {
        [type]: async (event) => {
          callTimes.push(Date.now());
          expect(event.attempts).toBe(callTimes.length - 1 - (succeed ? 3 : 0));
          if (!succeed) throw new Error(`gateway said no (${callTimes.length})`);
        },
      },
      { config: { max_attempts: 3, backoff_base_ms: 150, backoff_max_ms: 250 } },
    );
    const [id] = await insertEvents(pool, [{ eventType: type }]);
    if (id === undefined) throw new Error('no id');
    instance.start();
    await waitForStatus(pool, [id], ['failed']);

    expect(callTimes).toHaveLength(3);
    // Never earlier than the backoff: 150 ms after the first failure, then 250 ms (capped from 300).
    expect(callTimes[1]! - callTimes[0]!).toBeGreaterThanOrEqual(150);
    expect(callTimes[2]! - callTimes[1]!).toBeGreaterThanOrEqual(250);
    const failed = (await eventStates(pool, [id])).get(id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, last_error: 'gateway said no (3)' });
    const listed = (await listFailedEvents(pool)).find((e) => e.id === id);
    expect(listed).toMatchObject({ id, eventType: type, attempts: 3, lastError: 'gateway said no (3)' });

    succeed = true;
    expect(await retryFailedEvent(pool, id)).toEqual({ kind: 'retried' });
    instance.nudge();
    await waitForStatus(pool, [id], ['done']);
    expect(callTimes).toHaveLength(4);
    expect((await eventStates(pool, [id])).get(id)).toMatchObject({ status: 'done', attempts: 1 });
    expect((await listFailedEvents(pool)).some((e) => e.id === id)).toBe(false);
  });

  it('"events retry" refuses an unknown id and an event that is not failed', async () => {
    expect(await retryFailedEvent(pool, newId())).toEqual({ kind: 'not_found' });
    expect(await retryFailedEvent(pool, 'not-a-uuid')).toEqual({ kind: 'not_found' });
    const [id] = await insertEvents(pool, [{ eventType: 'never_started' }]);
    expect(await retryFailedEvent(pool, id!)).toEqual({ kind: 'not_failed', status: 'pending' });
    expect((await eventStates(pool, [id!])).get(id!)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('never runs one event twice with two processes relaying and consuming the same table', async () => {
    const type = `shared_${newId().slice(-8)}`;
    const calls = new CallLog();
    const perOrder = new CallLog();
    const orders = Array.from({ length: 3 }, () => newId());
    const orderOf = new Map<string, string>();
    const handler: EventHandler = async (event) => {
      const end = calls.begin(event.id);
      const endOrder = event.orderId === null ? () => {} : perOrder.begin(event.id, event.orderId);
      // Events of an order run long enough for the next claims to come while they run.
      await new Promise((resolve) => setTimeout(resolve, event.orderId === null ? 2 : 15));
      endOrder();
      end();
    };
    const prefix = uniquePrefix();
    const a = processing({ [type]: handler }, { prefix, workerId: 'node-a' });
    const b = processing({ [type]: handler }, { prefix, workerId: 'node-b' });
    a.start();
    b.start();
    const ids: string[] = [];
    // Written in several commits while both run, as the money path would, each followed by a nudge of both.
    for (let batch = 0; batch < 6; batch++) {
      const events = Array.from({ length: 40 }, (_, i) => {
        const orderId = i % 4 === 0 ? orders[(batch + i) % orders.length]! : null;
        return { eventType: type, orderId };
      });
      const batchIds = await insertEvents(pool, events);
      batchIds.forEach((id, i) => {
        const orderId = events[i]?.orderId;
        if (orderId) orderOf.set(id, orderId);
      });
      ids.push(...batchIds);
      a.nudge();
      b.nudge();
    }
    await waitForStatus(pool, ids, ['done']);
    await Promise.all([a.stop(), b.stop()]);

    // A relay that added an event twice would show as a second delivery (refused by the claim),
    // two claims of one row as a second call.
    expect(await deliveryCount(type, 'stale')).toBe(0);
    expect(await deliveryCount(type, 'claimed')).toBe(ids.length);
    expect(calls.calls.size).toBe(ids.length);
    expect([...calls.calls.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(calls.maxConcurrent).toBe(1);
    // Events of one order never ran at the same time.
    expect(perOrder.maxConcurrent).toBe(1);
    const states = await eventStates(pool, ids);
    expect([...states.values()].filter((s) => s.status !== 'done' || s.attempts !== 1)).toEqual([]);
    expect(orderOf.size).toBeGreaterThan(0);
  });

  it('never runs one event twice when one process uses Redis and the other consumes the table', async () => {
    const type = `mixed_${newId().slice(-8)}`;
    const calls = new CallLog();
    const handler: EventHandler = async (event) => {
      const end = calls.begin(event.id);
      await new Promise((resolve) => setTimeout(resolve, 2));
      end();
    };
    const withRedis = processing({ [type]: handler }, { workerId: 'with-redis' });
    const withoutRedis = processing({ [type]: handler }, { workerId: 'without-redis', redisUrl: null });
    const ids = await insertEvents(pool, Array.from({ length: 150 }, () => ({ eventType: type })));
    withRedis.start();
    withoutRedis.start();
    await waitForStatus(pool, ids, ['done']);
    await Promise.all([withRedis.stop(), withoutRedis.stop()]);

    expect(calls.calls.size).toBe(ids.length);
    expect([...calls.calls.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    const states = await eventStates(pool, ids);
    expect([...states.values()].filter((s) => s.status !== 'done' || s.attempts !== 1)).toEqual([]);
  });

  it('relays again a queued event whose BullMQ job is gone (Redis restarted empty), once queued_timeout_secs passed', async () => {
    const type = `lost_${newId().slice(-8)}`;
    const calls = new CallLog();
    const [longAgo, justNow, crashed] = await insertEvents(pool, [{ eventType: type }, { eventType: type }, { eventType: type }]);
    // Relayed into a Redis that has since lost them: `queued`, no job under this (fresh) prefix.
    await pool.query(`update event_queue set status = 'queued', locked_at = now() - interval '1 hour' where id = $1`, [longAgo]);
    await pool.query(`update event_queue set status = 'queued', locked_at = now() where id = $1`, [justNow]);
    // Taken by a worker that died while running it (its claim is no longer renewed).
    await pool.query(`update event_queue set status = 'processing', attempts = 1, locked_by = 'dead-worker/x', locked_at = now() - interval '1 hour' where id = $1`, [crashed]);
    const ids = [longAgo!, justNow!, crashed!];
    const instance = processing(
      {
        [type]: async (event) => {
          calls.begin(event.id)();
        },
      },
      { config: { queued_timeout_secs: 1 } },
    );
    instance.start();
    await waitForStatus(pool, ids, ['done']);
    await instance.stop();

    expect(ids.map((id) => calls.calls.get(id))).toEqual([1, 1, 1]);
    const states = await eventStates(pool, ids);
    expect(states.get(crashed!)).toMatchObject({ status: 'done', attempts: 2 });
    expect(states.get(crashed!)?.last_error).toContain('dead-worker/x');
  });

  it('marks an event without a handler done, with a note, and logs it', async () => {
    const type = `orphan_${newId().slice(-8)}`;
    const { log, lines } = capturingLog();
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const instance = createEventProcessing({ pool, redisUrl: REDIS_URL, redisPrefix: prefix, handlers: {}, config: jobsConfig({ poll_interval_ms: 100 }), log, workerId: 'w' });
    started.push(instance);
    const ids = await insertEvents(pool, [{ eventType: type }]);
    instance.start();
    await waitForStatus(pool, ids, ['done']);
    expect((await eventStates(pool, ids)).get(ids[0]!)?.last_error).toContain(`no handler for event type "${type}"`);
    expect(lines.some((line) => line.level === 40 && line.msg.includes(type))).toBe(true);
    expect(await processedCount(type, 'unhandled', 'queue')).toBe(1);
  });

  it('relays and consumes nothing with [jobs] enabled = false', async () => {
    const type = `off_${newId().slice(-8)}`;
    let calls = 0;
    const off = processing({ [type]: async () => void calls++ }, { config: { enabled: false } });
    const ids = await insertEvents(pool, [{ eventType: type }]);
    off.start();
    off.nudge();
    await off.stop();
    // A second process that is enabled then gets the event: the disabled one left it pending.
    expect((await eventStates(pool, ids)).get(ids[0]!)).toMatchObject({ status: 'pending', attempts: 0 });
    const on = processing({ [type]: async () => void calls++ });
    on.start();
    await waitForStatus(pool, ids, ['done']);
    expect(calls).toBe(1);
  });

  it('stops and closes its connections when Redis is unreachable, running the events from the table meanwhile', async () => {
    const type = `noredis_${newId().slice(-8)}`;
    const calls = new CallLog();
    const { log, lines } = capturingLog();
    const instance = createEventProcessing({
      pool,
      redisUrl: 'redis://127.0.0.1:1',
      redisPrefix: uniquePrefix(),
      handlers: { [type]: async (event) => calls.begin(event.id)() },
      config: jobsConfig({ poll_interval_ms: 100 }),
      log,
      workerId: 'cut-off',
    });
    started.push(instance);
    const ids = await insertEvents(pool, Array.from({ length: 5 }, () => ({ eventType: type })));
    const before = await processedCount(type, 'done', 'table');
    instance.start();
    await waitForStatus(pool, ids, ['done']);
    await instance.stop();
    expect([...calls.calls.values()]).toEqual([1, 1, 1, 1, 1]);
    expect(await processedCount(type, 'done', 'table')).toBe(before + 5);
    expect(lines.some((line) => line.level === 40 && line.msg.includes('Redis is unreachable'))).toBe(true);
  });
});
