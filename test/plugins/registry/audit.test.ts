/**
 * Every admin change of IntegrationService writes its operation_logs row in the change's own
 * transaction (src/application/plugins): a change whose audit row cannot be written is not made.
 * The audit row is made unwritable by an admin username longer than `operation_logs.admin_username`
 * (64 characters) allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationApplication } from '../../../src/application/index.ts';
import type { Origin } from '../../../src/domain/origin.ts';
import { OperationLog } from '../../../src/persistence/entities/operation-logs.ts';
import { Plugin, PluginInterface } from '../../../src/persistence/entities/plugins.ts';
import { PluginScanner } from '../../../src/plugins/scanner.ts';
import { adminOrigin, gatewayScript, pluginTestBed, type PluginTestBed, providerScript, registryServices, writePlugin } from './support.ts';

let bed: PluginTestBed;
let app: IntegrationApplication;
const restarts: string[] = [];
const defs: Record<string, string> = {};
/** An origin whose audit row the database refuses (admin_username is at most 64 characters). */
const UNRECORDABLE = adminOrigin('admin', 'u'.repeat(65));

beforeAll(async () => {
  bed = await pluginTestBed();
  ({ app } = registryServices(bed, {
    restartServer: async (requestedBy) => {
      restarts.push(requestedBy);
      return { alreadyRunning: false };
    },
  }));
  const dir = bed.tempDir();
  writePlugin(dir, 'gateway-audited.js', gatewayScript({ version: '1.0.0' }));
  writePlugin(dir, 'provider-rustbill.js', providerScript({ upstream: true }));
  await new PluginScanner({ orm: bed.orm, engine: bed.engine, pluginsDir: dir, log: bed.log }).scan();
  for (const row of await bed.orm.em.fork().find(Plugin, {})) defs[row.pluginId] = row.id;
});
afterAll(async () => {
  await bed?.close();
});

/** The audit rows written under `origin`'s request id. */
async function auditRows(origin: Origin): Promise<OperationLog[]> {
  return bed.orm.em.fork().find(OperationLog, { requestId: origin.requestId });
}

async function stored(id: string): Promise<PluginInterface | null> {
  return bed.orm.em.fork().findOne(PluginInterface, { id });
}

let counter = 0;
async function newGateway(config: Record<string, unknown> = { api_url: 'https://pay.example' }): Promise<PluginInterface> {
  counter += 1;
  return app.interfaces.create(adminOrigin(), { pluginDefId: defs.audited ?? '', displayName: `audited ${counter}`, configJson: JSON.stringify(config) });
}

describe('admin changes and their audit rows, in one transaction', () => {
  it('creates an interface together with its audit row, and not at all when the row cannot be written', async () => {
    await expect(app.interfaces.create(UNRECORDABLE, { pluginDefId: defs.audited ?? '', displayName: 'never stored', configJson: '{}' })).rejects.toThrow();
    expect(await bed.orm.em.fork().count(PluginInterface, { displayName: 'never stored' })).toBe(0);

    const origin = adminOrigin();
    const row = await app.interfaces.create(origin, { pluginDefId: defs.audited ?? '', displayName: 'stored', configJson: '{}' });
    const [entry, ...more] = await auditRows(origin);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      action: 'plugin_interface.create', targetType: 'plugin_interface', targetId: row.id, adminUsername: 'root', clientAddress: '127.0.0.1',
      details: { pluginType: 'gateway', pluginId: 'audited', displayName: 'stored', ownScript: false, scriptSha256: row.scriptHash, caller: 'admin' },
    });
  });

  it('updates an interface only together with its audit row', async () => {
    const row = await newGateway();
    await expect(app.interfaces.update(UNRECORDABLE, row.id, { configJson: '{"api_url":"https://changed.example"}', displayName: 'renamed' })).rejects.toThrow();
    expect(await stored(row.id)).toMatchObject({ displayName: row.displayName, config: { api_url: 'https://pay.example' } });

    const origin = adminOrigin();
    await app.interfaces.update(origin, row.id, { configJson: '{"api_url":"https://changed.example"}' });
    expect((await auditRows(origin)).map((entry) => [entry.action, entry.targetId, entry.details.changes])).toEqual([['plugin_interface.update', row.id, ['config_json']]]);
    // Nothing changed: nothing to audit.
    const unchanged = adminOrigin();
    await app.interfaces.update(unchanged, row.id, { configJson: '{"api_url":"https://changed.example"}' });
    expect(await auditRows(unchanged)).toEqual([]);
  });

  it('enables and disables an interface only together with its audit row', async () => {
    const row = await newGateway();
    await expect(app.interfaces.setEnabled(UNRECORDABLE, row.id, true)).rejects.toThrow();
    expect((await stored(row.id))?.enabled).toBe(false);

    const on = adminOrigin();
    await app.interfaces.setEnabled(on, row.id, true);
    const off = adminOrigin();
    await app.interfaces.setEnabled(off, row.id, false);
    expect((await auditRows(on)).map((entry) => entry.action)).toEqual(['plugin_interface.enable']);
    expect((await auditRows(off)).map((entry) => entry.action)).toEqual(['plugin_interface.disable']);
  });

  it('deletes an interface only together with its audit row', async () => {
    const row = await newGateway();
    await expect(app.interfaces.remove(UNRECORDABLE, row.id)).rejects.toThrow();
    expect(await stored(row.id)).not.toBeNull();

    const origin = adminOrigin();
    await app.interfaces.remove(origin, row.id);
    expect(await stored(row.id)).toBeNull();
    expect((await auditRows(origin)).map((entry) => [entry.action, entry.targetId, entry.details.displayName])).toEqual([['plugin_interface.delete', row.id, row.displayName]]);
  });

  it('stores a health verdict only together with its audit row', async () => {
    const row = await newGateway({ api_url: 'https://down.example' });
    await expect(app.operations.checkHealth(UNRECORDABLE, row.id)).rejects.toThrow();
    expect(await stored(row.id)).toMatchObject({ lastCheckAt: null, healthError: null });

    const origin = adminOrigin();
    expect(await app.operations.checkHealth(origin, row.id)).toMatchObject({ healthy: false, error: 'gateway says down' });
    expect(await stored(row.id)).toMatchObject({ isHealthy: false, healthError: 'gateway says down' });
    expect((await auditRows(origin)).map((entry) => [entry.action, entry.details.healthy])).toEqual([['plugin_interface.health_check', false]]);
  });

  it('audits an admin-page action, an upstream server creation and a restart once each, after they succeeded', async () => {
    const gateway = await newGateway();
    const action = adminOrigin();
    await app.operations.callAction(action, gateway.id, 'admin_echo', '{"value":1}');
    expect((await auditRows(action)).map((entry) => [entry.action, entry.details.function])).toEqual([['plugin_interface.action', 'admin_echo']]);
    const refused = adminOrigin();
    await expect(app.operations.callAction(refused, gateway.id, 'refund', '{}')).rejects.toThrow(/cannot be called from the admin page/);
    expect(await auditRows(refused)).toEqual([]);

    const upstream = await app.interfaces.create(adminOrigin(), { pluginDefId: defs.rustbill ?? '', displayName: 'Upstream', configJson: '{}' });
    await app.interfaces.setEnabled(adminOrigin(), upstream.id, true);
    const create = adminOrigin();
    const spec = { cpuCores: 2, memoryGb: 2, diskGb: 10, bandwidthMbps: 10, region: 'eu', os: 'debian', extraSpecs: {} };
    expect((await app.operations.createUpstreamInstance(create, upstream.id, spec)).instanceId).toBe('inst-eu-2');
    expect((await auditRows(create)).map((entry) => [entry.action, entry.targetId, entry.details.providerInstanceId])).toEqual([['upstream_instance.create', upstream.id, 'inst-eu-2']]);

    const restart = adminOrigin('admin', 'restarter');
    expect(await app.restart.restart(restart)).toEqual({ alreadyRunning: false });
    expect(restarts).toEqual(['restarter']);
    expect((await auditRows(restart)).map((entry) => [entry.action, entry.targetType, entry.adminUsername])).toEqual([['server.restart', 'server', 'restarter']]);
  });
});
