/**
 * Invoices (BillingService): hand-made invoices, the billing run (GenerateInvoices), status
 * changes, the overdue sweep, and the invoice's PDF. The rules are in src/domain/billing/invoice.ts;
 * this module loads what they need and writes each outcome in ONE transaction, with its audit row
 * (admin changes) and its outbox events (`invoice_issued`, `invoice_overdue` in `event_queue`).
 *
 * Numbers (`INV-<year>-<6 digits>`) are taken when an invoice is **issued**, not when it is
 * created: a draft may still be deleted, and a number handed out at creation would leave a hole.
 * The year's counter row (`invoice_number_counters`) is incremented in the issuing transaction —
 * its row lock orders concurrent issuers and a rollback gives the number back — so each year's
 * numbers are 1, 2, 3, … with no gap and no duplicate.
 *
 * Paying an invoice (status `paid`, `paid_amount`, `paid_at`) is the money path's: a payment
 * through PaymentService or the balance. Nothing here writes those columns.
 *
 * Money is decimal strings (NUMERIC(12,2)), dates `YYYY-MM-DD`, times `Date` (UTC).
 */
import { Decimal } from 'decimal.js';
import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import {
  addDays, checkInvoiceAmounts, formatInvoiceNumber, generatedInvoiceAmounts, invoiceDeletionRefusal, invoiceTransitionRefusal,
  MAX_INVOICE_SEQUENCE, utcDate, type BillableOrder, type BillingPeriod, type InvoiceAmounts, type InvoiceItemText, type InvoiceStatus,
} from '../../domain/billing/invoice.ts';
import { DomainError, forbidden, notFound } from '../../domain/errors.ts';
import { moneyOf } from '../../domain/money.ts';
import type { Origin } from '../../domain/origin.ts';
import type { Page } from '../../domain/pagination.ts';
import { businessClock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { Customer } from '../../persistence/entities/customers.ts';
import { OutboxEvent } from '../../persistence/entities/event-queue.ts';
import { Invoice, InvoiceItem } from '../../persistence/entities/invoices.ts';
import { changedFields, recordAudit } from '../audit.ts';
import { renderInvoicePdf } from './invoice-pdf.ts';

/** An invoice with its line items (GetInvoice's data), items by position. */
export interface InvoiceView {
  invoice: Invoice;
  items: InvoiceItem[];
}

/** CreateInvoice's input (strings as the client sent them; checked here). */
export interface NewInvoice {
  customerId: string;
  /** `YYYY-MM-DD`, already checked (parseBillingPeriod). */
  period: BillingPeriod;
  /** `YYYY-MM-DD`, already checked. */
  dueDate: string;
  amount: string;
  taxAmount: string;
  totalAmount: string;
  notes: string;
  items: readonly InvoiceItemText[];
}

/** UpdateInvoice's input: only what is set changes. */
export interface InvoiceUpdate {
  status?: InvoiceStatus;
  notes?: string;
}

/** Outbox event types written here (the notification handlers are the other engineer's). */
export const INVOICE_EVENTS = { issued: 'invoice_issued', overdue: 'invoice_overdue' } as const;

/**
 * The payload of `invoice_issued` / `invoice_overdue`: invoice id and number, `total` (decimal
 * string), `due_date` (`YYYY-MM-DD` or null) and the customer's `email` ('' when it has none).
 */
export interface InvoiceEventPayload {
  invoice_id: string;
  invoice_number: string;
  total: string;
  due_date: string | null;
  email: string;
  [key: string]: unknown;
}

const AUDIT_FIELDS = ['status', 'notes', 'invoiceNumber'] as const;

function auditSnapshot(invoice: Invoice): Record<(typeof AUDIT_FIELDS)[number], unknown> {
  return { status: invoice.status, notes: invoice.notes, invoiceNumber: invoice.invoiceNumber ?? null };
}

/** Raw SQL in the transaction of `tx` (MikroORM's `?` placeholders). */
export function sql<R>(tx: EntityManager, text: string, params: unknown[]): Promise<R[]> {
  return tx.getConnection().execute<R[]>(text, params, 'all', tx.getTransactionContext());
}

/**
 * Takes the next number of `year` in the transaction of `tx` (gap-free: see the file comment).
 * @throws DomainError failed_precondition when the year's 999999 numbers are used up
 */
export async function takeInvoiceNumber(tx: EntityManager, year: number): Promise<string> {
  const rows = await sql<{ last_number: number }>(tx, `
    insert into invoice_number_counters (year, last_number) values (?, 1)
    on conflict (year) do update set last_number = invoice_number_counters.last_number + 1, updated_at = now()
      where invoice_number_counters.last_number < ?
    returning last_number`, [year, MAX_INVOICE_SEQUENCE]);
  const sequence = rows[0]?.last_number;
  if (sequence === undefined) throw new DomainError('failed_precondition', `the ${MAX_INVOICE_SEQUENCE} invoice numbers of ${year} are used up`);
  return formatInvoiceNumber(year, Number(sequence));
}

/** Adds an outbox event about `invoice` to `tx` (flushed with the transaction). */
export function addInvoiceEvent(tx: EntityManager, type: string, invoice: { id: string; customerId: string; invoiceNumber: string; totalAmount: string; dueDate: string | null }, email: string): void {
  const payload: InvoiceEventPayload = {
    invoice_id: invoice.id, invoice_number: invoice.invoiceNumber, total: invoice.totalAmount, due_date: invoice.dueDate, email,
  };
  tx.create(OutboxEvent, { id: newId(), eventType: type, payload, customerId: invoice.customerId, orderId: null });
}

async function customerEmail(tx: EntityManager, customerId: string): Promise<string> {
  const rows = await sql<{ email: string }>(tx, 'select email from customers where id = ?', [customerId]);
  return rows[0]?.email ?? '';
}

function requireAdmin(origin: Origin): void {
  if (origin.caller.kind !== 'admin') throw forbidden('only administrators may change invoices');
}

/** See the file comment. Methods throw DomainError for refused requests (nothing changed then). */
export class InvoiceBilling {
  private readonly orm: MikroORM;
  private readonly now: () => Date;
  private readonly invoicesChanged: (customerId: string) => Promise<void>;

  /**
   * @param deps.now the clock (issue times, number years, overdue dates); default the business clock (src/lib/clock.ts)
   * @param deps.invoicesChanged told, after the commit, that a customer's unpaid invoices changed
   *   (issued or cancelled), so its actor refreshes its overdue standing (src/actors/standing-cache.ts);
   *   its failures are ignored (the copy expires anyway)
   */
  constructor(deps: { orm: MikroORM; now?: () => Date; invoicesChanged?: (customerId: string) => Promise<void> }) {
    this.orm = deps.orm;
    this.now = deps.now ?? (() => businessClock.now());
    this.invoicesChanged = deps.invoicesChanged ?? (async () => undefined);
  }

  /** Tells the customer's actor its unpaid invoices changed; never throws. */
  private async tell(customerId: string): Promise<void> {
    await this.invoicesChanged(customerId).catch(() => undefined);
  }

  /** A page of invoices, newest first, optionally of one customer and/or in one status. */
  async list(filter: { customerId?: string; status?: InvoiceStatus }, page: Page): Promise<{ invoices: InvoiceView[]; total: number }> {
    const em = this.orm.em.fork();
    const where: { customerId?: string; status?: InvoiceStatus } = {};
    if (filter.customerId !== undefined) where.customerId = filter.customerId;
    if (filter.status !== undefined) where.status = filter.status;
    const [invoices, total] = await em.findAndCount(Invoice, where, {
      orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.pageSize, offset: page.offset,
    });
    const items = await this.itemsOf(em, invoices.map((invoice) => invoice.id));
    return { invoices: invoices.map((invoice) => ({ invoice, items: items.get(invoice.id) ?? [] })), total };
  }

  /**
   * One invoice with its items; with `customerId`, only when it is that customer's (another
   * customer's invoice answers exactly like a missing one).
   * @throws DomainError not_found
   */
  async get(id: string, customerId?: string): Promise<InvoiceView> {
    const em = this.orm.em.fork();
    const invoice = await em.findOne(Invoice, customerId === undefined ? { id } : { id, customerId });
    if (!invoice) throw notFound(`invoice ${id} does not exist`);
    return { invoice, items: (await this.itemsOf(em, [id])).get(id) ?? [] };
  }

  /**
   * The invoice as a PDF document (`%PDF-…`), for `GET /invoices/{id}.pdf`; with `customerId` only
   * that customer's. @throws DomainError not_found
   */
  async pdf(id: string, customerId?: string): Promise<Buffer> {
    const view = await this.get(id, customerId);
    const customer = await this.orm.em.fork().findOne(Customer, { id: view.invoice.customerId });
    return renderInvoicePdf(view, { name: customer?.name ?? '', email: customer?.email ?? '' });
  }

  /**
   * Creates a draft invoice by hand (CreateInvoice), audited. It gets its number when issued.
   * @throws DomainError invalid_argument (amounts that disagree, named), not_found (customer), permission_denied
   */
  async create(origin: Origin, input: NewInvoice): Promise<InvoiceView> {
    requireAdmin(origin);
    const amounts = checkInvoiceAmounts(input);
    return this.orm.em.fork().transactional(async (tx) => {
      const customer = await tx.findOne(Customer, { id: input.customerId });
      if (!customer) throw notFound(`customer_id: customer ${input.customerId} does not exist`);
      const invoice = tx.create(Invoice, {
        invoiceNumber: null, customerId: customer.id, billingPeriodStart: input.period.start, billingPeriodEnd: input.period.end,
        amount: amounts.amount, taxAmount: amounts.taxAmount, totalAmount: amounts.totalAmount, paidAmount: '0.00',
        status: 'draft', source: 'manual', dueDate: input.dueDate, notes: input.notes,
      });
      const items = this.createItems(tx, invoice, amounts, []);
      recordAudit(tx, origin, {
        action: 'invoice.create', targetType: 'invoice', targetId: invoice.id,
        details: { after: { customerId: customer.id, period: input.period, dueDate: input.dueDate, amount: amounts.amount, taxAmount: amounts.taxAmount, totalAmount: amounts.totalAmount, items: amounts.lines.length, notes: input.notes } },
      });
      return { invoice, items };
    });
  }

  /**
   * Changes an invoice's status and/or notes (UpdateInvoice), audited. Issuing assigns the number
   * and writes `invoice_issued`; `overdue` writes `invoice_overdue`; both in the same transaction.
   * The row is locked first: two concurrent issues of one draft give it one number.
   * @throws DomainError not_found, invalid_argument (transition not in the machine, naming it),
   *   failed_precondition (`paid` by hand: pay it through PaymentService or the balance), permission_denied
   */
  async update(origin: Origin, id: string, update: InvoiceUpdate): Promise<InvoiceView> {
    requireAdmin(origin);
    const view = await this.orm.em.fork().transactional(async (tx) => {
      const invoice = await tx.findOne(Invoice, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!invoice) throw notFound(`invoice ${id} does not exist`);
      const before = auditSnapshot(invoice);
      if (update.status !== undefined && update.status !== invoice.status) {
        const refusal = invoiceTransitionRefusal(invoice.status, update.status, 'admin');
        if (refusal) throw refusal;
        if (update.status === 'issued') await this.issue(tx, invoice);
        else {
          invoice.status = update.status;
          if (update.status === 'overdue') {
            addInvoiceEvent(tx, INVOICE_EVENTS.overdue, { ...invoice, invoiceNumber: invoice.invoiceNumber ?? '', dueDate: invoice.dueDate ?? null }, await customerEmail(tx, invoice.customerId));
          }
        }
      }
      if (update.notes !== undefined) invoice.notes = update.notes;
      const changes = changedFields(before, auditSnapshot(invoice), AUDIT_FIELDS);
      if (Object.keys(changes).length > 0) {
        invoice.updatedAt = this.now();
        recordAudit(tx, origin, { action: 'invoice.update', targetType: 'invoice', targetId: invoice.id, details: { changes } });
      }
      const items = await tx.find(InvoiceItem, { invoiceId: invoice.id }, { orderBy: { position: 'asc', id: 'asc' } });
      return { invoice, items, statusChanged: update.status !== undefined && before.status !== invoice.status };
    });
    if (view.statusChanged) await this.tell(view.invoice.customerId);
    return { invoice: view.invoice, items: view.items };
  }

  /**
   * Deletes a draft invoice and its items (DeleteInvoice), audited. An issued invoice keeps its
   * number: cancel it instead.
   * @throws DomainError not_found, failed_precondition (not a draft), permission_denied
   */
  async remove(origin: Origin, id: string): Promise<void> {
    requireAdmin(origin);
    await this.orm.em.fork().transactional(async (tx) => {
      const invoice = await tx.findOne(Invoice, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!invoice) throw notFound(`invoice ${id} does not exist`);
      const refusal = invoiceDeletionRefusal(invoice.status);
      if (refusal) throw refusal;
      recordAudit(tx, origin, {
        action: 'invoice.delete', targetType: 'invoice', targetId: invoice.id,
        details: { before: { customerId: invoice.customerId, status: invoice.status, totalAmount: invoice.totalAmount, notes: invoice.notes } },
      });
      await sql(tx, 'delete from invoices where id = ?', [invoice.id]);
    });
  }

  /**
   * The billing run of `period` (GenerateInvoices, and the monthly job): for every customer with
   * orders in status active or completed created in the period (UTC days, both ends included), ONE
   * invoice (source `generated`, one line per order, no tax), issued at once — its number taken and
   * `invoice_issued` written — due the customer's payment terms (CRM), else `dueDays`, after the day
   * of issue. A customer already billed for
   * exactly this period is skipped; two runs at once cannot bill it twice (the unique index
   * `invoices_generated_period_unique` with ON CONFLICT DO NOTHING: the second insert waits for the
   * first and then does nothing). One transaction per customer; an admin's run is audited per invoice.
   * @returns how many invoices this call created
   * @throws DomainError permission_denied (a customer or API key)
   */
  async generate(origin: Origin, period: BillingPeriod, options: { dueDays: number }): Promise<{ generatedCount: number; invoiceIds: string[] }> {
    if (origin.caller.kind !== 'admin' && origin.caller.kind !== 'anonymous') throw forbidden('only administrators may generate invoices');
    const em = this.orm.em.fork();
    const rows = await em.getConnection().execute<Array<{ customer_id: string; id: string; product_name: string; billing_cycle: string; amount: string; tax_amount: string; promotion_code: string | null; discount_amount: string; payment_terms_days: number | null }>>(`
      select o.customer_id, o.id, o.product_name, o.billing_cycle, o.amount::text as amount, o.tax_amount::text as tax_amount,
             o.promotion_code, o.discount_amount::text as discount_amount, c.payment_terms_days
        from orders o join customers c on c.id = o.customer_id
       where o.status in ('active', 'completed')
         and o.created_at >= (?::date)::timestamp at time zone 'UTC'
         and o.created_at < ((?::date) + 1)::timestamp at time zone 'UTC'
         and not exists (select 1 from invoices i
                          where i.source = 'generated' and i.customer_id = o.customer_id
                            and i.billing_period_start = ?::date and i.billing_period_end = ?::date)
       order by o.customer_id, o.created_at, o.id`, [period.start, period.end, period.start, period.end]);
    const byCustomer = new Map<string, BillableOrder[]>();
    // A customer's own payment terms (CRM) decide its due date; else the [billing] default.
    const termsOf = new Map<string, number>();
    for (const row of rows) {
      termsOf.set(row.customer_id, row.payment_terms_days ?? options.dueDays);
      const orders = byCustomer.get(row.customer_id) ?? [];
      orders.push({
        id: row.id, productName: row.product_name, billingCycle: row.billing_cycle, amount: row.amount, taxAmount: row.tax_amount,
        promotion: row.promotion_code ? { code: row.promotion_code, discount: moneyOf(row.discount_amount) } : null,
      });
      byCustomer.set(row.customer_id, orders);
    }
    const invoiceIds: string[] = [];
    for (const [customerId, orders] of byCustomer) {
      const amounts = generatedInvoiceAmounts(orders);
      const id = await this.orm.em.fork().transactional(async (tx) => {
        const issuedOn = utcDate(this.now());
        const inserted = await sql<{ id: string }>(tx, `
          insert into invoices (id, invoice_number, customer_id, billing_period_start, billing_period_end, amount, tax_amount, total_amount,
                                status, source, due_date, notes)
          values (?, null, ?, ?, ?, ?, ?, ?, 'draft', 'generated', ?, ?)
          on conflict (customer_id, billing_period_start, billing_period_end) where source = 'generated' do nothing
          returning id`, [newId(), customerId, period.start, period.end, amounts.amount, amounts.taxAmount, amounts.totalAmount,
          addDays(issuedOn, termsOf.get(customerId) ?? options.dueDays), `billing run ${period.start} – ${period.end}`]);
        const invoiceId = inserted[0]?.id;
        if (invoiceId === undefined) return null;
        const invoice = await tx.findOneOrFail(Invoice, { id: invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        this.createItems(tx, invoice, amounts, orders.map((order) => order.id));
        await this.issue(tx, invoice);
        await this.settleByOrderPayments(tx, invoice, orders.map((order) => order.id));
        if (origin.caller.kind === 'admin') {
          recordAudit(tx, origin, {
            action: 'invoice.generate', targetType: 'invoice', targetId: invoiceId,
            details: { after: { customerId, period, invoiceNumber: invoice.invoiceNumber, totalAmount: amounts.totalAmount, orders: orders.length } },
          });
        }
        return invoiceId;
      });
      if (id !== null) {
        invoiceIds.push(id);
        await this.tell(customerId);
      }
    }
    return { generatedCount: invoiceIds.length, invoiceIds };
  }

  /**
   * The overdue sweep: every issued invoice whose due date is before `today` (UTC, default the
   * clock's) becomes `overdue` with an `invoice_overdue` event, in one statement per batch of
   * `batchSize` — the status check in the UPDATE makes a concurrent or repeated sweep skip what
   * another already marked, so each invoice gets exactly one event.
   * @returns the ids marked now
   */
  async markOverdue(options: { today?: string; batchSize?: number } = {}): Promise<string[]> {
    const today = options.today ?? utcDate(this.now());
    const batchSize = options.batchSize ?? 500;
    const marked: string[] = [];
    for (;;) {
      const batch = await this.orm.em.fork().transactional(async (tx) => {
        const due = await sql<{ id: string }>(tx, `
          select id from invoices
           where status = 'issued' and due_date < ?::date
           order by due_date, id
           limit ?
           for update skip locked`, [today, batchSize]);
        if (due.length === 0) return [];
        const rows = await sql<{ id: string; customer_id: string; invoice_number: string; total: string; due_date: string; email: string | null }>(tx, `
          with marked as (
            update invoices set status = 'overdue', updated_at = now()
             where id in (?) and status = 'issued'
            returning id, customer_id, invoice_number, total_amount::text as total, due_date::text as due_date
          )
          select m.*, c.email from marked m left join customers c on c.id = m.customer_id`, [due.map((row) => row.id)]);
        for (const row of rows) {
          addInvoiceEvent(tx, INVOICE_EVENTS.overdue, {
            id: row.id, customerId: row.customer_id, invoiceNumber: row.invoice_number, totalAmount: row.total, dueDate: row.due_date,
          }, row.email ?? '');
        }
        return rows.map((row) => row.id);
      });
      marked.push(...batch);
      if (batch.length < batchSize) return marked;
    }
  }

  /** The items of `invoiceIds`, by invoice, in position order. */
  private async itemsOf(em: EntityManager, invoiceIds: string[]): Promise<Map<string, InvoiceItem[]>> {
    const byInvoice = new Map<string, InvoiceItem[]>();
    if (invoiceIds.length === 0) return byInvoice;
    const items = await em.find(InvoiceItem, { invoiceId: { $in: invoiceIds } }, { orderBy: { position: 'asc', id: 'asc' } });
    for (const item of items) {
      const list = byInvoice.get(item.invoiceId) ?? [];
      list.push(item);
      byInvoice.set(item.invoiceId, list);
    }
    return byInvoice;
  }

  private createItems(tx: EntityManager, invoice: Invoice, amounts: InvoiceAmounts, orderIds: readonly string[]): InvoiceItem[] {
    return amounts.lines.map((line, position) => tx.create(InvoiceItem, {
      invoiceId: invoice.id, customerId: invoice.customerId, orderId: orderIds[position] ?? null,
      description: line.description, quantity: line.quantity, unitPrice: line.unitPrice, amount: line.amount, position,
    }));
  }

  /** draft → issued on the managed, locked `invoice`: its number, `issued_at`, and `invoice_issued`. */
  /**
   * A generated invoice bills orders that were paid when they were placed (PayOrder): when their
   * successful, unrefunded payments cover its total, it is a statement of money received and is
   * issued already paid — the customer is not asked to pay twice, and the overdue sweep leaves it.
   */
  private async settleByOrderPayments(tx: EntityManager, invoice: Invoice, orderIds: string[]): Promise<void> {
    const [row] = await sql<{ paid: string }>(tx, `select coalesce(sum(amount - refunded_amount), 0)::text as paid from payments
      where customer_id = ? and order_id = any(?::uuid[]) and status = 'success'`, [invoice.customerId, `{${orderIds.join(',')}}`]);
    if (new Decimal(row?.paid ?? '0').lessThan(invoice.totalAmount)) return;
    const at = this.now();
    invoice.status = 'paid';
    invoice.paidAmount = invoice.totalAmount;
    invoice.paidAt = at;
    invoice.updatedAt = at;
  }

  private async issue(tx: EntityManager, invoice: Invoice): Promise<void> {
    const at = this.now();
    const number = await takeInvoiceNumber(tx, at.getUTCFullYear());
    invoice.invoiceNumber = number;
    invoice.status = 'issued';
    invoice.issuedAt = at;
    invoice.updatedAt = at;
    addInvoiceEvent(tx, INVOICE_EVENTS.issued, { id: invoice.id, customerId: invoice.customerId, invoiceNumber: number, totalAmount: invoice.totalAmount, dueDate: invoice.dueDate ?? null }, await customerEmail(tx, invoice.customerId));
  }
}
