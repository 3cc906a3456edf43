/**
 * Money as the operations manual §14 defines it: `NUMERIC(12,2)` in the database, `decimal.js` in
 * code, a decimal string with exactly two places on the wire (`"10.50"`). A JavaScript `number`
 * never holds money. Pure.
 */
import { Decimal } from 'decimal.js';
import { invalid } from './errors.ts';

/** The largest amount NUMERIC(12,2) holds: 10 digits before the point. */
export const MAX_AMOUNT = new Decimal('9999999999.99');

/** A decimal string: optional minus, digits, optionally a point and one or two digits. */
const AMOUNT = /^-?(?:0|[1-9]\d{0,9})(?:\.\d{1,2})?$/;

/** Options of {@link parseMoney}. */
export interface MoneyRules {
  /** Whether a negative amount is allowed (signed adjustments); default false. */
  allowNegative?: boolean;
  /** Whether zero is allowed; default true. */
  allowZero?: boolean;
}

/**
 * Parses a money field sent by a client: `"29"`, `"29.5"`, `"29.50"` are accepted; `""`, `"1e3"`,
 * `"29.505"`, `" 29"`, `"+1"`, `"NaN"` and amounts NUMERIC(12,2) cannot hold are refused.
 * @param field the field's protobuf name, for the message (e.g. `credit_limit`)
 * @throws DomainError invalid_argument naming the field
 */
export function parseMoney(field: string, text: string, rules: MoneyRules = {}): Decimal {
  if (!AMOUNT.test(text)) {
    return fail(field, text === '' ? 'is required' : `must be a decimal amount with at most 2 decimal places, such as "10.50" (got "${text.slice(0, 40)}")`);
  }
  const amount = new Decimal(text);
  if (amount.isNegative() && !amount.isZero() && !rules.allowNegative) return fail(field, `must not be negative (got "${text}")`);
  if (amount.isZero() && rules.allowZero === false) return fail(field, 'must be greater than 0');
  if (amount.abs().greaterThan(MAX_AMOUNT)) return fail(field, `must be at most ${MAX_AMOUNT.toFixed(2)}`);
  return amount;
}

function fail(field: string, problem: string): never {
  throw invalid(`${field} ${problem}`);
}

/** The wire form of an amount: exactly two decimal places, rounded half-up (`"10.50"`, `"-3.00"`). */
export function formatMoney(amount: Decimal | string): string {
  const value = typeof amount === 'string' ? new Decimal(amount) : amount;
  const text = value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
  return text === '-0.00' ? '0.00' : text;
}

/** A stored amount (what PostgreSQL returns for NUMERIC(12,2), e.g. `'10.5'` or `'10.50'`) in wire form. */
export function moneyOf(stored: string): string {
  return formatMoney(new Decimal(stored));
}
