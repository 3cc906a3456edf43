/**
 * Cache invalidations from the database to this node: the primary LISTENs on the channel that the
 * invalidation triggers (migration 0005) NOTIFY, and applies each event in every local worker. So
 * a change made anywhere — by another NodeBill server on the same PostgreSQL, the CLI, or psql —
 * reaches every node's caches once its transaction commits; PostgreSQL is the only shared medium
 * (RustBill's HA guide: "PG 做共识"), Redis is not needed. This node's own changes also reach its
 * workers directly over IPC before the call that made them answers (src/cluster/supervisor.ts);
 * the notification that follows applies them a second time, harmlessly.
 *
 * A notification sent while this node's listening connection is down is lost, which the caches'
 * TTL bounds (src/identity/principal-cache.ts). The connection is re-established with backoff.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Invalidation } from '../identity/principal-cache.ts';


/**
 * The `application_name` of every running node's LISTEN connection, held for the primary's whole
 * life: `npm run cli -- db restore` looks for it to refuse restoring under a running server.
 */
export const LISTENER_APPLICATION_NAME = 'nodebill-invalidations';

/** The NOTIFY channel of the invalidation triggers. */
export const INVALIDATION_CHANNEL = 'nodebill_invalidation';

const KINDS: ReadonlySet<string> = new Set(['sessions', 'admin_user', 'customer_user', 'token_families', 'api_key', 'tax_rules']);

/**
 * The event of a notification payload (`{"event": {...}}`), or null when it is not one. Pure.
 */
export function parseInvalidation(payload: string | undefined): Invalidation | null {
  if (payload === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const event: unknown = (parsed as { event?: unknown }).event;
  if (typeof event !== 'object' || event === null) return null;
  const kind: unknown = (event as { kind?: unknown }).kind;
  return typeof kind === 'string' && KINDS.has(kind) ? (event as Invalidation) : null;
}

/** The node's listening connection; see the file comment. */
export class NodeInvalidations {
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
    const client = new pg.Client({ connectionString: this.options.url, application_name: LISTENER_APPLICATION_NAME });
    client.on('notification', (message) => {
      const event = parseInvalidation(message.payload);
      if (event) this.options.onEvent(event);
    });
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
    client.end().catch(() => undefined);
    if (this.stopped) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
    setTimeout(() => void this.connect(), delay).unref();
  }
}
