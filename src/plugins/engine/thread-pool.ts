/**
 * In the main thread: the pool of sandbox threads (sandbox-thread.ts) plugin tasks run in, so that
 * a busy or hostile script costs its own call and nobody else's: one task per thread at a time
 * (an asyncified QuickJS module allows one suspended host call anyway), up to `maxThreads`
 * threads, further tasks wait in FIFO order. Threads are started on demand and reused (the most
 * recently used first); a thread that was terminated (a task overran its deadline) or crashed is
 * replaced on demand. A thread costs about 30 MB (its V8 isolate and QuickJS module), so threads
 * idle for `idleThreadMs` are stopped, down to one.
 */
import type { HostServices, PluginCallContext } from '../types.ts';
import { engineClosedError, type ErrorScope } from './errors.ts';
import type { ModuleCounts, ThreadSettings, ThreadTask } from './protocol.ts';
import type { EngineLogger } from './sandbox.ts';
import { SandboxThread, type ThreadEnd } from './sandbox-thread.ts';

/** Counters of a {@link ThreadPool}. */
export interface ThreadPoolStats {
  /** Threads alive, starting or stopping. */
  total: number;
  /** Threads waiting for a task. */
  idle: number;
  /** Tasks waiting for a thread. */
  waiting: number;
  /** Threads started so far. */
  created: number;
  /** Threads terminated because a task did not stop at its deadline. */
  terminated: number;
  /** Threads that stopped on their own (an exception or exit in the thread). */
  crashed: number;
  /** Threads stopped (and exited) after being idle for `idleThreadMs`. */
  retired: number;
}

/** Options of {@link createThreadPool}. */
export interface ThreadPoolOptions {
  maxThreads: number;
  /** Time limit of a task in ms, counted from when it gets a thread. */
  timeoutMs: number;
  /** How long past a task's deadline its thread may take to report back before it is terminated, in ms. */
  graceMs: number;
  /** How long a thread may stay idle before it is stopped (the last one is kept), in ms. */
  idleThreadMs: number;
  settings: ThreadSettings;
  host: HostServices;
  log: EngineLogger;
}

/** See the file comment. */
export interface ThreadPool {
  /**
   * Runs `task` on a free thread (waiting for one in FIFO order); its deadline is `timeoutMs`
   * after it got the thread. Resolves with the task's value as plain data.
   * @throws PluginError the task's own (any kind), `timeout`, a crash error, or `host_error` once
   *   the pool is closed; Error when a thread cannot be started
   */
  run(task: ThreadTask, context: PluginCallContext, scope: ErrorScope): Promise<unknown>;
  /** Starts a thread now (unless one exists) and waits until it is ready. @throws Error when it cannot start */
  warmUp(): Promise<void>;
  stats(): ThreadPoolStats;
  /** QuickJS modules created and discarded in all threads so far (those of a dead thread count as discarded). */
  moduleCounts(): ModuleCounts;
  /** Terminates every thread; waiting and running tasks fail with `host_error`, later ones too. Idempotent. */
  close(): Promise<void>;
}

interface Waiter {
  resolve(thread: SandboxThread): void;
  reject(error: unknown): void;
  scope: ErrorScope;
}

/** Creates the pool (see the file comment); no thread starts before the first task or {@link ThreadPool.warmUp}. */
export function createThreadPool(options: ThreadPoolOptions): ThreadPool {
  const { maxThreads, timeoutMs, idleThreadMs } = options;
  const threads = new Set<SandboxThread>();
  const idle: SandboxThread[] = [];
  const idleTimers = new Map<SandboxThread, NodeJS.Timeout>();
  /** Idle threads being stopped (still in `threads` until they have exited). */
  const retiring = new Set<SandboxThread>();
  const waiters: Waiter[] = [];
  let created = 0;
  let terminated = 0;
  let crashed = 0;
  let retired = 0;
  let nextId = 1;
  let closed = false;
  const goneModules: ModuleCounts = { created: 0, discarded: 0 };

  /** Takes `thread` out of the idle list (and stops its idle timer); false when it was not idle. */
  function unidle(thread: SandboxThread): boolean {
    clearTimeout(idleTimers.get(thread));
    idleTimers.delete(thread);
    const at = idle.indexOf(thread);
    if (at < 0) return false;
    idle.splice(at, 1);
    return true;
  }

  function onIdle(thread: SandboxThread): void {
    if (closed) {
      void thread.terminate('closed');
      return;
    }
    const waiter = waiters.shift();
    if (waiter) {
      waiter.resolve(thread);
      return;
    }
    idle.push(thread);
    const timer = setTimeout(() => {
      if (threads.size - retiring.size <= 1 || !unidle(thread)) return;
      retiring.add(thread);
      void thread.terminate('retired');
    }, idleThreadMs);
    timer.unref();
    idleTimers.set(thread, timer);
  }

  function onGone(thread: SandboxThread, end: ThreadEnd): void {
    threads.delete(thread);
    retiring.delete(thread);
    unidle(thread);
    // Its modules, the live one included, are gone with it.
    goneModules.created += thread.modules.created;
    goneModules.discarded += thread.modules.created;
    if (end === 'terminated') terminated += 1;
    if (end === 'crashed') crashed += 1;
    if (end === 'retired') retired += 1;
    if (!closed) startForWaiter();
  }

  /** Starts a thread; resolves once it is ready (it is then owned by the caller). */
  async function start(): Promise<SandboxThread> {
    created += 1;
    const thread = new SandboxThread({ id: nextId++, settings: options.settings, host: options.host, log: options.log, graceMs: options.graceMs, onIdle, onGone });
    threads.add(thread);
    await thread.ready;
    return thread;
  }

  /** A slot is free (a thread is gone): start a thread for the next waiter. */
  function startForWaiter(): void {
    if (threads.size >= maxThreads) return;
    const waiter = waiters.shift();
    if (!waiter) return;
    start().then(waiter.resolve, (error: unknown) => {
      waiter.reject(error);
    });
  }

  async function acquire(scope: ErrorScope): Promise<SandboxThread> {
    if (closed) throw engineClosedError(scope);
    const ready = idle.at(-1);
    if (ready) {
      unidle(ready);
      return ready;
    }
    if (threads.size < maxThreads) return start();
    return new Promise<SandboxThread>((resolve, reject) => waiters.push({ resolve, reject, scope }));
  }

  return {
    async run(task, context, scope) {
      const thread = await acquire(scope);
      if (closed) {
        void thread.terminate('closed');
        throw engineClosedError(scope);
      }
      return thread.run({ task, deadline: Date.now() + timeoutMs, context, scope });
    },
    async warmUp() {
      if (threads.size > 0) return;
      onIdle(await start());
    },
    stats: () => ({ total: threads.size, idle: idle.length, waiting: waiters.length, created, terminated, crashed, retired }),
    moduleCounts() {
      const counts = { ...goneModules };
      for (const thread of threads) {
        counts.created += thread.modules.created;
        counts.discarded += thread.modules.discarded;
      }
      return counts;
    },
    async close() {
      closed = true;
      for (const waiter of waiters.splice(0)) waiter.reject(engineClosedError(waiter.scope));
      for (const thread of [...idle]) unidle(thread);
      await Promise.all([...threads].map(thread => thread.terminate('closed')));
    },
  };
}
