import type { IncomingMessage, ServerResponse } from 'node:http';
import { clockFromEnvironment, SIMULATED_CLOCK_ENV, useClock } from '../lib/clock.ts';
import { createConnectRouter } from '@connectrpc/connect';
import { Redis } from 'ioredis';
import { ActorHost } from '../actors/actor-host.ts';
import { ShardRouter } from '../actors/router.ts';
import { AppConfigSchema, type AppConfig } from '../../cluster.config.ts';
import { createLogger } from '../config/logger.ts';
import { parseAddressRange, type AddressRange } from '../domain/address-ranges.ts';
import { ConcurrencyLimiter } from '../grpc/concurrency.ts';
import { metrics, metricsRegistry, trackPools } from '../metrics/metrics.ts';
import { adminAppRoute } from '../grpc/admin-app-route.ts';
import { portalAppRoute } from '../grpc/portal-app-route.ts';
import { Dispatcher } from '../grpc/dispatcher.ts';
import { HandlerRegistry } from '../grpc/handlers.ts';
import { createHttpHandler } from '../grpc/http.ts';
import { OnePortListener } from '../grpc/listener.ts';
import { createNativeServer } from '../grpc/native.ts';
import { registerServices } from '../grpc/services/index.ts';
import { ALL_FILES, ALL_SERVICES } from '../grpc/service-list.ts';
import { grpcWebRoutes, webContextValues } from '../grpc/web.ts';
import { createGrpcWebHandler } from '../grpc/web-protocol.ts';
import { createApplication } from '../application/index.ts';
import { createIdentity } from '../identity/module.ts';
import { PrincipalCache } from '../identity/principal-cache.ts';
import { createOrm } from '../persistence/orm.ts';
import { pingDatabase } from '../persistence/migrate.ts';
import { PgCustomerSnapshotStore } from '../persistence/customer-snapshots.ts';
import { PgAccountStore } from '../persistence/account-store.ts';
import pg from 'pg';
import { pluginGateways } from '../application/payments/plugin-gateways.ts';
import { SYSTEM_ORIGIN } from '../domain/origin.ts';
import { moneyEventHandlers } from '../application/events/money-event-handlers.ts';
import { NotificationFanout } from '../application/events/notification-fanout.ts';
import { cancelUnpaidOrders } from '../application/orders/unpaid-orders.ts';
import { billingJobs } from '../application/billing/billing-jobs.ts';
import { Provisioning } from '../application/provisioning/provisioning.ts';
import { createEventProcessing, createPeriodicJobs } from '../jobs/index.ts';
import { createPluginEngine } from '../plugins/engine/index.ts';
import { createHostServices } from '../plugins/host/index.ts';
import { PluginRegistry } from '../plugins/registry/registry.ts';
import { PluginScanner } from '../plugins/scanner.ts';
import { NotificationDispatcher } from '../plugins/notifications.ts';
import { startPluginSchedules } from '../plugins/schedules.ts';
import { NODE_ID_ENV, RUNTIME_CONFIG_ENV, WORKER_SLOT_ENV } from './runtime-env.ts';
import { ShardTable } from '../actors/shard-table.ts';
import { NodeLinkClient, nodeLinkService } from './node-link.ts';
import { WorkerIpc } from './worker-ipc.ts';
import { startTelemetry, traceLogFields, tracePool } from '../telemetry/index.ts';

/** How long an idle customer actor stays in memory. */
const ACTOR_IDLE_MS = 5 * 60_000;
/** How long a caller waits for an actor (local or forwarded) before answering UNAVAILABLE. */
const ACTOR_ASK_TIMEOUT_MS = 10_000;
/** Connections of the money path's pool per worker. */
const MONEY_POOL_SIZE = 4;
/** Connections of the customer commands' pool per worker (profile changes, imports). */
const CUSTOMER_POOL_SIZE = 4;
/** Connections of the background work's pool per worker (claims, relay, leases). */
const JOBS_POOL_SIZE = 3;
/** Instances whose status one refresh run asks their providers about. */
const INSTANCE_REFRESH_BATCH = 200;

/** Export failures (collector unreachable) are logged at most this often. */
const EXPORT_WARNING_EVERY_MS = 60_000;

/** How long a node forwarded a call waits for a lease it is about to take before answering "moved" (ms). */
const NODE_OWNER_WAIT_MS = 2_000;

/** How long a revocation waits for the other workers to drop their cached copies. */
const INVALIDATION_WAIT_MS = 1_000;

/**
 * A worker process: serves native gRPC, gRPC-Web and the HTTP routes on the shared port, runs the
 * actors of the shards it owns, and drains when the primary (or a signal) says so.
 * @throws Error when the primary did not provide the runtime configuration
 */
export async function runWorker(): Promise<void> {
  const rawConfig = process.env[RUNTIME_CONFIG_ENV];
  const nodeId = process.env[NODE_ID_ENV];
  if (!rawConfig || !nodeId) throw new Error('a worker must be started by the NodeBill primary process');
  const config: AppConfig = AppConfigSchema.parse(JSON.parse(rawConfig));
  const slot = Number(process.env[WORKER_SLOT_ENV] ?? '0');
  // Who owns each shard across the nodes, as the primary's lease keeper publishes it (issue 15).
  const shardTable = new ShardTable({ slot, shards: config.cluster.shards });
  const fenceOf = (customerId: string): ReturnType<ShardTable['fenceOf']> => shardTable.fenceOf(customerId);
  // With tracing on, every line written inside a span carries trace_id and span_id.
  const log = createLogger(config.log, { role: 'worker', worker: slot }, undefined, config.telemetry.enabled ? { mixin: traceLogFields } : {});
  // Tracing (HA guide §9.3, issue 14): the SDK first, so that every pool and server below is traced.
  let exportWarnedAt = 0;
  const telemetry = startTelemetry(config.telemetry, { 'service.instance.id': `worker-${slot}`, 'process.pid': process.pid }, (error) => {
    if (Date.now() - exportWarnedAt < EXPORT_WARNING_EVERY_MS) return;
    exportWarnedAt = Date.now();
    log.warn({ err: error, endpoint: config.telemetry.otlp_endpoint }, 'could not export traces to the OTLP endpoint; spans are dropped meanwhile');
  });
  if (telemetry.enabled) {
    log.info({ endpoint: config.telemetry.otlp_endpoint, protocol: telemetry.protocol, serviceName: config.telemetry.service_name }, 'tracing: exporting spans over OTLP');
  }
  // The business clock (issue 11): the system clock, or a test's simulated one.
  useClock(clockFromEnvironment(process.env));
  if (process.env[SIMULATED_CLOCK_ENV]) log.warn({ file: process.env[SIMULATED_CLOCK_ENV] }, 'the business clock is simulated (a test run): money decisions use the time in that file');
  // Every series of this worker carries its slot, so the primary's aggregate keeps them apart
  // (actors alive, mailbox depth… per worker; sum them in queries for the whole server).
  metricsRegistry.setDefaultLabels({ worker: String(slot) });
  metrics.workerStart.set(Math.round(Date.now() / 1000 - process.uptime()));
  metrics.workerShards.set(0);

  const orm = await createOrm({
    url: config.db.url,
    poolMin: Math.min(config.db.min_connections, 1),
    poolMax: Math.max(2, Math.floor(config.db.max_connections / config.cluster.workers)),
    idleTimeoutMs: config.db.idle_timeout_secs * 1000,
    acquireTimeoutMs: config.db.acquire_timeout_secs * 1000,
    maxLifetimeSecs: config.db.max_lifetime_secs,
    onPoolCreated: (pool) => tracePool(pool, 'orm'),
  });
  const redis = config.redis.enabled ? connectRedis(config) : null;

  // The money path's own pool: actor commits and money reads never queue behind the ORM's work.
  const moneyPool = new pg.Pool({ connectionString: config.db.url, max: MONEY_POOL_SIZE, idleTimeoutMillis: config.db.idle_timeout_secs * 1000 });
  moneyPool.on('error', (error) => log.warn({ err: error }, 'money pool connection failed'));
  tracePool(moneyPool, 'money');
  let drain: () => void = () => undefined;
  // Set once the event processing exists: a commit that wrote outbox events nudges the relay.
  let nudgeEvents: () => void = () => undefined;
  // Customer commands (profile changes, imports) on a small pool of their own.
  const customerPool = new pg.Pool({ connectionString: config.db.url, max: CUSTOMER_POOL_SIZE, idleTimeoutMillis: config.db.idle_timeout_secs * 1000 });
  customerPool.on('error', (error) => log.warn({ err: error }, 'customer pool connection failed'));
  tracePool(customerPool, 'customers');
  const host = new ActorHost({
    store: new PgCustomerSnapshotStore(customerPool, { fenceOf }),
    accounts: new PgAccountStore(moneyPool, () => nudgeEvents(), { defaultPaymentTermsDays: config.billing.due_days, fenceOf }),
    slot, shards: config.cluster.shards, idleMs: ACTOR_IDLE_MS, askTimeoutMs: ACTOR_ASK_TIMEOUT_MS, log: log.child({ component: 'actors' }),
  });
  // Created before the IPC channel: other workers' invalidations may arrive while this one boots.
  const principalCache = new PrincipalCache();
  // Set once the application exists: the tax rules' copy is dropped when any worker or node changes them.
  let forgetTaxRules: () => void = () => undefined;
  const ipc = new WorkerIpc({
    timeoutMs: ACTOR_ASK_TIMEOUT_MS + 2_000,
    onDeliver: (customerId, request) => router.receive(customerId, request),
    onDrain: () => drain(),
    onShards: async (update) => {
      const lost = shardTable.update(update);
      metrics.workerShards.set(shardTable.localShards().length);
      // The calls in progress for shards handed over finish; then their actors go.
      if (lost.length > 0) await host.dropShards(lost, config.cluster.shutdown_grace_ms);
    },
    onInvalidate: (event) => {
      principalCache.apply(event);
      if (event.kind === 'tax_rules') forgetTaxRules();
    },
    // The ops dashboard's sample of this worker (issue 12): the same registry /metrics aggregates.
    sample: async () => ({
      slot, pid: process.pid, uptimeSecs: Math.round(process.uptime()), shards: shardTable.localShards(),
      metrics: await metricsRegistry.getMetricsAsJSON(),
    }),
  });
  // Requests for customers of other nodes go there over the node link (native gRPC, cluster secret).
  const nodeLinks = new NodeLinkClient({ secret: config.cluster.secret, ownerWaitMs: NODE_OWNER_WAIT_MS });
  const router = new ShardRouter({ slot, table: shardTable, host, forwarder: ipc, nodes: nodeLinks, routeTimeoutMs: ACTOR_ASK_TIMEOUT_MS + config.cluster.lease_timeout_ms });

  // The plugin system, once per worker: host services (breakers, HTTP, SMTP, state), the QuickJS
  // engine, the interface registry; worker 0 syncs the plugin directory at boot, and every worker
  // runs the periodic scan / health checks, which take a cluster-wide lock per tick.
  const pluginLog = log.child({ component: 'plugins' });
  const pluginHost = createHostServices({ orm, config: config.plugins, log: pluginLog });
  const pluginEngine = await createPluginEngine({
    host: pluginHost,
    callTimeoutMs: config.plugins.call_timeout_ms,
    memoryLimitMb: config.plugins.memory_limit_mb,
    log: pluginLog,
  });
  const pluginRegistry = new PluginRegistry({ orm, engine: pluginEngine, log: pluginLog });
  const pluginScanner = new PluginScanner({ orm, engine: pluginEngine, pluginsDir: config.plugins.plugins_dir, log: pluginLog });
  if (slot === 0) await pluginScanner.scan().catch((error: unknown) => pluginLog.error({ err: error }, 'boot plugin scan failed; the periodic scan retries'));
  const pluginSchedules = startPluginSchedules({ orm, scanner: pluginScanner, registry: pluginRegistry, config: config.plugins, log: pluginLog });
  const notifications = new NotificationDispatcher(pluginRegistry, pluginLog);
  const identity = createIdentity({ orm, config, redis, log, notifications, cache: principalCache, broadcast: (event) => ipc.broadcastInvalidation(event, INVALIDATION_WAIT_MS) });

  const clusterControl = { restartServer: (requestedBy: string) => ipc.requestRollingRestart(requestedBy) };
  const registry = new HandlerRegistry();
  const gateways = pluginGateways({ calls: pluginRegistry.gateways, pool: moneyPool, publicUrl: config.server.public_url });
  const app = createApplication({ orm, identity, actors: router, plugins: pluginRegistry, cluster: clusterControl, pool: moneyPool, gateways, config, log, nudgeEvents: () => nudgeEvents(),
    broadcastInvalidation: (event) => ipc.broadcastInvalidation(event, INVALIDATION_WAIT_MS) });
  forgetTaxRules = () => app.billingTerms.taxRules.forget();
  registerServices(registry, {
    orm,
    app,
    config,
    identity,
    router,
    cluster: clusterControl,
    plugins: { registry: pluginRegistry, notifications },
  });

  // Background work (issue 8): outbox events to their handlers (BullMQ, or the table without
  // Redis), and the periodic jobs, each run once per period across all workers and nodes.
  const jobsLog = log.child({ component: 'jobs' });
  const jobsPool = new pg.Pool({ connectionString: config.db.url, max: JOBS_POOL_SIZE, idleTimeoutMillis: config.db.idle_timeout_secs * 1000 });
  jobsPool.on('error', (error) => jobsLog.warn({ err: error }, 'jobs pool connection failed'));
  tracePool(jobsPool, 'jobs');
  trackPools({ money: moneyPool, customers: customerPool, jobs: jobsPool });
  const provisioning = new Provisioning({
    accounts: app.money.accounts, reads: app.money.reads, providers: pluginRegistry.providers, gateways, maxAttempts: config.jobs.max_attempts, log: jobsLog,
  });
  const redisUrl = config.redis.enabled ? config.redis.url : null;
  const events = config.jobs.enabled
    ? createEventProcessing({
      pool: jobsPool, redisUrl, redisPrefix: config.redis.prefix, config: config.jobs, log: jobsLog, workerId: String(slot),
      handlers: moneyEventHandlers({
        provisioning,
        serviceInstances: app.serviceInstances,
        fanout: new NotificationFanout({ pool: moneyPool, channels: notifications, notifyEmail: config.server.notify_email, log: jobsLog, nudge: () => nudgeEvents() }),
      }),
    })
    : null;
  const periodic = config.jobs.enabled
    ? createPeriodicJobs({
      pool: jobsPool, redisUrl, redisPrefix: config.redis.prefix, log: jobsLog, workerId: String(slot),
      jobs: [
        {
          name: 'orders.unpaid-timeout',
          everyMs: config.orders.unpaid_check_interval_secs * 1000,
          run: async () => { await cancelUnpaidOrders({ pool: moneyPool, accounts: app.money.accounts, log: jobsLog }, config.orders.unpaid_timeout_secs); },
        },
        {
          name: 'instances.refresh-status',
          everyMs: config.orders.instance_refresh_interval_secs * 1000,
          run: async () => { await app.instances.refreshStatuses({ limit: INSTANCE_REFRESH_BATCH }); },
        },
        ...billingJobs({ billing: app.billing, config: config.billing, log: jobsLog }),
        {
          // The service lifecycle (issue 11): renewals, automatic payment, dunning, suspension, termination.
          name: 'billing.lifecycle',
          everyMs: config.billing.lifecycle_interval_secs * 1000,
          run: async () => {
            const report = await app.lifecycle.run();
            const acted = report.renewalsIssued + report.renewalsAutoPaid + report.periodsRolled + report.remindersSent + report.servicesSuspended + report.servicesEnded;
            if (acted > 0) jobsLog.info({ ...report }, 'billing lifecycle acted');
          },
        },
        {
          // The CRM's computed ratings, risk levels and RFM segments (issue 10), for list filters and reports.
          name: 'crm.scores',
          everyMs: config.crm.scores_interval_secs * 1000,
          run: async () => { await app.crm.scores.recompute(); },
        },
      ],
    })
    : null;
  if (events) nudgeEvents = () => events.nudge();
  events?.start();
  periodic?.start();

  // `[server] max_concurrency` is per server instance (RustBill's ConcurrencyLimitLayer): the
  // node's workers share it, as they share [db] max_connections.
  const limiter = new ConcurrencyLimiter(Math.max(1, Math.ceil(config.server.max_concurrency / config.cluster.workers)), (active, queued) => {
    metrics.inFlight.set(active);
    metrics.queued.set(queued);
  });
  const dispatcher = new Dispatcher({
    registry,
    authenticator: identity.authenticator,
    limiter,
    logger: log,
    workerId: String(slot),
    trustedProxies: config.server.trusted_proxies.map(parseTrustedProxy),
  });
  const native = createNativeServer({
    services: ALL_SERVICES, files: ALL_FILES, dispatcher,
    extraServices: [nodeLinkService({ secret: config.cluster.secret, receive: (customerId, request, waitMs) => router.receiveFromNode(customerId, request, waitMs) })],
  });
  const webRouter = createConnectRouter({ grpc: false, grpcWeb: true, connect: false });
  grpcWebRoutes(ALL_SERVICES, dispatcher)(webRouter);
  const grpcWeb = createGrpcWebHandler(webRouter, webContextValues);
  const web = (request: IncomingMessage, response: ServerResponse): void => {
    if (!grpcWeb(request, response)) response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
  const http = createHttpHandler({
    corsAllowedOrigins: config.server.cors_allowed_origins,
    readiness: () => pingDatabase(orm),
    metrics: () => ipc.clusterMetrics(),
    onError: (route, error) => log.warn({ route, err: error }, `${route} failed`),
    // Gateways notify over plain HTTP on the same port (`/callback/{interface_id}`).
    paymentCallbacks: { receive: (interfaceId, payload) => app.money.payments.callbackRoute(SYSTEM_ORIGIN, interfaceId, payload) },
    // Invoice PDFs for their customer and admins (`GET /invoices/{id}.pdf`).
    invoicePdfs: { authenticate: (headers) => identity.authenticator.authenticate(headers), pdf: (id, customerId) => app.billing.pdf(id, customerId) },
    // The admin console and its ops feed (issue 12) at `[server] admin_path`.
    adminApp: adminAppRoute({
      adminPath: config.server.admin_path,
      authenticate: (headers) => identity.authenticator.authenticate(headers),
      ops: () => ipc.opsFigures(),
      onError: (route, error) => log.warn({ route, err: error }, `${route} failed`),
    }),
    adminPath: config.server.admin_path,
    // The customer portal (issue 13) at `[server] portal_path` ('' = off).
    ...(config.server.portal_path === '' ? {} : { portalApp: portalAppRoute({ portalPath: config.server.portal_path, adminPath: config.server.admin_path }) }),
    portalPath: config.server.portal_path,
    // The CRM's customer files for admins (`/crm/customers/export.xlsx`, `…/import`, …).
    customerFiles: {
      authenticate: (headers) => identity.authenticator.authenticate(headers),
      export: (query, locale) => app.crm.exports.export(query, locale),
      template: (locale) => app.crm.exports.template(locale),
      startXlsx: (origin, bytes, fileName) => app.crm.imports.startXlsx(origin, bytes, fileName),
      startJson: (origin, text) => app.crm.imports.startJson(origin, text),
      getImport: (id) => app.crm.imports.get(id),
      maxBytes: config.crm.import_max_bytes,
    },
    next: web,
  });
  const listener = new OnePortListener(native.injector, http);
  const port = await listener.listen(config.server.port, config.server.host);
  log.info({ port, host: config.server.host }, 'worker listening');

  let draining = false;
  drain = () => {
    if (draining) return;
    draining = true;
    void (async () => {
      log.info({ inFlight: dispatcher.pending }, 'draining: no new connections, finishing in-flight calls');
      listener.stopAccepting();
      // GOAWAY to every HTTP/2 client at once: new calls go to another worker (a stream that races
      // the GOAWAY is refused unprocessed, which gRPC clients retry), calls in flight finish here.
      const sessionsClosed = new Promise<void>((resolve) => native.server.tryShutdown(() => resolve()));
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.cluster.shutdown_grace_ms).unref());
      const outcome = await Promise.race([dispatcher.drain().then(() => 'drained' as const), grace]);
      if (outcome === 'timeout') log.warn({ inFlight: dispatcher.pending }, 'grace period over; abandoning in-flight calls');
      // Answered calls may still be on their way out: give grpc-js a moment to flush, then cut.
      const flushed = await Promise.race([sessionsClosed.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 2_000).unref())]);
      if (!flushed) native.server.forceShutdown();
      await listener.closeConnections();
      await periodic?.stop().catch((error: unknown) => jobsLog.warn({ err: error }, 'periodic jobs did not stop cleanly'));
      await events?.stop().catch((error: unknown) => jobsLog.warn({ err: error }, 'event processing did not stop cleanly'));
      host.shutdown();
      nodeLinks.close();
      pluginSchedules.stop();
      await pluginEngine.close();
      await pluginHost.close();
      await identity.close();
      redis?.disconnect();
      await orm.close(true).catch(() => undefined);
      await moneyPool.end().catch(() => undefined);
      await customerPool.end().catch(() => undefined);
      await jobsPool.end().catch(() => undefined);
      // The last spans (this drain's calls and events) leave before the process does.
      await telemetry.stop();
      log.info('worker stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', drain);
  process.on('SIGINT', drain);
  ipc.announceReady(slot);
}

/** A `[server] trusted_proxies` entry, already checked by the configuration schema. */
function parseTrustedProxy(entry: string): AddressRange {
  const range = parseAddressRange(entry);
  if (range === null) throw new Error(`[server] trusted_proxies: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
  return range;
}

function connectRedis(config: AppConfig): Redis {
  const client = new Redis(config.redis.url, {
    lazyConnect: false,
    keyPrefix: `${config.redis.prefix}:`,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 500, 5_000),
  });
  // Errors are expected while Redis is down; the rate limiter falls back to memory meanwhile.
  client.on('error', () => undefined);
  return client;
}
