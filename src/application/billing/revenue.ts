/**
 * Revenue for the admin console's dashboard (issue 12): what customers paid for orders and invoices
 * — successful payments of any method, net of what was refunded, the CRM's definition of revenue
 * (revenuePaymentSql in src/persistence/account-rows.ts) — today, this month, and per day, in the admin's time
 * zone. Recharges are not revenue (the money is spent later through balance payments, which are).
 * Money as decimal strings.
 */
import type pg from 'pg';
import { invalid } from '../../domain/errors.ts';
import { moneyOf } from '../../domain/money.ts';
import { businessClock } from '../../lib/clock.ts';
import { revenuePaymentSql } from '../../persistence/account-rows.ts';

/** Most days one summary covers. */
export const MAX_REVENUE_DAYS = 366;

/** The revenue summary (GetRevenueSummary). */
export interface RevenueSummary {
  /** Today (in `timeZone`), decimal string. */
  today: string;
  /** The calendar month of today, decimal string. */
  thisMonth: string;
  /** The last `days` days, oldest first, every day present (0.00 without payments). */
  days: Array<{ date: string; amount: string }>;
  timeZone: string;
}

/**
 * The IANA time zone named by `text` ('' = UTC).
 * @throws DomainError invalid_argument naming `time_zone`
 */
export function parseTimeZone(text: string): string {
  if (text === '') return 'UTC';
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    throw invalid(`time_zone "${text.slice(0, 60)}" is not an IANA time zone such as "Asia/Shanghai" or "UTC"`);
  }
}

/** See the file comment. */
export class RevenueReports {
  private readonly pool: pg.Pool;
  private readonly now: () => Date;

  constructor(deps: { pool: pg.Pool; now?: () => Date }) {
    this.pool = deps.pool;
    this.now = deps.now ?? (() => businessClock.now());
  }

  /**
   * Revenue today, this month and for each of the last `days` days (1..{@link MAX_REVENUE_DAYS}), in `timeZone`.
   * @throws DomainError invalid_argument naming `days` or `time_zone`
   */
  async summary(options: { days: number; timeZone: string }): Promise<RevenueSummary> {
    if (!Number.isInteger(options.days) || options.days < 1 || options.days > MAX_REVENUE_DAYS) {
      throw invalid(`days must be a whole number from 1 to ${MAX_REVENUE_DAYS}, got ${options.days}`);
    }
    const timeZone = parseTimeZone(options.timeZone);
    const { rows } = await this.pool.query<{ day: string; amount: string; today: string; this_month: string }>(
      `with local as (select ($1::timestamptz at time zone $2)::date as today),
       days as (
         select generate_series((select today from local) - ($3::int - 1), (select today from local), interval '1 day')::date as day
       ),
       paid as (
         select (p.paid_at at time zone $2)::date as day, sum(p.amount - p.refunded_amount) as amount
           from payments p
          where ${revenuePaymentSql('p')} and p.paid_at is not null
            and p.paid_at >= (((select today from local) - greatest($3::int - 1, extract(day from (select today from local))::int - 1))::timestamp at time zone $2)
          group by 1
       )
       select d.day::text as day, coalesce(paid.amount, 0)::text as amount,
              coalesce((select amount from paid where paid.day = (select today from local)), 0)::text as today,
              coalesce((select sum(amount) from paid where date_trunc('month', paid.day) = date_trunc('month', (select today from local))), 0)::text as this_month
         from days d left join paid on paid.day = d.day
        order by d.day`,
      [this.now(), timeZone, options.days],
    );
    return {
      today: moneyOf(rows[0]?.today ?? '0'),
      thisMonth: moneyOf(rows[0]?.this_month ?? '0'),
      days: rows.map((row) => ({ date: row.day, amount: moneyOf(row.amount) })),
      timeZone,
    };
  }
}
