/**
 * What every CLI command group shares: where the database is, the exit codes, argument parsing
 * that turns mistakes into usage errors, and connections that are always closed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { loadConfig, type AppConfig } from '../../cluster.config.ts';
import { createOrm } from '../persistence/orm.ts';

/** Exit codes of every command: success, refused or failed, bad arguments. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** `application_name` of the CLI's own database connections (src/cli/commands/db.ts tells them from a server's). */
export const CLI_APPLICATION_NAME = 'nodebill-cli';

/** A mistake in the command line: the dispatcher prints the message (and the group's help hint) and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command refused or failed for a reason the user can act on: printed without a stack, exit 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** One command group (`user`, `plugin`, `db`, …) as the dispatcher sees it. */
export interface CommandGroup {
  /** The first word on the command line. */
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The group's help text (`npm run cli -- GROUP --help`), ending with a newline. */
  help: string;
  /** The commands it knows (second word). */
  commands: readonly string[];
  /**
   * Runs one command with the remaining arguments; resolves with the exit code.
   * @throws UsageError (exit 2), CommandError (exit 1), anything else (exit 1, message printed)
   */
  run(command: string, args: string[]): Promise<number>;
}

/** Writes to stdout (the command's result). */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes to stderr (problems, progress, hints). */
export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * `util.parseArgs` in strict mode with positionals allowed; an unknown or malformed option becomes
 * a {@link UsageError} instead of a TypeError.
 */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The single positional argument `name` of a command, or a UsageError when it is missing or followed by more. */
export function onePositional(positionals: string[], name: string, usage: string): string {
  const [value, extra] = positionals;
  if (value === undefined || value === '') throw new UsageError(`${name} is missing; usage: ${usage}`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"; usage: ${usage}`);
  return value;
}

/** A UsageError when there are positionals where none belong. */
export function noPositionals(positionals: string[], usage: string): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; usage: ${usage}`);
}

/** A whole number ≥ `min` from an option's text, or a UsageError naming the option. */
export function wholeNumber(value: string, option: string, min = 1): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min) throw new UsageError(`${option} must be a whole number of at least ${min} (got "${value}")`);
  return number;
}

/** True when `value` has the shape of a UUID (any version). */
export function looksLikeUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** A UsageError unless `value` is a UUID (ids of customers, orders, interfaces, users). */
export function requireUuid(value: string, what: string): string {
  if (!looksLikeUuid(value)) throw new UsageError(`${what} must be a UUID (got "${value.slice(0, 60)}")`);
  return value.toLowerCase();
}

let loaded: AppConfig | undefined;

/** The configuration (config.toml, config.local.toml, environment), loaded once. @throws ConfigError */
export function cliConfig(): AppConfig {
  loaded ??= loadConfig();
  return loaded;
}

/**
 * The database URL: `[db] url` / DATABASE_URL, or else that of the embedded PostgreSQL the server
 * under `data_dir` is running now (its port from `pg/postmaster.pid`, its password from
 * `secrets.json`).
 * @throws CommandError when neither is there
 */
export function databaseUrl(): string {
  const config = cliConfig();
  if (config.db.url !== '') return config.db.url;
  const pidFile = path.join(config.data_dir, 'pg', 'postmaster.pid');
  const secretsFile = path.join(config.data_dir, 'secrets.json');
  let port: string | undefined;
  let password: string | undefined;
  try {
    port = readFileSync(pidFile, 'utf8').split('\n')[3]?.trim();
    password = (JSON.parse(readFileSync(secretsFile, 'utf8')) as { database_password?: string }).database_password;
  } catch {
    // Reported below.
  }
  if (!port || !password) {
    throw new CommandError(`no database configured and no running embedded PostgreSQL found in ${config.data_dir}; start the server (npm start) or set DATABASE_URL`);
  }
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/nodebill`;
}

/** Runs `work` with a one-connection pool on the database (application_name {@link CLI_APPLICATION_NAME}), closed afterwards. */
export async function withPool<T>(work: (pool: pg.Pool) => Promise<T>, url: string = databaseUrl()): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: CLI_APPLICATION_NAME });
  pool.on('error', () => undefined);
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/** Runs `work` with a small MikroORM instance on the database, closed afterwards. */
export async function withOrm<T>(work: (orm: MikroORM) => Promise<T>, url: string = databaseUrl()): Promise<T> {
  const orm = await createOrm({ url, poolMin: 0, poolMax: 2 });
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
  }
}

/** Lines of `[label, value]` pairs with the labels padded to one width. Pure. */
export function fields(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}\n`).join('');
}

/** A table: the header row and rows, columns padded to their widest cell, two spaces apart. Pure. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  return [header, ...rows].map((row) => `${line(row)}\n`).join('');
}
