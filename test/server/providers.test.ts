/**
 * ListProviders as a RustBill customer front-end reads it: over gRPC-Web, from a real cluster
 * running the shipped plugins/ directory, with an interface of provider-incus. That front-end
 * renders the top-level `fields` of the spec template only; provider-incus nests every field in
 * `groups`, so each must also be sent at the top level, with its group key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: TestDatabase;
let interfaceId = '';
let customerToken = '';

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 1 });
  const token = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  const integration = grpcClient(IntegrationService, server.url, bearer(token));
  const incus = (await integration.listPlugins({ pluginType: 'first_party_provider' })).plugins.find((plugin) => plugin.pluginId === 'incus');
  if (!incus) throw new Error('provider-incus was not scanned');
  // spec_template() needs no Incus server: the config only has to be complete to enable it.
  const created = await integration.createPluginInterface({
    pluginDefId: incus.id, displayName: 'Incus', configJson: JSON.stringify({ api_url: 'https://incus.example.com:8443', cert_pem: 'cert', key_pem: 'key' }),
  });
  interfaceId = created.interface?.id ?? '';
  await integration.togglePluginInterface({ interfaceId, enable: true });
  customerToken = (await registerCustomer(server, { prefix: 'front', displayName: 'Front-end' })).accessToken;
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

describe('ListProviders for a customer front-end', () => {
  it('sends provider-incus\'s grouped fields at the top level with their group keys, and keeps the groups', async () => {
    const { providers } = await grpcWebClient(IntegrationService, server.url, bearer(customerToken)).listProviders({});
    const incus = providers.find((provider) => provider.interfaceId === interfaceId);
    expect(incus).toMatchObject({ providerName: 'Incus', providerType: 'first_party' });
    const template = incus?.specTemplate;
    expect(template?.fields.map((field) => [field.key, field.group, field.displayOrder, field.fieldType])).toEqual([
      ['cpu_cores', 'compute', 1, 'slider'],
      ['memory_gb', 'compute', 2, 'slider'],
      ['disk_gb', 'compute', 3, 'slider'],
      ['os', 'system', 1, 'select'],
    ]);
    expect(template?.fields.find((field) => field.key === 'cpu_cores')).toMatchObject({ min: 1n, max: 32n, step: 1n, defaultValue: '2', unit: 'cores', required: true });
    expect(template?.fields.find((field) => field.key === 'os')?.options.map((option) => option.value)).toContain('debian-12');
    expect(template?.groups.map((group) => [group.key, group.label, group.displayOrder, group.icon, group.fields.map((field) => field.key)])).toEqual([
      ['compute', 'Compute', 1, 'cpu', ['cpu_cores', 'memory_gb', 'disk_gb']],
      ['system', 'System', 2, 'monitor', ['os']],
    ]);
  });
});
