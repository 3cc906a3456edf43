/**
 * Pieces "My services" shares between its list and a service's page: calendar dates of a billing
 * period, a plan's price per billing cycle (decimal strings, never floats), and whether a service
 * is cancelled at the end of its period (README "Recurring billing": OrderInfo fields 30–38).
 */
import { useTranslation } from 'react-i18next';
import type { OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import type { ProductInfo } from '../../../../../src/gen/rustbill/product_pb.ts';

const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A calendar day: `value` is an RFC3339 instant (a period's start or end) or a `YYYY-MM-DD` day
 * (`next_renewal_on`). Billing periods are UTC calendar days (README "Proration"), so the day is
 * the UTC one, written in the UI's language; the exact instant is in the title. '' shows a dash.
 */
export function Day({ value, testId }: { value: string; testId?: string }) {
  const { i18n } = useTranslation();
  if (value === '') return <span className="muted" data-testid={testId}>—</span>;
  const at = new Date(DAY_ONLY.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(at.getTime())) return <span data-testid={testId}>{value}</span>;
  return <time dateTime={value} title={value} data-testid={testId}>{dayText(at, i18n.language)}</time>;
}

/** `at`'s UTC calendar day in words of `language` ("Dec 6, 2026" / "2026年12月6日"). */
export function dayText(at: Date, language: string): string {
  return at.toLocaleDateString(language === 'zh' ? 'zh-CN' : 'en-US', { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
}

/** Same as {@link Day} as plain text (for sentences and dialogs); '' when there is no date. */
export function useDayText(): (value: string) => string {
  const { i18n } = useTranslation();
  return (value: string) => {
    if (value === '') return '';
    const at = new Date(DAY_ONLY.test(value) ? `${value}T00:00:00Z` : value);
    return Number.isNaN(at.getTime()) ? value : dayText(at, i18n.language);
  };
}

/** True when the service was cancelled at the end of its period (`cancel_at_period_end` is the string "true"). */
export function cancelsAtPeriodEnd(order: OrderInfo): boolean {
  return order.cancelAtPeriodEnd === 'true';
}

/** Months of a billing cycle, or null for a cycle this screen does not know. */
const CYCLE_MONTHS: Record<string, number> = {
  monthly: 1, quarterly: 3, semi_annually: 6, semiannually: 6, yearly: 12, annually: 12, biennially: 24, triennially: 36,
};

/** `price` (decimal string) × `times`, exact (cents as BigInt). */
function timesWhole(price: string, times: number): string {
  const negative = price.trim().startsWith('-');
  const [whole = '0', fraction = ''] = price.trim().replace('-', '').split('.');
  const cents = (BigInt(whole || '0') * 100n + BigInt((fraction + '00').slice(0, 2))) * BigInt(times);
  return `${negative && cents !== 0n ? '-' : ''}${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/**
 * A product's catalog price for one billing `cycle` (before tax): its `billing_cycles` entry, else
 * `price_per_month` × the cycle's months (as CreateOrder prices it, README "Orders"); null when
 * neither applies. The exact figure of a change, tax included, is the preview's.
 */
export function cyclePrice(product: ProductInfo, cycle: string): string | null {
  const listed = product.billingCycles[cycle];
  if (listed !== undefined && listed !== '') return listed;
  const months = CYCLE_MONTHS[cycle];
  if (months === undefined || product.pricePerMonth === '') return null;
  return timesWhole(product.pricePerMonth, months);
}
