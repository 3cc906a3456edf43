/**
 * `npm run cli -- db …`: migration status and migrate on an empty database, a backup restored
 * into a fresh database with the same rows, and restore refused while a NodeBill server uses the
 * database — a simulated one (its LISTEN connection, a live lease) and a real one.
 */
import { mkdtempSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { MIGRATIONS } from '../../src/persistence/migrations/index.ts';
import { createTestDatabase, migratedTestDatabase, queryRows, type MigratedTestDatabase, type TestDatabase } from '../support/db.ts';
import { startServer } from '../support/server.ts';
import { runCli } from './support.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nodebill-cli-db-'));

describe('npm run cli -- db status | migrate', () => {
  let empty: TestDatabase;
  beforeAll(async () => {
    empty = await createTestDatabase();
  });
  afterAll(async () => {
    await empty?.drop();
  });

  it('shows every migration pending on an empty database, applies them, then shows them applied', async () => {
    const before = await runCli(empty.url, ['db', 'status']);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(`migrations: 0 applied, ${MIGRATIONS.length} pending`);
    for (const migration of MIGRATIONS) expect(before.stdout).toMatch(new RegExp(`pending\\s+${migration.name}\\s+-`));
    expect(before.stdout).toContain('servers: none running on this database');
    // status only reads: it did not create the migrations table.
    expect(await queryRows(empty.url, `select to_regclass('mikro_orm_migrations') as t`)).toEqual([{ t: null }]);

    const migrated = await runCli(empty.url, ['db', 'migrate']);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toBe(`applied ${MIGRATIONS.length} migration(s): ${MIGRATIONS.map((m) => m.name).join(', ')}\n`);
    const names = await queryRows<{ name: string }>(empty.url, 'select name from mikro_orm_migrations order by id');
    expect(names.map((row) => row.name)).toEqual(MIGRATIONS.map((m) => m.name));

    const after = await runCli(empty.url, ['db', 'status']);
    expect(after.stdout).toContain(`migrations: ${MIGRATIONS.length} applied, 0 pending`);
    for (const migration of MIGRATIONS) expect(after.stdout).toMatch(new RegExp(`applied\\s+${migration.name}\\s+\\d{4}-\\d\\d-\\d\\dT`));
    expect((await runCli(empty.url, ['db', 'migrate'])).stdout).toBe('the schema is up to date; nothing to apply\n');
    expect((await runCli(empty.url, ['db', 'status', 'extra'])).code).toBe(2);
  });
});

describe('npm run cli -- db backup | restore', () => {
  let source: MigratedTestDatabase;
  let target: TestDatabase;
  const customerId = newId();
  const backupFile = path.join(dir, 'nodebill.dump');

  beforeAll(async () => {
    source = await migratedTestDatabase();
    target = await createTestDatabase();
    await queryRows(source.url, `insert into customers (id, name, balance) values ($1, 'Round Trip Ltd', '12.50')`, [customerId]);
    await queryRows(source.url, `insert into balance_transactions (id, customer_id, transaction_type, amount, balance_before, balance_after) values ($1, $2, 'recharge', '12.50', '0.00', '12.50')`, [newId(), customerId]);
    expect((await runCli(source.url, ['user', 'create', '--username', 'keeper', '--password', 'Keep-Passw0rd', '--role', 'admin'])).code).toBe(0);
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
  });

  const snapshot = async (url: string) => ({
    admins: await queryRows(url, 'select id, username, role, password_hash from admin_users order by id'),
    customers: await queryRows(url, 'select id, name, balance::text from customers order by id'),
    ledger: await queryRows(url, 'select id, customer_id, amount::text, balance_after::text from balance_transactions order by id'),
    audit: await queryRows(url, 'select id, action from operation_logs order by id'),
    migrations: await queryRows(url, 'select name from mikro_orm_migrations order by id'),
  });

  it('backs up in pg_dump custom format and restores into a fresh database with the same rows', async () => {
    const backup = await runCli(source.url, ['db', 'backup', backupFile]);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^backup of postgres:\/\/.+ written to .+nodebill\.dump \(\d+ bytes, \d+ tables, pg_dump custom format\)\n$/);
    expect(existsSync(`${backupFile}.partial`)).toBe(false);
    expect(statSync(backupFile).size).toBeGreaterThan(0);
    // No progress bar without a terminal.
    expect(backup.stderr).toBe('');

    const again = await runCli(source.url, ['db', 'backup', backupFile]);
    expect(again).toMatchObject({ code: 1, stderr: `${backupFile} exists already; choose another name or add --force to replace it\n` });
    expect((await runCli(source.url, ['db', 'backup', backupFile, '--force'])).code).toBe(0);

    const restored = await runCli(target.url, ['db', 'restore', backupFile]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`schema: ${MIGRATIONS.length} migrations applied, 0 pending`);
    const expected = await snapshot(source.url);
    expect(expected.customers).toEqual([{ id: customerId, name: 'Round Trip Ltd', balance: '12.50' }]);
    expect(await snapshot(target.url)).toEqual(expected);
    expect((await runCli(target.url, ['ledger', 'check'])).code).toBe(0);

    // Restoring again replaces what is there (--clean): a row added since is gone.
    await queryRows(target.url, `insert into customers (id, name) values ($1, 'Added Later')`, [newId()]);
    expect((await runCli(target.url, ['db', 'restore', backupFile])).code).toBe(0);
    expect(await snapshot(target.url)).toEqual(expected);
  });

  it('refuses files that are missing or not an archive', async () => {
    const missing = path.join(dir, 'missing.dump');
    expect(await runCli(target.url, ['db', 'restore', missing])).toMatchObject({ code: 1, stderr: `${missing} does not exist\n` });
    const junk = path.join(dir, 'junk.dump');
    writeFileSync(junk, 'not a dump');
    const refused = await runCli(target.url, ['db', 'restore', junk]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not a pg_dump custom-format archive');
    expect((await runCli(target.url, ['db', 'restore'])).code).toBe(2);
  });

  it('refuses to restore while a server holds its LISTEN connection or a live lease, unless --force', async () => {
    const listener = new pg.Client({ connectionString: target.url, application_name: 'nodebill-invalidations' });
    await listener.connect();
    try {
      await listener.query('listen nodebill_invalidation');
      const status = await runCli(target.url, ['db', 'status']);
      expect(status.stdout).toMatch(/servers: running\n {2}NodeBill node connected from .+ since \d{4}-.+\(PostgreSQL backend pid \d+\)/);
      await queryRows(target.url, `insert into customers (id, name) values ($1, 'Added Under The Server')`, [newId()]);

      const refused = await runCli(target.url, ['db', 'restore', backupFile]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('refusing to restore: a NodeBill server is using');
      expect(refused.stderr).toContain('NodeBill node connected from');
      expect(await queryRows(target.url, `select name from customers where name = 'Added Under The Server'`)).toHaveLength(1);

      const forced = await runCli(target.url, ['db', 'restore', backupFile, '--force']);
      expect(forced.code).toBe(0);
      expect(forced.stderr).toContain('warning: restoring under a running NodeBill server (--force)');
      expect(await queryRows(target.url, `select name from customers where name = 'Added Under The Server'`)).toEqual([]);
    } finally {
      await listener.end();
    }

    const holder = newId();
    await queryRows(target.url, `insert into leader_role (role, holder, heartbeat_at, ttl_secs) values ('jobs.billing', $1, now(), 30)`, [holder]);
    const leased = await runCli(target.url, ['db', 'restore', backupFile]);
    expect(leased.code).toBe(1);
    expect(leased.stderr).toContain(`lease "jobs.billing" held by ${holder}`);
    // An expired lease is no sign of life.
    await queryRows(target.url, `update leader_role set heartbeat_at = now() - interval '1 minute' where role = 'jobs.billing'`);
    expect((await runCli(target.url, ['db', 'restore', backupFile])).code).toBe(0);
  });

  it('recognises a real running server', async () => {
    const server = await startServer({ databaseUrl: target.url, workers: 1, redis: false });
    try {
      const status = await runCli(target.url, ['db', 'status']);
      expect(status.stdout).toContain('servers: running');
      const refused = await runCli(target.url, ['db', 'restore', backupFile]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('refusing to restore: a NodeBill server is using');
    } finally {
      await server.stop();
    }
    expect((await runCli(target.url, ['db', 'status'])).stdout).toContain('servers: none running on this database');
  }, 120_000);
});
