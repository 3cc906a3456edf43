/**
 * Turns a loaded configuration into one the server can run with: on the zero-configuration path
 * (no `[db] url`) it starts the embedded PostgreSQL and supplies generated secrets.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../../cluster.config.ts';
import { ConfigError } from '../config/errors.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.ts';
import type { BootstrapLog } from './log.ts';
import { generateJwtSecret, generatePassword, readSecrets, writeSecrets, type Secrets } from './secrets.ts';

/** Name of the application database inside the embedded PostgreSQL. */
export const EMBEDDED_DATABASE = 'nodebill';

/** What {@link prepareRuntime} hands back. */
export type PreparedRuntime = {
  /** The configuration to run with: `db.url` always set; generated secrets filled in. */
  config: AppConfig;
  /** The embedded PostgreSQL, when one was started; stop it when shutting down. */
  embedded?: EmbeddedDatabase;
  generated: {
    /** True when `jwt.secret` comes from secrets.json (generated on this or an earlier start). */
    jwtSecret: boolean;
    /**
     * The generated bootstrap admin password, set only on the start that creates the embedded
     * database (the first start), so the caller can print the credentials once. Later starts
     * reuse it from secrets.json silently.
     */
    adminPassword?: string;
  };
};

/**
 * Prepares the runtime. Call it once, in the primary process, before forking workers.
 *
 * - `db.url` set (a real deployment): nothing is started or generated; the configuration is
 *   returned unchanged and the production rules (`checkStartupRules`) decide.
 * - `db.url` empty (the zero-configuration developer path): creates `data_dir` (mode 0700; 0711
 *   when running as root, so the `postgres` user can reach `pg/`), starts the embedded
 *   PostgreSQL in `<data_dir>/pg` (see embedded-postgres.ts), and keeps in
 *   `<data_dir>/secrets.json` (mode 0600), generated once and reused afterwards: the database
 *   password, a JWT secret when `jwt.secret` is empty (64 random bytes), and a bootstrap admin
 *   password when `bootstrap.admin_password` is empty.
 *
 * @param config the loaded configuration
 * @param log where progress and warnings go
 * @throws ConfigError when secrets.json is unreadable or does not match the existing embedded
 *   database, or the embedded PostgreSQL cannot be started
 */
export async function prepareRuntime(config: AppConfig, log: BootstrapLog): Promise<PreparedRuntime> {
  if (config.db.url !== '') return { config, generated: { jwtSecret: false } };

  await ensureDataDir(config.data_dir);
  const secretsFile = path.join(config.data_dir, 'secrets.json');
  const pgDir = path.join(config.data_dir, 'pg');
  const stored = await readSecrets(secretsFile, log);
  const pgExists = await exists(path.join(pgDir, 'PG_VERSION'));
  if (pgExists && stored?.database_password === undefined) {
    throw new ConfigError(
      `The embedded database in ${pgDir} exists, but its password is missing from ${secretsFile}. ` +
        `Restore secrets.json from a backup, or delete ${pgDir} to start with an empty database.`,
    );
  }

  const secrets: Secrets = { version: 1, ...stored };
  let changed = stored === undefined;
  if (secrets.database_password === undefined) {
    secrets.database_password = generatePassword();
    changed = true;
  }
  if (config.jwt.secret === '' && secrets.jwt_secret === undefined) {
    secrets.jwt_secret = generateJwtSecret();
    changed = true;
    log.info({ file: secretsFile }, 'generated a JWT secret for this development setup');
  }
  if (config.bootstrap.admin_password === '' && secrets.admin_password === undefined) {
    secrets.admin_password = generatePassword();
    changed = true;
    log.info({ file: secretsFile }, 'generated a bootstrap admin password for this development setup');
  }
  if (changed) await writeSecrets(secretsFile, secrets);

  const embedded = await startEmbeddedPostgres({
    dataDir: pgDir,
    password: secrets.database_password,
    database: EMBEDDED_DATABASE,
    log,
  });

  const useGeneratedJwt = config.jwt.secret === '' && secrets.jwt_secret !== undefined;
  const prepared: AppConfig = {
    ...config,
    db: { ...config.db, url: embedded.url },
    jwt: useGeneratedJwt && secrets.jwt_secret !== undefined ? { ...config.jwt, secret: secrets.jwt_secret } : config.jwt,
    bootstrap:
      config.bootstrap.admin_password === '' && secrets.admin_password !== undefined
        ? { ...config.bootstrap, admin_password: secrets.admin_password }
        : config.bootstrap,
  };
  const generated: PreparedRuntime['generated'] = { jwtSecret: useGeneratedJwt };
  // Shown when the database was created on this start (the first admin gets this password now),
  // also if an earlier first attempt generated the password but failed before returning it.
  if (config.bootstrap.admin_password === '' && !pgExists && secrets.admin_password !== undefined) {
    generated.adminPassword = secrets.admin_password;
  }
  return { config: prepared, embedded, generated };
}

/**
 * The environment that gives a forked worker the primary's prepared values (database URL and
 * secrets, which may have been generated), so that its own `loadConfig()` yields the same
 * configuration. Values that are empty are left out.
 */
export function workerEnv(config: AppConfig): Record<string, string> {
  const env: Record<string, string> = {};
  if (config.db.url !== '') env['DATABASE_URL'] = config.db.url;
  if (config.jwt.secret !== '') env['JWT_SECRET'] = config.jwt.secret;
  if (config.bootstrap.admin_password !== '') env['ADMIN_PASSWORD'] = config.bootstrap.admin_password;
  return env;
}

async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0) await chmod(dir, (info.mode & 0o777) | 0o011);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
