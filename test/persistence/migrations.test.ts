import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_ENTITIES } from '../../src/persistence/entities/index.ts';
import { MIGRATION_LOCK_KEY, migrateWithLock } from '../../src/persistence/migrate.ts';
import { MIGRATIONS } from '../../src/persistence/migrations/index.ts';
import { createOrm, MIGRATIONS_TABLE } from '../../src/persistence/orm.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const MIGRATION_NAMES = MIGRATIONS.map(migration => migration.name);
const CHILD_SCRIPT = fileURLToPath(new URL('./fixtures/migrate-child.ts', import.meta.url));
const execFileAsync = promisify(execFile);
const ENTITY_TABLES = ALL_ENTITIES.map(entity => entity.meta.tableName).sort();

async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<T>(sql, params);
    return result.rows;
  } finally {
    await client.end();
  }
}

async function publicTables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> $1
      order by table_name`,
    [MIGRATIONS_TABLE],
  );
  return rows.map(row => row.table_name);
}

describe('migrations', () => {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(databases.splice(0).map(database => database.drop()));
  });

  it('apply on an empty database, create every entity table, and are not applied twice', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    expect(await publicTables(database.url)).toEqual([]);

    const messages: string[] = [];
    const first = await migrateWithLock(database.url, message => messages.push(message));
    expect(first.applied).toEqual(MIGRATION_NAMES);
    expect(messages.some(message => message.includes('lock acquired'))).toBe(true);
    expect(await publicTables(database.url)).toEqual(ENTITY_TABLES);

    const second = await migrateWithLock(database.url);
    expect(second.applied).toEqual([]);
    const recorded = await query<{ name: string }>(database.url, `select name from ${MIGRATIONS_TABLE} order by id`);
    expect(recorded.map(row => row.name)).toEqual(MIGRATION_NAMES);
  });

  it('run from 4 concurrent callers apply each migration exactly once, and all callers succeed', async () => {
    const database = await createTestDatabase();
    databases.push(database);

    // Each caller has its own lock connection and its own ORM instance (own pool).
    const runs = await Promise.all([1, 2, 3, 4].map(() => migrateWithLock(database.url)));

    const appliedByAll = runs.flatMap(run => run.applied);
    expect(appliedByAll.sort()).toEqual([...MIGRATION_NAMES].sort());
    // The lock serialises the callers: one applied everything, the others found nothing pending.
    expect(runs.filter(run => run.applied.length > 0)).toHaveLength(1);

    const recorded = await query<{ name: string; count: string }>(
      database.url,
      `select name, count(*)::text as count from ${MIGRATIONS_TABLE} group by name order by name`,
    );
    expect(recorded).toEqual([...MIGRATION_NAMES].sort().map(name => ({ name, count: '1' })));
    expect(await publicTables(database.url)).toEqual(ENTITY_TABLES);

    // The advisory lock was released by every caller (locks of this database only: other suites run
    // on the same server at the same time and take advisory locks of their own).
    const held = await query(
      database.url,
      `select 1 from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`,
    );
    expect(held).toEqual([]);
  });

  it('run from 4 processes started together apply each migration exactly once', async () => {
    const database = await createTestDatabase();
    databases.push(database);

    // Like four nodes starting at once: separate processes (same Node binary as this test).
    const outputs = await Promise.all(
      [1, 2, 3, 4].map(() =>
        execFileAsync(process.execPath, ['--disable-warning=ExperimentalWarning', CHILD_SCRIPT, database.url], {
          timeout: 60_000,
        }),
      ),
    );
    const runs = outputs.map(output => JSON.parse(output.stdout) as { applied: string[] });
    expect(runs.flatMap(run => run.applied).sort()).toEqual([...MIGRATION_NAMES].sort());
    expect(runs.filter(run => run.applied.length > 0)).toHaveLength(1);
    const recorded = await query<{ count: string }>(
      database.url,
      `select count(*)::text as count from ${MIGRATIONS_TABLE}`,
    );
    expect(recorded).toEqual([{ count: String(MIGRATION_NAMES.length) }]);
  });

  it('wait for a migration lock held elsewhere', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      let finished = false;
      const run = migrateWithLock(database.url).then(result => {
        finished = true;
        return result;
      });
      await new Promise(resolve => setTimeout(resolve, 500));
      expect(finished).toBe(false);
      expect(await publicTables(database.url)).toEqual([]);
      await holder.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      expect((await run).applied).toEqual(MIGRATION_NAMES);
    } finally {
      await holder.end();
    }
  });

  it('can be rolled back completely and applied again', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    await migrateWithLock(database.url);
    const orm = await createOrm({ url: database.url, poolMin: 0, poolMax: 2 });
    try {
      const reverted = await orm.migrator.down({ to: 0 });
      expect(reverted.map(migration => migration.name)).toEqual([...MIGRATION_NAMES].reverse());
      expect(await publicTables(database.url)).toEqual([]);
    } finally {
      await orm.close();
    }
    expect((await migrateWithLock(database.url)).applied).toEqual(MIGRATION_NAMES);
  });
});
