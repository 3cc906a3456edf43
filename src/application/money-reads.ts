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

/** Totals above this many rows are reused for {@link TOTAL_TTL_MS} (counting a million rows costs tens of ms). */
const CACHED_TOTAL_ABOVE = 10_000;
/** How long a large total is reused, in ms: page metadata may lag that much behind new rows. */
const TOTAL_TTL_MS = 2_000;

/**
 * Exact row counts, with large ones remembered briefly: a page of 100 out of a million orders is a
 * millisecond, its exact total some 35 ms, so big totals are served up to {@link TOTAL_TTL_MS} old.
 * Small totals (the usual customer's own list) are always counted afresh.
 */
class Totals {
  private readonly cached = new Map<string, { total: number; until: number }>();

  async count(pool: pg.Pool, table: string, filter: { sql: string; values: unknown[] }): Promise<number> {
    const key = `${table}|${filter.sql}|${JSON.stringify(filter.values)}`;
    const hit = this.cached.get(key);
    if (hit && hit.until > Date.now()) return hit.total;
    const { rows } = await pool.query<{ n: string }>(`select count(*)::text as n from ${table} ${filter.sql}`, filter.values);
    const total = Number(rows[0]?.n ?? 0);
    if (total > CACHED_TOTAL_ABOVE) {
      if (this.cached.size > 1000) this.cached.clear();
      this.cached.set(key, { total, until: Date.now() + TOTAL_TTL_MS });
    }
    return total;
  }
}

async function page<R, T>(pool: pg.Pool, totals: Totals, table: string, columns: string, filter: { sql: string; values: unknown[] }, at: Page, map: (row: R) => T): Promise<{ items: T[]; total: number }> {
  const n = filter.values.length;
  const [rows, total] = await Promise.all([
    pool.query<R & pg.QueryResultRow>(`select ${columns} from ${table} ${filter.sql} order by created_at desc, id desc limit $${n + 1} offset $${n + 2}`, [...filter.values, at.pageSize, at.offset]),
    totals.count(pool, table, filter),
  ]);
  return { items: rows.rows.map(map), total };
}

/** See the file comment. */
export class MoneyReads {
  private readonly pool: pg.Pool;
  private readonly totals = new Totals();

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
    return page<OrderRow, OrderState>(this.pool, this.totals, 'orders', ORDER_COLUMNS, built, at, orderOf);
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
    return page<PaymentRow, PaymentState>(this.pool, this.totals, 'payments', PAYMENT_COLUMNS, built, at, paymentOf);
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
    return page<LedgerRow, LedgerEntry & { customerId: string; createdAt: string }>(this.pool, this.totals, 'balance_transactions', LEDGER_COLUMNS, built, at, ledgerEntryOf);
  }
}
