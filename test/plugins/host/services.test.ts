import { describe, expect, it } from 'vitest';
import { register, Registry } from 'prom-client';
import { createHostServices } from '../../../src/plugins/host/index.ts';
import { hostMetrics } from '../../../src/plugins/host/metrics.ts';
import { capturingLogger, CONTEXT, LOCAL_COUNTERPARTS, startHttpServer, testPluginsConfig } from './support.ts';

const noOrm = {} as Parameters<typeof createHostServices>[0]['orm'];

describe('createHostServices', () => {
  it('logs script messages at their level with the plugin context', async () => {
    const { log, lines } = capturingLogger();
    const host = createHostServices({ orm: noOrm, config: testPluginsConfig(), log, registry: new Registry() });
    host.log('info', 'Webhook sent', CONTEXT);
    host.log('warn', 'slow gateway', CONTEXT);
    host.log('error', 'Payment signature mismatch for p1', CONTEXT);
    expect(lines.map(line => [line.level, line.msg])).toEqual([
      [30, 'Webhook sent'],
      [40, 'slow gateway'],
      [50, 'Payment signature mismatch for p1'],
    ]);
    expect(lines[0]).toMatchObject({ interfaceId: CONTEXT.interfaceId, pluginId: 'test', pluginType: 'gateway', component: 'plugin' });
    await host.close();
  });

  it('shares metrics between instances on one registry (and the default registry)', async () => {
    const registry = new Registry();
    expect(hostMetrics(registry)).toEqual(hostMetrics(registry));
    const a = createHostServices({ orm: noOrm, config: testPluginsConfig(), log: capturingLogger().log });
    const b = createHostServices({ orm: noOrm, config: testPluginsConfig(), log: capturingLogger().log });
    await a.close();
    await b.close();
    expect(register.getSingleMetric('nodebill_plugin_breaker_state')).toBe(hostMetrics().breakerState);
    const text = await registry.metrics();
    expect(text).toContain('nodebill_plugin_breaker_state');
    expect(text).toContain('nodebill_plugin_outbound_requests_total');
  });

  it('close() releases the breakers and the pooled connections; it is idempotent', async () => {
    const server = await startHttpServer((_request, response) => response.end('ok'));
    try {
      const host = createHostServices({ orm: noOrm, config: testPluginsConfig({ outbound_allow: LOCAL_COUNTERPARTS }), log: capturingLogger().log, registry: new Registry() });
      expect((await host.http({ method: 'GET', url: server.url, headers: {} }, CONTEXT)).body).toBe('ok');
      await host.close();
      await host.close();
      await expect(host.http({ method: 'GET', url: server.url, headers: {} }, CONTEXT)).rejects.toThrow('shut down');
    } finally {
      await server.close();
    }
  });
});
