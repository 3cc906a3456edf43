import type { MessageInitShape } from '@bufbuild/protobuf';
import type { InstanceManagement, InstanceView } from '../../application/provisioning/instances.ts';
import { INSTANCE_STATUSES } from '../../domain/provisioning/instance-lifecycle.ts';
import {
  InstanceService, type InstanceActionSchema, type InstanceDetailSectionSchema, type InstanceInfoSchema,
} from '../../gen/rustbill/instance_pb.ts';
import type { DetailSectionData, InstanceActionData } from '../../plugins/registry/results.ts';
import { oneOf, optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/** `InstanceInfo` of an instance (extra-services.md: fixed field numbers 1-12). */
export function instanceInfo(instance: InstanceView): MessageInitShape<typeof InstanceInfoSchema> {
  return {
    id: instance.id,
    orderId: instance.orderId,
    customerId: instance.customerId,
    productId: instance.productId,
    providerInterfaceId: instance.providerInterfaceId,
    providerInstanceId: instance.providerInstanceId,
    status: instance.status,
    ipAddress: instance.ipAddress,
    serverSpec: instance.serverSpec,
    productName: instance.productName,
    createdAt: instance.createdAt,
    updatedAt: instance.updatedAt,
  };
}

/** `InstanceDetailSection` of a plugin's detail section (fixed 1-3, ours 4-7). */
export function detailSection(section: DetailSectionData): MessageInitShape<typeof InstanceDetailSectionSchema> {
  return {
    title: section.title,
    fields: section.fields.map((field) => ({ key: field.key, value: field.value, valueType: field.valueType })),
    contentHtml: section.contentHtml,
    kind: section.kind,
    order: section.order,
    iframeUrl: section.iframeUrl,
    dataJson: section.dataJson,
  };
}

/** `InstanceAction` of a plugin's action. */
export function instanceAction(action: InstanceActionData): MessageInitShape<typeof InstanceActionSchema> {
  return { id: action.id, label: action.label, style: action.style, confirmation: action.confirmation, enabled: action.enabled };
}

/**
 * InstanceService, all 7 RPCs (extra-services.md, rustbill.instance.InstanceService; admins all,
 * customers and API keys their own — authz.ts): reads the request, calls the instance application
 * service (src/application/provisioning/instances.ts), maps its answer. A malformed id is
 * InvalidArgument; another customer's instance NotFound.
 */
export function instanceHandlers(instances: InstanceManagement): ServiceHandlers<typeof InstanceService> {
  return {
    async listInstances(request, call) {
      const page = resolvePage(request.pagination);
      const customerId = optionalUuidField('customer_id', request.customerId);
      const status = oneOf('status', request.status, INSTANCE_STATUSES);
      const providerInterfaceId = optionalUuidField('provider_interface_id', request.providerInterfaceId);
      const { instances: found, total } = await instances.list(call, {
        ...(customerId !== undefined ? { customerId } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(providerInterfaceId !== undefined ? { providerInterfaceId } : {}),
      }, page);
      return { instances: found.map(instanceInfo), meta: pageMeta(page, total) };
    },

    async getInstance(request, call) {
      const detail = await instances.get(call, uuidField('id', request.id));
      return { instance: instanceInfo(detail.instance), sections: detail.sections.map(detailSection), actions: detail.actions.map(instanceAction) };
    },

    async startInstance(request, call) {
      return { instance: instanceInfo(await instances.power(call, uuidField('id', request.id), 'start')) };
    },

    async stopInstance(request, call) {
      return { instance: instanceInfo(await instances.power(call, uuidField('id', request.id), 'stop')) };
    },

    async restartInstance(request, call) {
      return { instance: instanceInfo(await instances.power(call, uuidField('id', request.id), 'restart')) };
    },

    async terminateInstance(request, call) {
      return { instance: instanceInfo(await instances.terminate(call, uuidField('id', request.id))) };
    },

    async executeInstanceAction(request, call) {
      const result = await instances.execute(call, uuidField('id', request.id), request.action);
      return { success: result.success, message: result.message, data: result.data };
    },
  };
}
