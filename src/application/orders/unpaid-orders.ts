/**
 * The unpaid-order timeout (HA guide §4.4; issue 8): orders still `pending` after
 * `[orders] unpaid_timeout_secs` (24 h by default) are cancelled, each by a command to its
 * customer's actor keyed by the order (a second run, or a run on another worker, acts once), which
 * writes `order_cancelled`. A payment that arrives afterwards is credited to the balance.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { DomainError } from '../../domain/errors.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';

/** Orders looked at per run. */
const BATCH = 500;

/**
 * Cancels the pending orders older than `timeoutSecs` (s).
 * @returns how many were cancelled
 */
export async function cancelUnpaidOrders(deps: { pool: pg.Pool; accounts: AccountCommands; log: Pick<Logger, 'info' | 'warn'> }, timeoutSecs: number): Promise<number> {
  const cutoff = rfc3339(new Date(Date.now() - timeoutSecs * 1000));
  const { rows } = await deps.pool.query<{ id: string; customer_id: string }>(
    `select id, customer_id from orders where status = 'pending' and created_at < $1 order by created_at limit ${BATCH}`,
    [cutoff],
  );
  let cancelled = 0;
  for (const row of rows) {
    try {
      const outcome = await deps.accounts.run(row.customer_id, { type: 'cancel_unpaid_order', orderId: row.id, createdBefore: cutoff }, { origin: null, key: `unpaid-timeout:${row.id}` });
      if (!outcome.replayed && !outcome.result.alreadyDone) cancelled += 1;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      deps.log.warn({ orderId: row.id, reason: error.message }, 'unpaid order could not be cancelled');
    }
  }
  if (cancelled > 0) deps.log.info({ cancelled, timeoutSecs }, 'unpaid orders cancelled');
  return cancelled;
}
