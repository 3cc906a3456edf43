import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  DAYS_PER_MONTH,
  NO_FIGURES,
  computeRatings,
  customerCrmView,
  hasHistory,
  ordersPerMonth,
  punctualityOf,
  ratingInputOf,
  relationshipMonths,
  wholeDays,
  type CrmPolicy,
  type CustomerAccountFacts,
  type CustomerFigures,
} from '../../src/domain/crm/customer-view.ts';
import { DEFAULT_CREDIT_RISK_POLICY, newOrderRefusals, overdueDaysOf, type OverdueStanding } from '../../src/domain/crm/credit-risk.ts';
import { DEFAULT_RFM_THRESHOLDS } from '../../src/domain/crm/rfm.ts';

/**
 * The day every view is computed for. Days before it (UTC):
 *   5 → 2026-11-26, 10 → 2026-11-21, 12 → 2026-11-19, 26 → 2026-11-05, 30 → 2026-11-01,
 *   31 → 2026-10-31, 40 → 2026-10-22, 90 → 2026-09-02, 91 → 2026-09-01, 100 → 2026-08-23,
 *   487 → 2025-08-01 (16 months of 30.4375 days), 1461 → 2022-12-01 (48 months),
 *   1827 → 2021-11-30 (60.02 months), 1948 → 2021-08-01 (64 months).
 */
const TODAY = '2026-12-01';

const POLICY: CrmPolicy = { rfm: DEFAULT_RFM_THRESHOLDS, risk: DEFAULT_CREDIT_RISK_POLICY, clvHorizonMonths: 12, defaultPaymentTermsDays: 14 };

/** A customer with a 1000.00 limit, a zero balance, no own payment terms and no manual rating. */
const ACCOUNT: CustomerAccountFacts = { balance: '0.00', creditLimit: '1000.00', paymentTermsDays: null, rating: null };

function figures(overrides: Partial<CustomerFigures>): CustomerFigures {
  return { ...NO_FIGURES, ...overrides };
}

function view(account: Partial<CustomerAccountFacts>, given: Partial<CustomerFigures>, computed: 1 | 2 | 3 | 4 | 5 | null = null, policy: CrmPolicy = POLICY) {
  return customerCrmView({ ...ACCOUNT, ...account }, figures(given), computed, policy, TODAY);
}

const RATED_3 = 'rated 3 stars (green needs 5): improve punctual payment and order volume to raise the rating';

describe('NO_FIGURES and wholeDays', () => {
  it('NO_FIGURES is a customer without any order, payment or invoice', () => {
    expect(NO_FIGURES).toEqual({
      totalOrders: 0, paidOrders: 0, totalRevenue: '0.00', paidOrderTotal: '0.00', firstOrderAt: null, lastOrderAt: null, firstInvoiceAt: null, lastPaidOrderAt: null,
      checkoutPayments: 0, onTimeInvoices: 0, lateInvoices: 0, overdueInvoices: 0, overdueInvoiceAmount: '0.00', unpaidInvoiceAmount: '0.00',
      oldestUnpaidDueDate: null, debtSince: null, avgPaymentDays: null, maxOverdueDays: 0, lastPaymentAt: null,
    });
    expect(DAYS_PER_MONTH).toBe(30.4375);
  });

  it('wholeDays counts UTC calendar days, whatever the time of day', () => {
    expect(wholeDays('2026-11-01', TODAY)).toBe(30);
    expect(wholeDays('2026-11-30T23:59:59Z', '2026-12-01T00:00:01Z')).toBe(1);
    expect(wholeDays('2026-12-01T00:00:00Z', '2026-12-01T23:59:59Z')).toBe(0);
    expect(wholeDays('2026-12-02', TODAY)).toBe(-1);
    expect(wholeDays('2028-02-28', '2028-03-01')).toBe(2); // 2028 is a leap year: 29 February lies between
    expect(wholeDays('2027-02-28', '2027-03-01')).toBe(1);
  });
});

describe('punctualityOf', () => {
  it('has no rate without payments', () => {
    expect(punctualityOf(NO_FIGURES)).toEqual({ payments: 0, onTime: 0, late: 0, onTimeRate: null });
  });

  it('counts checkout payments as on time', () => {
    expect(punctualityOf(figures({ paidOrders: 4, checkoutPayments: 4 }))).toEqual({ payments: 4, onTime: 4, late: 0, onTimeRate: '100.00' });
  });

  it('adds invoices on time and late (paid late or unpaid past due), rate rounded down', () => {
    // 1 checkout + 1 on-time invoice = 2 on time; + 1 late = 3 payments; 2 / 3 = 66.666… → 66.66 (not 66.67)
    expect(punctualityOf(figures({ checkoutPayments: 1, onTimeInvoices: 1, lateInvoices: 1 }))).toEqual({ payments: 3, onTime: 2, late: 1, onTimeRate: '66.66' });
    // 1 / 3 = 33.333… → 33.33
    expect(punctualityOf(figures({ onTimeInvoices: 1, lateInvoices: 2 })).onTimeRate).toBe('33.33');
    expect(punctualityOf(figures({ lateInvoices: 2 }))).toEqual({ payments: 2, onTime: 0, late: 2, onTimeRate: '0.00' });
    // 7 / 8 = 87.5
    expect(punctualityOf(figures({ checkoutPayments: 5, onTimeInvoices: 2, lateInvoices: 1 })).onTimeRate).toBe('87.50');
  });

  it('does not count orders that are not paid, nor overdue invoices separately from late ones', () => {
    expect(punctualityOf(figures({ totalOrders: 9, overdueInvoices: 2, lateInvoices: 2 }))).toEqual({ payments: 2, onTime: 0, late: 2, onTimeRate: '0.00' });
  });
});

describe('relationshipMonths and ordersPerMonth', () => {
  it('are 0 months and 0 orders a month without orders', () => {
    expect(relationshipMonths(NO_FIGURES, TODAY)).toBe(0);
    expect(ordersPerMonth(NO_FIGURES, TODAY)).toBe(0);
  });

  it('count 30.4375 days a month since the first order', () => {
    expect(relationshipMonths(figures({ firstOrderAt: '2025-08-01T09:30:00Z' }), TODAY)).toBe(16); // 487 / 30.4375
    expect(relationshipMonths(figures({ firstOrderAt: '2022-12-01' }), TODAY)).toBe(48); // 1461 / 30.4375
    expect(ordersPerMonth(figures({ firstOrderAt: '2025-08-01', paidOrders: 10 }), TODAY)).toBe(0.625); // 10 / 16
  });

  it('start at the first invoice when it came before the first order, or when there is no order', () => {
    expect(relationshipMonths(figures({ firstOrderAt: '2026-11-21', firstInvoiceAt: '2025-08-01T00:00:00Z' }), TODAY)).toBe(16);
    expect(relationshipMonths(figures({ firstInvoiceAt: '2022-12-01T00:00:00Z' }), TODAY)).toBe(48);
    // The earlier of the two wins, whichever it is.
    expect(relationshipMonths(figures({ firstOrderAt: '2022-12-01', firstInvoiceAt: '2026-11-21T00:00:00Z' }), TODAY)).toBe(48);
  });

  it('count a first order in the future as 0 months', () => {
    expect(relationshipMonths(figures({ firstOrderAt: '2026-12-05' }), TODAY)).toBe(0);
  });

  it('divide by at least one month', () => {
    // 10 days = 0.33 months: 3 orders are 3 a month, not 9.13
    expect(ordersPerMonth(figures({ firstOrderAt: '2026-11-21', paidOrders: 3 }), TODAY)).toBe(3);
    expect(ordersPerMonth(figures({ firstOrderAt: TODAY, paidOrders: 2 }), TODAY)).toBe(2);
  });
});

describe('hasHistory', () => {
  it('is false without a paid order or an invoice that was paid or fell due', () => {
    expect(hasHistory(NO_FIGURES)).toBe(false);
    expect(hasHistory(figures({ totalOrders: 3, firstOrderAt: '2026-11-01', lastOrderAt: '2026-11-20' }))).toBe(false);
  });
  it('is true with a paid order, an on-time invoice or a late one', () => {
    expect(hasHistory(figures({ paidOrders: 1 }))).toBe(true);
    expect(hasHistory(figures({ onTimeInvoices: 1 }))).toBe(true);
    expect(hasHistory(figures({ lateInvoices: 1 }))).toBe(true);
    expect(hasHistory(figures({ checkoutPayments: 1 }))).toBe(true);
  });
});

describe('ratingInputOf', () => {
  it('maps the figures and the averages onto the rating input', () => {
    const input = ratingInputOf(
      figures({ totalRevenue: '1234.50', paidOrders: 8, firstOrderAt: '2025-08-01', checkoutPayments: 5, onTimeInvoices: 1, lateInvoices: 2 }),
      { averagePaid: '999.99', averageOrdersPerMonth: 0.75 },
      TODAY,
    );
    expect(input).toEqual({
      totalPaid: '1234.5',
      averagePaid: '999.99',
      onTimePayments: 6, // 5 checkout + 1 on-time invoice
      payments: 8, // + 2 late
      ordersPerPeriod: 0.5, // 8 orders / 16 months
      averageOrdersPerPeriod: 0.75,
      monthsSinceFirstOrder: 16,
    });
  });

  it('treats a negative revenue (refunds larger than payments) as 0', () => {
    expect(ratingInputOf(figures({ totalRevenue: '-40.00', paidOrders: 1 }), { averagePaid: '10', averageOrdersPerMonth: 1 }, TODAY).totalPaid).toBe('0');
  });
});

describe('computeRatings', () => {
  // A: 48 months, 36 paid orders (0.75 a month), 3000.00 paid, always on time.
  const A = figures({ firstOrderAt: '2022-12-01', paidOrders: 36, totalRevenue: '3000.00', checkoutPayments: 36 });
  // B: 64 months, 16 paid orders (0.25 a month), 1000.00 paid, 12 of 16 on time.
  const B = figures({ firstOrderAt: '2021-08-01', paidOrders: 16, totalRevenue: '1000.00', checkoutPayments: 12, lateInvoices: 4 });
  // D: first order today (0 months, counted as 1 for frequency), 2 paid orders, 2000.00 paid, on time.
  const D = figures({ firstOrderAt: TODAY, paidOrders: 2, totalRevenue: '2000.00', checkoutPayments: 2 });

  it('rates two customers against their averages', () => {
    // averages: paid (3000 + 1000) / 2 = 2000, frequency (0.75 + 0.25) / 2 = 0.5
    const ratings = computeRatings(new Map([['a', A], ['b', B]]), TODAY);
    // A: amount min(3000/2000, 1) = 100, on time 100, frequency min(0.75/0.5, 1) = 100, age 48/60 = 80
    //    30 + 40 + 20 + 8 = 98
    expect(ratings.get('a')).toEqual({ subScores: { orderAmount: '100.00', onTimePayment: '100.00', orderFrequency: '100.00', relationshipAge: '80.00' }, score: '98.00', stars: 5 });
    // B: amount 1000/2000 = 50, on time 12/16 = 75, frequency 0.25/0.5 = 50, age min(64/60, 1) = 100
    //    15 + 30 + 10 + 10 = 65
    expect(ratings.get('b')).toEqual({ subScores: { orderAmount: '50.00', onTimePayment: '75.00', orderFrequency: '50.00', relationshipAge: '100.00' }, score: '65.00', stars: 3 });
  });

  it('rates three customers; a customer without history gets null and does not count in the averages', () => {
    // averages over A, B, D: paid (3000 + 1000 + 2000) / 3 = 2000, frequency (0.75 + 0.25 + 2) / 3 = 1
    // (with C's zeros counted they would be 1500 and 0.75, and B would score 15+30+... differently)
    const ratings = computeRatings(new Map([['a', A], ['b', B], ['c', NO_FIGURES], ['d', D]]), TODAY);
    expect([...ratings.keys()]).toEqual(['a', 'b', 'c', 'd']);
    expect(ratings.get('c')).toBeNull();
    // A: 30 + 40 + 0.75 × 20 + 0.8 × 10 = 30 + 40 + 15 + 8 = 93
    expect(ratings.get('a')).toEqual({ subScores: { orderAmount: '100.00', onTimePayment: '100.00', orderFrequency: '75.00', relationshipAge: '80.00' }, score: '93.00', stars: 5 });
    // B: 0.5 × 30 + 0.75 × 40 + 0.25 × 20 + 10 = 15 + 30 + 5 + 10 = 60
    expect(ratings.get('b')).toEqual({ subScores: { orderAmount: '50.00', onTimePayment: '75.00', orderFrequency: '25.00', relationshipAge: '100.00' }, score: '60.00', stars: 3 });
    // D: 30 + 40 + min(2/1, 1) × 20 + 0 = 90: exactly the 5-star threshold
    expect(ratings.get('d')).toEqual({ subScores: { orderAmount: '100.00', onTimePayment: '100.00', orderFrequency: '100.00', relationshipAge: '0.00' }, score: '90.00', stars: 5 });
  });

  it('gives the same ratings whether or not customers without history are present', () => {
    const without = computeRatings(new Map([['a', A], ['b', B], ['d', D]]), TODAY);
    const withMore = computeRatings(new Map([['a', A], ['x', NO_FIGURES], ['b', B], ['y', figures({ totalOrders: 5 })], ['d', D]]), TODAY);
    for (const id of ['a', 'b', 'd']) expect(withMore.get(id)).toEqual(without.get(id));
    expect(withMore.get('x')).toBeNull();
    expect(withMore.get('y')).toBeNull();
  });

  it('counts a negative revenue as 0, for the customer and in the average', () => {
    // averages: paid (1500 + 300 + 0) / 3 = 600 (with -300 it would be 500, and B's amount 60)
    const high = figures({ firstOrderAt: TODAY, paidOrders: 1, totalRevenue: '1500.00', checkoutPayments: 1 });
    const mid = figures({ firstOrderAt: TODAY, paidOrders: 1, totalRevenue: '300.00', checkoutPayments: 1 });
    const refunded = figures({ firstOrderAt: TODAY, paidOrders: 1, totalRevenue: '-300.00', checkoutPayments: 1 });
    const ratings = computeRatings(new Map([['high', high], ['mid', mid], ['refunded', refunded]]), TODAY);
    // mid: amount 300/600 = 50 → 15; on time 40; frequency 1/1 = 100 → 20; age 0 → 75
    expect(ratings.get('mid')).toEqual({ subScores: { orderAmount: '50.00', onTimePayment: '100.00', orderFrequency: '100.00', relationshipAge: '0.00' }, score: '75.00', stars: 4 });
    // refunded: amount 0; 40 + 20 = 60
    expect(ratings.get('refunded')).toEqual({ subScores: { orderAmount: '0.00', onTimePayment: '100.00', orderFrequency: '100.00', relationshipAge: '0.00' }, score: '60.00', stars: 3 });
  });

  it('rates a customer with invoices only (no orders): no frequency, no age', () => {
    const invoicesOnly = figures({ totalRevenue: '500.00', onTimeInvoices: 1, lateInvoices: 1 });
    const ratings = computeRatings(new Map([['i', invoicesOnly], ['a', A]]), TODAY);
    // averages: paid (500 + 3000) / 2 = 1750, frequency (0 + 0.75) / 2 = 0.375
    // i: amount 500/1750 = 28.571428… → 28.57 shown; on time 1/2 = 50; frequency 0; age 0
    //    score 28.571428… × 0.3 + 50 × 0.4 = 8.5714… + 20 = 28.57 (truncated), 1 star
    expect(ratings.get('i')).toEqual({ subScores: { orderAmount: '28.57', onTimePayment: '50.00', orderFrequency: '0.00', relationshipAge: '0.00' }, score: '28.57', stars: 1 });
  });

  it('returns an empty map for no customers, and null for each customer when none has a history', () => {
    expect(computeRatings(new Map(), TODAY).size).toBe(0);
    expect([...computeRatings(new Map([['x', NO_FIGURES], ['y', figures({ totalOrders: 1 })]]), TODAY)]).toEqual([['x', null], ['y', null]]);
  });

  // Found by this suite: three customers with identical figures are each exactly at the average,
  // so each should earn the full frequency term ("ratio 1 = full points"). The average frequency
  // is summed in binary floating point (customer-view.ts:192-196), and (x + x + x) / 3 is not x
  // for x = 15 / (1827 / 30.4375) = 0.2498973727422003: the ratio comes out 0.9999999999999998,
  // the sub-score 99.99 and the score 89.99 instead of 90.00 — one star lost (4 instead of 5).
  it('gives customers exactly at the average the full frequency points (three identical customers)', () => {
    // 1827 days = 60.02 months (age 100); 15 paid orders; 15 of 20 payments on time (75 %).
    const same = figures({ firstOrderAt: '2021-11-30', paidOrders: 15, totalRevenue: '1000.00', checkoutPayments: 15, lateInvoices: 5 });
    const ratings = computeRatings(new Map([['x', same], ['y', same], ['z', same]]), TODAY);
    // 30 + 75 × 0.4 + 20 + 10 = 90 → 5 stars
    expect(ratings.get('x')).toEqual({ subScores: { orderAmount: '100.00', onTimePayment: '75.00', orderFrequency: '100.00', relationshipAge: '100.00' }, score: '90.00', stars: 5 });
  });
});

describe('customerCrmView: a customer without figures', () => {
  it('shows zeros, no rate, the default rating and the general segment', () => {
    expect(view({}, {})).toEqual({
      owed: '0.00',
      availableCredit: '1000.00',
      overdueDays: 0,
      isOverdue: false,
      overdueAmount: '0.00',
      rating: { stars: 3, source: 'default' },
      punctuality: { payments: 0, onTime: 0, late: 0, onTimeRate: null },
      risk: {
        level: 'yellow',
        reasons: [RATED_3],
        factors: [
          { factor: 'rating', level: 'yellow', message: RATED_3 },
          { factor: 'utilisation', level: 'green', message: 'credit utilisation is 0.00 % (owes 0.00 of a 1000.00 limit), below 30 %' },
          { factor: 'overdue', level: 'green', message: 'no late or overdue payments' },
        ],
        utilisationPercent: '0.00',
        refusesNewOrders: false,
      },
      rfm: { recency: 'low', frequency: 'low', monetary: 'low', segment: 'general', hasPaidOrders: false, daysSinceLastPaidOrder: null },
      daysSinceFirstOrder: null,
      orderFrequency: '0.00',
      avgOrderAmount: '0.00',
      customerLifetimeValue: '0.00',
      hasHistory: false,
    });
  });
});

describe('customerCrmView: punctuality', () => {
  it('a customer paying at checkout only is 100 % on time, with no late history', () => {
    const result = view({}, { totalOrders: 5, paidOrders: 4, checkoutPayments: 4, firstOrderAt: '2026-11-01', lastPaidOrderAt: '2026-11-26', paidOrderTotal: '400.00', totalRevenue: '400.00' });
    expect(result.punctuality).toEqual({ payments: 4, onTime: 4, late: 0, onTimeRate: '100.00' });
    expect(result.hasHistory).toBe(true);
    expect(result.risk.factors.find((f) => f.factor === 'overdue')).toEqual({ factor: 'overdue', level: 'green', message: 'no late or overdue payments' });
  });

  it('a late invoice and an unpaid one past due count as late, and the unpaid one is overdue', () => {
    const result = view({}, {
      paidOrders: 1, checkoutPayments: 1, onTimeInvoices: 1, lateInvoices: 2, overdueInvoices: 1, overdueInvoiceAmount: '120.50', oldestUnpaidDueDate: '2026-11-26',
      firstOrderAt: '2026-10-01', lastPaidOrderAt: '2026-10-01', paidOrderTotal: '50.00', totalRevenue: '300.00',
    });
    // 2 on time of 4 payments
    expect(result.punctuality).toEqual({ payments: 4, onTime: 2, late: 2, onTimeRate: '50.00' });
    expect(result.overdueDays).toBe(5); // due 2026-11-26, today 2026-12-01
    expect(result.isOverdue).toBe(true);
    expect(result.overdueAmount).toBe('120.50');
    expect(result.risk.level).toBe('orange');
    expect(result.risk.reasons).toEqual(['an invoice is 5 days overdue: chase the payment; after 30 days new orders are refused']);
  });

  it('the due day itself is not overdue; the day after is one day', () => {
    const onDueDay = view({}, { lateInvoices: 0, onTimeInvoices: 0, oldestUnpaidDueDate: TODAY, unpaidInvoiceAmount: '80.00' });
    expect([onDueDay.overdueDays, onDueDay.isOverdue]).toEqual([0, false]);
    const late = customerCrmView(ACCOUNT, figures({ lateInvoices: 1, overdueInvoices: 1, overdueInvoiceAmount: '80.00', oldestUnpaidDueDate: '2026-11-30' }), null, POLICY, '2026-12-01T23:59:59Z');
    expect([late.overdueDays, late.isOverdue, late.overdueAmount]).toEqual([1, true, '80.00']);
    const notYet = view({}, { oldestUnpaidDueDate: '2026-12-15' });
    expect([notYet.overdueDays, notYet.isOverdue]).toEqual([0, false]);
  });
});

describe('customerCrmView: a debt older than the payment terms', () => {
  const DEBT: Partial<CustomerAccountFacts> = { balance: '-200.00' };

  it('is overdue by N − T days once the debt is older than the terms', () => {
    // debt since 2026-10-22 (40 days), terms 30 → 10 days overdue; the whole debt is overdue
    const result = view({ ...DEBT, paymentTermsDays: 30 }, { debtSince: '2026-10-22T15:00:00Z' });
    expect([result.overdueDays, result.isOverdue, result.overdueAmount, result.owed]).toEqual([10, true, '200.00', '200.00']);
    expect(result.risk.level).toBe('orange');
    // The reason names the debt, not an invoice (there is none).
    expect(result.risk.factors.find((factor) => factor.factor === 'overdue')?.message).toBe('the balance has been owed 10 days past the payment terms: chase the payment; after 30 days new orders are refused');
  });

  it('uses the policy default when the customer has no terms of its own, and 0 as 0', () => {
    // terms null → default 14: 40 − 14 = 26
    expect(view(DEBT, { debtSince: '2026-10-22' }).overdueDays).toBe(26);
    // terms 0 are the customer's own (not the default): 40 − 0 = 40, red
    const zero = view({ ...DEBT, paymentTermsDays: 0 }, { debtSince: '2026-10-22' });
    expect(zero.overdueDays).toBe(40);
    expect(zero.risk.level).toBe('red');
  });

  it('is not overdue on the last day of the terms nor before', () => {
    const onLastDay = view({ ...DEBT, paymentTermsDays: 30 }, { debtSince: '2026-11-01' }); // 30 days, terms 30
    expect([onLastDay.overdueDays, onLastDay.isOverdue, onLastDay.overdueAmount]).toEqual([0, false, '0.00']);
    const recent = view({ ...DEBT, paymentTermsDays: 30 }, { debtSince: '2026-11-21' });
    expect([recent.overdueDays, recent.overdueAmount]).toEqual([0, '0.00']);
  });

  it('takes the larger of the invoice’s and the debt’s days, and adds the debt to the overdue invoices', () => {
    // invoice due 2026-11-19: 12 days; debt 40 − 30 = 10 days → 12
    const result = view({ ...DEBT, paymentTermsDays: 30 }, { debtSince: '2026-10-22', oldestUnpaidDueDate: '2026-11-19', lateInvoices: 1, overdueInvoices: 1, overdueInvoiceAmount: '35.25' });
    expect(result.overdueDays).toBe(12);
    expect(result.overdueAmount).toBe('235.25'); // 35.25 + 200.00
    // the debt is not yet past its terms: only the invoice counts
    const within = view({ ...DEBT, paymentTermsDays: 60 }, { debtSince: '2026-10-22', oldestUnpaidDueDate: '2026-11-19', lateInvoices: 1, overdueInvoices: 1, overdueInvoiceAmount: '35.25' });
    expect([within.overdueDays, within.overdueAmount]).toEqual([12, '35.25']);
  });
});

describe('customerCrmView: credit', () => {
  it('available credit is the limit less what is owed', () => {
    const result = view({ balance: '-250.50' }, {});
    expect([result.owed, result.availableCredit, result.risk.utilisationPercent]).toEqual(['250.50', '749.50', '25.05']);
  });

  it('a positive balance owes nothing and leaves the whole limit', () => {
    const result = view({ balance: '75.00' }, {});
    expect([result.owed, result.availableCredit]).toEqual(['0.00', '1000.00']);
  });

  it('owing more than the limit: available credit 0.00 and red', () => {
    const result = view({ balance: '-1200.00' }, {});
    expect([result.owed, result.availableCredit]).toEqual(['1200.00', '0.00']);
    expect(result.risk.level).toBe('red');
    expect(result.risk.refusesNewOrders).toBe(true);
    expect(result.risk.utilisationPercent).toBe('120.00');
    expect(result.risk.reasons).toEqual(['owes 1200.00, 200.00 over the credit limit of 1000.00: new orders are refused until the customer pays at least 200.00 or the limit is raised']);
    // Not overdue by itself: no debtSince was given.
    expect(result.overdueDays).toBe(0);
  });

  it('owing exactly the limit leaves 0.00 and is not red', () => {
    const result = view({ balance: '-1000.00' }, {});
    expect([result.availableCredit, result.risk.level, result.risk.refusesNewOrders]).toEqual(['0.00', 'orange', false]);
  });

  it('a limit of 0 with a balance ≥ 0: no credit, no utilisation, not red', () => {
    for (const balance of ['0.00', '75.00']) {
      const result = view({ balance, creditLimit: '0.00' }, {});
      expect([result.owed, result.availableCredit, result.risk.utilisationPercent, result.risk.level]).toEqual(['0.00', '0.00', null, 'yellow']);
    }
    const owing = view({ balance: '-0.01', creditLimit: '0.00' }, {});
    expect([owing.availableCredit, owing.risk.level]).toEqual(['0.00', 'red']);
  });
});

describe('customerCrmView: rating in force', () => {
  it('the manual rating wins over the computed one and drives the risk', () => {
    const result = view({ rating: 2 }, {}, 5);
    expect(result.rating).toEqual({ stars: 2, source: 'manual' });
    expect(result.risk.level).toBe('orange');
    expect(result.risk.reasons).toEqual(["rated 2 stars (1–2 stars is orange): review the customer's payment record before extending more credit"]);
  });
  it('the computed rating applies without a manual one', () => {
    const result = view({}, {}, 5);
    expect(result.rating).toEqual({ stars: 5, source: 'computed' });
    expect(result.risk.level).toBe('green');
  });
  it('3 stars by default', () => {
    expect(view({}, {}, null).rating).toEqual({ stars: 3, source: 'default' });
  });
});

describe('customerCrmView: RFM, frequency and lifetime value', () => {
  it('important_value: CLV adds 12 months at the monthly average', () => {
    // first order 16 months ago, 10 paid orders worth 5000.00, last paid 30 days ago (high),
    // revenue 6000.00 (with invoices)
    const result = view({}, {
      totalOrders: 11, paidOrders: 10, paidOrderTotal: '5000.00', totalRevenue: '6000.00', firstOrderAt: '2025-08-01T08:00:00Z', lastPaidOrderAt: '2026-11-01T12:00:00Z', checkoutPayments: 10,
    });
    expect(result.rfm).toEqual({ recency: 'high', frequency: 'high', monetary: 'high', segment: 'important_value', hasPaidOrders: true, daysSinceLastPaidOrder: 30 });
    expect(result.daysSinceFirstOrder).toBe(487);
    expect(result.orderFrequency).toBe('0.63'); // 10 / 16 = 0.625, half up
    expect(result.avgOrderAmount).toBe('500.00'); // the paid orders' 5000 / 10 (the invoices' 1000 are not orders)
    expect(result.customerLifetimeValue).toBe('10500.00'); // 6000 + 6000 / 16 × 12 = 6000 + 4500
  });

  it('a horizon of 0 months is the revenue alone', () => {
    const result = view({}, { paidOrders: 10, paidOrderTotal: '5000.00', totalRevenue: '6000.00', firstOrderAt: '2025-08-01', lastPaidOrderAt: '2026-11-01' }, null, { ...POLICY, clvHorizonMonths: 0 });
    expect(result.customerLifetimeValue).toBe('6000.00');
  });

  it('a relationship under a month counts as one month', () => {
    // first order 10 days ago: 5000 + 5000 / 1 × 12 = 65000 (not 5000 / 0.33 × 12)
    const result = view({}, { paidOrders: 10, paidOrderTotal: '5000.00', totalRevenue: '5000.00', firstOrderAt: '2026-11-21', lastPaidOrderAt: '2026-11-26' });
    expect(result.rfm.segment).toBe('important_value');
    expect(result.rfm.daysSinceLastPaidOrder).toBe(5);
    expect(result.orderFrequency).toBe('10.00');
    expect(result.customerLifetimeValue).toBe('65000.00');
    expect(result.daysSinceFirstOrder).toBe(10);
  });

  it('churn_warning (last paid order 91 days ago): CLV is the revenue only', () => {
    // 2 orders, 800.00, 200 days: without the churn rule it would be 800 + 800 / 6.57 × 12
    const result = view({}, { paidOrders: 2, paidOrderTotal: '800.00', totalRevenue: '800.00', firstOrderAt: '2026-05-15', lastPaidOrderAt: '2026-09-01' });
    expect(result.rfm).toEqual({ recency: 'low', frequency: 'low', monetary: 'low', segment: 'churn_warning', hasPaidOrders: true, daysSinceLastPaidOrder: 91 });
    expect(result.customerLifetimeValue).toBe('800.00');
    expect(result.avgOrderAmount).toBe('400.00');
  });

  it('90 days since the last paid order is still medium recency: general, with a future value', () => {
    // 200 days = 6.5708… months; 800 / 6.5708… × 12 = 1461.00 exactly (800 × 12 × 30.4375 / 200)
    const result = view({}, { paidOrders: 2, paidOrderTotal: '800.00', totalRevenue: '800.00', firstOrderAt: '2026-05-15', lastPaidOrderAt: '2026-09-02' });
    expect(result.rfm.recency).toBe('medium');
    expect(result.rfm.segment).toBe('general');
    expect(result.customerLifetimeValue).toBe('2261.00'); // 800 + 1461
    expect(result.orderFrequency).toBe('0.30'); // 2 / 6.5708 = 0.3043…
  });

  it('a negative revenue (refunds larger than payments) counts as 0', () => {
    const result = view({}, { paidOrders: 1, paidOrderTotal: '-50.00', totalRevenue: '-50.00', firstOrderAt: '2026-11-26', lastPaidOrderAt: '2026-11-26' });
    expect(result.customerLifetimeValue).toBe('0.00');
    expect(result.avgOrderAmount).toBe('0.00');
    expect(result.rfm).toEqual({ recency: 'high', frequency: 'low', monetary: 'low', segment: 'general', hasPaidOrders: true, daysSinceLastPaidOrder: 5 });
  });

  it('a paid order without a payment time has no recency and is scored as no paid order', () => {
    const result = view({}, { paidOrders: 3, paidOrderTotal: '300.00', totalRevenue: '300.00', firstOrderAt: '2026-11-01', lastPaidOrderAt: null });
    expect(result.rfm).toEqual({ recency: 'low', frequency: 'low', monetary: 'low', segment: 'general', hasPaidOrders: false, daysSinceLastPaidOrder: null });
  });

  it('a last payment time after today counts as 0 days', () => {
    expect(view({}, { paidOrders: 1, paidOrderTotal: '10.00', totalRevenue: '10.00', firstOrderAt: TODAY, lastPaidOrderAt: '2026-12-02T01:00:00Z' }).rfm.daysSinceLastPaidOrder).toBe(0);
  });

  it('average order amount rounds half up to cents', () => {
    // 100.00 / 3 = 33.333… → 33.33; 200.00 / 3 = 66.666… → 66.67
    expect(view({}, { paidOrders: 3, paidOrderTotal: '100.00', totalRevenue: '100.00', firstOrderAt: TODAY, lastPaidOrderAt: TODAY }).avgOrderAmount).toBe('33.33');
    expect(view({}, { paidOrders: 3, paidOrderTotal: '200.00', totalRevenue: '200.00', firstOrderAt: TODAY, lastPaidOrderAt: TODAY }).avgOrderAmount).toBe('66.67');
  });
});

describe('overdueDaysOf', () => {
  const none: OverdueStanding = { oldestUnpaidDueDate: null, debtSince: null, paymentTermsDays: 30 };

  it('is 0 when nothing is unpaid or owed', () => {
    expect(overdueDaysOf(none, TODAY)).toBe(0);
  });

  it('counts days past the oldest unpaid invoice’s due date, 0 on the due day and before', () => {
    expect(overdueDaysOf({ ...none, oldestUnpaidDueDate: '2026-10-31' }, TODAY)).toBe(31);
    expect(overdueDaysOf({ ...none, oldestUnpaidDueDate: '2026-11-01' }, '2026-12-01T23:59:59Z')).toBe(30);
    expect(overdueDaysOf({ ...none, oldestUnpaidDueDate: TODAY }, '2026-12-01T10:00:00Z')).toBe(0);
    expect(overdueDaysOf({ ...none, oldestUnpaidDueDate: '2026-12-20' }, TODAY)).toBe(0);
  });

  it('counts days past the terms since the balance went negative', () => {
    // 40 days of debt, terms 30 → 10
    expect(overdueDaysOf({ ...none, debtSince: '2026-10-22T23:30:00Z' }, TODAY)).toBe(10);
    expect(overdueDaysOf({ ...none, debtSince: '2026-10-22', paymentTermsDays: 40 }, TODAY)).toBe(0);
    expect(overdueDaysOf({ ...none, debtSince: '2026-10-22', paymentTermsDays: 0 }, TODAY)).toBe(40);
    expect(overdueDaysOf({ ...none, debtSince: '2026-11-21', paymentTermsDays: 30 }, TODAY)).toBe(0);
    // terms across a month end: 2026-01-31 + 30 = 2026-03-02, today 2026-03-05 → 3
    expect(overdueDaysOf({ ...none, debtSince: '2026-01-31T08:00:00Z' }, '2026-03-05')).toBe(3);
  });

  it('is the larger of the two', () => {
    expect(overdueDaysOf({ oldestUnpaidDueDate: '2026-11-19', debtSince: '2026-10-22', paymentTermsDays: 30 }, TODAY)).toBe(12); // 12 vs 10
    expect(overdueDaysOf({ oldestUnpaidDueDate: '2026-11-26', debtSince: '2026-10-22', paymentTermsDays: 0 }, TODAY)).toBe(40); // 5 vs 40
  });
});

describe('newOrderRefusals', () => {
  it('allows a customer up to its limit and up to 30 days overdue', () => {
    expect(newOrderRefusals({ balance: '-100.00', creditLimit: '100.00', overdueDays: 30 })).toEqual([]);
    expect(newOrderRefusals({ balance: '500.00', creditLimit: '0.00', overdueDays: 0 })).toEqual([]);
    expect(newOrderRefusals({ balance: '0.00', creditLimit: '0.00', overdueDays: 0 })).toEqual([]);
  });

  it('refuses owing more than the limit, naming the excess', () => {
    expect(newOrderRefusals({ balance: '-100.01', creditLimit: '100.00', overdueDays: 0 })).toEqual([
      'owes 100.01, 0.01 over the credit limit of 100.00: new orders are refused until the customer pays at least 0.01 or the limit is raised',
    ]);
    expect(newOrderRefusals({ balance: '-0.01', creditLimit: '0.00', overdueDays: 0 })).toEqual([
      'owes 0.01, 0.01 over the credit limit of 0.00: new orders are refused until the customer pays at least 0.01 or the limit is raised',
    ]);
  });

  it('refuses more than 30 days overdue', () => {
    expect(newOrderRefusals({ balance: '0.00', creditLimit: '100.00', overdueDays: 31 })).toEqual(['an invoice is 31 days overdue (more than 30): new orders are refused until it is paid']);
  });

  it('gives both reasons, the limit first', () => {
    expect(newOrderRefusals({ balance: '-150.00', creditLimit: '100.00', overdueDays: 45 })).toEqual([
      'owes 150.00, 50.00 over the credit limit of 100.00: new orders are refused until the customer pays at least 50.00 or the limit is raised',
      'an invoice is 45 days overdue (more than 30): new orders are refused until it is paid',
    ]);
  });

  it('refuses malformed inputs as invalid_argument', () => {
    expect(refusal(() => newOrderRefusals({ balance: '1e3', creditLimit: '100.00', overdueDays: 0 })).kind).toBe('invalid_argument');
    expect(refusal(() => newOrderRefusals({ balance: '0.00', creditLimit: '-1.00', overdueDays: 0 })).kind).toBe('invalid_argument');
    expect(refusal(() => newOrderRefusals({ balance: '0.00', creditLimit: '1.00', overdueDays: -1 })).kind).toBe('invalid_argument');
  });
});
