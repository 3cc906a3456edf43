/**
 * The computed customer rating of the CRM document (crm-customer-controller.md, "客户评级算法"):
 * a weighted score of 0–100 points and its 1–5 stars, and the rule that a manual rating is kept
 * until it is cleared. Pure: the caller gathers the figures (from paid orders, payments and the
 * reseller-wide averages) and stores the result.
 *
 * The document's formula and how each term becomes a 0–100 sub-score here:
 *
 * | term (weight)                | document                                   | sub-score (0–100) here                              |
 * |------------------------------|--------------------------------------------|-----------------------------------------------------|
 * | order amount (30 %)          | (totalRevenue / factoryAvgRevenue) × 30    | min(totalPaid / averagePaid, 1) × 100               |
 * | on-time payment (40 %)       | onTimePaymentRate × 40                     | onTimePayments / payments × 100                     |
 * | order frequency (20 %)       | (orderFrequency / factoryAvgFrequency) × 20| min(ordersPerPeriod / averageOrdersPerPeriod, 1) × 100 |
 * | relationship age (10 %)      | min(daysSinceFirstOrder / 365, 5) × 2      | min(monthsSinceFirstOrder / 60, 1) × 100            |
 *
 * score = Σ sub-score × weight / 100.
 *
 * Choices where the document is silent or ambiguous:
 * - The two ratio terms are capped at the average (ratio 1 = full points). The document does not
 *   cap them, which would let one large customer score more than 100 points; the cap keeps every
 *   term within its weight and the total within 0–100.
 * - The age term counts months instead of days (the document's 5 years = 60 months, 2 points a
 *   year = 10 points at 5 years); the caller computes whole or fractional months.
 * - No payments yet: the on-time sub-score is 0 (no evidence of punctuality is not punctuality).
 *   A new customer keeps the creation default or a manual rating until it has a history.
 * - A reseller-wide average of 0 gives a sub-score of 0 (nobody has paid or ordered); a customer
 *   figure above 0 with an average of 0 is inconsistent and refused.
 * - Scores are reported truncated (never rounded up) to 2 decimal places, and the stars follow
 *   the exact score, so a customer never gains a star by rounding.
 * - The document's star bands "70-89" etc. are read as half-open on fractional scores:
 *   90 ≤ s → 5, 70 ≤ s < 90 → 4, 50 ≤ s < 70 → 3, 30 ≤ s < 50 → 2, s < 30 → 1.
 */
import { Decimal } from 'decimal.js';
import { invalid } from '../errors.ts';
import { countOf, decimalOf, measureOf } from './inputs.ts';

/** A rating in stars. */
export type Stars = 1 | 2 | 3 | 4 | 5;

/** The weight of each term, in percent of the total score; they sum to 100. */
export const RATING_WEIGHTS = { orderAmount: 30, onTimePayment: 40, orderFrequency: 20, relationshipAge: 10 } as const;

/** The months of relationship that earn the full age term (the document's 5 years). */
export const FULL_RELATIONSHIP_MONTHS = 60;

/** The least score (points, 0–100) for each star above 1, highest first. */
export const STAR_THRESHOLDS: readonly { readonly stars: Exclude<Stars, 1>; readonly minScore: number }[] = [
  { stars: 5, minScore: 90 },
  { stars: 4, minScore: 70 },
  { stars: 3, minScore: 50 },
  { stars: 2, minScore: 30 },
];

/** What the computed rating is made of. Money as decimal strings in the reseller's currency. */
export interface RatingInput {
  /** Sum of the customer's paid orders, decimal string ≥ 0, currency units (e.g. `"1200.00"`). */
  totalPaid: string;
  /** The average `totalPaid` over the reseller's customers (the document's factoryAvgRevenue), decimal string ≥ 0. */
  averagePaid: string;
  /** Payments made on or before their due date, a count ≥ 0. */
  onTimePayments: number;
  /** All payments considered, a count ≥ `onTimePayments`. */
  payments: number;
  /** The customer's orders per period (the document uses orders per month), a number ≥ 0. */
  ordersPerPeriod: number;
  /** The average `ordersPerPeriod` over the reseller's customers, same period, a number ≥ 0. */
  averageOrdersPerPeriod: number;
  /** Months since the customer's first order, a number ≥ 0 (fractions allowed). */
  monthsSinceFirstOrder: number;
}

/** Each term's sub-score, points 0–100 as a decimal string with 2 places (truncated). */
export interface RatingSubScores {
  orderAmount: string;
  onTimePayment: string;
  orderFrequency: string;
  relationshipAge: string;
}

/** A computed rating. */
export interface ComputedRating {
  subScores: RatingSubScores;
  /** The weighted score, points 0–100, decimal string with 2 places (truncated). */
  score: string;
  /** The stars of the exact score. */
  stars: Stars;
}

const HUNDRED = new Decimal(100);

/** min(part / whole, 1) × 100; 0 when `whole` is 0 (then `part` must be 0 too). */
function cappedRatio(field: string, part: Decimal, whole: Decimal): Decimal {
  if (whole.isZero()) {
    if (!part.isZero()) throw invalid(`${field}: the customer's figure is above 0 but the average is 0; the average must include this customer`);
    return new Decimal(0);
  }
  return Decimal.min(part.dividedBy(whole), 1).times(HUNDRED);
}

/** A points value in wire form: 2 places, truncated toward 0. */
function points(value: Decimal): string {
  return value.toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed(2);
}

/**
 * The stars of a score (points 0–100): ≥ 90 → 5, ≥ 70 → 4, ≥ 50 → 3, ≥ 30 → 2, otherwise 1.
 * @param score points, a Decimal or decimal string, 0–100
 * @throws DomainError invalid_argument when the score is outside 0–100
 */
export function starsForScore(score: Decimal | string): Stars {
  const value = typeof score === 'string' ? decimalOf('score', score) : score;
  if (value.isNegative() || value.greaterThan(HUNDRED)) throw invalid(`score must be between 0 and 100 points (got ${value.toString()})`);
  for (const { stars, minScore } of STAR_THRESHOLDS) if (value.greaterThanOrEqualTo(minScore)) return stars;
  return 1;
}

/**
 * The weighted score and stars of one customer; see the file comment for the formula.
 * @throws DomainError invalid_argument naming a malformed or inconsistent input
 */
export function computeRating(input: RatingInput): ComputedRating {
  const totalPaid = decimalOf('totalPaid', input.totalPaid);
  const averagePaid = decimalOf('averagePaid', input.averagePaid);
  const onTime = countOf('onTimePayments', input.onTimePayments);
  const payments = countOf('payments', input.payments);
  if (onTime > payments) throw invalid(`onTimePayments (${onTime}) must not exceed payments (${payments})`);
  const frequency = measureOf('ordersPerPeriod', input.ordersPerPeriod);
  const averageFrequency = measureOf('averageOrdersPerPeriod', input.averageOrdersPerPeriod);
  const months = measureOf('monthsSinceFirstOrder', input.monthsSinceFirstOrder);

  const orderAmount = cappedRatio('totalPaid', totalPaid, averagePaid);
  const onTimePayment = payments === 0 ? new Decimal(0) : new Decimal(onTime).dividedBy(payments).times(HUNDRED);
  const orderFrequency = cappedRatio('ordersPerPeriod', frequency, averageFrequency);
  const relationshipAge = Decimal.min(months.dividedBy(FULL_RELATIONSHIP_MONTHS), 1).times(HUNDRED);

  const score = orderAmount
    .times(RATING_WEIGHTS.orderAmount)
    .plus(onTimePayment.times(RATING_WEIGHTS.onTimePayment))
    .plus(orderFrequency.times(RATING_WEIGHTS.orderFrequency))
    .plus(relationshipAge.times(RATING_WEIGHTS.relationshipAge))
    .dividedBy(HUNDRED);

  return {
    subScores: {
      orderAmount: points(orderAmount),
      onTimePayment: points(onTimePayment),
      orderFrequency: points(orderFrequency),
      relationshipAge: points(relationshipAge),
    },
    score: points(score),
    stars: starsForScore(score),
  };
}

/**
 * Checks a manual rating sent by an admin: a whole number of stars 1–5.
 * @throws DomainError invalid_argument
 */
export function parseStars(field: string, value: number): Stars {
  const stars = starsOrNull(value);
  if (stars === null) throw invalid(`${field} must be a whole number of stars from 1 to 5 (got ${String(value)})`);
  return stars;
}

/** A stored rating as stars: 1–5, or null for anything else (no rating, a value out of range). */
export function starsOrNull(value: number | null): Stars | null {
  return value === 1 || value === 2 || value === 3 || value === 4 || value === 5 ? value : null;
}

/** The rating in force and where it comes from. */
export interface EffectiveRating {
  stars: Stars;
  source: 'manual' | 'computed';
}

/**
 * "A manual rating is kept until cleared": the manual rating when one is set, else the computed one.
 * @param manual the admin's rating, or null when none is set (or it was cleared)
 * @param computed the rating of {@link computeRating}
 */
export function effectiveRating(manual: Stars | null, computed: Stars): EffectiveRating {
  return manual === null ? { stars: computed, source: 'computed' } : { stars: manual, source: 'manual' };
}
