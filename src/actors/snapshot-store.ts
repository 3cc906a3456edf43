import type { CustomerState, SnapshotChange } from '../domain/customers/customer.ts';
import { DomainError } from '../domain/errors.ts';
import type { Origin } from '../domain/origin.ts';
import type { CommandAttachments, CustomerReply } from './messages.ts';

/**
 * The shard lease a snapshot write is made under (issue 15): the write is accepted only while the
 * `shard_leases` row of `shard` is held by `node` under `epoch` and has not expired.
 */
export interface LeaseFence {
  shard: number;
  node: string;
  /** Decimal text of the bigint epoch ('-1': the writer holds no lease, so nothing is accepted). */
  epoch: string;
}

/** The fence of a customer's writes, as this worker's shard table knows it. */
export type FenceOf = (customerId: string) => LeaseFence;

/**
 * Reason of a reply from a worker or node that does not own the customer's shard (any more), a
 * write refused by its lease fence among them: the router routes the call again.
 */
export const SHARD_MOVED = 'shard_moved';

/** The refusal of a write whose lease fence failed (`unavailable`, reason {@link SHARD_MOVED}); nothing was written. */
export function leaseLost(customerId: string): DomainError {
  return new DomainError('unavailable', `this node no longer holds the shard of customer ${customerId}; nothing was written`, SHARD_MOVED);
}

/** One applied command as the actor hands it to the store, to be written in one transaction. */
export interface SnapshotWrite {
  customerId: string;
  /** The version the actor decided on (null for an insert): the fence of the snapshot write. */
  expectedVersion: number | null;
  change: SnapshotChange;
  /** The state after the command (null after a deletion). */
  next: CustomerState | null;
  idempotencyKey: string;
  commandType: string;
  /** The reply recorded under the key, returned again to a retry. */
  outcome: Extract<CustomerReply, { type: 'applied' }>;
  /** The audit row (null: not audited, e.g. self-registration). */
  audit: { origin: Origin; action: string; details: Record<string, unknown> } | null;
  attachments?: CommandAttachments;
}

/** What committing a {@link SnapshotWrite} gave. */
export type CommitResult =
  | { ok: true; state: CustomerState | null }
  /** Another writer changed the row first (version fence): reload and decide again. */
  | { ok: false; conflict: true }
  /** The transaction refused the command (name taken, rows still referencing the customer, …). */
  | { ok: false; conflict: false; error: DomainError };

/**
 * Where customer actors load and write their snapshot (ARCHITECTURE.md: the persisted snapshot of
 * an actor is its row, fenced by `version`). Implemented over PostgreSQL in src/persistence.
 */
export interface CustomerSnapshotStore {
  /** The customer's row, or null when no such customer exists. */
  load(customerId: string): Promise<CustomerState | null>;
  /** The outcome recorded for `idempotencyKey` of this customer, or null. */
  recordedOutcome(customerId: string, idempotencyKey: string): Promise<CustomerReply | null>;
  /**
   * Writes the snapshot (fenced: `UPDATE … WHERE id = $1 AND version = $expected`), the audit row,
   * the attachments and the recorded outcome in one transaction.
   */
  commit(write: SnapshotWrite): Promise<CommitResult>;
}
