import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, jsonColumn } from './columns.ts';

/**
 * Table `customer_commands`: the outcome of every command a customer actor applied, by its
 * idempotency key, written in the same transaction as the command's effects — so a command retried
 * with the same key (after an ask timed out, or by a client sending `idempotency-key`) returns the
 * first outcome instead of applying twice, also after the actor was stopped or moved.
 *
 * - Primary key `(customer_id, idempotency_key)`: keys are scoped by customer (and the table
 *   distributes by `customer_id`, like every customer-owned table). No foreign key: the outcome of a
 *   deletion outlives the customer row.
 * - `commandType` is the command's `type` (`create`, `update`, `delete`, …); `outcome` the reply
 *   the first attempt gave (JSON).
 */
export const CustomerCommand = defineEntity({
  name: 'CustomerCommand',
  tableName: 'customer_commands',
  properties: {
    customerId: p.uuid().primary(),
    idempotencyKey: p.string().length(128).primary(),
    commandType: p.string().length(32),
    outcome: jsonColumn<Record<string, unknown>>(() => ({})),
    createdAt: createdAt(),
  },
  indexes: [{ name: 'customer_commands_idempotency_key_index', properties: ['idempotencyKey'] }],
});
/** A row of `customer_commands`. */
export type CustomerCommand = InferEntity<typeof CustomerCommand>;
