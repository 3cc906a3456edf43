import { describe, expect, it } from 'vitest';
import {
  addMonthsClamped, firstPeriod, nextPeriod, parseInstant, periodDays, remainingDays, type ServicePeriod,
} from '../../src/domain/billing/service-period.ts';

describe('parseInstant', () => {
  it('reads RFC3339 instants with Z or an offset, fractions cut to milliseconds', () => {
    expect(parseInstant('2026-01-31T10:00:00Z')?.toISOString()).toBe('2026-01-31T10:00:00.000Z');
    expect(parseInstant('2026-01-31T10:00:00.250Z')?.toISOString()).toBe('2026-01-31T10:00:00.250Z');
    expect(parseInstant('2026-01-31T10:00:00.123456789Z')?.toISOString()).toBe('2026-01-31T10:00:00.123Z');
    expect(parseInstant('2026-01-31T12:00:00+02:00')?.toISOString()).toBe('2026-01-31T10:00:00.000Z');
    expect(parseInstant('2026-01-31T01:30:00+02:00')?.toISOString()).toBe('2026-01-30T23:30:00.000Z');
    expect(parseInstant('2026-12-31T22:00:00-05:30')?.toISOString()).toBe('2027-01-01T03:30:00.000Z');
    expect(parseInstant('2028-02-29T00:00:00Z')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('refuses dates that do not exist, out-of-range times and other formats', () => {
    for (const bad of [
      '2026-02-29T00:00:00Z', '2026-02-30T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z',
      '2026-01-31T24:00:00Z', '2026-01-31T10:60:00Z', '2026-01-31T10:00:60Z', '2026-01-31T10:00:00+24:00', '2026-01-31T10:00:00',
      '2026-01-31', '2026-01-31 10:00:00Z', ' 2026-01-31T10:00:00Z', 'yesterday', '',
    ]) {
      expect(parseInstant(bad), bad).toBeNull();
    }
  });
});

describe('addMonthsClamped', () => {
  it('keeps the time of day and clamps the anchor day to the month', () => {
    expect(addMonthsClamped('2026-01-31T10:00:00Z', 1, 31)).toBe('2026-02-28T10:00:00Z');
    expect(addMonthsClamped('2028-01-31T10:00:00Z', 1, 31)).toBe('2028-02-29T10:00:00Z');
    expect(addMonthsClamped('2026-01-29T10:00:00Z', 1, 29)).toBe('2026-02-28T10:00:00Z');
    expect(addMonthsClamped('2026-03-31T07:15:30Z', 1, 31)).toBe('2026-04-30T07:15:30Z');
    expect(addMonthsClamped('2026-01-15T23:59:59Z', 1, 15)).toBe('2026-02-15T23:59:59Z');
  });

  it('restores the anchor day after a short month', () => {
    expect(addMonthsClamped('2026-02-28T10:00:00Z', 1, 31)).toBe('2026-03-31T10:00:00Z');
    expect(addMonthsClamped('2026-02-28T10:00:00Z', 1, 30)).toBe('2026-03-30T10:00:00Z');
    expect(addMonthsClamped('2026-02-28T10:00:00Z', 1, 28)).toBe('2026-03-28T10:00:00Z');
    expect(addMonthsClamped('2026-04-30T10:00:00Z', 1, 31)).toBe('2026-05-31T10:00:00Z');
  });

  it('uses the anchor, not the day of the instant', () => {
    expect(addMonthsClamped('2026-02-28T10:00:00Z', 0, 31)).toBe('2026-02-28T10:00:00Z');
    expect(addMonthsClamped('2026-03-10T10:00:00Z', 0, 5)).toBe('2026-03-05T10:00:00Z');
  });

  it('crosses years, moves backwards, and handles leap days over several years', () => {
    expect(addMonthsClamped('2026-12-15T08:00:00Z', 1, 15)).toBe('2027-01-15T08:00:00Z');
    expect(addMonthsClamped('2026-11-30T08:00:00Z', 3, 30)).toBe('2027-02-28T08:00:00Z');
    expect(addMonthsClamped('2026-03-31T00:00:00Z', -1, 31)).toBe('2026-02-28T00:00:00Z');
    expect(addMonthsClamped('2026-01-31T00:00:00Z', -2, 31)).toBe('2025-11-30T00:00:00Z');
    expect(addMonthsClamped('2028-02-29T08:00:00Z', 12, 29)).toBe('2029-02-28T08:00:00Z');
    expect(addMonthsClamped('2028-02-29T08:00:00Z', 48, 29)).toBe('2032-02-29T08:00:00Z');
  });

  it('reads any offset and writes UTC with second precision', () => {
    expect(addMonthsClamped('2026-01-31T01:00:00+02:00', 1, 30)).toBe('2026-02-28T23:00:00Z');
    expect(addMonthsClamped('2026-01-15T10:00:00.750Z', 1, 15)).toBe('2026-02-15T10:00:00Z');
  });

  it('throws on a bad instant, month count or anchor', () => {
    expect(() => addMonthsClamped('2026-02-30T00:00:00Z', 1, 30)).toThrow(/not an RFC3339 timestamp/);
    expect(() => addMonthsClamped('tomorrow', 1, 1)).toThrow(/not an RFC3339 timestamp/);
    expect(() => addMonthsClamped('2026-01-01T00:00:00Z', 1.5, 1)).toThrow(/months must be a whole number/);
    for (const anchor of [0, 32, 1.5, -1]) {
      expect(() => addMonthsClamped('2026-01-01T00:00:00Z', 1, anchor), String(anchor)).toThrow(/anchorDay must be a whole number from 1 to 31/);
    }
  });
});

describe('firstPeriod and nextPeriod', () => {
  it('walks monthly periods from the 31st through February and back', () => {
    const first = firstPeriod('2026-01-31T10:00:00Z', 'monthly');
    expect(first).toEqual({ start: '2026-01-31T10:00:00Z', end: '2026-02-28T10:00:00Z' });
    const second = nextPeriod(first, 'monthly', 31);
    expect(second).toEqual({ start: '2026-02-28T10:00:00Z', end: '2026-03-31T10:00:00Z' });
    const third = nextPeriod(second, 'monthly', 31);
    expect(third).toEqual({ start: '2026-03-31T10:00:00Z', end: '2026-04-30T10:00:00Z' });
    expect(nextPeriod(third, 'monthly', 31)).toEqual({ start: '2026-04-30T10:00:00Z', end: '2026-05-31T10:00:00Z' });
  });

  it('gives February 29 in a leap year', () => {
    const first = firstPeriod('2028-01-30T00:00:00Z', 'monthly');
    expect(first).toEqual({ start: '2028-01-30T00:00:00Z', end: '2028-02-29T00:00:00Z' });
    expect(nextPeriod(first, 'monthly', 30)).toEqual({ start: '2028-02-29T00:00:00Z', end: '2028-03-30T00:00:00Z' });
  });

  it('walks quarterly periods', () => {
    const first = firstPeriod('2025-11-30T12:00:00Z', 'quarterly');
    expect(first).toEqual({ start: '2025-11-30T12:00:00Z', end: '2026-02-28T12:00:00Z' });
    expect(nextPeriod(first, 'quarterly', 30)).toEqual({ start: '2026-02-28T12:00:00Z', end: '2026-05-30T12:00:00Z' });
    expect(firstPeriod('2027-11-30T12:00:00Z', 'quarterly').end).toBe('2028-02-29T12:00:00Z');
    expect(firstPeriod('2026-01-15T00:00:00Z', 'quarterly').end).toBe('2026-04-15T00:00:00Z');
  });

  it('walks yearly periods from a leap day', () => {
    let period = firstPeriod('2028-02-29T00:00:00Z', 'yearly');
    expect(period).toEqual({ start: '2028-02-29T00:00:00Z', end: '2029-02-28T00:00:00Z' });
    const ends: string[] = [];
    for (let i = 0; i < 3; i++) {
      period = nextPeriod(period, 'yearly', 29);
      ends.push(period.end);
    }
    expect(ends).toEqual(['2030-02-28T00:00:00Z', '2031-02-28T00:00:00Z', '2032-02-29T00:00:00Z']);
  });

  it('anchors on the UTC day of a start given with an offset', () => {
    expect(firstPeriod('2026-03-01T01:00:00+02:00', 'monthly')).toEqual({ start: '2026-02-28T23:00:00Z', end: '2026-03-28T23:00:00Z' });
  });

  it('throws on a bad start', () => {
    expect(() => firstPeriod('2026-01-31', 'monthly')).toThrow(/not an RFC3339 timestamp/);
    expect(() => nextPeriod({ start: '2026-01-01T00:00:00Z', end: 'x' }, 'monthly', 1)).toThrow(/not an RFC3339 timestamp/);
  });
});

describe('periodDays', () => {
  it('counts UTC calendar days between the dates of start and end', () => {
    expect(periodDays({ start: '2026-01-31T10:00:00Z', end: '2026-02-28T10:00:00Z' })).toBe(28);
    expect(periodDays({ start: '2026-02-28T10:00:00Z', end: '2026-03-31T10:00:00Z' })).toBe(31);
    expect(periodDays({ start: '2028-01-31T10:00:00Z', end: '2028-02-29T10:00:00Z' })).toBe(29);
    expect(periodDays({ start: '2026-04-01T23:00:00Z', end: '2026-05-01T23:00:00Z' })).toBe(30);
    expect(periodDays({ start: '2028-01-01T00:00:00Z', end: '2029-01-01T00:00:00Z' })).toBe(366);
    expect(periodDays({ start: '2028-02-29T00:00:00Z', end: '2029-02-28T00:00:00Z' })).toBe(365);
    expect(periodDays({ start: '2026-01-15T00:00:00Z', end: '2026-04-15T00:00:00Z' })).toBe(90);
  });

  it('counts dates, not 24-hour spans', () => {
    expect(periodDays({ start: '2026-01-01T01:00:00Z', end: '2026-01-01T23:00:00Z' })).toBe(0);
    expect(periodDays({ start: '2026-01-01T23:00:00Z', end: '2026-01-02T01:00:00Z' })).toBe(1);
  });

  it('throws when the period ends before it starts', () => {
    expect(() => periodDays({ start: '2026-02-01T00:00:00Z', end: '2026-01-01T00:00:00Z' })).toThrow(/ends .* before it starts/);
  });
});

describe('remainingDays', () => {
  const april: ServicePeriod = { start: '2026-04-01T10:00:00Z', end: '2026-05-01T10:00:00Z' };

  it('counts the day of `at` as remaining', () => {
    expect(remainingDays(april, '2026-04-11T15:00:00Z')).toBe(20);
    expect(remainingDays(april, '2026-04-11T00:00:00Z')).toBe(20);
    expect(remainingDays(april, '2026-04-30T23:59:59Z')).toBe(1);
    expect(remainingDays(april, '2026-04-01T10:00:00Z')).toBe(30);
    expect(remainingDays(april, '2026-04-02T00:00:00Z')).toBe(29);
  });

  it('gives the whole period before the start, nothing from the end date on', () => {
    expect(remainingDays(april, '2026-03-15T00:00:00Z')).toBe(30);
    expect(remainingDays(april, '2026-04-01T09:59:59Z')).toBe(30);
    expect(remainingDays(april, '2026-05-01T09:00:00Z')).toBe(0);
    expect(remainingDays(april, '2026-05-01T10:00:00Z')).toBe(0);
    expect(remainingDays(april, '2026-06-01T00:00:00Z')).toBe(0);
  });

  it('takes the UTC date of an instant with an offset', () => {
    expect(remainingDays(april, '2026-04-11T01:30:00+02:00')).toBe(21);
  });

  it('throws on a bad instant', () => {
    expect(() => remainingDays(april, '2026-04-31T00:00:00Z')).toThrow(/not an RFC3339 timestamp/);
  });
});
