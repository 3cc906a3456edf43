/**
 * The money path's reads (ListOrders/GetOrder, ListPayments/GetPayment, ListBalanceTransactions):
 * straight from PostgreSQL, newest first, scoped to the caller's customer when the caller is a
 * customer or an API key (an admin may filter by customer). Another customer's record answers
 * NotFound, never "it exists but is not yours".
 */
import type pg from 'pg';
import { notFound } from '../domain/errors.ts';
import type { LedgerEntry } from '../domain/ledger/ledger.ts';
import type { OrderState } from '../domain/orders/order.ts';
import type { Page } from '../domain/pagination.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import {
  LEDGER_COLUMNS, ledgerEntryOf, ORDER_COLUMNS, orderOf, PAYMENT_COLUMNS, paymentOf, type LedgerRow, type OrderRow, type PaymentRow,
} from '../persistence/account-rows.ts';

/** A WHERE clause built from optional equality filters (null/undefined filters are left out). */
function where(filters: Array<[column: string, value: string | undefined]>): { sql: string; values: unknown[] } {
  const clauses: string[] = [];
  const values: unknown[] = [];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    values.push(value);
    clauses.push(`${column} = $${values.length}`);
  }
  return { sql: clauses.length > 0 ? `where ${clauses.join(' and ')}` : '', values };
}

async function page<R, T>(pool: pg.Pool, table: string, columns: string, filter: { sql: string; values: unknown[] }, at: Page, map: (row: R) => T): Promise<{ items: T[]; total: number }> {
  const n = filter.values.length;
  const [rows, count] = await Promise.all([
    pool.query<R & pg.QueryResultRow>(`select ${columns} from ${table} ${filter.sql} order by created_at desc, id desc limit $${n + 1} offset $${n + 2}`, [...filter.values, at.pageSize, at.offset]),
    pool.query<{ n: string }>(`select count(*)::text as n from ${table} ${filter.sql}`, filter.values),
  ]);
  return { items: rows.rows.map(map), total: Number(count.rows[0]?.n ?? 0) };
}

/** See the file comment. */
export class MoneyReads {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** A page of orders. `search` matches the product name or the order id's text (case-insensitive). */
  async orders(filter: { customerId?: string; status?: string; providerInterfaceId?: string; search?: string }, at: Page): Promise<{ items: OrderState[]; total: number }> {
    const search = filter.search?.trim();
    const built = where([['customer_id', filter.customerId], ['status', filter.status], ['provider_interface_id', filter.providerInterfaceId]]);
    if (search) {
      const like = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      built.values.push(like);
      const n = built.values.length;
      built.sql = `${built.sql === '' ? 'where' : `${built.sql} and`} (product_name ilike $${n} or id::text ilike $${n})`;
    }
    return page<OrderRow, OrderState>(this.pool, 'orders', ORDER_COLUMNS, built, at, orderOf);
  }

  /** One order (of `customerId` when given). @throws DomainError not_found */
  async order(orderId: string, customerId?: string): Promise<OrderState> {
    const built = where([['id', orderId], ['customer_id', customerId]]);
    const { rows } = await this.pool.query<OrderRow>(`select ${ORDER_COLUMNS} from orders ${built.sql}`, built.values);
    if (!rows[0]) throw notFound(`order ${orderId} does not exist`);
    return orderOf(rows[0]);
  }

  /** A page of payments. */
  async payments(filter: { customerId?: string; orderId?: string; invoiceId?: string; gatewayInterfaceId?: string; status?: string }, at: Page): Promise<{ items: PaymentState[]; total: number }> {
    const built = where([['customer_id', filter.customerId], ['order_id', filter.orderId], ['invoice_id', filter.invoiceId], ['gateway_interface_id', filter.gatewayInterfaceId], ['status', filter.status]]);
    return page<PaymentRow, PaymentState>(this.pool, 'payments', PAYMENT_COLUMNS, built, at, paymentOf);
  }

  /** One payment (of `customerId` when given). @throws DomainError not_found */
  async payment(paymentId: string, customerId?: string): Promise<PaymentState> {
    const built = where([['id', paymentId], ['customer_id', customerId]]);
    const { rows } = await this.pool.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from payments ${built.sql}`, built.values);
    if (!rows[0]) throw notFound(`payment ${paymentId} does not exist`);
    return paymentOf(rows[0]);
  }

  /** A page of ledger entries. */
  async ledger(filter: { customerId?: string; type?: string }, at: Page): Promise<{ items: Array<LedgerEntry & { customerId: string; createdAt: string }>; total: number }> {
    const built = where([['customer_id', filter.customerId], ['transaction_type', filter.type]]);
    return page<LedgerRow, LedgerEntry & { customerId: string; createdAt: string }>(this.pool, 'balance_transactions', LEDGER_COLUMNS, built, at, ledgerEntryOf);
  }
}
