import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { markedUpPrices, parseMarkupRatio } from '../../src/domain/catalog/markup.ts';
import { BILLING_CYCLES, changedPrices, isBillingCycle, newPrices, parseCycles, storedCycles, storedPrices, type ProductPrices } from '../../src/domain/catalog/prices.ts';


const d = (text: string) => new Decimal(text);
/** Prices in wire form: `{ pricePerMonth, ...cycles }`, for readable assertions. */
function wire(prices: ProductPrices | null): Record<string, string> | null {
  return prices === null ? null : { pricePerMonth: prices.pricePerMonth.toFixed(2), ...storedCycles(prices) };
}

describe('billing cycles', () => {
  it('are exactly monthly, quarterly and yearly', () => {
    expect(BILLING_CYCLES).toEqual(['monthly', 'quarterly', 'yearly']);
    expect(['monthly', 'quarterly', 'yearly'].every(isBillingCycle)).toBe(true);
    expect(['weekly', 'Monthly', 'annual', ''].some(isBillingCycle)).toBe(false);
  });

  it('parses known cycles as money, naming the cycle when the amount is bad', () => {
    const parsed = parseCycles('billing_cycles', { monthly: '29', quarterly: '80.5' });
    expect(Object.keys(parsed)).toEqual(['monthly', 'quarterly']);
    expect(parsed.quarterly?.toFixed(2)).toBe('80.50');
    expect(parseCycles('billing_cycles', {})).toEqual({});
    expect(refusal(() => parseCycles('billing_cycles', { yearly: '-1' })).message).toMatch(/^billing_cycles\.yearly must not be negative/);
    expect(refusal(() => parseCycles('billing_cycles', { yearly: '1.234' })).message).toMatch(/^billing_cycles\.yearly must be a decimal amount with at most 2 decimal places/);
    expect(refusal(() => parseCycles('billing_cycles', { yearly: 'ten' })).kind).toBe('invalid_argument');
    expect(refusal(() => parseCycles('items[0].billing_cycles', { weekly: '1' })).message).toBe(
      'items[0].billing_cycles has an unknown billing cycle "weekly"; the cycles are "monthly", "quarterly", "yearly"',
    );
  });
});

describe('newPrices', () => {
  it('adds the monthly cycle as the monthly price', () => {
    expect(wire(newPrices(d('29'), { yearly: d('290') }))).toEqual({ pricePerMonth: '29.00', monthly: '29.00', yearly: '290.00' });
    expect(wire(newPrices(d('29'), { monthly: d('29.00') }))).toEqual({ pricePerMonth: '29.00', monthly: '29.00' });
  });

  it('refuses a monthly cycle that differs from the monthly price', () => {
    const error = refusal(() => newPrices(d('29'), { monthly: d('30') }));
    expect(error.kind).toBe('invalid_argument');
    expect(error.message).toMatch(/^billing_cycles\.monthly \("30\.00"\) must equal price_per_month \("29\.00"\)/);
  });
});

describe('changedPrices', () => {
  const current = newPrices(d('10'), { quarterly: d('27'), yearly: d('100') });

  it('moves the monthly cycle with the monthly price and keeps the other cycles', () => {
    expect(wire(changedPrices(current, { pricePerMonth: d('12') }))).toEqual({ pricePerMonth: '12.00', monthly: '12.00', quarterly: '27.00', yearly: '100.00' });
  });

  it('replaces the cycles completely; a monthly cycle among them sets the monthly price', () => {
    expect(wire(changedPrices(current, { cycles: { yearly: d('90') } }))).toEqual({ pricePerMonth: '10.00', monthly: '10.00', yearly: '90.00' });
    expect(wire(changedPrices(current, { cycles: { monthly: d('11'), quarterly: d('30') } }))).toEqual({ pricePerMonth: '11.00', monthly: '11.00', quarterly: '30.00' });
  });

  it('takes both when they agree and refuses them when they do not', () => {
    expect(wire(changedPrices(current, { pricePerMonth: d('11'), cycles: { monthly: d('11'), yearly: d('99') } }))).toEqual({ pricePerMonth: '11.00', monthly: '11.00', yearly: '99.00' });
    expect(wire(changedPrices(current, { pricePerMonth: d('11'), cycles: { yearly: d('99') } }))).toEqual({ pricePerMonth: '11.00', monthly: '11.00', yearly: '99.00' });
    expect(refusal(() => changedPrices(current, { pricePerMonth: d('11'), cycles: { monthly: d('12') } })).message).toMatch(/must equal price_per_month/);
  });

  it('treats empty cycles and no change as "not sent"', () => {
    expect(wire(changedPrices(current, { cycles: {} }))).toEqual(wire(current));
    expect(wire(changedPrices(current, {}))).toEqual(wire(current));
  });
});

describe('stored prices', () => {
  it('are written in cycle order with two places and read back with the monthly cycle as the monthly price', () => {
    const prices = newPrices(d('5.5'), { yearly: d('55'), quarterly: d('16') });
    expect(Object.keys(storedCycles(prices))).toEqual(['monthly', 'quarterly', 'yearly']);
    expect(wire(storedPrices('5.50', storedCycles(prices)))).toEqual({ pricePerMonth: '5.50', monthly: '5.50', quarterly: '16.00', yearly: '55.00' });
    // A stored map without the monthly cycle, or with keys that are not cycles, still reads consistently.
    expect(wire(storedPrices('7', { yearly: '70', weekly: '2' }))).toEqual({ pricePerMonth: '7.00', monthly: '7.00', yearly: '70.00' });
  });
});

describe('parseMarkupRatio', () => {
  it('takes positive decimals', () => {
    for (const [text, value] of [['1.3', '1.3'], ['2', '2'], ['0.95', '0.95'], ['1.000001', '1.000001'], ['999999.999999', '999999.999999'], ['01.5', '1.5']]) {
      expect(parseMarkupRatio(text ?? '').toString(), text).toBe(value);
    }
  });

  it('refuses anything else, naming markup_ratio', () => {
    for (const bad of ['', '0', '0.0', '0.000000', '-1.3', '+1.3', '1e3', '1,3', '.5', '5.', ' 1.3', '1.3 ', 'NaN', 'Infinity', '1.0000001', '1000000', 'abc']) {
      const error = refusal(() => parseMarkupRatio(bad));
      expect(error.kind, bad).toBe('invalid_argument');
      expect(error.message, bad).toMatch(/^markup_ratio /);
    }
  });
});

describe('markedUpPrices', () => {
  const label = 'product "VPS" (x)';

  it('sets the monthly price to cost × ratio, rounded half-up to two places', () => {
    expect(wire(markedUpPrices({ costPrice: d('3.33'), prices: newPrices(d('10'), {}), label }, d('1.5')))).toEqual({ pricePerMonth: '5.00', monthly: '5.00' }); // 4.995
    expect(wire(markedUpPrices({ costPrice: d('3.33'), prices: newPrices(d('10'), {}), label }, d('1.4')))).toEqual({ pricePerMonth: '4.66', monthly: '4.66' }); // 4.662
    expect(wire(markedUpPrices({ costPrice: d('10.01'), prices: newPrices(d('10'), {}), label }, d('1.25')))).toEqual({ pricePerMonth: '12.51', monthly: '12.51' }); // 12.5125
    expect(wire(markedUpPrices({ costPrice: d('0.01'), prices: newPrices(d('1'), {}), label }, d('0.5')))).toEqual({ pricePerMonth: '0.01', monthly: '0.01' }); // 0.005
    expect(wire(markedUpPrices({ costPrice: d('0.01'), prices: newPrices(d('1'), {}), label }, d('0.4')))).toEqual({ pricePerMonth: '0.00', monthly: '0.00' }); // 0.004
  });

  it('scales every other cycle by the monthly price\'s factor, computed exactly and rounded once', () => {
    const prices = newPrices(d('10'), { quarterly: d('27'), yearly: d('100') });
    // factor = 3.33 × 1.5 / 10 = 0.4995: 27 → 13.4865, 100 → 49.95
    expect(wire(markedUpPrices({ costPrice: d('3.33'), prices, label }, d('1.5')))).toEqual({ pricePerMonth: '5.00', monthly: '5.00', quarterly: '13.49', yearly: '49.95' });
    // factor = 7 × 1 / 3 (not terminating): 8.00 → 18.666… → 18.67
    expect(wire(markedUpPrices({ costPrice: d('7'), prices: newPrices(d('3'), { quarterly: d('8') }), label }, d('1')))).toEqual({ pricePerMonth: '7.00', monthly: '7.00', quarterly: '18.67' });
  });

  it('scales by the exact factor, not by the rounded new monthly price', () => {
    // Exact factor 0.999999: 9876543210.98 → 9876533334.436…; the rounded monthly price's factor
    // (1234566.66 / 1234567.89) would give 9876533334.47.
    expect(wire(markedUpPrices({ costPrice: d('1234567.89'), prices: newPrices(d('1234567.89'), { yearly: d('9876543210.98') }), label }, d('0.999999')))).toEqual({
      pricePerMonth: '1234566.66', monthly: '1234566.66', yearly: '9876533334.44',
    });
    const largest = newPrices(d('9999999999.99'), { yearly: d('9999999999.99') });
    expect(wire(markedUpPrices({ costPrice: d('9999999999.99'), prices: largest, label }, d('1')))).toEqual({ pricePerMonth: '9999999999.99', monthly: '9999999999.99', yearly: '9999999999.99' });
  });

  it('does not round intermediate results to decimal.js\'s default 20 digits', () => {
    // 267101737.69 × 1234.56789013 ÷ 10000 = 32975522.874999999…: rounded to 20 digits on the
    // way, the product would become a tie and round up to …88.
    const prices = newPrices(d('10000'), { quarterly: d('267101737.69') });
    expect(wire(markedUpPrices({ costPrice: d('0.01'), prices, label }, d('123456.789013')))).toEqual({ pricePerMonth: '1234.57', monthly: '1234.57', quarterly: '32975522.87' });
  });

  it('gives a product whose monthly price was 0 cycles of cost × ratio × months', () => {
    const prices = newPrices(d('0'), { quarterly: d('0'), yearly: d('5') });
    expect(wire(markedUpPrices({ costPrice: d('2.50'), prices, label }, d('1.1')))).toEqual({ pricePerMonth: '2.75', monthly: '2.75', quarterly: '8.25', yearly: '33.00' });
  });

  it('leaves a product whose cost price is 0 as it is', () => {
    expect(markedUpPrices({ costPrice: d('0'), prices: newPrices(d('10'), {}), label }, d('2'))).toBeNull();
  });

  it('refuses a price beyond what NUMERIC(12,2) holds, naming the cycle and the product', () => {
    const error = refusal(() => markedUpPrices({ costPrice: d('5000000000'), prices: newPrices(d('1'), { yearly: d('2') }), label }, d('1')));
    expect(error.kind).toBe('invalid_argument');
    expect(error.message).toMatch(/^markup_ratio "1" would make the yearly price of product "VPS" \(x\) 10000000000\.00, more than the largest amount 9999999999\.99/);
    expect(refusal(() => markedUpPrices({ costPrice: d('9999999999.99'), prices: newPrices(d('1'), {}), label }, d('1.000001'))).message).toMatch(/monthly price/);
  });
});
