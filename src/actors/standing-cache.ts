/**
 * A customer actor's copy of its customer's overdue standing (the oldest unpaid invoice, when the
 * balance went negative), which every CreateOrder is decided on (red customers are refused new
 * orders; src/domain/accounts/decide.ts). Loading it is a query on the money path's pool per
 * order; the copy saves it for {@link STANDING_TTL_MS}.
 *
 * Freshness: the actor forgets the copy after every command it commits that pays an invoice,
 * whenever it reloads, and when BillingService tells it that an invoice of the customer was issued
 * or cancelled (`invoices_changed`, after that commit); a debt's start is ignored while the balance
 * is not negative (the actor knows its balance exactly). Only a change made around NodeBill (psql)
 * waits for the TTL.
 */
import type { OverdueStanding } from '../domain/crm/credit-risk.ts';
import type { CustomerState } from '../domain/customers/customer.ts';

/** How long a loaded standing is reused (ms). */
export const STANDING_TTL_MS = 30_000;

/** See the file comment. */
export class StandingCache {
  private readonly load: (customer: CustomerState) => Promise<OverdueStanding>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private copy: { standing: OverdueStanding; loadedAt: number } | null = null;

  /**
   * @param load the store's query (AccountStore.loadStanding)
   * @param ttlMs how long a copy is reused (ms)
   * @param now the clock (ms)
   */
  constructor(load: (customer: CustomerState) => Promise<OverdueStanding>, ttlMs = STANDING_TTL_MS, now: () => number = Date.now) {
    this.load = load;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** The standing of `customer`: the copy while it is fresh, else loaded again. @throws the store's error */
  async get(customer: CustomerState): Promise<OverdueStanding> {
    const at = this.now();
    if (this.copy === null || at - this.copy.loadedAt >= this.ttlMs) this.copy = { standing: await this.load(customer), loadedAt: at };
    const { standing } = this.copy;
    // The payment terms are the customer's as they are now; a debt counts only while there is one.
    return { ...standing, debtSince: customer.balance.startsWith('-') ? standing.debtSince : null };
  }

  /** Drops the copy (an invoice was paid, or the actor reloads). */
  forget(): void {
    this.copy = null;
  }
}
