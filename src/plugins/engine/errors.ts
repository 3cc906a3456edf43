/**
 * Turns what went wrong inside the sandbox into a {@link PluginError} with an admin-readable
 * message (never a host stack trace).
 */
import { PluginError } from '../types.ts';
import { HOST_ERROR_NAME } from './host-bindings.ts';

/** An error as described inside the VM by the prelude: name, message, line (0 when unknown). */
export interface DescribedError {
  name: string;
  message: string;
  line: number;
}

/** What the messages mention about the call. */
export interface ErrorScope {
  /** e.g. `gateway script gateway-x`. */
  label: string;
  /** The function being called, or `undefined` while loading the script. */
  fn: string | undefined;
  timeoutMs: number;
  memoryLimitMb: number;
  maxStackKb: number;
}

/** Globals that scripts written for Node.js or browsers reach for, and which the sandbox lacks. */
export const FORBIDDEN_GLOBALS: ReadonlySet<string> = new Set([
  'require', 'process', 'module', 'exports', 'global', 'Buffer', '__dirname', '__filename',
  'fetch', 'XMLHttpRequest', 'WebSocket', 'Deno', 'Bun', 'importScripts',
  'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask',
  'console', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'crypto',
]);

/** The module loader's refusal, recognised when it comes back out. */
export const IMPORT_REFUSED = 'import() is not available in plugin scripts';

const NOT_DEFINED = /^'?([A-Za-z_$][\w$]*)'? is not defined$/;

function where(scope: ErrorScope): string {
  return scope.fn === undefined ? `${scope.label} (loading the script)` : `${scope.fn}() of ${scope.label}`;
}

/** The `timeout` error of a call that used up its time limit. */
export function timeoutError(scope: ErrorScope): PluginError {
  return new PluginError('timeout', `${where(scope)} exceeded the time limit of ${scope.timeoutMs} ms`);
}

/** The `memory` error of a call that exhausted its memory. */
export function outOfMemoryError(scope: ErrorScope): PluginError {
  return new PluginError('memory', `${where(scope)} ran out of memory (limit ${scope.memoryLimitMb} MB)`);
}

/** The `memory` error of a call that exhausted its stack. */
export function stackOverflowError(scope: ErrorScope): PluginError {
  return new PluginError('memory', `${where(scope)} overflowed the stack (recursion too deep; stack limit ${scope.maxStackKb} KB)`);
}

/**
 * Classifies an error thrown by the script or the VM.
 * - `InternalError: interrupted` → `timeout`; `out of memory` → `memory`; `stack overflow` → `memory`
 * - `HostError` (a failed host call) → `host_error`
 * - `X is not defined` for a Node/browser global, or a refused `import()` → `forbidden`
 * - anything else → `script_error` with the script's own message
 */
export function classifyScriptError(error: DescribedError, scope: ErrorScope): PluginError {
  const { name, message } = error;
  if (name === 'InternalError' && message === 'interrupted') return timeoutError(scope);
  if (message === 'out of memory') return outOfMemoryError(scope);
  if (message === 'stack overflow' || message.startsWith('Maximum call stack size exceeded')) return stackOverflowError(scope);
  if (name === HOST_ERROR_NAME) return new PluginError('host_error', message);
  if (message === IMPORT_REFUSED) return new PluginError('forbidden', `${where(scope)}: import() is not available in plugin scripts`);
  const missing = name === 'ReferenceError' ? NOT_DEFINED.exec(message) : null;
  if (missing?.[1] && FORBIDDEN_GLOBALS.has(missing[1])) {
    return new PluginError(
      'forbidden',
      `${where(scope)}: ${missing[1]} is not available in plugin scripts (no Node.js or browser APIs; use rustbill_host.*)`,
    );
  }
  return new PluginError('script_error', message === '' ? name : message);
}

/** The `syntax` error of a script that does not compile, with its line. */
export function syntaxError(error: DescribedError, scope: ErrorScope): PluginError {
  const line = error.line > 0 ? ` line ${error.line}` : '';
  return new PluginError('syntax', `${scope.label}${line}: ${error.name}: ${error.message}`);
}

/**
 * Classifies a failure of the WebAssembly code itself (a JavaScript exception out of the FFI):
 * a V8 stack overflow (`RangeError`) is a `memory` (stack) error; a trap with the module's memory
 * nearly exhausted is `memory`; anything else is reported as a sandbox failure (`script_error`).
 */
export function classifyHostFault(error: unknown, scope: ErrorScope, memoryNearlyExhausted: boolean): PluginError {
  if (error instanceof RangeError) return stackOverflowError(scope);
  if (memoryNearlyExhausted) return outOfMemoryError(scope);
  const detail = error instanceof Error ? error.message : String(error);
  return new PluginError('script_error', `${where(scope)} crashed the sandbox (${detail})`);
}

/**
 * The error of a call whose sandbox thread stopped under it (an exception in the thread, or its
 * exit): `memory` when V8 ran the thread out of heap (`ERR_WORKER_OUT_OF_MEMORY`), else `script_error`.
 */
export function threadCrashError(scope: ErrorScope, detail: { code?: string; message: string }): PluginError {
  if (detail.code === 'ERR_WORKER_OUT_OF_MEMORY') return new PluginError('memory', `${where(scope)} exhausted the memory of its sandbox thread`);
  return new PluginError('script_error', `${where(scope)} crashed its sandbox thread (${detail.message})`);
}

/** The error of a call refused or cut off because the engine is closing (a retry elsewhere may work). */
export function engineClosedError(scope: ErrorScope): PluginError {
  return new PluginError('host_error', `${where(scope)} was not run to the end: the plugin engine is shutting down`);
}
