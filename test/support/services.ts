/**
 * Private, restartable PostgreSQL and Redis servers for crash tests: each one runs on a free port
 * of its own, in a temporary directory of its own, so a test may SIGKILL it and start it again
 * (same port, same data directory) without disturbing the shared servers other suites use.
 *
 * PostgreSQL refuses to run as root. When this process is root, initdb, pg_ctl and postgres run as
 * the `postgres` OS user (`runuser -u postgres --`), in a temporary directory owned by that user.
 * The binaries come from `PG_BIN` (default /usr/lib/postgresql/15/bin).
 *
 * Every server still running when this process exits is SIGKILLed, so a test that fails before
 * its `stop()` does not leave servers behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, escapeIdentifier } from 'pg';
import { freePort } from './server.ts';

/** Directory of the PostgreSQL binaries (initdb, pg_ctl, postgres, pgbench). */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A PostgreSQL server of one test, on its own port and data directory. */
export interface PrivatePostgres {
  /** The TCP port it listens on (127.0.0.1), the same across restarts. */
  port: number;
  /** Its data directory. */
  dataDir: string;
  /** Connection URL of database `dbName` (default `postgres`), user postgres, trust auth. */
  url(dbName?: string): string;
  /**
   * SIGKILLs the postmaster (a crash: no shutdown checkpoint; its backends die on their own).
   * The signal is sent at once; the promise resolves when the postmaster is gone.
   */
  kill(): Promise<void>;
  /**
   * Starts the server again on the same port and data directory (crash recovery runs if it was
   * killed); resolves once it accepts connections. A no-op when it is running.
   */
  start(): Promise<void>;
  /** Fast shutdown, then removes the data directory. Safe to call more than once. */
  stop(): Promise<void>;
  /** CREATE DATABASE `name`; resolves with its URL. */
  createDatabase(name: string): Promise<string>;
}

/** A Redis server of one test, without persistence: after a kill it comes back empty. */
export interface PrivateRedis {
  /** The TCP port it listens on (127.0.0.1), the same across restarts. */
  port: number;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** SIGKILLs the server. The signal is sent at once; the promise resolves when it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty); resolves once it answers PING. A no-op when it runs. */
  start(): Promise<void>;
  /** Stops it (SIGTERM, SIGKILL after 5 s). Safe to call more than once. */
  stop(): Promise<void>;
}

const running = new Set<() => void>();
process.once('exit', () => {
  for (const killNow of running) killNow();
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** `command args` as the postgres OS user when this process is root, else as is. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** Runs a command to completion (as the postgres user when root); throws with its output on failure. */
function runAsPostgres(command: string, args: string[]): string {
  const [file, argv] = asPostgres(command, args);
  const result = spawnSync(file, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stdout}${result.stderr}${result.error?.message ?? ''}`);
  }
  return result.stdout;
}

/** The numeric uid and gid of the postgres OS user. */
function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const ids = { uid: id('-u'), gid: id('-g') };
  if (!Number.isInteger(ids.uid) || !Number.isInteger(ids.gid)) throw new Error('running as root, but there is no postgres OS user to run PostgreSQL as');
  return ids;
}

/** Resolves true once `connect` succeeds, retrying until `timeoutMs` passes; false then. */
async function retry(connect: () => Promise<void>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await connect();
      return true;
    } catch {
      await sleep(100);
    }
  }
  return false;
}

/** Opens and closes one connection to `url`; rejects when the server does not accept it. */
async function pgPing(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  await client.connect();
  await client.end();
}

/**
 * Creates a PostgreSQL cluster (initdb, trust auth, UTF8) in a temporary directory and starts it
 * on a free port of 127.0.0.1; resolves once it accepts connections. `settings` are extra server
 * settings (`-c name=value`), e.g. `{ max_connections: '200' }`.
 */
export async function startPrivatePostgres(settings: Record<string, string> = {}): Promise<PrivatePostgres> {
  const root = mkdtempSync(path.join(tmpdir(), 'nodebill-pg-'));
  if (isRoot) {
    const { uid, gid } = postgresIds();
    chownSync(root, uid, gid);
  }
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  runAsPostgres(path.join(PG_BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const url = (dbName = 'postgres'): string => `postgres://postgres@127.0.0.1:${port}/${dbName}`;
  // The socket lives in the temp dir, never in /var/run/postgresql beside the shared server's.
  const options = ['-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];

  /** The postmaster's pid from postmaster.pid, or undefined when there is none. */
  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  let stopped = false;
  const killNow = (): number | undefined => {
    const pid = postmasterPid();
    if (!alive(pid)) return undefined;
    process.kill(pid as number, 'SIGKILL');
    return pid;
  };
  const kill = async (): Promise<void> => {
    const pid = killNow();
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await sleep(20);
  };

  const start = async (): Promise<void> => {
    if (stopped) throw new Error('this private PostgreSQL was stopped');
    if (alive(postmasterPid()) && (await retry(() => pgPing(url()), 500))) return;
    // After a SIGKILL, the old backends may still hold the shared memory for a moment; postgres
    // then refuses to start ("pre-existing shared memory block is still in use"): try again.
    const deadline = Date.now() + 30_000;
    let lastError = '';
    while (Date.now() < deadline) {
      const [file, argv] = asPostgres(path.join(PG_BIN, 'pg_ctl'), ['start', '-w', '-t', '30', '-D', dataDir, '-l', logFile, '-o', options.join(' ')]);
      const result = spawnSync(file, argv, { encoding: 'utf8' });
      if (result.status === 0 && (await retry(() => pgPing(url()), 10_000))) return;
      lastError = `${result.stdout}${result.stderr}${readLogTail(logFile)}`;
      await sleep(200);
    }
    throw new Error(`private PostgreSQL did not start on port ${port}: ${lastError}`);
  };

  const killOnExit = (): void => void killNow();
  running.add(killOnExit);
  try {
    await start();
  } catch (error) {
    killNow();
    running.delete(killOnExit);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  return {
    port,
    dataDir,
    url,
    kill,
    start,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (alive(postmasterPid())) {
        const [file, argv] = asPostgres(path.join(PG_BIN, 'pg_ctl'), ['stop', '-m', 'fast', '-w', '-t', '20', '-D', dataDir]);
        if (spawnSync(file, argv, { encoding: 'utf8' }).status !== 0) await kill();
      }
      running.delete(killOnExit);
      rmSync(root, { recursive: true, force: true });
    },
    async createDatabase(name) {
      const client = new Client({ connectionString: url() });
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query(`create database ${escapeIdentifier(name)}`);
      } finally {
        await client.end().catch(() => undefined);
      }
      return url(name);
    },
  };
}

/** Whether process `pid` exists and is not a zombie (a zombie holds no port and no lock). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; Z is a zombie, X dead.
    const state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function readLogTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/** Resolves once a Redis server on `port` answers PING with PONG; rejects otherwise. */
function redisPing(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let reply = '';
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(1000, () => fail(new Error('PING timed out')));
    socket.once('error', fail);
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      if (reply.startsWith('+PONG')) resolve();
      else reject(new Error(`PING answered ${reply.trim()}`));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/**
 * Starts `redis-server` on a free port of 127.0.0.1 without persistence (`--save "" --appendonly
 * no`); resolves once it answers PING.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  /** Resolves when the current child has exited. */
  let childExited: Promise<void> = Promise.resolve();
  let stopped = false;
  let output = '';
  const isRunning = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null && !child.killed;
  const killNow = (): void => {
    if (isRunning()) child?.kill('SIGKILL');
  };
  const kill = async (): Promise<void> => {
    killNow();
    await childExited;
  };
  const start = async (): Promise<void> => {
    if (stopped) throw new Error('this private Redis was stopped');
    if (isRunning()) return;
    // A killed server may not have exited yet; its port is free once it has.
    await childExited;
    output = '';
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    childExited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
    started.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000)));
    started.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000)));
    const exited = childExited.then(() => 'exited' as const);
    const ready = retry(() => redisPing(port), 10_000).then((ok) => (ok ? ('ready' as const) : ('timeout' as const)));
    const outcome = await Promise.race([ready, exited]);
    if (outcome !== 'ready') {
      killNow();
      throw new Error(`private Redis did not start on port ${port} (${outcome}): ${output}`);
    }
  };
  running.add(killNow);
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async stop() {
      if (stopped) return;
      stopped = true;
      const current = child;
      if (current && isRunning()) {
        current.kill('SIGTERM');
        const timer = setTimeout(() => current.kill('SIGKILL'), 5000);
        await childExited;
        clearTimeout(timer);
      } else {
        await childExited;
      }
      running.delete(killNow);
    },
  };
}
