/**
 * Building the MikroORM instance NodeBill uses: PostgreSQL, the entities of `entities/`, the
 * checked-in migrations of `migrations/`, no discovery from files.
 */
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { ALL_ENTITIES } from './entities/index.ts';
import { MIGRATIONS } from './migrations/index.ts';

/** Name of the table in which MikroORM records the applied migrations. */
export const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/** Options of {@link createOrm}. Durations are milliseconds. */
export type OrmOptions = {
  /** PostgreSQL connection URL, e.g. `postgres://user:pass@host:5432/nodebill`. */
  url: string;
  /** Connections kept open in the pool (handbook `[db].min_connections`, default 2). */
  poolMin?: number;
  /** Upper bound of the pool (handbook `[db].max_connections`, default 20). */
  poolMax?: number;
  /** An idle connection is closed after this long (handbook `idle_timeout_secs`, default 300 000 ms). */
  idleTimeoutMs?: number;
  /** Waiting for a connection (pool slot plus connect) fails after this long (handbook `acquire_timeout_secs`, default 5 000 ms). */
  acquireTimeoutMs?: number;
  /** A connection is closed and replaced after this long (handbook `max_lifetime_secs`; default: never). */
  maxLifetimeSecs?: number;
  /** Log every SQL statement through MikroORM's logger (default false). */
  debug?: boolean;
  /** Given the `pg` pool MikroORM creates, before it is used (tracing wraps its queries: src/telemetry/pg.ts). */
  onPoolCreated?: (pool: pg.Pool) => void;
};

/**
 * Creates the MikroORM instance for PostgreSQL with {@link ALL_ENTITIES} and the migrations
 * ({@link MIGRATIONS}, available as `orm.migrator`; no snapshot files are written).
 *
 * The pool connects lazily: this does not fail when the database is unreachable — use
 * {@link pingDatabase} to check. The global `orm.em` must not be used for work; fork it
 * (`orm.em.fork()`) per request or command. Close the instance with `orm.close()`.
 *
 * @throws Error if the configuration or the entity metadata is invalid.
 */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  const orm = new MikroORM({
    clientUrl: options.url,
    entities: [...ALL_ENTITIES],
    extensions: [Migrator],
    migrations: {
      tableName: MIGRATIONS_TABLE,
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    pool: {
      min: options.poolMin ?? 2,
      max: options.poolMax ?? 20,
      idleTimeoutMillis: options.idleTimeoutMs ?? 300_000,
    },
    driverOptions: {
      connectionTimeoutMillis: options.acquireTimeoutMs ?? 5_000,
      application_name: 'nodebill',
      ...(options.maxLifetimeSecs ? { maxLifetimeSeconds: options.maxLifetimeSecs } : {}),
      ...(options.onPoolCreated ? { onPoolCreated: options.onPoolCreated } : {}),
    },
    // The cache-invalidation triggers (migration 0005) are SQL of their own, not entity metadata:
    // the schema comparison leaves existing triggers alone (test/persistence checks them by behaviour).
    // The same holds for the migrations' plain SQL functions (0015's global_unique_keys_move).
    schemaGenerator: { ignoreTriggers: true, ignoreRoutines: true },
    debug: options.debug ?? false,
    ensureDatabase: false,
    allowGlobalContext: false,
  });
  return orm;
}

/**
 * Checks that the database answers: runs `SELECT 1` and waits at most `timeoutMs` (default
 * 2 000 ms). For the `/ready` endpoint. Never throws.
 *
 * @returns true when the query succeeded in time, false on any error or timeout.
 */
export async function pingDatabase(orm: MikroORM, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>(resolve => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const query = orm.em
    .getConnection()
    .execute('select 1 as ok')
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
