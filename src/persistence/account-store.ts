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
import type { RowWrite } from '../domain/accounts/account.ts';
import type { CustomerState } from '../domain/customers/customer.ts';
import { alreadyExists, refused } from '../domain/errors.ts';
import { moneyOf } from '../domain/money.ts';
import type { OrderState } from '../domain/orders/order.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import { newId } from '../lib/ids.ts';
import { rfc3339 } from '../lib/time.ts';
import { ORDER_COLUMNS, orderOf, PAYMENT_COLUMNS, paymentOf, type OrderRow, type PaymentRow } from './account-rows.ts';

/** Thrown inside the transaction when a fence did not match (rolled back). */
class Conflict extends Error {}

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
    const client = await this.pool.connect();
    let released = false;
    try {
      await client.query('begin');
      try {
        await this.write(client, write);
        await client.query('commit');
        if (write.decision.events.length > 0) this.onEventsCommitted();
        return { ok: true };
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (error instanceof Conflict) return { ok: false, conflict: true };
      const code = (error as { code?: string }).code;
      const constraint = (error as { constraint?: string }).constraint ?? '';
      if (code === UNIQUE_VIOLATION && constraint === 'customer_commands_pkey') return { ok: false, conflict: true };
      if (code === UNIQUE_VIOLATION && constraint === 'balance_transactions_recharge_once_unique') {
        return { ok: false, conflict: false, error: alreadyExists('this recharge was credited already') };
      }
      if (code === UNIQUE_VIOLATION && constraint === 'instances_order_id_unique') return { ok: false, conflict: true };
      if (code === FOREIGN_KEY_VIOLATION) return { ok: false, conflict: false, error: refused('the record is still referenced (an instance or invoice item names it); it is kept') };
      if (code === CHECK_VIOLATION) return { ok: false, conflict: false, error: refused(`the change breaks a rule of the stored records (${constraint}); nothing was changed`) };
      // A broken connection must not go back to the pool.
      client.release(error instanceof Error ? error : true);
      released = true;
      throw error;
    } finally {
      if (!released) client.release();
    }
  }

  private async write(client: pg.PoolClient, write: AccountWrite): Promise<void> {
    const { decision, customerId } = write;
    if (decision.customer) {
      const updated = await client.query(
        'update customers set balance = $2, version = $3, updated_at = $4 where id = $1 and version = $5',
        [customerId, decision.customer.balance, decision.customer.version, decision.customer.updatedAt, write.expectedVersion],
      );
      if (updated.rowCount !== 1) throw new Conflict();
    }
    for (const entry of decision.orders) await this.writeOrder(client, entry);
    for (const entry of decision.payments) await this.writePayment(client, entry);
    for (const entry of decision.ledger) {
      await client.query(
        `insert into balance_transactions (id, customer_id, transaction_type, amount, balance_before, balance_after, reference_id, description)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [entry.id, customerId, entry.type, entry.amount, entry.balanceBefore, entry.balanceAfter, entry.referenceId, entry.description],
      );
    }
    for (const instance of decision.instances) {
      await client.query(
        `insert into instances (id, customer_id, order_id, product_id, product_name, provider_interface_id, provider_instance_id, status, ip_address, server_spec)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [instance.id, customerId, instance.orderId, instance.productId, instance.productName, instance.providerInterfaceId, instance.providerInstanceId, instance.status, instance.ipAddress, JSON.stringify(instance.serverSpec)],
      );
    }
    for (const event of decision.events) {
      await client.query(
        'insert into event_queue (id, event_type, payload, customer_id, order_id) values ($1, $2, $3, $4, $5)',
        [event.id, event.eventType, JSON.stringify(event.payload), customerId, event.orderId],
      );
    }
    if (write.origin && decision.customer) {
      const caller = write.origin.caller;
      await client.query(
        `insert into operation_logs (id, admin_user_id, admin_username, action, target_type, target_id, details, client_address, request_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          newId(), caller.kind === 'admin' ? caller.userId : null, caller.kind === 'admin' ? caller.username : '', decision.audit.action, decision.audit.targetType,
          decision.audit.targetId, JSON.stringify({ ...decision.audit.details, caller: caller.kind, customer_id: customerId }),
          write.origin.clientAddress.slice(0, 64) || null, write.origin.requestId || null,
        ],
      );
    }
    await client.query(
      'insert into customer_commands (customer_id, idempotency_key, command_type, outcome) values ($1, $2, $3, $4)',
      [customerId, write.idempotencyKey, write.commandType.slice(0, 32), JSON.stringify({ ...write.outcome, replayed: true })],
    );
  }

  private async writeOrder(client: pg.PoolClient, entry: RowWrite<OrderState>): Promise<void> {
    const order = entry.row;
    if (entry.op === 'insert') {
      await client.query(
        `insert into orders (id, customer_id, product_id, product_name, provider_interface_id, provider_instance_id, server_spec, status, amount, currency,
           billing_cycle, gateway_interface_id, gateway_payment_id, notes, paid_at, version, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
        [
          order.id, order.customerId, order.productId, order.productName, order.providerInterfaceId, order.providerInstanceId, JSON.stringify(order.serverSpec),
          order.status, order.amount, order.currency, order.billingCycle, order.gatewayInterfaceId, order.gatewayPaymentId, order.notes, order.paidAt,
          order.version, order.createdAt, order.updatedAt,
        ],
      );
      return;
    }
    if (entry.op === 'delete') {
      const deleted = await client.query('delete from orders where id = $1 and version = $2', [order.id, order.version]);
      if (deleted.rowCount !== 1) throw new Conflict();
      return;
    }
    const updated = await client.query(
      `update orders set status = $2, provider_instance_id = $3, gateway_interface_id = $4, gateway_payment_id = $5, notes = $6, paid_at = $7,
         version = $8, updated_at = $9 where id = $1 and version = $10`,
      [order.id, order.status, order.providerInstanceId, order.gatewayInterfaceId, order.gatewayPaymentId, order.notes, order.paidAt, order.version, order.updatedAt, order.version - 1],
    );
    if (updated.rowCount !== 1) throw new Conflict();
  }

  private async writePayment(client: pg.PoolClient, entry: RowWrite<PaymentState>): Promise<void> {
    const payment = entry.row;
    if (entry.op === 'insert') {
      await client.query(
        `insert into payments (id, customer_id, kind, order_id, invoice_id, amount, refunded_amount, currency, gateway_interface_id, gateway_payment_id,
           gateway_tx_id, status, payment_url, qr_code, instructions, return_url, paid_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
        [
          payment.id, payment.customerId, payment.kind, payment.orderId, payment.invoiceId, payment.amount, payment.refundedAmount, payment.currency,
          payment.gatewayInterfaceId, payment.gatewayPaymentId, payment.gatewayTxId, payment.status, payment.paymentUrl, payment.qrCode, payment.instructions,
          payment.returnUrl, payment.paidAt, payment.createdAt, payment.updatedAt,
        ],
      );
      return;
    }
    if (entry.op === 'delete') {
      await client.query('delete from payments where id = $1 and status in ($2, $3)', [payment.id, 'pending', 'failed']);
      return;
    }
    await client.query(
      `update payments set status = $2, refunded_amount = $3, gateway_tx_id = $4, paid_at = $5, updated_at = $6 where id = $1`,
      [payment.id, payment.status, payment.refundedAmount, payment.gatewayTxId, payment.paidAt, payment.updatedAt],
    );
  }
}
