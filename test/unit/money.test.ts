import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { formatMoney, moneyOf, parseMoney } from '../../src/domain/money.ts';

/** The message of the invalid_argument refusal `run` throws. */
function refusalMessage(run: () => unknown): string {
  const error = refusal(run);
  if (error.kind !== 'invalid_argument') throw new Error(`expected invalid_argument, got ${error.kind}`);
  return error.message;
}

describe('parseMoney', () => {
  it('takes whole and decimal amounts with up to two places', () => {
    expect(formatMoney(parseMoney('price', '29'))).toBe('29.00');
    expect(formatMoney(parseMoney('price', '29.5'))).toBe('29.50');
    expect(formatMoney(parseMoney('price', '0.01'))).toBe('0.01');
    expect(formatMoney(parseMoney('price', '9999999999.99'))).toBe('9999999999.99');
    expect(formatMoney(parseMoney('amount', '-3.10', { allowNegative: true }))).toBe('-3.10');
  });

  it('refuses anything else, naming the field', () => {
    for (const bad of ['', ' 29', '29 ', '+1', '1e3', '29.505', '.5', '5.', '01', 'NaN', 'Infinity', '1,00', '10000000000']) {
      expect(refusalMessage(() => parseMoney('price_per_month', bad)), bad).toMatch(/^price_per_month /);
    }
    expect(refusalMessage(() => parseMoney('credit_limit', '-1'))).toMatch(/must not be negative/);
    expect(refusalMessage(() => parseMoney('amount', '0', { allowZero: false }))).toMatch(/greater than 0/);
  });
});

describe('formatMoney', () => {
  it('rounds half-up to two places and never prints a negative zero', () => {
    expect(formatMoney('2.005')).toBe('2.01');
    expect(formatMoney('2.004')).toBe('2.00');
    expect(formatMoney('-0.001')).toBe('0.00');
    expect(moneyOf('10.5')).toBe('10.50');
  });
});
