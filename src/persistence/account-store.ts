/**
 * The account store over PostgreSQL (see src/actors/account-store.ts): reads the orders and
 * payments a money command needs, and commits a decision in ONE transaction — the customer row
 * fenced by `version` (`UPDATE … WHERE id = $1 AND version = $expected`), orders fenced by theirs,
 * payments, ledger entries (`balance_transactions`: amount, balance_before, balance_after, type,
 * reference), the instance row, the outbox events (`event_queue`), the audit row and the recorded
 * outcome (`customer_commands`, unique per customer and idempotency key). A stale writer updates
 * nothing and learns it (a conflict) instead of overwriting newer money. With several nodes
 * (issue 15) the customer row's update is also fenced by the shard lease the worker holds: a write
 * made under a lease that is no longer current is refused (`unavailable`, reason `shard_moved`).
 */
import type pg from 'pg';
import type { AccountCommitResult, AccountStore, AccountWrite } from '../actors/account-store.ts';
import type { CustomerReply } from '../actors/messages.ts';
import { leaseLost, type FenceOf } from '../actors/snapshot-store.ts';
import type { InvoiceDue, RowWrite } from '../domain/accounts/account.ts';
import { Decimal } from 'decimal.js';
import type { OverdueStanding } from '../domain/crm/credit-risk.ts';
import type { CustomerState } from '../domain/customers/customer.ts';
import { rfc3339 } from '../lib/time.ts';
import { alreadyExists, DomainError, refused } from '../domain/errors.ts';
import { moneyOf } from '../domain/money.ts';
import type { OrderState } from '../domain/orders/order.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import { newId } from '../lib/ids.ts';
import { metrics } from '../metrics/metrics.ts';
import { activeTraceparent } from '../telemetry/index.ts';
import { COMMIT_STATEMENT, COMMIT_STATEMENT_NAME, commitValues } from './account-commit.ts';
import { CommitBatcher } from './commit-batcher.ts';
import { CUSTOMER_COLUMNS, stateOf, type SnapshotRow } from './customer-snapshots.ts';
import { debtSinceSql, ORDER_COLUMNS, orderOf, PAYMENT_COLUMNS, paymentOf, type OrderRow, type PaymentRow } from './account-rows.ts';

/** The `[billing] due_days` default, when the store is built without it. */
const DEFAULT_PAYMENT_TERMS_DAYS = 14;

/** Most commands one commit statement carries. */
const MAX_BATCH = 64;
/** Commit statements one worker runs at once (the rest of the money pool serves reads). */
const COMMITS_IN_FLIGHT = 2;

/** Error codes of PostgreSQL the commit turns into answers. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const CHECK_VIOLATION = '23514';
const DIVISION_BY_ZERO = '22012';

/** See the file comment. */
export class PgAccountStore implements AccountStore {
  private readonly pool: pg.Pool;
  private readonly onEventsCommitted: () => void;
  /** Days a debt on credit is due after, for customers without payment terms of their own (`[billing] due_days`). */
  private readonly defaultPaymentTermsDays: number;
  private readonly batcher: CommitBatcher<AccountWrite, AccountCommitResult>;
  private readonly fenceOf: FenceOf | null;

  /**
   * @param pool a pool of its own (the money path's statements do not wait behind the ORM's)
   * @param onEventsCommitted called after a commit that wrote outbox events (to relay them at once)
   * @param options.defaultPaymentTermsDays `[billing] due_days`: the payment terms of customers without their own (default 14)
   * @param options.fenceOf the shard lease each customer's writes are made under (absent: writes are not lease-fenced)
   */
  constructor(pool: pg.Pool, onEventsCommitted: () => void = () => undefined, options: { defaultPaymentTermsDays?: number; fenceOf?: FenceOf } = {}) {
    this.pool = pool;
    this.fenceOf = options.fenceOf ?? null;
    this.onEventsCommitted = onEventsCommitted;
    this.defaultPaymentTermsDays = options.defaultPaymentTermsDays ?? DEFAULT_PAYMENT_TERMS_DAYS;
    this.batcher = new CommitBatcher({
      commitBatch: (writes) => this.commitStatement(writes),
      commitOne: (write) => this.commitAlone(write),
      maxBatch: MAX_BATCH,
      maxInFlight: COMMITS_IN_FLIGHT,
      onBatch: (size) => metrics.commitBatchSize.observe(size),
    });
  }

  /** @see AccountStore.loadCustomer */
  async loadCustomer(customerId: string): Promise<CustomerState | null> {
    const { rows } = await this.pool.query<SnapshotRow>(`select ${CUSTOMER_COLUMNS} from customers where id = $1`, [customerId]);
    return rows[0] ? stateOf(rows[0]) : null;
  }

  /** @see AccountStore.recordedOutcome */
  async recordedOutcome(customerId: string, idempotencyKey: string): Promise<CustomerReply | null> {
    const { rows } = await this.pool.query<{ outcome: CustomerReply }>('select outcome from customer_commands where customer_id = $1 and idempotency_key = $2', [customerId, idempotencyKey]);
    return rows[0]?.outcome ?? null;
  }

  /** @see AccountStore.loadOrder */
  async loadOrder(customerId: string, orderId: string): Promise<OrderState | null> {
    const { rows } = await this.pool.query<OrderRow>(`select ${ORDER_COLUMNS} from orders where id = $1 and customer_id = $2`, [orderId, customerId]);
    return rows[0] ? orderOf(rows[0]) : null;
  }

  /** @see AccountStore.loadPayment */
  async loadPayment(customerId: string, paymentId: string): Promise<PaymentState | null> {
    const { rows } = await this.pool.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from payments where id = $1 and customer_id = $2`, [paymentId, customerId]);
    return rows[0] ? paymentOf(rows[0]) : null;
  }

  /** @see AccountStore.loadInvoice */
  async loadInvoice(customerId: string, invoiceId: string): Promise<InvoiceDue | null> {
    const { rows } = await this.pool.query<{
      id: string; customer_id: string; invoice_number: string; status: string; total_amount: string; paid_amount: string;
      renewal_order_id: string | null; period_start: Date | null; period_end: Date | null;
    }>(
      `select i.id, i.customer_id, i.invoice_number, i.status, i.total_amount::text, i.paid_amount::text,
              r.order_id as renewal_order_id, r.period_start, r.period_end
         from invoices i left join service_renewals r on r.invoice_id = i.id
        where i.id = $1 and i.customer_id = $2`,
      [invoiceId, customerId],
    );
    const row = rows[0];
    if (!row) return null;
    const renewal = row.renewal_order_id && row.period_start && row.period_end
      ? { orderId: row.renewal_order_id, periodStart: rfc3339(row.period_start), periodEnd: rfc3339(row.period_end) }
      : null;
    return { id: row.id, customerId: row.customer_id, invoiceNumber: row.invoice_number, status: row.status, totalAmount: moneyOf(row.total_amount), paidAmount: moneyOf(row.paid_amount), renewal };
  }

  /** @see AccountStore.loadStanding */
  async loadStanding(customer: CustomerState): Promise<OverdueStanding> {
    const owes = new Decimal(customer.balance).isNegative();
    const { rows } = await this.pool.query<{ due: string | null; debt_since: Date | null }>(
      `select (select min(due_date)::text from invoices where customer_id = $1 and status in ('issued', 'overdue') and due_date is not null) as due,
              case when $2::boolean then ${debtSinceSql('$1')} end as debt_since`,
      [customer.id, owes],
    );
    const row = rows[0];
    return {
      oldestUnpaidDueDate: row?.due ?? null,
      debtSince: row?.debt_since ? rfc3339(row.debt_since) : null,
      paymentTermsDays: customer.paymentTermsDays ?? this.defaultPaymentTermsDays,
    };
  }

  /** @see AccountStore.orderPayments */
  async orderPayments(customerId: string, orderId: string): Promise<PaymentState[]> {
    const { rows } = await this.pool.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from payments where order_id = $1 and customer_id = $2 order by created_at, id`, [orderId, customerId]);
    return rows.map(paymentOf);
  }

  /** @see AccountStore.commit */
  async commit(write: AccountWrite): Promise<AccountCommitResult> {
    // Its events remember the trace of the command that wrote them (null when tracing is off).
    const traceparent = write.decision.events.length > 0 ? activeTraceparent() : null;
    const traced = { ...write, ...(traceparent === null ? {} : { traceparent }), fence: this.fenceOf?.(write.customerId) ?? null };
    const result = traced.decision.customer ? await this.batcher.submit(traced) : await this.commitOutcomeOnly(traced);
    if (result.ok && write.decision.events.length > 0) this.onEventsCommitted();
    return result;
  }

  /** A decision that changes nothing but records its outcome (e.g. a repeated provisioning step). */
  private async commitOutcomeOnly(write: AccountWrite): Promise<AccountCommitResult> {
    const { rowCount } = await this.pool.query(
      'insert into customer_commands (customer_id, idempotency_key, command_type, outcome) values ($1, $2, $3, $4) on conflict do nothing',
      [write.customerId, write.idempotencyKey, write.commandType.slice(0, 32), JSON.stringify({ ...write.outcome, replayed: true })],
    );
    return rowCount === 1 ? { ok: true } : { ok: false, conflict: true };
  }

  /** One statement for `writes` (src/persistence/account-commit.ts). @throws the database's error when the statement failed as a whole */
  private async commitStatement(writes: readonly AccountWrite[]): Promise<AccountCommitResult[]> {
    const { rows } = await this.pool.query<{ committed: string[]; unleased: string[] }>({ name: COMMIT_STATEMENT_NAME, text: COMMIT_STATEMENT, values: commitValues(writes) });
    const committed = new Set((rows[0]?.committed ?? []).map((id) => id.toLowerCase()));
    const unleased = new Set((rows[0]?.unleased ?? []).map((id) => id.toLowerCase()));
    return writes.map((write): AccountCommitResult => {
      const id = write.customerId.toLowerCase();
      if (committed.has(id)) return { ok: true };
      if (!unleased.has(id)) return { ok: false, conflict: true };
      metrics.fencedWrites.inc({ kind: 'account' });
      return { ok: false, conflict: false, error: leaseLost(write.customerId) };
    });
  }

  /** One write on its own, its database refusal turned into an answer. */
  private async commitAlone(write: AccountWrite): Promise<AccountCommitResult> {
    try {
      const [result] = await this.commitStatement([write]);
      return result ?? { ok: false, conflict: true };
    } catch (error) {
      const code = (error as { code?: string }).code;
      const constraint = (error as { constraint?: string }).constraint ?? '';
      // The statement's own fence check (an order changed, or this key committed meanwhile).
      if (code === DIVISION_BY_ZERO) return { ok: false, conflict: true };
      if (code === UNIQUE_VIOLATION && (constraint === 'customer_commands_pkey' || constraint === 'instances_order_id_unique')) return { ok: false, conflict: true };
      if (code === UNIQUE_VIOLATION && constraint === 'balance_transactions_recharge_once_unique') {
        return { ok: false, conflict: false, error: alreadyExists('this recharge was credited already') };
      }
      if (code === FOREIGN_KEY_VIOLATION) return { ok: false, conflict: false, error: refused('the record is still referenced (an instance or invoice item names it); it is kept') };
      if (code === CHECK_VIOLATION && constraint === 'promotion_codes_uses_check') {
        return { ok: false, conflict: false, error: new DomainError('failed_precondition', 'this promotion code has been used up (its total use limit is reached); order without it', 'promotion_not_applicable') };
      }
      if (code === CHECK_VIOLATION && constraint === 'promotion_redemptions_per_customer_limit') {
        return { ok: false, conflict: false, error: new DomainError('failed_precondition', 'this customer has already used this promotion code as often as it allows; order without it', 'promotion_not_applicable') };
      }
      if (code === CHECK_VIOLATION) return { ok: false, conflict: false, error: refused(`the change breaks a rule of the stored records (${constraint}); nothing was changed`) };
      throw error;
    }
  }
}
