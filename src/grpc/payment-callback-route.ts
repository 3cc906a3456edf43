/**
 * The payment gateways' notify endpoint: `GET` and `POST /callback/{interface_id}`, a plain HTTP
 * route on the shared port (beside /health, /ready, /metrics; src/grpc/http.ts).
 *
 * RustBill's gateways deliver their asynchronous notification to `PaymentService/HandleCallback`
 * (rustbill-docs.md PaymentService, 回调流程), a gRPC method no real gateway can call: 易支付 (EPay)
 * and its kin call the merchant's `notify_url` with a plain GET (parameters in the query string) or
 * POST (form-urlencoded or JSON body) and repeat it until the body they read back is `success`.
 * This route is that `notify_url` (built by `callbackUrl`, src/domain/payments/callback-url.ts): it
 * turns the request into the payload string the gateway plugin's `handle_callback` parses — the
 * raw query string (without `?`) of a GET, the raw body of a POST (its query string when the body
 * is empty) — and hands it to a {@link PaymentCallbacks} port, which verifies and applies it.
 *
 * Answers (text/plain; nothing internal is ever sent, the port logs its reasons):
 * - applied or duplicate → 200 with the port's `ack` (e.g. `success`): a duplicate is answered like
 *   the first delivery so that the gateway stops repeating;
 * - refused → 400 `fail`; unavailable → 503 `fail` with `Retry-After` (the gateway retries later);
 * - the port throwing → 500 `fail` (reported through `onError`);
 * - an interface id that is not a UUID, or more path segments → 404; another method → 405;
 * - an empty payload → 400 `fail` without calling the port;
 * - a body over {@link MAX_CALLBACK_BODY_BYTES} (64 KiB) → 413, read no further.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CALLBACK_PATH_PREFIX } from '../domain/payments/callback-url.ts';
import { isUuid } from '../lib/ids.ts';
import { readBody } from './http-request.ts';

/** What the payment service made of one gateway notification. */
export type PaymentCallbackOutcome =
  /** Verified and applied: 200, body = `ack` (e.g. `"success"`). */
  | { kind: 'applied'; ack: string }
  /** Verified, seen before: 200, body = `ack`, so that the gateway stops repeating it. */
  | { kind: 'duplicate'; ack: string }
  /** Not believed or not applicable (signature, amount, unknown payment): 400, body `fail`. `message` is for the log only. */
  | { kind: 'refused'; message: string }
  /** Cannot be decided now (plugin timeout, database down): 503, the gateway retries later. */
  | { kind: 'unavailable' };

/** The port the route calls: the payment service's callback handling (wired in the worker). */
export interface PaymentCallbacks {
  /**
   * Verifies and applies one gateway notification.
   * @param interfaceId the gateway interface named in the path (a UUID; not checked to exist)
   * @param payload the raw notification: a GET's query string without `?`, or a POST's body
   */
  receive(interfaceId: string, payload: string): Promise<PaymentCallbackOutcome>;
}

/** The largest request body the route reads (64 KiB); a larger one is answered 413. */
export const MAX_CALLBACK_BODY_BYTES = 64 * 1024;

/** How long a gateway is asked to wait before retrying an `unavailable` notification (seconds). */
export const CALLBACK_RETRY_AFTER_SECS = 30;

/** Whether `path` (without the query string) belongs to the callback route. */
export function isCallbackPath(path: string): boolean {
  return path.startsWith(CALLBACK_PATH_PREFIX);
}

/**
 * The interface id of a callback path (`/callback/{uuid}`, lowercased), or null when the rest of
 * the path is not exactly one UUID.
 */
export function callbackInterfaceId(path: string): string | null {
  if (!isCallbackPath(path)) return null;
  let id: string;
  try {
    id = decodeURIComponent(path.slice(CALLBACK_PATH_PREFIX.length));
  } catch {
    return null;
  }
  return isUuid(id) ? id.toLowerCase() : null;
}

function answer(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(body);
}

/**
 * Serves one request whose path {@link isCallbackPath} (see the file comment).
 * @param onError told about a port that threw or a request that broke off (logged by the caller)
 */
export function servePaymentCallback(
  request: IncomingMessage,
  response: ServerResponse,
  callbacks: PaymentCallbacks,
  onError: (route: string, error: unknown) => void,
): void {
  const [path = '/', query = ''] = (request.url ?? '/').split(/\?(.*)/s, 2);
  const interfaceId = callbackInterfaceId(path);
  if (interfaceId === null) {
    answer(response, 404, 'not found');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'POST') {
    answer(response, 405, 'method not allowed', { allow: 'GET, POST' });
    return;
  }
  const declared = Number(request.headers['content-length'] ?? '0');
  if (request.method === 'POST' && Number.isFinite(declared) && declared > MAX_CALLBACK_BODY_BYTES) {
    answer(response, 413, `payload larger than ${MAX_CALLBACK_BODY_BYTES} bytes`);
    return;
  }
  const payloadOf = async (): Promise<string | 'too_large'> => {
    if (request.method === 'GET') return query;
    const body = await readBody(request, MAX_CALLBACK_BODY_BYTES);
    if (body === 'too_large') return body;
    return body.length > 0 ? body.toString('utf8') : query;
  };
  void (async () => {
    const payload = await payloadOf();
    if (payload === 'too_large') {
      answer(response, 413, `payload larger than ${MAX_CALLBACK_BODY_BYTES} bytes`);
      return;
    }
    if (payload.trim() === '') {
      answer(response, 400, 'fail');
      return;
    }
    const outcome = await callbacks.receive(interfaceId, payload);
    switch (outcome.kind) {
      case 'applied':
      case 'duplicate':
        answer(response, 200, outcome.ack);
        return;
      case 'refused':
        answer(response, 400, 'fail');
        return;
      case 'unavailable':
        answer(response, 503, 'fail', { 'retry-after': String(CALLBACK_RETRY_AFTER_SECS) });
        return;
    }
  })().catch((error: unknown) => {
    onError(CALLBACK_PATH_PREFIX, error);
    if (!response.headersSent) answer(response, 500, 'fail');
    else response.destroy();
  });
}
