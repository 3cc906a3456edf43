import { describe, expect, it } from 'vitest';
import { expectMoneyInvariants as expectInvariants, expectNoChange } from '../support/decide-expectations.ts';
import { refusal } from '../support/refusal.ts';
import { accountNeeds, decideAccount, needsCreditStanding, type DecisionContext } from '../../src/domain/accounts/decide.ts';
import type { AccountCommand, AccountDecision, AccountView, NewOrder, ProvisionedInstance } from '../../src/domain/accounts/account.ts';
import type { OverdueStanding } from '../../src/domain/crm/credit-risk.ts';
import type { CustomerState } from '../../src/domain/customers/customer.ts';

// Helpers copied from account-decide.test.ts (kept in step with it).
const NOW = '2026-12-01T10:00:00Z';
const EARLIER = '2026-11-01T00:00:00Z';

/** A deterministic decision context: ids id-1, id-2, … in the order they are asked for. */
function context(): DecisionContext {
  let next = 0;
  return { now: NOW, newId: () => `id-${++next}` };
}

function customer(overrides: Partial<CustomerState> = {}): CustomerState {
  return {
    id: 'c1', name: 'ACME', contactPerson: '', email: 'a@acme.example', phone: '', company: '', notes: '', balance: '50.00', creditLimit: '0.00',
    isActive: true, canCreateApiKeys: false, customerCode: 'C000001', customerType: '', industry: '', address: '', paymentTermsDays: null, taxNumber: '',
    country: '', region: '', rating: null, ratingNotes: '', deletedAt: null, version: 7, createdAt: EARLIER, updatedAt: EARLIER, ...overrides,
  };
}

function view(overrides: Partial<AccountView> = {}): AccountView {
  return { customer: customer(), order: null, payment: null, orderPayments: [], invoice: null, ...overrides };
}

const newOrder: NewOrder = {
  id: 'o1', customerId: 'c1', productId: 'prod1', productName: 'VPS S', providerInterfaceId: 'prov1', serverSpec: { cpu_cores: 2, region: 'eu' },
  amount: '29.97', currency: 'USD', billingCycle: 'quarterly', gatewayInterfaceId: null, notes: 'first order',
};

/** The money invariants of `decision` (test/support/decide-expectations.ts) at this file's time. */
function expectMoneyInvariants(state: AccountView, decision: AccountDecision, now: string = NOW): void {
  expectInvariants(state, decision, now);
}

function decide(state: AccountView, command: AccountCommand): AccountDecision {
  return decideAccount(state, command, context());
}



/** Nothing unpaid, no debt, 14 days' terms. */
const CLEAN: OverdueStanding = { oldestUnpaidDueDate: null, debtSince: null, paymentTermsDays: 14 };

/** A due date of the day of NOW: not overdue yet. */
const TODAY_DUE = '2026-12-01';

const ORDER: AccountCommand = { type: 'create_order', order: newOrder, payFromBalance: false };
const RED_PREFIX = 'customer c1 is at credit risk level red and cannot place new orders: ';
const OVER_LIMIT_BY_CENT = 'owes 100.01, 0.01 over the credit limit of 100.00: new orders are refused until the customer pays at least 0.01 or the limit is raised';

/** Expects `decision` to be a pending order created for c1 (the red check let it through). */
function expectOrderCreated(state: AccountView, decision: AccountDecision): void {
  expect(decision.orders).toHaveLength(1);
  expect(decision.orders[0]).toMatchObject({ op: 'insert', row: { id: 'o1', customerId: 'c1', status: 'pending', version: 1, createdAt: NOW } });
  expect(decision.audit.action).toBe('order.create');
  expect(decision.ledger).toEqual([]);
  expectMoneyInvariants(state, decision);
}

describe('needsCreditStanding and accountNeeds', () => {
  it('only a new order is decided on the overdue standing', () => {
    const instance: ProvisionedInstance = { id: 'i1', providerInstanceId: 'srv-1', status: 'running', ipAddress: '10.0.0.1', serverSpec: {} };
    expect(needsCreditStanding(ORDER)).toBe(true);
    expect(needsCreditStanding({ type: 'create_order', order: newOrder, payFromBalance: true })).toBe(true);
    const others: AccountCommand[] = [
      { type: 'pay_order', orderId: 'o1' },
      { type: 'pay_invoice', invoiceId: 'inv1' },
      { type: 'settle_payment', paymentId: 'p', gatewayTxId: null, reportedAmount: null },
      { type: 'fail_payment', paymentId: 'p' },
      { type: 'refund_payment', paymentId: 'p', amount: '1', route: 'balance' },
      { type: 'adjust_balance', amount: '1', description: 'x' },
      { type: 'set_balance', balance: '1', description: 'x' },
      { type: 'update_order', orderId: 'o1', notes: 'n' },
      { type: 'delete_order', orderId: 'o1' },
      { type: 'cancel_unpaid_order', orderId: 'o1', createdBefore: NOW },
      { type: 'start_provisioning', orderId: 'o1' },
      { type: 'complete_provisioning', orderId: 'o1', instance },
      { type: 'fail_provisioning', orderId: 'o1', reason: 'r', routes: {} },
    ];
    for (const command of others) expect({ type: command.type, needs: needsCreditStanding(command) }).toEqual({ type: command.type, needs: false });
  });

  it('set_balance needs nothing loaded besides the customer', () => {
    expect(accountNeeds({ type: 'set_balance', balance: '10.00', description: 'x' })).toEqual({ orderId: null, paymentId: null, invoiceId: null, orderPayments: false });
  });
});

describe('create_order: a customer at credit risk level red is refused', () => {
  it('owing more than the credit limit', () => {
    const error = refusal(() => decide(view({ customer: customer({ balance: '-100.01', creditLimit: '100.00' }), standing: CLEAN }), ORDER));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBe('credit_risk_red');
    expect(error.message).toBe(`${RED_PREFIX}${OVER_LIMIT_BY_CENT}`);
  });

  it('owing exactly the limit is not red: the order is created', () => {
    const state = view({ customer: customer({ balance: '-100.00', creditLimit: '100.00' }), standing: CLEAN });
    expectOrderCreated(state, decide(state, ORDER));
  });

  it('an invoice 31 days overdue is refused; 30 days is not', () => {
    // NOW is 2026-12-01: due 2026-10-31 is 31 days ago, 2026-11-01 is 30.
    const overdue31 = view({ standing: { ...CLEAN, oldestUnpaidDueDate: '2026-10-31' } });
    const error = refusal(() => decide(overdue31, ORDER));
    expect([error.kind, error.reason]).toEqual(['failed_precondition', 'credit_risk_red']);
    expect(error.message).toBe(`${RED_PREFIX}an invoice is 31 days overdue (more than 30): new orders are refused until it is paid`);

    const overdue30 = view({ standing: { ...CLEAN, oldestUnpaidDueDate: '2026-11-01' } });
    expectOrderCreated(overdue30, decide(overdue30, ORDER));
  });

  it('a debt older than the payment terms + 30 days is refused', () => {
    // Debt since 2026-10-17 (45 days before NOW), terms 14 → due 2026-10-31, 31 days overdue.
    const old = view({ customer: customer({ balance: '-10.00', creditLimit: '100.00' }), standing: { ...CLEAN, debtSince: '2026-10-17T22:00:00Z', paymentTermsDays: 14 } });
    const error = refusal(() => decide(old, ORDER));
    expect([error.kind, error.reason]).toEqual(['failed_precondition', 'credit_risk_red']);
    expect(error.message).toBe(`${RED_PREFIX}the balance has been owed 31 days past the payment terms (more than 30): new orders are refused until it is paid`);

    // One day later into debt (since 2026-10-18): 44 − 14 = 30 days, allowed.
    const younger = view({ customer: customer({ balance: '-10.00', creditLimit: '100.00' }), standing: { ...CLEAN, debtSince: '2026-10-18T00:00:00Z', paymentTermsDays: 14 } });
    expectOrderCreated(younger, decide(younger, ORDER));

    // The same 45-day debt with 15 days' terms: 30 days, allowed.
    const longerTerms = view({ customer: customer({ balance: '-10.00', creditLimit: '100.00' }), standing: { ...CLEAN, debtSince: '2026-10-17', paymentTermsDays: 15 } });
    expectOrderCreated(longerTerms, decide(longerTerms, ORDER));
  });

  it('names both reasons, the limit first, joined by "; "', () => {
    const state = view({ customer: customer({ balance: '-100.01', creditLimit: '100.00' }), standing: { ...CLEAN, oldestUnpaidDueDate: '2026-10-01' } });
    // 2026-10-01 → 2026-12-01: 61 days
    expect(refusal(() => decide(state, ORDER)).message).toBe(`${RED_PREFIX}${OVER_LIMIT_BY_CENT}; an invoice is 61 days overdue (more than 30): new orders are refused until it is paid`);
  });

  it('is refused before paying from the balance (not insufficient_funds)', () => {
    const error = refusal(() => decide(view({ customer: customer({ balance: '-100.01', creditLimit: '100.00' }), standing: CLEAN }), { type: 'create_order', order: newOrder, payFromBalance: true }));
    expect(error.reason).toBe('credit_risk_red');
  });

  it('is not checked when no standing is given', () => {
    const state = view({ customer: customer({ balance: '-500.00', creditLimit: '100.00' }) });
    expectOrderCreated(state, decide(state, ORDER));
  });

  it('a clean standing lets a customer within its limit order', () => {
    const state = view({ customer: customer({ balance: '-99.99', creditLimit: '100.00' }), standing: { ...CLEAN, oldestUnpaidDueDate: TODAY_DUE, debtSince: '2026-11-17' } });
    expectOrderCreated(state, decide(state, ORDER));
  });

  it('an inactive customer is refused for inactivity first', () => {
    const state = view({ customer: customer({ isActive: false, balance: '-100.01', creditLimit: '100.00' }), standing: { ...CLEAN, oldestUnpaidDueDate: '2026-10-01' } });
    const error = refusal(() => decide(state, ORDER));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBeUndefined();
    expect(error.message).toBe('customer c1 is inactive and cannot order');
  });
});

describe('set_balance', () => {
  const set = (balance: string, description = 'correction after audit'): AccountCommand => ({ type: 'set_balance', balance, description });

  it('raises the balance with one adjustment of the difference', () => {
    const state = view();
    const decision = decide(state, set('120.00'));
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'adjustment', amount: '70.00', balanceBefore: '50.00', balanceAfter: '120.00', referenceId: null, description: 'correction after audit' },
    ]);
    expect(decision.audit).toEqual({
      action: 'balance.set', targetType: 'customer', targetId: 'c1',
      details: { target: '120.00', amount: '70.00', description: 'correction after audit', balance_before: '50.00' },
    });
    expect(decision.result).toEqual({ entry: decision.ledger[0] });
    expect(decision.customer?.balance).toBe('120.00');
    expect(decision.customer?.version).toBe(8);
    expect(decision.orders).toEqual([]);
    expect(decision.payments).toEqual([]);
    expect(decision.events).toEqual([]);
    expectMoneyInvariants(state, decision);
  });

  it('lowers the balance, into the credit limit down to exactly its floor', () => {
    const state = view({ customer: customer({ creditLimit: '20.00' }) });
    const decision = decide(state, set('-20.00'));
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'adjustment', amount: '-70.00', balanceBefore: '50.00', balanceAfter: '-20.00', referenceId: null, description: 'correction after audit' },
    ]);
    expect(decision.audit.details).toEqual({ target: '-20.00', amount: '-70.00', description: 'correction after audit', balance_before: '50.00' });
    expectMoneyInvariants(state, decision);
  });

  it('sets a negative balance to 0.00 and a balance with a limit of 0 to 0.00', () => {
    const owing = view({ customer: customer({ balance: '-35.55', creditLimit: '100.00' }) });
    const paidUp = decide(owing, set('0'));
    expect(paidUp.ledger).toEqual([{ id: 'id-1', type: 'adjustment', amount: '35.55', balanceBefore: '-35.55', balanceAfter: '0.00', referenceId: null, description: 'correction after audit' }]);
    expect(paidUp.audit.details).toMatchObject({ target: '0.00', amount: '35.55', balance_before: '-35.55' });
    expectMoneyInvariants(owing, paidUp);
    const prepaid = view();
    const emptied = decide(prepaid, set('0.00'));
    expect(emptied.ledger[0]).toMatchObject({ amount: '-50.00', balanceBefore: '50.00', balanceAfter: '0.00' });
    expectMoneyInvariants(prepaid, emptied);
  });

  it('changes nothing when the balance is the target already', () => {
    for (const target of ['50.00', '50', '50.0']) {
      const state = view();
      const decision = decide(state, set(target));
      expectNoChange(state, decision);
      expect(decision.result).toEqual({});
    }
  });

  it('refuses a target below −credit_limit', () => {
    const error = refusal(() => decide(view({ customer: customer({ creditLimit: '20.00' }) }), set('-20.01')));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBeUndefined();
    expect(error.message).toBe('a balance of -20.01 is below what the credit limit of 20.00 allows (-20.00); raise the credit limit first');
    expect(refusal(() => decide(view(), set('-0.01'))).message).toBe('a balance of -0.01 is below what the credit limit of 0.00 allows (0.00); raise the credit limit first');
  });

  it('allows a credit toward the floor when the balance is below it already (a lowered limit), like the ledger does', () => {
    // balance -100.00, limit lowered to 50.00 (floor -50.00): -60.00 is a credit of 40.00 and is taken; -120.00 (a debit) is not
    const below = view({ customer: customer({ balance: '-100.00', creditLimit: '50.00' }) });
    const decision = decide(below, set('-60.00'));
    expect(decision.ledger.map((entry) => [entry.amount, entry.balanceBefore, entry.balanceAfter])).toEqual([['40.00', '-100.00', '-60.00']]);
    expect(refusal(() => decide(below, set('-120.00'))).message).toBe('a balance of -120.00 is below what the credit limit of 50.00 allows (-50.00); raise the credit limit first');
  });

  it('works for an inactive customer', () => {
    const state = view({ customer: customer({ isActive: false }) });
    expect(decide(state, set('10.00')).customer?.balance).toBe('10.00');
  });

  it('refuses a deleted customer, even when the balance is the target already', () => {
    for (const target of ['10.00', '50.00']) {
      const error = refusal(() => decide(view({ customer: customer({ deletedAt: EARLIER, isActive: false }) }), set(target)));
      expect(error.kind).toBe('failed_precondition');
      expect(error.message).toBe('customer c1 was deleted; its balance cannot be changed');
    }
  });
});

describe('adjust_balance on a deleted customer', () => {
  it('is refused', () => {
    for (const amount of ['5.00', '-5.00']) {
      const error = refusal(() => decide(view({ customer: customer({ deletedAt: EARLIER, isActive: false }) }), { type: 'adjust_balance', amount, description: 'goodwill' }));
      expect(error.kind).toBe('failed_precondition');
      expect(error.message).toBe('customer c1 was deleted; its balance cannot be changed');
    }
  });

  it('still works for a customer that exists, with the balance after in the audit', () => {
    const state = view();
    const decision = decide(state, { type: 'adjust_balance', amount: '-5.00', description: 'fee' });
    expect(decision.ledger).toEqual([{ id: 'id-1', type: 'adjustment', amount: '-5.00', balanceBefore: '50.00', balanceAfter: '45.00', referenceId: null, description: 'fee' }]);
    expect(decision.audit).toEqual({ action: 'balance.adjust', targetType: 'customer', targetId: 'c1', details: { amount: '-5.00', description: 'fee', balance_after: '45.00' } });
    expectMoneyInvariants(state, decision);
  });
});
