/**
 * Dead letters: events whose handler failed `max_attempts` times stay in `event_queue` with status
 * `failed` and their `last_error`, until an admin looks at them (`npm run cli -- events failed`) and
 * sends one back (`npm run cli -- events retry ID`).
 */
import type pg from 'pg';
import { isUuid } from '../lib/ids.ts';
import { rfc3339 } from '../lib/time.ts';

/** A failed event, as the CLI lists it. */
export interface FailedEvent {
  id: string;
  eventType: string;
  customerId: string | null;
  orderId: string | null;
  /** Handler runs, all failed. */
  attempts: number;
  lastError: string | null;
  /** When it was written, RFC3339. */
  createdAt: string;
  /** When it failed for the last time, RFC3339 (null only for rows failed by hand). */
  failedAt: string | null;
}

/**
 * Lists failed events, oldest failure first.
 *
 * @param limit most rows returned (default 100)
 * @throws the PostgreSQL error when the database fails
 */
export async function listFailedEvents(pool: pg.Pool, limit = 100): Promise<FailedEvent[]> {
  const result = await pool.query<{
    id: string;
    event_type: string;
    customer_id: string | null;
    order_id: string | null;
    attempts: number;
    last_error: string | null;
    created_at: Date;
    processed_at: Date | null;
  }>(
    `select id, event_type, customer_id, order_id, attempts, last_error, created_at, processed_at
       from event_queue where status = 'failed'
      order by processed_at nulls first, id
      limit $1`,
    [limit],
  );
  return result.rows.map((row) => ({
    id: row.id,
    eventType: row.event_type,
    customerId: row.customer_id,
    orderId: row.order_id,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: rfc3339(row.created_at),
    failedAt: row.processed_at === null ? null : rfc3339(row.processed_at),
  }));
}

/** Result of {@link retryFailedEvent}. */
export type RetryOutcome = { kind: 'retried' } | { kind: 'not_found' } | { kind: 'not_failed'; status: string };

/**
 * Sends a failed event back: `pending`, available now, attempts reset to 0 (its `last_error` stays
 * until the next run). The next relay or table pass delivers it again.
 *
 * @returns `retried`; `not_found` for an id that is no event (or no UUID); `not_failed` with the
 *   current status for an event that is not failed (nothing changes)
 * @throws the PostgreSQL error when the database fails
 */
export async function retryFailedEvent(pool: pg.Pool, id: string): Promise<RetryOutcome> {
  if (!isUuid(id)) return { kind: 'not_found' };
  const updated = await pool.query(
    `update event_queue set status = 'pending', attempts = 0, available_at = now(), processed_at = null, locked_by = null, locked_at = null
      where id = $1 and status = 'failed'`,
    [id],
  );
  if ((updated.rowCount ?? 0) > 0) return { kind: 'retried' };
  const current = await pool.query<{ status: string }>('select status from event_queue where id = $1', [id]);
  const status = current.rows[0]?.status;
  return status === undefined ? { kind: 'not_found' } : { kind: 'not_failed', status };
}
