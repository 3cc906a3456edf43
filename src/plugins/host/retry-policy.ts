/**
 * Which failed outbound attempts are retried, and how long to wait before the next one (pure
 * functions; http.ts applies them).
 *
 * Transient failures: connection refused/reset, DNS "try again", unreachable networks, time-outs,
 * and HTTP 502, 503, 504. HTTP 500 is *not* transient: it usually means the request itself trips a
 * bug at the other end, and sending it again gives the same answer (it still counts as a breaker
 * failure). 4xx and other statuses are answers, never retried.
 *
 * Payment gateways are called with POST, and repeating a `create_payment` or `refund` that the
 * gateway did process could charge or refund twice. So non-idempotent methods (POST, PATCH, and any
 * method not listed as idempotent) are retried only when the request certainly did not reach the
 * application: the connection was never established, a reused keep-alive connection had been closed
 * by the server before the request got through (ECONNRESET on a reused socket, Node's documented
 * retry case), or the server answered 503 (it did not handle the request). Idempotent methods
 * (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) are retried on every transient failure.
 */

/** HTTP methods that may be repeated without changing the result (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Statuses retried for idempotent methods. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** Error codes of connection-level failures worth another attempt. */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
]);

/** What went wrong in one attempt, as far as retrying is concerned. */
export type AttemptFailure =
  | { kind: 'status'; status: number }
  | {
      kind: 'error';
      /** Node's error code (`ECONNREFUSED`, `ETIMEDOUT`, …), or undefined. */
      code: string | undefined;
      /** True when the request certainly did not reach the server's application. */
      notDelivered: boolean;
    };

/** Whether a failed attempt of a `method` request should be retried (retries left aside). */
export function isRetryable(method: string, failure: AttemptFailure): boolean {
  const idempotent = IDEMPOTENT_METHODS.has(method.toUpperCase());
  if (failure.kind === 'status') return idempotent ? TRANSIENT_STATUSES.has(failure.status) : failure.status === 503;
  if (failure.code === undefined || !TRANSIENT_ERROR_CODES.has(failure.code)) return false;
  return idempotent || failure.notDelivered;
}

/**
 * Delay in ms before retry number `retry` (0 for the first retry): `baseMs · 2^retry`, plus a jitter
 * of up to 20 % of that (so simultaneous callers spread out). `random` returns a number in [0, 1).
 */
export function backoffDelayMs(retry: number, baseMs: number, random: () => number = Math.random): number {
  const delay = baseMs * 2 ** retry;
  return Math.round(delay + delay * 0.2 * random());
}
