/**
 * The SQL of event delivery on `event_queue`, shared by both paths (BullMQ and the table consumer).
 * The row is the single source of truth: a handler runs only under a claim (`status = 'processing'`,
 * `locked_by` = the claim's token), only that claim may finish the event, and attempts, backoff and
 * the final state are recorded on the row whichever path delivered it.
 *
 * States: pending → queued (relayed into BullMQ) → processing → done | pending (after a backoff) |
 * failed (after max_attempts runs: the dead letter, see dead-letters.ts). The table consumer takes
 * pending and queued rows directly when Redis is not usable.
 */
import type pg from 'pg';
import { rfc3339 } from '../lib/time.ts';
import type { OutboxEvent } from './types.ts';

/**
 * First key of the two-key advisory transaction locks that serialise claims of one order's events
 * ('OR'; the second key is `hashtext(order_id::text)`). Held only while claiming: afterwards the
 * `processing` row itself keeps a second event of that order from being claimed.
 */
export const ORDER_LOCK_CLASS = 0x4f52;

/** Longest `last_error` kept, in characters. */
const MAX_ERROR_LENGTH = 4000;

const EVENT_COLUMNS = 'id, event_type, payload, customer_id, order_id, attempts, created_at, trace_parent';

interface EventRow {
  id: string;
  event_type: string;
  payload: Record<string, unknown> | null;
  customer_id: string | null;
  order_id: string | null;
  attempts: number;
  created_at: Date;
  trace_parent: string | null;
}

/** An event taken by one claim: run its handler, then finish it with the same token. */
export interface ClaimedEvent {
  /** The event; `attempts` counts the runs before this one. */
  event: OutboxEvent;
  /** Runs including this one (the row's `attempts`). */
  run: number;
  /** The claim's `locked_by`. */
  token: string;
}

/** Result of {@link claimEvent}. */
export type ClaimOutcome =
  | { kind: 'claimed'; claimed: ClaimedEvent }
  /** done, failed, deleted, or being run under another claim: nothing to do. */
  | { kind: 'not_claimable' }
  /** another event of the same order is being run: the row was put back to pending for `deferMs`. */
  | { kind: 'deferred' };

function toClaimed(row: EventRow, token: string): ClaimedEvent {
  return {
    event: {
      id: row.id,
      eventType: row.event_type,
      payload: row.payload ?? {},
      customerId: row.customer_id,
      orderId: row.order_id,
      attempts: row.attempts - 1,
      createdAt: rfc3339(row.created_at),
      traceParent: row.trace_parent,
    },
    run: row.attempts,
    token,
  };
}

/** The text kept in `last_error` for a thrown value. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const CLAIM_SQL = `
  update event_queue e
     set status = 'processing', locked_by = $2, locked_at = now(), attempts = e.attempts + 1
   where e.id = any($1::uuid[])
     and e.status in ('pending', 'queued')
     and (e.order_id is null or not exists (
           select 1 from event_queue o where o.order_id = e.order_id and o.status = 'processing' and o.id <> e.id))
  returning ${EVENT_COLUMNS}`;

/**
 * Claims one event by id (the BullMQ path): `pending` or `queued` → `processing` under `token`,
 * unless another event of its order is being run (then it goes back to `pending`, available in
 * `deferMs` milliseconds, so that the relay delivers it again).
 *
 * @throws the PostgreSQL error when the database fails
 */
export async function claimEvent(pool: pg.Pool, id: string, token: string, deferMs: number): Promise<ClaimOutcome> {
  return inTransaction(pool, async (client) => {
    const found = await client.query<{ order_id: string | null; status: string }>('select order_id, status from event_queue where id = $1', [id]);
    const row = found.rows[0];
    if (row === undefined || (row.status !== 'pending' && row.status !== 'queued')) return { kind: 'not_claimable' };
    if (row.order_id !== null) {
      const lock = await client.query<{ locked: boolean }>('select pg_try_advisory_xact_lock($1, hashtext($2)) as locked', [ORDER_LOCK_CLASS, row.order_id]);
      if (lock.rows[0]?.locked !== true) return defer(client, id, deferMs);
    }
    // A new statement, so a new snapshot: it sees every claim committed before the lock was ours.
    const claimed = await client.query<EventRow>(CLAIM_SQL, [[id], token]);
    const claimedRow = claimed.rows[0];
    if (claimedRow !== undefined) return { kind: 'claimed', claimed: toClaimed(claimedRow, token) };
    return defer(client, id, deferMs);
  });
}

async function defer(client: pg.PoolClient, id: string, deferMs: number): Promise<ClaimOutcome> {
  const deferred = await client.query(
    `update event_queue set status = 'pending', available_at = now() + $2 * interval '1 millisecond', locked_by = null
      where id = $1 and status in ('pending', 'queued')`,
    [id, deferMs],
  );
  return (deferred.rowCount ?? 0) > 0 ? { kind: 'deferred' } : { kind: 'not_claimable' };
}

/**
 * Claims up to `limit` events straight from the table (the path without Redis): available
 * `pending` rows and `queued` ones (relayed into a Redis this process cannot reach), oldest
 * `available_at` first, skipping rows other consumers hold (`FOR UPDATE SKIP LOCKED`) and taking at
 * most one event per order, none of an order whose event is being run.
 *
 * @param token `locked_by` of these claims (unique per call)
 * @throws the PostgreSQL error when the database fails
 */
export async function claimBatch(pool: pg.Pool, limit: number, token: string): Promise<ClaimedEvent[]> {
  if (limit <= 0) return [];
  return inTransaction(pool, async (client) => {
    const candidates = await client.query<{ id: string; order_id: string | null }>(
      `select id, order_id from event_queue
        where (status = 'pending' and available_at <= now()) or status = 'queued'
        order by available_at, id
        limit $1
        for update skip locked`,
      [limit],
    );
    if (candidates.rows.length === 0) return [];
    const orders = [...new Set(candidates.rows.flatMap((row) => (row.order_id === null ? [] : [row.order_id])))];
    let lockedOrders = new Set<string>();
    if (orders.length > 0) {
      const locked = await client.query<{ order_id: string }>(
        `select o::text as order_id from unnest($1::uuid[]) as o where pg_try_advisory_xact_lock($2, hashtext(o::text))`,
        [orders, ORDER_LOCK_CLASS],
      );
      lockedOrders = new Set(locked.rows.map((row) => row.order_id));
    }
    const ids: string[] = [];
    const taken = new Set<string>();
    for (const row of candidates.rows) {
      if (row.order_id === null) ids.push(row.id);
      else if (lockedOrders.has(row.order_id) && !taken.has(row.order_id)) {
        taken.add(row.order_id);
        ids.push(row.id);
      }
    }
    if (ids.length === 0) return [];
    const claimed = await client.query<EventRow>(CLAIM_SQL, [ids, token]);
    return claimed.rows.map((row) => toClaimed(row, token));
  });
}

/** Marks a claimed event done. @returns false when the claim was lost (another process recovered the row). */
export async function finishDone(pool: pg.Pool, claimed: ClaimedEvent, note: string | null = null): Promise<boolean> {
  const result = await pool.query(
    `update event_queue set status = 'done', processed_at = now(), locked_by = null, last_error = coalesce($3, last_error)
      where id = $1 and locked_by = $2 and status = 'processing'`,
    [claimed.event.id, claimed.token, note],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * Records a failed run of a claimed event: `failed` (processed_at set) when it has run
 * `maxAttempts` times, else `pending` again, available after `retryInMs` milliseconds.
 *
 * @returns the new status, or null when the claim was lost
 */
export async function finishFailed(pool: pg.Pool, claimed: ClaimedEvent, error: string, maxAttempts: number, retryInMs: number): Promise<'pending' | 'failed' | null> {
  const result = await pool.query<{ status: 'pending' | 'failed' }>(
    `update event_queue
        set status = case when attempts >= $3 then 'failed' else 'pending' end,
            processed_at = case when attempts >= $3 then now() end,
            available_at = now() + $5 * interval '1 millisecond',
            last_error = $4, locked_by = null
      where id = $1 and locked_by = $2 and status = 'processing'
      returning status`,
    [claimed.event.id, claimed.token, maxAttempts, error, retryInMs],
  );
  return result.rows[0]?.status ?? null;
}

/** Renews a claim while its handler runs (`locked_at = now()`). @returns false when it was lost. */
export async function renewClaim(pool: pg.Pool, claimed: ClaimedEvent): Promise<boolean> {
  const result = await pool.query(`update event_queue set locked_at = now() where id = $1 and locked_by = $2 and status = 'processing'`, [
    claimed.event.id,
    claimed.token,
  ]);
  return (result.rowCount ?? 0) > 0;
}

/**
 * Recovers claims whose process stopped renewing them for `timeoutSecs` (crashed or cut off): back
 * to `pending` (the run counts as an attempt), or `failed` when it was the last one.
 *
 * @returns the recovered rows
 */
export async function recoverLostClaims(pool: pg.Pool, timeoutSecs: number, maxAttempts: number): Promise<Array<{ id: string; event_type: string; status: string }>> {
  const result = await pool.query<{ id: string; event_type: string; status: string }>(
    `update event_queue
        set status = case when attempts >= $2 then 'failed' else 'pending' end,
            processed_at = case when attempts >= $2 then now() end,
            available_at = now(), locked_by = null,
            last_error = 'its handler stopped without finishing (no sign of life from ' || coalesce(locked_by, 'its worker') || ' for ' || $1 || ' s)'
      where status = 'processing' and locked_at < now() - make_interval(secs => $1)
      returning id, event_type, status`,
    [timeoutSecs, maxAttempts],
  );
  return result.rows;
}

/** An event chosen for relaying. */
export interface RelayRow {
  id: string;
  eventType: string;
  /** `traceparent` of the span that wrote it (null when tracing was off). */
  traceParent?: string | null;
}

/**
 * Relays up to `limit` events in one transaction: takes available `pending` rows and `queued` rows
 * relayed more than `queuedTimeoutSecs` ago (their job may have vanished with a restarted Redis),
 * locking them (`FOR UPDATE SKIP LOCKED`, so concurrent relays share the work), calls `deliver`
 * (which adds the BullMQ jobs), then marks them `queued`. When `deliver` throws, nothing changes.
 *
 * @returns the rows relayed
 * @throws what `deliver` or PostgreSQL throws
 */
export async function relayBatch(pool: pg.Pool, limit: number, queuedTimeoutSecs: number, deliver: (rows: RelayRow[]) => Promise<void>): Promise<RelayRow[]> {
  return inTransaction(pool, async (client) => {
    const selected = await client.query<{ id: string; event_type: string; trace_parent: string | null }>(
      `select id, event_type, trace_parent from event_queue
        where (status = 'pending' and available_at <= now())
           or (status = 'queued' and locked_at < now() - make_interval(secs => $2))
        order by available_at, id
        limit $1
        for update skip locked`,
      [limit, queuedTimeoutSecs],
    );
    const rows = selected.rows.map((row) => ({ id: row.id, eventType: row.event_type, traceParent: row.trace_parent }));
    if (rows.length === 0) return rows;
    await deliver(rows);
    await client.query(`update event_queue set status = 'queued', locked_at = now(), locked_by = null where id = any($1::uuid[])`, [rows.map((row) => row.id)]);
    return rows;
  });
}

/** Events by unfinished status (pending, queued, processing) and failed; statuses without rows are 0. */
export async function countBacklog(pool: pg.Pool): Promise<Record<'pending' | 'queued' | 'processing' | 'failed', number>> {
  const result = await pool.query<{ status: string; count: number }>(
    `select status, count(*)::int as count from event_queue where status in ('pending', 'queued', 'processing', 'failed') group by status`,
  );
  const counts = { pending: 0, queued: 0, processing: 0, failed: 0 };
  for (const row of result.rows) {
    if (row.status === 'pending' || row.status === 'queued' || row.status === 'processing' || row.status === 'failed') counts[row.status] = row.count;
  }
  return counts;
}
