/**
 * Expectations shared by the unit tests of `decideAccount` (test/unit/account-decide*.test.ts):
 * the money invariants of a decision that writes the customer, and a decision that writes nothing.
 */
import { Decimal } from 'decimal.js';
import { expect } from 'vitest';
import type { AccountDecision, AccountView } from '../../src/domain/accounts/account.ts';

/**
 * The money invariants of a decision that writes the customer: the ledger adds up to the balance
 * change, each entry's balance_after is its balance_before plus its amount (and the next entry
 * starts where the previous ended), no entry is zero, no debit goes below -credit_limit, the
 * version goes up by exactly one, the customer's time moves (to `now`) only with its balance, and
 * nothing else of the customer changes.
 */
export function expectMoneyInvariants(state: AccountView, decision: AccountDecision, now: string): void {
  const after = decision.customer;
  expect(after).not.toBeNull();
  if (!after) return;
  const before = new Decimal(state.customer.balance);
  const total = decision.ledger.reduce((sum, entry) => sum.plus(entry.amount), new Decimal(0));
  expect(total.toFixed(2)).toBe(new Decimal(after.balance).minus(before).toFixed(2));
  let running = before;
  for (const entry of decision.ledger) {
    expect(new Decimal(entry.amount).isZero()).toBe(false);
    expect(entry.balanceBefore).toBe(running.toFixed(2));
    running = running.plus(entry.amount);
    expect(entry.balanceAfter).toBe(running.toFixed(2));
  }
  expect(after.balance).toBe(running.toFixed(2));
  expect(new Decimal(after.balance).greaterThanOrEqualTo(new Decimal(state.customer.creditLimit).negated()) || decision.ledger.every((entry) => new Decimal(entry.amount).isPositive())).toBe(true);
  expect(after.version).toBe(state.customer.version + 1);
  expect(after.updatedAt).toBe(decision.ledger.length > 0 ? now : state.customer.updatedAt);
  expect({ ...after, balance: state.customer.balance, version: state.customer.version, updatedAt: state.customer.updatedAt }).toEqual(state.customer);
}

/** A decision that writes nothing at all (not even the customer row). */
export function expectNoChange(state: AccountView, decision: AccountDecision): void {
  expect(decision.customer).toBeNull();
  expect(decision.orders).toEqual([]);
  expect(decision.payments).toEqual([]);
  expect(decision.invoices).toEqual([]);
  expect(decision.ledger).toEqual([]);
  expect(decision.instances).toEqual([]);
  expect(decision.events).toEqual([]);
  expect(decision.redemptions).toEqual([]);
  expect(decision.audit).toEqual({ action: 'none', targetType: 'customer', targetId: state.customer.id, details: {} });
}
