/**
 * Invoices (BillingService, rustbill-docs.md; handbook §6.7): the pure rules — the status machine,
 * the agreement of items, subtotal, tax and total, invoice numbers, calendar dates and billing
 * periods. No I/O. Money is `decimal.js` here and a decimal string with two places on the wire and
 * in NUMERIC(12,2) columns; a JavaScript number never holds money.
 */
import { Decimal } from 'decimal.js';
import { DomainError, invalid } from '../errors.ts';
import { formatMoney, MAX_AMOUNT, parseMoney } from '../money.ts';
import { promotionLineText } from './promotion.ts';

/** Invoice states: draft → issued → paid / overdue → cancelled (spec: 发票状态流转). */
export const INVOICE_STATUSES = ['draft', 'issued', 'paid', 'overdue', 'cancelled'] as const;
/** One of {@link INVOICE_STATUSES}. */
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** True when `value` names an invoice status. */
export function isInvoiceStatus(value: string): value is InvoiceStatus {
  return (INVOICE_STATUSES as readonly string[]).includes(value);
}

/**
 * The status named by a request field.
 * @throws DomainError invalid_argument naming `field` and the allowed values
 */
export function parseInvoiceStatus(field: string, text: string): InvoiceStatus {
  if (isInvoiceStatus(text)) return text;
  throw invalid(`${field} must be one of ${INVOICE_STATUSES.join(', ')} (got "${text.slice(0, 40)}")`);
}

/**
 * Who moves an invoice: an admin through UpdateInvoice (`admin`), the overdue job (`overdue_job`),
 * or the money path settling a payment of it (`payment`, the customer actor's business).
 */
export type InvoiceActor = 'admin' | 'overdue_job' | 'payment';

/**
 * Every transition and who may make it. Issuing assigns the invoice number; `paid` comes only from
 * a payment (PaymentService or the balance), never by hand; `paid` and `cancelled` are final. A
 * draft is deleted (DeleteInvoice), not cancelled: it has no number yet.
 */
const TRANSITIONS: Readonly<Record<InvoiceStatus, Readonly<Partial<Record<InvoiceStatus, readonly InvoiceActor[]>>>>> = {
  draft: { issued: ['admin'] },
  issued: { paid: ['payment'], overdue: ['admin', 'overdue_job'], cancelled: ['admin'] },
  overdue: { paid: ['payment'], cancelled: ['admin'] },
  paid: {},
  cancelled: {},
};

/**
 * Why `actor` may not move an invoice from `from` to `to`, or null when it may. Staying in the same
 * status is no transition and allowed (null).
 * - `paid` by an admin: failed_precondition (pay it through PaymentService or the balance);
 * - any other transition not in the machine: invalid_argument naming it, reason `invalid_transition`.
 */
export function invoiceTransitionRefusal(from: InvoiceStatus, to: InvoiceStatus, actor: InvoiceActor): DomainError | null {
  if (from === to) return null;
  const allowed = TRANSITIONS[from][to];
  if (allowed?.includes(actor)) return null;
  if (to === 'paid' && actor === 'admin' && allowed !== undefined) {
    return new DomainError('failed_precondition', 'an invoice cannot be marked paid by hand: pay it through PaymentService or the balance', 'paid_by_payment_only');
  }
  const next = Object.keys(TRANSITIONS[from]).filter((status) => TRANSITIONS[from][status as InvoiceStatus]?.includes(actor));
  const options = next.length === 0 ? `${from} is final for ${actor === 'admin' ? 'admins' : actor}` : `from ${from} only to ${next.join(' or ')}`;
  return new DomainError('invalid_argument', `status: an invoice cannot change from ${from} to ${to} (${options})`, 'invalid_transition');
}

/**
 * Whether an invoice in `status` may be deleted: only a draft (it has no number; an issued invoice
 * is cancelled instead, so its number stays taken and the sequence has no hole).
 */
export function invoiceDeletionRefusal(status: InvoiceStatus): DomainError | null {
  if (status === 'draft') return null;
  return new DomainError('failed_precondition', `only a draft invoice can be deleted; this one is ${status} — cancel it instead (its number stays taken)`);
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** The last sequence number of a year: numbers have six digits. */
export const MAX_INVOICE_SEQUENCE = 999_999;
const INVOICE_NUMBER = /^INV-(\d{4})-(\d{6})$/;

/**
 * The invoice number `INV-<year>-<6 digits>`, e.g. `INV-2024-000042`.
 * @param year the calendar year of issue (UTC), 2000–9999
 * @param sequence the year's sequence number, 1–999999
 * @throws DomainError failed_precondition when the year's numbers are used up; Error for a bad year
 */
export function formatInvoiceNumber(year: number, sequence: number): string {
  if (!Number.isInteger(year) || year < 2000 || year > 9999) throw new Error(`invoice year ${year} is outside 2000–9999`);
  if (!Number.isInteger(sequence) || sequence < 1) throw new Error(`invoice sequence ${sequence} must be a whole number ≥ 1`);
  if (sequence > MAX_INVOICE_SEQUENCE) {
    throw new DomainError('failed_precondition', `the ${MAX_INVOICE_SEQUENCE} invoice numbers of ${year} are used up`);
  }
  return `INV-${year}-${String(sequence).padStart(6, '0')}`;
}

/** The year and sequence of an invoice number, or null when `text` is not one. */
export function parseInvoiceNumber(text: string): { year: number; sequence: number } | null {
  const match = INVOICE_NUMBER.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const sequence = Number(match[2]);
  return sequence >= 1 ? { year: Number(match[1]), sequence } : null;
}

// ---------------------------------------------------------------------------------------------
// Dates

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A calendar date sent by a client, `YYYY-MM-DD` (a real date: `2024-02-30` is refused).
 * @throws DomainError invalid_argument naming `field`
 */
export function parseDate(field: string, text: string): string {
  const match = DATE.exec(text);
  if (match) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const date = new Date(Date.UTC(year, month - 1, day));
    if (year >= 2000 && year <= 9999 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day) return text;
  }
  throw invalid(text === '' ? `${field} is required (YYYY-MM-DD)` : `${field} must be a date YYYY-MM-DD between 2000 and 9999 (got "${text.slice(0, 40)}")`);
}

/** `date` (`YYYY-MM-DD`) plus `days` (may be negative), as `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** The UTC calendar date of `at`, `YYYY-MM-DD`. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** A billing period: first and last day, both included (`YYYY-MM-DD`). */
export interface BillingPeriod {
  start: string;
  end: string;
}

/**
 * The billing period of a request (`billing_period_start`, `billing_period_end`).
 * @throws DomainError invalid_argument naming the field (bad date, or end before start)
 */
export function parseBillingPeriod(start: string, end: string): BillingPeriod {
  const period = { start: parseDate('billing_period_start', start), end: parseDate('billing_period_end', end) };
  if (period.end < period.start) throw invalid(`billing_period_end (${period.end}) must not be before billing_period_start (${period.start})`);
  return period;
}

/** The calendar month before the one `at` falls in (UTC): the monthly billing run's period. */
export function previousMonth(at: Date): BillingPeriod {
  const firstOfThisMonth = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
  return { start: utcDate(start), end: addDays(utcDate(firstOfThisMonth), -1) };
}

// ---------------------------------------------------------------------------------------------
// Amounts

/** A line as a client sends it (InvoiceItemInput): money as decimal strings. */
export interface InvoiceItemText {
  description: string;
  /** uint32 on the wire; at most 2147483647 (an integer column). */
  quantity: number;
  unitPrice: string;
  amount: string;
}

/** A checked line: `amount = quantity × unitPrice` (decimal strings with two places). */
export interface InvoiceLine {
  description: string;
  quantity: number;
  /** Decimal string, two places; may be negative (a discount line). */
  unitPrice: string;
  /** Decimal string, two places: quantity × unit_price. */
  amount: string;
}

/** Checked amounts of an invoice: `amount` = Σ items, `totalAmount` = amount + taxAmount (decimal strings). */
export interface InvoiceAmounts {
  lines: InvoiceLine[];
  amount: string;
  taxAmount: string;
  totalAmount: string;
}

/** The largest quantity the `integer` column holds. */
export const MAX_QUANTITY = 2_147_483_647;

/**
 * Checks a hand-made invoice's money (CreateInvoice): every item's `amount = quantity × unit_price`,
 * `amount` = the sum of the items, `total_amount = amount + tax_amount`; amounts are decimal strings
 * with at most two places; subtotal and tax are ≥ 0 (items may be negative: discounts).
 * @throws DomainError invalid_argument naming the field(s) that disagree and what they should be
 */
export function checkInvoiceAmounts(input: { amount: string; taxAmount: string; totalAmount: string; items: readonly InvoiceItemText[] }): InvoiceAmounts {
  if (input.items.length === 0) throw invalid('items: an invoice needs at least one line item');
  let sum = new Decimal(0);
  const lines = input.items.map((item, index): InvoiceLine => {
    const at = `items[${index}]`;
    const description = item.description.trim();
    if (description === '') throw invalid(`${at}.description is required`);
    if (!Number.isInteger(item.quantity) || item.quantity < 0 || item.quantity > MAX_QUANTITY) {
      throw invalid(`${at}.quantity must be a whole number from 0 to ${MAX_QUANTITY}`);
    }
    const unitPrice = parseMoney(`${at}.unit_price`, item.unitPrice, { allowNegative: true });
    const amount = parseMoney(`${at}.amount`, item.amount, { allowNegative: true });
    const expected = unitPrice.times(item.quantity);
    if (expected.abs().greaterThan(MAX_AMOUNT)) throw invalid(`${at}: quantity × unit_price must be at most ${MAX_AMOUNT.toFixed(2)}`);
    if (!amount.equals(expected)) {
      throw invalid(`${at}.amount ${formatMoney(amount)} disagrees with quantity × unit_price = ${item.quantity} × ${formatMoney(unitPrice)} = ${formatMoney(expected)}`);
    }
    sum = sum.plus(amount);
    return { description, quantity: item.quantity, unitPrice: formatMoney(unitPrice), amount: formatMoney(amount) };
  });
  const amount = parseMoney('amount', input.amount);
  const tax = parseMoney('tax_amount', input.taxAmount);
  const total = parseMoney('total_amount', input.totalAmount);
  if (!amount.equals(sum)) throw invalid(`amount ${formatMoney(amount)} disagrees with the sum of items[].amount = ${formatMoney(sum)}`);
  const expectedTotal = amount.plus(tax);
  if (expectedTotal.greaterThan(MAX_AMOUNT)) throw invalid(`amount + tax_amount must be at most ${MAX_AMOUNT.toFixed(2)}`);
  if (!total.equals(expectedTotal)) {
    throw invalid(`total_amount ${formatMoney(total)} disagrees with amount + tax_amount = ${formatMoney(amount)} + ${formatMoney(tax)} = ${formatMoney(expectedTotal)}`);
  }
  return { lines, amount: formatMoney(amount), taxAmount: formatMoney(tax), totalAmount: formatMoney(total) };
}

/** An order a billing run bills (status active or completed, created in the period). */
export interface BillableOrder {
  id: string;
  productName: string;
  billingCycle: string;
  /** Decimal string (NUMERIC(12,2)), ≥ 0: what the order cost, tax included. */
  amount: string;
  /** The tax included in `amount` (issue 11; decimal string, default "0.00"). */
  taxAmount?: string;
  /** The promotion code applied to the order and what it took off (shown on the line), if any. */
  promotion?: { code: string; discount: string } | null;
}

/**
 * The invoice a billing run makes of one customer's orders: one line per order (quantity 1, unit
 * price = the order's amount without its tax), `amount` their sum, `taxAmount` the orders' tax
 * (taken when each was priced, by the customer's tax rule), `totalAmount = amount + taxAmount`
 * (what the orders cost). Orders in the given order.
 * @throws DomainError failed_precondition when the sum exceeds NUMERIC(12,2)
 */
export function generatedInvoiceAmounts(orders: readonly BillableOrder[]): InvoiceAmounts {
  let net = new Decimal(0);
  let tax = new Decimal(0);
  const lines = orders.map((order): InvoiceLine => {
    const orderTax = new Decimal(order.taxAmount ?? '0');
    const amount = new Decimal(order.amount).minus(orderTax);
    net = net.plus(amount);
    tax = tax.plus(orderTax);
    const name = order.productName.trim() === '' ? 'Order' : order.productName.trim();
    const promotion = order.promotion ? ` · ${promotionLineText(order.promotion.code, order.promotion.discount)}` : '';
    return { description: `${name} (${order.billingCycle}) — order ${order.id}${promotion}`, quantity: 1, unitPrice: formatMoney(amount), amount: formatMoney(amount) };
  });
  if (net.plus(tax).greaterThan(MAX_AMOUNT)) throw new DomainError('failed_precondition', `the orders sum to more than ${MAX_AMOUNT.toFixed(2)}`);
  return { lines, amount: formatMoney(net), taxAmount: formatMoney(tax), totalAmount: formatMoney(net.plus(tax)) };
}
