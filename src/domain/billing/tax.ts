/**
 * Tax rules and taxed invoice lines: which rule applies to a customer's place (a region's rule beats
 * its country's), the tax of each line rounded half-up on its own (prices with or without tax), the
 * reverse charge for business customers with a tax number, and an invoice's totals as the sums of
 * its lines. Money is `decimal.js` in code and a decimal string with 2 places at the edges. Pure.
 */
import { Decimal } from 'decimal.js';
import { DomainError, invalid } from '../errors.ts';
import { formatMoney, MAX_AMOUNT, parseMoney } from '../money.ts';

/** A tax rate for a country or one of its regions. */
export interface TaxRule {
  id: string;
  /** ISO 3166-1 alpha-2, uppercase (`DE`). */
  country: string;
  /** A region of the country (state, province; matched case-insensitively), or `''` for the whole country. */
  region: string;
  /** Percentage as a decimal string with 2 places, 0.00–100.00. */
  rate: string;
  /** Whether business customers with a tax number pay no tax here (the buyer accounts for it). */
  reverseCharge: boolean;
  /** Shown on invoices, e.g. `VAT`. */
  name: string;
  isActive: boolean;
}

/** A tax rule as a client sends it. */
export interface TaxRuleInput {
  country: string;
  region: string;
  /** Decimal string with at most 2 places. */
  rate: string;
  reverseCharge: boolean;
  name: string;
  isActive: boolean;
}

const COUNTRY = /^[A-Z]{2}$/;
const MAX_REGION = 64;
const MAX_NAME = 100;

/**
 * A country code as sent: trimmed and uppercased (` de ` → `DE`); `''` stays `''` (no country);
 * anything else must be two letters (ISO 3166-1 alpha-2).
 * @param field the protobuf field, for the message
 * @throws DomainError invalid_argument naming `field`
 */
export function normalizeCountry(field: string, text: string): string {
  const country = text.trim().toUpperCase();
  if (country === '' || COUNTRY.test(country)) return country;
  throw invalid(`${field} must be a two-letter ISO 3166-1 country code such as "DE" (got "${text.slice(0, 40)}")`);
}

/**
 * Checks and normalises a tax rule sent by a client: `country` two letters (required, uppercased),
 * `region` trimmed and at most 64 characters (`''` = the whole country), `rate` an amount with at
 * most 2 places from 0 to 100 (stored with 2 places), `name` trimmed, 1–100 characters.
 * @throws DomainError invalid_argument naming `country`, `region`, `rate` or `name`
 */
export function parseTaxRuleInput(input: TaxRuleInput): Omit<TaxRule, 'id'> {
  const country = normalizeCountry('country', input.country);
  if (country === '') throw invalid('country is required: a two-letter ISO 3166-1 country code such as "DE"');
  const region = input.region.trim();
  if ([...region].length > MAX_REGION) throw invalid(`region must be at most ${MAX_REGION} characters (got ${[...region].length})`);
  const rate = parseMoney('rate', input.rate);
  if (rate.greaterThan(100)) throw invalid(`rate must be a percentage from 0 to 100 (got "${input.rate.slice(0, 40)}")`);
  const name = input.name.trim();
  if (name === '') throw invalid('name is required, e.g. "VAT"');
  if ([...name].length > MAX_NAME) throw invalid(`name must be at most ${MAX_NAME} characters (got ${[...name].length})`);
  return { country, region, rate: formatMoney(rate), reverseCharge: input.reverseCharge, name, isActive: input.isActive };
}

/**
 * The rule for a customer's place among `rules`: active rules only; the rule of the exact country
 * and region (region compared case-insensitively, both trimmed) beats the country-wide rule (region
 * `''`); the first such rule in `rules` wins a tie. Null when the place has no country or no rule
 * matches.
 * @param place country (any case) and region (`''` when unknown)
 */
export function taxRuleFor(rules: readonly TaxRule[], place: { country: string; region: string }): TaxRule | null {
  const country = place.country.trim().toUpperCase();
  if (country === '') return null;
  const region = place.region.trim().toLowerCase();
  const active = rules.filter((rule) => rule.isActive && rule.country.trim().toUpperCase() === country);
  const regional = region === '' ? undefined : active.find((rule) => rule.region.trim().toLowerCase() === region);
  return regional ?? active.find((rule) => rule.region.trim() === '') ?? null;
}

const TAX_NUMBER = /^[A-Za-z0-9 -]{5,32}$/;

/**
 * Whether `taxNumber` looks like a tax number (VAT ID): trimmed, 5–32 characters of letters, digits,
 * spaces and `-`, at least 5 of them letters or digits. A format check only, no registry look-up.
 */
export function hasValidTaxNumber(taxNumber: string): boolean {
  const text = taxNumber.trim();
  return TAX_NUMBER.test(text) && text.replace(/[^A-Za-z0-9]/g, '').length >= 5;
}

/** One taxed invoice line; decimal strings with 2 places, `gross = net + tax`. */
export interface TaxedLine {
  net: string;
  tax: string;
  gross: string;
  /** The percentage applied, 2 places; `"0.00"` without a rule or under the reverse charge. */
  rate: string;
  /** True under the reverse charge (no tax charged; the customer accounts for it). */
  exempt: boolean;
}

/**
 * The tax of one line priced `price`, rounded half-up to 2 places on its own:
 * - no rule: net = gross = price, tax `"0.00"`, rate `"0.00"`;
 * - prices without tax: net = price, tax = net × rate / 100, gross = net + tax (13 % on 9.99 → tax 1.30);
 * - prices with tax: gross = price, net = gross × 100 / (100 + rate), tax = gross − net
 *   (113.00 at 13 % → net 100.00, tax 13.00);
 * - reverse charge (the rule has it and `customerTaxNumber` passes {@link hasValidTaxNumber}): tax
 *   `"0.00"`, rate `"0.00"`, exempt, net = gross = the price without tax (the computed net for prices
 *   with tax, the price itself otherwise).
 * A negative price (a discount line) gives a negative tax, rounded half away from zero.
 * @param price a decimal string with at most 2 places
 * @throws DomainError invalid_argument naming `price` when it is not such an amount
 */
export function taxLine(price: string, rule: TaxRule | null, options: { pricesIncludeTax: boolean; customerTaxNumber: string }): TaxedLine {
  const amount = parseMoney('price', price, { allowNegative: true });
  if (rule === null) return { net: formatMoney(amount), tax: '0.00', gross: formatMoney(amount), rate: '0.00', exempt: false };
  const rate = new Decimal(rule.rate);
  const net = options.pricesIncludeTax ? amount.times(100).dividedBy(rate.plus(100)).toDecimalPlaces(2, Decimal.ROUND_HALF_UP) : amount;
  if (rule.reverseCharge && hasValidTaxNumber(options.customerTaxNumber)) {
    return { net: formatMoney(net), tax: '0.00', gross: formatMoney(net), rate: '0.00', exempt: true };
  }
  const tax = options.pricesIncludeTax ? amount.minus(net) : net.times(rate).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  return { net: formatMoney(net), tax: formatMoney(tax), gross: formatMoney(net.plus(tax)), rate: formatMoney(rate), exempt: false };
}

/** An invoice's amounts; decimal strings with 2 places, `totalAmount = amount + taxAmount` exactly. */
export interface InvoiceTotals {
  amount: string;
  taxAmount: string;
  totalAmount: string;
}

/**
 * An invoice's totals from its taxed lines: `amount` = Σ net, `taxAmount` = Σ tax, `totalAmount` =
 * Σ gross (= amount + taxAmount, since every line's gross is its net plus its tax). No lines → all `"0.00"`.
 * @throws DomainError failed_precondition when a total exceeds 9999999999.99 (NUMERIC(12,2))
 */
export function invoiceTotals(lines: readonly TaxedLine[]): InvoiceTotals {
  let net = new Decimal(0);
  let tax = new Decimal(0);
  let gross = new Decimal(0);
  for (const line of lines) {
    net = net.plus(line.net);
    tax = tax.plus(line.tax);
    gross = gross.plus(line.gross);
  }
  if ([net, tax, gross].some((sum) => sum.abs().greaterThan(MAX_AMOUNT))) {
    throw new DomainError('failed_precondition', `the invoice's lines sum to more than ${MAX_AMOUNT.toFixed(2)}`);
  }
  return { amount: formatMoney(net), taxAmount: formatMoney(tax), totalAmount: formatMoney(gross) };
}
