/**
 * Helpers of the background-work suites: real PostgreSQL (a fresh migrated database per suite)
 * and real Redis (a unique BullMQ prefix per test, deleted afterwards).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { AppConfigSchema } from '../../src/config/schema.ts';
import type { JobsConfig } from '../../src/jobs/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { metrics } from '../../src/metrics/metrics.ts';

/** The tests' Redis; override with TEST_REDIS_URL. */
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A BullMQ prefix no other test uses. */
export function uniquePrefix(): string {
  return `nodebill-test-jobs-${randomBytes(5).toString('hex')}`;
}

/** Deletes every Redis key under `prefix`. */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The keys under `prefix` (to look for leftover jobs). */
export async function keysUnder(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    return await redis.keys(`${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}

/** The `[jobs]` defaults of the real schema with `overrides`. */
export function jobsConfig(overrides: Partial<JobsConfig> = {}): JobsConfig {
  return { ...AppConfigSchema.parse({}).jobs, ...overrides };
}

/** A pool on the suite's database. */
export function testPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {});
  return pool;
}

/** A logger that keeps its lines (level debug) for assertions. */
export function capturingLog(): { log: Logger; lines: Array<{ level: number; msg: string; [key: string]: unknown }> } {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { log, lines };
}

/** What one inserted event carries. */
export interface NewEvent {
  eventType: string;
  orderId?: string | null;
  customerId?: string | null;
  payload?: Record<string, unknown>;
}

/** Inserts events as the money path does (status pending, available now); returns their ids in order. */
export async function insertEvents(pool: pg.Pool, events: NewEvent[]): Promise<string[]> {
  const ids = events.map(() => newId());
  if (events.length === 0) return ids;
  await pool.query(
    `insert into event_queue (id, event_type, payload, status, customer_id, order_id, available_at)
     select * from unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[], $5::uuid[], $6::uuid[], $7::timestamptz[])`,
    [
      ids,
      events.map((e) => e.eventType),
      events.map((e) => JSON.stringify(e.payload ?? {})),
      events.map(() => 'pending'),
      events.map((e) => e.customerId ?? (e.orderId ? newId() : null)),
      events.map((e) => e.orderId ?? null),
      events.map(() => new Date()),
    ],
  );
  return ids;
}

/** A row's delivery columns. */
export interface EventState {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  locked_by: string | null;
}

/** The delivery state of the given events, by id. */
export async function eventStates(pool: pg.Pool, ids: string[]): Promise<Map<string, EventState>> {
  const result = await pool.query<EventState>('select id, status, attempts, last_error, locked_by from event_queue where id = any($1::uuid[])', [ids]);
  return new Map(result.rows.map((row) => [row.id, row]));
}

/** Waits until every given event has one of `statuses`. */
export async function waitForStatus(pool: pg.Pool, ids: string[], statuses: string[], what = `events to be ${statuses.join('/')}`): Promise<void> {
  await waitFor(async () => {
    const result = await pool.query<{ n: number }>('select count(*)::int as n from event_queue where id = any($1::uuid[]) and status = any($2::text[])', [ids, statuses]);
    return result.rows[0]?.n === ids.length;
  }, what);
}

/**
 * Polls `condition` every 25 ms until it holds. Not a timing assertion: the deadline (default 30 s)
 * only turns a hang into a failure that says what was awaited.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The current value of nodebill_outbox_events_processed_total for these labels (0 when absent). */
export async function processedCount(type: string, outcome: string, path: string): Promise<number> {
  const { values } = await metrics.eventsProcessed.get();
  return values.find((v) => v.labels.type === type && v.labels.outcome === outcome && v.labels.path === path)?.value ?? 0;
}

/** Counts handler calls per event id and the most calls of one key running at the same time. */
export class CallLog {
  readonly calls = new Map<string, number>();
  private readonly active = new Map<string, number>();
  /** Most concurrent calls seen for one key (event id, or order id with `byOrder`). */
  maxConcurrent = 0;

  /** Records a call of `eventId`; `key` groups concurrency (defaults to the event id). Returns the end callback. */
  begin(eventId: string, key: string = eventId): () => void {
    this.calls.set(eventId, (this.calls.get(eventId) ?? 0) + 1);
    const now = (this.active.get(key) ?? 0) + 1;
    this.active.set(key, now);
    this.maxConcurrent = Math.max(this.maxConcurrent, now);
    return () => this.active.set(key, (this.active.get(key) ?? 1) - 1);
  }

  /** Total calls. */
  get total(): number {
    let sum = 0;
    for (const n of this.calls.values()) sum += n;
    return sum;
  }
}

/** The current value of nodebill_outbox_deliveries_total for these labels (0 when absent). */
export async function deliveryCount(type: string, outcome: 'claimed' | 'stale' | 'deferred'): Promise<number> {
  const { values } = await metrics.eventDeliveries.get();
  return values.find((v) => v.labels.type === type && v.labels.outcome === outcome)?.value ?? 0;
}

/**
 * A TCP proxy in front of the test Redis, to take Redis away and bring it back: `cut()` closes
 * every connection and stops listening, `restore()` listens on the same port again.
 */
export class RedisProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  /** The proxy's URL (valid after start()). */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts listening (on a free port the first time, on the same port afterwards). */
  async start(): Promise<void> {
    const target = new URL(REDIS_URL);
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** Redis "goes down": every connection is cut and new ones are refused. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Redis "comes back". */
  async restore(): Promise<void> {
    await this.start();
  }
}
