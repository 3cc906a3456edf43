import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  DEFAULT_CREDIT_RISK_POLICY,
  GREEN_UTILISATION_BELOW,
  ORANGE_UTILISATION_ABOVE,
  RED_OVERDUE_DAYS,
  RISK_LEVELS,
  assessCreditRisk,
  refusesNewOrders,
  type CreditRiskInput,
  type RiskFactor,
} from '../../src/domain/crm/credit-risk.ts';
import type { Stars } from '../../src/domain/crm/rating.ts';

/** A green customer: 5 stars, owes nothing against a 1000.00 limit, always on time. */
const GOOD: CreditRiskInput = { stars: 5, balance: '0.00', creditLimit: '1000.00', latePayments: 0, overdueDays: 0 };

function factor(input: CreditRiskInput, name: RiskFactor['factor']): RiskFactor | undefined {
  return assessCreditRisk(input).factors.find((f) => f.factor === name);
}

function invalidMessage(run: () => unknown): string {
  const error = refusal(run);
  expect(error.kind).toBe('invalid_argument');
  return error.message;
}

describe('constants', () => {
  it('are the document’s thresholds', () => {
    expect(RISK_LEVELS).toEqual(['green', 'yellow', 'orange', 'red']);
    expect([GREEN_UTILISATION_BELOW, ORANGE_UTILISATION_ABOVE, RED_OVERDUE_DAYS]).toEqual([30, 70, 30]);
    expect(DEFAULT_CREDIT_RISK_POLICY).toEqual({ frequentLatePayments: 3 });
  });
});

describe('green', () => {
  it('5 stars, utilisation below 30 %, no late payments: green, every factor a reason, orders allowed', () => {
    const risk = assessCreditRisk(GOOD);
    expect(risk.level).toBe('green');
    expect(risk.refusesNewOrders).toBe(false);
    expect(risk.utilisationPercent).toBe('0.00');
    expect(risk.factors.map((f) => [f.factor, f.level])).toEqual([['utilisation', 'green'], ['overdue', 'green'], ['rating', 'green']]);
    expect(risk.reasons).toEqual([
      'credit utilisation is 0.00 % (owes 0.00 of a 1000.00 limit), below 30 %',
      'no late or overdue payments',
      'rated 5 stars',
    ]);
  });
  it('a positive (prepaid) balance owes nothing', () => {
    const risk = assessCreditRisk({ ...GOOD, balance: '250.00' });
    expect(risk.level).toBe('green');
    expect(risk.utilisationPercent).toBe('0.00');
  });
});

describe('utilisation boundaries (limit 1000.00)', () => {
  const cases: [string, string, RiskFactor['level'], string][] = [
    ['-299.99', '29.99', 'green', 'green'],
    ['-300.00', '30.00', 'yellow', 'yellow'],
    ['-700.00', '70.00', 'yellow', 'yellow'],
    ['-700.01', '70.01', 'orange', 'orange'], // 70.001 % shown rounded up: above 70
    ['-1000.00', '100.00', 'orange', 'orange'],
    ['-1000.01', '100.01', 'red', 'red'], // 100.001 %: shown above 100
  ];
  for (const [balance, percent, factorLevel, level] of cases) {
    it(`balance ${balance}: ${percent} %, ${level}`, () => {
      const risk = assessCreditRisk({ ...GOOD, balance });
      expect(risk.utilisationPercent).toBe(percent);
      expect(risk.factors[0].level).toBe(factorLevel);
      expect(risk.level).toBe(level);
    });
  }
  it('the shown percentage never crosses a threshold the exact one has not', () => {
    const green = assessCreditRisk({ ...GOOD, balance: '-2999.99', creditLimit: '10000.00' }); // 29.9999 %
    expect([green.utilisationPercent, green.level]).toEqual(['29.99', 'green']);
    const yellow = assessCreditRisk({ ...GOOD, balance: '-1.00', creditLimit: '3.00' }); // 33.333… %
    expect([yellow.utilisationPercent, yellow.level]).toEqual(['33.33', 'yellow']);
    const twoThirds = assessCreditRisk({ ...GOOD, balance: '-2.00', creditLimit: '3.00' }); // 66.666… % is yellow
    expect([twoThirds.utilisationPercent, twoThirds.level]).toEqual(['66.66', 'yellow']);
    const above = assessCreditRisk({ ...GOOD, balance: '-7000.01', creditLimit: '10000.00' }); // 70.0001 %
    expect([above.utilisationPercent, above.level]).toEqual(['70.01', 'orange']);
  });
  it('yellow and orange tell what to do', () => {
    expect(factor({ ...GOOD, balance: '-500.00' }, 'utilisation')?.message).toBe(
      'credit utilisation is 50.00 % (owes 500.00 of a 1000.00 limit), 30–70 %: collect outstanding payments to bring it below 30 %',
    );
    expect(factor({ ...GOOD, balance: '-800.00' }, 'utilisation')?.message).toBe(
      'credit utilisation is 80.00 % (owes 800.00 of a 1000.00 limit), more than 70 %: collect payment or raise the credit limit before the customer reaches it',
    );
  });
});

describe('over the limit: red', () => {
  it('owing more than the limit is red, refuses orders and says how much to pay', () => {
    const risk = assessCreditRisk({ ...GOOD, balance: '-1200.00' });
    expect(risk.level).toBe('red');
    expect(risk.refusesNewOrders).toBe(true);
    expect(risk.factors[0].factor).toBe('limit');
    expect(risk.reasons).toEqual([
      'owes 1200.00, 200.00 over the credit limit of 1000.00: new orders are refused until the customer pays at least 200.00 or the limit is raised',
    ]);
    expect(risk.utilisationPercent).toBe('120.00');
  });
  it('a limit of 0: owing nothing is green with no utilisation, owing a cent is red', () => {
    const none = assessCreditRisk({ ...GOOD, creditLimit: '0.00' });
    expect(none.level).toBe('green');
    expect(none.utilisationPercent).toBeNull();
    const cent = assessCreditRisk({ ...GOOD, creditLimit: '0', balance: '-0.01' });
    expect(cent.level).toBe('red');
    expect(cent.utilisationPercent).toBeNull();
    expect(cent.reasons[0]).toMatch(/^owes 0\.01, 0\.01 over the credit limit of 0\.00/);
  });
  it('compares exact decimals, never floats', () => {
    expect(assessCreditRisk({ ...GOOD, creditLimit: '9007199254740993.00', balance: '-9007199254740993.01' }).level).toBe('red');
    expect(assessCreditRisk({ ...GOOD, creditLimit: '9007199254740993.00', balance: '-9007199254740993.00' }).level).toBe('orange');
  });
});

describe('rating', () => {
  const cases: [Stars, RiskFactor['level']][] = [[5, 'green'], [4, 'yellow'], [3, 'yellow'], [2, 'orange'], [1, 'orange']];
  for (const [stars, level] of cases) {
    it(`${stars} stars → ${level}`, () => {
      expect(assessCreditRisk({ ...GOOD, stars }).level).toBe(level);
      expect(factor({ ...GOOD, stars }, 'rating')?.level).toBe(level);
    });
  }
  it('messages', () => {
    expect(factor({ ...GOOD, stars: 4 }, 'rating')?.message).toBe('rated 4 stars (green needs 5): improve punctual payment and order volume to raise the rating');
    expect(factor({ ...GOOD, stars: 1 }, 'rating')?.message).toBe("rated 1 star (1–2 stars is orange): review the customer's payment record before extending more credit");
  });
});

describe('overdue history', () => {
  const cases: [number, number, RiskFactor['level']][] = [
    [0, 0, 'green'], [1, 0, 'yellow'], [2, 0, 'yellow'], [3, 0, 'orange'], [10, 0, 'orange'],
    [0, 1, 'orange'], [0, 30, 'orange'], [0, 31, 'red'], [5, 31, 'red'],
  ];
  for (const [latePayments, overdueDays, level] of cases) {
    it(`${latePayments} late payments, ${overdueDays} days overdue → ${level}`, () => {
      const risk = assessCreditRisk({ ...GOOD, latePayments, overdueDays });
      expect(risk.level).toBe(level);
      expect(risk.refusesNewOrders).toBe(level === 'red');
    });
  }
  it('the frequent threshold is configurable', () => {
    const policy = { frequentLatePayments: 5 };
    expect(assessCreditRisk({ ...GOOD, latePayments: 4 }, policy).level).toBe('yellow');
    expect(assessCreditRisk({ ...GOOD, latePayments: 5 }, policy).level).toBe('orange');
    expect(assessCreditRisk({ ...GOOD, latePayments: 1 }, { frequentLatePayments: 1 }).level).toBe('orange');
  });
  it('messages say what to do', () => {
    expect(factor({ ...GOOD, latePayments: 1 }, 'overdue')?.message).toBe('1 late payment in the history, since repaid: remind the customer of the due dates');
    expect(factor({ ...GOOD, latePayments: 4 }, 'overdue')?.message).toBe('4 late payments in the history (3 or more is frequent): ask for payment on time or shorten the payment terms');
    expect(factor({ ...GOOD, overdueDays: 1 }, 'overdue')?.message).toBe('an invoice is 1 day overdue: chase the payment; after 30 days new orders are refused');
    expect(factor({ ...GOOD, overdueDays: 31 }, 'overdue')?.message).toBe('an invoice is 31 days overdue (more than 30): new orders are refused until it is paid');
  });
});

describe('the worst factor decides; reasons are the factors at that level', () => {
  it('4 stars and 80 % utilisation: orange, for the utilisation only', () => {
    const risk = assessCreditRisk({ ...GOOD, stars: 4, balance: '-800.00' });
    expect(risk.level).toBe('orange');
    expect(risk.reasons).toHaveLength(1);
    expect(risk.reasons[0]).toMatch(/^credit utilisation is 80\.00 %/);
    expect(risk.factors.map((f) => f.level)).toEqual(['orange', 'yellow', 'green']);
  });
  it('over the limit and 45 days overdue: red, both reasons, most severe first', () => {
    const risk = assessCreditRisk({ stars: 2, balance: '-1500.00', creditLimit: '1000.00', latePayments: 6, overdueDays: 45 });
    expect(risk.level).toBe('red');
    expect(risk.reasons).toHaveLength(2);
    expect(risk.reasons[0]).toMatch(/^owes 1500\.00, 500\.00 over/);
    expect(risk.reasons[1]).toMatch(/^an invoice is 45 days overdue/);
    expect(risk.factors.map((f) => [f.factor, f.level])).toEqual([['limit', 'red'], ['overdue', 'red'], ['rating', 'orange']]);
  });
  it('yellow on every factor gives three reasons', () => {
    const risk = assessCreditRisk({ stars: 3, balance: '-400.00', creditLimit: '1000.00', latePayments: 1, overdueDays: 0 });
    expect(risk.level).toBe('yellow');
    expect(risk.reasons).toHaveLength(3);
  });
});

describe('refusesNewOrders', () => {
  it('is true for red only', () => {
    expect(RISK_LEVELS.map((level) => [level, refusesNewOrders(level)])).toEqual([['green', false], ['yellow', false], ['orange', false], ['red', true]]);
  });
});

describe('refused inputs', () => {
  it('stars outside 1–5', () => {
    for (const stars of [0, 6, 2.5]) expect(invalidMessage(() => assessCreditRisk({ ...GOOD, stars: stars as Stars }))).toMatch(/^stars must be/);
  });
  it('malformed money', () => {
    for (const bad of ['', '1e3', '--1', 'NaN', ' 1']) {
      expect(invalidMessage(() => assessCreditRisk({ ...GOOD, balance: bad })), bad).toMatch(/^balance must be a decimal string/);
      expect(invalidMessage(() => assessCreditRisk({ ...GOOD, creditLimit: bad })), bad).toMatch(/^creditLimit must be a decimal string/);
    }
    expect(invalidMessage(() => assessCreditRisk({ ...GOOD, creditLimit: '-1.00' }))).toMatch(/^creditLimit must not be negative/);
  });
  it('counts that are not whole numbers ≥ 0, and a policy below 1', () => {
    expect(invalidMessage(() => assessCreditRisk({ ...GOOD, latePayments: -1 }))).toMatch(/^latePayments must be a whole number/);
    expect(invalidMessage(() => assessCreditRisk({ ...GOOD, overdueDays: 1.5 }))).toMatch(/^overdueDays must be a whole number/);
    expect(invalidMessage(() => assessCreditRisk({ ...GOOD, overdueDays: Number.NaN }))).toMatch(/^overdueDays must be a whole number/);
    expect(invalidMessage(() => assessCreditRisk(GOOD, { frequentLatePayments: 0 }))).toMatch(/^frequentLatePayments must be at least 1/);
    expect(invalidMessage(() => assessCreditRisk(GOOD, { frequentLatePayments: 2.5 }))).toMatch(/^frequentLatePayments must be a whole number/);
  });
});
