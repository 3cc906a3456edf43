import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';

/**
 * Table `instance_heartbeat`: one row per running server process (node or worker), as in the
 * handbook. `instanceId` is the process's UUID v7 chosen at start-up (supplied by the caller, not
 * generated). `heartbeatAt` is refreshed every 10 s together with the connection-pool snapshot
 * (`poolIdle`, `poolActive`, `poolMax`, all >= 0); a row older than 30 s is a lost instance.
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
  },
  indexes: [{ name: 'instance_heartbeat_heartbeat_at_index', properties: ['heartbeatAt'] }],
  checks: [
    {
      name: 'instance_heartbeat_pool_check',
      expression: 'pool_idle >= 0 and pool_active >= 0 and pool_max >= 0',
    },
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
