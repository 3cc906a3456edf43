/**
 * Reading the audit trail (`operation_logs`) for IntegrationService/ListOperationLogs (a NodeBill
 * extension, issue 12): newest first, paginated, filtered by action prefix, target, admin user
 * name and time range. Read-only: the rows are written by the application services themselves
 * (src/application/audit.ts), in the transaction of their change.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { invalid } from '../../domain/errors.ts';
import { parseInstant } from '../../domain/billing/service-period.ts';
import type { Page } from '../../domain/pagination.ts';
import { OperationLog } from '../../persistence/entities/operation-logs.ts';

/** The filters as the request sends them: `undefined` or `''` mean "do not filter". */
export interface OperationLogQuery {
  /** Action prefix, e.g. `ticket.` (matched literally: `%` and `_` are no wildcards). */
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  adminUsername?: string | undefined;
  /** RFC3339; entries at or after it. */
  from?: string | undefined;
  /** RFC3339; entries before it. */
  to?: string | undefined;
}

/** The checked filters. */
export interface OperationLogFilter {
  actionPrefix?: string;
  targetType?: string;
  targetId?: string;
  adminUsername?: string;
  from?: Date;
  to?: Date;
}

/** The longest values the columns hold (a longer filter could never match: refused as a mistake). */
const LIMITS = { action: 128, target_type: 64, target_id: 255, admin_username: 64 } as const;

/** `text` trimmed, or undefined when empty. @throws DomainError invalid_argument naming `field` when longer than `max` */
function textFilter(field: keyof typeof LIMITS, text: string | undefined): string | undefined {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return undefined;
  const length = [...trimmed].length;
  if (length > LIMITS[field]) throw invalid(`${field} must be at most ${LIMITS[field]} characters (got ${length})`);
  if (/[\u0000-\u001f]/.test(trimmed)) throw invalid(`${field} must not contain control characters`);
  return trimmed;
}

/** An RFC3339 instant, or undefined when empty. @throws DomainError invalid_argument naming `field` */
function instantFilter(field: 'from' | 'to', text: string | undefined): Date | undefined {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return undefined;
  const date = parseInstant(trimmed);
  if (date === null || date.getUTCFullYear() < 2000 || date.getUTCFullYear() > 9999) {
    throw invalid(`${field} must be an RFC3339 timestamp between 2000 and 9999 such as "2026-03-01T00:00:00Z" (got "${trimmed.slice(0, 40)}")`);
  }
  return date;
}

/**
 * The checked filters of `query`. Pure.
 * @throws DomainError invalid_argument naming the field: a filter longer than its column, a time
 *   that is not RFC3339, or `to` not after `from`
 */
export function operationLogFilter(query: OperationLogQuery): OperationLogFilter {
  const actionPrefix = textFilter('action', query.action);
  const targetType = textFilter('target_type', query.targetType);
  const targetId = textFilter('target_id', query.targetId);
  const adminUsername = textFilter('admin_username', query.adminUsername);
  const from = instantFilter('from', query.from);
  const to = instantFilter('to', query.to);
  if (from !== undefined && to !== undefined && to.getTime() <= from.getTime()) {
    throw invalid(`to must be after from (from ${query.from?.trim() ?? ''}, to ${query.to?.trim() ?? ''})`);
  }
  return {
    ...(actionPrefix !== undefined ? { actionPrefix } : {}),
    ...(targetType !== undefined ? { targetType } : {}),
    ...(targetId !== undefined ? { targetId } : {}),
    ...(adminUsername !== undefined ? { adminUsername } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  };
}

/** `text` as a LIKE literal (its `\`, `%` and `_` escaped). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** See the file comment. */
export class OperationLogs {
  private readonly orm: MikroORM;

  constructor(deps: { orm: MikroORM }) {
    this.orm = deps.orm;
  }

  /**
   * One page of entries matching `query`, newest first (ties by id, newest first), and how many
   * match in all.
   * @throws DomainError invalid_argument naming the field (see {@link operationLogFilter})
   */
  async list(query: OperationLogQuery, page: Page): Promise<{ entries: OperationLog[]; total: number }> {
    const filter = operationLogFilter(query);
    const createdAt: { $gte?: Date; $lt?: Date } = {};
    if (filter.from) createdAt.$gte = filter.from;
    if (filter.to) createdAt.$lt = filter.to;
    const where = {
      ...(filter.actionPrefix !== undefined ? { action: { $like: `${likeLiteral(filter.actionPrefix)}%` } } : {}),
      ...(filter.targetType !== undefined ? { targetType: filter.targetType } : {}),
      ...(filter.targetId !== undefined ? { targetId: filter.targetId } : {}),
      ...(filter.adminUsername !== undefined ? { adminUsername: filter.adminUsername } : {}),
      ...(filter.from || filter.to ? { createdAt } : {}),
    };
    const [entries, total] = await this.orm.em.fork().findAndCount(OperationLog, where, {
      orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.pageSize, offset: page.offset,
    });
    return { entries, total };
  }
}
