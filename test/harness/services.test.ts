/**
 * The private services of crash tests (test/support/services.ts): a PostgreSQL and a Redis of
 * their own, SIGKILLed and started again. What PostgreSQL committed survives its crash; Redis
 * (no persistence) comes back empty; both accept connections again on the same port.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../support/services.ts';

let postgres: PrivatePostgres;
let redis: PrivateRedis;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
});

afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

/** Runs `work` on a fresh connection to `url`. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('private PostgreSQL', () => {
  it('keeps committed rows across a SIGKILL of the postmaster and a restart on the same port', async () => {
    const url = await postgres.createDatabase('crash');
    expect(url).toBe(`postgres://postgres@127.0.0.1:${postgres.port}/crash`);
    await withClient(url, async (client) => {
      await client.query('create table money (id int primary key, amount numeric(12,2) not null)');
      await client.query("insert into money values (1, '10.50'), (2, '20.00')");
    });
    // A connection open at the moment of the crash: it breaks, and a new one works after the restart.
    const survivor = new pg.Client({ connectionString: url });
    const broken = new Promise<Error>((resolve) => survivor.on('error', resolve));
    await survivor.connect();
    await survivor.query('begin');
    await survivor.query("insert into money values (3, '99.99')"); // never committed

    await postgres.kill();
    await expect(withClient(url, (client) => client.query('select 1'))).rejects.toThrow();
    expect((await broken).message).toMatch(/terminat|connection|ECONNRESET/i);
    await survivor.end().catch(() => undefined);

    const port = postgres.port;
    await postgres.start();
    expect(postgres.port).toBe(port);
    const rows = await withClient(url, async (client) => (await client.query<{ id: number; amount: string }>('select id, amount from money order by id')).rows);
    expect(rows).toEqual([
      { id: 1, amount: '10.50' },
      { id: 2, amount: '20.00' },
    ]);
    // start() on a running server is a no-op.
    await postgres.start();
    expect(await withClient(url, async (client) => (await client.query<{ n: string }>('select count(*) as n from money')).rows[0]?.n)).toBe('2');
  });
});

describe('private Redis', () => {
  it('comes back empty on the same port after a SIGKILL, and accepts connections again', async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
    client.on('error', () => {});
    await client.connect();
    await client.set('key', 'value');
    expect(await client.get('key')).toBe('value');
    client.disconnect();

    await redis.kill();
    const down = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    down.on('error', () => {});
    await expect(down.connect()).rejects.toThrow();
    down.disconnect();

    await redis.start();
    const again = new Redis(redis.url, { lazyConnect: true });
    again.on('error', () => {});
    await again.connect();
    expect(await again.get('key')).toBeNull();
    expect(await again.dbsize()).toBe(0);
    await again.set('key', 'after');
    expect(await again.get('key')).toBe('after');
    again.disconnect();
  });
});
