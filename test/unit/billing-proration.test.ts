import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { planChangeAmounts, prorate } from '../../src/domain/billing/proration.ts';
import type { ServicePeriod } from '../../src/domain/billing/service-period.ts';

/** 30 days: April 2026. */
const april: ServicePeriod = { start: '2026-04-01T10:00:00Z', end: '2026-05-01T10:00:00Z' };
/** 3 days. */
const threeDays: ServicePeriod = { start: '2026-04-01T00:00:00Z', end: '2026-04-04T00:00:00Z' };

describe('prorate', () => {
  it('charges the remaining days of the period', () => {
    expect(prorate('30.00', april, '2026-04-11T12:00:00Z')).toBe('20.00');
    expect(prorate('60', april, '2026-04-11T12:00:00Z')).toBe('40.00');
    expect(prorate('30.00', april, '2026-04-30T12:00:00Z')).toBe('1.00');
    expect(prorate('365.00', { start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' }, '2026-12-01T00:00:00Z')).toBe('31.00');
  });

  it('rounds half-up to two places', () => {
    expect(prorate('10.00', threeDays, '2026-04-03T12:00:00Z')).toBe('3.33');
    expect(prorate('10.00', threeDays, '2026-04-02T12:00:00Z')).toBe('6.67');
    // 0.05 × 1/2 = 0.025 → 0.03
    expect(prorate('0.05', { start: '2026-04-01T00:00:00Z', end: '2026-04-03T00:00:00Z' }, '2026-04-02T00:00:00Z')).toBe('0.03');
    // 1.00 × 5/8 = 0.625 → 0.63
    expect(prorate('1.00', { start: '2026-04-01T00:00:00Z', end: '2026-04-09T00:00:00Z' }, '2026-04-04T00:00:00Z')).toBe('0.63');
    // February 2026: 9.99 × 14/28 = 4.995 → 5.00
    expect(prorate('9.99', { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' }, '2026-02-15T08:00:00Z')).toBe('5.00');
  });

  it('charges all before the period starts and nothing after it ends', () => {
    expect(prorate('30.00', april, '2026-03-20T00:00:00Z')).toBe('30.00');
    expect(prorate('30.00', april, '2026-05-01T10:00:00Z')).toBe('0.00');
    expect(prorate('30.00', april, '2026-07-01T00:00:00Z')).toBe('0.00');
  });

  it('gives 0.00 for a period of 0 days and for a price of 0', () => {
    expect(prorate('30.00', { start: '2026-04-01T01:00:00Z', end: '2026-04-01T23:00:00Z' }, '2026-04-01T00:00:00Z')).toBe('0.00');
    expect(prorate('0', april, '2026-04-11T00:00:00Z')).toBe('0.00');
  });

  it('refuses a price that is not an amount ≥ 0 with at most 2 places', () => {
    for (const bad of ['', '-1.00', '1.005', 'abc']) {
      const error = refusal(() => prorate(bad, april, '2026-04-11T00:00:00Z'));
      expect(error.kind, bad).toBe('invalid_argument');
      expect(error.message, bad).toMatch(/^price /);
    }
  });
});

describe('planChangeAmounts', () => {
  it('credits the old plan and charges the new one for the days left (upgrade)', () => {
    expect(planChangeAmounts({ oldPrice: '30.00', newPrice: '60.00', period: april, at: '2026-04-11T09:00:00Z' })).toEqual({
      credit: '20.00', charge: '40.00', net: '20.00', remainingDays: 20, periodDays: 30,
    });
  });

  it('gives money back on a downgrade', () => {
    expect(planChangeAmounts({ oldPrice: '60.00', newPrice: '30.00', period: april, at: '2026-04-11T09:00:00Z' })).toEqual({
      credit: '40.00', charge: '20.00', net: '-20.00', remainingDays: 20, periodDays: 30,
    });
  });

  it('rounds credit and charge on their own and takes net from the rounded values', () => {
    // credit 10 × 1/3 = 3.33, charge 20 × 1/3 = 6.666… → 6.67, net 3.34 (not 3.33)
    expect(planChangeAmounts({ oldPrice: '10.00', newPrice: '20.00', period: threeDays, at: '2026-04-03T00:00:00Z' })).toEqual({
      credit: '3.33', charge: '6.67', net: '3.34', remainingDays: 1, periodDays: 3,
    });
  });

  it('gives zeros for the same price and for a change at the end', () => {
    expect(planChangeAmounts({ oldPrice: '25.00', newPrice: '25.00', period: april, at: '2026-04-19T00:00:00Z' })).toEqual({
      credit: '10.00', charge: '10.00', net: '0.00', remainingDays: 12, periodDays: 30,
    });
    expect(planChangeAmounts({ oldPrice: '25.00', newPrice: '50.00', period: april, at: '2026-05-02T00:00:00Z' })).toEqual({
      credit: '0.00', charge: '0.00', net: '0.00', remainingDays: 0, periodDays: 30,
    });
  });

  it('names the price field it refuses', () => {
    expect(refusal(() => planChangeAmounts({ oldPrice: '-1', newPrice: '1', period: april, at: '2026-04-11T00:00:00Z' })).message).toMatch(/^old_price /);
    expect(refusal(() => planChangeAmounts({ oldPrice: '1', newPrice: 'x', period: april, at: '2026-04-11T00:00:00Z' })).message).toMatch(/^new_price /);
  });
});
