import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, jsonColumn, lockVersion, money, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';
import { Product } from './catalog.ts';

/** Order states (handbook: pending → paid → provisioning → active / suspended / cancelled / refunded / completed). */
export const ORDER_STATUSES = [
  'pending',
  'paid',
  'provisioning',
  'active',
  'cancelled',
  'suspended',
  'refunded',
  'completed',
] as const;
/** One of {@link ORDER_STATUSES}. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Billing cycles of an order or a product price (`billing_cycle`). */
export const BILLING_CYCLES = ['monthly', 'quarterly', 'yearly'] as const;
/** One of {@link BILLING_CYCLES}. */
export type BillingCycle = (typeof BILLING_CYCLES)[number];

/**
 * The ordered server configuration (`ServerSpec`), stored as JSON: whole numbers for sizes
 * (`cpu_cores`, `memory_gb`, `disk_gb`, `bandwidth_mbps`), strings for `region`/`os`, and free
 * `extra_specs`.
 */
export type ServerSpecJson = {
  cpu_cores?: number;
  memory_gb?: number;
  disk_gb?: number;
  bandwidth_mbps?: number;
  region?: string;
  os?: string;
  extra_specs?: Record<string, string>;
};

/**
 * Table `orders` (`OrderInfo`): the persisted snapshot of an order actor. Customer-owned
 * (`customerId` NOT NULL; deleting the customer is refused while orders exist).
 *
 * - `amount`: the order total, decimal string, `>= 0` (the handbook's `total_amount`).
 * - `status`: one of {@link ORDER_STATUSES} (CHECK); transitions are the domain layer's job.
 * - `version`: optimistic lock (see `lockVersion`).
 * - `productId` is kept as reference (ON DELETE SET NULL), `productName` is a copy taken when the
 *   order was created. `providerInterfaceId` / `gatewayInterfaceId` are plain ids without foreign
 *   keys: an order keeps them after the plugin interface is deleted.
 * - `providerInstanceId` (provider's id, after provisioning) and `gatewayPaymentId` (after
 *   payment) are null until known. `paidAt` is set when the order was paid.
 * - Recurring billing (migration 0012): `periodStart`/`periodEnd` the current billing period of
 *   an active or suspended service (end exclusive), `anchorDay` the day of month its periods start
 *   on, `cancelAtPeriodEnd` (no further renewal), `renewalAmount` one renewal's price as the catalog
 *   states it (null: `amount`), `periodPrice` what the current period cost (proration's basis), `promotionCode`/`discountAmount` the promotion applied at CreateOrder and
 *   `taxAmount` the tax included in `amount` (money, `>= 0`).
 * - Indexes: `(customer_id, created_at)` for a customer's list, `(status, created_at)` for the
 *   unpaid-order timeout and status filters, `created_at` for the admin list.
 */
export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('no action').primary(),
    id: uuidPrimaryKey(),
    productId: p.manyToOne(Product).mapToPk().fieldName('product_id').nullable().deleteRule('set null'),
    productName: p.string().length(255).default(''),
    providerInterfaceId: p.uuid().nullable(),
    providerInstanceId: p.string().length(255).nullable(),
    serverSpec: jsonColumn<ServerSpecJson>(() => ({})),
    status: p.enum(ORDER_STATUSES).default('pending'),
    amount: money(),
    currency: p.string().length(8).default('CNY'),
    billingCycle: p.enum(BILLING_CYCLES).default('monthly'),
    gatewayInterfaceId: p.uuid().nullable(),
    gatewayPaymentId: p.string().length(255).nullable(),
    notes: p.text().default(''),
    paidAt: optionalTime(),
    periodStart: optionalTime(),
    periodEnd: optionalTime(),
    anchorDay: p.smallint().nullable(),
    cancelAtPeriodEnd: p.boolean().default(false),
    renewalAmount: money().nullable(),
    periodPrice: money().nullable(),
    promotionCode: p.string().length(32).nullable(),
    discountAmount: money().default('0.00'),
    taxAmount: money().default('0.00'),
    version: lockVersion(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  primaryKeys: ['customerId', 'id'],
  indexes: [
    { name: 'orders_id_index', properties: ['id'] },
    { name: 'orders_customer_id_created_at_index', properties: ['customerId', 'createdAt'] },
    { name: 'orders_status_created_at_index', properties: ['status', 'createdAt'] },
    { name: 'orders_created_at_index', properties: ['createdAt'] },
    { name: 'orders_product_id_index', properties: ['productId'] },
    // The lifecycle job's look-up of services whose period ends soon.
    { name: 'orders_status_period_end_index', properties: ['status', 'periodEnd'] },
  ],
  checks: [
    { name: 'orders_amount_check', expression: 'amount >= 0' },
    { name: 'orders_anchor_day_check', expression: 'anchor_day >= 1 and anchor_day <= 31' },
    { name: 'orders_renewal_amount_check', expression: 'renewal_amount >= 0' },
    { name: 'orders_period_price_check', expression: 'period_price >= 0' },
    { name: 'orders_discount_amount_check', expression: 'discount_amount >= 0' },
    { name: 'orders_tax_amount_check', expression: 'tax_amount >= 0' },
    { name: 'orders_period_check', expression: 'period_end > period_start' },
  ],
});
/** A row of `orders`. */
export type Order = InferEntity<typeof Order>;
