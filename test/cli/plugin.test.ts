/**
 * `npm run cli -- plugin …`: the server's scanner run over a plugins directory (good, broken and
 * misnamed files), the listing, and enabling / disabling interfaces with the server's rules and
 * an audit row.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, queryRows, type MigratedTestDatabase } from '../support/db.ts';
import { REPO_ROOT } from '../support/server.ts';
import { runCli } from './support.ts';

describe('npm run cli -- plugin', () => {
  let database: MigratedTestDatabase;
  const dir = mkdtempSync(path.join(tmpdir(), 'nodebill-cli-plugins-'));
  const cli = (...args: string[]) => runCli(database.url, args);

  beforeAll(async () => {
    database = await migratedTestDatabase();
    for (const file of ['gateway-banktransfer.js', 'notifier-webhook.js']) copyFileSync(path.join(REPO_ROOT, 'plugins', file), path.join(dir, file));
    writeFileSync(path.join(dir, 'notifier-broken.js'), 'function send_notification( {');
    writeFileSync(path.join(dir, 'helpers.js'), 'export const x = 1;');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('scans the directory into the plugins table, reporting the files that failed', async () => {
    const scanned = await cli('plugin', 'scan', '--dir', dir);
    expect(scanned.code).toBe(1);
    const lines = scanned.stdout.split('\n');
    expect(lines[0]).toBe(`scanned 4 plugin file(s) in ${dir}: 2 added, 0 updated, 0 unchanged, 2 failed`);
    expect(lines).toContain('  added      gateway-banktransfer.js');
    expect(lines).toContain('  added      notifier-webhook.js');
    expect(scanned.stdout).toMatch(/ {2}failed {5}helpers\.js: the file name must be gateway-<id>\.js/);
    expect(scanned.stdout).toMatch(/ {2}failed {5}notifier-broken\.js: syntax/);
    const rows = await queryRows<{ plugin_type: string; plugin_id: string; version: string }>(database.url, 'select plugin_type, plugin_id, version from plugins order by plugin_id');
    expect(rows).toEqual([{ plugin_type: 'gateway', plugin_id: 'banktransfer', version: '1.0.0' }, { plugin_type: 'notifier', plugin_id: 'webhook', version: '1.0.0' }]);

    // Fixed: now a working notifier (the webhook's script under another id).
    copyFileSync(path.join(REPO_ROOT, 'plugins', 'notifier-webhook.js'), path.join(dir, 'notifier-broken.js'));
    const again = await cli('plugin', 'scan', '--dir', dir);
    expect(again.stdout.split('\n')[0]).toBe(`scanned 4 plugin file(s) in ${dir}: 1 added, 0 updated, 2 unchanged, 1 failed`);
    expect(await queryRows(database.url, `select version from plugins where plugin_id = 'broken'`)).toEqual([{ version: '1.0.0' }]);

    const missing = await cli('plugin', 'scan', '--dir', path.join(dir, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot be read');
  }, 60_000);

  it('lists definitions and interfaces, enables and disables an interface with the server rules, audited', async () => {
    const id = newId();
    await queryRows(database.url, `insert into plugin_interfaces (id, plugin_def_id, plugin_type, plugin_id, display_name, config, config_schema)
      select $1, id, plugin_type, plugin_id, 'Ops hook', '{}', '{"type":"object","required":["url"],"properties":{"url":{"type":"string"}}}' from plugins where plugin_id = 'webhook'`, [id]);

    const listed = await cli('plugin', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/plugins \(3\):\nTYPE\s+PLUGIN\s+VERSION/);
    expect(listed.stdout).toMatch(/notifier\s+webhook\s+1\.0\.0\s+no\s+1\s+\d{4}-/);
    expect(listed.stdout).toMatch(new RegExp(`interfaces \\(1\\):\\nID.*\\n${id}\\s+notifier\\s+webhook\\s+Ops hook\\s+disabled\\s+unchecked\\s+`));

    const incomplete = await cli('plugin', 'enable', id);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toContain('url');
    expect(await queryRows(database.url, 'select enabled from plugin_interfaces where id = $1', [id])).toEqual([{ enabled: false }]);

    await queryRows(database.url, `update plugin_interfaces set config = '{"url":"https://hooks.example.com/x"}' where id = $1`, [id]);
    expect(await cli('plugin', 'enable', id)).toMatchObject({ code: 0, stdout: `plugin interface Ops hook (notifier-webhook, ${id}) enabled\n` });
    expect(await queryRows(database.url, 'select enabled from plugin_interfaces where id = $1', [id])).toEqual([{ enabled: true }]);
    expect((await cli('plugin', 'list')).stdout).toMatch(new RegExp(`${id}\\s+notifier\\s+webhook\\s+Ops hook\\s+enabled`));
    expect((await cli('plugin', 'enable', id)).stdout).toContain('is already enabled; nothing changed');

    expect(await cli('plugin', 'disable', id)).toMatchObject({ code: 0, stdout: `plugin interface Ops hook (notifier-webhook, ${id}) disabled\n` });
    expect(await queryRows(database.url, 'select enabled from plugin_interfaces where id = $1', [id])).toEqual([{ enabled: false }]);
    expect(await queryRows(database.url, 'select action, admin_username from operation_logs where target_id = $1 order by created_at, id', [id])).toEqual([
      { action: 'plugin_interface.enable', admin_username: 'cli' },
      { action: 'plugin_interface.disable', admin_username: 'cli' },
    ]);

    const unknown = newId();
    expect(await cli('plugin', 'disable', unknown)).toMatchObject({ code: 1, stderr: `no plugin interface ${unknown} (see: npm run cli -- plugin list)\n` });
    expect((await cli('plugin', 'enable', 'not-an-id')).code).toBe(2);
  }, 60_000);
});
