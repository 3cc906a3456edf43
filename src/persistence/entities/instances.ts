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
 * - `orderId` is UNIQUE: at most one instance per order, which makes provisioning idempotent (a
 *   retried provisioning job cannot create a second instance). Null for instances imported from an
 *   upstream without an order. Deleting an order with an instance is refused.
 * - `(providerInterfaceId, providerInstanceId)` is UNIQUE: an upstream instance is imported once.
 * - `serverSpec` is the `map<string,string>` of `InstanceInfo.server_spec`.
 * - `terminatedAt` is set when the instance reached `terminated`.
 * - `statusCheckedAt` is when its provider was last asked for its status (null: never).
 */
export const Instance = defineEntity({
  name: 'Instance',
  tableName: 'instances',
  properties: {
    id: uuidPrimaryKey(),
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('no action'),
    orderId: p.manyToOne(Order).mapToPk().fieldName('order_id').nullable().deleteRule('no action'),
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
  },
  uniques: [
    { name: 'instances_order_id_unique', properties: ['orderId'] },
    {
      name: 'instances_provider_interface_id_provider_instance_id_unique',
      properties: ['providerInterfaceId', 'providerInstanceId'],
    },
  ],
  indexes: [
    { name: 'instances_customer_id_created_at_index', properties: ['customerId', 'createdAt'] },
    { name: 'instances_status_created_at_index', properties: ['status', 'createdAt'] },
  ],
});
/** A row of `instances`. */
export type Instance = InferEntity<typeof Instance>;
