/** Environment variables through which the primary hands each worker its resolved state. */
export const RUNTIME_CONFIG_ENV = 'NODEBILL_RUNTIME_CONFIG';
/** The node's id (UUID v7, chosen by its primary at start; `instance_heartbeat.instance_id`). */
export const NODE_ID_ENV = 'NODEBILL_NODE_ID';
/** The worker's slot (0 … workers-1); a restarted worker keeps its slot. */
export const WORKER_SLOT_ENV = 'NODEBILL_WORKER_SLOT';
