/**
 * Who is calling and how: resolved once per call by authentication (ARCHITECTURE.md, request path 2)
 * and handed to every handler, whichever transport carried the call.
 */

import type { Caller } from '../domain/identity/principal.ts';

/** Which wire protocol carried the call. */
export type Transport = 'grpc' | 'grpc-web';

/**
 * Everything a handler may know about a call besides its request message.
 * `responseHeaders` are sent as response headers (gRPC initial metadata); handlers use it for
 * `set-cookie` on login and logout.
 */
export interface CallContext {
  /** UUID v7, also sent back as `x-request-id`. */
  readonly requestId: string;
  /** Fully-qualified method path, e.g. `rustbill.identity.IdentityService/Login`. */
  readonly procedure: string;
  readonly caller: Caller;
  readonly transport: Transport;
  /** The client's address (IP), used for rate limits and audit. */
  readonly clientAddress: string;
  readonly userAgent: string;
  readonly requestHeaders: Headers;
  readonly responseHeaders: Headers;
  /** Aborted when the client goes away or the server drains past its grace period. */
  readonly signal: AbortSignal;
}
