/**
 * In the main thread: one sandbox thread (a `worker_threads` Worker running thread-entry.ts) and
 * the one task it runs at a time.
 *
 * The main thread owns the task's deadline. At the deadline the task fails with PluginError
 * `timeout` whether or not the thread answers, the host calls it has in flight are aborted (their
 * `AbortSignal`) and their answers, like anything else the thread sends for that task (a late
 * result, more host calls, log lines), are ignored. The thread normally reports back within
 * milliseconds (QuickJS's interrupt handler stops the script at the same deadline); if it has not
 * within `graceMs`, it is stuck in WebAssembly that never returns to the interrupt handler (a
 * huge BigInt `toString`, say) and is terminated — `worker.terminate()` stops running WebAssembly.
 * A thread that crashes or exits fails its task with a PluginError saying so.
 */
import { AsyncResource } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import type { HostServices, PluginCallContext, PluginError } from '../types.ts';
import { engineClosedError, threadCrashError, timeoutError, type ErrorScope } from './errors.ts';
import { relayHostCall } from './host-relay.ts';
import {
  decodeError,
  hasMessageType,
  type HostMessage,
  type MainMessage,
  type ModuleCounts,
  type ThreadMessage,
  type ThreadSettings,
  type ThreadTask,
} from './protocol.ts';
import type { EngineLogger } from './sandbox.ts';

/**
 * Why a thread is gone: `terminated` (its task overran the deadline and the grace), `crashed`
 * (it stopped on its own), `retired` (stopped after being idle), `closed` (the engine closed).
 */
export type ThreadEnd = 'terminated' | 'crashed' | 'retired' | 'closed';

/** Options of {@link SandboxThread}. */
export interface SandboxThreadOptions {
  /** Sequence number, for logs. */
  id: number;
  settings: ThreadSettings;
  /** The real host services the thread's host calls are made with. */
  host: HostServices;
  log: EngineLogger;
  /** How long after a task's deadline the thread may take to report back before it is terminated, in ms. */
  graceMs: number;
  /** Called when the thread has reported its task done and can take the next one. */
  onIdle(thread: SandboxThread): void;
  /** Called once when the thread is gone; its task, if any, has been failed. */
  onGone(thread: SandboxThread, end: ThreadEnd): void;
}

/** One task as {@link SandboxThread.run} takes it. */
export interface ThreadJob {
  task: ThreadTask;
  /** Epoch ms at which the task fails with `timeout`. */
  deadline: number;
  /** The call's identity for host calls and logs. */
  context: PluginCallContext;
  /** For the messages of the errors made here (timeout, crash, shutdown). */
  scope: ErrorScope;
}

interface RunningJob extends ThreadJob {
  id: number;
  /** Set once the caller has its outcome; the thread may still be busy with the task. */
  settled: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
  controller: AbortController | undefined;
  deadlineTimer: NodeJS.Timeout | undefined;
  graceTimer: NodeJS.Timeout | undefined;
  /** The caller's async context: the task's host calls run in it (its trace span, its log fields). */
  callerScope: AsyncResource;
}

const ENTRY = new URL('./thread-entry.ts', import.meta.url);
/**
 * The thread's stack in MiB: about the main thread's V8 stack (984 KiB), which the sandbox was
 * built and tested with. With Node's 4 MiB default for workers, deep native recursion in QuickJS
 * (JSON.stringify of a deeply nested object) runs for seconds before QuickJS's own check stops it,
 * instead of hitting V8's stack limit within milliseconds.
 */
const THREAD_STACK_MB = 1;

function errorCode(error: Error | undefined): string | undefined {
  const code: unknown = error ? Reflect.get(error, 'code') : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** See the file comment. */
export class SandboxThread {
  readonly id: number;
  /** Resolves once the thread has loaded its first QuickJS module. @throws Error when it cannot start */
  readonly ready: Promise<void>;
  /** The thread's QuickJS module counters, as last reported. */
  modules: ModuleCounts = { created: 0, discarded: 0 };
  private readonly options: SandboxThreadOptions;
  private readonly worker: Worker;
  private job: RunningJob | undefined;
  private nextJob = 1;
  private alive = true;
  private ending: ThreadEnd | undefined;
  private lastError: Error | undefined;
  private readonly exited: Promise<void>;

  /** Starts the thread (see {@link SandboxThread.ready}). */
  constructor(options: SandboxThreadOptions) {
    this.options = options;
    this.id = options.id;
    this.worker = new Worker(ENTRY, { workerData: options.settings, resourceLimits: { stackSizeMb: THREAD_STACK_MB } });
    let started: () => void = () => undefined;
    let failed: (error: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: unknown) => {
      if (!hasMessageType(message)) return;
      const typed = message as ThreadMessage;
      if (typed.type === 'ready') {
        this.modules = typed.modules;
        this.worker.unref();
        started();
      } else this.receive(typed);
    });
    this.worker.on('error', (error: Error) => {
      this.lastError = error;
    });
    this.worker.on('messageerror', (error: Error) => {
      this.lastError = error;
      void this.terminate('crashed');
    });
    this.exited = new Promise<void>(resolve => {
      this.worker.once('exit', code => {
        this.alive = false;
        const detail = this.lastError?.message ?? `exit code ${code}`;
        failed(new Error(`the plugin sandbox thread did not start: ${detail}`));
        this.gone(this.ending ?? 'crashed', code);
        resolve();
      });
    });
  }

  /** True while the thread runs a task (also past the task's deadline, until it reports back or is terminated). */
  get busy(): boolean {
    return this.job !== undefined;
  }

  /**
   * Runs `job` (the thread must be ready and idle). Resolves with the task's value, as plain data.
   * @throws PluginError the task's own (any kind, with its message), `timeout` at the deadline, a
   *   crash error when the thread stops, `host_error` when the engine closes meanwhile
   */
  run(job: ThreadJob): Promise<unknown> {
    if (this.job) throw new Error(`sandbox thread ${this.id} is already running a task`);
    if (!this.alive) return Promise.reject(threadCrashError(job.scope, { message: 'the thread had already stopped' }));
    return new Promise<unknown>((resolve, reject) => {
      const running: RunningJob = { ...job, id: this.nextJob++, settled: false, resolve, reject, controller: undefined, deadlineTimer: undefined, graceTimer: undefined, callerScope: new AsyncResource('nodebill.plugin-task') };
      this.job = running;
      this.worker.ref();
      this.post({ type: 'run', job: running.id, deadline: job.deadline, task: job.task });
      running.deadlineTimer = setTimeout(() => this.overrun(running), Math.max(0, job.deadline - Date.now()));
    });
  }

  /** Stops the thread; a task it runs fails (`timeout` already given, or the engine-closed error). Resolves once it has exited. */
  terminate(end: ThreadEnd): Promise<void> {
    if (this.alive && this.ending === undefined) {
      this.ending = end;
      void this.worker.terminate();
    }
    return this.exited;
  }

  private post(message: MainMessage, transfer: ArrayBuffer[] = []): void {
    if (this.alive) this.worker.postMessage(message, transfer);
  }

  /** The job `id` if it is running and its caller still waits for it. */
  private active(id: number): RunningJob | undefined {
    const job = this.job;
    return job !== undefined && job.id === id && !job.settled ? job : undefined;
  }

  private receive(message: ThreadMessage): void {
    switch (message.type) {
      case 'host':
        this.hostCall(message);
        return;
      case 'script-log': {
        const job = this.active(message.job);
        if (job) this.options.host.log(message.level, message.message, job.context);
        return;
      }
      case 'log':
        this.options.log[message.level]({ ...message.fields, thread: this.id }, message.message);
        return;
      case 'done': {
        const job = this.job;
        if (job === undefined || job.id !== message.job) return;
        this.modules = message.modules;
        // A report that comes in at or after the deadline (before the deadline timer ran) is late too.
        if (Date.now() >= job.deadline) this.settle(job, timeoutError(job.scope));
        else if (message.ok) this.settle(job, undefined, message.value);
        else this.settle(job, decodeError(message.error));
        clearTimeout(job.deadlineTimer);
        clearTimeout(job.graceTimer);
        this.job = undefined;
        this.worker.unref();
        this.options.onIdle(this);
        return;
      }
      case 'ready':
        return;
    }
  }

  private hostCall(message: HostMessage): void {
    const job = this.active(message.job);
    if (!job) return;
    job.controller ??= new AbortController();
    const scope = { host: this.options.host, context: job.context, stateAvailable: job.task.kind === 'call', signal: job.controller.signal };
    job.callerScope.runInAsyncScope(() => relayHostCall(scope, message.call)).then(
      answer => {
        if (this.active(job.id)) this.post({ type: 'host-reply', job: job.id, request: message.request, ok: true, value: answer.value }, answer.transfer);
      },
      (error: unknown) => {
        const text = error instanceof Error ? error.message : String(error);
        if (this.active(job.id)) this.post({ type: 'host-reply', job: job.id, request: message.request, ok: false, message: text });
      },
    );
  }

  /** Gives the caller its outcome (once) and aborts the host calls still in flight. */
  private settle(job: RunningJob, error: Error | undefined, value?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    job.controller?.abort(new Error('the plugin call has ended'));
    if (error) job.reject(error);
    else job.resolve(value);
  }

  /** The deadline passed without a report: fail the task now, terminate the thread if it stays silent. */
  private overrun(job: RunningJob): void {
    if (this.job !== job) return;
    this.settle(job, timeoutError(job.scope));
    job.graceTimer = setTimeout(() => {
      if (this.job !== job) return;
      this.options.log.warn(
        { thread: this.id, pluginType: job.context.pluginType, pluginId: job.context.pluginId, interfaceId: job.context.interfaceId, graceMs: this.options.graceMs },
        'plugin call did not stop at its deadline; terminating its sandbox thread',
      );
      void this.terminate('terminated');
    }, this.options.graceMs);
  }

  private gone(end: ThreadEnd, code: number): void {
    const job = this.job;
    this.job = undefined;
    if (job) {
      clearTimeout(job.deadlineTimer);
      clearTimeout(job.graceTimer);
      const error: PluginError =
        end === 'closed' ? engineClosedError(job.scope) : threadCrashError(job.scope, { code: errorCode(this.lastError), message: this.lastError?.message ?? `exit code ${code}` });
      this.settle(job, error);
    }
    if (end === 'crashed') this.options.log.error({ thread: this.id, code, err: this.lastError?.message }, 'plugin sandbox thread stopped unexpectedly');
    this.options.onGone(this, end);
  }
}
