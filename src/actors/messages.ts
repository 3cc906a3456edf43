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

/** Requests that change nothing and may be delivered again after their worker died. */
const READ_ONLY: ReadonlySet<CustomerRequest['type']> = new Set(['get_snapshot']);

/** True when `request` changes nothing (safe to re-deliver). */
export function isReadOnly(request: CustomerRequest): boolean {
  return READ_ONLY.has(request.type);
}

/** Replies: either the result, or a domain error the gRPC edge maps to a status. */
export type CustomerReply =
  | { ok: true; type: 'snapshot'; snapshot: CustomerSnapshot; servedBySlot: number }
  | { ok: false; error: 'not_found' | 'unavailable'; message: string };
