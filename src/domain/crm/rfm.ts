/**
 * RFM segmentation of the CRM document (crm-customer-controller.md, "RFM模型" and "客户分类"):
 * recency (days since the last paid order), frequency (paid orders) and monetary (paid total),
 * each scored high / medium / low against configurable thresholds, and the document's five
 * segments. Money is a decimal string compared with decimal.js. Pure.
 *
 * Scores (thresholds of {@link RfmThresholds}, all inclusive):
 * - recency:   days ≤ recency.highMaxDays → high; ≤ recency.mediumMaxDays → medium; else low
 * - frequency: orders ≥ frequency.highMinOrders → high; ≥ frequency.mediumMinOrders → medium; else low
 * - monetary:  total ≥ monetary.highMin → high; ≥ monetary.mediumMin → medium; else low
 *
 * Segments, first match wins:
 * 1. important_value   (重要价值, R high F high M high): VIP service, a dedicated account manager, preferential terms
 * 2. important_retain  (重要保持, R not high, F high, M high): regular visits, retention measures
 * 3. important_develop (重要发展, R high, F not high, M high): more contact, encourage repeat purchases
 * 4. churn_warning     (流失预警, R low): churn prevention, reactivation campaigns
 * 5. general           (一般, everything else): standard service
 *
 * Choices where the document is ambiguous: its recovered text lost the characters for "low" and
 * "medium", so segments 2–3 read "R:? F:high M:high" and "R:high F:? M:high" (read here as "not
 * high", which also places medium there), and the R/F/M letters of segments 4 and 5 are lost
 * entirely. Churn warning is read as "has not bought for long" (R low) for every customer not
 * already an important one; general is the rest. A customer with no paid order at all has
 * nothing to churn from and no recency: it is general, with `hasPaidOrders` false.
 */
import { Decimal } from 'decimal.js';
import { invalid } from '../errors.ts';
import { countOf, decimalOf } from './inputs.ts';

/** An R, F or M score. */
export type RfmLevel = 'high' | 'medium' | 'low';

/** The document's five customer segments. */
export type RfmSegment = 'important_value' | 'important_retain' | 'important_develop' | 'general' | 'churn_warning';

/** The segments in the document's order. */
export const RFM_SEGMENTS: readonly RfmSegment[] = ['important_value', 'important_retain', 'important_develop', 'general', 'churn_warning'];

/** What the document advises for each segment. */
export const SEGMENT_ACTIONS: Readonly<Record<RfmSegment, string>> = {
  important_value: 'VIP service, a dedicated account manager, preferential terms',
  important_retain: 'regular visits and retention measures',
  important_develop: 'more contact to encourage repeat purchases',
  general: 'standard service',
  churn_warning: 'churn prevention and reactivation campaigns',
};

/** The thresholds the scores are taken against; all inclusive. */
export interface RfmThresholds {
  recency: {
    /** At most this many days since the last paid order is high, a count ≥ 0. */
    highMaxDays: number;
    /** At most this many days is medium (≥ highMaxDays); more is low. */
    mediumMaxDays: number;
  };
  frequency: {
    /** At least this many paid orders is high (≥ mediumMinOrders). */
    highMinOrders: number;
    /** At least this many paid orders is medium, a count ≥ 1; fewer is low. */
    mediumMinOrders: number;
  };
  monetary: {
    /** A paid total of at least this is high, decimal string ≥ mediumMin, currency units. */
    highMin: string;
    /** A paid total of at least this is medium, decimal string ≥ 0; less is low. */
    mediumMin: string;
  };
}

/** Default thresholds: a month / a quarter; 10 / 3 orders; 5000.00 / 1000.00. */
export const DEFAULT_RFM_THRESHOLDS: RfmThresholds = {
  recency: { highMaxDays: 30, mediumMaxDays: 90 },
  frequency: { highMinOrders: 10, mediumMinOrders: 3 },
  monetary: { highMin: '5000.00', mediumMin: '1000.00' },
};

/** One customer's paid-order figures. */
export interface RfmInput {
  /** Whole days since the last paid order, ≥ 0; null when the customer has no paid order. */
  daysSinceLastPaidOrder: number | null;
  /** Paid orders, a count ≥ 0; 0 exactly when `daysSinceLastPaidOrder` is null. */
  paidOrders: number;
  /** Sum of the paid orders, decimal string ≥ 0, currency units. */
  paidTotal: string;
}

/** A customer's RFM scores and segment. */
export interface RfmResult {
  recency: RfmLevel;
  frequency: RfmLevel;
  monetary: RfmLevel;
  segment: RfmSegment;
  hasPaidOrders: boolean;
}

/**
 * Checks thresholds set by an admin: counts ≥ 0 (medium orders ≥ 1), money as decimal strings,
 * and each "high" at least as strict as its "medium".
 * @throws DomainError invalid_argument naming the threshold
 */
export function validateRfmThresholds(thresholds: RfmThresholds): RfmThresholds {
  const { recency, frequency, monetary } = thresholds;
  const highDays = countOf('recency.highMaxDays', recency.highMaxDays);
  const mediumDays = countOf('recency.mediumMaxDays', recency.mediumMaxDays);
  if (mediumDays < highDays) throw invalid(`recency.mediumMaxDays (${mediumDays}) must be at least recency.highMaxDays (${highDays})`);
  const highOrders = countOf('frequency.highMinOrders', frequency.highMinOrders);
  const mediumOrders = countOf('frequency.mediumMinOrders', frequency.mediumMinOrders);
  if (mediumOrders < 1) throw invalid('frequency.mediumMinOrders must be at least 1');
  if (highOrders < mediumOrders) throw invalid(`frequency.highMinOrders (${highOrders}) must be at least frequency.mediumMinOrders (${mediumOrders})`);
  const highMoney = decimalOf('monetary.highMin', monetary.highMin);
  const mediumMoney = decimalOf('monetary.mediumMin', monetary.mediumMin);
  if (highMoney.lessThan(mediumMoney)) throw invalid(`monetary.highMin (${monetary.highMin}) must be at least monetary.mediumMin (${monetary.mediumMin})`);
  return thresholds;
}

/** The recency score of `days` since the last paid order; null (never paid) is low. */
export function recencyLevel(days: number | null, thresholds: RfmThresholds['recency']): RfmLevel {
  if (days === null) return 'low';
  if (days <= thresholds.highMaxDays) return 'high';
  return days <= thresholds.mediumMaxDays ? 'medium' : 'low';
}

/** The frequency score of a number of paid orders. */
export function frequencyLevel(orders: number, thresholds: RfmThresholds['frequency']): RfmLevel {
  if (orders >= thresholds.highMinOrders) return 'high';
  return orders >= thresholds.mediumMinOrders ? 'medium' : 'low';
}

/** The monetary score of a paid total (decimal string or Decimal). */
export function monetaryLevel(total: Decimal | string, thresholds: RfmThresholds['monetary']): RfmLevel {
  const value = typeof total === 'string' ? decimalOf('paidTotal', total) : total;
  if (value.greaterThanOrEqualTo(new Decimal(thresholds.highMin))) return 'high';
  return value.greaterThanOrEqualTo(new Decimal(thresholds.mediumMin)) ? 'medium' : 'low';
}

/** The segment of three scores (see the file comment); for customers with at least one paid order. */
export function segmentOf(recency: RfmLevel, frequency: RfmLevel, monetary: RfmLevel): RfmSegment {
  if (frequency === 'high' && monetary === 'high') return recency === 'high' ? 'important_value' : 'important_retain';
  if (recency === 'high' && monetary === 'high') return 'important_develop';
  if (recency === 'low') return 'churn_warning';
  return 'general';
}

/**
 * A customer's RFM scores and segment.
 * @throws DomainError invalid_argument naming a malformed or inconsistent input or threshold
 */
export function scoreRfm(input: RfmInput, thresholds: RfmThresholds = DEFAULT_RFM_THRESHOLDS): RfmResult {
  validateRfmThresholds(thresholds);
  const orders = countOf('paidOrders', input.paidOrders);
  const days = input.daysSinceLastPaidOrder === null ? null : countOf('daysSinceLastPaidOrder', input.daysSinceLastPaidOrder);
  const total = decimalOf('paidTotal', input.paidTotal);
  if ((days === null) !== (orders === 0)) {
    throw invalid(`daysSinceLastPaidOrder must be null exactly when paidOrders is 0 (got ${String(days)} days and ${orders} orders)`);
  }
  if (orders === 0 && !total.isZero()) throw invalid(`paidTotal must be 0 when paidOrders is 0 (got "${input.paidTotal}")`);

  const recency = recencyLevel(days, thresholds.recency);
  const frequency = frequencyLevel(orders, thresholds.frequency);
  const monetary = monetaryLevel(total, thresholds.monetary);
  const hasPaidOrders = orders > 0;
  return { recency, frequency, monetary, segment: hasPaidOrders ? segmentOf(recency, frequency, monetary) : 'general', hasPaidOrders };
}

/** How many customers fall in each segment; every segment is present, 0 when empty. */
export function segmentDistribution(segments: Iterable<RfmSegment | RfmResult>): Record<RfmSegment, number> {
  const counts: Record<RfmSegment, number> = { important_value: 0, important_retain: 0, important_develop: 0, general: 0, churn_warning: 0 };
  for (const item of segments) {
    const segment = typeof item === 'string' ? item : item.segment;
    if (!RFM_SEGMENTS.includes(segment)) throw invalid(`unknown RFM segment "${String(segment)}"`);
    counts[segment] += 1;
  }
  return counts;
}
