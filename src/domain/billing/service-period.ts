/**
 * A service's billing periods, billed in advance (Kill Bill style): each period runs from one
 * instant to the same UTC time of day one billing cycle later, on the service's anchor day — the
 * UTC day of the month the service started on. A month without that day ends the period on its last
 * day, and the anchor comes back in the next month that has it (31 Jan → 28 Feb → 31 Mar). Pure:
 * every instant is passed in.
 *
 * Instants are RFC3339 strings (`2026-01-31T10:00:00Z`; any offset is read, UTC is written, with
 * second precision as src/lib/time.ts writes them); periods are half-open, the end excluded.
 */
import { CYCLE_MONTHS, type BillingCycle } from '../catalog/prices.ts';
import { rfc3339 } from '../../lib/time.ts';

/** One billing period of a service: RFC3339 UTC instants, `start` included, `end` excluded. */
export interface ServicePeriod {
  start: string;
  end: string;
}

const DAY_MS = 86_400_000;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an RFC3339 timestamp names (`2026-01-31T10:00:00Z`, `2026-01-31T10:00:00.250Z`,
 * `2026-01-31T12:00:00+02:00`), or null when `text` is not one: the date must exist (no 30 February),
 * hours 00–23, minutes and seconds 00–59, an offset of at most 23:59. Fractions beyond milliseconds
 * are cut off.
 */
export function parseInstant(text: string): Date | null {
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month - 1)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (match[8] === undefined) {
    const [offsetHours, offsetMins] = [Number(match[10]), Number(match[11])];
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, millis);
  return date;
}

/** {@link parseInstant}, for instants the caller vouches for. @throws Error when `text` is not RFC3339 */
function instant(text: string): Date {
  const date = parseInstant(text);
  if (date === null) throw new Error(`not an RFC3339 timestamp: "${text.slice(0, 40)}"`);
  return date;
}

/** The days of month `month` (0 = January) of `year`: 28–31. */
function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month + 1, 0);
  return date.getUTCDate();
}

/** The number of the UTC calendar day `date` falls on (days since 1970-01-01). */
function dayNumber(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS);
}

/**
 * `at` moved by `months` calendar months (may be 0 or negative), at the same UTC time of day, on day
 * `min(anchorDay, days of that month)`. The day of `at` itself is not used: the anchor decides.
 * E.g. anchor 31: `2026-01-31T10:00:00Z` +1 → `2026-02-28T10:00:00Z`, +1 from there → `2026-03-31T10:00:00Z`.
 * @param at an RFC3339 instant
 * @param months whole months
 * @param anchorDay the day of the month the service started on, 1–31
 * @returns an RFC3339 UTC instant, second precision
 * @throws Error when `at` is not RFC3339, `months` is not a whole number or `anchorDay` is outside 1–31
 */
export function addMonthsClamped(at: string, months: number, anchorDay: number): string {
  if (!Number.isInteger(months)) throw new Error(`months must be a whole number (got ${months})`);
  if (!Number.isInteger(anchorDay) || anchorDay < 1 || anchorDay > 31) throw new Error(`anchorDay must be a whole number from 1 to 31 (got ${anchorDay})`);
  const from = instant(at);
  const monthIndex = from.getUTCFullYear() * 12 + from.getUTCMonth() + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const result = new Date(0);
  result.setUTCFullYear(year, month, Math.min(anchorDay, daysInMonth(year, month)));
  result.setUTCHours(from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds());
  return rfc3339(result);
}

/**
 * The first period of a service started at `start`: from `start` one cycle on (1, 3 or 12 months),
 * anchored on `start`'s UTC day of the month.
 * @param start an RFC3339 instant; returned as RFC3339 UTC
 * @throws Error when `start` is not RFC3339
 */
export function firstPeriod(start: string, cycle: BillingCycle): ServicePeriod {
  const from = instant(start);
  return { start: rfc3339(from), end: addMonthsClamped(start, CYCLE_MONTHS[cycle], from.getUTCDate()) };
}

/**
 * The period after `current`: from `current.end` one cycle on, on `anchorDay` (the UTC day of the
 * month of the service's first start, so a period cut short by February is followed by a full one).
 * @param anchorDay 1–31
 * @throws Error when `current.end` is not RFC3339 or `anchorDay` is outside 1–31
 */
export function nextPeriod(current: ServicePeriod, cycle: BillingCycle, anchorDay: number): ServicePeriod {
  return { start: rfc3339(instant(current.end)), end: addMonthsClamped(current.end, CYCLE_MONTHS[cycle], anchorDay) };
}

/**
 * The whole UTC calendar days from the UTC date of `period.start` to that of `period.end`
 * (`2026-04-01T10:00:00Z`–`2026-05-01T10:00:00Z` → 30); 0 when both fall on one day.
 * @throws Error when an instant is not RFC3339 or the period ends before it starts
 */
export function periodDays(period: ServicePeriod): number {
  const start = instant(period.start);
  const end = instant(period.end);
  if (end.getTime() < start.getTime()) throw new Error(`the period ends (${period.end}) before it starts (${period.start})`);
  return dayNumber(end) - dayNumber(start);
}

/**
 * The UTC calendar days of `period` left at `at`: from the UTC date of `at` (that day counts as
 * remaining) to the UTC date of `period.end`, within 0–{@link periodDays}. Before the period starts
 * the whole period remains; on or after the end date nothing does.
 * @param at an RFC3339 instant
 * @throws Error when an instant is not RFC3339 or the period ends before it starts
 */
export function remainingDays(period: ServicePeriod, at: string): number {
  const total = periodDays(period);
  const when = instant(at);
  if (when.getTime() < instant(period.start).getTime()) return total;
  const left = dayNumber(instant(period.end)) - dayNumber(when);
  return Math.min(total, Math.max(0, left));
}
