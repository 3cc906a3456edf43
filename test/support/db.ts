/**
 * Throw-away PostgreSQL databases for test suites. Each suite gets its own database on the local
 * server, so suites can run in parallel and never see each other's rows.
 *
 * The server comes from `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`):
 * a URL whose user may create and drop databases; its database part is only used to connect for
 * CREATE/DROP DATABASE.
 */
import { randomBytes } from 'node:crypto';
import pg, { Client, escapeIdentifier } from 'pg';
import { migrateWithLock } from '../../src/persistence/migrate.ts';

/** The server used by the tests: `TEST_DATABASE_URL`, or the local trust-auth default. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database created for one test suite. */
export type TestDatabase = {
  /** Connection URL of the new database (same server and credentials as `TEST_SERVER_URL`). */
  url: string;
  /** Its name, `nodebill_test_<time>_<random>`. */
  name: string;
  /**
   * Drops the database, first terminating any connection still open to it (a forgotten ORM or
   * pool does not make the drop fail). Safe to call more than once.
   */
  drop(): Promise<void>;
};

/** A {@link TestDatabase} on which all migrations have been applied. */
export type MigratedTestDatabase = TestDatabase & {
  /** Names of the migrations that were applied (all of them). */
  applied: string[];
};

async function withServerClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_SERVER_URL, application_name: 'nodebill-test-admin' });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates a fresh, empty, uniquely named database on the test server.
 *
 * @throws the PostgreSQL error when the server is unreachable or the user may not create databases.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `nodebill_test_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await withServerClient(client => client.query(`create database ${escapeIdentifier(name)}`));
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      await withServerClient(async client => {
        await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [
          name,
        ]);
        await client.query(`drop database if exists ${escapeIdentifier(name)} with (force)`);
      });
      dropped = true;
    },
  };
}

/**
 * Creates a fresh database (see {@link createTestDatabase}) and applies all migrations to it.
 * On a migration failure the database is dropped and the error rethrown.
 */
export async function migratedTestDatabase(): Promise<MigratedTestDatabase> {
  const database = await createTestDatabase();
  try {
    const { applied } = await migrateWithLock(database.url);
    return { ...database, applied };
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
}

/** Runs one query on the database at `url` (its own connection) and returns the rows. */
export async function queryRows<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
