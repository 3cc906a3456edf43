import type { CustomerReply, CustomerRequest } from '../actors/messages.ts';
import type { ShardForwarder } from '../actors/router.ts';
import type { ShardTableUpdate } from '../actors/shard-table.ts';
import type { Invalidation } from '../identity/principal-cache.ts';
import { newId } from '../lib/ids.ts';
import { isNodebillMessage, type PrimaryToWorker, type WorkerSample, type WorkerToPrimary } from './ipc-messages.ts';

/** What the ops dashboard gets: every worker's sample, and the primary's process. */
export interface OpsFigures {
  workers: WorkerSample[];
  primary: { pid: number; uptimeSecs: number };
}

type Pending<T> = { resolve: (value: T) => void; timer: NodeJS.Timeout };

/**
 * A worker's side of the cluster IPC channel: forwards actor requests to other slots, answers
 * requests forwarded here, fetches the cluster-wide metrics from the primary, and spreads cache
 * invalidations to the other workers (and receives theirs).
 */
export class WorkerIpc implements ShardForwarder {
  private readonly pendingActors = new Map<string, Pending<CustomerReply>>();
  private readonly pendingMetrics = new Map<string, Pending<{ contentType: string; body: string } | Error>>();
  private readonly pendingRestarts = new Map<string, Pending<{ alreadyRunning: boolean } | Error>>();
  private readonly pendingInvalidations = new Map<string, Pending<void>>();
  private readonly pendingOps = new Map<string, Pending<OpsFigures | Error>>();
  private readonly options: {
    timeoutMs: number;
    onDeliver: (customerId: string, request: CustomerRequest) => Promise<CustomerReply>;
    onDrain: () => void;
    /** Applies an invalidation another worker (or node) published to this worker's caches. */
    onInvalidate: (event: Invalidation) => void;
    /** Applies a shard table (issue 15); resolves once the actors of the shards lost are drained. */
    onShards: (update: ShardTableUpdate) => Promise<void>;
    /** This worker's ops sample (issue 12); absent: it answers none. */
    sample?: () => Promise<WorkerSample>;
  };

  constructor(options: WorkerIpc['options']) {
    this.options = options;
    process.on('message', (message: unknown) => {
      if (isNodebillMessage<PrimaryToWorker>(message)) this.handle(message);
    });
  }

  /** Tells the primary this worker serves requests. */
  announceReady(slot: number): void {
    this.send({ kind: 'nodebill.ready', slot });
  }

  /** @see ShardForwarder */
  forward(targetSlot: number, customerId: string, request: CustomerRequest): Promise<CustomerReply> {
    const id = newId();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingActors.delete(id);
        resolve({ ok: false, error: 'unavailable', message: `worker ${targetSlot} did not answer within ${this.options.timeoutMs} ms` });
      }, this.options.timeoutMs);
      this.pendingActors.set(id, { resolve, timer });
      this.send({ kind: 'nodebill.actor.forward', id, targetSlot, customerId, request });
    });
  }

  /** Prometheus text aggregated by the primary from every worker. @throws Error when the primary does not answer. */
  /**
   * Every worker's ops sample, collected by the primary (the ops dashboard, issue 12).
   * @throws Error when the primary does not answer in time
   */
  async opsFigures(): Promise<OpsFigures> {
    const id = newId();
    const result = await new Promise<OpsFigures | Error>((resolve) => {
      const timer = setTimeout(() => {
        this.pendingOps.delete(id);
        resolve(new Error('primary did not return the ops figures in time'));
      }, this.options.timeoutMs);
      this.pendingOps.set(id, { resolve, timer });
      this.send({ kind: 'nodebill.ops.request', id });
    });
    if (result instanceof Error) throw result;
    return result;
  }

  async clusterMetrics(): Promise<{ contentType: string; body: string }> {
    const id = newId();
    const result = await new Promise<{ contentType: string; body: string } | Error>((resolve) => {
      const timer = setTimeout(() => {
        this.pendingMetrics.delete(id);
        resolve(new Error('primary did not return metrics in time'));
      }, this.options.timeoutMs);
      this.pendingMetrics.set(id, { resolve, timer });
      this.send({ kind: 'nodebill.metrics.request', id });
    });
    if (result instanceof Error) throw result;
    return result;
  }

  /**
   * Asks the primary for a rolling restart of all workers (IntegrationService/RestartServer).
   * Resolves once the primary accepted it (the restart itself proceeds in the background, one worker
   * at a time, including this one). @throws Error when the primary does not answer
   */
  async requestRollingRestart(requestedBy: string): Promise<{ alreadyRunning: boolean }> {
    const id = newId();
    const result = await new Promise<{ alreadyRunning: boolean } | Error>((resolve) => {
      const timer = setTimeout(() => {
        this.pendingRestarts.delete(id);
        resolve(new Error('primary did not accept the restart in time'));
      }, this.options.timeoutMs);
      this.pendingRestarts.set(id, { resolve, timer });
      this.send({ kind: 'nodebill.restart.request', id, requestedBy });
    });
    if (result instanceof Error) throw result;
    return result;
  }

  /**
   * Has the primary apply `event` in every other worker of this node (other nodes hear of the change
   * from the database's invalidation triggers);
   * resolves once they all did, or after `waitMs` when one does not answer (a dying worker). Never
   * rejects: the caller already changed the database and applied the event locally.
   */
  broadcastInvalidation(event: Invalidation, waitMs: number): Promise<void> {
    if (!process.send || !process.connected) return Promise.resolve();
    const id = newId();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingInvalidations.delete(id);
        resolve();
      }, waitMs);
      this.pendingInvalidations.set(id, { resolve, timer });
      this.send({ kind: 'nodebill.invalidate', id, event });
    });
  }

  private handle(message: PrimaryToWorker): void {
    switch (message.kind) {
      case 'nodebill.invalidate.apply':
        this.options.onInvalidate(message.event);
        if (message.id !== '') this.send({ kind: 'nodebill.invalidate.applied', id: message.id });
        return;
      case 'nodebill.invalidate.done': {
        const pending = this.pendingInvalidations.get(message.id);
        if (!pending) return;
        this.pendingInvalidations.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve();
        return;
      }
      case 'nodebill.actor.deliver':
        this.options.onDeliver(message.customerId, message.request).then(
          (reply) => this.send({ kind: 'nodebill.actor.reply', id: message.id, reply }),
          (error: unknown) => this.send({ kind: 'nodebill.actor.reply', id: message.id, reply: { ok: false, error: 'unavailable', message: String(error) } }),
        );
        return;
      case 'nodebill.actor.result': {
        const pending = this.pendingActors.get(message.id);
        if (!pending) return;
        this.pendingActors.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve(message.reply);
        return;
      }
      case 'nodebill.metrics.result': {
        const pending = this.pendingMetrics.get(message.id);
        if (!pending) return;
        this.pendingMetrics.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve(message.error ? new Error(message.error) : { contentType: message.contentType, body: message.body });
        return;
      }
      case 'nodebill.restart.accepted': {
        const pending = this.pendingRestarts.get(message.id);
        if (!pending) return;
        this.pendingRestarts.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve({ alreadyRunning: message.alreadyRunning });
        return;
      }
      case 'nodebill.shards': {
        // Answered whether or not the drain went well: the primary only waits for it.
        const applied = (): void => {
          if (message.id !== '') this.send({ kind: 'nodebill.shards.applied', id: message.id });
        };
        this.options.onShards(message.update).then(applied, applied);
        return;
      }
      case 'nodebill.drain':
        this.options.onDrain();
        return;
      case 'nodebill.ops.collect':
        this.options.sample?.().then((sample) => this.send({ kind: 'nodebill.ops.sample', id: message.id, sample }), () => undefined);
        return;
      case 'nodebill.ops.result': {
        const pending = this.pendingOps.get(message.id);
        if (!pending) return;
        this.pendingOps.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve({ workers: message.workers, primary: message.primary });
        return;
      }
    }
  }

  private send(message: WorkerToPrimary): void {
    if (process.send && process.connected) process.send(message);
  }
}
