/**
 * provider-rustbill through the real engine and host services, speaking binary gRPC-Web with a
 * hand-written protobuf codec:
 * - against a second, real NodeBill server (own database, a customer with a known balance and an
 *   API key inserted directly): health_check (GetMe), get_upstream_balance (GetBalance),
 *   sync_products (ListProducts: the active products only), a refused key, and a clear error for
 *   an RPC NodeBill does not implement yet;
 * - against a RustBill-protocol upstream built on connect-node and the generated schemas (so
 *   protobuf-es decodes what the plugin encodes and vice versa): the other 13 functions.
 * All 15 against a NodeBill that provisions through provider-incus (ordering and paying there with
 * the API key): test/server/reselling.test.ts.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/lib/ids.ts';
import type { PluginTarget } from '../../../src/plugins/types.ts';
import {
  readCreatedInstance, readImportedInstance, readInstanceStatus, readPriceQuote, readSpecTemplate, readSyncedProducts, readUpstreamBalance,
  readUpstreamInstances,
} from '../../../src/plugins/registry/results.ts';
import { type RustbillUpstream, startRustbillUpstream } from '../../support/counterparts/rustbill-upstream.ts';
import { startUpstreamNodeBill, type UpstreamNodeBill } from '../../support/counterparts/upstream-nodebill.ts';
import { failure, object, objects, type ShippedPluginBed, shippedPluginBed } from './harness.ts';
import { COUNTERPARTS_ALLOW } from '../../support/counterparts/allow-list.ts';

let bed: ShippedPluginBed;
beforeAll(async () => {
  bed = await shippedPluginBed({ outbound_allow: COUNTERPARTS_ALLOW });
});
afterAll(async () => {
  await bed?.close();
});

describe('provider-rustbill against a second NodeBill server', () => {
  let upstream: UpstreamNodeBill;
  let provider: PluginTarget;

  beforeAll(async () => {
    upstream = await startUpstreamNodeBill({ balance: '1234.56', creditLimit: '500.00' });
    provider = await bed.install('provider-rustbill', { api_url: upstream.url, api_key: upstream.apiKey, currency: 'CNY' });
  }, 120_000);
  afterAll(async () => {
    await upstream?.stop();
  });

  it('is healthy: GetMe answers with grpc-status 0 for the API key', async () => {
    expect(await bed.call(provider, 'health_check')).toBe('true');
    expect(bed.lines.some((line) => line.msg === `upstream ${upstream.url}: authenticated as api_key of customer ${upstream.customerId}`)).toBe(true);
  });

  it('reads the upstream balance with GetBalance: exactly the inserted one', async () => {
    const value = await bed.call(provider, 'get_upstream_balance');
    expect(object(value)).toEqual({ balance: '1234.56', credit_limit: '500.00', customer_id: upstream.customerId, currency: 'CNY' });
    expect(readUpstreamBalance(value)).toEqual({ balance: '1234.56', currency: 'CNY' });
  });

  it('syncs the upstream\'s active products, as its API key sees them through ListProducts', async () => {
    const client = new pg.Client({ connectionString: upstream.databaseUrl });
    await client.connect();
    const activeId = newId();
    try {
      await client.query(
        `insert into products (id, name, description, price_per_month, cost_price, billing_cycles, specs, is_active) values
          ($1, 'Upstream VPS', '2 vCPU', 20.00, 12.00, '{"monthly":"20.00","yearly":"200.00"}', '{"region":"hk"}', true),
          ($2, 'Withdrawn VPS', '', 9.00, 0, '{"monthly":"9.00"}', '{}', false)`,
        [activeId, newId()],
      );
    } finally {
      await client.end();
    }
    const products = readSyncedProducts(await bed.call(provider, 'sync_products'), provider.interfaceId, '');
    expect(products).toEqual([expect.objectContaining({
      name: 'Upstream VPS', description: '2 vCPU', pricePerMonth: '20.00', costPrice: '20.00',
      specs: { region: 'hk', upstream_product_id: activeId }, billingCycles: { monthly: '20.00', yearly: '200.00' },
    })]);
  });

  it("passes the upstream InstanceService's refusals on with their code and message (sent trailers-only)", async () => {
    // NodeBill sends these errors trailers-only: grpc-status and grpc-message are HTTP headers.
    for (const fn of ['get_instance_status', 'terminate_instance', 'instance_actions', 'execute_action']) {
      const failed = await failure(bed.call(provider, fn, { instance_id: 'x', action: 'start' }), 'script_error');
      expect(failed.message).toMatch(/^upstream InstanceService\/\w+ failed: INVALID_ARGUMENT \(grpc-status 3\): id "x" is not a UUID$/);
    }
    const unknown = newId();
    const missing = await failure(bed.call(provider, 'get_instance_status', { instance_id: unknown }), 'script_error');
    expect(missing.message).toBe(`upstream InstanceService/GetInstance failed: NOT_FOUND (grpc-status 5): instance ${unknown} does not exist`);
    // The API key's customer has no instances there.
    expect(readUpstreamInstances(await bed.call(provider, 'sync_upstream_instances'))).toEqual([]);
    // Whatever the upstream answers, its code and message are passed on.
    const price = await failure(bed.call(provider, 'query_price', { cpu_cores: 1 }), 'script_error');
    expect(price.message).toMatch(/^upstream IntegrationService\/QueryPrice failed: [A-Z_]+ \(grpc-status \d+\): .+/);
  });

  it('is unhealthy once the upstream refuses the key', async () => {
    await upstream.disableKey();
    const health = object(await bed.call(provider, 'health_check'));
    expect(health).toMatchObject({ healthy: false, error: expect.stringMatching(/^upstream IdentityService\/GetMe failed: /) });
  });
});

describe('provider-rustbill against a RustBill-protocol upstream', () => {
  let upstream: RustbillUpstream;
  let provider: PluginTarget;

  beforeAll(async () => {
    upstream = await startRustbillUpstream();
    provider = await bed.install('provider-rustbill', {
      api_url: upstream.url, api_key: upstream.apiKey, upstream_interface_id: upstream.interfaceId, markup_percent: '20',
    });
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('checks health and balance, and reports a refused key with its code and message', async () => {
    expect(await bed.call(provider, 'health_check')).toBe('true');
    expect(readUpstreamBalance(await bed.call(provider, 'get_upstream_balance'))).toEqual({ balance: '88.80', currency: 'CNY' });
    const stranger = await bed.install('provider-rustbill', { api_url: upstream.url, api_key: 'rk_live_wrong' });
    expect(object(await bed.call(stranger, 'health_check'))).toEqual({
      healthy: false,
      error: 'upstream IdentityService/GetMe failed: UNAUTHENTICATED (grpc-status 16): API key rejected: it was revoked or disabled',
    });
  });

  it('syncs the active products of all pages with the markup, keeping the upstream price as cost', async () => {
    const products = readSyncedProducts(await bed.call(provider, 'sync_products'), provider.interfaceId, '');
    expect(products.map((product) => [product.name, product.pricePerMonth, product.costPrice])).toEqual([
      ['HK VPS 2C4G', '36.00', '30.00'], ['SG VPS 1C1G', '14.81', '12.34'], ['JP VPS 4C8G', '66.66', '55.55'],
    ]);
    expect(products[0]?.specs).toEqual({ cpu_cores: '2', memory_gb: '4', region: 'hk', upstream_product_id: upstream.products[0]?.id });
    expect(products[0]?.billingCycles).toEqual({ monthly: '36.00', yearly: '360.00' });
    expect(products[0]?.description).toBe('香港 CN2');
    const listed = upstream.requests.filter((request) => request.method === 'ListProducts').map((request) => request.request);
    expect(listed).toEqual([
      expect.objectContaining({ pagination: expect.objectContaining({ page: 1, pageSize: 100 }), isActive: true }),
      expect.objectContaining({ pagination: expect.objectContaining({ page: 2, pageSize: 100 }), isActive: true }),
    ]);
  });

  it("takes the spec template of the upstream's provider interface", async () => {
    const template = readSpecTemplate(await bed.call(provider, 'spec_template'));
    expect(template.fields?.map((field) => field.key)).toEqual(['region']);
    expect(template.fields?.[0]).not.toHaveProperty('defaultValue');
    const [group] = template.groups ?? [];
    expect(group).toMatchObject({ key: 'compute', label: 'Compute', icon: 'cpu', displayOrder: 1 });
    expect(group?.fields?.[0]).toMatchObject({
      key: 'cpu_cores', fieldType: 'slider', required: true, min: 1n, max: 64n, step: 1n, defaultValue: '2', unit: '核',
      priceImpact: { mode: 'add', amount: '10.00', currency: 'CNY' },
    });
    expect(group?.fields?.[1]?.options).toEqual([
      expect.objectContaining({ value: 'debian-12', label: 'Debian 12', disabled: false }),
      expect.objectContaining({ value: 'alma-9', label: 'Alma 9', disabled: true, priceModifier: '5.00' }),
    ]);
  });

  it('queries the price with QueryPrice and orders with CreateUpstreamInstance, encoding the spec', async () => {
    const spec = { cpu_cores: 2, memory_gb: 4, disk_gb: 40, region: 'hk', os: 'debian-12', extra_specs: { ipv6: 'yes' } };
    expect(readPriceQuote(await bed.call(provider, 'query_price', spec))).toEqual({ amount: '44.00', currency: 'CNY', billingCycle: 'monthly' });
    expect(upstream.requests.at(-1)?.request).toMatchObject({
      interfaceId: upstream.interfaceId, cpuCores: 2, memoryGb: 4, diskGb: 40, region: 'hk', os: 'debian-12', extraSpecs: { ipv6: 'yes' },
    });

    const created = readCreatedInstance(await bed.call(provider, 'create_instance', { order_id: 'local-order', server_spec: spec }));
    expect(created.status).toBe('pending');
    expect(upstream.instances.get(created.instanceId)).toMatchObject({ status: 'provisioning' });
    const ordered = upstream.requests.filter((request) => request.method === 'CreateUpstreamInstance').at(-1);
    expect(ordered?.request).toMatchObject({
      interfaceId: upstream.interfaceId,
      serverSpec: { cpuCores: 2, memoryGb: 4, diskGb: 40, region: 'hk', os: 'debian-12', extraSpecs: { ipv6: 'yes' } },
    });
    // Sent with the order as idempotency key; then the upstream's instance is looked up among its
    // instances of the interface (this upstream answers its instance id, found by id).
    expect(ordered?.idempotencyKey).toBe('nodebill-order:local-order');
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'ListInstances', request: { providerInterfaceId: upstream.interfaceId } });
  });

  it('orders once per order_id: a retried create_instance reports the instance ordered first (read with GetInstance)', async () => {
    const spec = { cpu_cores: 1, memory_gb: 1, region: 'hk', os: 'debian-12' };
    const orderId = newId();
    const first = readCreatedInstance(await bed.call(provider, 'create_instance', { order_id: orderId, server_spec: spec }));
    const ordered = upstream.requests.filter((request) => request.method === 'CreateUpstreamInstance').length;
    const size = upstream.instances.size;
    upstream.instances.get(first.instanceId)!.status = 'running';
    upstream.instances.get(first.instanceId)!.ipAddress = '203.0.113.50';

    const again = readCreatedInstance(await bed.call(provider, 'create_instance', { order_id: orderId, server_spec: spec }));
    expect(again).toMatchObject({ instanceId: first.instanceId, status: 'running', ipAddress: '203.0.113.50' });
    expect(upstream.requests.filter((request) => request.method === 'CreateUpstreamInstance')).toHaveLength(ordered);
    expect(upstream.instances.size).toBe(size);
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'GetInstance', request: { id: first.instanceId } });

    // Another order, and a create without an order, each order a new instance.
    const other = readCreatedInstance(await bed.call(provider, 'create_instance', { order_id: newId(), server_spec: spec }));
    const direct = readCreatedInstance(await bed.call(provider, 'create_instance', { server_spec: spec }));
    expect(upstream.requests.filter((request) => request.method === 'CreateUpstreamInstance').map((request) => request.idempotencyKey).slice(-2)).toEqual([expect.stringMatching(/^nodebill-order:/), null]);
    expect(new Set([first.instanceId, other.instanceId, direct.instanceId]).size).toBe(3);
    expect(upstream.instances.size).toBe(size + 2);
    for (const id of [other.instanceId, direct.instanceId]) upstream.instances.delete(id);
  });

  it('reads status, detail sections and actions with GetInstance; reports an unknown instance', async () => {
    const [existing] = [...upstream.instances.values()];
    const id = existing?.id ?? '';
    expect(readInstanceStatus(await bed.call(provider, 'get_instance_status', { instance_id: id }))).toEqual({ status: 'running', ipAddress: '203.0.113.7' });
    const sections = objects(await bed.call(provider, 'instance_detail_sections', { instance_id: id }));
    expect(sections).toEqual([
      { kind: 'properties', title: 'Server', order: 1, content_html: '<table><tr><th>IP</th><td>203.0.113.7</td></tr><tr><th>Status</th><td>running</td></tr></table>', iframe_url: null, data_json: null },
      { kind: 'iframe', title: 'Console', order: 2, content_html: null, iframe_url: `https://upstream.example.com/console/${id}`, data_json: null },
    ]);
    expect(objects(await bed.call(provider, 'instance_actions', { instance_id: id }))).toEqual([
      { id: 'stop', label: 'Stop', style: 'Default', confirmation: 'Sure?', enabled: true },
      { id: 'reinstall', label: 'Reinstall', style: 'Danger', confirmation: 'All data is lost.', enabled: true },
    ]);
    const missing = await failure(bed.call(provider, 'get_instance_status', { instance_id: 'no-such-instance' }), 'script_error');
    expect(missing.message).toBe('upstream InstanceService/GetInstance failed: NOT_FOUND (grpc-status 5): instance no-such-instance does not exist');
  });

  it('executes power actions with their RPCs and other actions with ExecuteInstanceAction', async () => {
    const [existing] = [...upstream.instances.values()];
    const id = existing?.id ?? '';
    expect(object(await bed.call(provider, 'execute_action', { instance_id: id, action: 'stop' }))).toMatchObject({ success: true, data: '{"status":"stopped"}' });
    expect(upstream.instances.get(id)?.status).toBe('stopped');
    expect(object(await bed.call(provider, 'execute_action', { instance_id: id, action: 'start' }))).toMatchObject({ success: true, data: '{"status":"running"}' });
    expect(object(await bed.call(provider, 'execute_action', { instance_id: id, action: 'reinstall' }))).toEqual({ success: true, message: 'reinstall scheduled', data: '{"job":"42"}' });
    expect(upstream.requests.slice(-3).map((request) => request.method)).toEqual(['StopInstance', 'StartInstance', 'ExecuteInstanceAction']);
    expect(upstream.requests.at(-1)?.request).toMatchObject({ id, action: 'reinstall' });
  });

  it('lists the upstream instances over all pages and imports one', async () => {
    upstream.instances.set('extra-1', { id: 'extra-1', status: 'suspended', ipAddress: '203.0.113.9', createdAt: '2026-02-01T00:00:00Z' });
    const before = upstream.requests.length;
    const listed = readUpstreamInstances(await bed.call(provider, 'sync_upstream_instances'));
    expect(listed).toHaveLength(upstream.instances.size);
    expect(listed.find((instance) => instance.instanceId === 'extra-1')).toEqual({ instanceId: 'extra-1', status: 'stopped', ipAddress: '203.0.113.9', createdAt: '2026-02-01T00:00:00Z' });
    expect(upstream.requests.slice(before).filter((request) => request.method === 'ListInstances')).toHaveLength(Math.ceil(upstream.instances.size / 2));

    const [existing] = [...upstream.instances.values()];
    const imported = await bed.call(provider, 'import_upstream_instance', { instance_id: existing?.id });
    expect(readImportedInstance(imported, '')).toEqual({ instanceId: existing?.id, status: 'running', ipAddress: '203.0.113.7', createdAt: '2026-01-02T03:04:05Z' });
    expect(object(imported)).toMatchObject({ product_name: 'HK VPS 2C4G', server_spec: { cpu_cores: '2', memory_gb: '4' } });
  });

  it('terminates with TerminateInstance', async () => {
    const [existing] = [...upstream.instances.values()];
    const id = existing?.id ?? '';
    expect(object(await bed.call(provider, 'terminate_instance', { instance_id: id }))).toEqual({ success: true, message: `Upstream instance ${id} terminated` });
    expect(readInstanceStatus(await bed.call(provider, 'get_instance_status', { instance_id: id })).status).toBe('terminated');
  });
});
