import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * Prometheus metrics of one process (ARCHITECTURE.md, Observability). Each worker fills its own
 * default registry; the primary aggregates all workers through prom-client's AggregatorRegistry
 * for `GET /metrics`. Durations are in seconds, as Prometheus expects.
 */
export const metrics = {
  requests: new Counter({
    name: 'nodebill_grpc_requests_total',
    help: 'RPCs answered, by method, gRPC status code and transport',
    labelNames: ['method', 'code', 'transport'] as const,
  }),
  requestDuration: new Histogram({
    name: 'nodebill_grpc_request_duration_seconds',
    help: 'RPC latency in seconds, by method',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  inFlight: new Gauge({ name: 'nodebill_grpc_in_flight', help: 'RPCs running now (within max_concurrency)' }),
  workerShards: new Gauge({ name: 'nodebill_worker_shards', help: 'Shards whose actors this worker runs' }),
  workerStart: new Gauge({ name: 'nodebill_worker_start_time_seconds', help: 'When this worker started (Unix seconds)' }),
  queued: new Gauge({ name: 'nodebill_grpc_queued', help: 'RPCs waiting for a max_concurrency slot' }),
  actorsAlive: new Gauge({ name: 'nodebill_actors_alive', help: 'Customer actors alive in this worker', labelNames: ['kind'] as const }),
  mailboxDepth: new Gauge({
    name: 'nodebill_actor_mailbox_depth',
    help: 'Messages sent to actors of this worker and not yet answered (queued or being handled), by actor kind',
    labelNames: ['kind'] as const,
  }),
  actorMessages: new Counter({
    name: 'nodebill_actor_messages_total',
    help: 'Messages delivered to actors, by kind and route (local: the shard is owned here; forwarded: sent over IPC to the owner; received: forwarded here by another worker; node_forwarded / node_received: to or from another node; rerouted: sent again after the shard moved)',
    labelNames: ['kind', 'route'] as const,
  }),
  actorCommandDuration: new Histogram({
    name: 'nodebill_actor_command_duration_seconds',
    help: 'Time from sending a message to an actor to its reply, in seconds',
    labelNames: ['kind'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  }),
  snapshotWrites: new Counter({
    name: 'nodebill_actor_snapshot_writes_total',
    help: 'Snapshot writes of actors, by actor kind and outcome (written, conflict: refused by the version fence, refused: by the transaction)',
    labelNames: ['kind', 'outcome'] as const,
  }),
  passivations: new Counter({
    name: 'nodebill_actor_passivations_total',
    help: 'Actors stopped after being idle (their state is reloaded from the snapshot on the next message), by kind',
    labelNames: ['kind'] as const,
  }),
  commitBatchSize: new Histogram({
    name: 'nodebill_account_commit_batch_size',
    help: 'Money commands committed by one statement (group commit across customers)',
    buckets: [1, 2, 4, 8, 16, 32, 64],
  }),
  fencedWrites: new Counter({
    name: 'nodebill_fenced_writes_total',
    help: 'Snapshot writes refused because the shard lease they were made under is no longer current (another node took the shard, or the lease lapsed)',
    labelNames: ['kind'] as const,
  }),
  snapshotConflicts: new Counter({
    name: 'nodebill_actor_snapshot_conflicts_total',
    help: 'Snapshot writes refused by the version fence (another writer got there first)',
    labelNames: ['kind'] as const,
  }),
  eventsProcessed: new Counter({
    name: 'nodebill_outbox_events_processed_total',
    help: 'Handler runs of outbox events, by event type, outcome (done; retry: failed, runs again after a backoff; failed: failed for the last time, a dead letter; unhandled: no handler, marked done) and path (queue: delivered through BullMQ; table: taken from event_queue directly)',
    labelNames: ['type', 'outcome', 'path'] as const,
  }),
  eventDeliveries: new Counter({
    name: 'nodebill_outbox_deliveries_total',
    help: 'BullMQ jobs of outbox events taken by a worker, by event type and outcome (claimed: its handler ran; stale: the event was already done, failed or being run — a repeated delivery; deferred: another event of its order was running)',
    labelNames: ['type', 'outcome'] as const,
  }),
  eventsRelayed: new Counter({
    name: 'nodebill_outbox_events_relayed_total',
    help: 'Outbox events relayed from event_queue into the BullMQ queue (again after queued_timeout_secs included)',
  }),
  outboxBacklog: new Gauge({
    name: 'nodebill_outbox_backlog',
    help: 'Outbox events not finished, by status (pending, queued, processing), as last counted by this process; failed counts dead letters',
    labelNames: ['status'] as const,
    aggregator: 'max',
  }),
  authFailures: new Counter({
    name: 'nodebill_auth_failures_total',
    help: 'Rejected credentials, by kind (password, session, jwt, api_key, rate_limit)',
    labelNames: ['kind'] as const,
  }),
};

/** The process's default registry (what workers report to the primary). */
export const metricsRegistry = register;

// prom-client answers the primary's aggregation requests only once an AggregatorRegistry exists in
// the worker (it installs the IPC listener then).
if (cluster.isWorker) new AggregatorRegistry();

/** A pg pool's counters (pg.Pool has them; only these are read). */
export interface PoolCounters {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * `nodebill_db_pool_connections{pool, state}` (issue 12, the ops dashboard): for each named pool,
 * its connections in use and idle and the callers waiting for one, read when metrics are collected.
 * Call once per process, with every pool it opens.
 */
export function trackPools(pools: Readonly<Record<string, PoolCounters>>): void {
  new Gauge({
    name: 'nodebill_db_pool_connections',
    help: 'Database pool connections by pool and state (in_use, idle, waiting callers)',
    labelNames: ['pool', 'state'] as const,
    collect() {
      for (const [pool, counters] of Object.entries(pools)) {
        this.set({ pool, state: 'in_use' }, counters.totalCount - counters.idleCount);
        this.set({ pool, state: 'idle' }, counters.idleCount);
        this.set({ pool, state: 'waiting' }, counters.waitingCount);
      }
    },
  });
}
