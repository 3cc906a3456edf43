/**
 * provider-incus against a local Incus API server that requires client certificates (mTLS),
 * through the real engine and host services: health, create (POST + operation wait), status,
 * power actions, detail sections and actions, terminate; refused without a trusted certificate;
 * spec template, plans and prices computed in cents. resize_instance (a NodeBill extension) through
 * the registry's ProviderCalls: PATCH of the instance's limits, and the refusal of a provider
 * without the function (provider-rustbill).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerSpecInput } from '../../../src/domain/provisioning/server-spec.ts';
import { PluginInterface } from '../../../src/persistence/entities/plugins.ts';
import type { PluginTarget } from '../../../src/plugins/types.ts';
import { PluginRegistryError } from '../../../src/plugins/registry/errors.ts';
import type { ProviderCalls } from '../../../src/plugins/registry/providers.ts';
import { PluginRegistry } from '../../../src/plugins/registry/registry.ts';
import { readCreatedInstance, readPriceQuote, readSpecTemplate, readSyncedProducts } from '../../../src/plugins/registry/results.ts';
import { generateTestCertificates, type TestCertificates } from '../../support/counterparts/certs.ts';
import { type IncusServer, startIncusServer } from '../../support/counterparts/incus.ts';
import { failure, object, objects, type ShippedPluginBed, shippedPluginBed } from './harness.ts';
import { COUNTERPARTS_ALLOW } from '../../support/counterparts/allow-list.ts';

let bed: ShippedPluginBed;
let certs: TestCertificates;
let incus: IncusServer;
let provider: PluginTarget;
const orderId = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const instanceName = `rb-${orderId}`;

beforeAll(async () => {
  bed = await shippedPluginBed({ outbound_allow: COUNTERPARTS_ALLOW });
  certs = generateTestCertificates();
  incus = await startIncusServer({ caCert: certs.caCert, serverCert: certs.serverCert, serverKey: certs.serverKey });
  provider = await bed.install('provider-incus', {
    api_url: incus.url,
    cert_pem: certs.clientCert,
    key_pem: certs.clientKey,
    ca_pem: certs.caCert,
    instance_type: 'virtual-machine',
    storage_pool: 'fast',
    console_url: 'https://console.example.com/incus/',
    price_per_cpu: '10.00',
    price_per_gb_memory: '5.00',
    price_per_gb_disk: '0.25',
    price_base: '1.99',
  });
});
afterAll(async () => {
  await incus?.close();
  await bed?.close();
});

describe('provider-incus over mTLS', () => {
  it('is healthy: GET /1.0 with the client certificate, trusted', async () => {
    expect(await bed.call(provider, 'health_check')).toBe('true');
    expect(incus.requests.at(-1)).toMatchObject({ method: 'GET', path: '/1.0', clientCn: 'nodebill-client' });
  });

  it('is refused without a certificate the server trusts', async () => {
    const stranger = await bed.install('provider-incus', { api_url: incus.url, cert_pem: certs.strangerCert, key_pem: certs.strangerKey, ca_pem: certs.caCert });
    const before = incus.requests.length;
    const error = await failure(bed.call(stranger, 'health_check'), 'host_error');
    expect(error.message).toMatch(/GET 127\.0\.0\.1:\d+ failed/);
    expect(incus.requests.length).toBe(before);
  });

  it('does not trust a server certificate from an unknown CA', async () => {
    const noCa = await bed.install('provider-incus', { api_url: incus.url, cert_pem: certs.clientCert, key_pem: certs.clientKey });
    expect((await failure(bed.call(noCa, 'health_check'), 'host_error')).message).toMatch(/certificate/i);
  });

  it('creates an instance: POST /1.0/instances with the spec as limits, waits for the operation, reports status and IP', async () => {
    const value = await bed.call(provider, 'create_instance', { order_id: orderId, server_spec: { cpu_cores: 2, memory_gb: 4, disk_gb: 40, os: 'ubuntu-24.04' } });
    const created = readCreatedInstance(value);
    expect(created).toMatchObject({ instanceId: instanceName, status: 'running', ipAddress: expect.stringMatching(/^10\.10\.0\.\d+$/) });
    const post = incus.requests.find((request) => request.method === 'POST' && request.path === '/1.0/instances');
    expect(post?.body).toEqual({
      name: instanceName,
      type: 'virtual-machine',
      source: { type: 'image', alias: 'ubuntu/24.04', server: 'https://images.linuxcontainers.org', protocol: 'simplestreams', mode: 'pull' },
      config: { 'limits.cpu': '2', 'limits.memory': '4GiB' },
      devices: { root: { type: 'disk', path: '/', pool: 'fast', size: '40GiB' } },
      start: true,
    });
    expect(incus.requests.some((request) => /^\/1\.0\/operations\/[0-9a-f-]+\/wait$/.test(request.path))).toBe(true);
    expect(incus.instances.get(instanceName)?.status).toBe('Running');
  });

  it('reports the existing instance again when provisioning is retried, creating no second one', async () => {
    const size = incus.instances.size;
    const posts = incus.requests.filter((request) => request.method === 'POST').length;
    const again = readCreatedInstance(await bed.call(provider, 'create_instance', { order_id: orderId, cpu_cores: 2, memory_gb: 4, disk_gb: 40, os: 'ubuntu-24.04' }));
    expect(again).toMatchObject({ instanceId: instanceName, status: 'running', ipAddress: incus.instances.get(instanceName)?.ipv4 });
    // The retry's POST names the same instance (Incus answers 409), so nothing new exists.
    const retried = incus.requests.filter((request) => request.method === 'POST');
    expect(retried).toHaveLength(posts + 1);
    expect(retried.at(-1)?.body).toMatchObject({ name: instanceName });
    expect(incus.instances.size).toBe(size);
  });

  it('surfaces a failed creation operation', async () => {
    incus.images.delete('alpine/3.20');
    const error = await failure(bed.call(provider, 'create_instance', { order_id: 'other-order', os: 'alpine-3.20' }), 'script_error');
    expect(error.message).toBe('creating rb-other-order failed: Failed getting remote image info: Image "alpine/3.20" not found');
    expect((await failure(bed.call(provider, 'create_instance', { order_id: 'x', os: 'windows' }), 'script_error')).message).toMatch(/unknown os/);
  });

  it('creates without an order (CreateUpstreamInstance): generated name, unset (0) sizes take the defaults', async () => {
    const created = readCreatedInstance(await bed.call(provider, 'create_instance', {
      server_spec: { cpu_cores: 1, memory_gb: 0, disk_gb: 0, bandwidth_mbps: 0, region: '', os: '', extra_specs: {} },
    }));
    expect(created.instanceId).toMatch(/^rb-[a-z0-9]+$/);
    expect(incus.instances.get(created.instanceId)).toMatchObject({
      config: { 'limits.cpu': '1', 'limits.memory': '1GiB' },
      devices: { root: { size: '20GiB' } },
      source: { alias: 'debian/12' },
    });
  });

  it('reads the status from GET /1.0/instances/{name}/state', async () => {
    const status = object(await bed.call(provider, 'get_instance_status', { instance_id: instanceName }));
    expect(status).toEqual({ status: 'running', ip_address: incus.instances.get(instanceName)?.ipv4 });
    expect(incus.requests.at(-1)).toMatchObject({ method: 'GET', path: `/1.0/instances/${instanceName}/state` });
  });

  it('offers actions by status and executes stop / start / restart through PUT …/state', async () => {
    const running = objects(await bed.call(provider, 'instance_actions', { instance_id: instanceName, status: 'running' }));
    expect(running.map((action) => [action.id, action.enabled])).toEqual([['start', false], ['stop', true], ['restart', true], ['force_stop', true]]);
    expect(running.find((action) => action.id === 'force_stop')).toMatchObject({ style: 'Danger', confirmation: expect.stringMatching(/Power off/) });

    const stopped = object(await bed.call(provider, 'execute_action', { instance_id: instanceName, action: 'stop' }));
    expect(stopped).toMatchObject({ success: true, data: JSON.stringify({ status: 'stopped' }) });
    expect(incus.requests.find((request) => request.method === 'PUT')?.body).toEqual({ action: 'stop', timeout: 30 });
    expect(object(await bed.call(provider, 'get_instance_status', { instance_id: instanceName })).status).toBe('stopped');

    const whenStopped = objects(await bed.call(provider, 'instance_actions', { instance_id: instanceName, status: 'stopped' }));
    expect(whenStopped.filter((action) => action.enabled).map((action) => action.id)).toEqual(['start']);

    const refused = object(await bed.call(provider, 'execute_action', { instance_id: instanceName, action: 'restart' }));
    expect(refused).toMatchObject({ success: false, message: 'Restart refused: The instance is already stopped' });

    expect(object(await bed.call(provider, 'execute_action', { instance_id: instanceName, action: 'start' }))).toMatchObject({ success: true });
    expect(object(await bed.call(provider, 'execute_action', { instance_id: instanceName, action: 'restart' }))).toMatchObject({ success: true });
    expect(incus.instances.get(instanceName)?.status).toBe('Running');
    expect((await failure(bed.call(provider, 'execute_action', { instance_id: instanceName, action: 'format_disk' }), 'script_error')).message)
      .toMatch(/unknown action "format_disk"/);
  });

  it('shows live properties and a console iframe in the detail sections', async () => {
    const sections = objects(await bed.call(provider, 'instance_detail_sections', {
      instance_id: instanceName, status: 'stopped', server_spec: { cpu_cores: '2', memory_gb: '4', disk_gb: '40', os: 'ubuntu-24.04' },
    }));
    expect(sections).toHaveLength(2);
    expect(sections[0]).toMatchObject({ kind: 'properties', title: 'Server', order: 1, iframe_url: null });
    expect(String(sections[0]?.content_html)).toContain('<td>running</td>');
    expect(String(sections[0]?.content_html)).toContain(`<td>${incus.instances.get(instanceName)?.ipv4}</td>`);
    expect(String(sections[0]?.content_html)).toContain('<td>4 GB</td>');
    expect(sections[1]).toMatchObject({ kind: 'iframe', title: 'Console', iframe_url: `https://console.example.com/incus/${instanceName}` });
  });

  it('terminates: forced stop, DELETE, and "terminated" afterwards; terminating again succeeds', async () => {
    const terminated = object(await bed.call(provider, 'terminate_instance', { instance_id: instanceName }));
    expect(terminated).toMatchObject({ success: true, message: `Instance ${instanceName} deleted` });
    const calls = incus.requests.slice(-6).map((request) => `${request.method} ${request.path}`);
    expect(calls).toContain(`DELETE /1.0/instances/${instanceName}`);
    expect(incus.requests.filter((request) => request.method === 'PUT').at(-1)?.body).toEqual({ action: 'stop', force: true, timeout: 30 });
    expect(incus.instances.has(instanceName)).toBe(false);
    expect(object(await bed.call(provider, 'get_instance_status', { instance_id: instanceName }))).toMatchObject({ status: 'terminated' });
    expect(object(await bed.call(provider, 'terminate_instance', { instance_id: instanceName }))).toMatchObject({ success: true });
  });
});

describe('resize_instance through ProviderCalls', () => {
  const name = 'rb-resize-1';
  let providers: ProviderCalls;
  let rustbill: PluginTarget;
  const spec = (cpuCores: number, memoryGb: number): ServerSpecInput => ({
    cpuCores, memoryGb, diskGb: 80, bandwidthMbps: 0, region: 'local', os: 'debian-12', extraSpecs: {},
  });
  const patches = (): IncusServer['requests'] => incus.requests.filter((request) => request.method === 'PATCH');
  const refusal = async (promise: Promise<unknown>): Promise<PluginRegistryError> => {
    const error = await promise.then((value) => new Error(`expected a refusal, got ${JSON.stringify(value)}`), (thrown: unknown) => thrown);
    if (!(error instanceof PluginRegistryError)) throw error;
    return error;
  };

  beforeAll(async () => {
    providers = new PluginRegistry({ orm: bed.orm, engine: bed.engine, log: bed.log }).providers;
    // Not reachable: provider-rustbill must be refused before its script is ever called.
    rustbill = await bed.install('provider-rustbill', { api_url: 'https://upstream.invalid', api_key: 'rk_test_unused', currency: 'CNY' });
    incus.instances.set(name, {
      name, type: 'virtual-machine', status: 'Running', config: { 'limits.cpu': '2', 'limits.memory': '4GiB', 'security.secureboot': 'false' },
      devices: { root: { type: 'disk', path: '/', pool: 'fast', size: '40GiB' } }, source: { type: 'image', alias: 'debian/12' }, ipv4: '10.10.0.200',
    });
  });

  it('knows provider-incus can resize and provider-rustbill cannot; a disabled or unknown interface cannot', async () => {
    expect(await providers.canResize(provider.interfaceId)).toBe(true);
    expect(await providers.canResize(rustbill.interfaceId)).toBe(false);
    const disabled = await bed.install('provider-incus', { api_url: incus.url, cert_pem: certs.clientCert, key_pem: certs.clientKey });
    await bed.orm.em.fork().nativeUpdate(PluginInterface, { id: disabled.interfaceId }, { enabled: false });
    expect(await providers.canResize(disabled.interfaceId)).toBe(false);
    expect(await providers.canResize('0190aaaa-0000-7000-8000-000000000000')).toBe(false);
  });

  it('upgrades: PATCH /1.0/instances/{name} with the new limits, merged into the instance config at Incus', async () => {
    const before = patches().length;
    const result = await providers.resizeInstance(provider.interfaceId, name, spec(4, 8));
    expect(result).toEqual({ success: true, message: `Resized ${name} to 4 vCPU / 8 GiB`, data: '' });
    expect(patches()).toHaveLength(before + 1);
    expect(patches().at(-1)).toMatchObject({ path: `/1.0/instances/${name}`, body: { config: { 'limits.cpu': '4', 'limits.memory': '8GiB' } }, clientCn: 'nodebill-client' });
    expect(incus.instances.get(name)?.config).toEqual({ 'limits.cpu': '4', 'limits.memory': '8GiB', 'security.secureboot': 'false' });
    expect(bed.lines.find((line) => line.msg === 'provider instance resize' && line.providerInstanceId === name))
      .toMatchObject({ interfaceId: provider.interfaceId, cpuCores: 4, memoryGb: 8, success: true });
  });

  it('changes only the sizes given (0 = unchanged) and sends nothing when no size is given', async () => {
    const result = await providers.resizeInstance(provider.interfaceId, name, spec(0, 2));
    expect(result).toEqual({ success: true, message: `Resized ${name} to 2 GiB`, data: '' });
    expect(patches().at(-1)?.body).toEqual({ config: { 'limits.memory': '2GiB' } });
    expect(incus.instances.get(name)?.config).toMatchObject({ 'limits.cpu': '4', 'limits.memory': '2GiB' });

    const count = patches().length;
    expect((await failure(providers.resizeInstance(provider.interfaceId, name, spec(0, 0)), 'script_error')).message).toMatch(/nothing to resize/);
    expect(patches()).toHaveLength(count);
  });

  it('fails for an instance Incus does not have (404), changing nothing', async () => {
    const count = patches().length;
    const error = await failure(providers.resizeInstance(provider.interfaceId, 'rb-missing', spec(2, 2)), 'script_error');
    expect(error.message).toBe('instance rb-missing does not exist');
    expect(patches()).toHaveLength(count + 1);
    expect(incus.instances.has('rb-missing')).toBe(false);
    expect(incus.instances.get(name)?.config).toMatchObject({ 'limits.cpu': '4', 'limits.memory': '2GiB' });
  });

  it('refuses provider-rustbill (no resize_instance) with failed_precondition, before calling its script', async () => {
    const row = await bed.orm.em.fork().findOneOrFail(PluginInterface, { id: rustbill.interfaceId });
    const error = await refusal(providers.resizeInstance(rustbill.interfaceId, 'up-1', spec(4, 8)));
    expect(error.kind).toBe('failed_precondition');
    expect(error.message).toBe(`plugin interface "${row.displayName}" (upstream_provider/rustbill) cannot resize instances: its plugin has no resize_instance function`);
  });

  it('refuses a disabled or unknown interface as not_found', async () => {
    const disabled = await bed.install('provider-incus', { api_url: incus.url, cert_pem: certs.clientCert, key_pem: certs.clientKey });
    await bed.orm.em.fork().nativeUpdate(PluginInterface, { id: disabled.interfaceId }, { enabled: false });
    const count = patches().length;
    expect((await refusal(providers.resizeInstance(disabled.interfaceId, name, spec(8, 16)))).kind).toBe('not_found');
    expect((await refusal(providers.resizeInstance('0190aaaa-0000-7000-8000-000000000000', name, spec(8, 16)))).kind).toBe('not_found');
    expect(patches()).toHaveLength(count);
  });
});

describe('provider-incus catalog and prices', () => {
  it('offers a spec template with cpu, memory and disk sliders and an os select', () =>
    bed.call(provider, 'spec_template').then((value) => {
      const template = readSpecTemplate(value);
      const fields = template.groups?.flatMap((group) => group.fields ?? []) ?? [];
      expect(fields.map((field) => [field.key, field.fieldType])).toEqual([
        ['cpu_cores', 'slider'], ['memory_gb', 'slider'], ['disk_gb', 'slider'], ['os', 'select'],
      ]);
      expect(fields.find((field) => field.key === 'os')?.options?.map((option) => option.value)).toContain('debian-12');
    }));

  it('prices a spec in cents: base + cpu × price + GB × price, per billing cycle', async () => {
    const spec = { cpu_cores: 3, memory_gb: 7, disk_gb: 33 };
    // 1.99 + 3 × 10.00 + 7 × 5.00 + 33 × 0.25 = 75.24
    expect(readPriceQuote(await bed.call(provider, 'query_price', spec))).toEqual({ amount: '75.24', currency: 'CNY', billingCycle: 'monthly' });
    expect(readPriceQuote(await bed.call(provider, 'query_price', { ...spec, billing_cycle: 'yearly' })).amount).toBe('902.88');
    expect((await failure(bed.call(provider, 'query_price', { cpu_cores: 'lots' }), 'script_error')).message).toMatch(/cpu_cores/);
  });

  it('syncs the built-in plans or the configured ones, priced the same way', async () => {
    const builtIn = readSyncedProducts(await bed.call(provider, 'sync_products'), provider.interfaceId, '');
    expect(builtIn.map((product) => [product.name, product.pricePerMonth])).toEqual([
      ['Incus S', '21.99'], ['Incus M', '51.99'], ['Incus L', '101.99'],
    ]);
    expect(builtIn[1]?.specs).toEqual({ cpu_cores: '2', memory_gb: '4', disk_gb: '40' });
    expect(builtIn[1]?.billingCycles).toEqual({ monthly: '51.99', quarterly: '155.97', yearly: '623.88' });

    const custom = await bed.install('provider-incus', {
      api_url: incus.url, cert_pem: certs.clientCert, key_pem: certs.clientKey, plans: [{ name: 'Tiny', cpu_cores: 1, memory_gb: 1, disk_gb: 10 }],
    });
    const products = readSyncedProducts(await bed.call(custom, 'sync_products'), custom.interfaceId, '');
    expect(products.map((product) => [product.name, product.pricePerMonth])).toEqual([['Tiny', '20.00']]);
  });
});
