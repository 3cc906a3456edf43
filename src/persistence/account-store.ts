/**
 * The account store over PostgreSQL (see src/actors/account-store.ts): reads the orders and
 * payments a money command needs, and commits a decision in ONE transaction — the customer row
 * fenced by `version` (`UPDATE … WHERE id = $1 AND version = $expected`), orders fenced by theirs,
 * payments, ledger entries (`balance_transactions`: amount, balance_before, balance_after, type,
 * reference), the instance row, the outbox events (`event_queue`), the audit row and the recorded
 * outcome (`customer_commands`, unique per customer and idempotency key). A stale writer updates
 * nothing and learns it (a conflict) instead of overwriting newer money.
 */
import type pg from 'pg';
import type { AccountCommitResult, AccountStore, AccountWrite } from '../actors/account-store.ts';
import type { CustomerReply } from '../actors/messages.ts';
import type { RowWrite } from '../domain/accounts/account.ts';
import type { CustomerState } from '../domain/customers/customer.ts';
import { alreadyExists, refused } from '../domain/errors.ts';
import { moneyOf } from '../domain/money.ts';
import type { OrderState } from '../domain/orders/order.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import { newId } from '../lib/ids.ts';
import { rfc3339 } from '../lib/time.ts';
import { ORDER_COLUMNS, orderOf, PAYMENT_COLUMNS, paymentOf, type OrderRow, type PaymentRow } from './account-rows.ts';

interface CustomerRow {
  id: string; name: string; contact_person: string; email: string; phone: string; company: string; notes: string;
  balance: string; credit_limit: string; is_active: boolean; can_create_api_keys: boolean; version: number; created_at: Date; updated_at: Date;
}

function customerOf(row: CustomerRow): CustomerState {
  return {
    id: row.id, name: row.name, contactPerson: row.contact_person, email: row.email, phone: row.phone, company: row.company, notes: row.notes,
    balance: moneyOf(row.balance), creditLimit: moneyOf(row.credit_limit), isActive: row.is_active, canCreateApiKeys: row.can_create_api_keys,
    version: row.version, createdAt: rfc3339(row.created_at), updatedAt: rfc3339(row.updated_at),
  };
}

/** Error codes of PostgreSQL the commit turns into answers. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const CHECK_VIOLATION = '23514';
const DIVISION_BY_ZERO = '22012';

/** See the file comment. */
export class PgAccountStore implements AccountStore {
  private readonly pool: pg.Pool;
  private readonly onEventsCommitted: () => void;

  /**
   * @param pool a pool of its own (the money path's statements do not wait behind the ORM's)
   * @param onEventsCommitted called after a commit that wrote outbox events (to relay them at once)
   */
  constructor(pool: pg.Pool, onEventsCommitted: () => void = () => undefined) {
    this.pool = pool;
    this.onEventsCommitted = onEventsCommitted;
  }

  /** @see AccountStore.loadCustomer */
  async loadCustomer(customerId: string): Promise<CustomerState | null> {
    const { rows } = await this.pool.query<CustomerRow>(
      `select id, name, contact_person, email, phone, company, notes, balance::text as balance, credit_limit::text as credit_limit,
         is_active, can_create_api_keys, version, created_at, updated_at from customers where id = $1`,
      [customerId],
    );
    return rows[0] ? customerOf(rows[0]) : null;
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

  /** @see AccountStore.orderPayments */
  async orderPayments(customerId: string, orderId: string): Promise<PaymentState[]> {
    const { rows } = await this.pool.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from payments where order_id = $1 and customer_id = $2 order by created_at, id`, [orderId, customerId]);
    return rows.map(paymentOf);
  }

  /** @see AccountStore.commit */
  async commit(write: AccountWrite): Promise<AccountCommitResult> {
    try {
      if (write.decision.customer) {
        const { rows } = await this.pool.query<{ customer: number }>({ name: 'nb_account_commit', text: COMMIT_STATEMENT, values: commitValues(write) });
        if (rows[0]?.customer !== 1) return { ok: false, conflict: true };
      } else {
        // Nothing changes but the recorded outcome (e.g. a repeated provisioning step).
        const { rowCount } = await this.pool.query(
          'insert into customer_commands (customer_id, idempotency_key, command_type, outcome) values ($1, $2, $3, $4) on conflict do nothing',
          [write.customerId, write.idempotencyKey, write.commandType.slice(0, 32), JSON.stringify({ ...write.outcome, replayed: true })],
        );
        if (rowCount !== 1) return { ok: false, conflict: true };
      }
      if (write.decision.events.length > 0) this.onEventsCommitted();
      return { ok: true };
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
      if (code === CHECK_VIOLATION) return { ok: false, conflict: false, error: refused(`the change breaks a rule of the stored records (${constraint}); nothing was changed`) };
      throw error;
    }
  }
}

/** The rows of one kind of write as the statement's jsonb parameters read them (snake_case columns). */
function rowsOf<T>(writes: Array<RowWrite<T>>, op: RowWrite<T>['op'], column: (row: T) => Record<string, unknown>): string {
  return JSON.stringify(writes.filter((write) => write.op === op).map((write) => column(write.row)));
}

function orderColumns(order: OrderState): Record<string, unknown> {
  return {
    id: order.id, customer_id: order.customerId, product_id: order.productId, product_name: order.productName, provider_interface_id: order.providerInterfaceId,
    provider_instance_id: order.providerInstanceId, server_spec: order.serverSpec, status: order.status, amount: order.amount, currency: order.currency,
    billing_cycle: order.billingCycle, gateway_interface_id: order.gatewayInterfaceId, gateway_payment_id: order.gatewayPaymentId, notes: order.notes,
    paid_at: order.paidAt, version: order.version, created_at: order.createdAt, updated_at: order.updatedAt,
  };
}

function paymentColumns(payment: PaymentState): Record<string, unknown> {
  return {
    id: payment.id, customer_id: payment.customerId, kind: payment.kind, order_id: payment.orderId, invoice_id: payment.invoiceId, amount: payment.amount,
    refunded_amount: payment.refundedAmount, currency: payment.currency, gateway_interface_id: payment.gatewayInterfaceId, gateway_payment_id: payment.gatewayPaymentId,
    gateway_tx_id: payment.gatewayTxId, status: payment.status, payment_url: payment.paymentUrl, qr_code: payment.qrCode, instructions: payment.instructions,
    return_url: payment.returnUrl, paid_at: payment.paidAt, created_at: payment.createdAt, updated_at: payment.updatedAt,
  };
}

/** The parameters of {@link COMMIT_STATEMENT} for `write` (whose decision writes the customer). */
function commitValues(write: AccountWrite): unknown[] {
  const { decision, customerId } = write;
  const customer = decision.customer;
  if (!customer) throw new Error('the commit statement needs a customer write');
  const caller = write.origin?.caller;
  const audit = write.origin && caller ? [{
    id: newId(), admin_user_id: caller.kind === 'admin' ? caller.userId : null, admin_username: caller.kind === 'admin' ? caller.username : '',
    action: decision.audit.action, target_type: decision.audit.targetType, target_id: decision.audit.targetId,
    details: { ...decision.audit.details, caller: caller.kind, customer_id: customerId },
    client_address: write.origin.clientAddress.slice(0, 64) || null, request_id: write.origin.requestId || null,
  }] : [];
  return [
    customerId, customer.balance, customer.version, customer.updatedAt, write.expectedVersion,
    rowsOf(decision.orders, 'insert', orderColumns), rowsOf(decision.orders, 'update', orderColumns), rowsOf(decision.orders, 'delete', orderColumns),
    rowsOf(decision.payments, 'insert', paymentColumns), rowsOf(decision.payments, 'update', paymentColumns), rowsOf(decision.payments, 'delete', paymentColumns),
    JSON.stringify(decision.ledger.map((entry) => ({
      id: entry.id, customer_id: customerId, transaction_type: entry.type, amount: entry.amount, balance_before: entry.balanceBefore, balance_after: entry.balanceAfter,
      reference_id: entry.referenceId, description: entry.description,
    }))),
    JSON.stringify(decision.instances.map((instance) => ({
      id: instance.id, customer_id: customerId, order_id: instance.orderId, product_id: instance.productId, product_name: instance.productName,
      provider_interface_id: instance.providerInterfaceId, provider_instance_id: instance.providerInstanceId, status: instance.status, ip_address: instance.ipAddress,
      server_spec: instance.serverSpec,
    }))),
    JSON.stringify(decision.events.map((event) => ({ id: event.id, event_type: event.eventType, payload: event.payload, customer_id: customerId, order_id: event.orderId }))),
    JSON.stringify(audit),
    write.idempotencyKey, write.commandType.slice(0, 32), JSON.stringify({ ...write.outcome, replayed: true }),
    decision.orders.filter((entry) => entry.op === 'update').length, decision.orders.filter((entry) => entry.op === 'delete').length,
  ];
}

/**
 * One statement commits a whole decision (one round trip, atomic as any statement): every write
 * selects `FROM c`, the fenced customer update, so a stale version writes nothing at all; order
 * updates and deletes are fenced by their own version, and the closing division by zero aborts
 * the statement — everything rolled back — when one of them, or the recorded outcome (a key
 * committed meanwhile), did not write.
 */
const COMMIT_STATEMENT = `
with c as (
  update customers set balance = $2::numeric, version = $3::int, updated_at = $4::timestamptz
  where id = $1::uuid and version = $5::int returning id
), oi as (
  insert into orders (id, customer_id, product_id, product_name, provider_interface_id, provider_instance_id, server_spec, status, amount, currency,
    billing_cycle, gateway_interface_id, gateway_payment_id, notes, paid_at, version, created_at, updated_at)
  select r.id, r.customer_id, r.product_id, r.product_name, r.provider_interface_id, r.provider_instance_id, r.server_spec, r.status, r.amount, r.currency,
    r.billing_cycle, r.gateway_interface_id, r.gateway_payment_id, r.notes, r.paid_at, r.version, r.created_at, r.updated_at
  from c, jsonb_populate_recordset(null::orders, $6::jsonb) r returning 1
), ou as (
  update orders o set status = r.status, provider_instance_id = r.provider_instance_id, gateway_interface_id = r.gateway_interface_id,
    gateway_payment_id = r.gateway_payment_id, notes = r.notes, paid_at = r.paid_at, version = r.version, updated_at = r.updated_at
  from c, jsonb_populate_recordset(null::orders, $7::jsonb) r where o.id = r.id and o.version = r.version - 1 returning 1
), od as (
  delete from orders o using c, jsonb_populate_recordset(null::orders, $8::jsonb) r where o.id = r.id and o.version = r.version returning 1
), pi as (
  insert into payments (id, customer_id, kind, order_id, invoice_id, amount, refunded_amount, currency, gateway_interface_id, gateway_payment_id,
    gateway_tx_id, status, payment_url, qr_code, instructions, return_url, paid_at, created_at, updated_at)
  select r.id, r.customer_id, r.kind, r.order_id, r.invoice_id, r.amount, r.refunded_amount, r.currency, r.gateway_interface_id, r.gateway_payment_id,
    r.gateway_tx_id, r.status, r.payment_url, r.qr_code, r.instructions, r.return_url, r.paid_at, r.created_at, r.updated_at
  from c, jsonb_populate_recordset(null::payments, $9::jsonb) r returning 1
), pu as (
  update payments p set status = r.status, refunded_amount = r.refunded_amount, gateway_tx_id = r.gateway_tx_id, paid_at = r.paid_at, updated_at = r.updated_at
  from c, jsonb_populate_recordset(null::payments, $10::jsonb) r where p.id = r.id returning 1
), pd as (
  delete from payments p using c, jsonb_populate_recordset(null::payments, $11::jsonb) r where p.id = r.id and p.status in ('pending', 'failed') returning 1
), li as (
  insert into balance_transactions (id, customer_id, transaction_type, amount, balance_before, balance_after, reference_id, description)
  select r.id, r.customer_id, r.transaction_type, r.amount, r.balance_before, r.balance_after, r.reference_id, r.description
  from c, jsonb_populate_recordset(null::balance_transactions, $12::jsonb) r returning 1
), ii as (
  insert into instances (id, customer_id, order_id, product_id, product_name, provider_interface_id, provider_instance_id, status, ip_address, server_spec)
  select r.id, r.customer_id, r.order_id, r.product_id, r.product_name, r.provider_interface_id, r.provider_instance_id, r.status, r.ip_address, r.server_spec
  from c, jsonb_populate_recordset(null::instances, $13::jsonb) r returning 1
), ei as (
  insert into event_queue (id, event_type, payload, customer_id, order_id)
  select r.id, r.event_type, r.payload, r.customer_id, r.order_id from c, jsonb_populate_recordset(null::event_queue, $14::jsonb) r returning 1
), ai as (
  insert into operation_logs (id, admin_user_id, admin_username, action, target_type, target_id, details, client_address, request_id)
  select r.id, r.admin_user_id, r.admin_username, r.action, r.target_type, r.target_id, r.details, r.client_address, r.request_id
  from c, jsonb_populate_recordset(null::operation_logs, $15::jsonb) r returning 1
), cc as (
  insert into customer_commands (customer_id, idempotency_key, command_type, outcome)
  select c.id, $16::varchar, $17::varchar, $18::jsonb from c on conflict do nothing returning 1
)
select (select count(*) from c)::int as customer,
  1 / (case when not exists (select 1 from c)
    or ((select count(*) from ou) = $19::int and (select count(*) from od) = $20::int and exists (select 1 from cc)) then 1 else 0 end) as fenced
`;
