/**
 * The customer actor's protocol. Requests are plain data (no actor refs) so they can cross
 * process boundaries over cluster IPC unchanged; every request kind has exactly one handler.
 * Money is a decimal string with two places.
 */

/** The customer's live state, as persisted in its `customers` row (the actor's snapshot). */
export interface CustomerSnapshot {
  id: string;
  balance: string;
  creditLimit: string;
  isActive: boolean;
  /** The optimistic-lock fence: every write is `UPDATE … WHERE version = $expected`. */
  version: number;
}

/** Requests a customer actor answers. */
export type CustomerRequest = { type: 'get_snapshot' };

/** Replies: either the result, or a domain error the gRPC edge maps to a status. */
export type CustomerReply =
  | { ok: true; type: 'snapshot'; snapshot: CustomerSnapshot; servedBySlot: number }
  | { ok: false; error: 'not_found' | 'unavailable'; message: string };
