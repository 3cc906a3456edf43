import { query, spawn, start, stop, type Ref } from 'nact';
import type { Logger } from 'pino';
import { metrics } from '../metrics/metrics.ts';
import { customerBehaviour, type CustomerActorState, type CustomerEnvelope } from './customer-actor.ts';
import { requestKind, type CustomerReply, type CustomerRequest } from './messages.ts';
import type { CustomerSnapshotStore } from './snapshot-store.ts';
import type { AccountStore } from './account-store.ts';
import { shardOf } from './shards.ts';

/**
 * The nact actor system of one worker: spawns a customer actor on first use (named by the customer
 * id), stops it after `idleMs` without messages, and asks it with a timeout. Only customers of the
 * shards this worker owns live here (the ShardRouter sees to that).
 */
export class ActorHost {
  private readonly system = start();
  private readonly actors = new Map<string, Ref<CustomerEnvelope>>();
  private pendingAsks = 0;
  /** Asks in progress by shard, so that a shard handed over is drained first. */
  private readonly pendingByShard = new Map<number, number>();
  private readonly drained: Array<{ shards: ReadonlySet<number>; resolve: () => void }> = [];
  private stopping = false;
  private readonly options: {
    store: CustomerSnapshotStore; accounts?: AccountStore; slot: number; idleMs: number; askTimeoutMs: number; log: Pick<Logger, 'error'>;
    /** The shard count (64): customers are drained and dropped by shard. */
    shards: number;
  };

  constructor(options: ActorHost['options']) {
    this.options = options;
    metrics.actorsAlive.set({ kind: 'customer' }, 0);
    metrics.mailboxDepth.set({ kind: 'customer' }, 0);
  }

  /** Customer actors alive now. */
  get alive(): number {
    return this.actors.size;
  }

  /** Sends `request` to the customer's actor and waits for its reply (or an `unavailable` reply on timeout). */
  async ask(customerId: string, request: CustomerRequest): Promise<CustomerReply> {
    const ref = this.actorFor(customerId);
    const started = performance.now();
    const shard = shardOf(customerId, this.options.shards);
    this.pendingAsks += 1;
    this.pendingByShard.set(shard, (this.pendingByShard.get(shard) ?? 0) + 1);
    metrics.mailboxDepth.set({ kind: 'customer' }, this.pendingAsks);
    try {
      return await query(ref, (replyTo: Ref<CustomerReply>): CustomerEnvelope => ({ request, replyTo }), this.options.askTimeoutMs);
    } catch {
      return { ok: false, error: 'unavailable', message: `customer ${customerId} did not answer within ${this.options.askTimeoutMs} ms` };
    } finally {
      const left = (this.pendingByShard.get(shard) ?? 1) - 1;
      if (left > 0) this.pendingByShard.set(shard, left);
      else {
        this.pendingByShard.delete(shard);
        this.wakeDrained();
      }
      this.pendingAsks -= 1;
      metrics.mailboxDepth.set({ kind: 'customer' }, this.pendingAsks);
      metrics.actorCommandDuration.observe({ kind: requestKind(request) }, (performance.now() - started) / 1000);
    }
  }

  /**
   * Lets the asks in progress for `shards` finish (at most `timeoutMs`), then stops those shards'
   * actors: this worker no longer owns them (handed over, or the lease was lost), and their state
   * in memory must not outlive the lease (issue 15). New asks are no longer routed here meanwhile.
   * @returns the number of actors stopped
   */
  async dropShards(shards: readonly number[], timeoutMs: number): Promise<number> {
    const set = new Set(shards);
    if (set.size === 0) return 0;
    if ([...set].some((shard) => this.pendingByShard.has(shard))) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, timeoutMs);
        const entry = { shards: set, resolve: finish };
        this.drained.push(entry);
        const drained = this.drained;
        function finish(): void {
          clearTimeout(timer);
          const index = drained.indexOf(entry);
          if (index >= 0) drained.splice(index, 1);
          resolve();
        }
      });
    }
    let stopped = 0;
    for (const [key, ref] of [...this.actors]) {
      if (!set.has(shardOf(key, this.options.shards))) continue;
      this.actors.delete(key);
      stop(ref);
      stopped += 1;
    }
    metrics.actorsAlive.set({ kind: 'customer' }, this.actors.size);
    return stopped;
  }

  private wakeDrained(): void {
    for (const entry of [...this.drained]) {
      if (![...entry.shards].some((shard) => this.pendingByShard.has(shard))) entry.resolve();
    }
  }

  /** Stops every actor and the system. */
  shutdown(): void {
    this.stopping = true;
    for (const ref of this.actors.values()) stop(ref);
    this.actors.clear();
    stop(this.system);
    metrics.actorsAlive.set({ kind: 'customer' }, 0);
  }

  private actorFor(customerId: string): Ref<CustomerEnvelope> {
    const key = customerId.toLowerCase();
    const existing = this.actors.get(key);
    if (existing) return existing;
    const ref = spawn(this.system, customerBehaviour(this.options.store, this.options.slot, this.options.log, this.options.accounts), key, {
      initialState: { loaded: false } as CustomerActorState,
      shutdownAfter: this.options.idleMs,
      afterStop: () => {
        if (this.actors.get(key) === ref) this.actors.delete(key);
        if (!this.stopping) metrics.passivations.inc({ kind: 'customer' });
        metrics.actorsAlive.set({ kind: 'customer' }, this.actors.size);
      },
    });
    this.actors.set(key, ref);
    metrics.actorsAlive.set({ kind: 'customer' }, this.actors.size);
    return ref;
  }
}
