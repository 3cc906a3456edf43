/**
 * The messages between the engine (main thread) and its sandbox threads, over each thread's
 * `parentPort`/`Worker` port. Everything here is structured-clone data.
 *
 * main → thread: `run` (one task at a time), `host-reply` (the answer to a host request).
 * thread → main: `ready` (its first QuickJS module is loaded), `host` (a host call of the running
 * task: HTTP, SMTP, state), `script-log` (`rustbill_host.log_*`), `log` (the sandbox's own log
 * lines), `done` (the task's outcome and the thread's module counters).
 */
import type { EmailMessage, OutboundRequest, PluginErrorKind, PluginType, SmtpConfig } from '../types.ts';
import { PluginError } from '../types.ts';

/** What a thread is given at start (`workerData`). */
export interface ThreadSettings {
  /** The compiled QuickJS binary (a `WebAssembly.Module`, quickjs-binary.ts). */
  wasmModule: object;
  /** Time limit of a call in ms (for messages; the deadline itself comes with each task). */
  timeoutMs: number;
  memoryLimitMb: number;
  maxStackKb: number;
}

/** A script inspection (the contract check) or a function call, as a thread runs it. */
export type ThreadTask =
  | { kind: 'inspect'; pluginType: PluginType; pluginId: string; source: string }
  | { kind: 'call'; pluginType: PluginType; pluginId: string; interfaceId: string; source: string; fn: string; argJson: string };

/** `run`: start `task`; `deadline` is the epoch ms at which the main thread fails it. */
export interface RunMessage {
  type: 'run';
  job: number;
  deadline: number;
  task: ThreadTask;
}

/** A host call the thread asks the main thread to make (the interface comes from the task). */
export type HostRequest =
  | { op: 'http'; request: Omit<OutboundRequest, 'signal'> }
  | { op: 'smtpSend'; config: SmtpConfig; email: EmailMessage }
  | { op: 'stateGet'; key: string }
  | { op: 'stateSet'; key: string; value: string };

/** An HTTP answer in transit: the body travels once, as bytes (the thread decodes the text). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  bodyBytes: Uint8Array;
}

/** `host`: a host call of job `job`, answered by a `host-reply` with the same `request` number. */
export interface HostMessage {
  type: 'host';
  job: number;
  request: number;
  call: HostRequest;
}

/** `host-reply`: the value (`HttpAnswer` for http, a string for stateGet, nothing otherwise) or the failure's message. */
export type HostReplyMessage =
  | { type: 'host-reply'; job: number; request: number; ok: true; value: HttpAnswer | string | undefined }
  | { type: 'host-reply'; job: number; request: number; ok: false; message: string };

/** An error crossing the thread boundary; `kind` is set for a {@link PluginError}. */
export interface ErrorData {
  kind?: PluginErrorKind;
  name: string;
  message: string;
}

/** QuickJS modules a thread created and dropped so far. */
export interface ModuleCounts {
  created: number;
  discarded: number;
}

/** `done`: the outcome of job `job`. */
export type DoneMessage =
  | { type: 'done'; job: number; modules: ModuleCounts; ok: true; value: unknown }
  | { type: 'done'; job: number; modules: ModuleCounts; ok: false; error: ErrorData };

/** Everything a thread sends. */
export type ThreadMessage =
  | { type: 'ready'; modules: ModuleCounts }
  | HostMessage
  | { type: 'script-log'; job: number; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string }
  | DoneMessage;

/** Everything the main thread sends. */
export type MainMessage = RunMessage | HostReplyMessage;

const KINDS: Record<PluginErrorKind, true> = {
  syntax: true,
  contract: true,
  timeout: true,
  memory: true,
  forbidden: true,
  script_error: true,
  host_error: true,
};

function isKind(value: unknown): value is PluginErrorKind {
  return typeof value === 'string' && Object.hasOwn(KINDS, value);
}

/** An error as data for {@link decodeError} on the other side. */
export function encodeError(error: unknown): ErrorData {
  if (error instanceof PluginError) return { kind: error.kind, name: error.name, message: error.message };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The error back: a {@link PluginError} of the same kind and message, or an `Error` with the name and message. */
export function decodeError(data: ErrorData): Error {
  if (isKind(data.kind)) return new PluginError(data.kind, data.message);
  const error = new Error(data.message);
  error.name = data.name;
  return error;
}

/** True for an object with a string `type` (what both sides send); the sender is our own code. */
export function hasMessageType(value: unknown): value is { type: string } {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'type') === 'string';
}

/**
 * The transfer list for `bytes`: its buffer when the view covers all of it (moved, not copied),
 * otherwise none (copied).
 */
export function transferableBytes(bytes: Uint8Array): ArrayBuffer[] {
  const { buffer } = bytes;
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength ? [buffer] : [];
}
