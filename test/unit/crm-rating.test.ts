import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  FULL_RELATIONSHIP_MONTHS,
  RATING_WEIGHTS,
  STAR_THRESHOLDS,
  computeRating,
  effectiveRating,
  parseStars,
  starsForScore,
  type RatingInput,
} from '../../src/domain/crm/rating.ts';

/** A customer with nothing: every sub-score 0. Tests override the terms they exercise. */
const NOTHING: RatingInput = {
  totalPaid: '0.00',
  averagePaid: '100.00',
  onTimePayments: 0,
  payments: 0,
  ordersPerPeriod: 0,
  averageOrdersPerPeriod: 2,
  monthsSinceFirstOrder: 0,
};
/** Full marks on every term. */
const FULL: RatingInput = {
  totalPaid: '100.00',
  averagePaid: '100.00',
  onTimePayments: 10,
  payments: 10,
  ordersPerPeriod: 2,
  averageOrdersPerPeriod: 2,
  monthsSinceFirstOrder: 60,
};

function invalidMessage(run: () => unknown): string {
  const error = refusal(run);
  expect(error.kind).toBe('invalid_argument');
  return error.message;
}

describe('rating constants', () => {
  it('weights are the document’s 30/40/20/10 and sum to 100', () => {
    expect(RATING_WEIGHTS).toEqual({ orderAmount: 30, onTimePayment: 40, orderFrequency: 20, relationshipAge: 10 });
    expect(Object.values(RATING_WEIGHTS).reduce((a, b) => a + b, 0)).toBe(100);
  });
  it('star thresholds are 90/70/50/30 and five years of relationship earn the age term', () => {
    expect(STAR_THRESHOLDS.map((t) => [t.stars, t.minScore])).toEqual([[5, 90], [4, 70], [3, 50], [2, 30]]);
    expect(FULL_RELATIONSHIP_MONTHS).toBe(60);
  });
});

describe('starsForScore', () => {
  const cases: [string, number][] = [
    ['100', 5], ['90', 5], ['90.00', 5], ['89.99', 4], ['89.9999999999', 4],
    ['70', 4], ['69.99', 3], ['50', 3], ['49.99', 2], ['30', 2], ['29.99', 1], ['0.01', 1], ['0', 1],
  ];
  for (const [score, stars] of cases) {
    it(`${score} points → ${stars} stars`, () => {
      expect(starsForScore(score)).toBe(stars);
    });
  }
  it('takes a Decimal', () => {
    expect(starsForScore(new Decimal('90'))).toBe(5);
    expect(starsForScore(new Decimal('89.999999999999999999'))).toBe(4);
  });
  it('refuses scores outside 0–100 and malformed ones', () => {
    expect(invalidMessage(() => starsForScore('100.01'))).toMatch(/between 0 and 100/);
    expect(invalidMessage(() => starsForScore(new Decimal('-0.01')))).toMatch(/between 0 and 100/);
    expect(invalidMessage(() => starsForScore('-0.01'))).toMatch(/must not be negative/);
    expect(invalidMessage(() => starsForScore('1e2'))).toMatch(/^score must be a decimal string/);
  });
});

describe('computeRating: each term', () => {
  it('full marks on every term: 100 points, 5 stars', () => {
    expect(computeRating(FULL)).toEqual({
      subScores: { orderAmount: '100.00', onTimePayment: '100.00', orderFrequency: '100.00', relationshipAge: '100.00' },
      score: '100.00',
      stars: 5,
    });
  });
  it('nothing at all: 0 points, 1 star (no payments yet scores 0 on punctuality)', () => {
    expect(computeRating(NOTHING)).toEqual({
      subScores: { orderAmount: '0.00', onTimePayment: '0.00', orderFrequency: '0.00', relationshipAge: '0.00' },
      score: '0.00',
      stars: 1,
    });
  });

  it('order amount: paid total against the average, capped at the average, weight 30', () => {
    const half = computeRating({ ...NOTHING, totalPaid: '50.00' });
    expect(half.subScores.orderAmount).toBe('50.00');
    expect(half.score).toBe('15.00');
    const third = computeRating({ ...NOTHING, totalPaid: '0.10', averagePaid: '0.30' });
    expect(third.subScores.orderAmount).toBe('33.33');
    expect(third.score).toBe('9.99'); // 10 points × 0.999… truncated, not rounded up to 10.00
    const triple = computeRating({ ...NOTHING, totalPaid: '300.00' });
    expect(triple.subScores.orderAmount).toBe('100.00');
    expect(triple.score).toBe('30.00');
  });
  it('order amount: exact decimals well beyond a JS number’s precision', () => {
    const r = computeRating({ ...NOTHING, totalPaid: '12345678901234567.89', averagePaid: '12345678901234567.90' });
    expect(r.subScores.orderAmount).toBe('99.99'); // a float ratio would be exactly 1 → 100.00
  });
  it('order amount: an average of 0 scores 0; a customer above an average of 0 is refused', () => {
    expect(computeRating({ ...NOTHING, averagePaid: '0' }).subScores.orderAmount).toBe('0.00');
    expect(invalidMessage(() => computeRating({ ...NOTHING, totalPaid: '1.00', averagePaid: '0.00' }))).toMatch(/^totalPaid: .*average is 0/);
  });

  it('on-time payment: on-time / payments, weight 40', () => {
    const r = computeRating({ ...NOTHING, onTimePayments: 3, payments: 4 });
    expect(r.subScores.onTimePayment).toBe('75.00');
    expect(r.score).toBe('30.00');
    const third = computeRating({ ...NOTHING, onTimePayments: 1, payments: 3 });
    expect(third.subScores.onTimePayment).toBe('33.33');
    expect(third.score).toBe('13.33');
    expect(computeRating({ ...NOTHING, onTimePayments: 0, payments: 5 }).subScores.onTimePayment).toBe('0.00');
  });

  it('order frequency: orders per period against the average, capped, weight 20', () => {
    const half = computeRating({ ...NOTHING, ordersPerPeriod: 4.5, averageOrdersPerPeriod: 9 });
    expect(half.subScores.orderFrequency).toBe('50.00');
    expect(half.score).toBe('10.00');
    const double = computeRating({ ...NOTHING, ordersPerPeriod: 4, averageOrdersPerPeriod: 2 });
    expect(double.subScores.orderFrequency).toBe('100.00');
    expect(double.score).toBe('20.00');
    expect(computeRating({ ...NOTHING, ordersPerPeriod: 0, averageOrdersPerPeriod: 0 }).subScores.orderFrequency).toBe('0.00');
    expect(invalidMessage(() => computeRating({ ...NOTHING, ordersPerPeriod: 1, averageOrdersPerPeriod: 0 }))).toMatch(/^ordersPerPeriod: /);
  });

  it('relationship age: months over 60, capped, weight 10', () => {
    const cases: [number, string, string][] = [[0, '0.00', '0.00'], [6, '10.00', '1.00'], [30, '50.00', '5.00'], [59, '98.33', '9.83'], [60, '100.00', '10.00'], [120, '100.00', '10.00']];
    for (const [months, sub, score] of cases) {
      const r = computeRating({ ...NOTHING, monthsSinceFirstOrder: months });
      expect([months, r.subScores.relationshipAge, r.score]).toEqual([months, sub, score]);
    }
  });
});

describe('computeRating: star boundaries on the weighted score', () => {
  /** on-time 9999 of 10000 payments: 99.99 → 39.996 points, just short of the full 40. */
  const almostPunctual = { onTimePayments: 9999, payments: 10000 };
  const cases: [string, RatingInput, string, number][] = [
    ['exactly 90', { ...FULL, monthsSinceFirstOrder: 0 }, '90.00', 5],
    ['89.996 (truncated, not rounded to 90)', { ...FULL, ...almostPunctual, monthsSinceFirstOrder: 0 }, '89.99', 4],
    ['exactly 70', { ...NOTHING, totalPaid: '100.00', onTimePayments: 4, payments: 4 }, '70.00', 4],
    ['69.996', { ...NOTHING, totalPaid: '100.00', ...almostPunctual }, '69.99', 3],
    ['exactly 50', { ...NOTHING, onTimePayments: 1, payments: 1, monthsSinceFirstOrder: 60 }, '50.00', 3],
    ['49.996', { ...NOTHING, ...almostPunctual, monthsSinceFirstOrder: 60 }, '49.99', 2],
    ['exactly 30', { ...NOTHING, totalPaid: '100.00' }, '30.00', 2],
    ['29.997', { ...NOTHING, totalPaid: '9999', averagePaid: '10000' }, '29.99', 1],
  ];
  for (const [name, input, score, stars] of cases) {
    it(`${name} → ${score} points, ${stars} stars`, () => {
      const r = computeRating(input);
      expect(r.score).toBe(score);
      expect(r.stars).toBe(stars);
    });
  }
});

describe('computeRating: refused inputs', () => {
  it('money that is not a non-negative decimal string', () => {
    for (const bad of ['', '1e3', ' 1', '1 ', '+1', 'NaN', '01', '.5', '1,00', '-1.00']) {
      expect(invalidMessage(() => computeRating({ ...NOTHING, totalPaid: bad })), bad).toMatch(/^totalPaid must/);
      expect(invalidMessage(() => computeRating({ ...NOTHING, averagePaid: bad })), bad).toMatch(/^averagePaid must/);
    }
  });
  it('counts that are not whole numbers ≥ 0, and more on-time payments than payments', () => {
    expect(invalidMessage(() => computeRating({ ...NOTHING, payments: 1.5 }))).toMatch(/^payments must be a whole number/);
    expect(invalidMessage(() => computeRating({ ...NOTHING, onTimePayments: -1 }))).toMatch(/^onTimePayments must be a whole number/);
    expect(invalidMessage(() => computeRating({ ...NOTHING, onTimePayments: 5, payments: 4 }))).toMatch(/must not exceed payments/);
  });
  it('measures that are negative or not finite', () => {
    expect(invalidMessage(() => computeRating({ ...NOTHING, monthsSinceFirstOrder: -0.5 }))).toMatch(/^monthsSinceFirstOrder must be a finite number/);
    expect(invalidMessage(() => computeRating({ ...NOTHING, ordersPerPeriod: Number.NaN }))).toMatch(/^ordersPerPeriod must be a finite number/);
    expect(invalidMessage(() => computeRating({ ...NOTHING, averageOrdersPerPeriod: Number.POSITIVE_INFINITY }))).toMatch(/^averageOrdersPerPeriod must/);
  });
});

describe('parseStars', () => {
  it('takes 1 to 5', () => {
    expect([1, 2, 3, 4, 5].map((n) => parseStars('rating', n))).toEqual([1, 2, 3, 4, 5]);
  });
  it('refuses anything else, naming the field', () => {
    for (const bad of [0, 6, 2.5, -1, Number.NaN]) expect(invalidMessage(() => parseStars('rating', bad)), String(bad)).toMatch(/^rating must be a whole number of stars from 1 to 5/);
  });
});

describe('effectiveRating: a manual rating is kept until cleared', () => {
  it('without a manual rating the computed one is in force', () => {
    expect(effectiveRating(null, 4)).toEqual({ stars: 4, source: 'computed' });
  });
  it('a manual rating wins over every recomputation, higher or lower', () => {
    for (const computed of [1, 2, 3, 4, 5] as const) expect(effectiveRating(2, computed)).toEqual({ stars: 2, source: 'manual' });
  });
  it('once cleared (null) the latest computed rating takes over', () => {
    expect(effectiveRating(5, 1)).toEqual({ stars: 5, source: 'manual' });
    expect(effectiveRating(null, 1)).toEqual({ stars: 1, source: 'computed' });
  });
});
