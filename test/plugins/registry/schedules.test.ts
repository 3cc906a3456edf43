import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderRole } from '../../../src/persistence/entities/cluster.ts';
import { Plugin, PluginInterface } from '../../../src/persistence/entities/plugins.ts';
import { createOrm } from '../../../src/persistence/orm.ts';
import { PluginScanner } from '../../../src/plugins/scanner.ts';
import { runExclusive, startPluginSchedules } from '../../../src/plugins/schedules.ts';
import { adminOrigin, gatewayScript, pluginTestBed, type PluginTestBed, registryServices, writePlugin } from './support.ts';

let bed: PluginTestBed;

beforeAll(async () => {
  bed = await pluginTestBed();
});
afterAll(async () => {
  await bed?.close();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('runExclusive', () => {
  it('runs a job once when two processes tick at the same time, and skips it while it ran recently', async () => {
    const other = await createOrm({ url: bed.database.url, poolMin: 0, poolMax: 3 });
    try {
      const job = { lockKey: 101, role: 'test.exclusive', intervalSecs: 60 };
      let runs = 0;
      const work = async (): Promise<void> => {
        runs += 1;
        await sleep(300);
      };
      const outcomes = await Promise.all([runExclusive(bed.orm, job, work), runExclusive(other, job, work)]);
      expect(outcomes.sort()).toEqual(['locked', 'ran']);
      expect(runs).toBe(1);
      expect(await runExclusive(other, job, work)).toBe('recent');
      expect(runs).toBe(1);
      const row = await bed.orm.em.fork().findOneOrFail(LeaderRole, { role: 'test.exclusive' });
      expect(row.ttlSecs).toBe(60);
      // Once the interval has (nearly) passed, the next tick runs it again.
      await bed.orm.em.fork().nativeUpdate(LeaderRole, { role: 'test.exclusive' }, { heartbeatAt: new Date(Date.now() - 55_000) });
      expect(await runExclusive(other, job, work)).toBe('ran');
      expect(runs).toBe(2);
    } finally {
      await other.close(true);
    }
  });

  it('propagates a failing job and still records the run', async () => {
    const job = { lockKey: 102, role: 'test.failing', intervalSecs: 60 };
    await expect(runExclusive(bed.orm, job, async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await runExclusive(bed.orm, job, async () => undefined)).toBe('recent');
  });
});

describe('startPluginSchedules', () => {
  it('rescans the plugin directory and health-checks the enabled interfaces on their intervals', async () => {
    const dir = bed.tempDir();
    const scanner = new PluginScanner({ orm: bed.orm, engine: bed.engine, pluginsDir: dir, log: bed.log });
    const { registry, app } = registryServices(bed);
    const ADMIN = adminOrigin();
    writePlugin(dir, 'gateway-first.js', gatewayScript({ version: '1.0.0' }));
    await scanner.scan();
    const def = await bed.orm.em.fork().findOneOrFail(Plugin, { pluginId: 'first' });
    const enabled = await app.interfaces.create(ADMIN, { pluginDefId: def.id, displayName: 'on', configJson: '{"api_url":"https://a.example"}' });
    await app.interfaces.setEnabled(ADMIN, enabled.id, true);
    const disabled = await app.interfaces.create(ADMIN, { pluginDefId: def.id, displayName: 'off', configJson: '{"api_url":"https://a.example"}' });
    writePlugin(dir, 'gateway-second.js', gatewayScript({ version: '1.0.0' }));

    const schedules = startPluginSchedules({
      orm: bed.orm, scanner, registry, log: bed.log, config: { ...bed.config, scan_interval_secs: 1, health_check_interval_secs: 1 },
    });
    try {
      const deadline = Date.now() + 8_000;
      let scanned = false;
      let checked = false;
      while (Date.now() < deadline && !(scanned && checked)) {
        await sleep(200);
        scanned = (await bed.orm.em.fork().count(Plugin, { pluginId: 'second' })) === 1;
        checked = (await bed.orm.em.fork().findOneOrFail(PluginInterface, { id: enabled.id })).lastCheckAt !== null;
      }
      expect(scanned).toBe(true);
      expect(checked).toBe(true);
      expect((await bed.orm.em.fork().findOneOrFail(PluginInterface, { id: enabled.id })).isHealthy).toBe(true);
      expect((await bed.orm.em.fork().findOneOrFail(PluginInterface, { id: disabled.id })).lastCheckAt).toBeNull();
    } finally {
      schedules.stop();
    }
  });
});
