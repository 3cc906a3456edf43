import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  DEFAULT_RFM_THRESHOLDS,
  RFM_SEGMENTS,
  SEGMENT_ACTIONS,
  frequencyLevel,
  monetaryLevel,
  recencyLevel,
  scoreRfm,
  segmentDistribution,
  segmentOf,
  validateRfmThresholds,
  type RfmLevel,
  type RfmSegment,
  type RfmThresholds,
} from '../../src/domain/crm/rfm.ts';

const T = DEFAULT_RFM_THRESHOLDS;
const LEVELS: RfmLevel[] = ['high', 'medium', 'low'];

function invalidMessage(run: () => unknown): string {
  const error = refusal(run);
  expect(error.kind).toBe('invalid_argument');
  return error.message;
}

describe('defaults and segments', () => {
  it('default thresholds', () => {
    expect(T).toEqual({ recency: { highMaxDays: 30, mediumMaxDays: 90 }, frequency: { highMinOrders: 10, mediumMinOrders: 3 }, monetary: { highMin: '5000.00', mediumMin: '1000.00' } });
    expect(validateRfmThresholds(T)).toBe(T);
  });
  it('the document’s five segments, each with its advice', () => {
    expect(RFM_SEGMENTS).toEqual(['important_value', 'important_retain', 'important_develop', 'general', 'churn_warning']);
    expect(Object.keys(SEGMENT_ACTIONS).sort()).toEqual([...RFM_SEGMENTS].sort());
    expect(SEGMENT_ACTIONS.important_value).toMatch(/VIP/);
    expect(SEGMENT_ACTIONS.churn_warning).toMatch(/reactivation/);
  });
});

describe('recencyLevel (days since the last paid order)', () => {
  const cases: [number | null, RfmLevel][] = [[0, 'high'], [30, 'high'], [31, 'medium'], [90, 'medium'], [91, 'low'], [1000, 'low'], [null, 'low']];
  for (const [days, level] of cases) it(`${String(days)} days → ${level}`, () => expect(recencyLevel(days, T.recency)).toBe(level));
  it('custom thresholds', () => {
    const t = { highMaxDays: 7, mediumMaxDays: 14 };
    expect([7, 8, 14, 15].map((d) => recencyLevel(d, t))).toEqual(['high', 'medium', 'medium', 'low']);
  });
});

describe('frequencyLevel (paid orders)', () => {
  const cases: [number, RfmLevel][] = [[100, 'high'], [10, 'high'], [9, 'medium'], [3, 'medium'], [2, 'low'], [0, 'low']];
  for (const [orders, level] of cases) it(`${orders} orders → ${level}`, () => expect(frequencyLevel(orders, T.frequency)).toBe(level));
  it('custom thresholds', () => {
    expect([5, 4, 2, 1].map((n) => frequencyLevel(n, { highMinOrders: 5, mediumMinOrders: 2 }))).toEqual(['high', 'medium', 'medium', 'low']);
  });
});

describe('monetaryLevel (paid total, decimal strings)', () => {
  const cases: [string, RfmLevel][] = [['100000.00', 'high'], ['5000.00', 'high'], ['5000', 'high'], ['4999.99', 'medium'], ['1000.00', 'medium'], ['999.99', 'low'], ['0', 'low']];
  for (const [total, level] of cases) it(`${total} → ${level}`, () => expect(monetaryLevel(total, T.monetary)).toBe(level));
  it('compares exactly: a total a JS number would round up to the threshold stays below it', () => {
    expect(monetaryLevel('4999.99999999999999999', T.monetary)).toBe('medium');
    expect(monetaryLevel(new Decimal('999.999999999999999999'), T.monetary)).toBe('low');
  });
  it('custom thresholds', () => {
    const t = { highMin: '100.50', mediumMin: '10.25' };
    expect(['100.50', '100.49', '10.25', '10.24'].map((v) => monetaryLevel(v, t))).toEqual(['high', 'medium', 'medium', 'low']);
  });
  it('refuses a malformed total', () => {
    expect(invalidMessage(() => monetaryLevel('5e3', T.monetary))).toMatch(/^paidTotal must be a decimal string/);
  });
});

describe('segmentOf', () => {
  const cases: [RfmLevel, RfmLevel, RfmLevel, RfmSegment][] = [
    ['high', 'high', 'high', 'important_value'],
    ['low', 'high', 'high', 'important_retain'],
    ['medium', 'high', 'high', 'important_retain'],
    ['high', 'low', 'high', 'important_develop'],
    ['high', 'medium', 'high', 'important_develop'],
    ['low', 'low', 'low', 'churn_warning'],
    ['low', 'medium', 'high', 'churn_warning'],
    ['low', 'high', 'low', 'churn_warning'],
    ['medium', 'medium', 'medium', 'general'],
    ['high', 'high', 'medium', 'general'],
    ['high', 'low', 'low', 'general'],
    ['medium', 'low', 'low', 'general'],
  ];
  for (const [r, f, m, segment] of cases) it(`R ${r} F ${f} M ${m} → ${segment}`, () => expect(segmentOf(r, f, m)).toBe(segment));

  it('all 27 combinations: 1 value, 2 retain, 2 develop, 8 churn warning, 14 general', () => {
    const segments: RfmSegment[] = [];
    for (const r of LEVELS) for (const f of LEVELS) for (const m of LEVELS) segments.push(segmentOf(r, f, m));
    expect(segmentDistribution(segments)).toEqual({ important_value: 1, important_retain: 2, important_develop: 2, general: 14, churn_warning: 8 });
  });
});

describe('scoreRfm', () => {
  it('a recent, frequent, big customer is important value', () => {
    expect(scoreRfm({ daysSinceLastPaidOrder: 3, paidOrders: 12, paidTotal: '8000.00' })).toEqual({
      recency: 'high', frequency: 'high', monetary: 'high', segment: 'important_value', hasPaidOrders: true,
    });
  });
  it('one who stopped buying is retain when frequent and big, churn warning otherwise', () => {
    expect(scoreRfm({ daysSinceLastPaidOrder: 120, paidOrders: 12, paidTotal: '8000.00' }).segment).toBe('important_retain');
    expect(scoreRfm({ daysSinceLastPaidOrder: 120, paidOrders: 2, paidTotal: '300.00' }).segment).toBe('churn_warning');
  });
  it('a recent big spender with few orders is develop; a middling one is general', () => {
    expect(scoreRfm({ daysSinceLastPaidOrder: 10, paidOrders: 1, paidTotal: '6000.00' }).segment).toBe('important_develop');
    expect(scoreRfm({ daysSinceLastPaidOrder: 60, paidOrders: 5, paidTotal: '2000.00' }).segment).toBe('general');
  });
  it('thresholds are applied at their boundaries', () => {
    const at = scoreRfm({ daysSinceLastPaidOrder: 30, paidOrders: 10, paidTotal: '5000.00' });
    expect(at.segment).toBe('important_value');
    expect(scoreRfm({ daysSinceLastPaidOrder: 31, paidOrders: 10, paidTotal: '5000.00' }).segment).toBe('important_retain');
    expect(scoreRfm({ daysSinceLastPaidOrder: 30, paidOrders: 9, paidTotal: '5000.00' }).segment).toBe('important_develop');
    expect(scoreRfm({ daysSinceLastPaidOrder: 30, paidOrders: 10, paidTotal: '4999.99' }).segment).toBe('general');
    expect(scoreRfm({ daysSinceLastPaidOrder: 91, paidOrders: 5, paidTotal: '2000.00' }).segment).toBe('churn_warning');
    expect(scoreRfm({ daysSinceLastPaidOrder: 90, paidOrders: 5, paidTotal: '2000.00' }).segment).toBe('general');
  });
  it('uses the thresholds it is given', () => {
    const strict: RfmThresholds = { recency: { highMaxDays: 7, mediumMaxDays: 30 }, frequency: { highMinOrders: 20, mediumMinOrders: 5 }, monetary: { highMin: '50000', mediumMin: '10000' } };
    const input = { daysSinceLastPaidOrder: 3, paidOrders: 12, paidTotal: '8000.00' };
    expect(scoreRfm(input).segment).toBe('important_value');
    expect(scoreRfm(input, strict)).toEqual({ recency: 'high', frequency: 'medium', monetary: 'low', segment: 'general', hasPaidOrders: true });
  });
  it('free paid orders (total 0) are scored, monetary low', () => {
    expect(scoreRfm({ daysSinceLastPaidOrder: 200, paidOrders: 1, paidTotal: '0.00' })).toEqual({
      recency: 'low', frequency: 'low', monetary: 'low', segment: 'churn_warning', hasPaidOrders: true,
    });
  });
  it('a customer with no paid order is general, not churn warning', () => {
    expect(scoreRfm({ daysSinceLastPaidOrder: null, paidOrders: 0, paidTotal: '0.00' })).toEqual({
      recency: 'low', frequency: 'low', monetary: 'low', segment: 'general', hasPaidOrders: false,
    });
  });
  it('refuses inconsistent or malformed figures', () => {
    expect(invalidMessage(() => scoreRfm({ daysSinceLastPaidOrder: null, paidOrders: 3, paidTotal: '10.00' }))).toMatch(/null exactly when paidOrders is 0/);
    expect(invalidMessage(() => scoreRfm({ daysSinceLastPaidOrder: 5, paidOrders: 0, paidTotal: '0' }))).toMatch(/null exactly when paidOrders is 0/);
    expect(invalidMessage(() => scoreRfm({ daysSinceLastPaidOrder: null, paidOrders: 0, paidTotal: '10.00' }))).toMatch(/^paidTotal must be 0 when paidOrders is 0/);
    expect(invalidMessage(() => scoreRfm({ daysSinceLastPaidOrder: 1.5, paidOrders: 1, paidTotal: '1' }))).toMatch(/^daysSinceLastPaidOrder must be a whole number/);
    expect(invalidMessage(() => scoreRfm({ daysSinceLastPaidOrder: 1, paidOrders: -1, paidTotal: '1' }))).toMatch(/^paidOrders must be a whole number/);
    expect(invalidMessage(() => scoreRfm({ daysSinceLastPaidOrder: 1, paidOrders: 1, paidTotal: '-1.00' }))).toMatch(/^paidTotal must not be negative/);
    expect(invalidMessage(() => scoreRfm({ daysSinceLastPaidOrder: 1, paidOrders: 1, paidTotal: '1,00' }))).toMatch(/^paidTotal must be a decimal string/);
  });
});

describe('validateRfmThresholds', () => {
  const with_ = (patch: (t: RfmThresholds) => void): RfmThresholds => {
    const t = structuredClone(T);
    patch(t);
    return t;
  };
  it('accepts equal high and medium thresholds (an empty medium band)', () => {
    const t = with_((x) => { x.recency.mediumMaxDays = 30; });
    expect(validateRfmThresholds(t)).toBe(t);
    expect(scoreRfm({ daysSinceLastPaidOrder: 31, paidOrders: 1, paidTotal: '1' }, t).recency).toBe('low');
  });
  it('refuses each malformed or inverted threshold, naming it', () => {
    const cases: [(t: RfmThresholds) => void, RegExp][] = [
      [(t) => { t.recency.highMaxDays = -1; }, /^recency\.highMaxDays must be a whole number/],
      [(t) => { t.recency.mediumMaxDays = 2.5; }, /^recency\.mediumMaxDays must be a whole number/],
      [(t) => { t.recency.mediumMaxDays = 29; }, /^recency\.mediumMaxDays \(29\) must be at least recency\.highMaxDays \(30\)/],
      [(t) => { t.frequency.mediumMinOrders = 0; }, /^frequency\.mediumMinOrders must be at least 1/],
      [(t) => { t.frequency.highMinOrders = 2; }, /^frequency\.highMinOrders \(2\) must be at least frequency\.mediumMinOrders \(3\)/],
      [(t) => { t.frequency.highMinOrders = Number.NaN; }, /^frequency\.highMinOrders must be a whole number/],
      [(t) => { t.monetary.highMin = '999.99'; }, /^monetary\.highMin \(999\.99\) must be at least monetary\.mediumMin \(1000\.00\)/],
      [(t) => { t.monetary.mediumMin = '-1'; }, /^monetary\.mediumMin must not be negative/],
      [(t) => { t.monetary.highMin = '1e4'; }, /^monetary\.highMin must be a decimal string/],
    ];
    for (const [patch, message] of cases) {
      const t = with_(patch);
      expect(invalidMessage(() => validateRfmThresholds(t)), String(message)).toMatch(message);
      expect(invalidMessage(() => scoreRfm({ daysSinceLastPaidOrder: 1, paidOrders: 1, paidTotal: '1' }, t)), String(message)).toMatch(message);
    }
  });
});

describe('segmentDistribution', () => {
  it('is zero for every segment when there are no customers', () => {
    expect(segmentDistribution([])).toEqual({ important_value: 0, important_retain: 0, important_develop: 0, general: 0, churn_warning: 0 });
  });
  it('counts segments and results alike, from any iterable', () => {
    const results = [
      scoreRfm({ daysSinceLastPaidOrder: 3, paidOrders: 12, paidTotal: '8000.00' }),
      scoreRfm({ daysSinceLastPaidOrder: null, paidOrders: 0, paidTotal: '0' }),
      scoreRfm({ daysSinceLastPaidOrder: 400, paidOrders: 1, paidTotal: '50.00' }),
    ];
    function* mixed(): Generator<RfmSegment | (typeof results)[number]> {
      yield* results;
      yield 'churn_warning';
      yield 'important_value';
      yield 'important_develop';
    }
    expect(segmentDistribution(mixed())).toEqual({ important_value: 2, important_retain: 0, important_develop: 1, general: 1, churn_warning: 2 });
  });
  it('refuses an unknown segment', () => {
    expect(invalidMessage(() => segmentDistribution(['vip' as unknown as RfmSegment]))).toMatch(/unknown RFM segment "vip"/);
  });
});
