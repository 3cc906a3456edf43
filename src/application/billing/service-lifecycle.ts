/**
 * The service lifecycle (issue 11, README "Recurring billing"): what the `billing.lifecycle` job
 * (and RunBillingLifecycle) does each time it runs, at the business clock's time (src/lib/clock.ts):
 *
 * 1. **Periods**: an active order without a billing period gets the one that starts now.
 * 2. **Renewals**: an active service whose period ends within `renewal_invoice_days_before` days,
 *    not cancelled at its period end, gets its renewal invoice (src/application/billing/renewals.ts;
 *    one per order and period).
 * 3. **Automatic payment**: every unpaid renewal invoice of a live service is paid from the
 *    customer's balance + credit limit when that suffices — the money path's `pay_invoice`, keyed
 *    by the invoice, so it is paid once however often this runs; a paid renewal of a suspended
 *    service restores it in the same commit.
 * 4. **Roll-over**: a service whose period has ended moves into the renewed period (its renewal
 *    invoice exists and is not cancelled, paid or not — dunning handles the unpaid); one cancelled
 *    at its period end ends (order completed, instance terminated; a renewal paid before the
 *    cancellation is credited back).
 * 5. **Reminders**: an unpaid renewal invoice is reminded of on the configured days before and after
 *    its due date: one `invoice_reminder` event per day offset, recorded in the renewal row by a
 *    guarded update in the same transaction (a run that came late sends only the latest reminder
 *    due and records the earlier ones as passed).
 * 6. **Suspension** `suspend_after_days` past due, and **termination** `terminate_after_days` past
 *    due: actor commands that re-check the invoice is still unpaid in the customer's actor, where
 *    payments are serialized — so a paid service is never suspended or terminated, whatever order
 *    the steps and payments run in. Their events drive the provider (service-instances.ts).
 *
 * Every step is idempotent: running the whole thing twice, or on two workers at once, acts once.
 * A failure of one service is logged and does not stop the others.
 */
import { Decimal } from 'decimal.js';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { Logger } from 'pino';
import { dunningState, latestReminder, type LifecycleSettings } from '../../domain/billing/dunning.ts';
import { addDays, utcDate } from '../../domain/billing/invoice.ts';
import type { BillingCycle } from '../../domain/catalog/prices.ts';
import { DomainError } from '../../domain/errors.ts';
import { moneyOf } from '../../domain/money.ts';
import { businessClock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { Origin } from '../../domain/origin.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import { recordAudit } from '../audit.ts';
import { RenewalInvoices, type TaxQuotes } from './renewals.ts';

/** What one run did (RunBillingLifecycle's answer). */
export interface LifecycleReport {
  periodsStarted: number;
  renewalsIssued: number;
  renewalsAutoPaid: number;
  periodsRolled: number;
  remindersSent: number;
  servicesSuspended: number;
  servicesEnded: number;
  /** The business time the run was decided at (RFC3339). */
  runAt: string;
}

/** Most services one step handles per run (the next run takes the rest). */
const BATCH = 500;

/** The event of a payment reminder. */
export const REMINDER_EVENT = 'invoice_reminder';

/** See the file comment. */
export class ServiceLifecycle {
  private readonly deps: {
    orm: MikroORM;
    pool: pg.Pool;
    accounts: AccountCommands;
    renewals: RenewalInvoices;
    settings: LifecycleSettings;
    now: () => Date;
    nudge: () => void;
    invoicesChanged: (customerId: string) => Promise<void>;
    log: Pick<Logger, 'info' | 'warn'>;
  };

  /**
   * @param deps.pool the money path's pool (reads and the reminder writes)
   * @param deps.now the business clock (default src/lib/clock.ts)
   * @param deps.nudge wakes the event processing after events were written
   * @param deps.invoicesChanged tells the customer's actor a new unpaid invoice exists (its overdue standing)
   */
  constructor(deps: {
    orm: MikroORM; pool: pg.Pool; accounts: AccountCommands; taxes: TaxQuotes; settings: LifecycleSettings; pricesIncludeTax: boolean;
    now?: () => Date; nudge?: () => void; invoicesChanged?: (customerId: string) => Promise<void>; log: Pick<Logger, 'info' | 'warn'>;
  }) {
    this.deps = {
      orm: deps.orm, pool: deps.pool, accounts: deps.accounts, settings: deps.settings, log: deps.log, invoicesChanged: deps.invoicesChanged ?? (async () => undefined),
      renewals: new RenewalInvoices({ orm: deps.orm, taxes: deps.taxes, pricesIncludeTax: deps.pricesIncludeTax }),
      now: deps.now ?? (() => businessClock.now()), nudge: deps.nudge ?? (() => undefined),
    };
  }

  /**
   * Runs every step once at the clock's time (see the file comment). Never throws for one
   * service's failure. A run an administrator asked for (RunBillingLifecycle) is audited with
   * what it did.
   */
  async run(origin?: Origin): Promise<LifecycleReport> {
    const report = await this.runSteps();
    if (origin?.caller.kind === 'admin') {
      await this.deps.orm.em.fork().transactional(async (tx) => {
        recordAudit(tx, origin, { action: 'billing.lifecycle_run', targetType: 'billing', targetId: 'lifecycle', details: { ...report } });
      });
    }
    return report;
  }

  private async runSteps(): Promise<LifecycleReport> {
    const now = this.deps.now();
    const report: LifecycleReport = {
      periodsStarted: 0, renewalsIssued: 0, renewalsAutoPaid: 0, periodsRolled: 0, remindersSent: 0, servicesSuspended: 0, servicesEnded: 0, runAt: rfc3339(now),
    };
    report.periodsStarted = await this.startPeriods();
    report.renewalsIssued = await this.issueRenewals(now);
    report.renewalsAutoPaid = await this.autoPay();
    const rolled = await this.rollPeriods(now);
    report.periodsRolled = rolled.rolled;
    const dunning = await this.dun(utcDate(now));
    report.remindersSent = dunning.reminders;
    report.servicesSuspended = dunning.suspended;
    report.servicesEnded = rolled.ended + dunning.terminated;
    if (report.remindersSent > 0) this.deps.nudge();
    return report;
  }

  /** Applies one actor command for a service, logging (not throwing) a refusal or failure. @returns whether it changed something */
  private async command(customerId: string, key: string, command: Parameters<AccountCommands['run']>[1], what: string): Promise<boolean> {
    try {
      const outcome = await this.deps.accounts.run(customerId, command, { origin: null, key });
      return !outcome.replayed && outcome.result.alreadyDone !== true;
    } catch (error) {
      this.deps.log.warn({ err: error, customerId, key }, `${what} failed; the next run retries`);
      return false;
    }
  }

  private async startPeriods(): Promise<number> {
    const { rows } = await this.deps.pool.query<{ id: string; customer_id: string }>(
      `select id, customer_id from orders where status = 'active' and period_start is null order by created_at limit ${BATCH}`,
    );
    let started = 0;
    for (const row of rows) {
      if (await this.command(row.customer_id, `service-period-start:${row.id}`, { type: 'start_service_period', orderId: row.id }, 'starting a service period')) started += 1;
    }
    return started;
  }

  private async issueRenewals(now: Date): Promise<number> {
    // Due when the day of issue (period end − days before) has come: period_end < today + days before + 1.
    const horizon = addDays(utcDate(now), this.deps.settings.renewalInvoiceDaysBefore + 1);
    const { rows } = await this.deps.pool.query<{
      id: string; customer_id: string; product_name: string; billing_cycle: BillingCycle; period_start: Date; period_end: Date; anchor_day: number | null;
      price: string; promotion_code: string | null; discount_amount: string; recurrence: string | null; email: string;
    }>(
      `select o.id, o.customer_id, o.product_name, o.billing_cycle, o.period_start, o.period_end, o.anchor_day,
              coalesce(o.renewal_amount, o.amount)::text as price, o.promotion_code, o.discount_amount::text as discount_amount,
              p.recurrence, c.email
         from orders o join customers c on c.id = o.customer_id
         left join promotion_codes p on p.code = o.promotion_code
        where o.status = 'active' and not o.cancel_at_period_end and o.period_end is not null
          and o.period_end < ($1::date)::timestamp at time zone 'UTC'
          and not exists (select 1 from service_renewals r where r.order_id = o.id and r.period_start = o.period_end)
        order by o.period_end, o.id limit ${BATCH}`,
      [horizon],
    );
    let issued = 0;
    for (const row of rows) {
      try {
        const renewal = await this.deps.renewals.issue({
          orderId: row.id, customerId: row.customer_id, productName: row.product_name, billingCycle: row.billing_cycle,
          period: { start: rfc3339(row.period_start), end: rfc3339(row.period_end) }, anchorDay: row.anchor_day ?? row.period_start.getUTCDate(),
          price: moneyOf(row.price), email: row.email,
          promotion: row.promotion_code && row.recurrence === 'every_period' && new Decimal(row.discount_amount).greaterThan(0)
            ? { code: row.promotion_code, discount: moneyOf(row.discount_amount) } : null,
        }, now);
        if (renewal) {
          issued += 1;
          // A new unpaid invoice changes the customer's standing.
          await this.deps.invoicesChanged(row.customer_id).catch(() => undefined);
          this.deps.log.info({ orderId: row.id, invoice: renewal.invoiceNumber, total: renewal.total }, 'renewal invoice issued');
        }
      } catch (error) {
        this.deps.log.warn({ err: error, orderId: row.id }, 'renewal invoice could not be issued; the next run retries');
      }
    }
    return issued;
  }

  private async autoPay(): Promise<number> {
    const { rows } = await this.deps.pool.query<{ invoice_id: string; customer_id: string; due: string; balance: string; credit_limit: string }>(
      `select r.invoice_id, r.customer_id, (i.total_amount - i.paid_amount)::text as due, c.balance::text as balance, c.credit_limit::text as credit_limit
         from service_renewals r join invoices i on i.id = r.invoice_id join orders o on o.id = r.order_id join customers c on c.id = r.customer_id
        where i.status in ('issued', 'overdue') and o.status in ('active', 'suspended')
        order by i.due_date, r.invoice_id limit ${BATCH}`,
    );
    let paid = 0;
    for (const row of rows) {
      // The actor decides on the live balance; this only skips customers who clearly cannot pay.
      if (new Decimal(row.balance).plus(row.credit_limit).lessThan(row.due)) continue;
      try {
        const outcome = await this.deps.accounts.run(row.customer_id, { type: 'pay_invoice', invoiceId: row.invoice_id }, { origin: null, key: `renewal-pay:${row.invoice_id}` });
        if (!outcome.replayed) paid += 1;
      } catch (error) {
        if (!(error instanceof DomainError)) this.deps.log.warn({ err: error, invoiceId: row.invoice_id }, 'automatic payment failed; the next run retries');
      }
    }
    return paid;
  }

  private async rollPeriods(now: Date): Promise<{ rolled: number; ended: number }> {
    const { rows } = await this.deps.pool.query<{
      id: string; customer_id: string; period_end: Date; cancel_at_period_end: boolean; next_end: Date | null; next_price: string | null; invoice_status: string | null;
      invoice_id: string | null;
    }>(
      `select o.id, o.customer_id, o.period_end, o.cancel_at_period_end, r.period_end as next_end, r.amount::text as next_price, i.status as invoice_status, i.id as invoice_id
         from orders o
         left join service_renewals r on r.order_id = o.id and r.period_start = o.period_end
         left join invoices i on i.id = r.invoice_id
        where o.status in ('active', 'suspended') and o.period_end <= $1
        order by o.period_end, o.id limit ${BATCH}`,
      [now],
    );
    let rolled = 0;
    let ended = 0;
    for (const row of rows) {
      const periodStart = rfc3339(row.period_end);
      if (row.cancel_at_period_end) {
        // A renewal paid before the cancellation is credited back by the command.
        const command = { type: 'end_service' as const, orderId: row.id, reason: 'period_end' as const, invoiceId: row.invoice_id, refund: false };
        if (await this.command(row.customer_id, `service-end:${row.id}`, command, 'ending a cancelled service')) ended += 1;
      } else if (row.next_end !== null && row.next_price !== null && row.invoice_status !== 'cancelled') {
        const command = { type: 'roll_service_period' as const, orderId: row.id, periodStart, periodEnd: rfc3339(row.next_end), periodPrice: moneyOf(row.next_price) };
        if (await this.command(row.customer_id, `service-roll:${row.id}:${periodStart}`, command, 'rolling a service period')) rolled += 1;
      }
    }
    return { rolled, ended };
  }

  private async dun(today: string): Promise<{ reminders: number; suspended: number; terminated: number }> {
    const { settings, pool } = this.deps;
    const { rows } = await pool.query<{
      id: string; invoice_id: string; order_id: string; customer_id: string; reminders_sent: number[]; due_date: string; invoice_number: string;
      due: string; order_status: string; product_name: string;
    }>(
      `select r.id, r.invoice_id, r.order_id, r.customer_id, r.reminders_sent, i.due_date::text as due_date, i.invoice_number,
              (i.total_amount - i.paid_amount)::text as due, o.status as order_status, o.product_name
         from service_renewals r join invoices i on i.id = r.invoice_id join orders o on o.id = r.order_id
        where i.status in ('issued', 'overdue') and o.status in ('active', 'suspended') and i.due_date is not null
        order by i.due_date, r.id limit ${BATCH}`,
    );
    let reminders = 0;
    let suspended = 0;
    let terminated = 0;
    for (const row of rows) {
      const state = dunningState(row.due_date, today, settings);
      if (state.terminate) {
        const command = { type: 'end_service' as const, orderId: row.order_id, reason: 'unpaid' as const, invoiceId: row.invoice_id, refund: false };
        if (await this.command(row.customer_id, `service-terminate:${row.invoice_id}`, command, 'terminating an unpaid service')) terminated += 1;
        continue;
      }
      if (state.suspend && row.order_status === 'active') {
        const command = { type: 'suspend_service' as const, orderId: row.order_id, invoiceId: row.invoice_id };
        if (await this.command(row.customer_id, `service-suspend:${row.invoice_id}`, command, 'suspending an unpaid service')) suspended += 1;
      }
      const latest = latestReminder(state);
      if (latest === null || row.reminders_sent.includes(latest)) continue;
      if (await this.remind(row, state.remindersDue, latest)) reminders += 1;
    }
    return { reminders, suspended, terminated };
  }

  /**
   * Records the reminders due on the renewal row and writes the `invoice_reminder` event of the
   * latest, in one transaction; the guarded update makes a concurrent run send it once.
   */
  private async remind(row: { id: string; invoice_id: string; order_id: string; customer_id: string; invoice_number: string; due_date: string; due: string; product_name: string }, due: number[], latest: number): Promise<boolean> {
    const client = await this.deps.pool.connect();
    try {
      await client.query('begin');
      const updated = await client.query(
        `update service_renewals set reminders_sent = array(select distinct unnest(reminders_sent || $2::int[]) order by 1)
          where id = $1 and not ($3 = any(reminders_sent)) returning id`,
        [row.id, due, latest],
      );
      if (updated.rowCount === 1) {
        await client.query(
          'insert into event_queue (id, event_type, payload, customer_id, order_id) values ($1, $2, $3, $4, $5)',
          [newId(), REMINDER_EVENT, {
            invoice_id: row.invoice_id, invoice_number: row.invoice_number, due_date: row.due_date, total: moneyOf(row.due), days: latest,
            order_id: row.order_id, product_name: row.product_name,
          }, row.customer_id, row.order_id],
        );
      }
      await client.query('commit');
      return updated.rowCount === 1;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      this.deps.log.warn({ err: error, renewalId: row.id }, 'reminder could not be recorded; the next run retries');
      return false;
    } finally {
      client.release();
    }
  }
}
