/**
 * The price of an order (OrderService/CreateOrder, ChangeServicePlan, IntegrationService/QueryPrice
 * with a product): the product's price for the billing cycle (`billing_cycles[cycle]`, else
 * `price_per_month × months` of the cycle), changed by the order's spec as the provider's
 * spec_template prices it (src/domain/catalog/spec-pricing.ts; README "Spec pricing"). Pure.
 */
import { Decimal } from 'decimal.js';
import { CYCLE_MONTHS, storedPrices, type BillingCycle } from '../catalog/prices.ts';
import { priceSpec, type SpecPrice, type SpecTemplateField } from '../catalog/spec-pricing.ts';
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

/**
 * The list price of one `cycle` of a product ordered with the spec `chosen` (values by key): the
 * catalog price ({@link orderPrice}) changed by the spec's price impacts against the product's own
 * `specs` ({@link priceSpec}: validation, resolved values, base / spec / total amounts). The
 * same for every use case that sets an order's price, so a quote equals the charge.
 * @param fields the provider's spec template, flattened (no fields: the catalog price, values as chosen)
 * @throws DomainError invalid_argument naming `server_spec.<key>`, failed_precondition (a template
 *   whose price impacts cannot be read)
 */
export function specOrderPrice(
  product: { pricePerMonth: string; billingCycles: Readonly<Record<string, string>>; specs: Readonly<Record<string, string>> },
  cycle: BillingCycle,
  fields: readonly SpecTemplateField[],
  chosen: Readonly<Record<string, string>>,
): SpecPrice {
  return priceSpec({ fields, productSpecs: product.specs, chosen, catalogPrice: orderPrice(product, cycle), months: CYCLE_MONTHS[cycle] });
}
