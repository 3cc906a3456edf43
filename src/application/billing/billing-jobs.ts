/**
 * The billing schedules, as {@link PeriodicJob}s for `createPeriodicJobs` (src/jobs/periodic-jobs.ts:
 * a lease per job in `leader_role`, so each period's run happens in one process of the cluster):
 *
 * - `billing.monthly-run` — the monthly billing run: GenerateInvoices for the previous calendar
 *   month (UTC). Months have no fixed length, so the job is attempted every
 *   `[billing] run_check_interval_secs` (1 h) and each attempt bills the previous month for the
 *   customers not billed for it yet: the first attempt of a month does the work, the later ones find
 *   nothing (the unique index on (customer, period) of generated invoices makes it once per customer
 *   and month even if two attempts overlapped, e.g. across nodes with skewed clocks). A customer
 *   whose order becomes active after the month's first attempt is billed by a later attempt of the
 *   same month, unless it already has that month's invoice.
 * - `billing.overdue` — every `[billing] overdue_check_interval_secs` (1 h): issued invoices whose
 *   due date has passed become `overdue`, each with one `invoice_overdue` event.
 *
 * The functions {@link runMonthlyBilling} and {@link markOverdueInvoices} are what the jobs run;
 * both are safe to run twice or concurrently.
 */
import type { Logger } from 'pino';
import { previousMonth, type BillingPeriod } from '../../domain/billing/invoice.ts';
import { SYSTEM_ORIGIN } from '../../domain/origin.ts';
import type { PeriodicJob } from '../../jobs/types.ts';
import type { InvoiceBilling } from './invoices.ts';

/** The `[billing]` settings the jobs use (src/config/schema.ts). */
export interface BillingJobsConfig {
  /** Days after issue a generated invoice is due. */
  due_days: number;
  /** Seconds between attempts of the monthly run. */
  run_check_interval_secs: number;
  /** Seconds between overdue sweeps. */
  overdue_check_interval_secs: number;
}

/** The job names (their leases are `leader_role` rows `jobs.<name>`). */
export const BILLING_JOB_NAMES = { monthlyRun: 'billing.monthly-run', overdue: 'billing.overdue' } as const;

/**
 * Bills the calendar month before `now` (UTC) — see the file comment.
 * @returns the period billed and how many invoices this call created (0 when already done)
 */
export async function runMonthlyBilling(billing: InvoiceBilling, options: { dueDays: number; now?: Date }): Promise<{ period: BillingPeriod; generatedCount: number }> {
  const period = previousMonth(options.now ?? new Date());
  const { generatedCount } = await billing.generate(SYSTEM_ORIGIN, period, { dueDays: options.dueDays });
  return { period, generatedCount };
}

/**
 * Marks the issued invoices due before `today` (`YYYY-MM-DD`, default today UTC) overdue, each with
 * one `invoice_overdue` event. @returns the ids marked by this call
 */
export function markOverdueInvoices(billing: InvoiceBilling, options: { today?: string } = {}): Promise<string[]> {
  return billing.markOverdue(options.today === undefined ? {} : { today: options.today });
}

/**
 * The two billing jobs for `createPeriodicJobs({ …, jobs: [...otherJobs, ...billingJobs(…)] })`.
 * Each logs what it did at info level when it did something.
 */
export function billingJobs(deps: { billing: InvoiceBilling; config: BillingJobsConfig; log: Logger }): PeriodicJob[] {
  const { billing, config, log } = deps;
  return [
    {
      name: BILLING_JOB_NAMES.monthlyRun,
      everyMs: config.run_check_interval_secs * 1000,
      run: async () => {
        const { period, generatedCount } = await runMonthlyBilling(billing, { dueDays: config.due_days });
        if (generatedCount > 0) log.info({ period, generatedCount }, 'monthly billing run issued invoices');
      },
    },
    {
      name: BILLING_JOB_NAMES.overdue,
      everyMs: config.overdue_check_interval_secs * 1000,
      run: async () => {
        const marked = await markOverdueInvoices(billing);
        if (marked.length > 0) log.info({ count: marked.length }, 'invoices past their due date marked overdue');
      },
    },
  ];
}
