/**
 * `db status | migrate | backup FILE | restore FILE` (operations manual §4): the migration state,
 * applying migrations, and backups in pg_dump's custom format (`-Fc`), as the manual does them by
 * hand — with a progress bar on a terminal and a refusal to restore under a running server.
 *
 * pg_dump / pg_restore come from PATH (PG_DUMP / PG_RESTORE name other binaries); they must be at
 * least the PostgreSQL server's major version.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { redactUrl as redactAnyUrl } from '../../bootstrap/redis.ts';
import { ensureDatabase, migrateWithLock } from '../../persistence/migrate.ts';
import { MIGRATIONS } from '../../persistence/migrations/index.ts';
import { MIGRATIONS_TABLE } from '../../persistence/orm.ts';
import { startProgress, type Progress } from '../progress.ts';
import { describePresence, detectRunningServer, serverIsRunning } from '../running-server.ts';
import { CLI_APPLICATION_NAME, CommandError, EXIT, databaseUrl, err, noPositionals, onePositional, out, parse, table, withPool, type CommandGroup } from '../context.ts';

const HELP = `npm run cli -- db COMMAND

  db status            applied and pending migrations, and whether NodeBill servers are connected
  db migrate           applies the pending migrations (under the cluster's migration lock; creates the database if missing)
  db backup FILE [--force]
                       pg_dump -Fc of the whole database into FILE (written to FILE.partial, then renamed;
                       an existing FILE is only replaced with --force)
  db restore FILE [--force]
                       pg_restore --clean --if-exists --no-owner --single-transaction of FILE into the
                       database (created if missing): all or nothing. Refused while a NodeBill server
                       uses the database (stop it first, operations manual 4.3) unless --force.

A running server is recognised by its LISTEN connection (application_name "nodebill-invalidations",
held by every node's primary) or a live lease in leader_role. pg_dump/pg_restore are taken from PATH
(or PG_DUMP / PG_RESTORE) and must be at least the database server's major version.

Exit codes: 0 done, 1 refused or failed (server running, pg_dump/pg_restore failed, file missing or
present), 2 bad arguments.
`;

/** The database URL with its password replaced by `***`, for messages (never the raw text of one that does not parse). Pure. */
export function redactUrl(url: string): string {
  return redactAnyUrl(url, '(unparsable database URL)');
}

/** The migration names recorded in `mikro_orm_migrations` with their time, oldest first (none when the table is missing). */
async function executedMigrations(pool: pg.Pool): Promise<Array<{ name: string; executedAt: string }>> {
  const exists = await pool.query<{ found: boolean }>('select to_regclass($1) is not null as found', [MIGRATIONS_TABLE]);
  if (!exists.rows[0]?.found) return [];
  const rows = await pool.query<{ name: string; executed_at: string }>(
    `select name, to_char(executed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as executed_at from ${MIGRATIONS_TABLE} order by id`,
  );
  return rows.rows.map((row) => ({ name: row.name, executedAt: row.executed_at }));
}

/** Applied, pending and unknown (applied, but not in this build) migrations. */
async function migrationState(pool: pg.Pool): Promise<{ applied: Array<{ name: string; executedAt: string }>; pending: string[]; unknown: string[] }> {
  const applied = await executedMigrations(pool);
  const done = new Set(applied.map((row) => row.name));
  const known = new Set(MIGRATIONS.map((migration) => migration.name));
  return {
    applied,
    pending: MIGRATIONS.map((migration) => migration.name).filter((name) => !done.has(name)),
    unknown: applied.map((row) => row.name).filter((name) => !known.has(name)),
  };
}

async function status(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  noPositionals(positionals, 'npm run cli -- db status');
  const url = databaseUrl();
  return withPool(async (pool) => {
    const state = await migrationState(pool);
    const presence = await detectRunningServer(pool);
    out(`database: ${redactUrl(url)}`);
    out(`migrations: ${state.applied.length} applied, ${state.pending.length} pending (table ${MIGRATIONS_TABLE})`);
    out(table(['STATUS', 'MIGRATION', 'APPLIED AT'], [
      ...state.applied.map((row) => [state.unknown.includes(row.name) ? 'unknown' : 'applied', row.name, row.executedAt]),
      ...state.pending.map((name) => ['pending', name, '-']),
    ]));
    if (state.unknown.length > 0) out(`warning: ${state.unknown.length} applied migration(s) are unknown to this NodeBill version (the database is newer)`);
    if (state.pending.length > 0) out('pending migrations run at the next server start, or now with: npm run cli -- db migrate');
    const signs = describePresence(presence);
    out(signs.length === 0 ? 'servers: none running on this database' : `servers: running\n${signs.map((sign) => `  ${sign}`).join('\n')}`);
    return EXIT.ok;
  }, url);
}

async function migrate(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  noPositionals(positionals, 'npm run cli -- db migrate');
  const url = databaseUrl();
  const { created } = await ensureDatabase(url);
  if (created) out(`created database ${redactUrl(url)}`);
  const { applied } = await migrateWithLock(url, (message) => err(message));
  out(applied.length === 0 ? 'the schema is up to date; nothing to apply' : `applied ${applied.length} migration(s): ${applied.join(', ')}`);
  return EXIT.ok;
}

/**
 * The URL for libpq without its password, and the password as PGPASSWORD: a password on the
 * command line would be visible to every user of the machine (ps). Pure.
 */
export function libpqConnection(url: string): { dbname: string; env: Record<string, string> } {
  const parsed = new URL(url);
  if (parsed.password === '') return { dbname: url, env: {} };
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), env: { PGPASSWORD: password } };
}

/** The pg_dump / pg_restore binary: PG_DUMP / PG_RESTORE, or the name on PATH. */
function tool(name: 'pg_dump' | 'pg_restore'): string {
  const override = name === 'pg_dump' ? process.env.PG_DUMP : process.env.PG_RESTORE;
  return override !== undefined && override !== '' ? override : name;
}

/**
 * Runs a PostgreSQL client tool, feeding each stderr line to `onLine`; resolves with its exit code,
 * stdout and the stderr lines worth showing on failure (errors, warnings, the last few lines).
 */
async function runTool(command: string, args: string[], onLine: (line: string) => void = () => undefined, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; problems: string[] }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGAPPNAME: CLI_APPLICATION_NAME, ...env } });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const problems: string[] = [];
  const recent: string[] = [];
  const lines = createInterface({ input: child.stderr, terminal: false });
  lines.on('line', (line) => {
    onLine(line);
    if (/error|warning|fatal|could not|failed/i.test(line)) problems.push(line);
    recent.push(line);
    if (recent.length > 5) recent.shift();
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new CommandError(`${command} was not found; install the PostgreSQL client tools (e.g. apt-get install postgresql-client) or set ${command.includes('restore') ? 'PG_RESTORE' : 'PG_DUMP'}`) : error);
    });
    child.once('close', (exit) => resolve(exit ?? 1));
  });
  return { code, stdout, problems: problems.length > 0 ? problems : recent };
}

async function backup(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { force: { type: 'boolean', default: false } });
  const file = path.resolve(onePositional(positionals, 'FILE', 'npm run cli -- db backup FILE [--force]'));
  if (existsSync(file) && !values.force) throw new CommandError(`${file} exists already; choose another name or add --force to replace it`);
  const url = databaseUrl();
  const tables = await withPool(async (pool) => {
    const rows = await pool.query<{ count: string }>(`select count(*)::text as count from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'`);
    return Number(rows.rows[0]?.count ?? 0);
  }, url);
  const partial = `${file}.partial`;
  const connection = libpqConnection(url);
  const progress = startProgress('backup ', tables);
  let result: Awaited<ReturnType<typeof runTool>>;
  try {
    result = await runTool(tool('pg_dump'), ['--format=custom', '--verbose', `--file=${partial}`, `--dbname=${connection.dbname}`], (line) => {
      if (line.includes('dumping contents of table')) progress.tick();
    }, connection.env);
  } finally {
    progress.stop();
  }
  if (result.code !== 0) {
    await unlink(partial).catch(() => undefined);
    throw new CommandError(`pg_dump failed (exit ${result.code}); nothing was written to ${file}:\n${result.problems.join('\n')}`);
  }
  await rename(partial, file);
  const { size } = await stat(file);
  out(`backup of ${redactUrl(url)} written to ${file} (${size} bytes, ${tables} tables, pg_dump custom format)`);
  return EXIT.ok;
}

/** Data entries (`TABLE DATA`) in a custom-format archive's table of contents. */
async function tableDataEntries(file: string): Promise<number> {
  const listing = await runTool(tool('pg_restore'), ['--list', file]);
  if (listing.code !== 0) throw new CommandError(`${file} is not a pg_dump custom-format archive pg_restore can read:\n${listing.problems.join('\n')}`);
  return listing.stdout.split('\n').filter((line) => / TABLE DATA /.test(line)).length;
}

async function restore(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { force: { type: 'boolean', default: false } });
  const file = path.resolve(onePositional(positionals, 'FILE', 'npm run cli -- db restore FILE [--force]'));
  if (!existsSync(file)) throw new CommandError(`${file} does not exist`);
  const entries = await tableDataEntries(file);
  const url = databaseUrl();
  const { created } = await ensureDatabase(url);
  if (created) err(`created database ${redactUrl(url)}`);
  const presence = await withPool(detectRunningServer, url);
  if (serverIsRunning(presence)) {
    const signs = describePresence(presence).map((sign) => `  ${sign}`).join('\n');
    if (!values.force) {
      throw new CommandError(`refusing to restore: a NodeBill server is using ${redactUrl(url)}:\n${signs}\nStop it first (systemctl stop nodebill), or add --force to restore anyway (its in-memory state then disagrees with the database: restart it right after).`);
    }
    err(`warning: restoring under a running NodeBill server (--force); restart it afterwards:\n${signs}`);
  }
  const connection = libpqConnection(url);
  const progress: Progress = startProgress('restore', entries);
  let result: Awaited<ReturnType<typeof runTool>>;
  try {
    result = await runTool(tool('pg_restore'), ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', '--verbose', `--dbname=${connection.dbname}`, file], (line) => {
      if (line.includes('processing data for table')) progress.tick();
    }, connection.env);
  } finally {
    progress.stop();
  }
  if (result.code !== 0) throw new CommandError(`pg_restore failed (exit ${result.code}); the database was left as it was (single transaction):\n${result.problems.join('\n')}`);
  const state = await withPool(migrationState, url);
  out(`restored ${file} into ${redactUrl(url)} (${entries} tables of data); schema: ${state.applied.length} migrations applied, ${state.pending.length} pending`);
  if (state.pending.length > 0) out('the backup is older than this NodeBill version: its pending migrations run at the next server start, or now with: npm run cli -- db migrate');
  return EXIT.ok;
}

/** The `db` command group. */
export const dbGroup: CommandGroup = {
  name: 'db',
  summary: 'migrations, backup and restore (db status | migrate | backup FILE | restore FILE)',
  help: HELP,
  commands: ['status', 'migrate', 'backup', 'restore'],
  run(command, args) {
    switch (command) {
      case 'status':
        return status(args);
      case 'migrate':
        return migrate(args);
      case 'backup':
        return backup(args);
      default:
        return restore(args);
    }
  },
};
