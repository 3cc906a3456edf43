/** Environment variables through which the primary hands each worker its resolved state. */
export const RUNTIME_CONFIG_ENV = 'NODEBILL_RUNTIME_CONFIG';
/** JSON array: index = shard, value = owning worker slot. */
export const SHARD_MAP_ENV = 'NODEBILL_SHARD_MAP';
/** The worker's slot (0 … workers-1); a restarted worker keeps its slot. */
export const WORKER_SLOT_ENV = 'NODEBILL_WORKER_SLOT';
