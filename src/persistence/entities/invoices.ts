import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, money, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';
import { Order } from './orders.ts';

/** Invoice states: draft → issued → paid / overdue / cancelled. */
export const INVOICE_STATUSES = ['draft', 'issued', 'paid', 'overdue', 'cancelled'] as const;
/** One of {@link INVOICE_STATUSES}. */
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/**
 * How an invoice came to be: by hand (`CreateInvoice`), by a billing run (`GenerateInvoices`), or
 * as a service's renewal (the lifecycle job; its `service_renewals` row names the order and period).
 */
export const INVOICE_SOURCES = ['manual', 'generated', 'renewal'] as const;
/** One of {@link INVOICE_SOURCES}. */
export type InvoiceSource = (typeof INVOICE_SOURCES)[number];

/**
 * Table `invoices` (`InvoiceInfo`). Customer-owned (`customerId` NOT NULL; deleting the customer is
 * refused while invoices exist).
 *
 * Money (decimal strings, all `>= 0`): `amount` (subtotal), `taxAmount`, `totalAmount`
 * (CHECK `total_amount = amount + tax_amount`) and `paidAmount` (CHECK `<= total_amount`).
 *
 * - `invoiceNumber` (`INV-<year>-<6 digits>`) is unique, NULL while the invoice is a draft and set
 *   when it is issued, from `invoice_number_counters` (CHECK: only a draft lacks one).
 * - `billingPeriodStart` / `billingPeriodEnd` / `dueDate` are dates as `'YYYY-MM-DD'` strings
 *   (CHECK end >= start).
 * - A billing run is idempotent: for `source = 'generated'`, `(customer_id, billing_period_start,
 *   billing_period_end)` is unique (partial unique index), so running it twice cannot bill twice.
 * - `issuedAt` / `paidAt` are set by the corresponding transitions.
 */
export const Invoice = defineEntity({
  name: 'Invoice',
  tableName: 'invoices',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('no action').primary(),
    id: uuidPrimaryKey(),
    invoiceNumber: p.string().length(64).nullable(),
    billingPeriodStart: p.date(),
    billingPeriodEnd: p.date(),
    amount: money().default('0.00'),
    taxAmount: money().default('0.00'),
    totalAmount: money().default('0.00'),
    paidAmount: money().default('0.00'),
    status: p.enum(INVOICE_STATUSES).default('draft'),
    source: p.enum(INVOICE_SOURCES).default('manual'),
    issuedAt: optionalTime(),
    paidAt: optionalTime(),
    dueDate: p.date().nullable(),
    notes: p.text().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  primaryKeys: ['customerId', 'id'],
  uniques: [
    // Per customer (Citus); numbers come from the year counter, so they never repeat across customers.
    { name: 'invoices_invoice_number_unique', properties: ['customerId', 'invoiceNumber'] },
    {
      name: 'invoices_generated_period_unique',
      properties: ['customerId', 'billingPeriodStart', 'billingPeriodEnd'],
      where: "source = 'generated'",
    },
  ],
  indexes: [
    { name: 'invoices_id_index', properties: ['id'] },
    { name: 'invoices_invoice_number_index', properties: ['invoiceNumber'] },
    { name: 'invoices_customer_id_created_at_index', properties: ['customerId', 'createdAt'] },
    { name: 'invoices_status_created_at_index', properties: ['status', 'createdAt'] },
    { name: 'invoices_status_due_date_index', properties: ['status', 'dueDate'] },
    // The money path's look-up of a customer's oldest unpaid invoice (red customers cannot order).
    {
      name: 'invoices_customer_unpaid_due_index',
      expression: "create index invoices_customer_unpaid_due_index on invoices (customer_id, due_date) where status in ('issued', 'overdue')",
    },
  ],
  checks: [
    { name: 'invoices_billing_period_check', expression: 'billing_period_end >= billing_period_start' },
    {
      name: 'invoices_amounts_check',
      expression: 'amount >= 0 and tax_amount >= 0 and total_amount = amount + tax_amount',
    },
    { name: 'invoices_paid_amount_check', expression: 'paid_amount >= 0 and paid_amount <= total_amount' },
    { name: 'invoices_invoice_number_check', expression: "invoice_number is not null or status = 'draft'" },
  ],
});
/** A row of `invoices`. */
export type Invoice = InferEntity<typeof Invoice>;

/**
 * Table `invoice_items` (`InvoiceItemInfo`): lines of an invoice, deleted with it. Customer-owned
 * (`customerId` NOT NULL, the invoice's customer).
 *
 * Money (decimal strings): `unitPrice` and `amount`, CHECK `amount = quantity * unit_price`; they
 * may be negative (a discount line). `quantity` is a uint32 (`>= 0`). `orderId` is the order a
 * generated line bills, kept as a history reference without a foreign key (migration 0015: Citus
 * cannot SET NULL a key that contains the distribution column). `position` orders the lines.
 * Primary key `(customer_id, id)`, plain index on `id`; the invoice's foreign key is
 * `(customer_id, invoice_id)`.
 */
export const InvoiceItem = defineEntity({
  name: 'InvoiceItem',
  tableName: 'invoice_items',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('no action').primary(),
    id: uuidPrimaryKey(),
    invoiceId: p.uuid(),
    orderId: p.uuid().nullable(),
    description: p.text().default(''),
    quantity: p.integer().default(1),
    unitPrice: money().default('0.00'),
    amount: money().default('0.00'),
    position: p.integer().default(0),
    createdAt: createdAt(),
    /** The composite foreign key `(customer_id, invoice_id)`; never loaded: read `invoiceId`. */
    invoice: p.manyToOne(Invoice).joinColumns('customer_id', 'invoice_id').foreignKeyName('invoice_items_invoice_id_foreign').deleteRule('cascade').updateRule('no action').nullable(),
  },
  primaryKeys: ['customerId', 'id'],
  indexes: [
    { name: 'invoice_items_id_index', properties: ['id'] },
    { name: 'invoice_items_invoice_id_position_index', properties: ['invoiceId', 'position'] },
    { name: 'invoice_items_customer_id_index', properties: ['customerId'] },
    { name: 'invoice_items_order_id_index', properties: ['orderId'] },
  ],
  checks: [
    { name: 'invoice_items_quantity_check', expression: 'quantity >= 0' },
    { name: 'invoice_items_amount_check', expression: 'amount = quantity * unit_price' },
  ],
});
/** A row of `invoice_items`. */
export type InvoiceItem = InferEntity<typeof InvoiceItem>;

/**
 * Table `invoice_number_counters` (migration 0009): the last invoice sequence number handed out
 * per calendar year (UTC). Updated only in the transaction that issues an invoice, so numbers are
 * gap-free per year (see src/application/billing/invoice-store.ts). `lastNumber` is 0 to 999999.
 */
export const InvoiceNumberCounter = defineEntity({
  name: 'InvoiceNumberCounter',
  tableName: 'invoice_number_counters',
  properties: {
    year: p.integer().primary().autoincrement(false),
    lastNumber: p.integer().default(0),
    updatedAt: updatedAt(),
  },
  checks: [
    { name: 'invoice_number_counters_year_check', expression: 'year >= 2000 and year <= 9999' },
    { name: 'invoice_number_counters_last_number_check', expression: 'last_number >= 0 and last_number <= 999999' },
  ],
});
/** A row of `invoice_number_counters`. */
export type InvoiceNumberCounter = InferEntity<typeof InvoiceNumberCounter>;
