import type { CustomerReply, CustomerRequest } from '../actors/messages.ts';
import type { ShardTableUpdate } from '../actors/shard-table.ts';
import type { Invalidation } from '../identity/principal-cache.ts';

/**
 * Messages between the primary and its workers over Node's cluster IPC channel (JSON-serialisable).
 * Actor messages hop through the primary: worker A → primary → owner worker B → primary → A.
 */
export type WorkerToPrimary =
  | { kind: 'nodebill.ready'; slot: number }
  | { kind: 'nodebill.actor.forward'; id: string; targetSlot: number; customerId: string; request: CustomerRequest }
  | { kind: 'nodebill.actor.reply'; id: string; reply: CustomerReply }
  | { kind: 'nodebill.metrics.request'; id: string }
  | { kind: 'nodebill.restart.request'; id: string; requestedBy: string }
  /** A worker changed something cached elsewhere: apply `event` in every other worker, then answer `invalidate.done`. */
  | { kind: 'nodebill.invalidate'; id: string; event: Invalidation }
  /** This worker applied the `invalidate.apply` with `id`. */
  | { kind: 'nodebill.invalidate.applied'; id: string }
  /** The ops dashboard (issue 12): every worker's sample, answered with `ops.result`. */
  | { kind: 'nodebill.ops.request'; id: string }
  /** This worker's answer to `ops.collect`. */
  | { kind: 'nodebill.ops.sample'; id: string; sample: WorkerSample }
  /** This worker applied the shard table `id` (and drained the actors of the shards it lost). */
  | { kind: 'nodebill.shards.applied'; id: string };

export type PrimaryToWorker =
  | { kind: 'nodebill.actor.deliver'; id: string; customerId: string; request: CustomerRequest }
  | { kind: 'nodebill.actor.result'; id: string; reply: CustomerReply }
  | { kind: 'nodebill.metrics.result'; id: string; contentType: string; body: string; error?: string }
  | { kind: 'nodebill.restart.accepted'; id: string; alreadyRunning: boolean }
  | { kind: 'nodebill.drain' }
  /** Apply `event` to this worker's caches, then answer `invalidate.applied` (an `id` of '' wants no answer). */
  | { kind: 'nodebill.invalidate.apply'; id: string; event: Invalidation }
  /** Every other worker applied the invalidation `id` (or did not answer in time). */
  | { kind: 'nodebill.invalidate.done'; id: string }
  /** Send this worker's sample for `id`. */
  | { kind: 'nodebill.ops.collect'; id: string }
  /** Who owns each shard now (issue 15); answer `shards.applied` unless `id` is ''. */
  | { kind: 'nodebill.shards'; id: string; update: ShardTableUpdate }
  /** The samples of every worker that answered in time. */
  | { kind: 'nodebill.ops.result'; id: string; workers: WorkerSample[]; primary: { pid: number; uptimeSecs: number } };

/**
 * One worker's figures for the ops dashboard: who it is, and its prom-client registry as JSON
 * (`register.getMetricsAsJSON()`: the same metrics `/metrics` aggregates).
 */
export interface WorkerSample {
  slot: number;
  pid: number;
  uptimeSecs: number;
  /** The shards whose actors this worker runs. */
  shards: number[];
  metrics: unknown[];
}

/** True when `value` is one of our IPC messages (prom-client and others share the channel). */
export function isNodebillMessage<T extends { kind: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string'
    && (value as { kind: string }).kind.startsWith('nodebill.');
}
