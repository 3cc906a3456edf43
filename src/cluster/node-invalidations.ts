/**
 * Cache invalidations between nodes (several NodeBill servers on one PostgreSQL): each node's
 * primary LISTENs on one channel and NOTIFYs there what its workers invalidated; a notification
 * from another node is applied in every local worker. PostgreSQL is the only shared medium needed
 * (RustBill's HA guide: "PG 做共识"); Redis is not required.
 *
 * A notification is delivered to every listening session after the notifying statement commits, in
 * order; one that arrives while this node's listening connection is down is lost, which the
 * caches' TTL bounds (src/identity/principal-cache.ts). The connection is re-established with
 * backoff.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Invalidation } from '../identity/principal-cache.ts';
import { newId } from '../lib/ids.ts';

/** The NOTIFY channel. */
export const INVALIDATION_CHANNEL = 'nodebill_invalidation';
/** PostgreSQL's NOTIFY payloads must stay under 8,000 bytes; longer id lists are split. */
const MAX_IDS_PER_NOTIFICATION = 100;

interface Notification {
  node: string;
  event: Invalidation;
}

function isNotification(value: unknown): value is Notification {
  if (typeof value !== 'object' || value === null) return false;
  const { node, event } = value as Record<string, unknown>;
  return typeof node === 'string' && typeof event === 'object' && event !== null && typeof (event as { kind?: unknown }).kind === 'string';
}

/** Splits an event whose id list would not fit in one notification. Pure. */
export function splitForNotify(event: Invalidation): Invalidation[] {
  const chunks = <T>(items: T[]): T[][] => {
    const out: T[][] = [];
    for (let index = 0; index < items.length; index += MAX_IDS_PER_NOTIFICATION) out.push(items.slice(index, index + MAX_IDS_PER_NOTIFICATION));
    return out.length > 0 ? out : [[]];
  };
  if (event.kind === 'sessions') return chunks(event.sessionIds).map((sessionIds) => ({ kind: 'sessions', sessionIds }));
  if (event.kind === 'token_families') return chunks(event.familyIds).map((familyIds) => ({ kind: 'token_families', familyIds }));
  return [event];
}

/** The node's end of the channel: {@link NodeInvalidations.notify} and the events of other nodes. */
export class NodeInvalidations {
  /** This node's id; its own notifications come back to it and are skipped. */
  readonly node = newId();
  private client: pg.Client | undefined;
  /** Connections given up (an error and the end of one connection must not both schedule a retry). */
  private readonly abandoned = new WeakSet<pg.Client>();
  private stopped = false;
  private retryMs = 500;
  private readonly options: { url: string; log: Logger; onEvent: (event: Invalidation) => void };

  constructor(options: NodeInvalidations['options']) {
    this.options = options;
  }

  /** Connects and LISTENs; resolves once listening, or after the first failure (it keeps retrying). */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Tells the other nodes about `event` (best effort: a failure is logged). */
  notify(event: Invalidation): void {
    const client = this.client;
    if (!client) {
      this.options.log.warn({ event: event.kind }, 'cache invalidation not sent to other nodes: not connected to PostgreSQL');
      return;
    }
    for (const part of splitForNotify(event)) {
      const payload = JSON.stringify({ node: this.node, event: part } satisfies Notification);
      client.query('select pg_notify($1, $2)', [INVALIDATION_CHANNEL, payload]).catch((error: unknown) => {
        this.options.log.warn({ err: error, event: event.kind }, 'cache invalidation not sent to other nodes');
      });
    }
  }

  /** Stops listening and closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    if (client) this.abandoned.add(client);
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.options.url, application_name: 'nodebill-invalidations' });
    client.on('notification', (message) => this.receive(message.payload));
    client.on('error', (error) => {
      this.options.log.warn({ err: error }, 'cache invalidation channel lost; reconnecting');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`listen ${INVALIDATION_CHANNEL}`);
      this.client = client;
      this.retryMs = 500;
    } catch (error) {
      this.options.log.warn({ err: error, retryInMs: this.retryMs }, 'cache invalidation channel could not connect; retrying');
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.abandoned.has(client)) return;
    this.abandoned.add(client);
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stopped) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
    setTimeout(() => void this.connect(), delay).unref();
  }

  private receive(payload: string | undefined): void {
    if (payload === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (!isNotification(parsed) || parsed.node === this.node) return;
    this.options.onEvent(parsed.event);
  }
}
