/**
 * provider-incus against a local Incus API server that requires client certificates (mTLS),
 * through the real engine and host services: health, create (POST + operation wait), status,
 * power actions, detail sections and actions, terminate; refused without a trusted certificate;
 * spec template, plans and prices computed in cents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginTarget } from '../../../src/plugins/types.ts';
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
