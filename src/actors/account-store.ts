import type { AccountDecision, InvoiceDue } from '../domain/accounts/account.ts';
import type { OverdueStanding } from '../domain/crm/credit-risk.ts';
import type { CustomerState } from '../domain/customers/customer.ts';
import type { DomainError } from '../domain/errors.ts';
import type { OrderState } from '../domain/orders/order.ts';
import type { Origin } from '../domain/origin.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import type { CustomerReply } from './messages.ts';
import type { LeaseFence } from './snapshot-store.ts';

/** One decided account command, to be written in one transaction. */
export interface AccountWrite {
  customerId: string;
  /** The customer version the decision was made on: the fence of the whole write. */
  expectedVersion: number;
  decision: AccountDecision;
  idempotencyKey: string;
  commandType: string;
  /** The reply recorded under the key (returned again to a retry). */
  outcome: Extract<CustomerReply, { type: 'account' }>;
  /** Who asked; null: no audit row (system work is audited with SYSTEM_ORIGIN by the caller). */
  origin: Origin | null;
  /**
   * W3C `traceparent` of the span that decided the write (the actor's command span), stored with
   * its outbox events so that their processing continues the trace; absent when tracing is off.
   */
  traceparent?: string | null;
  /** The shard lease the write is made under (set by the store from its fence; absent: not fenced). */
  fence?: LeaseFence | null;
}

/** What committing an {@link AccountWrite} gave. */
export type AccountCommitResult =
  | { ok: true }
  /** Another writer changed the customer (or the order) first, or committed the same key: reload and decide again. */
  | { ok: false; conflict: true }
  | { ok: false; conflict: false; error: DomainError };

/**
 * Where customer actors read the orders and payments a money command needs and commit its
 * decision (issue 8): the customer row fenced by its version, orders fenced by theirs, payments,
 * ledger entries, the instance row, outbox events, the audit row and the recorded outcome — all in
 * one transaction, or nothing. Implemented over PostgreSQL in src/persistence/account-store.ts.
 */
export interface AccountStore {
  loadOrder(customerId: string, orderId: string): Promise<OrderState | null>;
  loadPayment(customerId: string, paymentId: string): Promise<PaymentState | null>;
  orderPayments(customerId: string, orderId: string): Promise<PaymentState[]>;
  loadInvoice(customerId: string, invoiceId: string): Promise<InvoiceDue | null>;
  /** The customer's overdue standing (oldest unpaid invoice, debt since), for the red-customer check of new orders. */
  loadStanding(customer: CustomerState): Promise<OverdueStanding>;
  /** The outcome recorded under `idempotencyKey` for this customer, or null. */
  recordedOutcome(customerId: string, idempotencyKey: string): Promise<CustomerReply | null>;
  /** The customer row as it is now (after a conflict). */
  loadCustomer(customerId: string): Promise<CustomerState | null>;
  commit(write: AccountWrite): Promise<AccountCommitResult>;
}
