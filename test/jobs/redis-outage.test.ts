/**
 * Redis going away and coming back while events are written: the table takes over, then BullMQ
 * again, and every event runs exactly once. Redis is taken away through a TCP proxy in front of
 * the real test Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createEventProcessing } from '../../src/jobs/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';
import { CallLog, capturingLog, deletePrefix, insertEvents, jobsConfig, processedCount, RedisProxy, testPool, uniquePrefix, waitFor, waitForStatus } from './support.ts';

describe('outbox delivery through a Redis outage', () => {
  let database: MigratedTestDatabase;
  let pool: pg.Pool;
  const proxy = new RedisProxy();
  const prefix = uniquePrefix();

  beforeAll(async () => {
    database = await migratedTestDatabase();
    pool = testPool(database.url);
    await proxy.start();
  });
  afterAll(async () => {
    await proxy.cut();
    await deletePrefix(prefix);
    await pool?.end();
    await database?.drop();
  });

  it('runs the events from the table while Redis is down and through BullMQ again once it is back, each once', async () => {
    const tag = newId().slice(-8);
    const [before, during, after] = [`before_${tag}`, `during_${tag}`, `after_${tag}`];
    const calls = new CallLog();
    const handler = async (event: { id: string }) => calls.begin(event.id)();
    const { log, lines } = capturingLog();
    const instance = createEventProcessing({
      pool,
      redisUrl: proxy.url,
      redisPrefix: prefix,
      handlers: { [before]: handler, [during]: handler, [after]: handler },
      config: jobsConfig({ poll_interval_ms: 100 }),
      log,
      workerId: 'outage',
    });
    instance.start();
    try {
      const first = await insertEvents(pool, Array.from({ length: 10 }, () => ({ eventType: before })));
      await waitForStatus(pool, first, ['done']);
      expect(await processedCount(before, 'done', 'queue')).toBe(10);

      await proxy.cut();
      const second = await insertEvents(pool, Array.from({ length: 10 }, () => ({ eventType: during })));
      instance.nudge();
      await waitForStatus(pool, second, ['done']);
      expect(await processedCount(during, 'done', 'table')).toBe(10);
      expect(await processedCount(during, 'done', 'queue')).toBe(0);
      expect(lines.some((line) => line.msg.includes('Redis is unreachable'))).toBe(true);

      await proxy.restore();
      await waitFor(() => lines.some((line) => line.msg.includes('Redis is reachable again')), 'the switch back to BullMQ');
      const third = await insertEvents(pool, Array.from({ length: 10 }, () => ({ eventType: after })));
      instance.nudge();
      await waitForStatus(pool, third, ['done']);
      expect(await processedCount(after, 'done', 'queue')).toBe(10);

      const all = [...first, ...second, ...third];
      expect(calls.calls.size).toBe(all.length);
      expect([...calls.calls.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await instance.stop();
    }
  });
});
