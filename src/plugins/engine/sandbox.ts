/**
 * One sandboxed session, inside a sandbox thread: a fresh QuickJS context in a leased module
 * (module-pool.ts) with the call's time, memory and stack limits, the prelude (prelude.ts) and host bindings (host-bindings.ts), in which
 * a script is loaded and its functions called. All script code runs through `evalCodeAsync` or the
 * asyncify-aware job runner, so asyncified host functions may be reached from anywhere (top level,
 * `async` functions after an `await`, getters); the host side only reads primitive handles and
 * never runs script code through a synchronous FFI call.
 */
import type { QuickJSAsyncContext, QuickJSHandle } from 'quickjs-emscripten';
import { PluginError, type HostServices, type PluginCallContext } from '../types.ts';
import {
  classifyHostFault,
  classifyScriptError,
  outOfMemoryError,
  syntaxError,
  timeoutError,
  type DescribedError,
  type ErrorScope,
} from './errors.ts';
import { createRawHostObject } from './host-bindings.ts';
import type { ModulePool, PooledModule } from './module-pool.ts';
import { INSPECT_SOURCE, PRELUDE_SOURCE } from './prelude.ts';

/** The engine's log: pino, or anything with its `(fields, message)` level methods. Fields must be plain data. */
export interface EngineLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Limits and identity of one session. */
export interface SessionOptions {
  host: HostServices;
  context: PluginCallContext;
  /** Script file name used in VM stack traces and messages, e.g. `gateway-x.js`. */
  filename: string;
  /** e.g. `gateway script gateway-x`. */
  label: string;
  /** Epoch ms at which the call's time limit ends (set by the main thread, which enforces it too). */
  deadline: number;
  /** The time limit in ms, for messages. */
  timeoutMs: number;
  memoryLimitMb: number;
  maxStackKb: number;
  /** Whether `state_get`/`state_set` are allowed (not while inspecting). */
  stateAvailable: boolean;
  log: EngineLogger;
}

/** What can be done in a session. Every method throws {@link PluginError}. */
export interface Session {
  /** Fails with `syntax` (and the line) when `source` does not compile; runs nothing. */
  checkSyntax(source: string): Promise<void>;
  /** Runs the script's top level. */
  loadScript(source: string): Promise<void>;
  /** Names of the script's global functions, plus those `candidates` that are (e.g. `const f = …`) functions. */
  definedFunctions(candidates: readonly string[]): Promise<string[]>;
  /**
   * Calls global function `fn` with `(JSON.parse(argJson), undefined)`, awaits a returned promise
   * and returns the result as plain data (via JSON inside the VM).
   */
  invoke(fn: string, argJson: string): Promise<unknown>;
}

/** Extra time granted to describe an error after the script failed (before its deadline). */
const DESCRIBE_GRACE_MS = 100;

/** `__rustbill.call` found no such function (turned into a `contract` error by `invoke`). */
class MissingFunctionError extends Error {}

/** A host-side failure that already has its {@link PluginError}. */
function isPluginError(error: unknown): error is PluginError {
  return error instanceof PluginError;
}

/** The session's time limit, shared with the interrupt handler and the host bindings. */
interface Clock {
  /** Epoch ms at which the call's time limit ends. */
  deadline: number;
  /** When the interrupt handler stops the VM: the deadline, or earlier while describing an error. */
  interruptAt: number;
}

interface SessionState {
  vm: QuickJSAsyncContext;
  module: PooledModule;
  options: SessionOptions;
  clock: Clock;
  /** Set when the module must not be reused (out of memory, crashed WebAssembly, watchdog). */
  poisoned: boolean;
  fn: string | undefined;
}

function errorScope(state: SessionState): ErrorScope {
  const { options } = state;
  return { label: options.label, fn: state.fn, timeoutMs: options.timeoutMs, memoryLimitMb: options.memoryLimitMb, maxStackKb: options.maxStackKb };
}

function memoryNearlyExhausted(module: PooledModule, memoryLimitBytes: number): boolean {
  return module.maxBytes - module.usedBytes() < Math.max(4 * 1024 * 1024, memoryLimitBytes / 4);
}

/** Wraps a host-side (FFI) failure: the module is poisoned and the error classified. */
function hostFault(state: SessionState, error: unknown): PluginError {
  if (isPluginError(error)) return error;
  state.poisoned = true;
  const nearlyFull = memoryNearlyExhausted(state.module, state.options.memoryLimitMb * 1024 * 1024);
  state.options.log.warn({ err: error instanceof Error ? error.message : String(error), module: state.module.id, fn: state.fn }, 'plugin sandbox module failed');
  return classifyHostFault(error, errorScope(state), nearlyFull);
}

function readString(vm: QuickJSAsyncContext, handle: QuickJSHandle): string | undefined {
  return vm.typeof(handle) === 'string' ? vm.getString(handle) : undefined;
}

async function evaluate(state: SessionState, code: string, filename: string): Promise<QuickJSHandle> {
  const { vm } = state;
  let result;
  try {
    result = await vm.evalCodeAsync(code, filename, { type: 'global' });
  } catch (error) {
    throw hostFault(state, error);
  }
  if (result.error) {
    const error = await describeThrown(state, result.error);
    throw error;
  }
  return result.value;
}

/** Describes a thrown VM value (consumed) and classifies it. */
async function describeThrown(state: SessionState, thrown: QuickJSHandle): Promise<PluginError> {
  const described = await describeHandle(state, thrown);
  return classifyDescribed(state, described);
}

function classifyDescribed(state: SessionState, described: DescribedError | undefined): PluginError {
  const scope = errorScope(state);
  if (Date.now() >= state.clock.deadline) return timeoutError(scope);
  // Near the cap, QuickJS may fail to even build its "out of memory" error (a bare Error, or none).
  const nearlyFull = memoryNearlyExhausted(state.module, state.options.memoryLimitMb * 1024 * 1024);
  if (nearlyFull) state.poisoned = true;
  if (described === undefined || (nearlyFull && described.message === '')) {
    if (nearlyFull) return outOfMemoryError(scope);
    const where = scope.fn === undefined ? scope.label : `${scope.fn}() of ${scope.label}`;
    return new PluginError('script_error', `${where} failed with an error that cannot be described`);
  }
  const error = classifyScriptError(described, scope);
  if (error.kind === 'memory') state.poisoned = true;
  return error;
}

/**
 * Describes a VM value thrown out of `evalCodeAsync` or a rejected promise (the handle is
 * consumed). The value is parked in a read-only slot and described by prelude code, so its getters
 * run inside the VM under the interrupt handler. Returns undefined when that is impossible.
 */
async function describeHandle(state: SessionState, thrown: QuickJSHandle): Promise<DescribedError | undefined> {
  const { vm } = state;
  try {
    if (Date.now() >= state.clock.deadline) return undefined;
    vm.setProp(vm.global, '__rustbill_slot', thrown);
  } catch (error) {
    throw hostFault(state, error);
  } finally {
    if (thrown.alive) thrown.dispose();
  }
  state.clock.interruptAt = Math.min(state.clock.deadline, Date.now() + DESCRIBE_GRACE_MS);
  try {
    const result = await vm.evalCodeAsync('__rustbill.describeSlot()', 'rustbill-engine.js', { type: 'global' });
    if (result.error) {
      result.error.dispose();
      return undefined;
    }
    const text = result.value.consume(handle => readString(vm, handle));
    return text === undefined ? undefined : parseDescribed(text);
  } catch (error) {
    throw hostFault(state, error);
  } finally {
    state.clock.interruptAt = state.clock.deadline;
  }
}

function parseDescribed(text: string): DescribedError | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object') return undefined;
    const { name, message, line } = value as Record<string, unknown>;
    return {
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : '',
      line: typeof line === 'number' ? line : 0,
    };
  } catch {
    return undefined;
  }
}

/** Promise jobs run per FFI call; the deadline is checked between batches. */
const JOB_BATCH = 64;

/** Settles a VM value that may be a promise; returns the fulfilled value's string, or throws. */
async function settle(state: SessionState, handle: QuickJSHandle): Promise<string | undefined> {
  const { vm, module } = state;
  if (vm.typeof(handle) !== 'object') {
    const text = readString(vm, handle);
    handle.dispose();
    return text;
  }
  let promiseState;
  try {
    promiseState = vm.getPromiseState(handle);
    while (promiseState.type === 'pending' && module.runtime.hasPendingJob() && Date.now() < state.clock.deadline) {
      await module.runPendingJobs(JOB_BATCH);
      promiseState = vm.getPromiseState(handle);
    }
  } catch (error) {
    handle.dispose();
    throw hostFault(state, error);
  }
  if (promiseState.type === 'fulfilled' && promiseState.notAPromise) {
    handle.dispose();
    throw classifyDescribed(state, undefined);
  }
  handle.dispose();
  if (promiseState.type === 'pending') {
    if (Date.now() >= state.clock.deadline) throw timeoutError(errorScope(state));
    throw new PluginError('script_error', `${state.fn}() of ${state.options.label} returned a promise that never settled`);
  }
  if (promiseState.type === 'rejected') throw await describeThrown(state, promiseState.error);
  return promiseState.value.consume(value => readString(vm, value));
}

/** Job batches run to drain what a call left behind before its context is disposed. */
const DRAIN_BATCHES = 16;

/**
 * Ends a session: leftover promise jobs are run with the interrupt handler firing at once (a
 * context must not be freed while jobs reference it), then the context is disposed. If jobs keep
 * coming, or anything fails, the module is poisoned instead (and dropped with everything in it).
 */
async function closeSession(state: SessionState): Promise<void> {
  const { vm, module } = state;
  if (state.poisoned) return;
  try {
    state.clock.interruptAt = 0;
    for (let batch = 0; batch < DRAIN_BATCHES && module.runtime.hasPendingJob(); batch++) await module.runPendingJobs(JOB_BATCH);
    if (module.runtime.hasPendingJob()) {
      state.poisoned = true;
      return;
    }
    vm.dispose();
  } catch (error) {
    state.poisoned = true;
    state.options.log.warn({ err: error instanceof Error ? error.message : String(error), module: module.id }, 'plugin sandbox context could not be closed');
  }
}

function protocolResult(state: SessionState, text: string | undefined): unknown {
  let parsed: unknown;
  try {
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object') throw classifyDescribed(state, undefined);
  const record = parsed as Record<string, unknown>;
  if (record.ok === true) return record.v;
  const described = parseDescribed(JSON.stringify(record.e));
  if (described?.name === '__RustbillMissingFunction') throw new MissingFunctionError(described.message);
  throw classifyDescribed(state, described);
}

function createSession(state: SessionState): Session {
  const { vm } = state;
  return {
    async checkSyntax(source) {
      let result;
      try {
        result = await vm.evalCodeAsync(source, state.options.filename, { type: 'global', compileOnly: true });
      } catch (error) {
        throw hostFault(state, error);
      }
      if (!result.error) {
        result.value.dispose();
        return;
      }
      const described = await describeHandle(state, result.error);
      if (described?.name === 'SyntaxError') throw syntaxError(described, errorScope(state));
      throw classifyDescribed(state, described);
    },
    async loadScript(source) {
      state.fn = undefined;
      const value = await evaluate(state, source, state.options.filename);
      value.dispose();
    },
    async definedFunctions(candidates) {
      state.fn = undefined;
      const handle = await evaluate(state, `(${INSPECT_SOURCE})(${JSON.stringify(JSON.stringify(candidates))})`, 'rustbill-engine.js');
      const text = handle.consume(value => readString(vm, value));
      const names: unknown = text === undefined ? [] : JSON.parse(text);
      return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : [];
    },
    async invoke(fn, argJson) {
      state.fn = fn;
      const handle = await evaluate(state, `__rustbill.call(${JSON.stringify(fn)}, ${JSON.stringify(argJson)})`, 'rustbill-engine.js');
      const text = await settle(state, handle);
      try {
        return protocolResult(state, text);
      } catch (error) {
        if (error instanceof MissingFunctionError) {
          throw new PluginError('contract', `${state.options.label} has no function ${fn}`);
        }
        throw error;
      }
    },
  };
}

/** Creates the context, limits and host bindings of a session. */
function openContext(module: PooledModule, options: SessionOptions, clock: Clock): QuickJSAsyncContext {
  const { runtime } = module;
  runtime.setMemoryLimit(options.memoryLimitMb * 1024 * 1024);
  runtime.setMaxStackSize(options.maxStackKb * 1024);
  runtime.setInterruptHandler(() => Date.now() > clock.interruptAt);
  const vm = module.newContext();
  const raw = createRawHostObject(vm, {
    host: options.host,
    context: options.context,
    deadline: () => clock.deadline,
    stateAvailable: options.stateAvailable,
  });
  vm.setProp(vm.global, '__rustbill_raw', raw);
  raw.dispose();
  return vm;
}

/**
 * Runs `work` in a fresh session on a module leased from `pool`, then closes the context and
 * returns the module (dropped if it was poisoned). The interrupt handler and host waits stop at
 * `options.deadline`. Nothing here can stop WebAssembly code that never returns to the interrupt
 * handler: the main thread enforces the deadline and terminates the whole thread (thread-pool.ts).
 * @throws PluginError from `work`
 */
export async function withSession<T>(pool: ModulePool, options: SessionOptions, work: (session: Session) => Promise<T>): Promise<T> {
  const module = await pool.acquire();
  const clock: Clock = { deadline: options.deadline, interruptAt: options.deadline };
  let vm: QuickJSAsyncContext;
  try {
    vm = openContext(module, options, clock);
  } catch (error) {
    pool.release(module, false);
    const scope: ErrorScope = { label: options.label, fn: undefined, timeoutMs: options.timeoutMs, memoryLimitMb: options.memoryLimitMb, maxStackKb: options.maxStackKb };
    throw classifyHostFault(error, scope, false);
  }
  const state: SessionState = { vm, module, options, clock, poisoned: false, fn: undefined };
  try {
    const prelude = await evaluate(state, PRELUDE_SOURCE, 'rustbill-prelude.js');
    prelude.dispose();
    return await work(createSession(state));
  } finally {
    await closeSession(state);
    pool.release(module, !state.poisoned);
  }
}
