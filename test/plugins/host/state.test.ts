import { randomUUID } from 'node:crypto';
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
  async function newInterface(): Promise<string> {
    const em = orm.em.fork();
    const row = em.create(PluginInterface, { pluginType: 'gateway', pluginId: 'epay', displayName: `quota test ${randomUUID()}` });
    await em.flush();
    return row.id;
  }

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

  it('stores the empty string and long values (up to state_max_value_bytes)', async () => {
    const long = 'x'.repeat(64 * 1024);
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
    // One of the values written (an empty answer would mean every write was lost).
    expect(Array.from({ length: 10 }, (_, i) => String(i))).toContain(await host.stateGet(first, 'race'));
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

  it('refuses a value larger than state_max_value_bytes (UTF-8 bytes), before any I/O', async () => {
    const limit = 64 * 1024;
    await host.stateSet(first, 'big', 'é'.repeat(limit / 2)); // exactly the limit: 2 bytes each
    await expect(host.stateSet(first, 'big', `${'é'.repeat(limit / 2)}x`)).rejects.toThrow(
      `plugin state: the value of "big" is ${limit + 1} bytes, more than the ${limit} bytes allowed by [plugins] state_max_value_bytes`,
    );
    await expect(host.stateSet(first, 'huge', 'x'.repeat(20 * 1024 * 1024))).rejects.toThrow('[plugins] state_max_value_bytes');
    expect(await host.stateGet(first, 'big')).toBe('é'.repeat(limit / 2));
    expect(await host.stateGet(first, 'huge')).toBe('');
    // Checked before the database is asked: an unknown interface gets the size error, not the lookup's.
    await expect(host.stateSet('00000000-0000-7000-8000-00000000dead', 'k', 'x'.repeat(limit + 1))).rejects.toThrow('state_max_value_bytes');
  });

  it('limits the keys of an interface to state_max_keys; replacing a value never counts as a new key', async () => {
    const limited = createHostServices({ orm, config: testPluginsConfig({ state_max_keys: 20 }), log: capturingLogger().log, registry: new Registry() });
    try {
      const id = await newInterface();
      for (let i = 0; i < 20; i += 1) await limited.stateSet(id, `key-${i}`, 'v');
      await expect(limited.stateSet(id, 'one-too-many', 'v')).rejects.toThrow(
        'plugin state: the interface already holds 20 keys, the limit set by [plugins] state_max_keys',
      );
      for (let i = 0; i < 20; i += 1) await limited.stateSet(id, `key-${i}`, `replaced ${i}`);
      expect(await limited.stateGet(id, 'key-7')).toBe('replaced 7');
      expect(await limited.stateGet(id, 'one-too-many')).toBe('');
      expect(await orm.em.fork().count(PluginState, { interfaceId: id })).toBe(20);
      // Another interface has its own quota.
      await limited.stateSet(await newInterface(), 'key-0', 'v');
    } finally {
      await limited.close();
    }
  });

  it('keeps the key quota exact under concurrent state_set calls of one interface', async () => {
    const limited = createHostServices({ orm, config: testPluginsConfig({ state_max_keys: 25 }), log: capturingLogger().log, registry: new Registry() });
    // A second host-services instance stands for another worker sharing the database.
    const otherWorker = createHostServices({ orm, config: testPluginsConfig({ state_max_keys: 25 }), log: capturingLogger().log, registry: new Registry() });
    try {
      const id = await newInterface();
      await limited.stateSet(id, 'existing', 'v');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? limited : otherWorker).stateSet(id, `k-${i}`, String(i))),
      );
      const stored = outcomes.filter(outcome => outcome.status === 'fulfilled').length;
      const refused = outcomes.filter(outcome => outcome.status === 'rejected' && String(outcome.reason).includes('[plugins] state_max_keys'));
      expect(stored).toBe(24);
      expect(refused).toHaveLength(56);
      expect(await orm.em.fork().count(PluginState, { interfaceId: id })).toBe(25);
      // At the quota, concurrent replacements of existing keys all succeed.
      await Promise.all(Array.from({ length: 20 }, (_, i) => otherWorker.stateSet(id, 'existing', `again ${i}`)));
      expect(await orm.em.fork().count(PluginState, { interfaceId: id })).toBe(25);
    } finally {
      await limited.close();
      await otherWorker.close();
    }
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
