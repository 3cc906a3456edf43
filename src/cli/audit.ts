/**
 * Audit rows of the CLI's changes (`operation_logs`, src/application/audit.ts): the same actions,
 * target types and details the server writes for the same change, with the actor `cli` (no admin
 * user id, `admin_username` "cli", `details.caller` "cli" plus the operating-system user who ran
 * it). Added to the caller's entity manager, so the row commits with the change.
 */
import { userInfo } from 'node:os';
import type { EntityManager } from '@mikro-orm/postgresql';
import { auditColumns } from '../application/audit.ts';
import { SYSTEM_ORIGIN } from '../domain/origin.ts';
import { OperationLog } from '../persistence/entities/operation-logs.ts';

/** `operation_logs.admin_username` of CLI changes. */
export const CLI_ACTOR = 'cli';

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/**
 * Adds the audit row of a CLI change to `em` (persisted by the caller's flush, in its transaction).
 * @param entry as recordAudit: a dotted action, the target, details without secrets
 */
export function recordCliAudit(em: EntityManager, entry: { action: string; targetType: string; targetId: string; details?: Record<string, unknown> }): void {
  const columns = auditColumns(SYSTEM_ORIGIN, entry);
  em.create(OperationLog, { ...columns, adminUsername: CLI_ACTOR, details: { ...entry.details, caller: CLI_ACTOR, osUser: osUser() } });
}
