/**
 * The customer ledger (`balance_transactions`): every change of a balance is one entry with its
 * signed amount and the balance before and after, so that for every customer the sum of its
 * entries equals its balance minus its opening balance (issue 8's invariant). A debit may take the
 * balance down to `-credit_limit`, never below. Pure.
 */
import { Decimal } from 'decimal.js';
import { DomainError } from '../errors.ts';
import { formatMoney } from '../money.ts';

/** The ledger entry types of the spec (BalanceTransactionInfo.transaction_type). */
export const LEDGER_TYPES = ['recharge', 'payment', 'refund', 'adjustment'] as const;
/** One of {@link LEDGER_TYPES}. */
export type LedgerType = (typeof LEDGER_TYPES)[number];

/** One ledger entry as written. Amounts are decimal strings with two places. */
export interface LedgerEntry {
  id: string;
  type: LedgerType;
  /** Signed: + credit, - debit; never zero. */
  amount: string;
  balanceBefore: string;
  balanceAfter: string;
  /** The order, payment or admin action behind it. */
  referenceId: string | null;
  description: string;
}

/**
 * Posts `amount` (signed decimal string) to a balance of `balance` with `creditLimit`.
 * @returns the entry (with `id` and the other fields given) and the new balance
 * @throws DomainError failed_precondition (reason `insufficient_funds`) when a debit would take the
 *   balance below `-creditLimit`; invalid_argument for a zero amount
 */
export function post(
  account: { balance: string; creditLimit: string },
  entry: { id: string; type: LedgerType; amount: string; referenceId: string | null; description: string },
): { entry: LedgerEntry; balance: string } {
  const amount = new Decimal(entry.amount);
  if (amount.isZero()) throw new DomainError('invalid_argument', 'a ledger entry needs a non-zero amount');
  const before = new Decimal(account.balance);
  const after = before.plus(amount);
  const floor = new Decimal(account.creditLimit).negated();
  if (amount.isNegative() && after.lessThan(floor)) {
    const available = before.minus(floor);
    throw new DomainError(
      'failed_precondition',
      `insufficient funds: ${formatMoney(amount.negated())} is needed but balance ${formatMoney(before)} plus credit limit ${formatMoney(account.creditLimit)} leaves ${formatMoney(available)}`,
      'insufficient_funds',
    );
  }
  const balance = formatMoney(after);
  return { entry: { ...entry, amount: formatMoney(amount), balanceBefore: formatMoney(before), balanceAfter: balance }, balance };
}
