import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, jsonColumn, uuidPrimaryKey } from './columns.ts';

/**
 * Table `operation_logs`: append-only audit trail of admin changes (who changed what, when, from
 * where).
 *
 * - `adminUserId` / `adminUsername`: the acting admin (id null for the CLI or the system); the
 *   username is copied so the entry stays readable after the user is deleted. No foreign keys:
 *   audit rows are never changed by deleting what they mention.
 * - `action`: what was done, e.g. the RPC (`rustbill.customer.CustomerService/UpdateCustomer`) or a
 *   dotted verb (`customer.update`). `targetType` + `targetId` name the changed thing.
 * - `details`: JSON object with the change (e.g. changed fields), never secrets.
 * - Not customer-owned (no `customer_id`).
 */
export const OperationLog = defineEntity({
  name: 'OperationLog',
  tableName: 'operation_logs',
  properties: {
    id: uuidPrimaryKey(),
    adminUserId: p.uuid().nullable(),
    adminUsername: p.string().length(64).default(''),
    action: p.string().length(128),
    targetType: p.string().length(64).default(''),
    targetId: p.string().length(255).nullable(),
    details: jsonColumn<Record<string, unknown>>(() => ({})),
    clientAddress: p.string().length(64).nullable(),
    requestId: p.string().length(64).nullable(),
    createdAt: createdAt(),
  },
  indexes: [
    { name: 'operation_logs_created_at_index', properties: ['createdAt'] },
    { name: 'operation_logs_target_index', properties: ['targetType', 'targetId'] },
    { name: 'operation_logs_admin_user_id_created_at_index', properties: ['adminUserId', 'createdAt'] },
  ],
});
/** A row of `operation_logs`. */
export type OperationLog = InferEntity<typeof OperationLog>;
