/**
 * Renewal invoices (issue 11, README "Recurring billing"): the invoice of a service's next billing
 * period, issued `[billing] renewal_invoice_days_before` days before the current period ends and
 * due when it ends. One transaction writes the invoice (issued at once: its number taken, the
 * `invoice_issued` event), its line and its `service_renewals` row; the row's unique key
 * `(order_id, period_start)` makes it one per order and period — a second issuer (the job running
 * twice, or on two workers) finds the row taken, rolls back and gives its invoice number back, so
 * the year's numbers keep no gap.
 *
 * Amounts: the renewal price (`orders.renewal_amount`, else `amount`) as the catalog states it,
 * taxed by the customer's tax rule (tax-inclusive or exclusive per `[billing] prices_include_tax`,
 * half-up per line); money as decimal strings.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { addDays, utcDate } from '../../domain/billing/invoice.ts';
import { renewalDueDate } from '../../domain/billing/dunning.ts';
import { promotionLineText } from '../../domain/billing/promotion.ts';
import { nextPeriod, type ServicePeriod } from '../../domain/billing/service-period.ts';
import type { TaxedLine } from '../../domain/billing/tax.ts';
import type { BillingCycle } from '../../domain/catalog/prices.ts';
import { newId } from '../../lib/ids.ts';
import { addInvoiceEvent, INVOICE_EVENTS, sql, takeInvoiceNumber } from './invoices.ts';

/** The tax side (src/application/billing/tax-rules.ts TaxRules.taxFor). */
export interface TaxQuotes {
  taxFor(customerId: string, price: string, options: { pricesIncludeTax: boolean }): Promise<TaxedLine & { ruleName: string | null }>;
}

/** A service whose renewal is due: what the invoice needs of its order and customer. */
export interface RenewalCandidate {
  orderId: string;
  customerId: string;
  productName: string;
  billingCycle: BillingCycle;
  /** The current period (RFC3339, end exclusive). */
  period: ServicePeriod;
  anchorDay: number;
  /** One renewal's catalog price (decimal string). */
  price: string;
  /** The promotion code whose every-period discount is in `price`, with that discount; null for none. */
  promotion: { code: string; discount: string } | null;
  email: string;
}

/** A renewal invoice issued by {@link RenewalInvoices.issue}. */
export interface IssuedRenewal {
  invoiceId: string;
  invoiceNumber: string;
  /** The renewed period. */
  period: ServicePeriod;
  /** The invoice's total (decimal string). */
  total: string;
}

/** Thrown inside the transaction when another issuer got the (order, period) first: rolls it back. */
class RenewedAlready extends Error {}

/** See the file comment. */
export class RenewalInvoices {
  private readonly deps: { orm: MikroORM; taxes: TaxQuotes; pricesIncludeTax: boolean };

  constructor(deps: RenewalInvoices['deps']) {
    this.deps = deps;
  }

  /**
   * Issues the renewal of `candidate`'s next period at `now`, or does nothing when it exists.
   * @returns the invoice issued by this call, or null when the period was renewed already
   * @throws DomainError not_found (the customer vanished), failed_precondition (the year's invoice numbers are used up)
   */
  async issue(candidate: RenewalCandidate, now: Date): Promise<IssuedRenewal | null> {
    const period = nextPeriod(candidate.period, candidate.billingCycle, candidate.anchorDay);
    const taxed = await this.deps.taxes.taxFor(candidate.customerId, candidate.price, { pricesIncludeTax: this.deps.pricesIncludeTax });
    const first = utcDate(new Date(period.start));
    const last = addDays(utcDate(new Date(period.end)), -1);
    const dueDate = renewalDueDate(candidate.period.end);
    const parts = [`${candidate.productName || 'Service'} (${candidate.billingCycle}) ${first} – ${last}`];
    if (candidate.promotion) parts.push(promotionLineText(candidate.promotion.code, candidate.promotion.discount));
    if (taxed.exempt) parts.push('tax: reverse charge');
    else if (taxed.ruleName !== null) parts.push(`${taxed.ruleName} ${taxed.rate}%`);
    const description = parts.join(' · ').slice(0, 500);
    try {
      return await this.deps.orm.em.fork().transactional(async (tx) => {
        const invoiceId = newId();
        const invoiceNumber = await takeInvoiceNumber(tx, now.getUTCFullYear());
        await sql(tx, `
          insert into invoices (id, invoice_number, customer_id, billing_period_start, billing_period_end, amount, tax_amount, total_amount,
                                status, source, issued_at, due_date, notes, created_at, updated_at)
          values (?, ?, ?, ?, ?, ?, ?, ?, 'issued', 'renewal', ?, ?, ?, ?, ?)`,
        [invoiceId, invoiceNumber, candidate.customerId, first, last, taxed.net, taxed.tax, taxed.gross, now, dueDate,
          `renewal of order ${candidate.orderId}`, now, now]);
        const renewal = await sql<{ id: string }>(tx, `
          insert into service_renewals (id, customer_id, order_id, period_start, period_end, invoice_id, amount)
          values (?, ?, ?, ?, ?, ?, ?)
          on conflict (customer_id, order_id, period_start) do nothing returning id`,
        [newId(), candidate.customerId, candidate.orderId, period.start, period.end, invoiceId, taxed.gross]);
        if (renewal.length === 0) throw new RenewedAlready();
        await sql(tx, `
          insert into invoice_items (id, invoice_id, customer_id, order_id, description, quantity, unit_price, amount, position)
          values (?, ?, ?, ?, ?, 1, ?, ?, 0)`, [newId(), invoiceId, candidate.customerId, candidate.orderId, description, taxed.net, taxed.net]);
        addInvoiceEvent(tx, INVOICE_EVENTS.issued, { id: invoiceId, customerId: candidate.customerId, invoiceNumber, totalAmount: taxed.gross, dueDate }, candidate.email);
        return { invoiceId, invoiceNumber, period, total: taxed.gross };
      });
    } catch (error) {
      if (error instanceof RenewedAlready) return null;
      throw error;
    }
  }
}
