/**
 * The audit trail of admin changes (`operation_logs`): who did what to which record, from where,
 * under which request, and what changed. An application service adds its audit row to the same
 * entity manager as the change and flushes both in one transaction, so there is never a change
 * without its row or a row without its change.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { OperationLog } from '../persistence/entities/operation-logs.ts';
import type { Origin } from '../domain/origin.ts';

/** One field's change: the value before and after (never a secret). */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/**
 * The fields of `fields` whose value differs between `before` and `after` (compared as JSON), as
 * `{ field: { from, to } }`. Pure.
 */
export function changedFields<T extends object>(before: T, after: T, fields: readonly (keyof T & string)[]): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const field of fields) {
    const from: unknown = before[field];
    const to: unknown = after[field];
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}

/**
 * Adds an audit row to `em` (persisted by the caller's flush, in its transaction).
 * @param action a dotted verb, e.g. `customer.update`
 * @param details what changed, e.g. `{ changes: changedFields(…) }`; never secrets
 */
export function recordAudit(
  em: EntityManager,
  origin: Origin,
  entry: { action: string; targetType: string; targetId: string; details?: Record<string, unknown> },
): void {
  em.create(OperationLog, auditColumns(origin, entry));
}

/** The columns of an audit row (`operation_logs`, without id and time), for raw SQL writers too. */
export function auditColumns(origin: Origin, entry: { action: string; targetType: string; targetId: string; details?: Record<string, unknown> }): {
  adminUserId: string | null; adminUsername: string; action: string; targetType: string; targetId: string; details: Record<string, unknown>;
  clientAddress: string | null; requestId: string | null;
} {
  const caller = origin.caller;
  return {
    adminUserId: caller.kind === 'admin' ? caller.userId : null,
    adminUsername: caller.kind === 'admin' ? caller.username : '',
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: { ...entry.details, caller: caller.kind },
    clientAddress: origin.clientAddress.slice(0, 64) || null,
    requestId: origin.requestId || null,
  };
}
