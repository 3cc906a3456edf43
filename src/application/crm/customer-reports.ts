/**
 * The CRM document's statistics and reports (crm-customer-controller.md 5.1-5.4, 7.2-7.5): one
 * customer's statistics and purchase history, the rating / type / industry / RFM distributions,
 * the overall totals, the customers who owe money and the VIP customers. Sums come from SQL over
 * the real orders, payments, invoices and balances; ratings, risk levels and segments from the
 * pure rules (per customer, live) or from the scores as last computed (distributions over
 * everybody: `customer_scores`, with the time they were computed). Deleted customers are never
 * counted.
 */
import { revenuePaymentSql } from '../../persistence/account-rows.ts';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Decimal } from 'decimal.js';
import { CUSTOMER_TYPES } from '../../domain/crm/profile.ts';
import { RFM_SEGMENTS, type RfmSegment } from '../../domain/crm/rfm.ts';
import { RISK_LEVELS } from '../../domain/crm/credit-risk.ts';
import { notFound } from '../../domain/errors.ts';
import { formatMoney, moneyOf } from '../../domain/money.ts';
import type { Page } from '../../domain/pagination.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { CustomerDirectory, CustomerRecord } from './customer-directory.ts';

/** One bucket of a distribution. */
export interface DistributionEntry {
  key: string;
  count: number;
}

/** A product's share of a customer's purchases. */
export interface ProductPurchase {
  productId: string;
  productName: string;
  quantity: number;
  revenue: string;
}

/** A customer's statistics (5.1). */
export interface CustomerStatistics {
  record: CustomerRecord;
  totalProducts: number;
  topProducts: ProductPurchase[];
  /** The stored computed rating's score and sub-scores (null: never computed). */
  score: { score: string | null; subScores: Record<string, string>; computedAt: string } | null;
}

/** One order of a purchase history (5.2). */
export interface PurchaseRecord {
  orderId: string;
  createdAt: string;
  amount: string;
  status: string;
  paymentStatus: 'unpaid' | 'paid' | 'partially_refunded' | 'refunded';
  productId: string;
  productName: string;
  billingCycle: string;
  paidAt: string;
  refundedAmount: string;
  currency: string;
}

/** Money over all customers. */
export interface FinancialSummary {
  totalCreditLimit: string;
  totalBalance: string;
  totalOwed: string;
  totalAvailableCredit: string;
  customersWithOutstanding: number;
  avgCreditUtilisation: string;
  totalRevenue: string;
}

/** The overall statistics (5.4). */
export interface OverallStatistics {
  totalCustomers: number;
  activeCustomers: number;
  inactiveCustomers: number;
  newCustomersThisMonth: number;
  deletedCustomers: number;
  typeDistribution: DistributionEntry[];
  industryDistribution: DistributionEntry[];
  ratingDistribution: DistributionEntry[];
  riskDistribution: DistributionEntry[];
  segmentDistribution: DistributionEntry[];
  financial: FinancialSummary;
  vipCustomers: number;
  atRiskCustomers: number;
  scoresComputedAt: string;
}

/** A customer who owes money (7.2). */
export interface OutstandingBalance {
  record: CustomerRecord;
  /** Negative balance plus what issued and overdue invoices still have due. */
  owed: string;
}

/** A VIP customer (7.3). */
export interface VipCustomer {
  record: CustomerRecord;
  reason: 'five_stars' | 'top_revenue' | 'both';
}

const LIVE = 'c.deleted_at is null';
const PAID = `('paid', 'provisioning', 'active', 'suspended', 'completed')`;
/** The rating in force in SQL (customers `c`, customer_scores `s`). */
const STARS_SQL = 'coalesce(c.rating, s.computed_rating, 3)';

function counted<T extends { k: string | number | null; n: string }>(rows: readonly T[]): Map<string, number> {
  return new Map(rows.map((row) => [String(row.k ?? ''), Number(row.n)]));
}

/** Entries for every key of `order` (0 when empty), then the other keys found, by count. */
function entries(order: readonly string[], counts: ReadonlyMap<string, number>): DistributionEntry[] {
  const known = order.map((key) => ({ key, count: counts.get(key) ?? 0 }));
  const others = [...counts].filter(([key]) => !order.includes(key)).map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  return [...known, ...others];
}

/** See the file comment. */
export class CustomerReports {
  private readonly orm: MikroORM;
  private readonly directory: CustomerDirectory;
  private readonly now: () => Date;

  constructor(deps: { orm: MikroORM; directory: CustomerDirectory; now?: () => Date }) {
    this.orm = deps.orm;
    this.directory = deps.directory;
    this.now = deps.now ?? (() => new Date());
  }

  private sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return this.orm.em.fork().getConnection().execute<T[]>(text, params);
  }

  /** GetCustomerStatistics (5.1). @throws DomainError not_found */
  async statistics(customerId: string): Promise<CustomerStatistics> {
    const record = await this.directory.get(customerId);
    const products = await this.sql<{ product_id: string | null; product_name: string; quantity: number; revenue: string }>(`
      select o.product_id, o.product_name, count(*)::int as quantity, coalesce(sum(p.net), 0)::text as revenue
        from orders o
        left join (select order_id, sum(amount - refunded_amount) as net from payments
                    where customer_id = ? and kind = 'order' and status in ('success', 'refunded') group by order_id) p on p.order_id = o.id
       where o.customer_id = ? and o.status in ${PAID}
       group by o.product_id, o.product_name
       order by coalesce(sum(p.net), 0) desc, count(*) desc, o.product_name`, [customerId, customerId]);
    const distinct = new Set(products.map((row) => row.product_id ?? `name:${row.product_name}`));
    const [score] = await this.sql<{ rating_score: string | null; sub_scores: Record<string, string>; computed_at: Date }>(
      'select rating_score::text as rating_score, sub_scores, computed_at from customer_scores where customer_id = ?', [customerId],
    );
    return {
      record,
      totalProducts: distinct.size,
      topProducts: products.slice(0, 5).map((row) => ({ productId: row.product_id ?? '', productName: row.product_name, quantity: row.quantity, revenue: moneyOf(row.revenue) })),
      score: score ? { score: score.rating_score, subScores: score.sub_scores, computedAt: rfc3339(new Date(score.computed_at)) } : null,
    };
  }

  /** GetPurchaseHistory (5.2): the customer's orders, newest first. @throws DomainError not_found */
  async purchaseHistory(customerId: string, page: Page): Promise<{ orders: PurchaseRecord[]; total: number }> {
    const [exists] = await this.sql<{ n: string }>('select count(*)::text as n from orders where customer_id = ?', [customerId]);
    if (Number(exists?.n ?? 0) === 0) {
      const [customer] = await this.sql<{ id: string }>('select id from customers where id = ?', [customerId]);
      if (!customer) throw notFound(`customer ${customerId} does not exist`);
    }
    const rows = await this.sql<{
      id: string; created_at: Date; amount: string; status: string; product_id: string | null; product_name: string; billing_cycle: string;
      paid_at: Date | null; currency: string; paid: string; refunded: string;
    }>(`
      select o.id, o.created_at, o.amount::text as amount, o.status, o.product_id, o.product_name, o.billing_cycle, o.paid_at, o.currency,
             coalesce(sum(p.amount) filter (where p.status in ('success', 'refunded')), 0)::text as paid,
             coalesce(sum(p.refunded_amount) filter (where p.status in ('success', 'refunded')), 0)::text as refunded
        from orders o left join payments p on p.order_id = o.id and p.customer_id = o.customer_id
       where o.customer_id = ?
       group by o.customer_id, o.id
       order by o.created_at desc, o.id desc
       limit ? offset ?`, [customerId, page.pageSize, page.offset]);
    return {
      total: Number(exists?.n ?? 0),
      orders: rows.map((row) => {
        const paid = new Decimal(row.paid);
        const refunded = new Decimal(row.refunded);
        const paymentStatus = paid.isZero() ? 'unpaid' : refunded.isZero() ? 'paid' : refunded.greaterThanOrEqualTo(paid) ? 'refunded' : 'partially_refunded';
        return {
          orderId: row.id, createdAt: rfc3339(new Date(row.created_at)), amount: moneyOf(row.amount), status: row.status, paymentStatus,
          productId: row.product_id ?? '', productName: row.product_name, billingCycle: row.billing_cycle, paidAt: row.paid_at ? rfc3339(new Date(row.paid_at)) : '',
          refundedAmount: formatMoney(refunded), currency: row.currency,
        };
      }),
    };
  }

  /** GetRatingDistribution (5.3): customers per rating in force, 1 to 5 stars. */
  async ratingDistribution(): Promise<{ entries: DistributionEntry[]; total: number }> {
    const rows = await this.sql<{ k: number; n: string }>(`select ${STARS_SQL} as k, count(*)::text as n from customers c left join customer_scores s on s.customer_id = c.id where ${LIVE} group by 1`);
    return this.distribution(['1', '2', '3', '4', '5'], counted(rows));
  }

  /** GetTypeDistribution (7.4): customers per type, '' for not set. */
  async typeDistribution(): Promise<{ entries: DistributionEntry[]; total: number }> {
    const rows = await this.sql<{ k: string; n: string }>(`select c.customer_type as k, count(*)::text as n from customers c where ${LIVE} group by 1`);
    const counts = counted(rows);
    return this.distribution(counts.has('') ? [...CUSTOMER_TYPES, ''] : CUSTOMER_TYPES, counts);
  }

  /** GetIndustryDistribution (7.5): customers per industry (case-insensitive; the most used spelling shown), most first. */
  async industryDistribution(): Promise<{ entries: DistributionEntry[]; total: number }> {
    const rows = await this.sql<{ k: string; n: string }>(`
      select mode() within group (order by c.industry) as k, count(*)::text as n from customers c where ${LIVE} group by lower(c.industry)`);
    return this.distribution([], counted(rows));
  }

  /** GetRfmDistribution: customers per RFM segment as last computed, in the document's order. */
  async rfmDistribution(): Promise<{ entries: DistributionEntry[]; total: number; computedAt: string }> {
    const rows = await this.sql<{ k: RfmSegment; n: string }>(`
      select s.rfm_segment as k, count(*)::text as n from customers c join customer_scores s on s.customer_id = c.id where ${LIVE} group by 1`);
    return { ...this.distribution(RFM_SEGMENTS, counted(rows)), computedAt: await this.scoresComputedAt() };
  }

  /** GetOverallStatistics (5.4). */
  async overall(): Promise<OverallStatistics> {
    const monthStart = `${this.now().toISOString().slice(0, 7)}-01`;
    const today = this.directory.today();
    const [totals] = await this.sql<{
      total: string; active: string; new_this_month: string; deleted: string; credit_limit: string; balance: string; owed: string; available: string;
      with_outstanding: string; avg_utilisation: string | null; vip: string; at_risk: string;
    }>(`
      select count(*) filter (where ${LIVE})::text as total,
             count(*) filter (where ${LIVE} and c.is_active)::text as active,
             count(*) filter (where ${LIVE} and c.created_at >= (?::date)::timestamp at time zone 'UTC')::text as new_this_month,
             count(*) filter (where c.deleted_at is not null)::text as deleted,
             coalesce(sum(c.credit_limit) filter (where ${LIVE}), 0)::text as credit_limit,
             coalesce(sum(c.balance) filter (where ${LIVE}), 0)::text as balance,
             coalesce(sum(-c.balance) filter (where ${LIVE} and c.balance < 0), 0)::text as owed,
             coalesce(sum(greatest(c.credit_limit - greatest(-c.balance, 0), 0)) filter (where ${LIVE}), 0)::text as available,
             count(*) filter (where ${LIVE} and (c.balance < 0 or exists (select 1 from invoices i where i.customer_id = c.id and i.status in ('issued', 'overdue'))))::text as with_outstanding,
             round(avg(greatest(-c.balance, 0) / c.credit_limit * 100) filter (where ${LIVE} and c.credit_limit > 0), 2)::text as avg_utilisation,
             count(*) filter (where ${LIVE} and ${STARS_SQL} = 5)::text as vip,
             count(*) filter (where ${LIVE} and (${STARS_SQL} <= 2 or s.risk_level = 'red'
               or exists (select 1 from invoices i where i.customer_id = c.id and i.status in ('issued', 'overdue') and i.due_date < ?::date)))::text as at_risk
        from customers c left join customer_scores s on s.customer_id = c.id`, [monthStart, today]);
    const [revenue] = await this.sql<{ revenue: string }>(`
      select coalesce(sum(p.amount - p.refunded_amount), 0)::text as revenue from payments p join customers c on c.id = p.customer_id
       where ${LIVE} and ${revenuePaymentSql('p')}`);
    const risk = await this.sql<{ k: string; n: string }>(`select s.risk_level as k, count(*)::text as n from customers c join customer_scores s on s.customer_id = c.id where ${LIVE} group by 1`);
    const segments = await this.rfmDistribution();
    const total = Number(totals?.total ?? 0);
    const active = Number(totals?.active ?? 0);
    return {
      totalCustomers: total,
      activeCustomers: active,
      inactiveCustomers: total - active,
      newCustomersThisMonth: Number(totals?.new_this_month ?? 0),
      deletedCustomers: Number(totals?.deleted ?? 0),
      typeDistribution: (await this.typeDistribution()).entries,
      industryDistribution: (await this.industryDistribution()).entries,
      ratingDistribution: (await this.ratingDistribution()).entries,
      riskDistribution: entries(RISK_LEVELS, counted(risk)),
      segmentDistribution: segments.entries,
      financial: {
        totalCreditLimit: moneyOf(totals?.credit_limit ?? '0'),
        totalBalance: moneyOf(totals?.balance ?? '0'),
        totalOwed: moneyOf(totals?.owed ?? '0'),
        totalAvailableCredit: moneyOf(totals?.available ?? '0'),
        customersWithOutstanding: Number(totals?.with_outstanding ?? 0),
        avgCreditUtilisation: totals?.avg_utilisation === null || totals?.avg_utilisation === undefined ? '0.00' : new Decimal(totals.avg_utilisation).toFixed(2),
        totalRevenue: moneyOf(revenue?.revenue ?? '0'),
      },
      vipCustomers: Number(totals?.vip ?? 0),
      atRiskCustomers: Number(totals?.at_risk ?? 0),
      scoresComputedAt: segments.computedAt,
    };
  }

  /**
   * ListOutstandingBalances (7.2): customers with a negative balance or unpaid invoices, most owed
   * first; each with its live overdue days and amount.
   */
  async outstanding(page: Page): Promise<{ customers: OutstandingBalance[]; total: number }> {
    const from = `
      from customers c
      left join (select customer_id, sum(total_amount - paid_amount) as unpaid from invoices where status in ('issued', 'overdue') group by customer_id) i
        on i.customer_id = c.id
     where ${LIVE} and (c.balance < 0 or coalesce(i.unpaid, 0) > 0)`;
    const [count] = await this.sql<{ n: string }>(`select count(*)::text as n ${from}`);
    const rows = await this.sql<{ id: string; owed: string }>(
      `select c.id, (greatest(-c.balance, 0) + coalesce(i.unpaid, 0))::text as owed ${from} order by 2 desc, c.id limit ? offset ?`,
      [page.pageSize, page.offset],
    );
    const records = await this.directory.records(rows.map((row) => row.id));
    const owed = new Map(rows.map((row) => [row.id, moneyOf(row.owed)]));
    return { total: Number(count?.n ?? 0), customers: records.map((record) => ({ record, owed: owed.get(record.customer.id) ?? '0.00' })) };
  }

  /**
   * ListVipCustomers (7.3): customers rated 5 stars (in force) and the `limit` customers with the
   * most revenue; by revenue, highest first, at most `limit`.
   */
  async vip(limit: number): Promise<VipCustomer[]> {
    const rows = await this.sql<{ id: string; revenue: string; five: boolean; top: boolean }>(`
      with revenue as (
        select p.customer_id, sum(p.amount - p.refunded_amount) as revenue from payments p
         where ${revenuePaymentSql('p')} group by p.customer_id
      ),
      top as (
        select r.customer_id from revenue r join customers c on c.id = r.customer_id
         where ${LIVE} and r.revenue > 0 order by r.revenue desc, r.customer_id limit ?
      )
      select c.id, coalesce(r.revenue, 0)::text as revenue, ${STARS_SQL} = 5 as five, exists (select 1 from top t where t.customer_id = c.id) as top
        from customers c left join customer_scores s on s.customer_id = c.id left join revenue r on r.customer_id = c.id
       where ${LIVE} and (${STARS_SQL} = 5 or c.id in (select customer_id from top))
       order by coalesce(r.revenue, 0) desc, c.id
       limit ?`, [limit, limit]);
    const records = await this.directory.records(rows.map((row) => row.id));
    const reasons = new Map(rows.map((row) => [row.id, row.five && row.top ? 'both' as const : row.five ? 'five_stars' as const : 'top_revenue' as const]));
    return records.map((record) => ({ record, reason: reasons.get(record.customer.id) ?? 'top_revenue' }));
  }

  /** When the stored scores were last computed (the newest row), '' when never. */
  async scoresComputedAt(): Promise<string> {
    const [row] = await this.sql<{ at: Date | null }>('select max(computed_at) as at from customer_scores');
    return row?.at ? rfc3339(new Date(row.at)) : '';
  }

  private distribution(order: readonly string[], counts: ReadonlyMap<string, number>): { entries: DistributionEntry[]; total: number } {
    const list = entries(order, counts);
    return { entries: list, total: list.reduce((sum, entry) => sum + entry.count, 0) };
  }
}
