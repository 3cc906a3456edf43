import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Customer } from '../../../src/persistence/entities/customers.ts';
import { Instance } from '../../../src/persistence/entities/instances.ts';
import { Order } from '../../../src/persistence/entities/orders.ts';
import { Payment } from '../../../src/persistence/entities/payments.ts';
import { Plugin, PluginInterface, PluginState } from '../../../src/persistence/entities/plugins.ts';
import type { IntegrationApplication } from '../../../src/application/index.ts';
import { PluginRegistryError } from '../../../src/plugins/registry/errors.ts';
import type { PluginRegistry } from '../../../src/plugins/registry/registry.ts';
import { scriptHash } from '../../../src/plugins/registry/scripts.ts';
import { PluginScanner } from '../../../src/plugins/scanner.ts';
import { PluginError } from '../../../src/plugins/types.ts';
import { adminOrigin, gatewayScript, pluginTestBed, type PluginTestBed, providerScript, registryServices, writePlugin } from './support.ts';

let bed: PluginTestBed;
let registry: PluginRegistry;
let app: IntegrationApplication;
const defs: Record<string, string> = {};
/** An admin (sees and keeps secrets as sent) and an operator (secrets masked, kept when sent back as ""). */
const ADMIN = adminOrigin('admin');
const OPERATOR = adminOrigin('operator');

beforeAll(async () => {
  bed = await pluginTestBed();
  ({ registry, app } = registryServices(bed));
  const dir = bed.tempDir();
  writePlugin(dir, 'gateway-pay.js', gatewayScript({ version: '1.0.0' }));
  writePlugin(dir, 'gateway-plain.js', gatewayScript({ version: '1.0.0', adminPage: false }));
  writePlugin(dir, 'gateway-flaky.js', gatewayScript({ version: '1.0.0', health: "throw new Error('cannot reach ' + config.api_url);" }));
  writePlugin(dir, 'provider-local.js', providerScript());
  writePlugin(dir, 'provider-rustbill.js', providerScript({ upstream: true }));
  const summary = await new PluginScanner({ orm: bed.orm, engine: bed.engine, pluginsDir: dir, log: bed.log }).scan();
  expect(summary.failed).toEqual([]);
  for (const row of await bed.orm.em.fork().find(Plugin, {})) defs[row.pluginId] = row.id;
});
afterAll(async () => {
  await bed?.close();
});

async function refused(promise: Promise<unknown>, kind: PluginRegistryError['kind'], message?: RegExp): Promise<PluginRegistryError> {
  const error = await promise.then(() => null, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(PluginRegistryError);
  const refusal = error as PluginRegistryError;
  expect(refusal.kind).toBe(kind);
  if (message) expect(refusal.message).toMatch(message);
  return refusal;
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix} ${counter}`;
}

async function newGateway(config: Record<string, unknown> = { api_url: 'https://pay.example', key: 'k-1' }, plugin = 'pay'): Promise<PluginInterface> {
  return app.interfaces.create(ADMIN, { pluginDefId: defs[plugin] ?? '', displayName: uniqueName('gw'), configJson: JSON.stringify(config) });
}

describe('creating interfaces', () => {
  it('takes config_schema, version and admin-page flag from the script; starts disabled and unhealthy', async () => {
    const row = await app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: '  Main pay  ', configJson: '{"api_url":"https://pay.example","timeout":"30"}' });
    expect(row).toMatchObject({
      pluginDefId: defs.pay, pluginType: 'gateway', pluginId: 'pay', displayName: 'Main pay', enabled: false, isHealthy: false,
      pluginVersion: '1.0.0', hasAdminPage: true, config: { api_url: 'https://pay.example', timeout: '30' },
    });
    expect((row.configSchema as { required: string[] }).required).toEqual(['api_url']);
    const def = await bed.orm.em.fork().findOneOrFail(Plugin, { id: defs.pay ?? '' });
    expect(row.scriptSource).toBe(def.scriptSource);
    expect(row.scriptHash).toBe(scriptHash(def.scriptSource));
  });

  it('refuses a config that does not satisfy the schema, naming the field', async () => {
    const create = (configJson: string) => app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: uniqueName('bad'), configJson });
    await refused(create('{"key":"x"}'), 'invalid_argument', /config_json: config field "api_url" is required/);
    await refused(create('{"api_url":"https://x","timeout":"soon"}'), 'invalid_argument', /config field "timeout" must be integer/);
    await refused(create('{"api_url":"https://x","timeout":0}'), 'invalid_argument', /"timeout" must be >= 1/);
    await refused(create('{"api_url":'), 'invalid_argument', /config_json is not valid JSON/);
    await refused(create('[1]'), 'invalid_argument', /config_json must be a JSON object/);
  });

  it('accepts an empty draft config, but enabling needs the required fields', async () => {
    const row = await app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: uniqueName('draft'), configJson: '' });
    expect(row.config).toEqual({});
    await refused(app.interfaces.setEnabled(ADMIN, row.id, true), 'failed_precondition', /cannot enable .*config field "api_url" is required/);
    await app.interfaces.update(ADMIN, row.id, { configJson: '{"api_url":"https://pay.example"}' });
    expect((await app.interfaces.setEnabled(ADMIN, row.id, true)).changed).toBe(true);
    expect((await app.interfaces.setEnabled(ADMIN, row.id, true)).changed).toBe(false);
    expect((await registry.interfaces.get(row.id)).enabled).toBe(true);
    // An enabled interface's config must stay complete.
    await refused(app.interfaces.update(ADMIN, row.id, { configJson: '{}' }), 'invalid_argument', /"api_url" is required/);
  });

  it('refuses a display name used by the same plugin (AlreadyExists), allows it for another plugin', async () => {
    await app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: 'Shared name', configJson: '{}' });
    await refused(app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: 'Shared name', configJson: '{}' }), 'already_exists', /already has an interface named "Shared name"/);
    await app.interfaces.create(ADMIN, { pluginDefId: defs.plain ?? '', displayName: 'Shared name', configJson: '{}' });
    const other = await app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: 'Other name', configJson: '{}' });
    await refused(app.interfaces.update(ADMIN, other.id, { displayName: 'Shared name' }), 'already_exists');
  });

  it('refuses unknown definitions, empty names and scripts that do not load', async () => {
    await refused(app.interfaces.create(ADMIN, { pluginDefId: '0190aaaa-0000-7000-8000-000000000000', displayName: 'x', configJson: '{}' }), 'not_found', /plugin definition/);
    await refused(app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: '   ', configJson: '{}' }), 'invalid_argument', /display_name is required/);
    await refused(app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: uniqueName('own'), configJson: '{}', scriptSource: 'function (' }), 'invalid_argument', /script_source does not load \(syntax\)/);
  });
});

describe('config_schema regular expressions from a plugin script', () => {
  // gatewayScript's schema plus a field whose pattern backtracks exponentially in JavaScript's
  // RegExp ('^(a+)+$': 31 characters took over 60 s). With RE2 the check is linear; without it a
  // 5,000-character value would never finish (the test would time out).
  const script = gatewayScript({ version: '1.0.0', extraProperties: { code: { type: 'string', pattern: '^(a+)+$' } } });
  const create = (code: string, scriptSource = script) =>
    app.interfaces.create(ADMIN, { pluginDefId: defs.pay ?? '', displayName: uniqueName('redos'), configJson: JSON.stringify({ api_url: 'https://pay.example', code }), scriptSource });

  it('refuses a long non-matching value with the field named, and accepts a long matching one', async () => {
    await refused(create(`${'a'.repeat(5000)}!`), 'invalid_argument', /config field "code" must match pattern "\^\(a\+\)\+\$"/);
    const row = await create('a'.repeat(5000));
    expect((row.config as { code: string }).code).toHaveLength(5000);
  });

  it('refuses a script whose pattern RE2 cannot run, naming the field', async () => {
    const backreference = gatewayScript({ version: '1.0.0', extraProperties: { pin: { type: 'string', pattern: '^(\\d)\\1$' } } });
    await refused(create('aaa', backreference), 'failed_precondition', /config field "pin" cannot be run by RE2/);
  });
});

describe('updating interfaces', () => {
  it('changes the config and the display name and reports the changed fields only', async () => {
    const row = await newGateway();
    const { row: updated, changed } = await app.interfaces.update(ADMIN, row.id, { configJson: '{"api_url":"https://pay2.example","key":"k-2"}', displayName: 'Renamed gateway' });
    expect(changed).toEqual(['display_name', 'config_json']);
    expect(updated).toMatchObject({ displayName: 'Renamed gateway', config: { api_url: 'https://pay2.example', key: 'k-2' } });
    expect((await app.interfaces.update(ADMIN, row.id, { displayName: 'Renamed gateway' })).changed).toEqual([]);
  });

  it('keeps a stored secret when a masked form is saved back by a caller who cannot see secrets', async () => {
    const row = await newGateway({ api_url: 'https://pay.example', key: 'secret-key' });
    const { row: kept } = await app.interfaces.update(OPERATOR, row.id, { configJson: '{"api_url":"https://pay3.example","key":""}' });
    expect(kept.config).toEqual({ api_url: 'https://pay3.example', key: 'secret-key' });
    const { row: cleared } = await app.interfaces.update(ADMIN, row.id, { configJson: '{"api_url":"https://pay3.example","key":""}' });
    expect(cleared.config).toEqual({ api_url: 'https://pay3.example', key: '' });
  });

  it('hot-reloads a new script_source: inspected, stored with its hash, and the next call runs it', async () => {
    const row = await newGateway();
    expect(JSON.parse(await registry.adminPages.callAction(row.id, 'admin_echo', '{"value":1}'))).toEqual({ marker: 'v1', value: 1, api_url: 'https://pay.example' });
    const source = gatewayScript({ version: '1.5.0', marker: 'v2', adminPage: false, extraProperties: { region: { type: 'string' } } });
    const { row: updated, changed } = await app.interfaces.update(ADMIN, row.id, { scriptSource: source });
    expect(changed).toEqual(['script_source']);
    expect(updated).toMatchObject({ scriptSource: source, scriptHash: scriptHash(source), pluginVersion: '1.5.0', hasAdminPage: false });
    expect(Object.keys((updated.configSchema as { properties: Record<string, unknown> }).properties)).toContain('region');
    expect(JSON.parse(await registry.adminPages.callAction(row.id, 'admin_echo', '{"value":2}'))).toMatchObject({ marker: 'v2', value: 2 });
    await refused(registry.adminPages.page(row.id), 'not_found', /no admin page/);
    // A broken script is refused and the working one stays.
    await refused(app.interfaces.update(ADMIN, row.id, { scriptSource: 'function health_check( {' }), 'invalid_argument', /syntax/);
    await refused(app.interfaces.update(ADMIN, row.id, { scriptSource: "function config_schema() { return {}; }" }), 'invalid_argument', /contract/);
    expect((await registry.interfaces.get(row.id)).scriptSource).toBe(source);
  });

  it('evicts on a config change: the next call sees the new config', async () => {
    const row = await newGateway();
    expect(JSON.parse(await registry.adminPages.callAction(row.id, 'admin_echo', '{}')).api_url).toBe('https://pay.example');
    await app.interfaces.update(ADMIN, row.id, { configJson: '{"api_url":"https://other.example"}' });
    expect(JSON.parse(await registry.adminPages.callAction(row.id, 'admin_echo', '{}')).api_url).toBe('https://other.example');
  });
});

describe('deleting interfaces', () => {
  async function newCustomer(): Promise<Customer> {
    const em = bed.orm.em.fork();
    const customer = em.create(Customer, { name: uniqueName('customer') });
    await em.flush();
    return customer;
  }

  it('is refused while an open order uses the interface, allowed once the order is finished', async () => {
    const row = await newGateway();
    const customer = await newCustomer();
    const em = bed.orm.em.fork();
    const order = em.create(Order, { customerId: customer.id, amount: '10.00', gatewayInterfaceId: row.id });
    await em.flush();
    await refused(app.interfaces.remove(ADMIN, row.id), 'failed_precondition', /still used by 1 open order/);
    await bed.orm.em.fork().nativeUpdate(Order, { id: order.id }, { status: 'cancelled' });
    await app.interfaces.remove(ADMIN, row.id);
    await refused(registry.interfaces.get(row.id), 'not_found');
    await refused(app.interfaces.remove(ADMIN, row.id), 'not_found');
  });

  it('is refused while an instance that is not terminated uses a provider interface', async () => {
    const row = await app.interfaces.create(ADMIN, { pluginDefId: defs.local ?? '', displayName: uniqueName('local'), configJson: '{}' });
    const customer = await newCustomer();
    const em = bed.orm.em.fork();
    const instance = em.create(Instance, { customerId: customer.id, providerInterfaceId: row.id, providerInstanceId: 'x-1', status: 'running' });
    await em.flush();
    await refused(app.interfaces.remove(ADMIN, row.id), 'failed_precondition', /1 instance not terminated/);
    await bed.orm.em.fork().nativeUpdate(Instance, { id: instance.id }, { status: 'terminated' });
    await app.interfaces.remove(ADMIN, row.id);
  });

  it('is refused while a pending payment goes through a gateway interface, counting every kind of use', async () => {
    const row = await newGateway();
    const customer = await newCustomer();
    const em = bed.orm.em.fork();
    const payment = em.create(Payment, { customerId: customer.id, kind: 'recharge', amount: '5.00', gatewayInterfaceId: row.id });
    em.create(Order, { customerId: customer.id, amount: '10.00', gatewayInterfaceId: row.id });
    em.create(Order, { customerId: customer.id, amount: '12.00', providerInterfaceId: row.id, status: 'paid' });
    await em.flush();
    await refused(app.interfaces.remove(ADMIN, row.id), 'failed_precondition', /still used by 2 open orders, 1 pending payment; finish or move them first, or disable the interface instead$/);
    await bed.orm.em.fork().nativeUpdate(Order, { gatewayInterfaceId: row.id }, { status: 'completed' });
    await bed.orm.em.fork().nativeUpdate(Order, { providerInterfaceId: row.id }, { status: 'refunded' });
    await refused(app.interfaces.remove(ADMIN, row.id), 'failed_precondition', /still used by 1 pending payment;/);
    await bed.orm.em.fork().nativeUpdate(Payment, { id: payment.id }, { status: 'failed' });
    await app.interfaces.remove(ADMIN, row.id);
    await refused(registry.interfaces.get(row.id), 'not_found');
  });

  it('removes the interface\'s plugin state with it', async () => {
    const row = await newGateway();
    const em = bed.orm.em.fork();
    em.create(PluginState, { interfaceId: row.id, key: 'cb:1', value: '1' });
    await em.flush();
    await app.interfaces.remove(ADMIN, row.id);
    expect(await bed.orm.em.fork().count(PluginState, { interfaceId: row.id })).toBe(0);
  });
});

describe('health checks', () => {
  it('stores a healthy verdict with the check time', async () => {
    const row = await newGateway();
    const before = Date.now();
    const result = await app.operations.checkHealth(ADMIN, row.id);
    expect(result).toMatchObject({ healthy: true, error: null });
    const stored = await registry.interfaces.get(row.id);
    expect(stored).toMatchObject({ isHealthy: true, healthError: null });
    expect(stored.lastCheckAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('stores an unhealthy verdict with the reason the script gave', async () => {
    const row = await newGateway({ api_url: 'https://down.example' });
    expect(await app.operations.checkHealth(ADMIN, row.id)).toMatchObject({ healthy: false, error: 'gateway says down' });
    expect(await registry.interfaces.get(row.id)).toMatchObject({ isHealthy: false, healthError: 'gateway says down' });
    await app.interfaces.update(ADMIN, row.id, { configJson: '{"api_url":"https://up.example"}' });
    expect((await app.operations.checkHealth(ADMIN, row.id)).healthy).toBe(true);
    expect(await registry.interfaces.get(row.id)).toMatchObject({ isHealthy: true, healthError: null });
  });

  it('records a health_check that throws as unhealthy with the message', async () => {
    const row = await newGateway({ api_url: 'https://flaky.example' }, 'flaky');
    const result = await app.operations.checkHealth(ADMIN, row.id);
    expect(result.healthy).toBe(false);
    expect(result.error).toMatch(/cannot reach https:\/\/flaky\.example/);
    expect((await registry.interfaces.get(row.id)).healthError).toMatch(/cannot reach/);
  });

  it('checks all enabled interfaces only', async () => {
    const enabled = await newGateway();
    await app.interfaces.setEnabled(ADMIN, enabled.id, true);
    const disabled = await newGateway();
    const result = await registry.health.checkAllEnabled();
    expect(result.checked).toBeGreaterThanOrEqual(1);
    expect((await registry.interfaces.get(enabled.id)).lastCheckAt).not.toBeNull();
    expect((await registry.interfaces.get(disabled.id)).lastCheckAt).toBeNull();
  });
});

describe('admin page and actions', () => {
  it('returns the admin page, or NotFound when the script has none', async () => {
    const row = await newGateway();
    expect(await registry.adminPages.page(row.id)).toEqual({ html: '<h1>https://pay.example</h1>', title: 'Gateway admin' });
    const plain = await newGateway({ api_url: 'https://pay.example' }, 'plain');
    await refused(registry.adminPages.page(plain.id), 'not_found', /has no admin page/);
  });

  it('calls only functions the script defines, merges args into the config, and refuses money-moving ones', async () => {
    const row = await newGateway();
    expect(JSON.parse(await registry.adminPages.callAction(row.id, 'admin_echo', '{"value":"x","api_url":"https://override"}'))).toEqual({ marker: 'v1', value: 'x', api_url: 'https://override' });
    await refused(registry.adminPages.callAction(row.id, 'no_such_fn', '{}'), 'not_found', /defines no function "no_such_fn"/);
    await refused(registry.adminPages.callAction(row.id, 'refund', '{}'), 'failed_precondition', /cannot be called from the admin page/);
    await refused(registry.adminPages.callAction(row.id, 'globalThis.process', '{}'), 'invalid_argument', /not a function name/);
    await refused(registry.adminPages.callAction(row.id, '', '{}'), 'invalid_argument', /function is required/);
    await refused(registry.adminPages.callAction(row.id, 'admin_echo', '"x"'), 'invalid_argument', /args_json must be a JSON object/);
  });
});

describe('provider operations', () => {
  let local: PluginInterface;
  let upstream: PluginInterface;
  const spec = { cpuCores: 2, memoryGb: 4, diskGb: 50, bandwidthMbps: 100, region: 'us-west', os: 'ubuntu-22.04', extraSpecs: {} };

  beforeAll(async () => {
    local = await app.interfaces.create(ADMIN, { pluginDefId: defs.local ?? '', displayName: 'Local', configJson: '{}' });
    upstream = await app.interfaces.create(ADMIN, { pluginDefId: defs.rustbill ?? '', displayName: 'Upstream', configJson: '{}' });
    await app.interfaces.setEnabled(ADMIN, local.id, true);
    await app.interfaces.setEnabled(ADMIN, upstream.id, true);
  });

  it('maps query_price, create_instance, get_instance_status, sync_products and spec_template', async () => {
    expect(await registry.providers.queryPrice(local.id, spec)).toEqual({ amount: '24.00', currency: 'USD', billingCycle: 'monthly' });
    expect(await registry.providers.createInstance(local.id, spec)).toMatchObject({ instanceId: 'inst-us-west-2', status: 'Running', ipAddress: '10.0.0.5' });
    expect(await registry.providers.instanceStatus(local.id, 'i-1')).toEqual({ status: 'running', ipAddress: '' });
    const error = await registry.providers.instanceStatus(local.id, 'gone').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PluginError);
    expect((error as PluginError).kind).toBe('script_error');
    const products = await registry.providers.syncProducts(local.id, '');
    expect(products).toEqual([expect.objectContaining({ name: 'VPS-1C1G', pricePerMonth: '5.00', costPrice: '3.00', interfaceId: local.id, specs: { cpu_cores: '1' } })]);
    const template = await registry.providers.specTemplate(local);
    expect(template.groups?.[0]?.fields?.[0]).toMatchObject({ key: 'cpu_cores', min: 1n, max: 64n });
    // The group's fields are also sent at the top level, with their group key (ListProviders).
    expect(template.fields).toEqual([expect.objectContaining({ key: 'cpu_cores', group: 'compute', min: 1n, max: 64n })]);
  });

  it('runs upstream-only functions on upstream providers only', async () => {
    expect((await registry.providers.upstreamInstances(upstream.id)).map((item) => item.instanceId)).toEqual(['up-1', 'up-2']);
    expect(await registry.providers.upstreamBalance(upstream.id)).toEqual({ balance: '123.40', currency: 'CNY' });
    await refused(registry.providers.upstreamBalance(local.id), 'failed_precondition', /first-party provider/);
  });

  it('reads an upstream instance to import without writing any instance row (that is provisioning\'s)', async () => {
    const before = await bed.orm.em.fork().count(Instance, {});
    expect(await registry.providers.importUpstreamInstance(upstream.id, 'up-9')).toEqual({
      provider: { id: upstream.id, description: 'plugin interface "Upstream" (upstream_provider/rustbill)' },
      instance: { instanceId: 'up-9', status: 'running', ipAddress: '1.1.1.1', createdAt: '' },
    });
    expect(await bed.orm.em.fork().count(Instance, {})).toBe(before);
    await refused(registry.providers.importUpstreamInstance(local.id, 'up-9'), 'failed_precondition', /for upstream providers only/);
  });

  it('refuses disabled, unknown and non-provider interfaces', async () => {
    const gateway = await newGateway();
    await app.interfaces.setEnabled(ADMIN, gateway.id, true);
    await refused(registry.providers.queryPrice(gateway.id, spec), 'failed_precondition', /is not a provider/);
    const disabled = await app.interfaces.create(ADMIN, { pluginDefId: defs.local ?? '', displayName: uniqueName('off'), configJson: '{}' });
    await refused(registry.providers.syncProducts(disabled.id, ''), 'not_found', /does not exist or is disabled/);
    await refused(registry.providers.syncProducts('0190aaaa-0000-7000-8000-000000000000', ''), 'not_found');
  });
});
