import { query, spawn, start, stop, type Ref } from 'nact';
import type { Logger } from 'pino';
import { metrics } from '../metrics/metrics.ts';
import { customerBehaviour, type CustomerActorState, type CustomerEnvelope } from './customer-actor.ts';
import { requestKind, type CustomerReply, type CustomerRequest } from './messages.ts';
import type { CustomerSnapshotStore } from './snapshot-store.ts';
import type { AccountStore } from './account-store.ts';

/**
 * The nact actor system of one worker: spawns a customer actor on first use (named by the customer
 * id), stops it after `idleMs` without messages, and asks it with a timeout. Only customers of the
 * shards this worker owns live here (the ShardRouter sees to that).
 */
export class ActorHost {
  private readonly system = start();
  private readonly actors = new Map<string, Ref<CustomerEnvelope>>();
  private pendingAsks = 0;
  private stopping = false;
  private readonly options: { store: CustomerSnapshotStore; accounts?: AccountStore; slot: number; idleMs: number; askTimeoutMs: number; log: Pick<Logger, 'error'> };

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
    this.pendingAsks += 1;
    metrics.mailboxDepth.set({ kind: 'customer' }, this.pendingAsks);
    try {
      return await query(ref, (replyTo: Ref<CustomerReply>): CustomerEnvelope => ({ request, replyTo }), this.options.askTimeoutMs);
    } catch {
      return { ok: false, error: 'unavailable', message: `customer ${customerId} did not answer within ${this.options.askTimeoutMs} ms` };
    } finally {
      this.pendingAsks -= 1;
      metrics.mailboxDepth.set({ kind: 'customer' }, this.pendingAsks);
      metrics.actorCommandDuration.observe({ kind: requestKind(request) }, (performance.now() - started) / 1000);
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
