import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, money, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';
import { Invoice } from './invoices.ts';
import { Order } from './orders.ts';

/** Payment states: pending → success / failed / refunded. */
export const PAYMENT_STATUSES = ['pending', 'success', 'failed', 'refunded'] as const;
/** One of {@link PAYMENT_STATUSES}. */
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** What a payment pays for: an order, an invoice, or a balance recharge (neither). */
export const PAYMENT_KINDS = ['order', 'invoice', 'recharge'] as const;
/** One of {@link PAYMENT_KINDS}. */
export type PaymentKind = (typeof PAYMENT_KINDS)[number];

/**
 * Table `payments` (`PaymentRecord`). Customer-owned (`customerId` NOT NULL).
 *
 * Money (decimal strings): `amount` (`>= 0`) and `refundedAmount` (`0 <= refunded <= amount`; a
 * partial refund keeps status `success`, a full one makes it `refunded`).
 *
 * - `kind` says what is paid (CHECK): `order` needs `orderId`, `invoice` needs `invoiceId`,
 *   `recharge` has neither. Deleting a paid-for order or invoice is refused (no cascade).
 * - `gatewayInterfaceId` is the gateway plugin interface (no foreign key, kept after deletion);
 *   null for payments made from the balance.
 * - `gatewayPaymentId` / `gatewayTxId` are the gateway's ids, null until known; `paymentUrl`,
 *   `qrCode`, `instructions` are what the gateway returned for the payer; `returnUrl` is where the
 *   payer goes afterwards.
 * - Callbacks are made idempotent by conditional updates (`… WHERE status = 'pending'`).
 */
export const Payment = defineEntity({
  name: 'Payment',
  tableName: 'payments',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('no action').primary(),
    id: uuidPrimaryKey(),
    kind: p.enum(PAYMENT_KINDS).default('order'),
    orderId: p.uuid().nullable(),
    invoiceId: p.uuid().nullable(),
    amount: money(),
    refundedAmount: money().default('0.00'),
    currency: p.string().length(8).default('CNY'),
    gatewayInterfaceId: p.uuid().nullable(),
    gatewayPaymentId: p.string().length(255).nullable(),
    gatewayTxId: p.string().length(255).nullable(),
    status: p.enum(PAYMENT_STATUSES).default('pending'),
    paymentUrl: p.text().nullable(),
    qrCode: p.text().nullable(),
    instructions: p.text().nullable(),
    returnUrl: p.text().nullable(),
    paidAt: optionalTime(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** The composite foreign key `(customer_id, order_id)`; never loaded: read `orderId`. */
    order: p.manyToOne(Order).joinColumns('customer_id', 'order_id').foreignKeyName('payments_order_id_foreign').deleteRule('no action').updateRule('no action').nullable(),
    /** The composite foreign key `(customer_id, invoice_id)`; never loaded: read `invoiceId`. */
    invoice: p.manyToOne(Invoice).joinColumns('customer_id', 'invoice_id').foreignKeyName('payments_invoice_id_foreign').deleteRule('no action').updateRule('no action').nullable(),
  },
  primaryKeys: ['customerId', 'id'],
  indexes: [
    { name: 'payments_id_index', properties: ['id'] },
    { name: 'payments_customer_id_created_at_index', properties: ['customerId', 'createdAt'] },
    { name: 'payments_status_created_at_index', properties: ['status', 'createdAt'] },
    { name: 'payments_order_id_index', properties: ['orderId'] },
    { name: 'payments_invoice_id_index', properties: ['invoiceId'] },
    { name: 'payments_gateway_payment_index', properties: ['gatewayInterfaceId', 'gatewayPaymentId'] },
  ],
  checks: [
    { name: 'payments_amount_check', expression: 'amount >= 0' },
    { name: 'payments_refunded_amount_check', expression: 'refunded_amount >= 0 and refunded_amount <= amount' },
    {
      name: 'payments_kind_reference_check',
      expression:
        "(kind <> 'order' or order_id is not null) and (kind <> 'invoice' or invoice_id is not null) and (kind <> 'recharge' or (order_id is null and invoice_id is null))",
    },
  ],
});
/** A row of `payments`. */
export type Payment = InferEntity<typeof Payment>;
