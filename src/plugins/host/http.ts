/**
 * Outbound HTTP for plugins (host API `http_*`): node:http/https with keep-alive agents, every
 * attempt through the circuit breaker of the calling interface and the target host, retries with
 * exponential backoff for transient failures (retry-policy.ts), a time limit per attempt, a cap on
 * the response body, the outbound address policy (outbound-guard.ts, applied by the agents at
 * connect time) and the plugin call's abort signal.
 *
 * Non-2xx responses are answers and are returned, not thrown; 5xx responses also count as failures
 * of the breaker. Redirects are not followed (a 3xx is returned as it is).
 *
 * Tracing on (issue 14, HA guide §9.3 "outbound HTTP spans"): each attempt made under a recorded
 * span is a CLIENT span (`GET`, url without its query, status, resend count, plugin interface)
 * and sends its `traceparent` (unless the plugin set one).
 */
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { OutboundRequest, OutboundResponse, PluginCallContext } from '../types.ts';
import { BreakerOpenError, type FailureKind, type HostBreakers } from './breakers.ts';
import type { HostMetrics, OutboundOutcome } from './metrics.ts';
import { OutboundPolicyError, type OutboundGuard } from './outbound-guard.ts';
import { backoffDelayMs, isRetryable, type AttemptFailure } from './retry-policy.ts';
import type { TlsAgents } from './tls-agents.ts';
import { context as traceContext, trace } from '@opentelemetry/api';
import { recordFailure, SpanKind, SpanStatusCode, traceparentOf, tracer, tracingEnabled } from '../../telemetry/index.ts';

/** Options of {@link createHttpClient}. Durations are milliseconds. */
export interface HttpClientOptions {
  breakers: HostBreakers;
  agents: TlsAgents;
  metrics: HostMetrics;
  log: Logger;
  /** Retries after the first attempt for transient failures (`plugins.http_retries`). */
  retries: number;
  /** First backoff delay, doubled for each further retry (`plugins.http_retry_base_ms`). */
  retryBaseMs: number;
  /** Time limit of one attempt — connect, send, whole response — unless the request sets `timeoutMs` (`plugins.http_timeout_ms`). */
  timeoutMs: number;
  /** Largest response body accepted, in bytes (`plugins.max_response_bytes`). */
  maxResponseBytes: number;
  /** The outbound policy (the agents apply it at connect time; IP literals are also refused before the breaker). */
  guard: OutboundGuard;
}

/**
 * Sends one outbound request (with retries) and returns the response. `context.interfaceId` selects
 * the breaker (with the host); `request.signal`, when aborted, cuts off the attempt in progress,
 * interrupts a backoff wait and starts no further attempt.
 *
 * @throws Error (before any attempt) for an invalid URL, method, header or client certificate.
 * @throws OutboundPolicyError when the outbound policy refuses the address (never retried).
 * @throws BreakerOpenError when the breaker is open (also stops further retries at once).
 * @throws ResponseTooLargeError when the body passed `maxResponseBytes` (never retried).
 * @throws OutboundAbortedError when `request.signal` was aborted before a response was complete.
 * @throws OutboundHttpError when no response came back after the last attempt (connection error, timeout).
 */
export type HttpClient = (request: OutboundRequest, context?: PluginCallContext) => Promise<OutboundResponse>;

/** No response after all attempts: `code` is Node's error code of the last attempt (e.g. `ECONNREFUSED`, `ETIMEDOUT`). */
export class OutboundHttpError extends Error {
  readonly host: string;
  readonly code: string | undefined;
  readonly attempts: number;
  constructor(method: string, host: string, attempts: number, cause: AttemptError) {
    super(`${method} ${host} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause.message}`, { cause });
    this.name = 'OutboundHttpError';
    this.host = host;
    this.code = cause.code;
    this.attempts = attempts;
  }
}

/** The response body passed the cap; the transfer was cut off (the socket destroyed) at that point. */
export class ResponseTooLargeError extends Error {
  readonly code = 'ERESPONSETOOLARGE';
  readonly host: string;
  /** The cap in bytes (`[plugins] max_response_bytes`). */
  readonly limitBytes: number;
  constructor(method: string, host: string, limitBytes: number, declaredBytes?: number) {
    const declared = declaredBytes === undefined ? '' : ` (it announced ${declaredBytes} bytes)`;
    super(
      `${method} ${host}: the response body is larger than ${limitBytes} bytes${declared}, the limit set by [plugins] max_response_bytes; the transfer was cut off`,
    );
    this.name = 'ResponseTooLargeError';
    this.host = host;
    this.limitBytes = limitBytes;
  }
}

/** The plugin call ended (its signal was aborted) before the request finished; nothing further is attempted. */
export class OutboundAbortedError extends Error {
  readonly code = 'EABORTED';
  readonly host: string;
  readonly attempts: number;
  constructor(method: string, host: string, attempts: number) {
    super(`${method} ${host}: cancelled because the plugin call ended (after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
    this.name = 'OutboundAbortedError';
    this.host = host;
    this.attempts = attempts;
  }
}

/** The signal of a request was aborted during an attempt (turned into an OutboundAbortedError by the loop). */
class AttemptAborted extends Error {
  constructor() {
    super('aborted');
  }
}

/** A failed attempt without a response. */
class AttemptError extends Error {
  readonly code: string | undefined;
  readonly notDelivered: boolean;
  constructor(message: string, code: string | undefined, notDelivered: boolean) {
    super(message);
    this.name = 'AttemptError';
    this.code = code;
    this.notDelivered = notDelivered;
  }
}

/** A 5xx answer, thrown inside the breaker so that it counts as a failure, then returned to the caller. */
class ServerErrorResponse extends Error {
  readonly response: OutboundResponse;
  constructor(response: OutboundResponse) {
    super(`HTTP ${response.status}`);
    this.response = response;
  }
}

interface PreparedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  agent: http.Agent;
  timeoutMs: number;
  maxResponseBytes: number;
  signal: AbortSignal | undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function prepare(request: OutboundRequest, agents: TlsAgents, defaultTimeoutMs: number, maxResponseBytes: number): PreparedRequest {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new Error(`invalid URL: ${JSON.stringify(request.url.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported URL scheme ${url.protocol} (only http and https)`);
  if (!TOKEN.test(request.method)) throw new Error(`invalid HTTP method ${JSON.stringify(request.method.slice(0, 40))}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch {
      throw new Error(`invalid HTTP header ${JSON.stringify(name.slice(0, 100))}`);
    }
    headers[name] = value;
  }
  const body = typeof request.body === 'string' ? new TextEncoder().encode(request.body) : request.body;
  const timeoutMs = request.timeoutMs !== undefined && request.timeoutMs > 0 ? request.timeoutMs : defaultTimeoutMs;
  return {
    url,
    method: request.method.toUpperCase(),
    headers,
    body,
    agent: agents.agentFor(url.protocol, request.clientCert),
    timeoutMs,
    maxResponseBytes,
    signal: request.signal,
  };
}

function headersOf(response: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * One attempt: resolves with any HTTP response, rejects with an AttemptError when none came, with
 * an OutboundPolicyError when the policy refused the address, a ResponseTooLargeError when the body
 * passed the cap, or an AttemptAborted when the request's signal was aborted. The last two destroy
 * the socket at once: nothing more is read.
 */
function sendOnce(prepared: PreparedRequest): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const { url, method, body, signal, maxResponseBytes } = prepared;
    if (signal?.aborted) {
      reject(new AttemptAborted());
      return;
    }
    const headers = { ...prepared.headers };
    if (body !== undefined && !Object.keys(headers).some(name => name.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(body.byteLength);
    }
    const transport = url.protocol === 'https:' ? https : http;
    let connected = false;
    let responded = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const request = transport.request(url, { method, headers, agent: prepared.agent });

    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    /** Ends the attempt with `error` as it is and stops the transfer (destroys the socket). */
    const abandon = (error: Error): void => {
      if (!settle()) return;
      reject(error);
      request.destroy();
    };
    const fail = (error: unknown, code = errorCode(error)): void => {
      if (error instanceof OutboundPolicyError) {
        abandon(error);
        return;
      }
      if (!settle()) return;
      const reason = error instanceof Error ? error.message : String(error);
      const staleKeepAlive = request.reusedSocket && code === 'ECONNRESET' && !responded;
      reject(new AttemptError(reason, code, !connected || staleKeepAlive));
    };
    function onAbort(): void {
      abandon(new AttemptAborted());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => {
      const error = new AttemptError(`timed out after ${prepared.timeoutMs} ms`, 'ETIMEDOUT', !connected);
      fail(error, 'ETIMEDOUT');
      request.destroy(error);
    }, prepared.timeoutMs);

    request.on('socket', socket => {
      if (!socket.connecting) {
        connected = true;
        return;
      }
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        connected = true;
      });
    });
    request.on('error', error => fail(error));
    request.on('response', response => {
      responded = true;
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxResponseBytes) {
        abandon(new ResponseTooLargeError(method, url.host, maxResponseBytes, declared));
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (length + chunk.length > maxResponseBytes) {
          abandon(new ResponseTooLargeError(method, url.host, maxResponseBytes));
          return;
        }
        chunks.push(chunk);
        length += chunk.length;
      });
      response.on('error', error => fail(error));
      response.on('close', () => {
        if (!response.complete) fail(new Error('the connection closed before the response was complete'), 'ECONNRESET');
      });
      response.on('end', () => {
        if (!settle()) return;
        // A fresh, exactly sized buffer (Buffer.concat may hand out a slice of a shared pool).
        const bodyBytes = new Uint8Array(length);
        let offset = 0;
        for (const chunk of chunks) {
          bodyBytes.set(chunk, offset);
          offset += chunk.length;
        }
        resolve({
          status: response.statusCode ?? 0,
          headers: headersOf(response),
          body: new TextDecoder().decode(bodyBytes),
          bodyBytes,
        });
      });
    });
    request.end(body);
  });
}

/**
 * How a failed attempt counts for the breaker (see breakers.ts `FailureKind`):
 * - a refusal by the outbound policy is `neutral`: nothing was sent, the host was never asked;
 * - an abort is `neutral`: the plugin call ended, which says nothing about the host;
 * - a body over the cap is a `failure`: the host did answer, but with more than any plugin answer
 *   may be, and every such attempt costs up to `max_response_bytes` of transfer and the time it
 *   takes; a host doing that repeatedly (broken, or hostile) should be cut off by the interface's
 *   breaker like one that times out (it is not retried either — the next answer would be the same);
 * - everything else thrown inside the breaker (connection errors, time-outs, 5xx) is a `failure`.
 */
function breakerVerdict(error: unknown): FailureKind {
  return error instanceof OutboundPolicyError || error instanceof AttemptAborted ? 'neutral' : 'failure';
}

/**
 * {@link sendOnce} as a CLIENT span when a recorded span is active (see the file comment); the
 * request then carries the span's `traceparent`.
 */
async function sendTraced(prepared: PreparedRequest, attempt: number, call: PluginCallContext | undefined): Promise<OutboundResponse> {
  const parent = traceContext.active();
  if (!tracingEnabled() || trace.getSpan(parent)?.isRecording() !== true) return sendOnce(prepared);
  const { url, method } = prepared;
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const span = tracer().startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': method, 'url.full': `${url.origin}${url.pathname}`, 'server.address': url.hostname, 'server.port': port,
      ...(attempt > 0 ? { 'http.request.resend_count': attempt } : {}),
      ...(call ? { 'nodebill.plugin.interface_id': call.interfaceId, 'nodebill.plugin.id': call.pluginId, 'nodebill.plugin.type': call.pluginType } : {}),
    },
  }, parent);
  const traceparent = traceparentOf(span.spanContext());
  const ownHeader = Object.keys(prepared.headers).some((name) => name.toLowerCase() === 'traceparent');
  const headers = traceparent !== null && !ownHeader ? { ...prepared.headers, traceparent } : prepared.headers;
  try {
    const answer = await sendOnce({ ...prepared, headers });
    span.setAttribute('http.response.status_code', answer.status);
    if (answer.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${answer.status}` });
    return answer;
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Creates the HTTP client of the host services; see {@link HttpClient}. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { breakers, agents, metrics, log, retries, retryBaseMs, timeoutMs, maxResponseBytes, guard } = options;

  function count(host: string, outcome: OutboundOutcome): void {
    metrics.outboundRequests.inc({ host, outcome });
  }

  return async (request, context) => {
    const prepared = prepare(request, agents, timeoutMs, maxResponseBytes);
    const { host, hostname } = prepared.url;
    const { method, signal } = prepared;
    // An IP literal is judged before the breaker is consulted (names are judged at connect time).
    const literalRefusal = guard.literalRefusal(hostname);
    if (literalRefusal !== undefined) {
      count(host, 'refused');
      throw literalRefusal;
    }
    const key = { interfaceId: context?.interfaceId ?? '', host };
    for (let attempt = 0; ; attempt += 1) {
      if (signal?.aborted) throw new OutboundAbortedError(method, host, attempt);
      let failure: AttemptFailure;
      let lastError: AttemptError | undefined;
      let serverError: OutboundResponse | undefined;
      try {
        const response = await breakers.fire(
          key,
          async () => {
            const answer = await sendTraced(prepared, attempt, context);
            if (answer.status >= 500) throw new ServerErrorResponse(answer);
            return answer;
          },
          breakerVerdict,
        );
        count(host, 'response');
        return response;
      } catch (error) {
        if (error instanceof BreakerOpenError) {
          count(host, 'rejected');
          throw error;
        }
        if (error instanceof OutboundPolicyError) {
          count(host, 'refused');
          throw error;
        }
        if (error instanceof ResponseTooLargeError) {
          count(host, 'too_large');
          throw error;
        }
        if (error instanceof AttemptAborted) {
          count(host, 'aborted');
          throw new OutboundAbortedError(method, host, attempt + 1);
        }
        if (error instanceof ServerErrorResponse) {
          count(host, 'server_error');
          serverError = error.response;
          failure = { kind: 'status', status: error.response.status };
        } else if (error instanceof AttemptError) {
          count(host, error.code === 'ETIMEDOUT' ? 'timeout' : 'network_error');
          lastError = error;
          failure = { kind: 'error', code: error.code, notDelivered: error.notDelivered };
        } else {
          throw error;
        }
      }
      if (attempt >= retries || !isRetryable(method, failure)) {
        if (serverError !== undefined) return serverError;
        if (lastError !== undefined) throw new OutboundHttpError(method, host, attempt + 1, lastError);
      }
      const delayMs = backoffDelayMs(attempt, retryBaseMs);
      log.debug(
        {
          interfaceId: context?.interfaceId,
          pluginId: context?.pluginId,
          host,
          method,
          attempt: attempt + 1,
          failure: failure.kind === 'status' ? failure.status : failure.code,
          delayMs,
        },
        'outbound request failed transiently; retrying',
      );
      try {
        await sleep(delayMs, undefined, signal === undefined ? undefined : { signal });
      } catch (error) {
        if (signal?.aborted) throw new OutboundAbortedError(method, host, attempt + 1);
        throw error;
      }
    }
  };
}
