/**
 * BatchUpdatePrice: new price = cost price × markup ratio (product-service.md), for every billing
 * cycle of the product. Pure.
 *
 * - The monthly price becomes `cost_price × markup_ratio`, rounded half-up to two places.
 * - Every other cycle keeps its proportion to the monthly price: it is multiplied by the same factor
 *   as the monthly price, `cost_price × markup_ratio ÷ old monthly price` (computed exactly and
 *   rounded half-up once). A product whose old monthly price was 0 has no proportion to keep: each
 *   of its cycles becomes `cost_price × markup_ratio × months` (3 for quarterly, 12 for yearly).
 * - A product whose cost price is 0 is left as it is (and not counted): its cost is unknown, and a
 *   markup on nothing would make it free.
 */
import { Decimal } from 'decimal.js';
import { invalid } from '../errors.ts';
import { formatMoney, MAX_AMOUNT } from '../money.ts';
import { BILLING_CYCLES, CYCLE_MONTHS, type BillingCycle, type ProductPrices } from './prices.ts';

/** Decimal with room for exact products and quotients of two amounts and a ratio (no early rounding). */
const Exact = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });

/** A ratio: up to 6 digits before and 6 after the point, e.g. `"1.3"`, `"2"`, `"0.95"`. */
const RATIO = /^\d{1,6}(?:\.\d{1,6})?$/;

/**
 * `markup_ratio` as sent: a positive decimal (`"1.3"` means 130% of the cost price).
 * @throws DomainError invalid_argument naming `markup_ratio`
 */
export function parseMarkupRatio(text: string): Decimal {
  if (text === '') throw invalid('markup_ratio is required, e.g. "1.3" for 130% of the cost price');
  if (!RATIO.test(text)) {
    throw invalid(`markup_ratio must be a positive decimal such as "1.3" (130% of the cost price), with at most 6 decimal places; got "${text.slice(0, 40)}"`);
  }
  const ratio = new Decimal(text);
  if (ratio.isZero()) throw invalid('markup_ratio must be greater than 0');
  return ratio;
}

function money(value: Decimal): Decimal {
  return new Decimal(value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2));
}

/**
 * The prices of a product after a markup (see the file comment), or null when its cost price is 0.
 * @param label how the product is named in a refusal, e.g. `product "VPS-1C" (0192…)`
 * @throws DomainError invalid_argument when a price would exceed what NUMERIC(12,2) holds
 */
export function markedUpPrices(product: { costPrice: Decimal; prices: ProductPrices; label: string }, ratio: Decimal): ProductPrices | null {
  if (product.costPrice.isZero()) return null;
  const target = new Exact(product.costPrice.toString()).times(ratio.toString());
  const oldMonthly = new Exact(product.prices.pricePerMonth.toString());
  const priceOf = (cycle: BillingCycle, old: Decimal): Decimal => {
    const exact = oldMonthly.isZero() ? target.times(CYCLE_MONTHS[cycle]) : new Exact(old.toString()).times(target).dividedBy(oldMonthly);
    const amount = money(new Decimal(exact.toString()));
    if (amount.greaterThan(MAX_AMOUNT)) {
      throw invalid(`markup_ratio "${ratio.toString()}" would make the ${cycle} price of ${product.label} ${amount.toFixed(2)}, more than the largest amount ${formatMoney(MAX_AMOUNT)}`);
    }
    return amount;
  };
  const monthly = priceOf('monthly', product.prices.pricePerMonth);
  const cycles: Partial<Record<BillingCycle, Decimal>> = {};
  for (const cycle of BILLING_CYCLES) {
    const old = product.prices.cycles[cycle];
    if (cycle !== 'monthly' && old !== undefined) cycles[cycle] = priceOf(cycle, old);
  }
  return { pricePerMonth: monthly, cycles: { ...cycles, monthly } };
}
