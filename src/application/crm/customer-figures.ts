/**
 * The CRM figures of customers, summed from their orders, payments, invoices and ledger in one
 * statement (definitions in src/domain/crm/customer-view.ts): for the customers of a page, for one
 * customer, or for all of them (the scoring job). Read-only; runs on the ORM's pool, never the
 * money path's.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { moneyOf } from '../../domain/money.ts';
import type { CustomerFigures } from '../../domain/crm/customer-view.ts';
import { rfc3339 } from '../../lib/time.ts';
import { debtSinceSql, revenuePaymentSql } from '../../persistence/account-rows.ts';

/** Order statuses that mean "paid" for the CRM (the money was taken and not given back). */
export const PAID_ORDER_STATUSES = ['paid', 'provisioning', 'active', 'suspended', 'completed'] as const;

const PAID = `('paid', 'provisioning', 'active', 'suspended', 'completed')`;

/**
 * The statement. `$ids` (text array literal of customer ids, or null for every customer) and
 * `$today` (`YYYY-MM-DD`, UTC) are bound twice each where needed; days are UTC days.
 */
const FIGURES_SQL = `
with target as (
  select c.id, c.balance from customers c where (?::uuid[] is null or c.id = any(?::uuid[]))
),
o as (
  select o.customer_id,
         count(*) as total_orders,
         count(*) filter (where o.status in ${PAID}) as paid_orders,
         min(o.created_at) as first_order_at,
         max(o.created_at) as last_order_at,
         max(o.paid_at) filter (where o.status in ${PAID}) as last_paid_order_at,
         count(*) filter (where o.status in ${PAID} and not exists (select 1 from invoice_items ii where ii.order_id = o.id)) as checkout_payments
    from orders o join target t on t.id = o.customer_id
   group by o.customer_id
),
p as (
  select p.customer_id,
         coalesce(sum(p.amount - p.refunded_amount) filter (where ${revenuePaymentSql('p')}), 0) as revenue,
         coalesce(sum(p.amount - p.refunded_amount) filter (
           where p.kind = 'order' and p.status in ('success', 'refunded')
             and exists (select 1 from orders po where po.id = p.order_id and po.status in ${PAID})), 0) as paid_order_total,
         max(p.paid_at) filter (where p.status in ('success', 'refunded')) as last_payment_at
    from payments p join target t on t.id = p.customer_id
   group by p.customer_id
),
i as (
  select i.customer_id,
         count(*) filter (where i.status = 'paid' and i.due_date is not null and (i.paid_at at time zone 'UTC')::date <= i.due_date) as on_time_invoices,
         count(*) filter (where i.due_date is not null and (
             (i.status = 'paid' and (i.paid_at at time zone 'UTC')::date > i.due_date)
          or (i.status in ('issued', 'overdue') and i.due_date < ?::date))) as late_invoices,
         count(*) filter (where i.status in ('issued', 'overdue') and i.due_date < ?::date) as overdue_invoices,
         coalesce(sum(i.total_amount - i.paid_amount) filter (where i.status in ('issued', 'overdue') and i.due_date < ?::date), 0) as overdue_invoice_amount,
         coalesce(sum(i.total_amount - i.paid_amount) filter (where i.status in ('issued', 'overdue')), 0) as unpaid_invoice_amount,
         min(i.due_date) filter (where i.status in ('issued', 'overdue')) as oldest_unpaid_due_date,
         min(i.issued_at) as first_invoice_at,
         avg(((i.paid_at at time zone 'UTC')::date - (i.issued_at at time zone 'UTC')::date)) filter (where i.status = 'paid' and i.issued_at is not null and i.paid_at is not null) as avg_payment_days,
         coalesce(max(coalesce((i.paid_at at time zone 'UTC')::date, ?::date) - i.due_date)
           filter (where i.due_date is not null and i.status in ('paid', 'issued', 'overdue')), 0) as max_overdue_days
    from invoices i join target t on t.id = i.customer_id
   group by i.customer_id
)
select t.id as customer_id,
       coalesce(o.total_orders, 0)::int as total_orders,
       coalesce(o.paid_orders, 0)::int as paid_orders,
       coalesce(p.revenue, 0)::text as total_revenue,
       coalesce(p.paid_order_total, 0)::text as paid_order_total,
       o.first_order_at, o.last_order_at, i.first_invoice_at, o.last_paid_order_at,
       coalesce(o.checkout_payments, 0)::int as checkout_payments,
       coalesce(i.on_time_invoices, 0)::int as on_time_invoices,
       coalesce(i.late_invoices, 0)::int as late_invoices,
       coalesce(i.overdue_invoices, 0)::int as overdue_invoices,
       coalesce(i.overdue_invoice_amount, 0)::text as overdue_invoice_amount,
       coalesce(i.unpaid_invoice_amount, 0)::text as unpaid_invoice_amount,
       i.oldest_unpaid_due_date::text as oldest_unpaid_due_date,
       case when t.balance < 0 then ${debtSinceSql('t.id')} end as debt_since,
       round(i.avg_payment_days, 2)::text as avg_payment_days,
       greatest(coalesce(i.max_overdue_days, 0), 0)::int as max_overdue_days,
       p.last_payment_at
  from target t
  left join o on o.customer_id = t.id
  left join p on p.customer_id = t.id
  left join i on i.customer_id = t.id`;

interface FiguresRow {
  customer_id: string;
  total_orders: number;
  paid_orders: number;
  total_revenue: string;
  paid_order_total: string;
  first_order_at: Date | string | null;
  last_order_at: Date | string | null;
  first_invoice_at: Date | string | null;
  last_paid_order_at: Date | string | null;
  checkout_payments: number;
  on_time_invoices: number;
  late_invoices: number;
  overdue_invoices: number;
  overdue_invoice_amount: string;
  unpaid_invoice_amount: string;
  oldest_unpaid_due_date: string | null;
  debt_since: Date | string | null;
  avg_payment_days: string | null;
  max_overdue_days: number;
  last_payment_at: Date | string | null;
}

function time(value: Date | string | null): string | null {
  return value === null ? null : rfc3339(new Date(value));
}

function figuresOf(row: FiguresRow): CustomerFigures {
  return {
    totalOrders: row.total_orders,
    paidOrders: row.paid_orders,
    totalRevenue: moneyOf(row.total_revenue),
    paidOrderTotal: moneyOf(row.paid_order_total),
    firstOrderAt: time(row.first_order_at),
    lastOrderAt: time(row.last_order_at),
    firstInvoiceAt: time(row.first_invoice_at),
    lastPaidOrderAt: time(row.last_paid_order_at),
    checkoutPayments: row.checkout_payments,
    onTimeInvoices: row.on_time_invoices,
    lateInvoices: row.late_invoices,
    overdueInvoices: row.overdue_invoices,
    overdueInvoiceAmount: moneyOf(row.overdue_invoice_amount),
    unpaidInvoiceAmount: moneyOf(row.unpaid_invoice_amount),
    oldestUnpaidDueDate: row.oldest_unpaid_due_date,
    debtSince: time(row.debt_since),
    avgPaymentDays: row.avg_payment_days,
    maxOverdueDays: row.max_overdue_days,
    lastPaymentAt: time(row.last_payment_at),
  };
}

/** A PostgreSQL array literal of UUIDs (ids already checked by the caller). */
function idArray(ids: readonly string[]): string {
  return `{${ids.join(',')}}`;
}

/**
 * The figures of `customerIds` (null: every customer, deleted ones included) on `today`
 * (`YYYY-MM-DD`, UTC). Customers without orders, payments or invoices get zeros and nulls.
 * @returns figures by customer id, for every id that exists
 */
export async function loadCustomerFigures(em: EntityManager, customerIds: readonly string[] | null, today: string): Promise<Map<string, CustomerFigures>> {
  if (customerIds !== null && customerIds.length === 0) return new Map();
  const ids = customerIds === null ? null : idArray(customerIds);
  const rows = await em.getConnection().execute<FiguresRow[]>(FIGURES_SQL, [ids, ids, today, today, today, today]);
  const out = new Map<string, CustomerFigures>();
  for (const row of rows) out.set(row.customer_id, figuresOf(row));
  return out;
}
