import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';

/**
 * Table `instance_heartbeat`: one row per running node, as in the handbook. `instanceId` is the
 * node's UUID v7 chosen by its primary at start-up (supplied by the caller, not generated).
 * `heartbeatAt` is refreshed every `[cluster] heartbeat_interval_ms` by the lease keeper
 * (src/cluster/lease-keeper.ts); a node whose row is older than `lease_timeout_ms` is gone, and a
 * graceful stop deletes the row. The pool figures (`poolIdle`, `poolActive`, `poolMax`, all >= 0)
 * are the handbook's and stay 0.
 */
export const InstanceHeartbeat = defineEntity({
  name: 'InstanceHeartbeat',
  tableName: 'instance_heartbeat',
  properties: {
    instanceId: p.uuid().primary(),
    hostname: p.string().length(255).default(''),
    pid: p.integer().default(0),
    registeredAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    heartbeatAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    poolIdle: p.integer().default(0),
    poolActive: p.integer().default(0),
    poolMax: p.integer().default(0),
    /** `host:port` other nodes forward requests to (native gRPC); '' for rows of non-node processes. */
    address: p.string().length(255).default(''),
    /** Worker processes of the node (>= 0). */
    workers: p.integer().default(0),
  },
  indexes: [{ name: 'instance_heartbeat_heartbeat_at_index', properties: ['heartbeatAt'] }],
  checks: [
    {
      name: 'instance_heartbeat_pool_check',
      expression: 'pool_idle >= 0 and pool_active >= 0 and pool_max >= 0',
    },
    { name: 'instance_heartbeat_workers_check', expression: 'workers >= 0' },
  ],
});
/** A row of `instance_heartbeat`. */
export type InstanceHeartbeat = InferEntity<typeof InstanceHeartbeat>;

/**
 * Table `leader_role`: the handbook's lease table for cluster-wide singleton roles (`migration`,
 * `billing`, `event_worker`, …) — for running periodic work once when Redis is not available.
 * `holder` is the `instance_heartbeat.instance_id` holding the lease (null: free); the lease is
 * valid while `heartbeatAt` is younger than `ttlSecs` seconds (> 0). (Migrations themselves are
 * serialised with an advisory lock, see `migrateWithLock`.)
 */
export const LeaderRole = defineEntity({
  name: 'LeaderRole',
  tableName: 'leader_role',
  properties: {
    role: p.string().length(64).primary(),
    holder: p.uuid().nullable(),
    heartbeatAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    ttlSecs: p.integer().default(30),
  },
  checks: [{ name: 'leader_role_ttl_secs_check', expression: 'ttl_secs > 0' }],
});
/** A row of `leader_role`. */
export type LeaderRole = InferEntity<typeof LeaderRole>;

/**
 * Table `shard_leases` (issue 15): one row per shard (0 … 63). `ownerNode` is the
 * `instance_heartbeat.instance_id` of the node holding it and `ownerSlot` its worker slot (both
 * null when free); `epoch` (>= 0) is the fencing token, raised each time the shard changes owner,
 * and a snapshot write is accepted only under the current epoch of a lease that has not expired;
 * `expiresAt` is when the lease lapses unless renewed (`-infinity`: never taken).
 */
export const ShardLease = defineEntity({
  name: 'ShardLease',
  tableName: 'shard_leases',
  properties: {
    shard: p.smallint().primary().autoincrement(false),
    ownerNode: p.uuid().nullable(),
    ownerSlot: p.integer().nullable(),
    epoch: p.bigint().defaultRaw('0'),
    expiresAt: p.datetime().defaultRaw("'-infinity'"),
    acquiredAt: p.datetime().nullable(),
  },
  checks: [
    { name: 'shard_leases_shard_check', expression: 'shard >= 0 and shard < 64' },
    { name: 'shard_leases_owner_slot_check', expression: 'owner_slot >= 0' },
    { name: 'shard_leases_epoch_check', expression: 'epoch >= 0' },
    { name: 'shard_leases_owner_check', expression: '(owner_node is null) = (owner_slot is null)' },
  ],
});
/** A row of `shard_leases`. */
export type ShardLease = InferEntity<typeof ShardLease>;
