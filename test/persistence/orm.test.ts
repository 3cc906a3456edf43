import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ensureDatabase } from '../../src/persistence/migrate.ts';
import { createOrm, pingDatabase } from '../../src/persistence/orm.ts';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '../support/db.ts';

describe('createOrm and pingDatabase', () => {
  let database: TestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    database = await createTestDatabase();
    orm = await createOrm({ url: database.url, poolMin: 0, poolMax: 2, acquireTimeoutMs: 1_000, maxLifetimeSecs: 1_800 });
  });
  afterAll(async () => {
    await orm?.close();
    await database?.drop();
  });

  it('answers a ping when the database is up', async () => {
    expect(await pingDatabase(orm)).toBe(true);
  });

  it('hands the [db] pool settings to the pg pool', async () => {
    const connection = orm.em.getConnection() as unknown as { getNativeClient(): Promise<{ options: Record<string, unknown> }> };
    const { options } = await connection.getNativeClient();
    expect(options).toMatchObject({ max: 2, connectionTimeoutMillis: 1_000, maxLifetimeSeconds: 1_800, application_name: 'nodebill' });
  });

  it('reports false, without throwing, when the server cannot be reached', async () => {
    const unreachable = await createOrm({ url: 'postgres://postgres@127.0.0.1:1/nowhere', acquireTimeoutMs: 500, poolMin: 0 });
    try {
      const started = Date.now();
      expect(await pingDatabase(unreachable, 1_000)).toBe(false);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await unreachable.close().catch(() => undefined);
    }
  });
});

describe('ensureDatabase', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('creates a missing database once, also when called concurrently', async () => {
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${database.name}_ensured`;
    const cleanup = async () => {
      const client = new Client({ connectionString: TEST_SERVER_URL });
      await client.connect();
      await client.query(`drop database if exists "${database.name}_ensured" with (force)`);
      await client.end();
    };
    try {
      const results = await Promise.all([1, 2, 3].map(() => ensureDatabase(url.toString())));
      expect(results.filter(result => result.created)).toHaveLength(1);
      expect(results.every(result => result.database === `${database.name}_ensured`)).toBe(true);
      expect(await ensureDatabase(url.toString())).toEqual({ database: `${database.name}_ensured`, created: false });
    } finally {
      await cleanup();
    }
  });

  it('leaves an existing database alone', async () => {
    expect(await ensureDatabase(database.url)).toEqual({ database: database.name, created: false });
  });
});
