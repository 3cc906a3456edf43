/**
 * What the CRM shows of a customer, computed from its real orders, payments and invoices
 * (crm-customer-controller.md "计算字段" and 5.1; issue 10 "Computed on read"): available credit,
 * overdue days, payment punctuality, the rating in force, the credit risk level, the RFM segment,
 * order frequency and the customer lifetime value. The figures come from the database
 * (src/application/crm/customer-figures.ts); everything here is pure and takes the day it is
 * computed for, so the same figures always give the same answer.
 *
 * Definitions (NodeBill's mapping of the document onto orders, payments and invoices):
 * - Revenue: money received for orders and invoices (successful payments, net of refunds);
 *   recharges are deposits, not revenue.
 * - Paid orders: orders in status paid, provisioning, active, suspended or completed. RFM uses
 *   them: recency = days since the last one was paid, frequency = how many, monetary = what was
 *   paid for them net of refunds.
 * - Payments for punctuality: every paid order that no invoice bills (paid at checkout, before
 *   delivery: on time) and every invoice with a due date that was paid or fell due. An invoice is
 *   on time when paid on or before its due date (UTC days), late when paid after it or still
 *   unpaid past it. A paid order that an invoice bills counts once, through that invoice.
 * - Overdue days: the larger of the oldest unpaid invoice's days past due and, when the balance is
 *   negative, the days past `payment terms` since it went negative (the document's
 *   "currentBalance < 0 && 超过paymentTerms天").
 * - Relationship age: months since the first order or the first invoice, whichever came first
 *   (30.4375 days a month); order frequency: paid orders per month over that age, at least one
 *   month.
 * - Average order amount: what the paid orders were paid, net of refunds, per paid order.
 * - Customer lifetime value: revenue so far plus `clvHorizonMonths` months at the customer's
 *   average monthly revenue so far — none for a customer in the churn-warning segment, who is not
 *   expected to buy again (the document's "基于历史数据预测未来价值").
 */
import { Decimal } from 'decimal.js';
import { formatMoney } from '../money.ts';
import { assessCreditRisk, overdueDaysOf, overdueOf, type CreditRisk, type CreditRiskPolicy } from './credit-risk.ts';
import { ratingInForce, type RatingSource } from './profile.ts';
import { computeRating, type ComputedRating, type RatingInput, type Stars } from './rating.ts';
import { scoreRfm, type RfmResult, type RfmThresholds } from './rfm.ts';

/** Days in an average month (365.25 / 12). */
export const DAYS_PER_MONTH = 30.4375;
const DAY_MS = 86_400_000;

/** A customer's figures as the database sums them. Money as decimal strings, times RFC3339, dates `YYYY-MM-DD`. */
export interface CustomerFigures {
  /** All orders, any status. */
  totalOrders: number;
  /** Orders in a paid status (see the file comment). */
  paidOrders: number;
  /** Net money received for orders and invoices. */
  totalRevenue: string;
  /** Net money paid for the paid orders (RFM monetary). */
  paidOrderTotal: string;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  /** When the first invoice was issued. */
  firstInvoiceAt: string | null;
  /** When the last paid order was paid. */
  lastPaidOrderAt: string | null;
  /** Paid orders no invoice bills. */
  checkoutPayments: number;
  /** Invoices paid on or before their due date. */
  onTimeInvoices: number;
  /** Invoices paid after their due date, or unpaid past it. */
  lateInvoices: number;
  /** Invoices unpaid past their due date now. */
  overdueInvoices: number;
  /** What those still have due. */
  overdueInvoiceAmount: string;
  /** What every issued or overdue invoice still has due. */
  unpaidInvoiceAmount: string;
  /** Due date of the oldest unpaid invoice. */
  oldestUnpaidDueDate: string | null;
  /** When the balance last went negative, while it is negative. */
  debtSince: string | null;
  /** Average days from issue to payment of paid invoices, 2 decimals; null without. */
  avgPaymentDays: string | null;
  /** The most days an invoice was paid (or is unpaid) after its due date; 0 when never. */
  maxOverdueDays: number;
  /** The last successful payment of any kind. */
  lastPaymentAt: string | null;
}

/** Figures of a customer without any order, payment or invoice. */
export const NO_FIGURES: CustomerFigures = {
  totalOrders: 0, paidOrders: 0, totalRevenue: '0.00', paidOrderTotal: '0.00', firstOrderAt: null, lastOrderAt: null, firstInvoiceAt: null, lastPaidOrderAt: null,
  checkoutPayments: 0, onTimeInvoices: 0, lateInvoices: 0, overdueInvoices: 0, overdueInvoiceAmount: '0.00', unpaidInvoiceAmount: '0.00',
  oldestUnpaidDueDate: null, debtSince: null, avgPaymentDays: null, maxOverdueDays: 0, lastPaymentAt: null,
};

/** The settings the view is computed with (`[crm]`, `[billing] due_days`). */
export interface CrmPolicy {
  rfm: RfmThresholds;
  risk: CreditRiskPolicy;
  /** Months of future revenue in the lifetime value. */
  clvHorizonMonths: number;
  /** Payment terms of customers without their own (`[billing] due_days`). */
  defaultPaymentTermsDays: number;
}

/** The account facts the view needs besides the figures. */
export interface CustomerAccountFacts {
  balance: string;
  creditLimit: string;
  paymentTermsDays: number | null;
  /** The manual rating, null when none. */
  rating: Stars | null;
}

/** Payment punctuality. */
export interface Punctuality {
  payments: number;
  onTime: number;
  late: number;
  /** onTime / payments × 100, 2 decimals (rounded down); null without payments. */
  onTimeRate: string | null;
}

/** Everything the CRM shows of a customer. Money as decimal strings with two places. */
export interface CustomerCrmView {
  owed: string;
  availableCredit: string;
  overdueDays: number;
  isOverdue: boolean;
  /** Overdue invoices' due amounts, plus the whole debt when the debt itself is past the terms. */
  overdueAmount: string;
  rating: { stars: Stars; source: RatingSource };
  punctuality: Punctuality;
  risk: CreditRisk;
  rfm: RfmResult & { daysSinceLastPaidOrder: number | null };
  /** Whole days since the first order; null without orders. */
  daysSinceFirstOrder: number | null;
  /** Paid orders per month, 2 decimals. */
  orderFrequency: string;
  avgOrderAmount: string;
  customerLifetimeValue: string;
  /** Whether the customer has a payment history to rate (a paid order, or an invoice that fell due or was paid). */
  hasHistory: boolean;
}

/** Whole UTC days from `from` to `to` (RFC3339 or `YYYY-MM-DD`). */
export function wholeDays(from: string, to: string): number {
  return Math.floor((Date.parse(`${to.slice(0, 10)}T00:00:00Z`) - Date.parse(`${from.slice(0, 10)}T00:00:00Z`)) / DAY_MS);
}

/** Payment punctuality of `figures` (see the file comment). */
export function punctualityOf(figures: CustomerFigures): Punctuality {
  const onTime = figures.checkoutPayments + figures.onTimeInvoices;
  const payments = onTime + figures.lateInvoices;
  const onTimeRate = payments === 0 ? null : new Decimal(onTime).dividedBy(payments).times(100).toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed(2);
  return { payments, onTime, late: figures.lateInvoices, onTimeRate };
}

/** When the relationship began: the first order or the first invoice, whichever came first; null without either. */
export function relationshipStart(figures: CustomerFigures): string | null {
  const starts = [figures.firstOrderAt, figures.firstInvoiceAt].filter((value): value is string => value !== null);
  if (starts.length === 0) return null;
  return starts.reduce((earliest, value) => (Date.parse(value) < Date.parse(earliest) ? value : earliest));
}

/** Months of relationship at `today` (fractional; see {@link relationshipStart}), 0 without orders or invoices. */
export function relationshipMonths(figures: CustomerFigures, today: string): number {
  const start = relationshipStart(figures);
  if (start === null) return 0;
  return Math.max(0, wholeDays(start, today)) / DAYS_PER_MONTH;
}

/** Paid orders per month over the relationship, counting at least one month. */
export function ordersPerMonth(figures: CustomerFigures, today: string): number {
  return figures.paidOrders / Math.max(1, relationshipMonths(figures, today));
}

/**
 * The computed rating's input for one customer, given the reseller-wide averages (over the
 * customers with a history).
 */
export function ratingInputOf(figures: CustomerFigures, averages: { averagePaid: string; averageOrdersPerMonth: number }, today: string): RatingInput {
  const punctuality = punctualityOf(figures);
  return {
    totalPaid: Decimal.max(0, figures.totalRevenue).toFixed(),
    averagePaid: averages.averagePaid,
    onTimePayments: punctuality.onTime,
    payments: punctuality.payments,
    ordersPerPeriod: ordersPerMonth(figures, today),
    averageOrdersPerPeriod: averages.averageOrdersPerMonth,
    monthsSinceFirstOrder: relationshipMonths(figures, today),
  };
}

/** Whether a customer has a history to rate: a paid order, or an invoice that was paid or fell due. */
export function hasHistory(figures: CustomerFigures): boolean {
  return punctualityOf(figures).payments > 0 || figures.paidOrders > 0;
}

/**
 * The computed ratings of every customer with a history, against the averages over them (the
 * document's factoryAvgRevenue and factoryAvgFrequency). Customers without one get none (null).
 * @param customers figures by customer id
 * @returns computed rating by customer id (null: no history)
 */
export function computeRatings(customers: ReadonlyMap<string, CustomerFigures>, today: string): Map<string, ComputedRating | null> {
  const rated = [...customers].filter(([, figures]) => hasHistory(figures));
  let revenue = new Decimal(0);
  // Summed in decimal: customers exactly at the average must get exactly a ratio of 1.
  let frequency = new Decimal(0);
  for (const [, figures] of rated) {
    revenue = revenue.plus(Decimal.max(0, figures.totalRevenue));
    frequency = frequency.plus(ordersPerMonth(figures, today));
  }
  const averages = rated.length === 0
    ? { averagePaid: '0', averageOrdersPerMonth: 0 }
    : { averagePaid: revenue.dividedBy(rated.length).toFixed(), averageOrdersPerMonth: frequency.dividedBy(rated.length).toNumber() };
  const out = new Map<string, ComputedRating | null>();
  for (const [id, figures] of customers) out.set(id, hasHistory(figures) ? computeRating(ratingInputOf(figures, averages, today)) : null);
  return out;
}

/**
 * The CRM view of one customer on `today` (RFC3339 or `YYYY-MM-DD`, UTC).
 * @param computedStars the last computed rating (customer_scores), null when never computed
 * @throws DomainError invalid_argument only for figures that break their own rules (a bug upstream)
 */
export function customerCrmView(account: CustomerAccountFacts, figures: CustomerFigures, computedStars: Stars | null, policy: CrmPolicy, today: string): CustomerCrmView {
  const balance = new Decimal(account.balance);
  const limit = new Decimal(account.creditLimit);
  const owed = balance.isNegative() ? balance.negated() : new Decimal(0);
  const terms = account.paymentTermsDays ?? policy.defaultPaymentTermsDays;
  const overdue = overdueOf({ oldestUnpaidDueDate: figures.oldestUnpaidDueDate, debtSince: figures.debtSince, paymentTermsDays: terms }, today);
  const overdueDays = overdue.days;
  const debtOverdue = figures.debtSince !== null && overdueDaysOf({ oldestUnpaidDueDate: null, debtSince: figures.debtSince, paymentTermsDays: terms }, today) > 0;
  const rating = ratingInForce(account.rating, computedStars);
  const punctuality = punctualityOf(figures);
  const risk = assessCreditRisk({
    stars: rating.stars, balance: account.balance, creditLimit: account.creditLimit, latePayments: punctuality.late, overdueDays, overdueSource: overdue.source ?? 'invoice',
  }, policy.risk);
  const daysSinceLastPaidOrder = figures.paidOrders > 0 && figures.lastPaidOrderAt !== null ? Math.max(0, wholeDays(figures.lastPaidOrderAt, today)) : null;
  const rfmResult = scoreRfm({ daysSinceLastPaidOrder, paidOrders: daysSinceLastPaidOrder === null ? 0 : figures.paidOrders, paidTotal: daysSinceLastPaidOrder === null ? '0' : Decimal.max(0, figures.paidOrderTotal).toFixed() }, policy.rfm);
  const months = relationshipMonths(figures, today);
  const revenue = Decimal.max(0, figures.totalRevenue);
  const future = rfmResult.segment === 'churn_warning' || revenue.isZero() ? new Decimal(0) : revenue.dividedBy(Math.max(1, months)).times(policy.clvHorizonMonths);
  return {
    owed: formatMoney(owed),
    availableCredit: formatMoney(Decimal.max(0, limit.minus(owed))),
    overdueDays,
    isOverdue: overdueDays > 0,
    overdueAmount: formatMoney(new Decimal(figures.overdueInvoiceAmount).plus(debtOverdue ? owed : 0)),
    rating,
    punctuality,
    risk,
    rfm: { ...rfmResult, daysSinceLastPaidOrder },
    daysSinceFirstOrder: figures.firstOrderAt === null ? null : Math.max(0, wholeDays(figures.firstOrderAt, today)),
    orderFrequency: new Decimal(ordersPerMonth(figures, today)).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2),
    avgOrderAmount: figures.paidOrders === 0 ? '0.00' : formatMoney(Decimal.max(0, figures.paidOrderTotal).dividedBy(figures.paidOrders)),
    customerLifetimeValue: formatMoney(revenue.plus(future)),
    hasHistory: hasHistory(figures),
  };
}
