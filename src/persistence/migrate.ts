/**
 * Applying the migrations once per cluster, and creating the database.
 */
import { Client, DatabaseError, escapeIdentifier } from 'pg';
import { createOrm } from './orm.ts';

/**
 * Key of the session-level PostgreSQL advisory lock that serialises migration runs:
 * `0x4E424D4947524154`, the ASCII bytes of `NBMIGRAT`, as a signed bigint. Any tool that changes
 * NodeBill's schema must hold `pg_advisory_lock(5639130549497389396)` while doing so.
 */
export const MIGRATION_LOCK_KEY = '5639130549497389396';

/** Result of {@link migrateWithLock}. */
export type MigrationRun = {
  /** Names of the migrations this call applied, oldest first; empty when the schema was current. */
  applied: string[];
};

/**
 * Applies the pending migrations, holding the advisory lock {@link MIGRATION_LOCK_KEY} on a
 * dedicated connection for the whole run, so that several nodes starting together apply each
 * migration exactly once: the first caller migrates, the others wait for the lock and then find
 * nothing pending. The pending migrations run in one transaction (all or nothing).
 *
 * The lock is released at the end, also on failure; if the process dies, PostgreSQL releases it
 * with the connection. Waiting for the lock has no time limit.
 *
 * @param url PostgreSQL URL of the (existing) database — see {@link ensureDatabase}.
 * @param log receives progress messages (default: discarded).
 * @throws the database or migration error; the schema is then left as it was before the run.
 */
export async function migrateWithLock(url: string, log: (msg: string) => void = () => {}): Promise<MigrationRun> {
  const lockClient = new Client({ connectionString: url, application_name: 'nodebill-migrate-lock' });
  // A broken idle connection emits 'error'; the pending query rejects on its own.
  lockClient.on('error', () => {});
  await lockClient.connect();
  try {
    log('waiting for the migration lock');
    await lockClient.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    log('migration lock acquired');
    try {
      const orm = await createOrm({ url, poolMin: 0, poolMax: 2 });
      try {
        const executed = await orm.migrator.up();
        const applied = executed.map(migration => migration.name);
        log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
        return { applied };
      } finally {
        await orm.close();
      }
    } finally {
      await lockClient.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      log('migration lock released');
    }
  } finally {
    await lockClient.end().catch(() => undefined);
  }
}

/** Result of {@link ensureDatabase}. */
export type EnsureDatabaseResult = {
  /** The database name taken from the URL. */
  database: string;
  /** True when this call created it, false when it existed already. */
  created: boolean;
};

/**
 * Creates the database named in `url` if it does not exist, connecting with the same credentials
 * to the `postgres` maintenance database. Safe to call from several processes at once (losing a
 * creation race counts as "existed").
 *
 * @throws Error when the URL names no database; the PostgreSQL error when the server cannot be
 * reached or the user may not create databases.
 */
export async function ensureDatabase(url: string): Promise<EnsureDatabaseResult> {
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (database === '') {
    throw new Error('ensureDatabase: the database URL names no database');
  }
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString(), application_name: 'nodebill-ensure-db' });
  client.on('error', () => {});
  await client.connect();
  try {
    const existing = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (existing.rowCount !== null && existing.rowCount > 0) {
      return { database, created: false };
    }
    try {
      await client.query(`create database ${escapeIdentifier(database)}`);
      return { database, created: true };
    } catch (error) {
      // 42P04 duplicate_database; 23505 when a concurrent CREATE DATABASE won the catalog insert.
      if (error instanceof DatabaseError && (error.code === '42P04' || error.code === '23505')) {
        return { database, created: false };
      }
      throw error;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Re-exported for callers that import the database lifecycle helpers from here; defined in `orm.ts`. */
export { pingDatabase } from './orm.ts';
