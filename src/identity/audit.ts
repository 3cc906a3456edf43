import type { MikroORM } from '@mikro-orm/postgresql';
import type { CallContext } from '../grpc/context.ts';
import { OperationLog } from '../persistence/entities/operation-logs.ts';

/**
 * The audit trail of admin changes (operation_logs, migration 002 of the handbook): who did what to
 * which record, from where, under which request id. Secrets never go into `details`.
 */
export class AuditLog {
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  /** Records one change made by the caller of `call`. */
  async record(call: CallContext, action: string, targetType: string, targetId: string, details: Record<string, unknown>): Promise<void> {
    const em = this.orm.em.fork();
    const caller = call.caller;
    em.create(OperationLog, {
      adminUserId: caller.kind === 'admin' ? caller.userId : null,
      adminUsername: caller.kind === 'admin' ? caller.username : '',
      action,
      targetType,
      targetId,
      details: { ...details, caller: caller.kind },
      clientAddress: call.clientAddress.slice(0, 64) || null,
      requestId: call.requestId,
    });
    await em.flush();
  }
}
