import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt } from './columns.ts';

/**
 * Table `global_unique_keys` (migration 0015): the values that must be unique across all customers
 * although the rows holding them are distributed by customer (Citus cannot enforce a unique index
 * that does not contain the distribution column). A Citus reference table; written only by the row
 * triggers of `customers`, `customer_users` and `instances`, in the transaction of the row change.
 *
 * - `scope`: the unique rule, named as the unique index it replaced: `customers_email_lower_unique`,
 *   `customers_customer_code_lower_unique`, `customer_users_username_unique`,
 *   `customer_users_email_lower_unique`, `instances_provider_interface_id_provider_instance_id_unique`.
 * - `key`: the normalised value (lower-case e-mail or code, exact username,
 *   `<provider interface id>/<provider instance id>`); primary key `(scope, key)`.
 * - `customerId` / `rowId`: the owner (for customers both are the customer's id). No foreign
 *   keys: a reference table cannot point at a distributed one.
 */
export const GlobalUniqueKey = defineEntity({
  name: 'GlobalUniqueKey',
  tableName: 'global_unique_keys',
  properties: {
    scope: p.string().length(63).primary(),
    key: p.string().length(512).primary(),
    customerId: p.uuid(),
    rowId: p.uuid(),
    createdAt: createdAt(),
  },
  primaryKeys: ['scope', 'key'],
  indexes: [{ name: 'global_unique_keys_customer_id_index', properties: ['customerId'] }],
});
/** A row of `global_unique_keys`. */
export type GlobalUniqueKey = InferEntity<typeof GlobalUniqueKey>;
