/**
 * The credit risk levels of the CRM document (crm-customer-controller.md, "信用风险等级"): green,
 * yellow, orange, red, from the customer's rating, credit utilisation, overdue history, and being
 * over the limit or more than 30 days overdue. Red customers are refused new orders. Pure.
 *
 * Each factor is assessed on its own and the customer's level is the worst of them:
 *
 * | factor            | green            | yellow                         | orange                                  | red                      |
 * |-------------------|------------------|--------------------------------|-----------------------------------------|--------------------------|
 * | rating            | 5 stars          | 3–4 stars                      | 1–2 stars                               | —                        |
 * | utilisation       | < 30 %           | 30 %–70 % (both inclusive)     | > 70 % (up to the limit)                | —                        |
 * | overdue history   | no late payments | 1 to frequent−1 late payments  | ≥ frequent late payments, or an invoice 1–30 days overdue | —   |
 * | limit / overdue   | —                | —                              | —                                       | owes more than the limit, or an invoice > 30 days overdue |
 *
 * Utilisation = owed / credit limit × 100, where owed = −balance when the (prepaid) balance is
 * negative, else 0 — the document's abs(currentBalance) / creditLimit for a balance that is owed.
 *
 * Choices where the document is silent or ambiguous:
 * - "Occasional" vs "frequent" overdue: counted as late payments in the history; 3 or more is
 *   frequent (configurable, {@link CreditRiskPolicy.frequentLatePayments}).
 * - An invoice overdue now by 1–30 days is orange: yellow describes lateness "repaid promptly",
 *   which an open overdue invoice is not yet; past 30 days it is red.
 * - Over the limit means owing strictly more than the limit; owing exactly the limit is 100 %
 *   utilisation, orange. With a limit of 0, owing nothing is 0 % and owing anything is over the limit.
 */
import { Decimal } from 'decimal.js';
import { invalid } from '../errors.ts';
import { formatMoney } from '../money.ts';
import { countOf, decimalOf } from './inputs.ts';
import type { Stars } from './rating.ts';

/** A credit risk level, least to most severe. */
export type RiskLevel = 'green' | 'yellow' | 'orange' | 'red';

/** The levels in order of severity. */
export const RISK_LEVELS: readonly RiskLevel[] = ['green', 'yellow', 'orange', 'red'];

/** Utilisation below this percentage is green. */
export const GREEN_UTILISATION_BELOW = 30;
/** Utilisation above this percentage is orange; between the two (inclusive) is yellow. */
export const ORANGE_UTILISATION_ABOVE = 70;
/** An invoice overdue by more than this many days makes the customer red. */
export const RED_OVERDUE_DAYS = 30;

/** The configurable part of the rules. */
export interface CreditRiskPolicy {
  /** Late payments from which the history counts as frequent (orange); default 3, a count ≥ 1. */
  frequentLatePayments: number;
}

/** The default policy. */
export const DEFAULT_CREDIT_RISK_POLICY: CreditRiskPolicy = { frequentLatePayments: 3 };

/** What the level is decided from. */
export interface CreditRiskInput {
  /** The rating in force (manual or computed), stars 1–5. */
  stars: Stars;
  /** The customer's prepaid balance, signed decimal string, currency units; negative = owed. */
  balance: string;
  /** The credit limit, decimal string ≥ 0, currency units. */
  creditLimit: string;
  /** Payments in the history made after their due date, a count ≥ 0. */
  latePayments: number;
  /** Days the oldest unpaid invoice is past its due date, a count ≥ 0; 0 when nothing is overdue. */
  overdueDays: number;
  /** What is overdue: an unpaid invoice (default), or a negative balance older than the payment terms. */
  overdueSource?: OverdueSource;
}

/** What an overdue amount is: an unpaid invoice past its due date, or a debt on credit past the payment terms. */
export type OverdueSource = 'invoice' | 'debt';

/** One factor's assessment. */
export interface RiskFactor {
  factor: 'rating' | 'utilisation' | 'overdue' | 'limit';
  level: RiskLevel;
  /** What it means and what to do, for a person. */
  message: string;
}

/** A customer's credit risk. */
export interface CreditRisk {
  /** The worst level of the factors. */
  level: RiskLevel;
  /** The messages of the factors at `level`: why the customer is at this level. */
  reasons: string[];
  /** Every factor assessed, most severe first. */
  factors: RiskFactor[];
  /** Credit utilisation in percent with 2 places (rounded away from the threshold it is past), or null when the limit is 0. */
  utilisationPercent: string | null;
  /** Whether new orders are refused (see {@link refusesNewOrders}). */
  refusesNewOrders: boolean;
}

function severity(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * A utilisation in percent with 2 places, rounded so the figure shown stays on the side of the
 * thresholds the exact value is on: down at or below 70 % (29.999 → 29.99, green), up above it
 * (70.001 → 70.01, orange).
 */
function showPercent(percent: Decimal): string {
  const mode = percent.greaterThan(ORANGE_UTILISATION_ABOVE) ? Decimal.ROUND_UP : Decimal.ROUND_DOWN;
  return percent.toDecimalPlaces(2, mode).toFixed(2);
}

function ratingFactor(stars: Stars): RiskFactor {
  if (stars === 5) return { factor: 'rating', level: 'green', message: 'rated 5 stars' };
  if (stars >= 3) {
    return { factor: 'rating', level: 'yellow', message: `rated ${stars} stars (green needs 5): improve punctual payment and order volume to raise the rating` };
  }
  return { factor: 'rating', level: 'orange', message: `rated ${plural(stars, 'star', 'stars')} (1–2 stars is orange): review the customer's payment record before extending more credit` };
}

function utilisationFactor(owed: Decimal, limit: Decimal, percent: Decimal | null): RiskFactor {
  if (owed.greaterThan(limit)) {
    const excess = formatMoney(owed.minus(limit));
    return {
      factor: 'limit',
      level: 'red',
      message: `owes ${formatMoney(owed)}, ${excess} over the credit limit of ${formatMoney(limit)}: new orders are refused until the customer pays at least ${excess} or the limit is raised`,
    };
  }
  const shown = percent === null ? '0.00' : showPercent(percent);
  const value = percent ?? new Decimal(0);
  const detail = `credit utilisation is ${shown} % (owes ${formatMoney(owed)} of a ${formatMoney(limit)} limit)`;
  if (value.lessThan(GREEN_UTILISATION_BELOW)) return { factor: 'utilisation', level: 'green', message: `${detail}, below ${GREEN_UTILISATION_BELOW} %` };
  if (value.lessThanOrEqualTo(ORANGE_UTILISATION_ABOVE)) {
    return { factor: 'utilisation', level: 'yellow', message: `${detail}, ${GREEN_UTILISATION_BELOW}–${ORANGE_UTILISATION_ABOVE} %: collect outstanding payments to bring it below ${GREEN_UTILISATION_BELOW} %` };
  }
  return { factor: 'utilisation', level: 'orange', message: `${detail}, more than ${ORANGE_UTILISATION_ABOVE} %: collect payment or raise the credit limit before the customer reaches it` };
}

function overdueFactor(latePayments: number, overdueDays: number, source: OverdueSource, policy: CreditRiskPolicy): RiskFactor {
  const what = source === 'invoice' ? `an invoice is ${plural(overdueDays, 'day', 'days')} overdue` : `the balance has been owed ${plural(overdueDays, 'day', 'days')} past the payment terms`;
  if (overdueDays > RED_OVERDUE_DAYS) {
    return { factor: 'overdue', level: 'red', message: `${what} (more than ${RED_OVERDUE_DAYS}): new orders are refused until it is paid` };
  }
  if (overdueDays > 0) {
    return { factor: 'overdue', level: 'orange', message: `${what}: chase the payment; after ${RED_OVERDUE_DAYS} days new orders are refused` };
  }
  if (latePayments >= policy.frequentLatePayments) {
    return { factor: 'overdue', level: 'orange', message: `${plural(latePayments, 'late payment', 'late payments')} in the history (${policy.frequentLatePayments} or more is frequent): ask for payment on time or shorten the payment terms` };
  }
  if (latePayments > 0) {
    return { factor: 'overdue', level: 'yellow', message: `${plural(latePayments, 'late payment', 'late payments')} in the history, since repaid: remind the customer of the due dates` };
  }
  return { factor: 'overdue', level: 'green', message: 'no late or overdue payments' };
}

/**
 * The customer's credit risk level and the reasons for it; see the file comment for the rules.
 * @throws DomainError invalid_argument naming a malformed input or policy
 */
export function assessCreditRisk(input: CreditRiskInput, policy: CreditRiskPolicy = DEFAULT_CREDIT_RISK_POLICY): CreditRisk {
  if (![1, 2, 3, 4, 5].includes(input.stars)) throw invalid(`stars must be a whole number from 1 to 5 (got ${String(input.stars)})`);
  const balance = decimalOf('balance', input.balance, { allowNegative: true });
  const limit = decimalOf('creditLimit', input.creditLimit);
  const latePayments = countOf('latePayments', input.latePayments);
  const overdueDays = countOf('overdueDays', input.overdueDays);
  if (countOf('frequentLatePayments', policy.frequentLatePayments) < 1) throw invalid('frequentLatePayments must be at least 1');

  const owed = balance.isNegative() ? balance.negated() : new Decimal(0);
  const percent = limit.isZero() ? null : owed.dividedBy(limit).times(100);

  const factors: RiskFactor[] = [utilisationFactor(owed, limit, percent), overdueFactor(latePayments, overdueDays, input.overdueSource ?? 'invoice', policy), ratingFactor(input.stars)];
  // Stable sort: factors of equal level keep the order credit, overdue, rating.
  factors.sort((a, b) => severity(b.level) - severity(a.level));

  const level = factors[0].level;
  return {
    level,
    reasons: factors.filter((f) => f.level === level).map((f) => f.message),
    factors,
    utilisationPercent: percent === null ? null : showPercent(percent),
    refusesNewOrders: refusesNewOrders(level),
  };
}

/** Whether a customer at `level` is refused new orders: true for red only. */
export function refusesNewOrders(level: RiskLevel): boolean {
  return level === 'red';
}

/**
 * What the money path knows of a customer's overdue standing when it places an order: the due
 * date of the oldest invoice still unpaid (issued or overdue) and when the balance last went below
 * zero (a debt on credit is due after the payment terms, like an invoice). Dates as the database
 * gives them; see {@link overdueDaysOf}.
 */
export interface OverdueStanding {
  /** Due date (`YYYY-MM-DD`) of the oldest unpaid invoice, or null when none is unpaid. */
  oldestUnpaidDueDate: string | null;
  /** When the balance last went from ≥ 0 to < 0 (RFC3339); null when it is not negative now. */
  debtSince: string | null;
  /** The customer's payment terms in days (its own, else the `[billing] due_days` default). */
  paymentTermsDays: number;
}

const DAY_MS = 86_400_000;

/** Whole days from date `from` to date `to` (`YYYY-MM-DD` or RFC3339; the UTC day counts). */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to.slice(0, 10)}T00:00:00Z`) - Date.parse(`${from.slice(0, 10)}T00:00:00Z`)) / DAY_MS);
}

/** `date` (`YYYY-MM-DD` or RFC3339) plus `days`, as `YYYY-MM-DD` (UTC). */
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Days the oldest overdue amount is past due on `today` (`YYYY-MM-DD` or RFC3339, UTC), and what
 * it is: an unpaid invoice after its due date, or a negative balance after `paymentTermsDays` from
 * the day it went negative (the CRM document's "isOverdue = currentBalance < 0 &&
 * 超过paymentTerms天"); the larger of the two (the invoice on a tie), 0 days and a null source when
 * nothing is overdue. On the due day itself nothing is overdue yet.
 */
export function overdueOf(standing: OverdueStanding, today: string): { days: number; source: OverdueSource | null } {
  const invoice = standing.oldestUnpaidDueDate === null ? 0 : daysBetween(standing.oldestUnpaidDueDate, today);
  const debt = standing.debtSince === null ? 0 : daysBetween(addDays(standing.debtSince, standing.paymentTermsDays), today);
  if (invoice <= 0 && debt <= 0) return { days: 0, source: null };
  return invoice >= debt ? { days: invoice, source: 'invoice' } : { days: debt, source: 'debt' };
}

/** The days of {@link overdueOf}: 0 when nothing is overdue. */
export function overdueDaysOf(standing: OverdueStanding, today: string): number {
  return overdueOf(standing, today).days;
}

/**
 * Why a customer may not place a new order (credit risk level red), or an empty list when it may:
 * it owes more than its credit limit, or an amount is more than {@link RED_OVERDUE_DAYS} days
 * overdue. Red does not depend on the rating or the late-payment history, so only these facts
 * are needed (the money path checks them on every CreateOrder).
 * @param input balance (signed decimal string), credit limit (decimal string ≥ 0), overdue days
 * @throws DomainError invalid_argument for a malformed input
 */
export function newOrderRefusals(input: { balance: string; creditLimit: string; overdueDays: number; overdueSource?: OverdueSource }): string[] {
  const risk = assessCreditRisk({
    stars: 5, balance: input.balance, creditLimit: input.creditLimit, latePayments: 0, overdueDays: input.overdueDays, overdueSource: input.overdueSource ?? 'invoice',
  });
  return risk.level === 'red' ? risk.reasons : [];
}
