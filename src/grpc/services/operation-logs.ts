import type { MessageInitShape } from '@bufbuild/protobuf';
import type { OperationLogs } from '../../application/system/operation-logs.ts';
import { IntegrationService, type OperationLogEntrySchema } from '../../gen/rustbill/integration_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { OperationLog } from '../../persistence/entities/operation-logs.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/** `OperationLogEntry` of an `operation_logs` row (empty strings for absent values). */
export function operationLogEntry(row: OperationLog): MessageInitShape<typeof OperationLogEntrySchema> {
  return {
    id: row.id,
    adminUserId: row.adminUserId ?? '',
    adminUsername: row.adminUsername,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId ?? '',
    detailsJson: JSON.stringify(row.details),
    clientAddress: row.clientAddress ?? '',
    requestId: row.requestId ?? '',
    createdAt: rfc3339(row.createdAt),
  };
}

/**
 * IntegrationService/ListOperationLogs, a NodeBill extension (issue 12; permission `admin`): the
 * audit trail, newest first, filtered and paginated. Merged into the IntegrationService
 * registration (src/grpc/services/index.ts); the filters are checked by
 * src/application/system/operation-logs.ts.
 */
export function operationLogHandlers(logs: OperationLogs): ServiceHandlers<typeof IntegrationService> {
  return {
    async listOperationLogs(request) {
      const page = resolvePage(request.pagination);
      const { entries, total } = await logs.list({
        action: request.action, targetType: request.targetType, targetId: request.targetId, adminUsername: request.adminUsername, from: request.from, to: request.to,
      }, page);
      return { entries: entries.map(operationLogEntry), meta: pageMeta(page, total) };
    },
  };
}
