/**
 * A product's prices (ProductService; money rules of the operations manual §14): the monthly price
 * `price_per_month` and the price of each billing cycle in `billing_cycles`. The cycles are the
 * handbook's `monthly`, `quarterly` and `yearly`; any other key is refused.
 *
 * One invariant holds for every stored product: the `monthly` cycle is the monthly price. It is
 * always present in `billing_cycles` and always equal to `price_per_month`, so orders can read
 * either and get the same amount. Pure.
 */
import { Decimal } from 'decimal.js';
import { invalid } from '../errors.ts';
import { formatMoney, parseMoney } from '../money.ts';

/** The billing cycles, in display order. */
export const BILLING_CYCLES = ['monthly', 'quarterly', 'yearly'] as const;
/** One of {@link BILLING_CYCLES}. */
export type BillingCycle = (typeof BILLING_CYCLES)[number];
/** How many months each cycle covers. */
export const CYCLE_MONTHS: Readonly<Record<BillingCycle, number>> = { monthly: 1, quarterly: 3, yearly: 12 };

/** True when `key` names a billing cycle. */
export function isBillingCycle(key: string): key is BillingCycle {
  return (BILLING_CYCLES as readonly string[]).includes(key);
}

/** The price of each cycle a product offers; `monthly` always. */
export type CyclePrices = { readonly monthly: Decimal } & Readonly<Partial<Record<Exclude<BillingCycle, 'monthly'>, Decimal>>>;

/** A product's prices as stored (see the file comment for the invariant). */
export interface ProductPrices {
  readonly pricePerMonth: Decimal;
  readonly cycles: CyclePrices;
}

/**
 * A `billing_cycles` map sent by a client: known cycles only, each a money amount (≥ 0, at most two
 * decimals). An empty map gives an empty result.
 * @param field the protobuf field, e.g. `billing_cycles`
 * @throws DomainError invalid_argument naming the cycle (`billing_cycles.yearly …`) or the unknown key
 */
export function parseCycles(field: string, cycles: Readonly<Record<string, string>>): Partial<Record<BillingCycle, Decimal>> {
  const out: Partial<Record<BillingCycle, Decimal>> = {};
  for (const [key, text] of Object.entries(cycles)) {
    if (!isBillingCycle(key)) {
      throw invalid(`${field} has an unknown billing cycle "${key.slice(0, 40)}"; the cycles are ${BILLING_CYCLES.map((cycle) => `"${cycle}"`).join(', ')}`);
    }
    out[key] = parseMoney(`${field}.${key}`, text);
  }
  return out;
}

function mismatch(field: string, monthly: Decimal, pricePerMonth: Decimal): never {
  throw invalid(
    `${field}.monthly ("${formatMoney(monthly)}") must equal price_per_month ("${formatMoney(pricePerMonth)}"): the monthly cycle is the monthly price; send one of them or both the same`,
  );
}

function withMonthly(pricePerMonth: Decimal, cycles: Partial<Record<BillingCycle, Decimal>>): ProductPrices {
  return { pricePerMonth, cycles: { ...cycles, monthly: pricePerMonth } };
}

/**
 * The prices of a new product: `pricePerMonth` and the cycles sent; the monthly cycle is added
 * when missing.
 * @throws DomainError invalid_argument when `cycles.monthly` differs from `pricePerMonth`
 */
export function newPrices(pricePerMonth: Decimal, cycles: Partial<Record<BillingCycle, Decimal>>, field = 'billing_cycles'): ProductPrices {
  if (cycles.monthly !== undefined && !cycles.monthly.equals(pricePerMonth)) mismatch(field, cycles.monthly, pricePerMonth);
  return withMonthly(pricePerMonth, cycles);
}

/**
 * The prices after an update (UpdateProduct: `billing_cycles` replaces the cycles completely when
 * sent; an empty map means "not sent"):
 * - only `pricePerMonth`: the monthly cycle follows it, the other cycles stay;
 * - only `cycles`: they replace the old ones; a `monthly` among them sets the monthly price;
 * - both: as sent, the monthly cycle (when sent) equal to the monthly price.
 * @throws DomainError invalid_argument when both name a different monthly price
 */
export function changedPrices(current: ProductPrices, change: { pricePerMonth?: Decimal; cycles?: Partial<Record<BillingCycle, Decimal>> }): ProductPrices {
  const cycles = change.cycles !== undefined && Object.keys(change.cycles).length > 0 ? change.cycles : undefined;
  if (cycles === undefined) return withMonthly(change.pricePerMonth ?? current.pricePerMonth, current.cycles);
  if (change.pricePerMonth !== undefined) return newPrices(change.pricePerMonth, cycles);
  return withMonthly(cycles.monthly ?? current.pricePerMonth, cycles);
}

/** The `billing_cycles` map to store: every cycle offered, in {@link BILLING_CYCLES} order, as `"10.50"`. */
export function storedCycles(prices: ProductPrices): Record<string, string> {
  const out: Record<string, string> = {};
  for (const cycle of BILLING_CYCLES) {
    const amount = prices.cycles[cycle];
    if (amount !== undefined) out[cycle] = formatMoney(amount);
  }
  return out;
}

/**
 * The prices of a stored product (`price_per_month` and its `billing_cycles` map, as written by
 * {@link storedCycles}). Keys that are not cycles are ignored; the monthly cycle is the monthly price.
 */
export function storedPrices(pricePerMonth: string, cycles: Readonly<Record<string, string>>): ProductPrices {
  const parsed: Partial<Record<BillingCycle, Decimal>> = {};
  for (const cycle of BILLING_CYCLES) {
    const text = cycles[cycle];
    if (text !== undefined) parsed[cycle] = new Decimal(text);
  }
  return withMonthly(new Decimal(pricePerMonth), parsed);
}
