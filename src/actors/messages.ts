/**
 * The customer actor's protocol. Requests are plain data (no actor refs) so they can cross
 * process boundaries over cluster IPC unchanged; every request kind has exactly one handler.
 * Money is a decimal string with two places, times RFC3339 strings.
 */
import type { AccountCommand, AccountResult } from '../domain/accounts/account.ts';
import type { CustomerCommand, CustomerState } from '../domain/customers/customer.ts';
import type { DomainErrorKind } from '../domain/errors.ts';
import type { Origin } from '../domain/origin.ts';

/** The customer's live state, as persisted in its `customers` row (the actor's snapshot). */
export type CustomerSnapshot = CustomerState;

/**
 * The first user of a self-registered customer, written in the `create` command's transaction
 * together with the consumed verification code.
 */
export interface RegistrationAttachment {
  verificationCodeId: string;
  user: { id: string; username: string; email: string; displayName: string; passwordHash: string };
}

/** What a command's transaction writes besides the snapshot and its audit row. */
export interface CommandAttachments {
  /** Refuse the command (AlreadyExists) when another customer has the same name (case-insensitive). */
  uniqueName?: boolean;
  /** Refuse the command (AlreadyExists) when another customer has the same customer code (any case). */
  uniqueCode?: boolean;
  registration?: RegistrationAttachment;
}

/** Requests a customer actor answers. */
export type CustomerRequest =
  | { type: 'get_snapshot' }
  /**
   * The customer's invoices changed outside the actor (issued, cancelled): it forgets its copy of
   * the overdue standing (src/actors/standing-cache.ts). Changes nothing stored.
   */
  | { type: 'invoices_changed' }
  | {
      type: 'command';
      /** Scoped by customer: a command retried with the same key returns the first outcome. */
      idempotencyKey: string;
      /** Who asked (the audit row's caller, address and request id); null: not audited. */
      origin: Origin | null;
      command: CustomerCommand;
      attachments?: CommandAttachments;
      /**
       * False only on the first attempt under a key the server just made: nothing can have been
       * recorded under it, so the actor skips looking for an earlier outcome. Absent: true.
       */
      mayBeRecorded?: boolean;
      /** W3C `traceparent` of the span that asked (set by the ShardRouter; crosses IPC with the request): the actor's span is its child. */
      traceparent?: string;
    }
  | {
      /** A money command (src/domain/accounts): orders, payments, refunds, the ledger. */
      type: 'account';
      /** Scoped by customer: a command retried with the same key returns the first outcome. */
      idempotencyKey: string;
      /** Who asked (the audit row); null: system work without an audit row. */
      origin: Origin | null;
      command: AccountCommand;
      /**
       * False only on the first attempt under a key the server just made: nothing can have been
       * recorded under it, so the actor skips looking for an earlier outcome.
       */
      mayBeRecorded: boolean;
      /** W3C `traceparent` of the span that asked (set by the ShardRouter; crosses IPC with the request): the actor's span is its child. */
      traceparent?: string;
    };

/** Requests that change nothing and may be delivered again after their worker died. */
const READ_ONLY: ReadonlySet<CustomerRequest['type']> = new Set(['get_snapshot', 'invoices_changed']);

/** True when `request` changes nothing (safe to re-deliver). */
export function isReadOnly(request: CustomerRequest): boolean {
  return READ_ONLY.has(request.type);
}

/** The metric label of a request: its type, or the command's type. */
export function requestKind(request: CustomerRequest): string {
  return request.type === 'command' || request.type === 'account' ? request.command.type : request.type;
}

/** Replies: the result, or a refusal the application layer turns into a DomainError. */
export type CustomerReply =
  | { ok: true; type: 'snapshot'; snapshot: CustomerSnapshot; servedBySlot: number }
  | { ok: true; type: 'noted' }
  | {
      ok: true;
      type: 'applied';
      /** The state after the command; null after a deletion. */
      state: CustomerSnapshot | null;
      /** True when this is the recorded outcome of an earlier attempt with the same key. */
      replayed: boolean;
    }
  | {
      ok: true;
      type: 'account';
      result: AccountResult;
      /** The customer after the command. */
      customer: CustomerSnapshot;
      replayed: boolean;
    }
  | { ok: false; error: DomainErrorKind; message: string; reason?: string };
