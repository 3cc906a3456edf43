import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Registry } from 'prom-client';
import { PluginInterface, PluginState } from '../../../src/persistence/entities/plugins.ts';
import { createOrm } from '../../../src/persistence/orm.ts';
import { createHostServices, type HostServicesHandle } from '../../../src/plugins/host/index.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../../support/db.ts';
import { capturingLogger, testPluginsConfig } from './support.ts';

describe('host stateGet/stateSet on plugin_state', () => {
  let database: MigratedTestDatabase;
  let orm: MikroORM;
  let host: HostServicesHandle;
  let first: string;
  let second: string;

  beforeAll(async () => {
    database = await migratedTestDatabase();
    orm = await createOrm({ url: database.url, poolMin: 0, poolMax: 4 });
    const em = orm.em.fork();
    const a = em.create(PluginInterface, { pluginType: 'gateway', pluginId: 'epay', displayName: 'Alipay A' });
    const b = em.create(PluginInterface, { pluginType: 'gateway', pluginId: 'epay', displayName: 'Alipay B' });
    await em.flush();
    first = a.id;
    second = b.id;
    host = createHostServices({ orm, config: testPluginsConfig(), log: capturingLogger().log, registry: new Registry() });
  });
  afterAll(async () => {
    await host?.close();
    await orm?.close();
    await database?.drop();
  });

  it('returns "" for a key never set', async () => {
    expect(await host.stateGet(first, 'cb:nothing')).toBe('');
  });

  it('stores and replaces values (upsert)', async () => {
    await host.stateSet(first, 'cb:p1', '1');
    expect(await host.stateGet(first, 'cb:p1')).toBe('1');
    const [{ updatedAt: before }] = await orm.em.fork().find(PluginState, { interfaceId: first, key: 'cb:p1' });
    await new Promise(resolve => setTimeout(resolve, 10));
    await host.stateSet(first, 'cb:p1', 'second value with ünïcode and "quotes"');
    expect(await host.stateGet(first, 'cb:p1')).toBe('second value with ünïcode and "quotes"');
    const rows = await orm.em.fork().find(PluginState, { interfaceId: first, key: 'cb:p1' });
    expect(rows).toHaveLength(1);
    expect(rows[0].updatedAt.getTime()).toBeGreaterThan(before.getTime());
  });

  it('stores the empty string and long values', async () => {
    const long = 'x'.repeat(100_000);
    await host.stateSet(first, 'long', long);
    expect(await host.stateGet(first, 'long')).toBe(long);
    await host.stateSet(first, 'long', '');
    expect(await host.stateGet(first, 'long')).toBe('');
  });

  it('namespaces keys by interface id', async () => {
    await host.stateSet(first, 'shared', 'from first');
    expect(await host.stateGet(second, 'shared')).toBe('');
    await host.stateSet(second, 'shared', 'from second');
    expect(await host.stateGet(first, 'shared')).toBe('from first');
    expect(await host.stateGet(second, 'shared')).toBe('from second');
  });

  it('handles concurrent sets of one key without errors (last write wins)', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => host.stateSet(first, 'race', String(i))));
    expect(Number(await host.stateGet(first, 'race'))).toBeGreaterThanOrEqual(0);
    expect(await orm.em.fork().count(PluginState, { interfaceId: first, key: 'race' })).toBe(1);
  });

  it('rejects unknown interfaces, invalid ids and invalid keys with clear errors', async () => {
    await expect(host.stateSet('00000000-0000-7000-8000-00000000dead', 'k', 'v')).rejects.toThrow(
      'plugin state: no plugin interface 00000000-0000-7000-8000-00000000dead',
    );
    await expect(host.stateGet('not-a-uuid', 'k')).rejects.toThrow('invalid interface id');
    await expect(host.stateSet(first, '', 'v')).rejects.toThrow('must not be empty');
    await expect(host.stateSet(first, 'k'.repeat(256), 'v')).rejects.toThrow('longer than 255');
    await host.stateSet(first, 'k'.repeat(255), 'max');
    expect(await host.stateGet(first, 'k'.repeat(255))).toBe('max');
  });

  it('state disappears with its interface (ON DELETE CASCADE)', async () => {
    const em = orm.em.fork();
    const gone = em.create(PluginInterface, { pluginType: 'notifier', pluginId: 'smtp', displayName: 'Mail' });
    await em.flush();
    await host.stateSet(gone.id, 'k', 'v');
    await orm.em.fork().nativeDelete(PluginInterface, { id: gone.id });
    expect(await host.stateGet(gone.id, 'k')).toBe('');
  });
});
