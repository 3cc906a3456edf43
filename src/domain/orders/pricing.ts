/**
 * The price of an order (OrderService/CreateOrder): the product's price for the billing cycle
 * (`billing_cycles[cycle]`), else `price_per_month × months` of the cycle. Pure.
 */
import { Decimal } from 'decimal.js';
import { CYCLE_MONTHS, storedPrices, type BillingCycle } from '../catalog/prices.ts';
import { formatMoney } from '../money.ts';

/**
 * The amount of one `cycle` of a product stored with `pricePerMonth` (decimal string) and its
 * `billing_cycles` map (decimal strings by cycle).
 * @returns a decimal string with two places, e.g. `"29.97"`
 */
export function orderPrice(product: { pricePerMonth: string; billingCycles: Readonly<Record<string, string>> }, cycle: BillingCycle): string {
  const prices = storedPrices(product.pricePerMonth, product.billingCycles);
  const listed = prices.cycles[cycle];
  return formatMoney(listed ?? new Decimal(prices.pricePerMonth).times(CYCLE_MONTHS[cycle]));
}
