/**
 * Reselling (issue 9): a reseller's NodeBill (A) sells the servers of a second NodeBill (B) through
 * provider-rustbill, with an API key of A's customer account at B. Two real servers:
 * - B is a money bed (provider-incus over the local Incus counterpart, a product); its admin
 *   creates A's customer account, credits it, allows API keys and creates one for it;
 * - A has a provider-rustbill interface pointing at B with that key, syncs B's products into a
 *   group, and A's customer orders one and pays it at A from its balance.
 * Then: A's order is active with one instance, B has an active order of A's account charged at B,
 * Incus has exactly one instance; stop/start/terminate at A reach Incus through B; balance, price,
 * template, health, instance sync and import flow back to A; a retried create_instance for the same
 * order (even with the plugin state lost) makes no second order at B.
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { ApiKeyService } from '../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { ProductCategoryService } from '../../src/gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../../src/gen/rustbill/product_group_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import type { PluginTarget } from '../../src/plugins/types.ts';
import { readCreatedInstance } from '../../src/plugins/registry/results.ts';
import { shippedPluginBed, type ShippedPluginBed } from '../plugins/shipped/harness.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { BALANCE, moneyClients, moneyInvariant, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../support/server.ts';
import { eventually } from '../support/eventually.ts';

const FAST_JOBS = { jobs: { max_attempts: 3, backoff_base_ms: 200, backoff_max_ms: 1000, poll_interval_ms: 200 } };
/** B's opening credit of A's account. */
const CREDIT = '500.00';

describe('reselling: NodeBill A sells the servers of NodeBill B through provider-rustbill', () => {
  let b: MoneyBed;
  let aDb: TestDatabase;
  let a: RunningServer;
  let aAdmin: ReturnType<typeof moneyClients>;
  let aAdminToken: string;
  let account: string; // A's customer account at B
  let apiKey: string;
  let upstreamId: string; // A's provider-rustbill interface
  let productId: string; // the synced product at A
  let buyer: Awaited<ReturnType<typeof registerCustomer>>;
  let buyerApi: ReturnType<typeof moneyClients>;
  let orderId: string; // A's order
  let instanceId: string; // A's instance
  let upstreamInstanceId: string; // B's instance (what A keeps as provider_instance_id)
  let quote: string; // B's price of SPEC

  beforeAll(async () => {
    b = await startMoneyBed({ workers: 1, config: FAST_JOBS });
    aDb = await createTestDatabase();
    a = await startServer({ databaseUrl: aDb.url, workers: 1, config: { ...FAST_JOBS, plugins: { outbound_allow: ['127.0.0.1'] } } });
    aAdminToken = (await grpcClient(IdentityService, a.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    aAdmin = moneyClients(a, aAdminToken);
  }, 180_000);

  afterAll(async () => {
    await a?.stop();
    await aDb?.drop();
    await b?.stop();
  });

  it("B's admin opens A's account: created, credited, allowed API keys, given one", async () => {
    const customers = grpcClient(CustomerService, b.server.url, bearer(b.adminToken));
    const created = await customers.createCustomer({ name: 'Reseller A Ltd', contactPerson: 'Ops', email: `reseller-${newId().slice(-6)}@example.com`, phone: '', company: 'Reseller A', notes: '', creditLimit: '0.00' });
    account = created.customer?.id ?? '';
    await b.admin.balance.adjustBalance({ customerId: account, amount: CREDIT, description: 'reseller prepayment' });
    await customers.updateCustomer({ id: account, canCreateApiKeys: true });
    const key = await grpcClient(ApiKeyService, b.server.url, bearer(b.adminToken)).createApiKey({ name: 'NodeBill A', customerId: account });
    apiKey = key.apiKey;
    expect(apiKey).toMatch(/^rk_/);
    quote = (await moneyClients(b.server, apiKey).integration.queryPrice({ interfaceId: b.providerId, ...SPEC })).amount;
    expect(new Decimal(quote).greaterThan(0)).toBe(true);
  });

  it('A installs provider-rustbill against B: healthy, spec template, price and balance come from B', async () => {
    const plugin = (await aAdmin.integration.listPlugins({})).plugins.find((entry) => entry.pluginId === 'rustbill');
    const created = await aAdmin.integration.createPluginInterface({
      pluginDefId: plugin?.id ?? '', displayName: 'NodeBill B',
      configJson: JSON.stringify({ api_url: b.server.url, api_key: apiKey, upstream_interface_id: b.providerId, currency: 'CNY', markup_percent: '20' }),
    });
    upstreamId = created.interface?.id ?? '';
    await aAdmin.integration.togglePluginInterface({ interfaceId: upstreamId, enable: true });
    expect(await aAdmin.integration.checkPluginHealth({ interfaceId: upstreamId })).toMatchObject({ isHealthy: true });

    const atB = (await b.admin.integration.listProviders({})).providers.find((provider) => provider.interfaceId === b.providerId);
    const atA = (await aAdmin.integration.listProviders({})).providers.find((provider) => provider.interfaceId === upstreamId);
    expect(atA?.providerType).toBe('upstream');
    expect(atA?.specTemplate?.fields.map((field) => field.key)).toEqual(atB?.specTemplate?.fields.map((field) => field.key));
    expect(atA?.specTemplate?.groups.map((group) => group.key)).toEqual(atB?.specTemplate?.groups.map((group) => group.key));

    expect(await aAdmin.integration.queryPrice({ interfaceId: upstreamId, ...SPEC })).toMatchObject({ amount: quote, currency: 'CNY' });
    expect(await aAdmin.integration.getUpstreamBalance({ interfaceId: upstreamId })).toEqual(expect.objectContaining({ balance: CREDIT, currency: 'CNY' }));
  });

  it("A syncs B's products into a group, at B's price plus the markup", async () => {
    const category = (await grpcClient(ProductCategoryService, a.url, bearer(aAdminToken)).createProductCategory({ name: 'Resold', description: '', sortOrder: 1 })).category;
    const group = (await grpcClient(ProductGroupService, a.url, bearer(aAdminToken)).createProductGroup({ name: 'From B', description: '', sortOrder: 1, categoryId: category?.id ?? '' })).group;
    const synced = await aAdmin.products.syncProducts({ interfaceId: upstreamId, groupId: group?.id ?? '' });
    expect(synced.synced.map((product) => [product.name, product.pricePerMonth, product.costPrice, product.interfaceId, product.groupId])).toEqual([
      ['VPS Small', '24.00', '20.00', upstreamId, group?.id],
    ]);
    expect(synced.synced[0]?.specs).toMatchObject({ upstream_product_id: b.productId });
    productId = synced.synced[0]?.id ?? '';
  });

  it("A's customer orders and pays at A; A's provisioning orders and pays at B; B provisions at Incus", async () => {
    buyer = await registerCustomer(a, { prefix: 'enduser' });
    await aAdmin.balance.adjustBalance({ customerId: buyer.customerId, amount: '100.00', description: 'opening credit' });
    buyerApi = moneyClients(a, buyer.accessToken);
    const order = (await buyerApi.orders.createOrder({
      customerId: buyer.customerId, productId, providerInterfaceId: upstreamId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
    })).order;
    orderId = order?.id ?? '';
    expect(order?.amount).toBe('24.00');
    await eventually(async () => ((await buyerApi.orders.getOrder({ id: orderId })).order?.status === 'active' ? true : undefined), "A's order to become active");
    expect((await buyerApi.balance.getBalance({})).balance).toBe('76.00');

    // At A: one instance, kept with B's instance id.
    const mine = (await buyerApi.instances.listInstances({})).instances;
    expect(mine).toHaveLength(1);
    instanceId = mine[0]?.id ?? '';
    upstreamInstanceId = mine[0]?.providerInstanceId ?? '';
    expect(mine[0]).toMatchObject({ orderId, providerInterfaceId: upstreamId, status: 'running' });

    // At B: one active order of A's account, charged from its balance; its instance is the one A keeps.
    const atB = (await b.admin.orders.listOrders({ customerId: account })).orders;
    expect(atB.map((item) => [item.status, item.amount])).toEqual([['active', quote]]);
    expect((await b.admin.balance.getBalance({ customerId: account })).balance).toBe(new Decimal(CREDIT).minus(quote).toFixed(2));
    const upstreamInstance = (await b.admin.instances.getInstance({ id: upstreamInstanceId })).instance;
    expect(upstreamInstance).toMatchObject({ customerId: account, orderId: atB[0]?.id, providerInterfaceId: b.providerId, status: 'running' });

    // At Incus: exactly one instance, B's provider instance.
    expect([...b.incus.instances.keys()]).toEqual([upstreamInstance?.providerInstanceId]);
    expect(await aAdmin.integration.getUpstreamBalance({ interfaceId: upstreamId })).toMatchObject({ balance: new Decimal(CREDIT).minus(quote).toFixed(2) });
  });

  it("shows B's status, detail sections and actions at A", async () => {
    const detail = await buyerApi.instances.getInstance({ id: instanceId });
    const atB = await b.admin.instances.getInstance({ id: upstreamInstanceId });
    expect(detail.sections.map((section) => section.title)).toEqual(atB.sections.map((section) => section.title));
    expect(detail.sections.length).toBeGreaterThan(0);
    expect(detail.actions.map((action) => action.id)).toEqual(atB.actions.map((action) => action.id));
    expect(await aAdmin.integration.getInstanceStatus({ interfaceId: upstreamId, instanceId: upstreamInstanceId })).toMatchObject({ status: 'running' });
  });

  it('stops and starts the instance at A: the Incus instance stops and starts', async () => {
    const incusName = (await b.admin.instances.getInstance({ id: upstreamInstanceId })).instance?.providerInstanceId ?? '';
    expect((await buyerApi.instances.stopInstance({ id: instanceId })).instance?.status).toBe('stopped');
    expect(b.incus.instances.get(incusName)?.status).toBe('Stopped');
    expect((await b.admin.instances.getInstance({ id: upstreamInstanceId })).instance?.status).toBe('stopped');
    expect((await buyerApi.instances.startInstance({ id: instanceId })).instance?.status).toBe('running');
    expect(b.incus.instances.get(incusName)?.status).toBe('Running');
  });

  it("lists B's instances at A and imports the one A has (linked to A's instance, not a second one)", async () => {
    const listed = await aAdmin.integration.syncUpstreamInstances({ interfaceId: upstreamId });
    expect(listed.instances.map((item) => [item.instanceId, item.status])).toEqual([[upstreamInstanceId, 'running']]);
    const imported = await aAdmin.integration.importUpstreamInstance({ interfaceId: upstreamId, instanceId: upstreamInstanceId });
    expect(imported).toMatchObject({ instanceId, status: 'running' });
    expect(await queryRows(aDb.url, 'select id from instances')).toHaveLength(1);
  });

  describe('a retried create_instance for the same order', () => {
    let bed: ShippedPluginBed;
    let plugin: PluginTarget;
    beforeAll(async () => {
      // The same plugin and config, with a plugin state of its own: as if A's state were lost.
      bed = await shippedPluginBed({ outbound_allow: ['127.0.0.1'], call_timeout_ms: 20_000, http_timeout_ms: 15_000 });
      plugin = await bed.install('provider-rustbill', { api_url: b.server.url, api_key: apiKey, upstream_interface_id: b.providerId, currency: 'CNY' });
    }, 60_000);
    afterAll(async () => {
      await bed?.close();
    });

    it('makes no second order at B: the idempotency key finds the first', async () => {
      const spec = { cpu_cores: SPEC.cpuCores, memory_gb: SPEC.memoryGb, disk_gb: SPEC.diskGb, bandwidth_mbps: SPEC.bandwidthMbps, region: SPEC.region, os: SPEC.os };
      const again = readCreatedInstance(await bed.call(plugin, 'create_instance', { order_id: orderId, server_spec: spec }));
      expect(again).toMatchObject({ instanceId: upstreamInstanceId, status: 'running' });
      expect((await b.admin.orders.listOrders({ customerId: account })).orders).toHaveLength(1);
      expect(b.incus.instances.size).toBe(1);
      expect((await b.admin.balance.getBalance({ customerId: account })).balance).toBe(new Decimal(CREDIT).minus(quote).toFixed(2));
    }, 60_000);
  });

  it('terminates at A: terminated at B and gone from Incus', async () => {
    expect((await buyerApi.instances.terminateInstance({ id: instanceId })).instance?.status).toBe('terminated');
    expect((await b.admin.instances.getInstance({ id: upstreamInstanceId })).instance?.status).toBe('terminated');
    expect(b.incus.instances.size).toBe(0);
  });

  it('keeps the money invariant at both servers', async () => {
    for (const url of [aDb.url, b.db.url]) expect((await moneyInvariant(url)).broken).toEqual([]);
  });
});
