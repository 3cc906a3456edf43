import { useTranslation } from 'react-i18next';
/** Shown values: money as the server's decimal strings (never through a float), times in the admin's zone. */

/** `"1234.50"` → `1,234.50` (digits grouped; the string is never turned into a number). */
export function Money({ value, currency }: { value: string; currency?: string }) {
  const negative = value.startsWith('-');
  const [whole = '0', cents = '00'] = (negative ? value.slice(1) : value).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return <span className="money">{negative ? '−' : ''}{grouped}.{cents.padEnd(2, '0')}{currency ? ` ${currency}` : ''}</span>;
}

/** An RFC3339 time in the admin's time zone and the UI's language ('' shows a dash). */
export function Time({ value }: { value: string }) {
  const { i18n } = useTranslation();
  if (value === '') return <span className="muted">—</span>;
  const at = new Date(value);
  return <time dateTime={value} title={value}>{Number.isNaN(at.getTime()) ? value : at.toLocaleString(i18n.language === 'zh' ? 'zh-CN' : 'en-US')}</time>;
}

/** A money input's check, as the server's (`"10"`, `"10.5"`, `"10.50"`; optional minus when signed). */
export function moneyProblem(text: string, options: { signed?: boolean } = {}): string | null {
  const pattern = options.signed ? /^-?(?:0|[1-9]\d{0,9})(?:\.\d{1,2})?$/ : /^(?:0|[1-9]\d{0,9})(?:\.\d{1,2})?$/;
  return pattern.test(text.trim()) ? null : 'a decimal amount with at most 2 decimal places, such as 10.50';
}
