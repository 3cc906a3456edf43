import { create, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '../../support/expect-code.ts';
import { BALANCE_METHOD_ID, BALANCE_METHOD_NAME } from '../../../src/domain/payments/balance-method.ts';
import { EmptyRequestSchema } from '../../../src/gen/rustbill/common_pb.ts';
import {
  CallPluginActionRequestSchema, CheckPluginHealthRequestSchema, CreatePluginInterfaceRequestSchema, DeletePluginInterfaceRequestSchema,
  GetPluginInterfaceRequestSchema, GetPluginRequestSchema, GetUpstreamBalanceRequestSchema, ImportUpstreamInstanceRequestSchema,
  InstanceStatusRequestSchema, ListPluginInterfacesRequestSchema, ListPluginsRequestSchema, QueryPriceRequestSchema, SyncUpstreamInstancesRequestSchema,
  TogglePluginInterfaceRequestSchema, UpdatePluginInterfaceRequestSchema, UpstreamOrderRequestSchema,
} from '../../../src/gen/rustbill/integration_pb.ts';
import { SyncProductsRequestSchema } from '../../../src/gen/rustbill/product_pb.ts';
import type { Caller } from '../../../src/domain/identity/principal.ts';
import type { CallContext } from '../../../src/grpc/context.ts';
import { toPublicError } from '../../../src/grpc/errors.ts';
import { integrationHandlers } from '../../../src/grpc/services/integration.ts';
import { newId } from '../../../src/lib/ids.ts';
import { OperationLog } from '../../../src/persistence/entities/operation-logs.ts';
import { Product } from '../../../src/persistence/entities/catalog.ts';
import { Plugin } from '../../../src/persistence/entities/plugins.ts';
import { PluginScanner } from '../../../src/plugins/scanner.ts';
import { gatewayScript, pluginTestBed, type PluginTestBed, providerScript, registryServices, writePlugin } from './support.ts';

let bed: PluginTestBed;
let handlers: ReturnType<typeof integrationHandlers>;
const restarts: string[] = [];
const defs: Record<string, string> = {};

const ADMIN: Caller = { kind: 'admin', userId: newId(), username: 'root', role: 'admin', sessionId: newId() };
const OPERATOR: Caller = { kind: 'admin', userId: newId(), username: 'op', role: 'operator', sessionId: newId() };
const CUSTOMER: Caller = { kind: 'customer', userId: newId(), username: 'c', customerId: newId(), tokenId: newId() };

function callAs(caller: Caller): CallContext {
  return {
    requestId: newId(), procedure: 'rustbill.integration.IntegrationService/Test', caller, transport: 'grpc', clientAddress: '127.0.0.1',
    userAgent: 'vitest', requestHeaders: new Headers(), responseHeaders: new Headers(), signal: new AbortController().signal,
  };
}

/**
 * Calls a handler with a request built from `init`; what it throws is answered as the call
 * pipeline answers it (src/grpc/errors.ts: DomainError and PluginError become their statuses).
 */
async function invoke<I extends DescMessage, O>(
  handler: ((request: MessageShape<I>, call: CallContext) => Promise<O>) | undefined,
  schema: I,
  init: MessageInitShape<I>,
  caller: Caller = ADMIN,
): Promise<O> {
  if (!handler) throw new Error('handler missing');
  const call = callAs(caller);
  try {
    return await handler(create(schema, init), call);
  } catch (thrown) {
    const { error, internal } = toPublicError(thrown, call.requestId);
    if (internal) throw thrown;
    throw error;
  }
}


beforeAll(async () => {
  bed = await pluginTestBed();
  const dir = bed.tempDir();
  writePlugin(dir, 'gateway-pay.js', gatewayScript({ version: '1.0.0' }));
  writePlugin(dir, 'gateway-slow.js', gatewayScript({ version: '1.0.0', health: 'while (true) {}' }));
  writePlugin(dir, 'provider-rustbill.js', providerScript({ upstream: true }));
  await new PluginScanner({ orm: bed.orm, engine: bed.engine, pluginsDir: dir, log: bed.log }).scan();
  for (const row of await bed.orm.em.fork().find(Plugin, {})) defs[row.pluginId] = row.id;
  handlers = integrationHandlers(registryServices(bed, {
    restartServer: async (requestedBy) => {
      restarts.push(requestedBy);
      return { alreadyRunning: false };
    },
  }));
});
afterAll(async () => {
  await bed?.close();
});

async function createGateway(name: string, config: Record<string, unknown>, plugin = 'pay'): Promise<string> {
  const response = await invoke(handlers.createPluginInterface, CreatePluginInterfaceRequestSchema, {
    pluginDefId: defs[plugin] ?? '', displayName: name, configJson: JSON.stringify(config),
  });
  return response.interface?.id ?? '';
}

describe('IntegrationService handlers', () => {
  it('lists and gets plugin definitions, validating ids and type filters', async () => {
    const all = await invoke(handlers.listPlugins, ListPluginsRequestSchema, {});
    expect(all.plugins?.map((plugin) => plugin.pluginId).sort()).toEqual(['pay', 'rustbill', 'slow']);
    const gateways = await invoke(handlers.listPlugins, ListPluginsRequestSchema, { pluginType: 'gateway' });
    expect(gateways.plugins?.every((plugin) => plugin.pluginType === 'gateway')).toBe(true);
    await expectCode(invoke(handlers.listPlugins, ListPluginsRequestSchema, { pluginType: 'payment' }), Code.InvalidArgument, /plugin_type must be one of/);
    const one = await invoke(handlers.getPlugin, GetPluginRequestSchema, { id: defs.pay ?? '' });
    expect(one.plugin).toMatchObject({ pluginId: 'pay', version: '1.0.0', hasAdminPage: true });
    expect(one.plugin?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await expectCode(invoke(handlers.getPlugin, GetPluginRequestSchema, { id: 'nope' }), Code.InvalidArgument, /id "nope" is not a UUID/);
    await expectCode(invoke(handlers.getPlugin, GetPluginRequestSchema, { id: newId() }), Code.NotFound);
  });

  it('hides secret config fields from operators, shows them to admins, and keeps them when operators save', async () => {
    const id = await createGateway('Secretive', { api_url: 'https://pay.example', key: 'very-secret' });
    const asAdmin = await invoke(handlers.getPluginInterface, GetPluginInterfaceRequestSchema, { interfaceId: id }, ADMIN);
    expect(JSON.parse(asAdmin.interface?.configJson ?? '')).toEqual({ api_url: 'https://pay.example', key: 'very-secret' });
    const asOperator = await invoke(handlers.getPluginInterface, GetPluginInterfaceRequestSchema, { interfaceId: id }, OPERATOR);
    expect(JSON.parse(asOperator.interface?.configJson ?? '')).toEqual({ api_url: 'https://pay.example', key: '' });
    const listed = await invoke(handlers.listPluginInterfaces, ListPluginInterfacesRequestSchema, { pluginType: 'gateway' }, OPERATOR);
    expect(listed.interfaces?.find((row) => row.id === id)?.configJson).not.toContain('very-secret');
    const updated = await invoke(handlers.updatePluginInterface, UpdatePluginInterfaceRequestSchema, { interfaceId: id, configJson: asOperator.interface?.configJson ?? '' }, OPERATOR);
    expect(updated.interface?.configJson).not.toContain('very-secret');
    const again = await invoke(handlers.getPluginInterface, GetPluginInterfaceRequestSchema, { interfaceId: id }, ADMIN);
    expect(JSON.parse(again.interface?.configJson ?? '').key).toBe('very-secret');
    // Secrets never reach the log.
    expect(JSON.stringify(bed.lines)).not.toContain('very-secret');
  });

  it('lists enabled gateways for customers, without config', async () => {
    const id = await createGateway('Customer visible', { api_url: 'https://pay.example', key: 'hidden' });
    const hiddenId = await createGateway('Not enabled', { api_url: 'https://pay.example' });
    await invoke(handlers.togglePluginInterface, TogglePluginInterfaceRequestSchema, { interfaceId: id, enable: true });
    const response = await invoke(handlers.listGateways, EmptyRequestSchema, {}, CUSTOMER);
    const ids = response.gateways?.map((gateway) => gateway.gatewayId);
    // The built-in balance method comes first, healthy, then the enabled gateway interfaces.
    expect(response.gateways?.[0]).toMatchObject({ gatewayId: BALANCE_METHOD_ID, gatewayName: BALANCE_METHOD_NAME, isHealthy: true });
    expect(ids?.filter((gatewayId) => gatewayId === BALANCE_METHOD_ID)).toHaveLength(1);
    expect(ids).toContain(id);
    expect(ids).not.toContain(hiddenId);
    expect(JSON.stringify(response)).not.toContain('hidden');
  });

  it('maps registry refusals to statuses and audits admin changes', async () => {
    await expectCode(invoke(handlers.createPluginInterface, CreatePluginInterfaceRequestSchema, { pluginDefId: defs.pay ?? '', displayName: 'Bad', configJson: '{"timeout":"x","api_url":"u"}' }), Code.InvalidArgument, /config field "timeout"/);
    const id = await createGateway('Audited', {});
    await expectCode(invoke(handlers.createPluginInterface, CreatePluginInterfaceRequestSchema, { pluginDefId: defs.pay ?? '', displayName: 'Audited', configJson: '{}' }), Code.AlreadyExists);
    await expectCode(invoke(handlers.togglePluginInterface, TogglePluginInterfaceRequestSchema, { interfaceId: id, enable: true }), Code.FailedPrecondition, /"api_url" is required/);
    await expectCode(invoke(handlers.updatePluginInterface, UpdatePluginInterfaceRequestSchema, { interfaceId: id }), Code.InvalidArgument, /nothing to update/);
    await invoke(handlers.updatePluginInterface, UpdatePluginInterfaceRequestSchema, { interfaceId: id, configJson: '{"api_url":"https://a.example","key":"audit-secret"}' });
    await invoke(handlers.togglePluginInterface, TogglePluginInterfaceRequestSchema, { interfaceId: id, enable: true });
    await invoke(handlers.deletePluginInterface, DeletePluginInterfaceRequestSchema, { interfaceId: id });
    await expectCode(invoke(handlers.deletePluginInterface, DeletePluginInterfaceRequestSchema, { interfaceId: id }), Code.NotFound);
    const logs = await bed.orm.em.fork().find(OperationLog, { targetId: id }, { orderBy: { createdAt: 'asc' } });
    expect(logs.map((entry) => entry.action)).toEqual(['plugin_interface.create', 'plugin_interface.update', 'plugin_interface.enable', 'plugin_interface.delete']);
    expect(logs[1]?.details).toMatchObject({ changes: ['config_json'] });
    expect(JSON.stringify(logs)).not.toContain('audit-secret');
  });

  it('checks health, answering with the stored verdict; a script that hangs is unhealthy (timeout)', async () => {
    const id = await createGateway('Healthy one', { api_url: 'https://pay.example' });
    const healthy = await invoke(handlers.checkPluginHealth, CheckPluginHealthRequestSchema, { interfaceId: id });
    expect(healthy.isHealthy).toBe(true);
    expect(healthy.error).toBeUndefined();
    expect(healthy.checkedAt).toMatch(/Z$/);
    const slow = await createGateway('Slow one', { api_url: 'https://pay.example' }, 'slow');
    const verdict = await invoke(handlers.checkPluginHealth, CheckPluginHealthRequestSchema, { interfaceId: slow });
    expect(verdict.isHealthy).toBe(false);
    expect(verdict.error).toMatch(/^timeout: /);
    const info = await invoke(handlers.getPluginInterface, GetPluginInterfaceRequestSchema, { interfaceId: slow });
    expect(info.interface).toMatchObject({ isHealthy: false, healthError: verdict.error });
    expect(info.interface?.lastCheckAt).toMatch(/Z$/);
  });

  it('maps plugin failures: a timing-out action is Unavailable, a script error FailedPrecondition', async () => {
    const id = await createGateway('Actions', { api_url: 'https://pay.example' }, 'slow');
    await expectCode(invoke(handlers.callPluginAction, CallPluginActionRequestSchema, { interfaceId: id, function: 'health_check', argsJson: '{}' }), Code.Unavailable, /time limit/);
    const echoed = await invoke(handlers.callPluginAction, CallPluginActionRequestSchema, { interfaceId: id, function: 'admin_echo', argsJson: '{"value":3}' });
    expect(JSON.parse(echoed.resultJson ?? "")).toMatchObject({ value: 3 });
    await expectCode(invoke(handlers.callPluginAction, CallPluginActionRequestSchema, { interfaceId: id, function: 'refund', argsJson: '{}' }), Code.FailedPrecondition);
  });

  it('runs the provider operations end to end through the handlers', async () => {
    const created = await invoke(handlers.createPluginInterface, CreatePluginInterfaceRequestSchema, { pluginDefId: defs.rustbill ?? '', displayName: 'Upstream', configJson: '{"token":"t-secret"}' });
    const id = created.interface?.id ?? '';
    await expectCode(invoke(handlers.queryPrice, QueryPriceRequestSchema, { interfaceId: id, cpuCores: 1, memoryGb: 1, region: 'eu', os: 'debian' }), Code.NotFound, /disabled/);
    await invoke(handlers.togglePluginInterface, TogglePluginInterfaceRequestSchema, { interfaceId: id, enable: true });
    expect(await invoke(handlers.queryPrice, QueryPriceRequestSchema, { interfaceId: id, cpuCores: 1, memoryGb: 2, region: 'eu', os: 'debian' }, CUSTOMER)).toMatchObject({ amount: '12.00', currency: 'USD' });
    await expectCode(invoke(handlers.queryPrice, QueryPriceRequestSchema, { interfaceId: id, cpuCores: 0, memoryGb: 2, region: 'eu', os: 'debian' }), Code.InvalidArgument, /cpu_cores/);
    const order = await invoke(handlers.createUpstreamInstance, UpstreamOrderRequestSchema, { interfaceId: id, serverSpec: { cpuCores: 4, memoryGb: 8, diskGb: 10, bandwidthMbps: 10, region: 'eu', os: 'debian' } });
    expect(order).toEqual({ providerInstanceId: 'inst-eu-4', status: 'Running', ipAddress: '10.0.0.5' });
    await expectCode(invoke(handlers.createUpstreamInstance, UpstreamOrderRequestSchema, { interfaceId: id }), Code.InvalidArgument, /server_spec is required/);
    expect(await invoke(handlers.getInstanceStatus, InstanceStatusRequestSchema, { interfaceId: id, instanceId: 'i-9' })).toMatchObject({ status: 'running' });
    await expectCode(invoke(handlers.getInstanceStatus, InstanceStatusRequestSchema, { interfaceId: id, instanceId: 'gone' }), Code.FailedPrecondition, /no such instance/);
    await expectCode(invoke(handlers.getInstanceStatus, InstanceStatusRequestSchema, { interfaceId: id, instanceId: '' }), Code.InvalidArgument, /instance_id is required/);
    expect((await invoke(handlers.syncUpstreamInstances, SyncUpstreamInstancesRequestSchema, { interfaceId: id })).instances).toHaveLength(2);
    expect(await invoke(handlers.getUpstreamBalance, GetUpstreamBalanceRequestSchema, { interfaceId: id })).toMatchObject({ balance: '123.40', currency: 'CNY' });
    await expectCode(invoke(handlers.importUpstreamInstance, ImportUpstreamInstanceRequestSchema, { interfaceId: id, instanceId: 'up-1' }), Code.FailedPrecondition, /owning customer/);
    const synced = await invoke(handlers.syncProducts, SyncProductsRequestSchema, { interfaceId: id, groupId: '' });
    expect(synced.count).toBe(1);
    // Stored in the catalog: a second sync updates the same product instead of adding one.
    const again = await invoke(handlers.syncProducts, SyncProductsRequestSchema, { interfaceId: id, groupId: '' });
    expect(again.synced?.map((product) => product.id)).toEqual(synced.synced?.map((product) => product.id));
    expect(await bed.orm.em.fork().count(Product, { interfaceId: id })).toBe(1);
    await expectCode(invoke(handlers.syncProducts, SyncProductsRequestSchema, { interfaceId: id, groupId: 'x' }), Code.InvalidArgument, /group_id/);
    const providers = await invoke(handlers.listProviders, EmptyRequestSchema, {}, CUSTOMER);
    const provider = providers.providers?.find((item) => item.interfaceId === id);
    expect(provider).toMatchObject({ providerName: 'Upstream', providerType: 'upstream' });
    expect(provider?.specTemplate?.groups?.[0]?.fields?.[0]?.key).toBe('cpu_cores');
    expect(JSON.stringify(providers, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))).not.toContain('t-secret');
  });

  it('asks the cluster for a rolling restart and audits it', async () => {
    await invoke(handlers.restartServer, EmptyRequestSchema, {});
    expect(restarts).toEqual(['root']);
    expect(await bed.orm.em.fork().count(OperationLog, { action: 'server.restart' })).toBe(1);
  });
});
