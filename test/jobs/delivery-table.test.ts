/**
 * Outbox delivery without Redis (redisUrl null): the handlers run straight from event_queue.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { backoffDelayMs, createEventProcessing, listFailedEvents, retryFailedEvent, type EventHandler, type EventProcessing } from '../../src/jobs/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';
import { CallLog, capturingLog, eventStates, insertEvents, jobsConfig, processedCount, testPool, waitForStatus } from './support.ts';

describe('outbox delivery without Redis', () => {
  let database: MigratedTestDatabase;
  let pool: pg.Pool;
  const started: EventProcessing[] = [];

  beforeAll(async () => {
    database = await migratedTestDatabase();
    pool = testPool(database.url);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  function processing(handlers: Record<string, EventHandler>, workerId = 'table-worker', config: Parameters<typeof jobsConfig>[0] = {}): EventProcessing {
    const instance = createEventProcessing({
      pool,
      redisUrl: null,
      redisPrefix: 'unused',
      handlers,
      config: jobsConfig({ poll_interval_ms: 100, ...config }),
      log: capturingLog().log,
      workerId,
    });
    started.push(instance);
    return instance;
  }

  it('hands every event to its handler exactly once with two processes, never two events of one order at once', async () => {
    const type = `paid_${newId().slice(-8)}`;
    const calls = new CallLog();
    const perOrder = new CallLog();
    const handler: EventHandler = async (event) => {
      const end = calls.begin(event.id);
      const endOrder = event.orderId === null ? () => {} : perOrder.begin(event.id, event.orderId);
      // Events of an order run long enough for the next claims to come while they run.
      await new Promise((resolve) => setTimeout(resolve, event.orderId === null ? 2 : 15));
      endOrder();
      end();
    };
    const orders = Array.from({ length: 2 }, () => newId());
    const ids = await insertEvents(
      pool,
      Array.from({ length: 120 }, (_, i) => ({ eventType: type, orderId: i % 3 === 0 ? orders[i % orders.length]! : null })),
    );
    const before = await processedCount(type, 'done', 'table');
    const a = processing({ [type]: handler }, 'node-a', { concurrency: 4 });
    const b = processing({ [type]: handler }, 'node-b', { concurrency: 4 });
    a.start();
    b.start();
    await waitForStatus(pool, ids, ['done']);
    await Promise.all([a.stop(), b.stop()]);

    expect(calls.calls.size).toBe(ids.length);
    expect([...calls.calls.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(calls.maxConcurrent).toBe(1);
    expect(perOrder.maxConcurrent).toBe(1);
    expect(perOrder.total).toBe(40);
    const states = await eventStates(pool, ids);
    expect([...states.values()].filter((s) => s.status !== 'done' || s.attempts !== 1)).toEqual([]);
    expect(await processedCount(type, 'done', 'table')).toBe(before + ids.length);
  });

  it('retries with backoff, ends failed after max_attempts, and runs again after "events retry"', async () => {
    const type = `flaky_${newId().slice(-8)}`;
    const callTimes: number[] = [];
    let succeed = false;
    const instance = processing(
      {
        [type]: async () => {
          callTimes.push(Date.now());
          if (!succeed) throw new TypeError('provider timed out');
        },
      },
      'table-worker',
      { max_attempts: 4, backoff_base_ms: 100, backoff_max_ms: 1000 },
    );
    const ids = await insertEvents(pool, [{ eventType: type }]);
    const id = ids[0]!;
    const failedBefore = await processedCount(type, 'failed', 'table');
    instance.start();
    await waitForStatus(pool, ids, ['failed']);

    expect(callTimes).toHaveLength(4);
    // Never earlier than 100, 200, 400 ms after the previous failure.
    for (let i = 1; i < callTimes.length; i++) expect(callTimes[i]! - callTimes[i - 1]!).toBeGreaterThanOrEqual(backoffDelayMs(i, 100, 1000));
    expect((await eventStates(pool, ids)).get(id)).toMatchObject({ status: 'failed', attempts: 4, last_error: 'TypeError: provider timed out' });
    expect(await processedCount(type, 'retry', 'table')).toBeGreaterThanOrEqual(3);
    expect(await processedCount(type, 'failed', 'table')).toBe(failedBefore + 1);
    expect((await listFailedEvents(pool)).map((e) => e.id)).toContain(id);

    succeed = true;
    expect(await retryFailedEvent(pool, id)).toEqual({ kind: 'retried' });
    instance.nudge();
    await waitForStatus(pool, ids, ['done']);
    expect(callTimes).toHaveLength(5);
    expect((await eventStates(pool, ids)).get(id)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('takes queued events (relayed into a Redis now out of reach) from the table', async () => {
    const type = `queued_${newId().slice(-8)}`;
    const calls = new CallLog();
    const ids = await insertEvents(pool, [{ eventType: type }, { eventType: type }]);
    await pool.query(`update event_queue set status = 'queued', locked_at = now() where id = any($1::uuid[])`, [ids]);
    const instance = processing({ [type]: async (event) => calls.begin(event.id)() });
    instance.start();
    await waitForStatus(pool, ids, ['done']);
    expect(ids.map((id) => calls.calls.get(id))).toEqual([1, 1]);
  });

  it('waits for the handlers running when stopped, and finishes their events', async () => {
    const type = `slow_${newId().slice(-8)}`;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = 0;
    const instance = processing({
      [type]: async () => {
        entered++;
        await gate;
      },
    });
    const ids = await insertEvents(pool, [{ eventType: type }]);
    instance.start();
    await waitForStatus(pool, ids, ['processing']);
    let stopped = false;
    const stopping = instance.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(entered).toBe(1);
    expect((await eventStates(pool, ids)).get(ids[0]!)).toMatchObject({ status: 'done', attempts: 1 });
  });
});
