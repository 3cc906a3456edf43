/**
 * CustomerService's use cases with the CRM extension (README "Customer relationship
 * management"; crm-customer-controller.md 1.x, 3.x, 4.x): every change is one command to the
 * customer's actor — a profile change through {@link CustomerAccounts} (audited with the fields
 * before and after), a balance change as one ledger adjustment through {@link AccountCommands} —
 * and answers the customer with its CRM fields read afterwards. After a change that can move a
 * customer's risk level (activity, credit limit, rating, balance, a new customer), its stored scores
 * are refreshed so list filters see it at once; a failure there is logged, never answered (the
 * change itself is committed).
 */
import type { Logger } from 'pino';
import type { LedgerEntry } from '../../domain/ledger/ledger.ts';
import type { CustomerChanges, NewCustomerInput } from '../../domain/customers/customer.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { formatMoney, parseMoney } from '../../domain/money.ts';
import type { Origin } from '../../domain/origin.ts';
import type { Page } from '../../domain/pagination.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import { commandKey, type CustomerAccounts } from '../customers/customer-accounts.ts';
import type { CustomerDirectory, CustomerQuery, CustomerRecord } from './customer-directory.ts';
import type { CustomerScores } from './customer-scores.ts';

/** Longest description of a balance change's ledger entry. */
const MAX_DESCRIPTION_CHARS = 500;

/** See the file comment. Methods throw DomainError for refused requests. */
export class CustomerCrm {
  private readonly accounts: CustomerAccounts;
  private readonly money: AccountCommands;
  private readonly directory: CustomerDirectory;
  private readonly scores: CustomerScores;
  private readonly log: Pick<Logger, 'warn'>;

  constructor(deps: { accounts: CustomerAccounts; money: AccountCommands; directory: CustomerDirectory; scores: CustomerScores; log: Pick<Logger, 'warn'> }) {
    this.accounts = deps.accounts;
    this.money = deps.money;
    this.directory = deps.directory;
    this.scores = deps.scores;
    this.log = deps.log;
  }

  /**
   * CreateCustomer, with the CRM profile (a code is assigned when none is given).
   * @throws DomainError invalid_argument (a field), already_exists (name, e-mail or code taken)
   */
  async create(origin: Origin, input: NewCustomerInput, clientKey?: string | null): Promise<CustomerRecord> {
    const created = await this.accounts.create(origin, input, clientKey);
    await this.refreshScores(created.id);
    return this.directory.recordOf(created);
  }

  /**
   * UpdateCustomer: the fields given, CRM profile and manual rating included.
   * @throws DomainError invalid_argument, not_found, already_exists, failed_precondition (deleted)
   */
  async update(origin: Origin, customerId: string, changes: CustomerChanges, clientKey?: string | null): Promise<CustomerRecord> {
    const updated = await this.accounts.update(origin, customerId, changes, clientKey);
    await this.refreshScores(customerId);
    return this.directory.recordOf(updated);
  }

  /**
   * UpdateCustomerStatus (CRM 3.1): activates or deactivates; an inactive customer cannot order,
   * recharge or log in. @throws DomainError not_found, failed_precondition (deleted)
   */
  setActive(origin: Origin, customerId: string, isActive: boolean, clientKey?: string | null): Promise<CustomerRecord> {
    return this.update(origin, customerId, { isActive }, clientKey);
  }

  /**
   * UpdateCustomerRating (CRM 3.2): a manual rating of 1-5 stars with notes, kept until cleared;
   * `null` clears it (the computed rating applies again, notes cleared too unless given).
   * @throws DomainError invalid_argument, not_found, failed_precondition (deleted)
   */
  setRating(origin: Origin, customerId: string, rating: number | null, notes: string, clientKey?: string | null): Promise<CustomerRecord> {
    return this.update(origin, customerId, { rating, ratingNotes: notes }, clientKey);
  }

  /**
   * UpdateCreditLimit (CRM 4.1): a limit below what the customer owes is allowed (the customer is
   * then over its limit: credit risk red, refused new orders).
   * @throws DomainError invalid_argument (`credit_limit`), not_found, failed_precondition (deleted)
   */
  setCreditLimit(origin: Origin, customerId: string, creditLimit: string, clientKey?: string | null): Promise<CustomerRecord> {
    if (creditLimit.trim() === '') throw invalid('credit_limit is required');
    return this.update(origin, customerId, { creditLimit }, clientKey);
  }

  /**
   * UpdateCustomerBalance (CRM 4.2): brings the balance to `balance` with ONE ledger adjustment of
   * the difference, decided by the customer's actor on its live balance (so a payment landing at
   * the same moment is never overwritten); nothing is written when the balance is the target.
   * @param balance signed decimal string, at least -credit_limit
   * @returns the customer after it and the entry (undefined: nothing changed)
   * @throws DomainError invalid_argument (`balance`, `description`), not_found, failed_precondition
   *   (below the credit limit's floor, deleted customer)
   */
  async setBalance(origin: Origin, customerId: string, balance: string, description: string, clientKey?: string | null): Promise<{ record: CustomerRecord; entry?: LedgerEntry }> {
    const target = formatMoney(parseMoney('balance', balance.trim(), { allowNegative: true }));
    const text = description.trim();
    if (text === '') throw invalid('description is required: say why the balance is set (it is the ledger entry\'s description)');
    if (text.length > MAX_DESCRIPTION_CHARS) throw invalid(`description must be at most ${MAX_DESCRIPTION_CHARS} characters, got ${text.length}`);
    const outcome = await this.money.run(customerId, { type: 'set_balance', balance: target, description: text }, { origin, key: commandKey(clientKey) });
    await this.refreshScores(customerId);
    const record = await this.directory.recordOf(outcome.customer);
    return outcome.result.entry ? { record, entry: outcome.result.entry } : { record };
  }

  /**
   * DeleteCustomer: soft deletion of a customer with history (kept with its ledger, orders and
   * invoices; its users can no longer log in, its API keys are revoked), removal of one without.
   * @throws DomainError not_found, failed_precondition (balance not zero, unfinished orders,
   *   instances not terminated, unpaid invoices)
   */
  remove(origin: Origin, customerId: string, clientKey?: string | null): Promise<void> {
    return this.accounts.remove(origin, customerId, clientKey);
  }

  /** GetCustomer, with the CRM fields. @throws DomainError not_found */
  get(customerId: string): Promise<CustomerRecord> {
    return this.directory.get(customerId);
  }

  /** ListCustomers and the CRM's query endpoints: a page of customers matching `query`. */
  list(query: CustomerQuery, page: Page): Promise<{ records: CustomerRecord[]; total: number }> {
    return this.directory.list(query, page);
  }

  private async refreshScores(customerId: string): Promise<void> {
    try {
      await this.scores.refresh([customerId]);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      this.log.warn({ err: error, customerId }, 'customer scores could not be refreshed; the next scoring run will');
    }
  }
}
