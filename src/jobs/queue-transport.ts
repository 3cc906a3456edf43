/**
 * The BullMQ side of event delivery: one queue (`<prefix>:events`) whose jobs carry only the event
 * id (job id = event id, so relaying an event twice adds one job), and the worker that takes them.
 * The job is only a delivery: attempts, backoff and the outcome live on the `event_queue` row.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RelayRow } from './outbox-store.ts';

/** Name of the BullMQ queue of outbox events. */
export const EVENTS_QUEUE = 'events';

/** Longest wait for Redis to accept a batch of jobs before the relay gives up (ms). */
const ADD_TIMEOUT_MS = 5000;

/** The data of an event's job. */
export interface EventJobData {
  eventId: string;
}

/** Options of {@link QueueTransport}. */
export interface QueueTransportOptions {
  redisUrl: string;
  /** BullMQ key prefix (`[redis] prefix`). */
  prefix: string;
  concurrency: number;
  /** Delay of BullMQ's own retries of a job whose processing threw (not the handler's failures). */
  retryDelayMs: number;
  /** Runs one job; throwing makes BullMQ retry the delivery. */
  process: (eventId: string, eventType: string) => Promise<void>;
  /** Called whenever the connection becomes ready (first connect and every reconnect). */
  onReady: () => void;
  log: Logger;
}

/**
 * The BullMQ queue and worker of one process. Redis being unreachable never throws out of here:
 * {@link QueueTransport.usable} says whether to relay, and the connections reconnect on their own.
 */
export class QueueTransport {
  private readonly connection: Redis;
  private readonly queue: Queue<EventJobData>;
  private worker: Worker<EventJobData> | null = null;
  private readonly options: QueueTransportOptions;
  /** Set by a connection error or loss, cleared when ready: tells "down" from "still connecting". */
  private lost = false;

  constructor(options: QueueTransportOptions) {
    this.options = options;
    // Commands fail at once while disconnected (no offline queue), so a relay never waits on a
    // Redis that is down; ioredis keeps reconnecting in the background.
    this.connection = new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    // Errors are reported through state() by the caller, once per change.
    this.connection.on('error', () => {
      this.lost = true;
    });
    this.connection.on('close', () => {
      this.lost = true;
    });
    this.connection.on('ready', () => {
      this.lost = false;
      options.onReady();
    });
    this.queue = new Queue<EventJobData>(EVENTS_QUEUE, { connection: this.connection, prefix: options.prefix });
    this.queue.on('error', () => {});
  }

  /** True while the queue's Redis connection is ready. */
  usable(): boolean {
    return this.connection.status === 'ready';
  }

  /** `ready`; `starting` before the first connection attempt ended; `down` after an error or a lost connection. */
  state(): 'ready' | 'starting' | 'down' {
    if (this.usable()) return 'ready';
    return this.lost ? 'down' : 'starting';
  }

  /** Starts the worker (idempotent). */
  startWorker(): void {
    if (this.worker !== null) return;
    const { options } = this;
    this.worker = new Worker<EventJobData>(
      EVENTS_QUEUE,
      async (job: Job<EventJobData>) => {
        await options.process(job.data.eventId, job.name);
      },
      {
        connection: { url: options.redisUrl, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 200, 2000) },
        prefix: options.prefix,
        concurrency: options.concurrency,
      },
    );
    this.worker.on('error', (error) => options.log.debug({ err: error }, 'BullMQ worker error'));
    this.worker.on('failed', (job, error) => options.log.warn({ eventId: job?.data.eventId, err: error }, 'delivery of an outbox event through BullMQ failed'));
  }

  /**
   * Adds one job per event (job id = event id; an existing job with that id is left as it is).
   *
   * @throws when Redis is not ready or does not confirm within 5 s
   */
  async add(rows: RelayRow[]): Promise<void> {
    if (!this.usable()) throw new Error('Redis is not connected');
    const adding = this.queue.addBulk(
      rows.map((row) => ({
        name: row.eventType,
        data: { eventId: row.id },
        opts: {
          jobId: row.id,
          removeOnComplete: true,
          removeOnFail: true,
          attempts: 3,
          backoff: { type: 'exponential', delay: this.options.retryDelayMs },
        },
      })),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not accept the jobs within ${ADD_TIMEOUT_MS} ms`)), ADD_TIMEOUT_MS);
    });
    try {
      await Promise.race([adding, timeout]);
    } finally {
      clearTimeout(timer);
      adding.catch(() => undefined);
    }
  }

  /** Stops taking new jobs (jobs being processed go on). */
  async pauseWorker(): Promise<void> {
    await this.worker?.pause(true);
  }

  /**
   * Closes the worker and the queue and their connections. Call after the jobs being processed
   * have finished: a job still running is abandoned (BullMQ hands it to another worker once its
   * lock expires).
   */
  async close(): Promise<void> {
    await this.worker?.close(true).catch(() => undefined);
    this.worker = null;
    await this.queue.close().catch(() => undefined);
    this.connection.disconnect();
  }
}
