/**
 * Outbound HTTP for plugins (host API `http_*`): node:http/https with keep-alive agents, every
 * attempt through the target host's circuit breaker, retries with exponential backoff for transient
 * failures (retry-policy.ts), a time limit per attempt.
 *
 * Non-2xx responses are answers and are returned, not thrown; 5xx responses also count as failures
 * of the host's breaker. Redirects are not followed (a 3xx is returned as it is).
 */
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { OutboundRequest, OutboundResponse, PluginCallContext } from '../types.ts';
import { BreakerOpenError, type HostBreakers } from './breakers.ts';
import type { HostMetrics, OutboundOutcome } from './metrics.ts';
import { backoffDelayMs, isRetryable, type AttemptFailure } from './retry-policy.ts';
import type { TlsAgents } from './tls-agents.ts';

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
}

/**
 * Sends one outbound request (with retries) and returns the response.
 *
 * @throws Error (before any attempt) for an invalid URL, method, header or client certificate.
 * @throws BreakerOpenError when the host's breaker is open (also stops further retries at once).
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
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function prepare(request: OutboundRequest, agents: TlsAgents, defaultTimeoutMs: number): PreparedRequest {
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

/** One attempt: resolves with any HTTP response, rejects with an AttemptError when none came. */
function sendOnce(prepared: PreparedRequest): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const { url, method, body } = prepared;
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

    const fail = (error: unknown, code = errorCode(error)): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const reason = error instanceof Error ? error.message : String(error);
      const staleKeepAlive = request.reusedSocket && code === 'ECONNRESET' && !responded;
      reject(new AttemptError(reason, code, !connected || staleKeepAlive));
    };
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
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
      });
      response.on('error', error => fail(error));
      response.on('close', () => {
        if (!response.complete) fail(new Error('the connection closed before the response was complete'), 'ECONNRESET');
      });
      response.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
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

/** Creates the HTTP client of the host services; see {@link HttpClient}. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { breakers, agents, metrics, log, retries, retryBaseMs, timeoutMs } = options;

  function count(host: string, outcome: OutboundOutcome): void {
    metrics.outboundRequests.inc({ host, outcome });
  }

  return async (request, context) => {
    const prepared = prepare(request, agents, timeoutMs);
    const { host } = prepared.url;
    const { method } = prepared;
    for (let attempt = 0; ; attempt += 1) {
      let failure: AttemptFailure;
      let lastError: AttemptError | undefined;
      let serverError: OutboundResponse | undefined;
      try {
        const response = await breakers.fire(host, async () => {
          const answer = await sendOnce(prepared);
          if (answer.status >= 500) throw new ServerErrorResponse(answer);
          return answer;
        });
        count(host, 'response');
        return response;
      } catch (error) {
        if (error instanceof BreakerOpenError) {
          count(host, 'rejected');
          throw error;
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
      await sleep(delayMs);
    }
  };
}
