/**
 * The Grafana dashboard (deploy/grafana/nodebill-dashboard.json) must only chart metrics the
 * server exports: every `nodebill_…` name in a panel's query is one of the registry's (histogram
 * series `_bucket`/`_sum`/`_count` counted as their metric), and the Ops page's figures all have a panel.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricsRegistry, trackPools } from '../../src/metrics/metrics.ts';
import { hostMetrics } from '../../src/plugins/host/metrics.ts';

const FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/grafana/nodebill-dashboard.json');

interface Dashboard { panels: Array<{ title: string; targets: Array<{ expr: string }> }> }

describe('the Grafana dashboard', () => {
  it('charts only metrics the server exports, and every figure of the Ops page', async () => {
    hostMetrics();
    trackPools({});
    const exported = new Set((await metricsRegistry.getMetricsAsJSON()).map((metric) => metric.name));
    const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;
    const used = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/nodebill_[a-z_]+/g) ?? []))
      .map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    for (const name of [
      'nodebill_worker_shards', 'nodebill_grpc_requests_total', 'nodebill_grpc_request_duration_seconds', 'nodebill_actors_alive', 'nodebill_actor_mailbox_depth',
      'nodebill_actor_command_duration_seconds', 'nodebill_actor_snapshot_conflicts_total', 'nodebill_actor_passivations_total', 'nodebill_outbox_backlog',
      'nodebill_plugin_breaker_state', 'nodebill_db_pool_connections',
    ]) expect(used.has(name), name).toBe(true);
  });
});
