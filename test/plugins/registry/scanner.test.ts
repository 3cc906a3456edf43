import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plugin, PluginInterface } from '../../../src/persistence/entities/plugins.ts';
import type { IntegrationApplication } from '../../../src/application/index.ts';
import type { PluginRegistry } from '../../../src/plugins/registry/registry.ts';
import { scriptHash } from '../../../src/plugins/registry/scripts.ts';
import { PluginScanner } from '../../../src/plugins/scanner.ts';
import { adminOrigin, gatewayScript, pluginTestBed, type PluginTestBed, registryServices, writePlugin } from './support.ts';

let bed: PluginTestBed;
let registry: PluginRegistry;
let app: IntegrationApplication;
const ADMIN = adminOrigin();

beforeAll(async () => {
  bed = await pluginTestBed();
  ({ registry, app } = registryServices(bed));
});
afterAll(async () => {
  await bed?.close();
});

function scannerFor(dir: string): PluginScanner {
  return new PluginScanner({ orm: bed.orm, engine: bed.engine, pluginsDir: dir, log: bed.log });
}

async function plugin(pluginType: Plugin['pluginType'], pluginId: string): Promise<Plugin> {
  return bed.orm.em.fork().findOneOrFail(Plugin, { pluginType, pluginId });
}

describe('PluginScanner', () => {
  it('inserts new plugins with version, admin-page flag, source and hash; a file without version() is 0.0.0', async () => {
    const dir = bed.tempDir();
    const a = gatewayScript({ version: '1.2.0' });
    const b = gatewayScript({ adminPage: false });
    writePlugin(dir, 'gateway-alpha.js', a);
    writePlugin(dir, 'gateway-beta.js', b);
    writePlugin(dir, 'README.md', 'not a plugin');
    const summary = await scannerFor(dir).scan();
    expect(summary).toEqual({ added: ['gateway-alpha.js', 'gateway-beta.js'], updated: [], unchanged: [], failed: [] });
    expect(await plugin('gateway', 'alpha')).toMatchObject({ version: '1.2.0', hasAdminPage: true, scriptSource: a, scriptHash: scriptHash(a) });
    expect(await plugin('gateway', 'beta')).toMatchObject({ version: '0.0.0', hasAdminPage: false, scriptSource: b });

    const again = await scannerFor(dir).scan();
    expect(again).toEqual({ added: [], updated: [], unchanged: ['gateway-alpha.js', 'gateway-beta.js'], failed: [] });
  });

  it('reports and logs a broken file and a badly named one, and still loads the others', async () => {
    const dir = bed.tempDir();
    writePlugin(dir, 'gateway-broken.js', 'function config_schema( {');
    writePlugin(dir, 'gateway-partial.js', "function config_schema() { return { type: 'object', properties: {} }; }");
    writePlugin(dir, 'Gateway Bad Name.js', gatewayScript());
    writePlugin(dir, 'notifier-zz-ok.js', `
      function config_schema() { return { type: 'object', properties: {} }; }
      function version() { return '0.1.0'; }
      function initialize() { return 'OK'; }
      async function send() { return 'OK'; }
      function supported_events() { return []; }
      function templates() { return {}; }
      function health_check() { return true; }`);
    const before = bed.lines.length;
    const summary = await scannerFor(dir).scan();
    expect(summary.added).toEqual(['notifier-zz-ok.js']);
    expect(summary.failed.map((entry) => entry.file).sort()).toEqual(['Gateway Bad Name.js', 'gateway-broken.js', 'gateway-partial.js']);
    const byFile = Object.fromEntries(summary.failed.map((entry) => [entry.file, entry.error]));
    expect(byFile['gateway-broken.js']).toMatch(/^syntax: /);
    expect(byFile['gateway-partial.js']).toMatch(/^contract: .*initialize/);
    expect(byFile['Gateway Bad Name.js']).toMatch(/file name must be/);
    const warnings = bed.lines.slice(before).filter((line) => line.level === 40);
    expect(warnings.map((line) => line.file)).toEqual(expect.arrayContaining(['gateway-broken.js', 'gateway-partial.js']));
    expect(await bed.orm.em.fork().count(Plugin, { pluginId: { $in: ['broken', 'partial'] } })).toBe(0);
    expect((await plugin('notifier', 'zz-ok')).version).toBe('0.1.0');
  });

  it('on a higher version updates the definition and cascades config_schema to all interfaces, keeping admin-edited scripts', async () => {
    const dir = bed.tempDir();
    const v1 = gatewayScript({ version: '1.0.0', marker: 'v1' });
    writePlugin(dir, 'gateway-cascade.js', v1);
    await scannerFor(dir).scan();
    const def = await plugin('gateway', 'cascade');
    const plain = await app.interfaces.create(ADMIN, { pluginDefId: def.id, displayName: 'plain', configJson: '{}' });
    const editedSource = gatewayScript({ version: '1.0.0', marker: 'edited' });
    const edited = await app.interfaces.create(ADMIN, { pluginDefId: def.id, displayName: 'edited', configJson: '{}', scriptSource: editedSource });

    const v2 = gatewayScript({ version: '1.1.0', marker: 'v2', extraProperties: { region: { type: 'string', enum: ['eu', 'us'] } } });
    writePlugin(dir, 'gateway-cascade.js', v2);
    const summary = await scannerFor(dir).scan();
    expect(summary.updated).toEqual(['gateway-cascade.js']);

    expect(await plugin('gateway', 'cascade')).toMatchObject({ version: '1.1.0', scriptSource: v2, scriptHash: scriptHash(v2) });
    const em = bed.orm.em.fork();
    const plainRow = await em.findOneOrFail(PluginInterface, { id: plain.id });
    const editedRow = await em.findOneOrFail(PluginInterface, { id: edited.id });
    for (const row of [plainRow, editedRow]) {
      expect(Object.keys((row.configSchema as { properties: Record<string, unknown> }).properties)).toContain('region');
    }
    expect(plainRow).toMatchObject({ scriptSource: v2, pluginVersion: '1.1.0' });
    expect(editedRow).toMatchObject({ scriptSource: editedSource, pluginVersion: '1.0.0' });
    // The cascaded script is what runs now (the engine cache of the interface was evicted).
    expect(JSON.parse(await registry.adminPages.callAction(plain.id, 'admin_echo', '{}'))).toMatchObject({ marker: 'v2' });
    expect(JSON.parse(await registry.adminPages.callAction(edited.id, 'admin_echo', '{}'))).toMatchObject({ marker: 'edited' });
  });

  it('on an equal or lower version only updates the definition source, keeping interface edits', async () => {
    const dir = bed.tempDir();
    writePlugin(dir, 'gateway-steady.js', gatewayScript({ version: '2.0.0', marker: 'first' }));
    await scannerFor(dir).scan();
    const def = await plugin('gateway', 'steady');
    const iface = await app.interfaces.create(ADMIN, { pluginDefId: def.id, displayName: 'main', configJson: '{}' });
    const schemaBefore = iface.configSchema;

    for (const version of ['2.0.0', '1.9.0']) {
      const source = gatewayScript({ version, marker: `at ${version}`, extraProperties: { extra: { type: 'string' } } });
      writePlugin(dir, 'gateway-steady.js', source);
      const summary = await scannerFor(dir).scan();
      expect(summary.updated).toEqual(['gateway-steady.js']);
      expect(await plugin('gateway', 'steady')).toMatchObject({ version: '2.0.0', scriptSource: source, scriptHash: scriptHash(source) });
      const row = await bed.orm.em.fork().findOneOrFail(PluginInterface, { id: iface.id });
      expect(row.configSchema).toEqual(schemaBefore);
      expect(row.pluginVersion).toBe('2.0.0');
      expect(JSON.parse(await registry.adminPages.callAction(iface.id, 'admin_echo', '{}'))).toMatchObject({ marker: 'first' });
    }
  });

  it('treats a plugin without version() as 0.0.0: any versioned file upgrades it', async () => {
    const dir = bed.tempDir();
    writePlugin(dir, 'gateway-noversion.js', gatewayScript({ marker: 'old' }));
    await scannerFor(dir).scan();
    expect((await plugin('gateway', 'noversion')).version).toBe('0.0.0');
    writePlugin(dir, 'gateway-noversion.js', gatewayScript({ version: '0.0.1', marker: 'new' }));
    expect((await scannerFor(dir).scan()).updated).toEqual(['gateway-noversion.js']);
    expect((await plugin('gateway', 'noversion')).version).toBe('0.0.1');
  });

  it('refuses a version() that is not a semantic version', async () => {
    const dir = bed.tempDir();
    writePlugin(dir, 'gateway-badversion.js', gatewayScript({ version: 'latest' }));
    const summary = await scannerFor(dir).scan();
    expect(summary.failed).toEqual([{ file: 'gateway-badversion.js', error: expect.stringMatching(/not a semantic version/) }]);
  });

  it('returns an empty summary for a missing directory', async () => {
    expect(await scannerFor('/nonexistent/plugins').scan()).toEqual({ added: [], updated: [], unchanged: [], failed: [] });
  });
});
