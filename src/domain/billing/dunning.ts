/**
 * The lifecycle schedule of a service billed in advance: when the renewal invoice is issued and due,
 * which payment reminders have come due, and when an unpaid service is suspended and then
 * terminated. All in whole UTC calendar days (`YYYY-MM-DD`) counted from the due date. Pure: the
 * current day is passed in.
 */
import { addDays } from './invoice.ts';
import { parseInstant } from './service-period.ts';

/** The lifecycle settings; every value a whole number of days ≥ 0. */
export interface LifecycleSettings {
  /** Days before the paid period ends that the renewal invoice is issued. */
  renewalInvoiceDaysBefore: number;
  /** Reminders sent this many days before the due date (0 = on the due date). */
  reminderDaysBefore: number[];
  /** Reminders sent this many days after the due date (0 = on the due date). */
  reminderDaysAfter: number[];
  /** Days after the due date that an unpaid service is suspended. */
  suspendAfterDays: number;
  /** Days after the due date that an unpaid service is terminated; more than `suspendAfterDays`. */
  terminateAfterDays: number;
}

function isDayCount(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}

/**
 * Why `settings` make no sense, or null when they do: a value that is not a whole number ≥ 0;
 * `terminate_after_days` not after `suspend_after_days`; a reminder after the due date on or after
 * the termination day; a reminder before the due date earlier than the renewal invoice is issued.
 * @returns a message naming the setting (snake_case) and the values, or null
 */
export function lifecycleSettingsRefusal(settings: LifecycleSettings): string | null {
  const single: Array<[string, number]> = [
    ['renewal_invoice_days_before', settings.renewalInvoiceDaysBefore],
    ['suspend_after_days', settings.suspendAfterDays],
    ['terminate_after_days', settings.terminateAfterDays],
  ];
  for (const [name, value] of single) {
    if (!isDayCount(value)) return `${name} must be a whole number of days ≥ 0 (got ${value})`;
  }
  const lists: Array<[string, number[]]> = [['reminder_days_before', settings.reminderDaysBefore], ['reminder_days_after', settings.reminderDaysAfter]];
  for (const [name, days] of lists) {
    const index = days.findIndex((day) => !isDayCount(day));
    if (index >= 0) return `${name}[${index}] must be a whole number of days ≥ 0 (got ${days[index]})`;
  }
  if (settings.terminateAfterDays <= settings.suspendAfterDays) {
    return `terminate_after_days (${settings.terminateAfterDays}) must be greater than suspend_after_days (${settings.suspendAfterDays}): a service is suspended before it is terminated`;
  }
  const late = settings.reminderDaysAfter.find((day) => day >= settings.terminateAfterDays);
  if (late !== undefined) {
    return `reminder_days_after has day ${late}, but the service is terminated on day ${settings.terminateAfterDays} (terminate_after_days): every reminder must come before that`;
  }
  const early = settings.reminderDaysBefore.find((day) => day > settings.renewalInvoiceDaysBefore);
  if (early !== undefined) {
    return `reminder_days_before has day ${early}, but the renewal invoice is issued only ${settings.renewalInvoiceDaysBefore} days before (renewal_invoice_days_before): a reminder cannot come before the invoice exists`;
  }
  return null;
}

/** The UTC date `YYYY-MM-DD` of an RFC3339 instant. @throws Error when `at` is not RFC3339 */
function dateOf(at: string): string {
  const date = parseInstant(at);
  if (date === null) throw new Error(`not an RFC3339 timestamp: "${at.slice(0, 40)}"`);
  return date.toISOString().slice(0, 10);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `text` when it is a `YYYY-MM-DD` date. @throws Error otherwise */
function day(text: string): string {
  if (!DATE.test(text) || addDays(text, 0) !== text) throw new Error(`not a date YYYY-MM-DD: "${text.slice(0, 40)}"`);
  return text;
}

/**
 * The day the renewal invoice of a period ending at `periodEnd` is issued: `renewalInvoiceDaysBefore`
 * days before the UTC date of `periodEnd`.
 * @param periodEnd an RFC3339 instant (the paid period's end)
 * @returns `YYYY-MM-DD`
 * @throws Error when `periodEnd` is not RFC3339
 */
export function renewalIssueDate(periodEnd: string, settings: LifecycleSettings): string {
  return addDays(dateOf(periodEnd), -settings.renewalInvoiceDaysBefore);
}

/**
 * The due date of the renewal invoice of a period ending at `periodEnd`: the UTC date of
 * `periodEnd` (the renewal is due when the paid period ends).
 * @returns `YYYY-MM-DD`
 * @throws Error when `periodEnd` is not RFC3339
 */
export function renewalDueDate(periodEnd: string): string {
  return dateOf(periodEnd);
}

/** Where an unpaid invoice stands on a given day. */
export interface DunningState {
  /**
   * The reminder offsets in days from the due date whose day has come (−3 = three days before,
   * 0 = on the due date, 5 = five days after), ascending, without duplicates.
   */
  remindersDue: number[];
  /** True from `suspendAfterDays` after the due date on. */
  suspend: boolean;
  /** True from `terminateAfterDays` after the due date on. */
  terminate: boolean;
}

/**
 * Where an invoice due on `dueDate` and still unpaid stands on `today`: every reminder offset
 * (`−d` for each `reminderDaysBefore` d, `+d` for each `reminderDaysAfter` d) whose day
 * `dueDate + offset` is on or before `today`; suspended from `dueDate + suspendAfterDays`,
 * terminated from `dueDate + terminateAfterDays`.
 * @param dueDate `YYYY-MM-DD`
 * @param today `YYYY-MM-DD` (UTC)
 * @throws Error when a date is not `YYYY-MM-DD`
 */
export function dunningState(dueDate: string, today: string, settings: LifecycleSettings): DunningState {
  const due = day(dueDate);
  const now = day(today);
  const offsets = [...settings.reminderDaysBefore.map((days) => 0 - days), ...settings.reminderDaysAfter];
  const remindersDue = [...new Set(offsets.filter((offset) => addDays(due, offset) <= now))].sort((a, b) => a - b);
  return {
    remindersDue,
    suspend: now >= addDays(due, settings.suspendAfterDays),
    terminate: now >= addDays(due, settings.terminateAfterDays),
  };
}

/** The reminder worth sending when several came due at once: the largest offset in `state.remindersDue`, or null when none. */
export function latestReminder(state: DunningState): number | null {
  return state.remindersDue.length === 0 ? null : Math.max(...state.remindersDue);
}
