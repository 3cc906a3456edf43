import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, jsonColumn, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';
import { Product } from './catalog.ts';
import { Order } from './orders.ts';
import { INSTANCE_STATUSES } from '../../domain/provisioning/instances.ts';

/** Instance states (src/domain/provisioning); `terminated` is final. */
export { INSTANCE_STATUSES, type InstanceStatus } from '../../domain/provisioning/instances.ts';

/**
 * Table `instances` (`InstanceInfo`): provisioned servers. Customer-owned (`customerId` NOT NULL).
 *
 * - Primary key `(customer_id, id)` (Citus: distributed by `customer_id`), plain index on `id`.
 * - `(customerId, orderId)` is UNIQUE: at most one instance per order (an order has one customer),
 *   which makes provisioning idempotent (a retried provisioning job cannot create a second
 *   instance). Null for instances imported from an upstream without an order. The order's foreign
 *   key is `(customer_id, order_id)`; deleting an order with an instance is refused.
 * - `(providerInterfaceId, providerInstanceId)` is unique across all customers (through
 *   `global_unique_keys`, migration 0015): an upstream instance is imported once, one owner.
 * - `serverSpec` is the `map<string,string>` of `InstanceInfo.server_spec`.
 * - `terminatedAt` is set when the instance reached `terminated`.
 * - `statusCheckedAt` is when its provider was last asked for its status (null: never).
 */
export const Instance = defineEntity({
  name: 'Instance',
  tableName: 'instances',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('no action').primary(),
    id: uuidPrimaryKey(),
    orderId: p.uuid().nullable(),
    productId: p.manyToOne(Product).mapToPk().fieldName('product_id').nullable().deleteRule('set null'),
    productName: p.string().length(255).default(''),
    providerInterfaceId: p.uuid().nullable(),
    providerInstanceId: p.string().length(255).nullable(),
    status: p.enum(INSTANCE_STATUSES).default('provisioning'),
    ipAddress: p.string().length(255).default(''),
    serverSpec: jsonColumn<Record<string, string>>(() => ({})),
    terminatedAt: optionalTime(),
    statusCheckedAt: optionalTime(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** The composite foreign key `(customer_id, order_id)`; never loaded: read `orderId`. */
    order: p.manyToOne(Order).joinColumns('customer_id', 'order_id').foreignKeyName('instances_order_id_foreign').deleteRule('no action').updateRule('no action').nullable(),
  },
  primaryKeys: ['customerId', 'id'],
  uniques: [{ name: 'instances_order_id_unique', properties: ['customerId', 'orderId'] }],
  indexes: [
    { name: 'instances_id_index', properties: ['id'] },
    // Unique across customers through global_unique_keys (migration 0015).
    { name: 'instances_provider_interface_id_provider_instance_id_index', properties: ['providerInterfaceId', 'providerInstanceId'] },
    { name: 'instances_customer_id_created_at_index', properties: ['customerId', 'createdAt'] },
    { name: 'instances_status_created_at_index', properties: ['status', 'createdAt'] },
  ],
});
/** A row of `instances`. */
export type Instance = InferEntity<typeof Instance>;
