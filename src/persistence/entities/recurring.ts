import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, money, updatedAt, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';
import { Invoice } from './invoices.ts';
import { Order } from './orders.ts';

/**
 * Table `service_renewals` (migration 0012): the renewal invoice of one service (order) for one
 * billing period. Customer-owned (deleted with the customer; primary key `(customer_id, id)`,
 * foreign keys `(customer_id, order_id)` and `(customer_id, invoice_id)`, migration 0015).
 * `(customerId, orderId, periodStart)` is unique (an order has one customer) —
 * the lifecycle job issues one renewal per order and period however often or wherever it runs —
 * and so is `invoiceId`. `amount` is the invoice's total (money, `>= 0`). `remindersSent` holds the
 * dunning reminders already sent, as day offsets from the due date (−3 = three days before).
 */
export const ServiceRenewal = defineEntity({
  name: 'ServiceRenewal',
  tableName: 'service_renewals',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade').primary(),
    id: uuidPrimaryKey(),
    orderId: p.uuid(),
    periodStart: p.datetime(),
    periodEnd: p.datetime(),
    invoiceId: p.uuid(),
    amount: money(),
    remindersSent: p.array().columnType('integer[]').defaultRaw("'{}'"),
    createdAt: createdAt(),
    /** The composite foreign key `(customer_id, order_id)`; never loaded: read `orderId`. */
    order: p.manyToOne(Order).joinColumns('customer_id', 'order_id').foreignKeyName('service_renewals_order_id_foreign').deleteRule('cascade').updateRule('no action').nullable(),
    /** The composite foreign key `(customer_id, invoice_id)`; never loaded: read `invoiceId`. */
    invoice: p.manyToOne(Invoice).joinColumns('customer_id', 'invoice_id').foreignKeyName('service_renewals_invoice_id_foreign').deleteRule('cascade').updateRule('no action').nullable(),
  },
  primaryKeys: ['customerId', 'id'],
  uniques: [
    { name: 'service_renewals_order_period_unique', properties: ['customerId', 'orderId', 'periodStart'] },
    { name: 'service_renewals_invoice_id_unique', properties: ['customerId', 'invoiceId'] },
  ],
  indexes: [
    { name: 'service_renewals_id_index', properties: ['id'] },
    { name: 'service_renewals_customer_id_index', properties: ['customerId'] },
  ],
  checks: [
    { name: 'service_renewals_period_check', expression: 'period_end > period_start' },
    { name: 'service_renewals_amount_check', expression: 'amount >= 0' },
  ],
});
/** A row of `service_renewals`. */
export type ServiceRenewal = InferEntity<typeof ServiceRenewal>;

/**
 * Table `promotion_codes` (migration 0012): a promotion code (src/domain/billing/promotion.ts).
 * `code` is stored upper-case and unique; `value` a percentage (≤ 100) or an amount (money), `> 0`;
 * `productIds` / `billingCycles` empty = no restriction; `maxUses` / `maxUsesPerCustomer` null = no
 * limit; `uses` is counted by the redemption trigger (CHECK `uses <= max_uses`).
 */
export const PromotionCode = defineEntity({
  name: 'PromotionCode',
  tableName: 'promotion_codes',
  properties: {
    id: uuidPrimaryKey(),
    code: p.string().length(32).unique('promotion_codes_code_unique'),
    kind: p.text(),
    value: money(),
    recurrence: p.text().default('first_period'),
    productIds: p.array().columnType('uuid[]').defaultRaw("'{}'"),
    billingCycles: p.array().columnType('text[]').defaultRaw("'{}'"),
    validFrom: p.datetime().nullable(),
    validUntil: p.datetime().nullable(),
    maxUses: p.integer().nullable(),
    maxUsesPerCustomer: p.integer().nullable(),
    uses: p.integer().default(0),
    isActive: p.boolean().default(true),
    description: p.text().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  checks: [
    { name: 'promotion_codes_kind_check', expression: "kind in ('percent', 'fixed')" },
    { name: 'promotion_codes_recurrence_check', expression: "recurrence in ('first_period', 'every_period')" },
    { name: 'promotion_codes_max_uses_check', expression: 'max_uses > 0' },
    { name: 'promotion_codes_max_uses_per_customer_check', expression: 'max_uses_per_customer > 0' },
    { name: 'promotion_codes_value_check', expression: "value > 0 and (kind <> 'percent' or value <= 100)" },
    { name: 'promotion_codes_uses_check', expression: 'uses >= 0 and (max_uses is null or uses <= max_uses)' },
    { name: 'promotion_codes_validity_check', expression: 'valid_until > valid_from' },
  ],
});
/** A row of `promotion_codes`. */
export type PromotionCode = InferEntity<typeof PromotionCode>;

/**
 * Table `promotion_redemptions` (migration 0012): one use of a promotion code by an order (unique
 * per order), written by the money path with the order. Customer-owned (primary key
 * `(customer_id, id)`, order foreign key `(customer_id, order_id)`, migration 0015). Its AFTER INSERT trigger
 * counts the use and enforces the limits.
 */
export const PromotionRedemption = defineEntity({
  name: 'PromotionRedemption',
  tableName: 'promotion_redemptions',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade').primary(),
    id: uuidPrimaryKey(),
    promotionId: p.manyToOne(PromotionCode).mapToPk().fieldName('promotion_id').deleteRule('no action'),
    orderId: p.uuid(),
    discountAmount: money(),
    createdAt: createdAt(),
    /** The composite foreign key `(customer_id, order_id)`; never loaded: read `orderId`. */
    order: p.manyToOne(Order).joinColumns('customer_id', 'order_id').foreignKeyName('promotion_redemptions_order_id_foreign').deleteRule('cascade').updateRule('no action').nullable(),
  },
  primaryKeys: ['customerId', 'id'],
  uniques: [{ name: 'promotion_redemptions_order_id_unique', properties: ['customerId', 'orderId'] }],
  indexes: [
    { name: 'promotion_redemptions_id_index', properties: ['id'] },{ name: 'promotion_redemptions_promotion_customer_index', properties: ['promotionId', 'customerId'] }],
  checks: [{ name: 'promotion_redemptions_discount_amount_check', expression: 'discount_amount >= 0' }],
});
/** A row of `promotion_redemptions`. */
export type PromotionRedemption = InferEntity<typeof PromotionRedemption>;

/**
 * Table `tax_rules` (migration 0012): a tax rate (percent, 0..100, two decimals — not money) for a
 * country (ISO 3166-1 alpha-2) and optionally a region ('' = the whole country), unique per
 * country and region whatever its case; `reverseCharge` exempts customers with a valid tax number.
 */
export const TaxRule = defineEntity({
  name: 'TaxRule',
  tableName: 'tax_rules',
  properties: {
    id: uuidPrimaryKey(),
    country: p.string().length(2),
    region: p.string().length(64).default(''),
    rate: p.decimal('string').precision(5).scale(2),
    reverseCharge: p.boolean().default(false),
    name: p.string().length(100),
    isActive: p.boolean().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  uniques: [{ name: 'tax_rules_country_region_unique', expression: 'create unique index tax_rules_country_region_unique on tax_rules (country, lower(region))' }],
  checks: [
    { name: 'tax_rules_country_check', expression: "country ~ '^[A-Z]{2}$'" },
    { name: 'tax_rules_rate_check', expression: 'rate >= 0 and rate <= 100' },
  ],
});
/** A row of `tax_rules`. */
export type TaxRule = InferEntity<typeof TaxRule>;
