import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Logger } from 'pino';
import {
  IntegrationService, type PluginDefSchema, type PluginInterfaceInfoSchema, type ProviderInfoSchema,
} from '../../gen/rustbill/integration_pb.ts';
import type { ServerSpec } from '../../gen/rustbill/order_pb.ts';
import type { Identity } from '../../identity/module.ts';
import { isUuid } from '../../lib/ids.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { Plugin, PluginInterface } from '../../persistence/entities/plugins.ts';
import { maskSecrets } from '../../plugins/registry/config-schema.ts';
import { PluginRegistryError } from '../../plugins/registry/errors.ts';
import type { PluginRegistry, ServerSpecInput } from '../../plugins/registry/registry.ts';
import { PLUGIN_TYPES, PluginError, type PluginType } from '../../plugins/types.ts';
import type { CallContext } from '../context.ts';
import { Code, ConnectError, failedPrecondition, invalidArgument, permissionDenied, unavailable } from '../errors.ts';
import type { ServiceHandlers } from '../handlers.ts';

/** What IntegrationService needs. */
export interface IntegrationDeps {
  identity: Identity;
  plugins: { registry: PluginRegistry };
  cluster: { restartServer(requestedBy: string): Promise<{ alreadyRunning: boolean }> };
}

const PROVIDER_TYPES: readonly PluginType[] = ['first_party_provider', 'upstream_provider'];

function requireUuid(field: string, value: string): void {
  if (value === '') throw invalidArgument(`${field} is required`);
  if (!isUuid(value)) throw invalidArgument(`${field} "${value.slice(0, 64)}" is not a UUID`);
}

function requireInstanceId(value: string): string {
  const id = value.trim();
  if (id === '') throw invalidArgument('instance_id is required (the upstream instance id)');
  if (id.length > 255) throw invalidArgument(`instance_id must be at most 255 characters, got ${id.length}`);
  if (/\p{Cc}/u.test(id)) throw invalidArgument('instance_id must not contain control characters');
  return id;
}

function pluginTypeFilter(value: string | undefined): PluginType | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(PLUGIN_TYPES as readonly string[]).includes(value)) {
    throw invalidArgument(`plugin_type must be one of ${PLUGIN_TYPES.map((type) => `"${type}"`).join(', ')}, got "${value.slice(0, 40)}"`);
  }
  return value as PluginType;
}

function checkSpec(prefix: string, spec: Pick<ServerSpec, 'cpuCores' | 'memoryGb' | 'diskGb' | 'bandwidthMbps' | 'region' | 'os' | 'extraSpecs'>): ServerSpecInput {
  if (spec.cpuCores === 0) throw invalidArgument(`${prefix}cpu_cores must be at least 1`);
  if (spec.memoryGb === 0) throw invalidArgument(`${prefix}memory_gb must be at least 1`);
  if (spec.region.trim() === '') throw invalidArgument(`${prefix}region is required`);
  if (spec.os.trim() === '') throw invalidArgument(`${prefix}os is required`);
  return {
    cpuCores: spec.cpuCores,
    memoryGb: spec.memoryGb,
    diskGb: spec.diskGb,
    bandwidthMbps: spec.bandwidthMbps,
    region: spec.region.trim(),
    os: spec.os.trim(),
    extraSpecs: { ...spec.extraSpecs },
  };
}

/** Whether the caller may read secret config fields (`format: "password"`): admins with role admin. */
function seesSecrets(call: CallContext): boolean {
  return call.caller.kind === 'admin' && call.caller.role === 'admin';
}

/**
 * Refuses a script change by an operator. A script decides what happens to the config, secrets
 * included (it could drop `format: "password"` from its schema, or return its config), so only the
 * admin role, who may read the secrets anyway, may set one.
 * @throws PermissionDenied for any caller but an admin with role admin
 */
function requireScriptAuthor(call: CallContext): void {
  if (!seesSecrets(call)) {
    throw permissionDenied('script_source may only be set by users with the admin role (operators may change config_json, enable, disable and health-check)');
  }
}

/** `PluginDef` of a plugins row. */
export function pluginDef(row: Plugin): MessageInitShape<typeof PluginDefSchema> {
  return {
    id: row.id,
    pluginType: row.pluginType,
    pluginId: row.pluginId,
    hasAdminPage: row.hasAdminPage,
    createdAt: rfc3339(row.createdAt),
    updatedAt: rfc3339(row.updatedAt),
    version: row.version,
  };
}

/**
 * `PluginInterfaceInfo` of a plugin_interfaces row. Secret config fields are `""` unless
 * `secrets`; `script_source` only with `withSource`.
 */
export function pluginInterfaceInfo(row: PluginInterface, options: { secrets: boolean; withSource: boolean }): MessageInitShape<typeof PluginInterfaceInfoSchema> {
  const config = options.secrets ? row.config : maskSecrets(row.config, row.configSchema);
  return {
    id: row.id,
    pluginDefId: row.pluginDefId ?? '',
    pluginType: row.pluginType,
    pluginId: row.pluginId,
    displayName: row.displayName,
    enabled: row.enabled,
    configJson: JSON.stringify(config),
    configSchema: JSON.stringify(row.configSchema),
    createdAt: rfc3339(row.createdAt),
    updatedAt: rfc3339(row.updatedAt),
    isHealthy: row.isHealthy,
    ...(row.healthError !== null && row.healthError !== undefined ? { healthError: row.healthError } : {}),
    ...(row.lastCheckAt ? { lastCheckAt: rfc3339(row.lastCheckAt) } : {}),
    hasAdminPage: row.hasAdminPage,
    pluginVersion: row.pluginVersion,
    ...(options.withSource ? { scriptSource: row.scriptSource } : {}),
  };
}

const REGISTRY_CODES: Record<PluginRegistryError['kind'], Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
};

function clip(message: string): string {
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

/**
 * The gRPC status of a registry refusal or plugin failure (admin-readable, no stack traces):
 * syntax/contract/forbidden → FailedPrecondition (fix the script), memory → FailedPrecondition,
 * timeout/host_error → Unavailable (retry later), script_error → FailedPrecondition with the
 * script's own message. Anything else is rethrown (→ Internal with the request id).
 */
export function toStatus(error: unknown): unknown {
  if (error instanceof PluginRegistryError) return new ConnectError(clip(error.message), REGISTRY_CODES[error.kind]);
  if (!(error instanceof PluginError)) return error;
  const message = clip(error.message);
  switch (error.kind) {
    case 'timeout':
      return unavailable(`the plugin did not finish within its time limit (${message}); try again later`);
    case 'host_error':
      return unavailable(`the plugin's outbound call failed: ${message}; try again later`);
    case 'script_error':
      return failedPrecondition(`the plugin reported an error: ${message}`);
    case 'memory':
      return failedPrecondition(`the plugin script exceeded its memory limit: ${message}`);
    case 'syntax':
    case 'contract':
    case 'forbidden':
      return failedPrecondition(`the plugin script cannot run (${error.kind}): ${message}; fix the script`);
  }
}

/**
 * IntegrationService, all 22 RPCs (integration-service.md; plugin guide of rustbill-docs.md):
 * plugin definitions (ListPlugins/GetPlugin, filled by the PluginScanner), plugin interface CRUD with
 * JSON Schema checked configs, health checks, admin pages and the admin-page action bridge, the
 * enabled-interface lists for front-ends (no secrets), rolling restart, and the provider
 * operations (sync_products, query_price, create_instance, get_instance_status,
 * sync_upstream_instances, import_upstream_instance, get_upstream_balance).
 *
 * Errors: InvalidArgument for malformed ids and inputs (naming the field), NotFound for unknown
 * ids (and disabled providers), AlreadyExists for a taken display name, FailedPrecondition for
 * state conflicts and script failures, Unavailable for plugin timeouts and failing upstreams.
 * Secret config fields are only shown to admins with role admin, and only they may set a script
 * (`script_source`) or call script functions (CallPluginAction): a script can reveal the config it
 * runs with. Admin changes go to operation_logs; script changes with the SHA-256 of the source.
 */
export function integrationHandlers(deps: IntegrationDeps): ServiceHandlers<typeof IntegrationService> {
  const { identity, cluster } = deps;
  const registry = deps.plugins.registry;
  const log: Logger = identity.log.child({ service: 'integration' });

  /** Runs `work`, translating registry refusals and plugin failures into gRPC statuses. */
  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStatus(error);
    }
  }

  return {
    async listProviders() {
      return guarded(async () => {
        const rows = await registry.listInterfaces({ pluginTypes: PROVIDER_TYPES, enabledOnly: true });
        const providers = await Promise.all(
          rows.map(async (row): Promise<MessageInitShape<typeof ProviderInfoSchema>> => {
            let specTemplate: MessageInitShape<typeof ProviderInfoSchema>['specTemplate'] = { fields: [], groups: [] };
            try {
              specTemplate = await registry.specTemplate(row);
            } catch (error) {
              log.warn({ interfaceId: row.id, error: error instanceof Error ? error.message : String(error) }, 'spec_template() failed; listing the provider without a template');
            }
            return {
              interfaceId: row.id,
              providerName: row.displayName,
              providerType: row.pluginType === 'upstream_provider' ? 'upstream' : 'first_party',
              isHealthy: row.isHealthy,
              specTemplate,
            };
          }),
        );
        return { providers };
      });
    },

    async listGateways() {
      const rows = await registry.listInterfaces({ pluginTypes: ['gateway'], enabledOnly: true });
      return { gateways: rows.map((row) => ({ gatewayId: row.id, gatewayName: row.displayName, isHealthy: row.isHealthy })) };
    },

    async listNotifiers() {
      const rows = await registry.listInterfaces({ pluginTypes: ['notifier'], enabledOnly: true });
      return { notifiers: rows.map((row) => ({ channelId: row.id, channelName: row.displayName, isHealthy: row.isHealthy })) };
    },

    async listPlugins(request) {
      const rows = await registry.listPlugins(pluginTypeFilter(request.pluginType));
      return { plugins: rows.map(pluginDef) };
    },

    async getPlugin(request) {
      requireUuid('id', request.id);
      return guarded(async () => ({ plugin: pluginDef(await registry.getPlugin(request.id)) }));
    },

    async listPluginInterfaces(request, call) {
      const type = pluginTypeFilter(request.pluginType);
      const rows = await registry.listInterfaces(type ? { pluginTypes: [type] } : {});
      const secrets = seesSecrets(call);
      return { interfaces: rows.map((row) => pluginInterfaceInfo(row, { secrets, withSource: false })) };
    },

    async getPluginInterface(request, call) {
      requireUuid('interface_id', request.interfaceId);
      return guarded(async () => ({
        interface: pluginInterfaceInfo(await registry.getInterface(request.interfaceId), { secrets: seesSecrets(call), withSource: true }),
      }));
    },

    async createPluginInterface(request, call) {
      requireUuid('plugin_def_id', request.pluginDefId);
      if (request.scriptSource !== undefined) requireScriptAuthor(call);
      return guarded(async () => {
        const row = await registry.createInterface({
          pluginDefId: request.pluginDefId,
          displayName: request.displayName,
          configJson: request.configJson,
          ...(request.scriptSource !== undefined ? { scriptSource: request.scriptSource } : {}),
        });
        await identity.audit.record(call, 'plugin_interface.create', 'plugin_interface', row.id, {
          pluginType: row.pluginType, pluginId: row.pluginId, displayName: row.displayName, ownScript: request.scriptSource !== undefined,
          scriptSha256: row.scriptHash,
        });
        return { interface: pluginInterfaceInfo(row, { secrets: seesSecrets(call), withSource: true }) };
      });
    },

    async updatePluginInterface(request, call) {
      requireUuid('interface_id', request.interfaceId);
      if (request.configJson === undefined && request.displayName === undefined && request.scriptSource === undefined) {
        throw invalidArgument('nothing to update: set config_json, display_name and/or script_source');
      }
      if (request.scriptSource !== undefined) requireScriptAuthor(call);
      return guarded(async () => {
        const { row, changed } = await registry.updateInterface(request.interfaceId, {
          ...(request.configJson !== undefined ? { configJson: request.configJson } : {}),
          ...(request.displayName !== undefined ? { displayName: request.displayName } : {}),
          ...(request.scriptSource !== undefined ? { scriptSource: request.scriptSource } : {}),
          keepSecrets: !seesSecrets(call),
        });
        if (changed.length > 0) {
          const script = changed.includes('script_source') ? { scriptSha256: row.scriptHash } : {};
          await identity.audit.record(call, 'plugin_interface.update', 'plugin_interface', row.id, { changes: changed, ...script });
        }
        return { interface: pluginInterfaceInfo(row, { secrets: seesSecrets(call), withSource: true }) };
      });
    },

    async togglePluginInterface(request, call) {
      requireUuid('interface_id', request.interfaceId);
      return guarded(async () => {
        const { row, changed } = await registry.setEnabled(request.interfaceId, request.enable);
        if (changed) await identity.audit.record(call, request.enable ? 'plugin_interface.enable' : 'plugin_interface.disable', 'plugin_interface', row.id, { displayName: row.displayName });
        return { interface: pluginInterfaceInfo(row, { secrets: seesSecrets(call), withSource: true }) };
      });
    },

    async deletePluginInterface(request, call) {
      requireUuid('interface_id', request.interfaceId);
      return guarded(async () => {
        const row = await registry.deleteInterface(request.interfaceId);
        await identity.audit.record(call, 'plugin_interface.delete', 'plugin_interface', row.id, {
          pluginType: row.pluginType, pluginId: row.pluginId, displayName: row.displayName,
        });
        return {};
      });
    },

    async checkPluginHealth(request, call) {
      requireUuid('interface_id', request.interfaceId);
      return guarded(async () => {
        const result = await registry.checkHealth(request.interfaceId);
        await identity.audit.record(call, 'plugin_interface.health_check', 'plugin_interface', request.interfaceId, { healthy: result.healthy });
        return { isHealthy: result.healthy, ...(result.error !== null ? { error: result.error } : {}), checkedAt: rfc3339(result.checkedAt) };
      });
    },

    async getPluginAdminPage(request) {
      requireUuid('interface_id', request.interfaceId);
      return guarded(async () => {
        const page = await registry.adminPage(request.interfaceId);
        return { htmlContent: page.html, title: page.title };
      });
    },

    async callPluginAction(request, call) {
      requireUuid('interface_id', request.interfaceId);
      return guarded(async () => {
        const resultJson = await registry.callAction(request.interfaceId, request.function, request.argsJson);
        await identity.audit.record(call, 'plugin_interface.action', 'plugin_interface', request.interfaceId, { function: request.function });
        return { resultJson };
      });
    },

    async restartServer(_request, call) {
      const requestedBy = call.caller.kind === 'admin' ? call.caller.username : call.caller.kind;
      await identity.audit.record(call, 'server.restart', 'server', '', {});
      try {
        const { alreadyRunning } = await cluster.restartServer(requestedBy);
        log.warn({ requestedBy, alreadyRunning }, alreadyRunning ? 'restart requested while one is running' : 'rolling restart requested');
      } catch (error) {
        throw unavailable(`the restart could not be started: ${error instanceof Error ? error.message : String(error)}; try again`);
      }
      return {};
    },

    async syncProducts(request) {
      requireUuid('interface_id', request.interfaceId);
      if (request.groupId !== '') requireUuid('group_id', request.groupId);
      return guarded(async () => {
        const synced = await registry.syncProducts(request.interfaceId, request.groupId);
        return { synced, count: synced.length };
      });
    },

    async queryPrice(request) {
      requireUuid('interface_id', request.interfaceId);
      const spec = checkSpec('', request);
      return guarded(async () => registry.queryPrice(request.interfaceId, spec));
    },

    async createUpstreamInstance(request, call) {
      requireUuid('interface_id', request.interfaceId);
      if (!request.serverSpec) throw invalidArgument('server_spec is required');
      const spec = checkSpec('server_spec.', request.serverSpec);
      return guarded(async () => {
        const created = await registry.createInstance(request.interfaceId, spec);
        await identity.audit.record(call, 'upstream_instance.create', 'plugin_interface', request.interfaceId, { providerInstanceId: created.instanceId });
        return { providerInstanceId: created.instanceId, status: created.status, ipAddress: created.ipAddress };
      });
    },

    async getInstanceStatus(request) {
      requireUuid('interface_id', request.interfaceId);
      const instanceId = requireInstanceId(request.instanceId);
      return guarded(async () => registry.instanceStatus(request.interfaceId, instanceId));
    },

    async syncUpstreamInstances(request) {
      requireUuid('interface_id', request.interfaceId);
      return guarded(async () => {
        const instances = await registry.upstreamInstances(request.interfaceId);
        return { instances: instances.map((item) => ({ instanceId: item.instanceId, status: item.status, ipAddress: item.ipAddress, createdAt: item.createdAt })) };
      });
    },

    async importUpstreamInstance(request, call) {
      requireUuid('interface_id', request.interfaceId);
      const instanceId = requireInstanceId(request.instanceId);
      return guarded(async () => {
        const instance = await registry.importUpstreamInstance(request.interfaceId, instanceId);
        await identity.audit.record(call, 'upstream_instance.import', 'instance', instance.id, { interfaceId: request.interfaceId, providerInstanceId: instanceId });
        return { instanceId: instance.id, status: instance.status, ipAddress: instance.ipAddress };
      });
    },

    async getUpstreamBalance(request) {
      requireUuid('interface_id', request.interfaceId);
      return guarded(async () => registry.upstreamBalance(request.interfaceId));
    },
  };
}
