import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { checkStartupRules, formatConfigWarning, loadConfigWithWarnings, type AppConfig } from '../../cluster.config.ts';
import { prepareRuntime, probeRedis } from '../bootstrap/index.ts';
import { createLogger } from '../config/logger.ts';
import { ensureBootstrapAdmin, adminExists } from '../identity/bootstrap-admin.ts';
import { ensureDatabase, migrateWithLock } from '../persistence/migrate.ts';
import { createOrm } from '../persistence/orm.ts';
import { NodeInvalidations } from './node-invalidations.ts';
import pg from 'pg';
import { newId } from '../lib/ids.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import { NODE_ID_ENV, RUNTIME_CONFIG_ENV } from './runtime-env.ts';
import { WorkerSupervisor } from './supervisor.ts';

/**
 * The primary process (ARCHITECTURE.md, The cluster): resolves the configuration (starting the
 * embedded PostgreSQL when no database is configured), applies migrations once under an advisory
 * lock, creates the bootstrap admin, forks the workers, keeps the node's shard leases (issue 15:
 * several nodes share the 64 shards through PostgreSQL) and gives the workers the shard table,
 * restarts any worker that dies, aggregates their metrics, and on SIGTERM/SIGINT hands the shards
 * over to the other nodes before draining the workers.
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
  const nodeId = newId();
  cluster.setupPrimary({ silent: false });
  const supervisor = new WorkerSupervisor({
    workers,
    log,
    env: { [RUNTIME_CONFIG_ENV]: JSON.stringify(config), [NODE_ID_ENV]: nodeId },
    metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
  });
  // Cache invalidations announced by the database's triggers (src/cluster/node-invalidations.ts).
  const nodeInvalidations = new NodeInvalidations({ url: config.db.url, log, onEvent: (event) => supervisor.applyEverywhere(event) });
  await nodeInvalidations.start();

  // Shard ownership across nodes (issue 15): this node's leases, kept from its own small pool.
  const leasePool = new pg.Pool({ connectionString: config.db.url, max: 2, application_name: 'nodebill-shard-leases' });
  leasePool.on('error', (error) => log.warn({ err: error }, 'shard lease pool connection failed'));
  const keeper = new LeaseKeeper({
    databaseUrl: config.db.url,
    pool: leasePool,
    node: { id: nodeId, address: nodeAddress(config), workers },
    shards: config.cluster.shards,
    leaseTimeoutMs: config.cluster.lease_timeout_ms,
    heartbeatMs: config.cluster.heartbeat_interval_ms,
    drainWaitMs: config.cluster.shutdown_grace_ms,
    secretConfigured: config.cluster.secret !== '',
    log: log.child({ component: 'shards' }),
    publish: (update, waitMs) => supervisor.publishShards(update, waitMs),
  });
  let keeperStarted = false;

  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'handing the shards over, then draining workers');
    const handOver = keeperStarted
      ? Promise.race([
        keeper.handOver().catch((error: unknown) => log.warn({ err: error }, 'shard hand-over failed; the other nodes take the shards when the leases lapse')),
        new Promise<void>((resolve) => setTimeout(resolve, config.cluster.shutdown_grace_ms + 2_000).unref()),
      ])
      : Promise.resolve();
    handOver
      .then(() => supervisor.drain(config.cluster.shutdown_grace_ms + 2_000))
      .then(() => keeper.stop())
      .then(() => leasePool.end().catch(() => undefined))
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
  // The workers listen: this node bound its address, so leases an earlier process on it left can be taken over.
  try {
    await keeper.start();
    keeperStarted = true;
  } catch (error) {
    log.fatal({ err: error }, `could not register this node's shard leases: ${(error as Error).message}`);
    await supervisor.drain(config.cluster.shutdown_grace_ms);
    await stopEmbedded();
    process.exit(1);
  }
  log.info({ workers, port: config.server.port, host: config.server.host, pids: supervisor.pids(), node: nodeId, address: nodeAddress(config) }, `NodeBill listening on ${config.server.host}:${config.server.port}`);
}

/** `[cluster] node_address`, or `[server] host:port` (127.0.0.1 when the server listens on every address). */
export function nodeAddress(config: AppConfig): string {
  if (config.cluster.node_address !== '') return config.cluster.node_address;
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  return `${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
}
