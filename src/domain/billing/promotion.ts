/**
 * Promotion codes: what an admin may define (a percentage or a fixed amount off, for the first
 * period or every period, limited to products, billing cycles, a validity window and a number of
 * uses), whether a code applies to an order, and the discount it gives. Money is `decimal.js` in
 * code and a decimal string with 2 places at the edges; rounding is half-up. Pure.
 */
import { Decimal } from 'decimal.js';
import { DomainError, invalid } from '../errors.ts';
import { formatMoney, parseMoney } from '../money.ts';
import { BILLING_CYCLES, isBillingCycle } from '../catalog/prices.ts';
import { isUuid } from '../../lib/ids.ts';
import { rfc3339 } from '../../lib/time.ts';
import { parseInstant } from './service-period.ts';

/** A percentage off (`value` 0.01–100.00) or a fixed amount off (`value` > 0, never more than the price). */
export type PromotionKind = 'percent' | 'fixed';
/** Whether the discount applies to the first period only or to every renewal as well. */
export type PromotionRecurrence = 'first_period' | 'every_period';

const KINDS: readonly PromotionKind[] = ['percent', 'fixed'];
const RECURRENCES: readonly PromotionRecurrence[] = ['first_period', 'every_period'];

/** A stored promotion. */
export interface Promotion {
  id: string;
  /** Uppercase, 3–32 of A–Z, 0–9, `-`, `_` (see {@link normalizePromotionCode}). */
  code: string;
  kind: PromotionKind;
  /** Decimal string with 2 places: a percentage 0.01–100.00 (percent) or an amount > 0 (fixed). */
  value: string;
  recurrence: PromotionRecurrence;
  /** Product UUIDs (lowercase) the code is limited to; empty = every product. */
  productIds: string[];
  /** Billing cycles the code is limited to; empty = every cycle. */
  billingCycles: string[];
  /** RFC3339 UTC instant from which the code is valid (included), or null = no start. */
  validFrom: string | null;
  /** RFC3339 UTC instant at which the code expires (excluded), or null = no end. */
  validUntil: string | null;
  /** How often the code may be used in all, or null = no limit. */
  maxUses: number | null;
  /** How often one customer may use the code, or null = no limit. */
  maxUsesPerCustomer: number | null;
  /** How often the code has been used. */
  uses: number;
  isActive: boolean;
  description: string;
}

const CODE = /^[A-Z0-9][A-Z0-9_-]{2,31}$/;

/**
 * A promotion code as typed: trimmed and uppercased (` spring-26 ` → `SPRING-26`); it must then be
 * 3–32 characters of A–Z, 0–9, `-` and `_`, starting with a letter or digit.
 * @param field the protobuf field, for the message (e.g. `code`, `promotion_code`)
 * @throws DomainError invalid_argument naming `field` and the rule
 */
export function normalizePromotionCode(field: string, text: string): string {
  const code = text.trim().toUpperCase();
  if (code === '') throw invalid(`${field} is required`);
  if (!CODE.test(code)) {
    throw invalid(`${field} must be 3 to 32 characters of letters A–Z, digits, "-" and "_", starting with a letter or digit (got "${text.slice(0, 40)}")`);
  }
  return code;
}

/** A promotion as a client sends it (CreatePromotion / UpdatePromotion). */
export interface PromotionInput {
  code: string;
  /** `percent` or `fixed`. */
  kind: string;
  /** Decimal string with at most 2 places. */
  value: string;
  /** `first_period` or `every_period`. */
  recurrence: string;
  /** Product UUIDs; empty = every product. */
  productIds: readonly string[];
  /** Billing cycles (`monthly`, `quarterly`, `yearly`); empty = every cycle. */
  billingCycles: readonly string[];
  /** RFC3339 instant, or `''` for none. */
  validFrom: string;
  /** RFC3339 instant, or `''` for none. */
  validUntil: string;
  /** Whole number; 0 = no limit. */
  maxUses: number;
  /** Whole number; 0 = no limit. */
  maxUsesPerCustomer: number;
  isActive: boolean;
  /** At most 500 characters (trimmed). */
  description: string;
}

/** The largest use limit (an `integer` column). */
const MAX_LIMIT = 2_147_483_647;
const MAX_DESCRIPTION = 500;

function oneOf<T extends string>(field: string, values: readonly T[], text: string): T {
  const found = values.find((value) => value === text);
  if (found !== undefined) return found;
  throw invalid(text === '' ? `${field} is required: one of ${values.join(', ')}` : `${field} must be one of ${values.join(', ')} (got "${text.slice(0, 40)}")`);
}

function optionalInstant(field: string, text: string): string | null {
  if (text === '') return null;
  const date = parseInstant(text);
  if (date === null || date.getUTCFullYear() < 2000 || date.getUTCFullYear() > 9999) {
    throw invalid(`${field} must be an RFC3339 timestamp between 2000 and 9999 such as "2026-03-01T00:00:00Z", or empty for none (got "${text.slice(0, 40)}")`);
  }
  return rfc3339(date);
}

function limit(field: string, value: number): number | null {
  if (Number.isInteger(value) && value < 0) throw invalid(`${field} must not be negative (0 means no limit; got ${value})`);
  if (!Number.isInteger(value) || value > MAX_LIMIT) throw invalid(`${field} must be a whole number from 0 (no limit) to ${MAX_LIMIT} (got ${value})`);
  return value === 0 ? null : value;
}

/**
 * Checks and normalises a promotion sent by a client:
 * - `code`: {@link normalizePromotionCode};
 * - `kind`, `recurrence`: one of the values;
 * - `value`: an amount > 0 with at most 2 places, at most 100.00 for `percent`; stored with 2 places;
 * - `product_ids[i]`: a UUID (stored lowercase, duplicates dropped);
 * - `billing_cycles[i]`: a billing cycle (duplicates dropped);
 * - `valid_from`, `valid_until`: `''` (none) or an RFC3339 instant (stored as RFC3339 UTC);
 *   `valid_until` after `valid_from` when both are set;
 * - `max_uses`, `max_uses_per_customer`: a whole number ≥ 0, 0 stored as null (no limit);
 * - `description`: trimmed, at most 500 characters.
 * @throws DomainError invalid_argument naming the protobuf field (`product_ids[2]`, `valid_until`, …)
 */
export function parsePromotionInput(input: PromotionInput): Omit<Promotion, 'id' | 'uses'> {
  const code = normalizePromotionCode('code', input.code);
  const kind = oneOf('kind', KINDS, input.kind);
  const value = parseMoney('value', input.value, { allowZero: false });
  if (kind === 'percent' && value.greaterThan(100)) throw invalid(`value must be at most 100.00 for a percent promotion (got "${input.value.slice(0, 40)}")`);
  const recurrence = oneOf('recurrence', RECURRENCES, input.recurrence);
  const productIds: string[] = [];
  input.productIds.forEach((id, index) => {
    if (!isUuid(id)) throw invalid(`product_ids[${index}] must be a product UUID (got "${id.slice(0, 40)}")`);
    const lower = id.toLowerCase();
    if (!productIds.includes(lower)) productIds.push(lower);
  });
  const billingCycles: string[] = [];
  input.billingCycles.forEach((cycle, index) => {
    if (!isBillingCycle(cycle)) throw invalid(`billing_cycles[${index}] must be one of ${BILLING_CYCLES.join(', ')} (got "${cycle.slice(0, 40)}")`);
    if (!billingCycles.includes(cycle)) billingCycles.push(cycle);
  });
  const validFrom = optionalInstant('valid_from', input.validFrom);
  const validUntil = optionalInstant('valid_until', input.validUntil);
  if (validFrom !== null && validUntil !== null && Date.parse(validUntil) <= Date.parse(validFrom)) {
    throw invalid(`valid_until (${validUntil}) must be after valid_from (${validFrom})`);
  }
  const maxUses = limit('max_uses', input.maxUses);
  const maxUsesPerCustomer = limit('max_uses_per_customer', input.maxUsesPerCustomer);
  const description = input.description.trim();
  if ([...description].length > MAX_DESCRIPTION) throw invalid(`description must be at most ${MAX_DESCRIPTION} characters (got ${[...description].length})`);
  return {
    code, kind, value: formatMoney(value), recurrence, productIds, billingCycles, validFrom, validUntil, maxUses, maxUsesPerCustomer,
    isActive: input.isActive, description,
  };
}

/** The order a promotion code is offered for, and when. */
export interface PromotionContext {
  /** The product's UUID. */
  productId: string;
  /** The order's billing cycle. */
  billingCycle: string;
  /** The current RFC3339 instant. */
  now: string;
  /** How often this customer has used the code already. */
  customerUses: number;
}

function refusal(message: string): DomainError {
  return new DomainError('failed_precondition', message, 'promotion_not_applicable');
}

function instantMs(text: string): number {
  const date = parseInstant(text);
  if (date === null) throw new Error(`not an RFC3339 timestamp: "${text.slice(0, 40)}"`);
  return date.getTime();
}

/**
 * Why `promotion` does not apply to the order in `context`, or null when it does. The first reason
 * that holds, in this order: the code is inactive; `now` is before `validFrom`; `now` is at or after
 * `validUntil`; the product is not among `productIds`; the cycle is not among `billingCycles`; the
 * code is used up (`uses ≥ maxUses`); the customer has used it `maxUsesPerCustomer` times.
 * @returns DomainError failed_precondition, reason `promotion_not_applicable`, with a message for
 *   the customer naming the code
 * @throws Error when `now` or a stored validity instant is not RFC3339
 */
export function promotionRefusal(promotion: Promotion, context: PromotionContext): DomainError | null {
  const code = promotion.code;
  if (!promotion.isActive) return refusal(`promotion code ${code} is no longer active; remove it or use another code`);
  const now = instantMs(context.now);
  if (promotion.validFrom !== null && now < instantMs(promotion.validFrom)) {
    return refusal(`promotion code ${code} is not valid before ${promotion.validFrom}; order then, or without the code`);
  }
  if (promotion.validUntil !== null && now >= instantMs(promotion.validUntil)) {
    return refusal(`promotion code ${code} expired on ${promotion.validUntil}; remove it or use another code`);
  }
  if (promotion.productIds.length > 0 && !promotion.productIds.some((id) => id.toLowerCase() === context.productId.toLowerCase())) {
    return refusal(`promotion code ${code} is not valid for this product`);
  }
  if (promotion.billingCycles.length > 0 && !promotion.billingCycles.includes(context.billingCycle)) {
    return refusal(`promotion code ${code} is not valid for the ${context.billingCycle} billing cycle; it is valid for ${promotion.billingCycles.join(', ')}`);
  }
  if (promotion.maxUses !== null && promotion.uses >= promotion.maxUses) return refusal(`promotion code ${code} has been used up`);
  const perCustomer = promotion.maxUsesPerCustomer;
  if (perCustomer !== null && context.customerUses >= perCustomer) {
    return refusal(`you have already used promotion code ${code} the allowed ${perCustomer} ${perCustomer === 1 ? 'time' : 'times'}`);
  }
  return null;
}

/** A discount and what remains to pay; decimal strings with 2 places, `discount + amount = price`. */
export interface Discounted {
  discount: string;
  amount: string;
}

/**
 * The discount `promotion` gives on `price` (the price of one period):
 * - percent: `price × value / 100`, half-up to 2 places;
 * - fixed: `value`, but never more than the price;
 * - a `renewal` of a `first_period` promotion: no discount (`"0.00"`).
 * `amount = price − discount` is never negative.
 * @param price a decimal string ≥ 0 with at most 2 places
 * @throws DomainError invalid_argument naming `price` when it is not such an amount
 */
export function discountOf(promotion: Promotion, price: string, period: 'first' | 'renewal'): Discounted {
  const full = parseMoney('price', price);
  let discount = new Decimal(0);
  if (period === 'first' || promotion.recurrence === 'every_period') {
    const value = new Decimal(promotion.value);
    discount = promotion.kind === 'percent' ? full.times(value).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP) : value;
    discount = Decimal.max(0, Decimal.min(discount, full));
  }
  return { discount: formatMoney(discount), amount: formatMoney(full.minus(discount)) };
}

/**
 * The text of an invoice line for a discount: `promotion SPRING −10.00` (a minus sign U+2212 and the
 * discount's absolute value with 2 places).
 * @param discount a decimal string, e.g. `"10.00"` (a sign is ignored)
 */
export function promotionLineText(code: string, discount: string): string {
  return `promotion ${code} \u2212${formatMoney(new Decimal(discount).abs())}`;
}
