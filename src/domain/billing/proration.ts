/**
 * Day-based proration of a service period billed in advance: the part of a period's price that
 * the days still to come are worth, and what a plan change mid-period costs or gives back. Whole
 * UTC calendar days (service-period.ts); every amount rounded half-up to 2 places on its own. Pure.
 */
import { Decimal } from 'decimal.js';
import { formatMoney, parseMoney } from '../money.ts';
import { periodDays, remainingDays, type ServicePeriod } from './service-period.ts';

function prorated(field: string, price: string, period: ServicePeriod, at: string): Decimal {
  const amount = parseMoney(field, price);
  const days = periodDays(period);
  if (days === 0) return new Decimal(0);
  return amount.times(remainingDays(period, at)).dividedBy(days).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/**
 * The part of `price` (one whole period's price) the rest of `period` is worth at `at`:
 * `price × remainingDays / periodDays`, half-up to 2 places; `"0.00"` for a period of 0 days.
 * E.g. `"10.00"` with 1 of 3 days left → `"3.33"`.
 * @param price a decimal string ≥ 0 with at most 2 places
 * @param at an RFC3339 instant
 * @returns a decimal string with 2 places
 * @throws DomainError invalid_argument naming `price` when it is not such an amount; Error when an
 *   instant is not RFC3339 or the period ends before it starts
 */
export function prorate(price: string, period: ServicePeriod, at: string): string {
  return formatMoney(prorated('price', price, period, at));
}

/** What a plan change within a period amounts to; money as decimal strings with 2 places. */
export interface PlanChangeAmounts {
  /** The old plan's unused part, given back: prorate(oldPrice). */
  credit: string;
  /** The new plan's part for the rest of the period: prorate(newPrice). */
  charge: string;
  /** charge − credit, from the rounded amounts; negative when the change gives money back (a downgrade). */
  net: string;
  /** UTC days of the period left at the change (the day of the change included). */
  remainingDays: number;
  /** UTC days of the whole period. */
  periodDays: number;
}

/**
 * The amounts of changing from a plan priced `oldPrice` to one priced `newPrice` (both the price of
 * one whole period) at `at` within `period`. Credit and charge are rounded half-up on their own;
 * `net` is computed from the rounded values, so `credit + net = charge` exactly.
 * E.g. a 30-day period changed on day 11 (20 days left), 30.00 → 60.00: credit 20.00, charge 40.00, net 20.00.
 * @throws DomainError invalid_argument naming `old_price` or `new_price` when it is not an amount
 *   ≥ 0 with at most 2 places; Error when an instant is not RFC3339 or the period ends before it starts
 */
export function planChangeAmounts(input: { oldPrice: string; newPrice: string; period: ServicePeriod; at: string }): PlanChangeAmounts {
  const credit = prorated('old_price', input.oldPrice, input.period, input.at);
  const charge = prorated('new_price', input.newPrice, input.period, input.at);
  return {
    credit: formatMoney(credit),
    charge: formatMoney(charge),
    net: formatMoney(charge.minus(credit)),
    remainingDays: remainingDays(input.period, input.at),
    periodDays: periodDays(input.period),
  };
}
