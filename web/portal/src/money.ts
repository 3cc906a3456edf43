/**
 * Money in the portal: the server's decimal strings (`"1234.50"`), added and compared exactly as
 * whole cents in BigInt — never through a float — and formatted for sentences.
 */

/** Adds two decimal strings exactly (cents as BigInt; never a float). */
export function addMoney(a: string, b: string): string {
  const cents = (value: string): bigint => {
    const negative = value.trim().startsWith('-');
    const [whole = '0', fraction = ''] = value.trim().replace('-', '').split('.');
    const total = BigInt(whole || '0') * 100n + BigInt((fraction + '00').slice(0, 2));
    return negative ? -total : total;
  };
  const sum = cents(a) + cents(b);
  const abs = sum < 0n ? -sum : sum;
  return `${sum < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** True when decimal string `a` ≥ `b`. */
export function moneyAtLeast(a: string, b: string): boolean {
  const negated = b.trim().startsWith('-') ? b.trim().slice(1) : `-${b.trim()}`;
  return !addMoney(a, negated).startsWith('-');
}

/** `"1234.5"` → `"1,234.50"` for sentences (the {@link Money} component for markup). */
export function formatMoney(value: string): string {
  const negative = value.startsWith('-');
  const [whole = '0', cents = '00'] = (negative ? value.slice(1) : value).split('.');
  return `${negative ? '−' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents.padEnd(2, '0')}`;
}
