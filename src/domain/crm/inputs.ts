/**
 * Checks of the inputs the CRM rules take (src/domain/crm/*): decimal strings for money, counts,
 * non-negative measures. A malformed input is a caller's bug or a bad request, refused as
 * invalid_argument naming the field. Money is a decimal string parsed with decimal.js, never a
 * JavaScript number. Pure.
 */
import { Decimal } from 'decimal.js';
import { invalid } from '../errors.ts';

/** A signed decimal string: optional minus, digits without leading zeros, optionally a point and digits. */
const SIGNED_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

/**
 * Parses a decimal string (`"10"`, `"10.5"`, `"1234.5678"`); exponents, spaces, `+`, `NaN` and
 * empty strings are refused. Aggregates (sums, averages) may be larger than one NUMERIC(12,2)
 * amount and have more places, so neither is limited here.
 * @param field the input's name, for the message
 * @throws DomainError invalid_argument
 */
export function decimalOf(field: string, text: string, options: { allowNegative?: boolean } = {}): Decimal {
  if (!SIGNED_DECIMAL.test(text)) throw invalid(`${field} must be a decimal string such as "10.50" (got "${text.slice(0, 40)}")`);
  const value = new Decimal(text);
  if (value.isNegative() && !value.isZero() && options.allowNegative !== true) throw invalid(`${field} must not be negative (got "${text}")`);
  return value;
}

/** `value` when it is a whole number ≥ 0; otherwise throws invalid_argument naming `field`. */
export function countOf(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${field} must be a whole number ≥ 0 (got ${String(value)})`);
  return value;
}

/** `value` as a Decimal when it is a finite number ≥ 0 (fractions allowed); otherwise throws invalid_argument. */
export function measureOf(field: string, value: number): Decimal {
  if (!Number.isFinite(value) || value < 0) throw invalid(`${field} must be a finite number ≥ 0 (got ${String(value)})`);
  return new Decimal(value);
}
