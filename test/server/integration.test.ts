/**
 * IntegrationService end to end: a real cluster (two workers) with a temporary plugins directory,
 * called over native gRPC and gRPC-Web.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '../support/expect-code.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { BALANCE_METHOD_ID, BALANCE_METHOD_NAME } from '../../src/domain/payments/balance-method.ts';
import { gatewayScript } from '../plugins/registry/scripts.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { COUNTERPARTS_ALLOW } from '../support/counterparts/allow-list.ts';
import { registerCustomer } from '../support/customers.ts';
import { createTestDatabase } from '../support/db.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };
let workDir: string;
let adminToken: string;
let customerToken: string;


beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'nodebill-integration-'));
  const pluginsDir = path.join(workDir, 'plugins');
  mkdirSync(pluginsDir);
  writeFileSync(path.join(pluginsDir, 'gateway-e2e.js'), gatewayScript({ version: '1.0.0' }));
  writeFileSync(path.join(pluginsDir, 'gateway-broken.js'), 'function config_schema( {');

  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2, config: { plugins: { plugins_dir: pluginsDir, outbound_allow: COUNTERPARTS_ALLOW } } });
  const admin = await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
  adminToken = admin.accessToken;

  customerToken = (await registerCustomer(server, { prefix: 'buyer', displayName: 'Buyer' })).accessToken;
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('IntegrationService over the wire', () => {
  it('lists the plugins found by the boot scan; the broken file is logged with its name and skipped', async () => {
    const integration = grpcClient(IntegrationService, server.url, bearer(adminToken));
    const { plugins } = await integration.listPlugins({});
    expect(plugins.map((plugin) => `${plugin.pluginType}/${plugin.pluginId}@${plugin.version}`)).toEqual(['gateway/e2e@1.0.0']);
    expect(plugins[0]?.hasAdminPage).toBe(true);
    const warning = await server.waitForLog((line) => line.file === 'gateway-broken.js');
    expect(String(warning.msg)).toMatch(/gateway-broken\.js skipped: syntax/);
    expect((await integration.getPlugin({ id: plugins[0]?.id ?? '' })).plugin?.pluginId).toBe('e2e');
    // NodeBill extension: the definition's config schema and functions (the console's first config form).
    expect(JSON.parse(plugins[0]?.configSchema ?? '{}')).toMatchObject({ required: ['api_url'] });
    expect(plugins[0]?.functions?.split(',')).toEqual(expect.arrayContaining(['config_schema', 'admin_page']));
  });

  it('creates, toggles, checks, lists for customers without secrets, and deletes an interface', async () => {
    const integration = grpcClient(IntegrationService, server.url, bearer(adminToken));
    const [plugin] = (await integration.listPlugins({ pluginType: 'gateway' })).plugins;
    const created = await integration.createPluginInterface({
      pluginDefId: plugin?.id ?? '', displayName: 'E2E pay', configJson: JSON.stringify({ api_url: 'https://pay.example', key: 'wire-secret' }),
    });
    const id = created.interface?.id ?? '';
    expect(created.interface).toMatchObject({ pluginId: 'e2e', enabled: false, pluginVersion: '1.0.0', hasAdminPage: true });
    expect(JSON.parse(created.interface?.configSchema ?? '{}')).toMatchObject({ required: ['api_url'] });
    await expectCode(
      integration.createPluginInterface({ pluginDefId: plugin?.id ?? '', displayName: 'E2E pay', configJson: '{}' }),
      Code.AlreadyExists,
    );
    await expectCode(
      integration.createPluginInterface({ pluginDefId: plugin?.id ?? '', displayName: 'Other', configJson: '{"api_url":"https://x","timeout":"never"}' }),
      Code.InvalidArgument,
      /config field "timeout"/,
    );

    const customerWeb = grpcWebClient(IntegrationService, server.url, bearer(customerToken));
    expect((await customerWeb.listGateways({})).gateways.map((gateway) => gateway.gatewayId)).not.toContain(id);
    const toggled = await integration.togglePluginInterface({ interfaceId: id, enable: true });
    expect(toggled.interface?.enabled).toBe(true);
    const gateways = await customerWeb.listGateways({});
    expect(gateways.gateways).toEqual([
      { $typeName: 'rustbill.integration.GatewayInfo', gatewayId: BALANCE_METHOD_ID, gatewayName: BALANCE_METHOD_NAME, isHealthy: true },
      expect.objectContaining({ gatewayId: id, gatewayName: 'E2E pay', isHealthy: false }),
    ]);
    expect(JSON.stringify(gateways)).not.toContain('wire-secret');
    await expectCode(grpcClient(IntegrationService, server.url, bearer(customerToken)).getPluginInterface({ interfaceId: id }), Code.PermissionDenied);

    const health = await integration.checkPluginHealth({ interfaceId: id });
    expect(health.isHealthy).toBe(true);
    expect(health.checkedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Whichever worker answers, the stored verdict is the same.
    expect((await customerWeb.listGateways({})).gateways[1]?.isHealthy).toBe(true);

    const page = await integration.getPluginAdminPage({ interfaceId: id });
    expect(page).toMatchObject({ htmlContent: '<h1>https://pay.example</h1>', title: 'Gateway admin' });
    const action = await integration.callPluginAction({ interfaceId: id, function: 'admin_echo', argsJson: '{"value":"hi"}' });
    expect(JSON.parse(action.resultJson)).toMatchObject({ value: 'hi', api_url: 'https://pay.example' });

    await integration.deletePluginInterface({ interfaceId: id });
    await expectCode(integration.getPluginInterface({ interfaceId: id }), Code.NotFound);
    expect((await customerWeb.listGateways({})).gateways.map((gateway) => gateway.gatewayId)).toEqual([BALANCE_METHOD_ID]);
  });

  it('validates ids with InvalidArgument', async () => {
    const integration = grpcClient(IntegrationService, server.url, bearer(adminToken));
    await expectCode(integration.getPluginInterface({ interfaceId: 'not-a-uuid' }), Code.InvalidArgument, /interface_id "not-a-uuid" is not a UUID/);
    await expectCode(integration.checkPluginHealth({ interfaceId: newId() }), Code.NotFound);
  });
});
