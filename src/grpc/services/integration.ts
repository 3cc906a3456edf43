import type { MessageInitShape } from '@bufbuild/protobuf';
import type { IntegrationApplication } from '../../application/index.ts';
import { checkProviderInstanceId, checkServerSpec, type ServerSpecInput } from '../../domain/provisioning/server-spec.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import type { Orders } from '../../application/orders/orders.ts';
import { BALANCE_METHOD_ID, BALANCE_METHOD_NAME } from '../../domain/payments/balance-method.ts';
import {
  IntegrationService, type PluginDefSchema, type PluginInterfaceInfoSchema, type ProviderInfoSchema,
} from '../../gen/rustbill/integration_pb.ts';
import type { ServerSpec } from '../../gen/rustbill/order_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { Plugin, PluginInterface } from '../../persistence/entities/plugins.ts';
import { maskSecrets } from '../../plugins/registry/config-schema.ts';
import type { ListedProvider } from '../../plugins/registry/providers.ts';
import type { PluginRegistry } from '../../plugins/registry/registry.ts';
import { seesSecrets } from '../../plugins/registry/rules.ts';
import { PLUGIN_TYPES } from '../../plugins/types.ts';
import { oneOf, optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { productInfo } from './product.ts';
import type { ProductSync } from '../../application/catalog/product-sync.ts';

/** What IntegrationService calls: the registry for reads and provider calls, the application services for changes. */
export interface IntegrationDeps {
  registry: PluginRegistry;
  app: IntegrationApplication;
  /** SyncProducts stores the provider's products through the catalog. */
  productSync: ProductSync;
  /**
   * QueryPrice with a `product_id` quotes an order through the orders' own pricing
   * (src/application/orders/orders.ts Orders.quote; the money path's `orders`). Absent: such a
   * quote answers Unavailable.
   */
  orderQuotes?: Pick<Orders, 'quote'>;
}

/** A request's server spec, checked (fields named with `prefix`). @throws DomainError invalid_argument */
function serverSpec(prefix: string, spec: Pick<ServerSpec, 'cpuCores' | 'memoryGb' | 'diskGb' | 'bandwidthMbps' | 'region' | 'os' | 'extraSpecs'>): ServerSpecInput {
  return checkServerSpec(prefix, {
    cpuCores: spec.cpuCores, memoryGb: spec.memoryGb, diskGb: spec.diskGb, bandwidthMbps: spec.bandwidthMbps, region: spec.region, os: spec.os, extraSpecs: spec.extraSpecs,
  });
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
 * A definition's config schema and functions (NodeBill extension fields of PluginDef), from its
 * script's inspection (cached by script hash); empty when the script no longer loads.
 */
async function definitionMetadata(registry: PluginRegistry, row: Plugin): Promise<{ configSchema: string; functions: string }> {
  try {
    const metadata = await registry.scripts.inspectStored(row.pluginType, row.pluginId, row.scriptSource);
    return { configSchema: JSON.stringify(metadata.configSchema), functions: metadata.functions.join(',') };
  } catch {
    return { configSchema: '', functions: '' };
  }
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

/** `ProviderInfo` of an enabled provider interface and its spec template. */
function providerInfo(provider: ListedProvider): MessageInitShape<typeof ProviderInfoSchema> {
  return {
    interfaceId: provider.row.id,
    providerName: provider.row.displayName,
    providerType: provider.row.pluginType === 'upstream_provider' ? 'upstream' : 'first_party',
    isHealthy: provider.row.isHealthy,
    specTemplate: provider.specTemplate,
  };
}

/**
 * IntegrationService, all 22 RPCs (integration-service.md; plugin guide of rustbill-docs.md):
 * plugin definitions (ListPlugins/GetPlugin, filled by the PluginScanner), plugin interface CRUD with
 * JSON Schema checked configs, health checks, admin pages and the admin-page action bridge, the
 * enabled-interface lists for front-ends (no secrets), rolling restart, and the provider
 * operations (sync_products, query_price, create_instance, get_instance_status,
 * sync_upstream_instances, import_upstream_instance, get_upstream_balance).
 *
 * Handlers only read request fields, call one method and map its result: reads and provider calls
 * go to the plugin registry (src/plugins/registry), changes to the application services
 * (src/application/plugins, src/application/provisioning, src/application/system), which write
 * each change and its operation_logs row in one transaction. Refusals are DomainErrors and failing
 * scripts PluginErrors; the call pipeline answers both (src/grpc/errors.ts): InvalidArgument for
 * malformed ids and inputs (naming the field), NotFound for unknown ids (and disabled providers),
 * AlreadyExists for a taken display name, FailedPrecondition for state conflicts and script
 * failures, Unavailable for plugin timeouts and failing upstreams, PermissionDenied for a script
 * (`script_source`) from anybody but the admin role. Secret config fields are only shown to
 * admins with role admin.
 */
export function integrationHandlers(deps: IntegrationDeps): ServiceHandlers<typeof IntegrationService> {
  const { registry, app } = deps;

  return {
    async listProviders() {
      return { providers: (await registry.providers.listProviders()).map(providerInfo) };
    },

    // The built-in balance method first (always there, always healthy), then the enabled gateway interfaces.
    async listGateways() {
      const rows = await registry.interfaces.list({ pluginTypes: ['gateway'], enabledOnly: true });
      return {
        gateways: [
          { gatewayId: BALANCE_METHOD_ID, gatewayName: BALANCE_METHOD_NAME, isHealthy: true },
          ...rows.map((row) => ({ gatewayId: row.id, gatewayName: row.displayName, isHealthy: row.isHealthy })),
        ],
      };
    },

    async listNotifiers() {
      const rows = await registry.interfaces.list({ pluginTypes: ['notifier'], enabledOnly: true });
      return { notifiers: rows.map((row) => ({ channelId: row.id, channelName: row.displayName, isHealthy: row.isHealthy })) };
    },

    async listPlugins(request) {
      const rows = await registry.definitions.list(oneOf('plugin_type', request.pluginType, PLUGIN_TYPES));
      return { plugins: await Promise.all(rows.map(async (row) => ({ ...pluginDef(row), ...(await definitionMetadata(registry, row)) }))) };
    },

    async getPlugin(request) {
      const row = await registry.definitions.get(uuidField('id', request.id));
      return { plugin: { ...pluginDef(row), ...(await definitionMetadata(registry, row)) } };
    },

    async listPluginInterfaces(request, call) {
      const type = oneOf('plugin_type', request.pluginType, PLUGIN_TYPES);
      const rows = await registry.interfaces.list(type ? { pluginTypes: [type] } : {});
      const secrets = seesSecrets(call.caller);
      return { interfaces: rows.map((row) => pluginInterfaceInfo(row, { secrets, withSource: false })) };
    },

    async getPluginInterface(request, call) {
      const row = await registry.interfaces.get(uuidField('interface_id', request.interfaceId));
      return { interface: pluginInterfaceInfo(row, { secrets: seesSecrets(call.caller), withSource: true }) };
    },

    async createPluginInterface(request, call) {
      const row = await app.interfaces.create(call, {
        pluginDefId: uuidField('plugin_def_id', request.pluginDefId),
        displayName: request.displayName,
        configJson: request.configJson,
        ...(request.scriptSource !== undefined ? { scriptSource: request.scriptSource } : {}),
      });
      return { interface: pluginInterfaceInfo(row, { secrets: seesSecrets(call.caller), withSource: true }) };
    },

    async updatePluginInterface(request, call) {
      const { row } = await app.interfaces.update(call, uuidField('interface_id', request.interfaceId), {
        ...(request.configJson !== undefined ? { configJson: request.configJson } : {}),
        ...(request.displayName !== undefined ? { displayName: request.displayName } : {}),
        ...(request.scriptSource !== undefined ? { scriptSource: request.scriptSource } : {}),
      });
      return { interface: pluginInterfaceInfo(row, { secrets: seesSecrets(call.caller), withSource: true }) };
    },

    async togglePluginInterface(request, call) {
      const { row } = await app.interfaces.setEnabled(call, uuidField('interface_id', request.interfaceId), request.enable);
      return { interface: pluginInterfaceInfo(row, { secrets: seesSecrets(call.caller), withSource: true }) };
    },

    async deletePluginInterface(request, call) {
      await app.interfaces.remove(call, uuidField('interface_id', request.interfaceId));
      return {};
    },

    async checkPluginHealth(request, call) {
      const result = await app.operations.checkHealth(call, uuidField('interface_id', request.interfaceId));
      return { isHealthy: result.healthy, ...(result.error !== null ? { error: result.error } : {}), checkedAt: rfc3339(result.checkedAt) };
    },

    async getPluginAdminPage(request) {
      const page = await registry.adminPages.page(uuidField('interface_id', request.interfaceId));
      return { htmlContent: page.html, title: page.title };
    },

    async callPluginAction(request, call) {
      return { resultJson: await app.operations.callAction(call, uuidField('interface_id', request.interfaceId), request.function, request.argsJson) };
    },

    async restartServer(_request, call) {
      await app.restart.restart(call);
      return {};
    },

    async syncProducts(request, call) {
      // Stores the provider's products in the catalog, exactly like ProductService/SyncProducts.
      const interfaceId = uuidField('interface_id', request.interfaceId);
      const groupId = optionalUuidField('group_id', request.groupId) ?? null;
      const synced = await deps.productSync.sync(call, interfaceId, groupId);
      return { synced: synced.map(productInfo), count: synced.length };
    },

    // With product_id (NodeBill extension, issue 13): what CreateOrder would charge the caller, by
    // the same code (Orders.quote). Without it: the provider's own query_price(), as in RustBill.
    async queryPrice(request, call) {
      const interfaceId = uuidField('interface_id', request.interfaceId);
      if (request.productId === undefined || request.productId === '') return registry.providers.queryPrice(interfaceId, serverSpec('', request));
      const productId = uuidField('product_id', request.productId);
      if (!deps.orderQuotes) throw new DomainError('unavailable', 'product quotes (QueryPrice with product_id) are not available on this server; omit product_id for the provider\'s own price');
      const quote = await deps.orderQuotes.quote(call.caller, {
        productId, providerInterfaceId: interfaceId, billingCycle: request.billingCycle ?? '', promotionCode: request.promotionCode ?? '',
        serverSpec: {
          cpu_cores: request.cpuCores, memory_gb: request.memoryGb, disk_gb: request.diskGb, bandwidth_mbps: request.bandwidthMbps,
          region: request.region, os: request.os, extra_specs: { ...request.extraSpecs },
        },
      });
      return {
        amount: quote.amount, currency: quote.currency, billingCycle: quote.billingCycle,
        baseAmount: quote.baseAmount, specAmount: quote.specAmount, discountAmount: quote.discountAmount, taxAmount: quote.taxAmount,
      };
    },

    async createUpstreamInstance(request, call) {
      const interfaceId = uuidField('interface_id', request.interfaceId);
      if (!request.serverSpec) throw invalid('server_spec is required');
      const spec = serverSpec('server_spec.', request.serverSpec);
      // A customer or API key pays for the server through the money path; an admin creates it for
      // the reseller itself (nobody's balance is charged).
      if ((call.caller.kind === 'customer' || call.caller.kind === 'apikey') && app.purchases) {
        const bought = await app.purchases.purchase(call, call.caller.customerId, interfaceId, spec, call.requestHeaders.get('idempotency-key'));
        return { providerInstanceId: bought.providerInstanceId, status: bought.status, ipAddress: bought.ipAddress };
      }
      const created = await app.operations.createUpstreamInstance(call, interfaceId, spec);
      return { providerInstanceId: created.instanceId, status: created.status, ipAddress: created.ipAddress };
    },

    async getInstanceStatus(request) {
      const interfaceId = uuidField('interface_id', request.interfaceId);
      return registry.providers.instanceStatus(interfaceId, checkProviderInstanceId(request.instanceId));
    },

    async syncUpstreamInstances(request) {
      const instances = await registry.providers.upstreamInstances(uuidField('interface_id', request.interfaceId));
      return { instances: instances.map((item) => ({ instanceId: item.instanceId, status: item.status, ipAddress: item.ipAddress, createdAt: item.createdAt })) };
    },

    async importUpstreamInstance(request, call) {
      const interfaceId = uuidField('interface_id', request.interfaceId);
      const instance = await app.upstreamImport.importInstance(call, interfaceId, checkProviderInstanceId(request.instanceId));
      return { instanceId: instance.id, status: instance.status, ipAddress: instance.ipAddress };
    },

    async getUpstreamBalance(request) {
      return registry.providers.upstreamBalance(uuidField('interface_id', request.interfaceId));
    },
  };
}
