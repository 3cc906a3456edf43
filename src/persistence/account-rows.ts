/**
 * Row ↔ state mapping of the money tables (orders, payments, balance_transactions) for the account
 * store and the read services: one mapping per table, so a column is read the same way everywhere.
 * NUMERIC(12,2) comes back from `pg` as text and is kept as a decimal string with two places.
 */
import type { BillingCycle } from '../domain/catalog/prices.ts';
import type { LedgerEntry, LedgerType } from '../domain/ledger/ledger.ts';
import { moneyOf } from '../domain/money.ts';
import type { OrderState, OrderStatus } from '../domain/orders/order.ts';
import type { PaymentKind, PaymentState, PaymentStatus } from '../domain/payments/payment.ts';
import type { OrderedSpec } from '../domain/provisioning/instances.ts';
import { rfc3339 } from '../lib/time.ts';

/** The columns {@link orderOf} reads, for `select` lists. */
export const ORDER_COLUMNS = `id, customer_id, product_id, product_name, provider_interface_id, provider_instance_id, server_spec, status,
  amount::text as amount, currency, billing_cycle, gateway_interface_id, gateway_payment_id, notes, paid_at, version, created_at, updated_at,
  period_start, period_end, anchor_day, cancel_at_period_end, renewal_amount::text as renewal_amount, period_price::text as period_price, promotion_code,
  discount_amount::text as discount_amount, tax_amount::text as tax_amount`;

/** An `orders` row as `pg` returns {@link ORDER_COLUMNS}. */
export interface OrderRow {
  id: string;
  customer_id: string;
  product_id: string | null;
  product_name: string;
  provider_interface_id: string | null;
  provider_instance_id: string | null;
  server_spec: OrderedSpec;
  status: string;
  amount: string;
  currency: string;
  billing_cycle: string;
  gateway_interface_id: string | null;
  gateway_payment_id: string | null;
  notes: string;
  paid_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  period_start: Date | null;
  period_end: Date | null;
  anchor_day: number | null;
  cancel_at_period_end: boolean;
  renewal_amount: string | null;
  period_price: string | null;
  promotion_code: string | null;
  discount_amount: string;
  tax_amount: string;
}

/** An order's state from its row. */
export function orderOf(row: OrderRow): OrderState {
  return {
    id: row.id,
    customerId: row.customer_id,
    productId: row.product_id,
    productName: row.product_name,
    providerInterfaceId: row.provider_interface_id,
    providerInstanceId: row.provider_instance_id,
    serverSpec: row.server_spec,
    status: row.status as OrderStatus,
    amount: moneyOf(row.amount),
    currency: row.currency,
    billingCycle: row.billing_cycle as BillingCycle,
    gatewayInterfaceId: row.gateway_interface_id,
    gatewayPaymentId: row.gateway_payment_id,
    notes: row.notes,
    paidAt: row.paid_at ? rfc3339(row.paid_at) : null,
    periodStart: row.period_start ? rfc3339(row.period_start) : null,
    periodEnd: row.period_end ? rfc3339(row.period_end) : null,
    anchorDay: row.anchor_day,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    renewalAmount: row.renewal_amount === null ? null : moneyOf(row.renewal_amount),
    periodPrice: row.period_price === null ? null : moneyOf(row.period_price),
    promotionCode: row.promotion_code,
    discountAmount: moneyOf(row.discount_amount),
    taxAmount: moneyOf(row.tax_amount),
    version: row.version,
    createdAt: rfc3339(row.created_at),
    updatedAt: rfc3339(row.updated_at),
  };
}

/** The columns {@link paymentOf} reads. */
export const PAYMENT_COLUMNS = `id, customer_id, kind, order_id, invoice_id, amount::text as amount, refunded_amount::text as refunded_amount, currency,
  gateway_interface_id, gateway_payment_id, gateway_tx_id, status, payment_url, qr_code, instructions, return_url, paid_at, created_at, updated_at`;

/** A `payments` row as `pg` returns {@link PAYMENT_COLUMNS}. */
export interface PaymentRow {
  id: string;
  customer_id: string;
  kind: string;
  order_id: string | null;
  invoice_id: string | null;
  amount: string;
  refunded_amount: string;
  currency: string;
  gateway_interface_id: string | null;
  gateway_payment_id: string | null;
  gateway_tx_id: string | null;
  status: string;
  payment_url: string | null;
  qr_code: string | null;
  instructions: string | null;
  return_url: string | null;
  paid_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A payment's state from its row. */
export function paymentOf(row: PaymentRow): PaymentState {
  return {
    id: row.id,
    customerId: row.customer_id,
    kind: row.kind as PaymentKind,
    orderId: row.order_id,
    invoiceId: row.invoice_id,
    amount: moneyOf(row.amount),
    refundedAmount: moneyOf(row.refunded_amount),
    currency: row.currency,
    gatewayInterfaceId: row.gateway_interface_id ?? '',
    gatewayPaymentId: row.gateway_payment_id,
    gatewayTxId: row.gateway_tx_id,
    status: row.status as PaymentStatus,
    paymentUrl: row.payment_url,
    qrCode: row.qr_code,
    instructions: row.instructions,
    returnUrl: row.return_url,
    paidAt: row.paid_at ? rfc3339(row.paid_at) : null,
    createdAt: rfc3339(row.created_at),
    updatedAt: rfc3339(row.updated_at),
  };
}

/** The columns {@link ledgerEntryOf} reads. */
export const LEDGER_COLUMNS = `id, customer_id, transaction_type, amount::text as amount, balance_before::text as balance_before,
  balance_after::text as balance_after, reference_id, description, created_at`;

/** A `balance_transactions` row as `pg` returns {@link LEDGER_COLUMNS}. */
export interface LedgerRow {
  id: string;
  customer_id: string;
  transaction_type: string;
  amount: string;
  balance_before: string;
  balance_after: string;
  reference_id: string | null;
  description: string;
  created_at: Date;
}

/** A ledger entry (with its customer and time) from its row. */
export function ledgerEntryOf(row: LedgerRow): LedgerEntry & { customerId: string; createdAt: string } {
  return {
    id: row.id,
    customerId: row.customer_id,
    type: row.transaction_type as LedgerType,
    amount: moneyOf(row.amount),
    balanceBefore: moneyOf(row.balance_before),
    balanceAfter: moneyOf(row.balance_after),
    referenceId: row.reference_id,
    description: row.description,
    createdAt: rfc3339(row.created_at),
  };
}

/**
 * SQL of the payments that are revenue, for the payments table aliased `alias`: payments for
 * orders and invoices (not recharges) that were settled — successful, or refunded, whose
 * `amount - refunded_amount` then counts what stayed. One definition for the CRM's figures and
 * reports and the admin console's revenue summary.
 */
export function revenuePaymentSql(alias: string): string {
  return `${alias}.kind in ('order', 'invoice') and ${alias}.status in ('success', 'refunded')`;
}

/**
 * SQL of when the balance of the customer `customerId` (an SQL expression: a parameter or a
 * column) last went from ≥ 0 to < 0: the start of its debt while the balance is negative (a
 * `timestamptz`, null when it never went negative). One definition for the money path's red check
 * and the CRM's figures.
 */
export function debtSinceSql(customerId: string): string {
  return `(select b.created_at from balance_transactions b
            where b.customer_id = ${customerId} and b.balance_after < 0 and b.balance_before >= 0
            order by b.created_at desc limit 1)`;
}
