/**
 * The entry file of a sandbox thread (`new Worker(new URL('./thread-entry.ts', import.meta.url))`,
 * started by sandbox-thread.ts). The thread owns one QuickJS module (module-pool.ts, replaced when
 * a call poisons it) and runs one task at a time: `run` → the task in a session → `done`. Its host
 * calls go to the main thread (thread-host.ts). The main thread enforces each task's deadline and
 * terminates the thread if it does not finish in time, so nothing here needs a watchdog.
 *
 * Loaded by Node's type stripping: erasable TypeScript only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IMPORT_REFUSED } from './errors.ts';
import { createModulePool } from './module-pool.ts';
import { encodeError, hasMessageType, type MainMessage, type ModuleCounts, type RunMessage, type ThreadMessage, type ThreadSettings } from './protocol.ts';
import type { EngineLogger } from './sandbox.ts';
import { createThreadHost, type ThreadHost } from './thread-host.ts';
import { runTask, type TaskEnvironment } from './thread-tasks.ts';

if (parentPort === null) throw new Error('thread-entry.ts must be started as a worker thread');
const port = parentPort;
const settings = workerData as ThreadSettings;

function send(message: ThreadMessage): void {
  port.postMessage(message);
}

function logLevel(level: 'debug' | 'info' | 'warn' | 'error'): (fields: Record<string, unknown>, message: string) => void {
  return (fields, message) => send({ type: 'log', level, fields, message });
}
const log: EngineLogger = { debug: logLevel('debug'), info: logLevel('info'), warn: logLevel('warn'), error: logLevel('error') };

const pool = createModulePool({
  wasmModule: settings.wasmModule,
  maxModules: 1,
  memoryLimitBytes: settings.memoryLimitMb * 1024 * 1024,
  importRefusal: IMPORT_REFUSED,
});
const env: TaskEnvironment = { pool, settings, log };

function moduleCounts(): ModuleCounts {
  const { created, discarded } = pool.stats();
  return { created, discarded };
}

let current: ThreadHost | undefined;

async function run({ job, deadline, task }: RunMessage): Promise<void> {
  const host = createThreadHost(port, job);
  current = host;
  try {
    const value = await runTask(env, task, deadline, host);
    send({ type: 'done', job, modules: moduleCounts(), ok: true, value });
  } catch (error) {
    send({ type: 'done', job, modules: moduleCounts(), ok: false, error: encodeError(error) });
  } finally {
    host.end();
    if (current === host) current = undefined;
  }
}

port.on('message', (message: unknown) => {
  if (!hasMessageType(message)) return;
  const typed = message as MainMessage;
  if (typed.type === 'run') void run(typed);
  else if (typed.type === 'host-reply') current?.answer(typed);
});

// Load the first module before reporting ready, so a broken installation fails the thread's start.
pool.release(await pool.acquire(), true);
send({ type: 'ready', modules: moduleCounts() });
