/**
 * ImportUpstreamInstance as provisioning runs it (src/application/provisioning): the upstream
 * provider's script (through the real registry and engine) says what the instance is; one
 * transaction links it to the local instances and writes the audit row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationApplication } from '../../src/application/index.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { Customer } from '../../src/persistence/entities/customers.ts';
import { Instance } from '../../src/persistence/entities/instances.ts';
import { OperationLog } from '../../src/persistence/entities/operation-logs.ts';
import { Order } from '../../src/persistence/entities/orders.ts';
import { Plugin, type PluginInterface } from '../../src/persistence/entities/plugins.ts';
import { PluginScanner } from '../../src/plugins/scanner.ts';
import { adminOrigin, pluginTestBed, type PluginTestBed, providerScript, registryServices, writePlugin } from '../plugins/registry/support.ts';

let bed: PluginTestBed;
let app: IntegrationApplication;
let upstream: PluginInterface;
const ADMIN = adminOrigin();

beforeAll(async () => {
  bed = await pluginTestBed();
  ({ app } = registryServices(bed));
  const dir = bed.tempDir();
  writePlugin(dir, 'provider-rustbill.js', providerScript({ upstream: true }));
  await new PluginScanner({ orm: bed.orm, engine: bed.engine, pluginsDir: dir, log: bed.log }).scan();
  const def = await bed.orm.em.fork().findOneOrFail(Plugin, { pluginId: 'rustbill' });
  upstream = await app.interfaces.create(ADMIN, { pluginDefId: def.id, displayName: 'Upstream', configJson: '{}' });
  await app.interfaces.setEnabled(ADMIN, upstream.id, true);
});
afterAll(async () => {
  await bed?.close();
});

let counter = 0;
/** A customer and an order of the upstream interface naming provider instance `providerInstanceId`. */
async function orderFor(providerInstanceId: string): Promise<Order> {
  counter += 1;
  const em = bed.orm.em.fork();
  const customer = em.create(Customer, { name: `buyer ${counter}` });
  const order = em.create(Order, {
    customerId: customer.id, amount: '9.00', providerInterfaceId: upstream.id, providerInstanceId, status: 'provisioning',
    productName: 'VPS', serverSpec: { cpu_cores: 2, region: 'eu', extra_specs: { tier: 'gold' } },
  });
  await em.flush();
  return order;
}

async function instancesNaming(providerInstanceId: string): Promise<Instance[]> {
  return bed.orm.em.fork().find(Instance, { providerInterfaceId: upstream.id, providerInstanceId });
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const thrown = await promise.then(() => null, (error: unknown) => error);
  expect(thrown).toBeInstanceOf(DomainError);
  return thrown as DomainError;
}

describe('importing an upstream instance', () => {
  it('creates the instance of the order naming it, with the order\'s customer and spec, and audits it', async () => {
    const order = await orderFor('up-1');
    const origin = adminOrigin();
    const imported = await app.upstreamImport.importInstance(origin, upstream.id, 'up-1');
    expect(imported).toMatchObject({
      customerId: order.customerId, orderId: order.id, productName: 'VPS', providerInterfaceId: upstream.id, providerInstanceId: 'up-1',
      status: 'running', ipAddress: '1.1.1.1', serverSpec: { cpu_cores: '2', region: 'eu', tier: 'gold' },
    });
    expect((await instancesNaming('up-1')).map((row) => row.id)).toEqual([imported.id]);
    const audit = await bed.orm.em.fork().find(OperationLog, { requestId: origin.requestId });
    expect(audit.map((entry) => [entry.action, entry.targetType, entry.targetId, entry.details])).toEqual([
      ['upstream_instance.import', 'instance', imported.id, { interfaceId: upstream.id, providerInstanceId: 'up-1', caller: 'admin' }],
    ]);
  });

  it('refreshes an instance imported before (status, IP), and never revives a terminated one', async () => {
    await orderFor('up-2');
    const first = await app.upstreamImport.importInstance(ADMIN, upstream.id, 'up-2');
    await bed.orm.em.fork().nativeUpdate(Instance, { id: first.id }, { status: 'stopped', ipAddress: '' });
    const again = await app.upstreamImport.importInstance(ADMIN, upstream.id, 'up-2');
    expect(again).toMatchObject({ id: first.id, status: 'running', ipAddress: '1.1.1.1' });
    await bed.orm.em.fork().nativeUpdate(Instance, { id: first.id }, { status: 'terminated', ipAddress: '' });
    expect(await app.upstreamImport.importInstance(ADMIN, upstream.id, 'up-2')).toMatchObject({ id: first.id, status: 'terminated', ipAddress: '1.1.1.1' });
    expect(await instancesNaming('up-2')).toHaveLength(1);
  });

  it('links the order\'s existing instance instead of creating a second one', async () => {
    const order = await orderFor('up-3');
    const em = bed.orm.em.fork();
    const provisioned = em.create(Instance, { customerId: order.customerId, orderId: order.id, status: 'provisioning' });
    await em.flush();
    const imported = await app.upstreamImport.importInstance(ADMIN, upstream.id, 'up-3');
    expect(imported).toMatchObject({ id: provisioned.id, providerInterfaceId: upstream.id, providerInstanceId: 'up-3', status: 'running' });
    expect(await bed.orm.em.fork().count(Instance, { orderId: order.id })).toBe(1);
  });

  it('refuses an instance no order or instance names (it would have no owner), writing nothing', async () => {
    const origin = adminOrigin();
    const refused = await refusal(app.upstreamImport.importInstance(origin, upstream.id, 'up-unknown'));
    expect(refused.kind).toBe('failed_precondition');
    expect(refused.message).toBe('upstream instance "up-unknown" is not referenced by any order or instance of plugin interface "Upstream" (upstream_provider/rustbill); an imported instance needs an owning customer\'s order');
    expect(await instancesNaming('up-unknown')).toEqual([]);
    expect(await bed.orm.em.fork().count(OperationLog, { requestId: origin.requestId })).toBe(0);
  });

  it('writes the instance only together with its audit row', async () => {
    await orderFor('up-4');
    // operation_logs.admin_username holds 64 characters: this audit row cannot be written.
    await expect(app.upstreamImport.importInstance(adminOrigin('admin', 'u'.repeat(65)), upstream.id, 'up-4')).rejects.toThrow();
    expect(await instancesNaming('up-4')).toEqual([]);
  });

  it('refreshes the instance a concurrent import created first, instead of failing on the duplicate', async () => {
    const order = await orderFor('up-5');
    let importing: Promise<Instance> | undefined;
    const first = await bed.orm.em.fork().transactional(async (tx) => {
      const row = tx.create(Instance, { customerId: order.customerId, providerInterfaceId: upstream.id, providerInstanceId: 'up-5', status: 'provisioning' });
      await tx.flush();
      // The import cannot see this row yet: its insert waits for this transaction, then collides.
      importing = app.upstreamImport.importInstance(ADMIN, upstream.id, 'up-5');
      importing.catch(() => undefined);
      await untilAnInsertWaits();
      return row.id;
    });
    expect(await importing).toMatchObject({ id: first, status: 'running', ipAddress: '1.1.1.1' });
    expect(await instancesNaming('up-5')).toHaveLength(1);
  });
});

/** Resolves once a session of the test database waits for a lock (the import's insert). */
async function untilAnInsertWaits(): Promise<void> {
  for (;;) {
    const [row] = await bed.orm.em.fork().execute<Array<{ waiting: number }>>(
      "select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    );
    if ((row?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
