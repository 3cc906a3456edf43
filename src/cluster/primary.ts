import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { assignShards } from '../actors/shards.ts';
import { checkStartupRules, formatConfigWarning, loadConfigWithWarnings, type AppConfig } from '../../cluster.config.ts';
import { prepareRuntime, probeRedis } from '../bootstrap/index.ts';
import { createLogger } from '../config/logger.ts';
import { ensureBootstrapAdmin, adminExists } from '../identity/bootstrap-admin.ts';
import { ensureDatabase, migrateWithLock } from '../persistence/migrate.ts';
import { createOrm } from '../persistence/orm.ts';
import { NodeInvalidations } from './node-invalidations.ts';
import { RUNTIME_CONFIG_ENV, SHARD_MAP_ENV } from './runtime-env.ts';
import { WorkerSupervisor } from './supervisor.ts';

/**
 * The primary process (ARCHITECTURE.md, The cluster): resolves the configuration (starting the
 * embedded PostgreSQL when no database is configured), applies migrations once under an advisory
 * lock, creates the bootstrap admin, forks the workers with the shard map, restarts any that die,
 * aggregates their metrics, and drains them on SIGTERM/SIGINT.
 */
export async function runPrimary(): Promise<void> {
  const { config: loaded, warnings } = loadConfigWithWarnings();
  const log = createLogger(loaded.log, { role: 'primary' });
  // Settings accepted but not honoured (a RustBill config.toml runs unchanged; src/config/compat.ts).
  for (const warning of warnings) log.warn({ config_key: warning.key, config_source: warning.source }, `configuration: ${formatConfigWarning(warning)}`);
  const runtime = await prepareRuntime(loaded, log);
  const config: AppConfig = runtime.config;
  let stopping = false;
  const stopEmbedded = async (): Promise<void> => {
    if (runtime.embedded) await runtime.embedded.stop().catch((error: unknown) => log.warn({ err: error }, 'embedded PostgreSQL did not stop cleanly'));
  };

  try {
    await ensureDatabase(config.db.url);
    const { applied } = await migrateWithLock(config.db.url, (message) => log.info(message));
    log.info({ applied: applied.length }, applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
    const orm = await createOrm({ url: config.db.url, poolMin: 0, poolMax: 2 });
    try {
      checkStartupRules(config, { adminExists: await adminExists(orm) });
      const created = await ensureBootstrapAdmin(orm, config.bootstrap);
      if (created) log.info({ username: created.username }, 'bootstrap admin created');
      if (created && runtime.generated.adminPassword) {
        process.stdout.write(
          `\n  NodeBill admin account created (first start)\n    username: ${created.username}\n    password: ${runtime.generated.adminPassword}\n` +
            `  The password is kept in ${config.data_dir}/secrets.json; change it after logging in.\n\n`,
        );
      }
    } finally {
      await orm.close(true);
    }
  } catch (error) {
    log.fatal({ err: error }, (error as Error).message);
    await stopEmbedded();
    process.exit(1);
  }
  await probeRedis(config, log);

  const aggregator = new AggregatorRegistry();
  // Holds the rate-limit counters the workers share over IPC when Redis is absent or down
  // (src/identity/rate-limits.ts); a singleton listening on cluster messages of its own channel.
  new RateLimiterClusterMaster();
  const workers = config.cluster.workers;
  const shardMap = assignShards(config.cluster.shards, workers);
  cluster.setupPrimary({ silent: false });
  const supervisor = new WorkerSupervisor({
    workers,
    log,
    env: { [RUNTIME_CONFIG_ENV]: JSON.stringify(config), [SHARD_MAP_ENV]: JSON.stringify(shardMap) },
    metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
  });
  // Cache invalidations announced by the database's triggers (src/cluster/node-invalidations.ts).
  const nodeInvalidations = new NodeInvalidations({ url: config.db.url, log, onEvent: (event) => supervisor.applyEverywhere(event) });
  await nodeInvalidations.start();

  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining workers');
    supervisor
      .drain(config.cluster.shutdown_grace_ms + 2_000)
      .then(() => nodeInvalidations.stop())
      .then(stopEmbedded)
      .then(() => {
        log.info('stopped');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await supervisor.start();
  log.info({ workers, port: config.server.port, host: config.server.host, pids: supervisor.pids() }, `NodeBill listening on ${config.server.host}:${config.server.port}`);
}
