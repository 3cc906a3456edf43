import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  discountOf, normalizePromotionCode, parsePromotionInput, promotionLineText, promotionRefusal, type Promotion, type PromotionInput,
} from '../../src/domain/billing/promotion.ts';

const P1 = '0190f5a2-7c1e-7b3a-9f00-000000000001';
const P2 = '0190f5a2-7c1e-7b3a-9f00-000000000002';

/** The message of the invalid_argument refusal `run` throws. */
function invalidMessage(run: () => unknown): string {
  const error = refusal(run);
  if (error.kind !== 'invalid_argument') throw new Error(`expected invalid_argument, got ${error.kind}: ${error.message}`);
  return error.message;
}

describe('normalizePromotionCode', () => {
  it('trims and uppercases', () => {
    expect(normalizePromotionCode('code', ' spring-26 ')).toBe('SPRING-26');
    expect(normalizePromotionCode('code', 'a_b')).toBe('A_B');
    expect(normalizePromotionCode('code', '7up')).toBe('7UP');
    expect(normalizePromotionCode('code', 'A'.repeat(32))).toBe('A'.repeat(32));
  });

  it('refuses codes outside the rule, naming the field and the rule', () => {
    for (const bad of ['ab', 'A'.repeat(33), '-abc', '_abc', 'ab c', 'ÄBC', 'abc!', 'ab.c']) {
      expect(invalidMessage(() => normalizePromotionCode('promotion_code', bad)), bad).toMatch(
        /^promotion_code must be 3 to 32 characters of letters A–Z, digits, "-" and "_", starting with a letter or digit/,
      );
    }
    expect(invalidMessage(() => normalizePromotionCode('code', '   '))).toBe('code is required');
  });
});

describe('parsePromotionInput', () => {
  const input: PromotionInput = {
    code: ' spring ',
    kind: 'percent',
    value: '10',
    recurrence: 'first_period',
    productIds: [P1.toUpperCase(), P2, P1],
    billingCycles: ['monthly', 'yearly', 'monthly'],
    validFrom: '2026-03-01T00:00:00Z',
    validUntil: '2026-04-01T02:00:00+02:00',
    maxUses: 100,
    maxUsesPerCustomer: 0,
    isActive: true,
    description: '  Spring sale  ',
  };

  it('normalises every field', () => {
    expect(parsePromotionInput(input)).toEqual({
      code: 'SPRING',
      kind: 'percent',
      value: '10.00',
      recurrence: 'first_period',
      productIds: [P1, P2],
      billingCycles: ['monthly', 'yearly'],
      validFrom: '2026-03-01T00:00:00Z',
      validUntil: '2026-04-01T00:00:00Z',
      maxUses: 100,
      maxUsesPerCustomer: null,
      isActive: true,
      description: 'Spring sale',
    });
  });

  it('takes empty restrictions, no validity window and fixed amounts', () => {
    const parsed = parsePromotionInput({
      ...input, kind: 'fixed', value: '150.5', recurrence: 'every_period', productIds: [], billingCycles: [], validFrom: '', validUntil: '',
      maxUses: 0, maxUsesPerCustomer: 1, isActive: false, description: '',
    });
    expect(parsed).toEqual({
      code: 'SPRING', kind: 'fixed', value: '150.50', recurrence: 'every_period', productIds: [], billingCycles: [], validFrom: null,
      validUntil: null, maxUses: null, maxUsesPerCustomer: 1, isActive: false, description: '',
    });
    expect(parsePromotionInput({ ...input, validFrom: '' }).validUntil).toBe('2026-04-01T00:00:00Z');
    expect(parsePromotionInput({ ...input, validUntil: '' }).validFrom).toBe('2026-03-01T00:00:00Z');
    expect(parsePromotionInput({ ...input, value: '100' }).value).toBe('100.00');
    expect(parsePromotionInput({ ...input, value: '0.01' }).value).toBe('0.01');
    expect(parsePromotionInput({ ...input, description: 'x'.repeat(500) }).description).toHaveLength(500);
  });

  it('names the field it refuses', () => {
    const cases: Array<[Partial<PromotionInput>, RegExp]> = [
      [{ code: 'x' }, /^code must be 3 to 32 characters/],
      [{ kind: 'amount' }, /^kind must be one of percent, fixed \(got "amount"\)$/],
      [{ kind: '' }, /^kind is required: one of percent, fixed$/],
      [{ value: '0' }, /^value must be greater than 0$/],
      [{ value: '-5' }, /^value must not be negative/],
      [{ value: '1.005' }, /^value must be a decimal amount/],
      [{ value: '100.01' }, /^value must be at most 100\.00 for a percent promotion/],
      [{ recurrence: 'once' }, /^recurrence must be one of first_period, every_period/],
      [{ productIds: [P1, P2, 'nope'] }, /^product_ids\[2\] must be a product UUID \(got "nope"\)$/],
      [{ billingCycles: ['weekly'] }, /^billing_cycles\[0\] must be one of monthly, quarterly, yearly \(got "weekly"\)$/],
      [{ validFrom: 'tomorrow' }, /^valid_from must be an RFC3339 timestamp/],
      [{ validFrom: '1999-12-31T23:59:59Z' }, /^valid_from must be an RFC3339 timestamp between 2000 and 9999/],
      [{ validUntil: '2026-02-30T00:00:00Z' }, /^valid_until must be an RFC3339 timestamp/],
      [{ validUntil: '2026-03-01T00:00:00Z' }, /^valid_until \(2026-03-01T00:00:00Z\) must be after valid_from \(2026-03-01T00:00:00Z\)$/],
      [{ validUntil: '2026-03-01T01:00:00+02:00' }, /^valid_until \(2026-02-28T23:00:00Z\) must be after valid_from/],
      [{ maxUses: -1 }, /^max_uses must not be negative \(0 means no limit; got -1\)$/],
      [{ maxUses: 1.5 }, /^max_uses must be a whole number from 0 \(no limit\) to 2147483647/],
      [{ maxUses: 2_147_483_648 }, /^max_uses must be a whole number/],
      [{ maxUsesPerCustomer: -2 }, /^max_uses_per_customer must not be negative/],
      [{ description: 'x'.repeat(501) }, /^description must be at most 500 characters \(got 501\)$/],
    ];
    for (const [change, expected] of cases) {
      expect(invalidMessage(() => parsePromotionInput({ ...input, ...change })), JSON.stringify(change)).toMatch(expected);
    }
  });

  it('allows a fixed value above 100', () => {
    expect(parsePromotionInput({ ...input, kind: 'fixed', value: '250' }).value).toBe('250.00');
  });
});

describe('promotionRefusal', () => {
  const promotion: Promotion = {
    id: '0190f5a2-7c1e-7b3a-9f00-0000000000aa',
    code: 'SPRING',
    kind: 'percent',
    value: '10.00',
    recurrence: 'first_period',
    productIds: [P1],
    billingCycles: ['monthly', 'quarterly'],
    validFrom: '2026-03-01T00:00:00Z',
    validUntil: '2026-04-01T00:00:00Z',
    maxUses: 100,
    maxUsesPerCustomer: 1,
    uses: 5,
    isActive: true,
    description: '',
  };
  const context = { productId: P1, billingCycle: 'monthly', now: '2026-03-15T12:00:00Z', customerUses: 0 };

  /** The message of the refusal, after checking its kind and reason. */
  function refusedWith(change: Partial<Promotion>, contextChange: Partial<typeof context> = {}): string {
    const result = promotionRefusal({ ...promotion, ...change }, { ...context, ...contextChange });
    if (result === null) throw new Error('expected a refusal');
    expect(result.kind).toBe('failed_precondition');
    expect(result.reason).toBe('promotion_not_applicable');
    return result.message;
  }

  it('applies when every condition holds', () => {
    expect(promotionRefusal(promotion, context)).toBeNull();
    expect(promotionRefusal(promotion, { ...context, productId: P1.toUpperCase(), billingCycle: 'quarterly' })).toBeNull();
    expect(promotionRefusal({ ...promotion, productIds: [], billingCycles: [] }, { ...context, productId: P2, billingCycle: 'yearly' })).toBeNull();
    expect(promotionRefusal({ ...promotion, validFrom: null, validUntil: null }, { ...context, now: '2040-01-01T00:00:00Z' })).toBeNull();
    expect(promotionRefusal({ ...promotion, maxUses: null, maxUsesPerCustomer: null, uses: 1_000_000 }, { ...context, customerUses: 50 })).toBeNull();
  });

  it('refuses an inactive code', () => {
    expect(refusedWith({ isActive: false })).toBe('promotion code SPRING is no longer active; remove it or use another code');
  });

  it('refuses a code before its window, from validFrom on it applies', () => {
    expect(refusedWith({}, { now: '2026-02-28T23:59:59Z' })).toBe(
      'promotion code SPRING is not valid before 2026-03-01T00:00:00Z; order then, or without the code',
    );
    expect(promotionRefusal(promotion, { ...context, now: '2026-03-01T00:00:00Z' })).toBeNull();
    expect(promotionRefusal(promotion, { ...context, now: '2026-03-01T01:00:00+01:00' })).toBeNull();
  });

  it('refuses an expired code from validUntil on', () => {
    expect(refusedWith({}, { now: '2026-04-01T00:00:00Z' })).toBe('promotion code SPRING expired on 2026-04-01T00:00:00Z; remove it or use another code');
    expect(promotionRefusal(promotion, { ...context, now: '2026-03-31T23:59:59Z' })).toBeNull();
    expect(promotionRefusal(promotion, { ...context, now: '2026-04-01T01:00:00+02:00' })).toBeNull();
  });

  it('refuses another product and another cycle', () => {
    expect(refusedWith({}, { productId: P2 })).toBe('promotion code SPRING is not valid for this product');
    expect(refusedWith({}, { billingCycle: 'yearly' })).toBe('promotion code SPRING is not valid for the yearly billing cycle; it is valid for monthly, quarterly');
  });

  it('refuses a used-up code', () => {
    expect(refusedWith({ uses: 100 })).toBe('promotion code SPRING has been used up');
    expect(refusedWith({ uses: 101 })).toBe('promotion code SPRING has been used up');
    expect(promotionRefusal({ ...promotion, uses: 99 }, context)).toBeNull();
  });

  it('refuses a customer who used the code the allowed times', () => {
    expect(refusedWith({}, { customerUses: 1 })).toBe('you have already used promotion code SPRING the allowed 1 time');
    expect(refusedWith({ maxUsesPerCustomer: 3 }, { customerUses: 3 })).toBe('you have already used promotion code SPRING the allowed 3 times');
    expect(promotionRefusal({ ...promotion, maxUsesPerCustomer: 3 }, { ...context, customerUses: 2 })).toBeNull();
  });

  it('gives the first reason in order', () => {
    expect(refusedWith({ isActive: false, uses: 100 }, { now: '2027-01-01T00:00:00Z', productId: P2 })).toMatch(/is no longer active/);
    expect(refusedWith({ uses: 100 }, { now: '2027-01-01T00:00:00Z', productId: P2 })).toMatch(/expired on/);
    expect(refusedWith({ uses: 100 }, { productId: P2, billingCycle: 'yearly' })).toMatch(/not valid for this product/);
    expect(refusedWith({ uses: 100 }, { billingCycle: 'yearly', customerUses: 5 })).toMatch(/yearly billing cycle/);
    expect(refusedWith({ uses: 100 }, { customerUses: 5 })).toMatch(/used up/);
  });

  it('throws on a bad instant', () => {
    expect(() => promotionRefusal(promotion, { ...context, now: 'now' })).toThrow(/not an RFC3339 timestamp/);
  });
});

describe('discountOf', () => {
  const base: Promotion = {
    id: 'x', code: 'SPRING', kind: 'percent', value: '10.00', recurrence: 'first_period', productIds: [], billingCycles: [], validFrom: null,
    validUntil: null, maxUses: null, maxUsesPerCustomer: null, uses: 0, isActive: true, description: '',
  };

  it('takes a percentage, rounded half-up', () => {
    expect(discountOf(base, '29.99', 'first')).toEqual({ discount: '3.00', amount: '26.99' });
    expect(discountOf({ ...base, value: '15.00' }, '9.99', 'first')).toEqual({ discount: '1.50', amount: '8.49' });
    expect(discountOf({ ...base, value: '50.00' }, '0.05', 'first')).toEqual({ discount: '0.03', amount: '0.02' });
    expect(discountOf({ ...base, value: '12.50' }, '0.20', 'first')).toEqual({ discount: '0.03', amount: '0.17' });
    expect(discountOf({ ...base, value: '33.33' }, '10.00', 'first')).toEqual({ discount: '3.33', amount: '6.67' });
    expect(discountOf({ ...base, value: '100.00' }, '10.00', 'first')).toEqual({ discount: '10.00', amount: '0.00' });
  });

  it('takes a fixed amount, never more than the price', () => {
    const fixed: Promotion = { ...base, kind: 'fixed', value: '5.00' };
    expect(discountOf(fixed, '29.99', 'first')).toEqual({ discount: '5.00', amount: '24.99' });
    expect(discountOf(fixed, '5', 'first')).toEqual({ discount: '5.00', amount: '0.00' });
    expect(discountOf({ ...fixed, value: '50.00' }, '29.99', 'first')).toEqual({ discount: '29.99', amount: '0.00' });
    expect(discountOf(fixed, '0', 'first')).toEqual({ discount: '0.00', amount: '0.00' });
  });

  it('gives nothing on a renewal of a first-period promotion, and the same on every period otherwise', () => {
    expect(discountOf(base, '29.99', 'renewal')).toEqual({ discount: '0.00', amount: '29.99' });
    expect(discountOf({ ...base, kind: 'fixed', value: '5.00' }, '29.99', 'renewal')).toEqual({ discount: '0.00', amount: '29.99' });
    expect(discountOf({ ...base, recurrence: 'every_period' }, '29.99', 'renewal')).toEqual({ discount: '3.00', amount: '26.99' });
    expect(discountOf({ ...base, recurrence: 'every_period' }, '29.99', 'first')).toEqual({ discount: '3.00', amount: '26.99' });
    expect(discountOf({ ...base, kind: 'fixed', value: '40.00', recurrence: 'every_period' }, '29.99', 'renewal')).toEqual({ discount: '29.99', amount: '0.00' });
  });

  it('refuses a bad price', () => {
    expect(invalidMessage(() => discountOf(base, '-1.00', 'first'))).toMatch(/^price must not be negative/);
    expect(invalidMessage(() => discountOf(base, '1.234', 'first'))).toMatch(/^price must be a decimal amount/);
  });
});

describe('promotionLineText', () => {
  it('names the code and the discount with a minus sign', () => {
    expect(promotionLineText('SPRING', '10.00')).toBe('promotion SPRING \u221210.00');
    expect(promotionLineText('SPRING', '10')).toBe('promotion SPRING −10.00');
    expect(promotionLineText('WELCOME-5', '-2.5')).toBe('promotion WELCOME-5 −2.50');
    expect(promotionLineText('ZERO', '0.00')).toBe('promotion ZERO −0.00');
  });
});
