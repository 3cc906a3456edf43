import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as stringifyToml } from 'smol-toml';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A JWT secret good enough for tests (≥ 32 characters). */
export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
/** The bootstrap admin password the test servers start with. */
export const TEST_ADMIN_PASSWORD = 'Admin-Passw0rd!';

/** A free TCP port on 127.0.0.1 (bound, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One JSON log line of the server. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A NodeBill cluster running as a child process (`node src/main.ts`), exactly as `npm start` runs it. */
export interface RunningServer {
  port: number;
  url: string;
  process: ChildProcess;
  logs: LogLine[];
  output: () => string;
  /** Resolves with the first log line (past or future) matching `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the server with the given database and environment, waits until every worker serves.
 * @throws Error with the server's output when it exits or does not become ready in time
 */
export async function startServer(options: {
  databaseUrl: string;
  workers?: number;
  env?: Record<string, string>;
  redis?: boolean;
  /**
   * Settings written to the server's config.local.toml over the suites' test/support/server.toml,
   * by section, e.g. `{ plugins: { plugins_dir: dir, outbound_allow: ['127.0.0.1'] } }`.
   */
  config?: Record<string, Record<string, unknown>>;
  /**
   * Start the primary as the leader of a process group of its own (its workers join it), so that
   * `process.kill(-server.process.pid, signal)` reaches the whole node (test/support/nodes.ts).
   */
  detached?: boolean;
}): Promise<RunningServer> {
  const port = await freePort();
  // A Redis key prefix of its own, so rate limits and caches of earlier runs do not leak in.
  const localConfig = path.join(mkdtempSync(path.join(tmpdir(), 'nodebill-test-')), 'config.local.toml');
  const local = { ...options.config, redis: { prefix: `nbtest-${randomUUID()}`, ...options.config?.redis } };
  writeFileSync(localConfig, stringifyToml(local));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: options.databaseUrl,
    PORT: String(port),
    WORKERS: String(options.workers ?? 2),
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    CONFIG_FILE: path.join(REPO_ROOT, 'test', 'support', 'server.toml'),
    LOCAL_CONFIG_FILE: localConfig,
    ...(options.redis === false ? {} : { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' }),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const logs: LogLine[] = [];
  let raw = '';
  const waiters: Array<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  let pending = '';
  const onChunk = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    raw += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(line) as LogLine;
        logs.push(parsed);
        for (const waiter of [...waiters]) {
          if (waiter.predicate(parsed)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(parsed);
          }
        }
      } catch {
        // Not a log line.
      }
    }
  };
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> => {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${raw.slice(-4000)}`)), timeoutMs);
      waiters.push({ predicate, resolve: (line) => { clearTimeout(timer); resolve(line); } });
    });
  };

  const ready = waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('NodeBill listening'), 90_000);
  const outcome = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const)]);
  if (outcome === 'exited') throw new Error(`server exited during startup:\n${raw.slice(-4000)}`);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    process: child,
    logs,
    output: () => raw,
    waitForLog,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
