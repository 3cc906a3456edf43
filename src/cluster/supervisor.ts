import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { isReadOnly } from '../actors/messages.ts';
import type { Invalidation } from '../identity/principal-cache.ts';
import { newId } from '../lib/ids.ts';
import { isNodebillMessage, type PrimaryToWorker, type WorkerToPrimary } from './ipc-messages.ts';
import type { WorkerSample } from './ipc-messages.ts';
import type { ShardTableUpdate } from '../actors/shard-table.ts';

type Forward = Extract<WorkerToPrimary, { kind: 'nodebill.actor.forward' }>;

/**
 * The primary's worker management (ARCHITECTURE.md, The cluster): forks one worker per slot, restarts
 * any that dies (same slot, so the shard map never changes), relays actor messages and cache
 * invalidations between slots, answers metrics requests, and drains everything on shutdown.
 */
export class WorkerSupervisor {
  private readonly slots: Array<Worker | undefined>;
  private readonly ready: boolean[];
  private readonly queued = new Map<number, Forward[]>();
  /** Forwarded actor messages awaiting their reply: who asked, what, and which worker has it. */
  private readonly relays = new Map<string, { origin: Worker; forward: Forward; target?: Worker }>();
  private readonly recentDeaths: number[][];
  /** Workers asked to exit by a rolling restart: restarted at once, not counted as crashes. */
  private readonly planned = new WeakSet<Worker>();
  /**
   * Requests sent to several workers whose answers are awaited (invalidations relayed, ops samples
   * collected, shard tables published): the workers yet to answer, and the answers so far.
   */
  private readonly gatherings = new Map<string, { waiting: Set<Worker>; answers: unknown[]; finish: () => void }>();
  /** The last shard table, for a worker that (re)starts. */
  private lastShards: ShardTableUpdate | null = null;
  private stopping = false;
  private restarting = false;
  private readonly options: {
    workers: number;
    env: Record<string, string>;
    log: Logger;
    metrics: () => Promise<{ contentType: string; body: string }>;
    /** How long a worker's answer to an invalidation is awaited, in ms (default 1,000). */
    invalidationWaitMs?: number;
  };

  constructor(options: WorkerSupervisor['options']) {
    this.options = options;
    this.slots = new Array<Worker | undefined>(options.workers).fill(undefined);
    this.ready = new Array<boolean>(options.workers).fill(false);
    this.recentDeaths = Array.from({ length: options.workers }, () => []);
  }

  /** Forks every slot; resolves when all workers announced they serve requests. */
  async start(): Promise<void> {
    const allReady = new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.ready.every(Boolean)) resolve();
        else setTimeout(check, 25);
      };
      check();
    });
    for (let slot = 0; slot < this.options.workers; slot += 1) this.fork(slot);
    await allReady;
  }

  /** Worker process ids by slot (undefined while a slot restarts). */
  pids(): Array<number | undefined> {
    return this.slots.map((worker) => worker?.process.pid);
  }

  /**
   * Graceful shutdown: every worker stops accepting, finishes in-flight calls and exits; after
   * `graceMs` the stragglers are killed. Resolves when all are gone.
   */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    const alive = this.slots.filter((worker): worker is Worker => worker !== undefined && !worker.isDead());
    await Promise.all(
      alive.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              this.options.log.warn({ workerPid: worker.process.pid }, 'worker did not drain in time; killing it');
              worker.process.kill('SIGKILL');
            }, graceMs);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            this.send(worker, { kind: 'nodebill.drain' });
          }),
      ),
    );
  }

  /**
   * Restarts the workers one at a time (IntegrationService/RestartServer): each slot drains (its
   * in-flight calls finish), exits, and is forked again; the next slot follows once the new worker
   * serves. The other workers keep serving meanwhile, so the server as a whole never stops.
   */
  async rollingRestart(): Promise<void> {
    if (this.restarting || this.stopping) return;
    this.restarting = true;
    try {
      for (let slot = 0; slot < this.slots.length && !this.stopping; slot += 1) {
        const worker = this.slots[slot];
        if (!worker || worker.isDead()) continue;
        const replaced = new Promise<void>((resolve) => {
          const check = (): void => {
            const current = this.slots[slot];
            if (this.stopping || (current && current !== worker && this.ready[slot])) resolve();
            else setTimeout(check, 25);
          };
          check();
        });
        this.planned.add(worker);
        // From now on messages for this slot wait for its successor instead of reaching a worker
        // that is shutting down.
        this.ready[slot] = false;
        this.send(worker, { kind: 'nodebill.drain' });
        await replaced;
      }
      this.options.log.info('rolling restart finished');
    } finally {
      this.restarting = false;
    }
  }

  /**
   * Gives every live worker the shard table (issue 15); resolves once each applied it (and let the
   * calls in progress for the shards it lost finish), or after `waitMs`.
   */
  async publishShards(update: ShardTableUpdate, waitMs: number): Promise<void> {
    this.lastShards = update;
    await this.gather(this.liveWorkers(), waitMs, (id) => ({ kind: 'nodebill.shards', id, update }));
  }

  /** Applies an invalidation from another node in every worker of this one (no answers awaited). */
  applyEverywhere(event: Invalidation): void {
    for (const worker of this.slots) if (worker) this.send(worker, { kind: 'nodebill.invalidate.apply', id: '', event });
  }

  /**
   * Relays a worker's invalidation to every other live worker and answers the origin once all of
   * them applied it, or after `invalidationWaitMs` (a worker that is dying never answers).
   */
  private relayInvalidation(origin: Worker, originId: string, event: Invalidation): void {
    const targets = this.liveWorkers().filter((worker) => worker !== origin);
    void this.gather(targets, this.options.invalidationWaitMs ?? 1_000, (id) => ({ kind: 'nodebill.invalidate.apply', id, event }))
      .then(() => this.send(origin, { kind: 'nodebill.invalidate.done', id: originId }));
  }

  /** Asks every live worker for its ops sample; answers `origin` when all did, or after the invalidation wait. */
  private collectOps(origin: Worker, originId: string): void {
    void this.gather<WorkerSample>(this.liveWorkers(), this.options.invalidationWaitMs ?? 1_000, (id) => ({ kind: 'nodebill.ops.collect', id }))
      .then((samples) => {
        const workers = [...samples].sort((a, b) => a.slot - b.slot);
        this.send(origin, { kind: 'nodebill.ops.result', id: originId, workers, primary: { pid: process.pid, uptimeSecs: Math.round(process.uptime()) } });
      });
  }

  /**
   * Sends `request(id)` to every worker of `targets` and resolves with their answers once each
   * answered, or after `waitMs` with the answers that came (a dying worker never answers).
   */
  private gather<T>(targets: readonly Worker[], waitMs: number, request: (id: string) => PrimaryToWorker): Promise<T[]> {
    const answers: T[] = [];
    if (targets.length === 0) return Promise.resolve(answers);
    const id = newId();
    return new Promise((resolve) => {
      const finish = (): void => {
        if (!this.gatherings.delete(id)) return;
        clearTimeout(timer);
        resolve(answers);
      };
      const timer = setTimeout(finish, waitMs);
      this.gatherings.set(id, { waiting: new Set(targets), answers, finish });
      for (const target of targets) this.send(target, request(id));
    });
  }

  /** `worker` answered the gathering `id` (with `answer`, when the request asks for one). */
  private answered(id: string, worker: Worker, answer?: unknown): void {
    const gathering = this.gatherings.get(id);
    if (!gathering || !gathering.waiting.delete(worker)) return;
    if (answer !== undefined) gathering.answers.push(answer);
    if (gathering.waiting.size === 0) gathering.finish();
  }

  /** Workers alive and connected now. */
  private liveWorkers(): Worker[] {
    return this.slots.filter((worker): worker is Worker => worker !== undefined && !worker.isDead() && worker.isConnected());
  }

  private fork(slot: number): void {
    const worker = cluster.fork({ ...this.options.env, NODEBILL_WORKER_SLOT: String(slot) });
    this.slots[slot] = worker;
    this.ready[slot] = false;
    worker.on('message', (message: unknown) => {
      if (isNodebillMessage<WorkerToPrimary>(message)) this.handle(worker, slot, message);
    });
    worker.on('exit', (code, signal) => {
      if (this.slots[slot] === worker) {
        this.slots[slot] = undefined;
        this.ready[slot] = false;
      }
      this.requeueUnanswered(worker, slot);
      if (this.stopping) return;
      if (this.planned.has(worker)) {
        this.options.log.info({ slot, workerPid: worker.process.pid }, 'worker restarted by a rolling restart');
        this.fork(slot);
        return;
      }
      const now = Date.now();
      const deaths = (this.recentDeaths[slot] ?? []).filter((at) => now - at < 60_000);
      deaths.push(now);
      this.recentDeaths[slot] = deaths;
      // Back off when a slot keeps dying (crash loop), up to 10 s.
      const delay = Math.min(10_000, 100 * 2 ** Math.max(0, deaths.length - 1));
      this.options.log.warn({ slot, workerPid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; restarting it');
      setTimeout(() => {
        if (!this.stopping) this.fork(slot);
      }, delay);
    });
  }

  private handle(worker: Worker, slot: number, message: WorkerToPrimary): void {
    switch (message.kind) {
      case 'nodebill.ready': {
        this.ready[slot] = true;
        this.options.log.info({ slot, workerPid: worker.process.pid }, 'worker ready');
        if (this.lastShards) this.send(worker, { kind: 'nodebill.shards', id: '', update: this.lastShards });
        const waiting = this.queued.get(slot) ?? [];
        this.queued.delete(slot);
        for (const forward of waiting) this.deliver(forward);
        return;
      }
      case 'nodebill.actor.forward':
        this.relays.set(message.id, { origin: worker, forward: message });
        this.deliver(message);
        return;
      case 'nodebill.actor.reply': {
        const relay = this.relays.get(message.id);
        this.relays.delete(message.id);
        if (relay && !relay.origin.isDead()) this.send(relay.origin, { kind: 'nodebill.actor.result', id: message.id, reply: message.reply });
        return;
      }
      case 'nodebill.restart.request':
        this.send(worker, { kind: 'nodebill.restart.accepted', id: message.id, alreadyRunning: this.restarting });
        if (!this.restarting) {
          this.options.log.info({ requestedBy: message.requestedBy }, 'rolling restart requested');
          void this.rollingRestart();
        }
        return;
      case 'nodebill.invalidate':
        this.relayInvalidation(worker, message.id, message.event);
        return;
      case 'nodebill.invalidate.applied':
      case 'nodebill.shards.applied':
        this.answered(message.id, worker);
        return;
      case 'nodebill.ops.request':
        this.collectOps(worker, message.id);
        return;
      case 'nodebill.ops.sample':
        this.answered(message.id, worker, message.sample);
        return;
      case 'nodebill.metrics.request':
        this.options.metrics().then(
          ({ contentType, body }) => this.send(worker, { kind: 'nodebill.metrics.result', id: message.id, contentType, body }),
          (error: unknown) =>
            this.send(worker, { kind: 'nodebill.metrics.result', id: message.id, contentType: 'text/plain', body: '', error: String(error) }),
        );
        return;
    }
  }

  /** Hands a forwarded actor message to the owning slot, or queues it while that slot restarts. */
  private deliver(forward: Forward): void {
    const target = this.slots[forward.targetSlot];
    if (!target || !this.ready[forward.targetSlot]) {
      const list = this.queued.get(forward.targetSlot) ?? [];
      list.push(forward);
      this.queued.set(forward.targetSlot, list);
      return;
    }
    const relay = this.relays.get(forward.id);
    if (relay) relay.target = target;
    this.send(target, { kind: 'nodebill.actor.deliver', id: forward.id, customerId: forward.customerId, request: forward.request });
  }

  /**
   * A worker went away: messages it had not answered go back in the queue of its slot when they
   * are safe to run again (read-only requests); the others are left to time out at their sender,
   * since a command may have been applied before the worker died.
   */
  private requeueUnanswered(dead: Worker, slot: number): void {
    for (const [id, relay] of this.relays) {
      if (relay.target !== dead) continue;
      relay.target = undefined;
      if (isReadOnly(relay.forward.request)) {
        const list = this.queued.get(slot) ?? [];
        list.push(relay.forward);
        this.queued.set(slot, list);
      } else {
        this.relays.delete(id);
      }
    }
  }

  private send(worker: Worker, message: PrimaryToWorker): void {
    if (!worker.isDead() && worker.isConnected()) worker.send(message);
  }
}
