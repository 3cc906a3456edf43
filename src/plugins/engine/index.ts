/**
 * The sandboxed plugin engine: JavaScript plugin scripts run in QuickJS (WebAssembly), a fresh
 * context per call with time, memory and stack limits, and no Node.js, file system or network
 * except `rustbill_host.*` through {@link HostServices}.
 *
 * Script format: a plain script (not a module) declaring top-level functions, e.g.
 * `function config_schema(config) { return {...} }` or
 * `async function create_payment(merged) { const body = rustbill_host.http_post(...); ... }`.
 * Host functions look synchronous to the script (asyncify); `async` functions are awaited.
 * Each function gets one argument, the interface config merged with the call's arguments
 * (`{...config, ...args}`), plus `undefined` for `(config, _unused)` signatures.
 *
 * Host API (`rustbill_host`): log_info/log_warn/log_error(msg); http_get(url) → body;
 * http_post(url, body, content_type) → body; http_post_bytes(url, body_base64_or_bytes
 * [, content_type = "application/grpc-web+proto"[, headers]]) → response body as base64;
 * http_request_bytes(method, url, body_base64_or_bytes, content_type, headers) →
 * '{"status":…,"headers":{…},"body_base64":"…"}' (NodeBill addition, for gRPC-Web status headers);
 * http_post_with_headers(url, body, content_type, headers_json_or_object) → body;
 * http_request_with_cert(method, url, body, content_type, cert_json_or_object) →
 * '{"status":200,"headers":{…},"body":"…"}'; md5_hex, sha256_hex, hmac_sha256_hex(key, msg);
 * smtp_send(config_json_or_object, email_json_or_object); state_get(key) → string ('' when unset),
 * state_set(key, value) (namespaced by interface); json_get(json_or_object, path),
 * json_array_len(json_or_object, path), json_stringify(value); base64_encode(string_or_bytes),
 * base64_decode(b64) → UTF-8 string, base64_decode_bytes(b64) → Uint8Array; url_encode(s).
 *
 * Threads: plugin code never runs on the caller's event loop. Every inspection and call runs in
 * a sandbox thread (`worker_threads`, thread-pool.ts) that owns its QuickJS WebAssembly module and
 * runs one call at a time (an asyncified module allows only one suspended host call anyway): up
 * to `maxConcurrentCalls` calls run at once, the rest wait in FIFO order. The threads' HTTP, SMTP
 * and state calls are made here, with the real {@link HostServices} (host-relay.ts); hashing,
 * JSON and base64 helpers stay in the thread. This thread owns each call's deadline: it fails the
 * call with `timeout` at the deadline even if the thread never answers, aborts the call's host
 * calls, ignores whatever the thread sends for it later, and terminates a thread that does not
 * report back shortly after (sandbox-thread.ts). The caches (inspection results, validated
 * interfaces) live only here; threads keep nothing between calls, so `evict` reaches everything.
 */
import type { HostServices, PluginEngine, PluginMetadata, PluginTarget, PluginType } from '../types.ts';
import { PluginError } from '../types.ts';
import { createScriptCache, interfaceHash, scriptHash } from './cache.ts';
import { errorFromResult, scriptLabel } from './contracts.ts';
import type { ErrorScope } from './errors.ts';
import type { ModuleCounts } from './protocol.ts';
import { compiledQuickJs } from './quickjs-binary.ts';
import type { EngineLogger } from './sandbox.ts';
import { createThreadPool, type ThreadPoolStats } from './thread-pool.ts';

export type { EngineLogger } from './sandbox.ts';
export type { ModuleCounts } from './protocol.ts';
export type { ThreadPoolStats } from './thread-pool.ts';
export { jsonArrayLen, jsonGet, parseJsonPath } from './json-path.ts';

/** Options of {@link createPluginEngine}. */
export interface PluginEngineOptions {
  host: HostServices;
  /**
   * Wall-clock limit of one call or inspection in ms, counted from when it gets a sandbox thread:
   * script execution plus the host calls it makes (an HTTP request gets the remaining time as its
   * timeout and its abort signal fires at the deadline).
   */
  callTimeoutMs: number;
  /** Heap a call may grow its sandbox by, in MiB (on top of QuickJS's fixed 16 MiB base). */
  memoryLimitMb: number;
  /** QuickJS stack limit in KiB (default 256, about 1,300 nested JavaScript calls). */
  maxStackKb?: number;
  /** Calls that run at once, one sandbox thread (and WebAssembly module) each (default 8); more wait in a queue. */
  maxConcurrentCalls?: number;
  /**
   * How long past a call's deadline its thread may take to report back before it is terminated
   * and replaced, in ms (default 1000). The call itself fails at the deadline.
   */
  terminateGraceMs?: number;
  /** How long a sandbox thread may stay idle before it is stopped (the last one is kept), in ms (default 60,000). */
  idleThreadMs?: number;
  log: EngineLogger;
}

/** Counters of the engine, for metrics and tests. */
export interface PluginEngineStats {
  threads: ThreadPoolStats;
  /** QuickJS modules created and discarded (out of memory, crashed, grown too large, or lost with their thread) in all threads. */
  modules: ModuleCounts;
  cachedScripts: number;
  cachedInterfaces: number;
  calls: number;
  failedCalls: number;
}

/** The engine plus its counters and its end. */
export interface SandboxedPluginEngine extends PluginEngine {
  stats(): PluginEngineStats;
  /**
   * Terminates the sandbox threads. Calls still running or waiting fail with PluginError
   * `host_error` ("the plugin engine is shutting down"), and so do later calls. Idempotent.
   */
  close(): Promise<void>;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const DEFAULT_MAX_STACK_KB = 256;
const DEFAULT_MAX_CONCURRENT_CALLS = 8;
const DEFAULT_TERMINATE_GRACE_MS = 1000;
const DEFAULT_IDLE_THREAD_MS = 60_000;

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * Creates the engine: compiles QuickJS once (threads get the compiled module) and starts one
 * sandbox thread up front, so a broken installation fails here.
 *
 * `inspect` and `call` behave as {@link PluginEngine} documents; in detail:
 * - inspect: syntax check (PluginError `syntax` with the line), top level run, contract check
 *   (`contract`, naming every missing function), `version()` (absent → "0.0.0"),
 *   `config_schema({})` (an object, or a JSON string parsed to one). Results are cached by a hash
 *   of type, id and source.
 * - call: validates the interface's script on first use and whenever its source or config hash
 *   changes (hot reload), then runs `fn({...config, ...args}, undefined)` in a fresh context. An
 *   unknown `fn` is `contract`; a returned "ERROR: …" string or a thrown error is `script_error`;
 *   an uncaught failed host call is `host_error`; `require`/`process`/`fetch`/`import()` and the
 *   like are `forbidden`; the time limit gives `timeout`; the memory or stack limit `memory`.
 *
 *   A call's deadline is `callTimeoutMs` after it got a thread; waiting for one is not counted.
 *   At the deadline the call fails with `timeout` even if the script never yields (its thread is
 *   terminated `terminateGraceMs` later if it has not stopped by then). A call whose thread
 *   crashes fails with `script_error` (`memory` when the thread ran out of heap); after
 *   {@link SandboxedPluginEngine.close}, calls fail with `host_error`.
 *
 * @throws RangeError when a limit is not a positive number; Error when QuickJS or a thread cannot be loaded
 */
export async function createPluginEngine(options: PluginEngineOptions): Promise<SandboxedPluginEngine> {
  const timeoutMs = positive(options.callTimeoutMs, 'callTimeoutMs');
  const memoryLimitMb = positive(options.memoryLimitMb, 'memoryLimitMb');
  const maxStackKb = positive(options.maxStackKb ?? DEFAULT_MAX_STACK_KB, 'maxStackKb');
  const maxThreads = Math.floor(positive(options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS, 'maxConcurrentCalls'));
  const graceMs = positive(options.terminateGraceMs ?? DEFAULT_TERMINATE_GRACE_MS, 'terminateGraceMs');
  const idleThreadMs = positive(options.idleThreadMs ?? DEFAULT_IDLE_THREAD_MS, 'idleThreadMs');
  const { host, log } = options;
  const settings = { wasmModule: await compiledQuickJs(), timeoutMs, memoryLimitMb, maxStackKb };
  const pool = createThreadPool({ maxThreads, timeoutMs, graceMs, idleThreadMs, settings, host, log });
  try {
    await pool.warmUp();
  } catch (error) {
    await pool.close();
    throw error;
  }

  const cache = createScriptCache();
  const inspecting = new Map<string, Promise<PluginMetadata>>();
  let calls = 0;
  let failedCalls = 0;

  function scopeOf(pluginType: PluginType, pluginId: string, fn: string | undefined): ErrorScope {
    return { label: scriptLabel(pluginType, pluginId), fn, timeoutMs, memoryLimitMb, maxStackKb };
  }

  function inspect(pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata> {
    const hash = scriptHash(pluginType, pluginId, source);
    const cached = cache.getScript(hash);
    if (cached) return Promise.resolve(cached);
    const running = inspecting.get(hash);
    if (running) return running;
    const started = performance.now();
    const work = pool.run({ kind: 'inspect', pluginType, pluginId, source }, { interfaceId: '', pluginType, pluginId }, scopeOf(pluginType, pluginId, undefined)).then(
      value => {
        const metadata = value as PluginMetadata;
        cache.setScript(hash, metadata);
        log.debug({ pluginType, pluginId, version: metadata.version, ms: performance.now() - started }, 'plugin script inspected');
        return metadata;
      },
      (error: unknown) => {
        log.debug({ pluginType, pluginId, err: error instanceof Error ? error.message : String(error) }, 'plugin script rejected');
        throw error;
      },
    );
    inspecting.set(hash, work);
    const forget = (): void => {
      inspecting.delete(hash);
    };
    work.then(forget, forget);
    return work;
  }

  async function call(target: PluginTarget, fn: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const { interfaceId, pluginType, pluginId, source, config } = target;
    const label = scriptLabel(pluginType, pluginId);
    if (!IDENTIFIER.test(fn)) throw new PluginError('contract', `${label} has no function ${JSON.stringify(fn)}`);
    const sourceHash = scriptHash(pluginType, pluginId, source);
    const key = interfaceHash(sourceHash, config);
    let metadata = cache.getInterface(interfaceId, key);
    if (!metadata) {
      metadata = await inspect(pluginType, pluginId, source);
      cache.setInterface(interfaceId, key, sourceHash, metadata);
    }
    if (!metadata.functions.includes(fn)) throw new PluginError('contract', `${label} has no function ${fn}`);

    let argJson: string;
    try {
      argJson = JSON.stringify({ ...config, ...args });
    } catch (error) {
      throw new PluginError('script_error', `arguments of ${fn}() cannot be converted to JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    calls += 1;
    const started = performance.now();
    try {
      const value = await pool.run(
        { kind: 'call', pluginType, pluginId, interfaceId, source, fn, argJson },
        { interfaceId, pluginType, pluginId },
        scopeOf(pluginType, pluginId, fn),
      );
      const failed = errorFromResult(value);
      if (failed) throw failed;
      log.debug({ interfaceId, pluginType, pluginId, fn, ms: performance.now() - started }, 'plugin call finished');
      return value;
    } catch (error) {
      failedCalls += 1;
      const kind = error instanceof PluginError ? error.kind : 'unknown';
      const level = kind === 'timeout' || kind === 'memory' || kind === 'forbidden' ? 'warn' : 'debug';
      log[level]({ interfaceId, pluginType, pluginId, fn, kind, err: error instanceof Error ? error.message : String(error), ms: performance.now() - started }, 'plugin call failed');
      throw error;
    }
  }

  return {
    inspect,
    call,
    evict(interfaceId) {
      cache.evict(interfaceId);
    },
    stats: () => ({
      threads: pool.stats(),
      modules: pool.moduleCounts(),
      cachedScripts: cache.size.scripts,
      cachedInterfaces: cache.size.interfaces,
      calls,
      failedCalls,
    }),
    close: () => pool.close(),
  };
}
