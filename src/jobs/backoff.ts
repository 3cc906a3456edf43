/**
 * The delay before the next run of an event whose handler failed: `base × 2^(attempts − 1)`
 * milliseconds, at most `max` — 1 s, 2 s, 4 s, … with the defaults.
 *
 * @param attempts runs that failed so far (≥ 1; smaller values count as 1)
 * @param baseMs delay after the first failure, in milliseconds
 * @param maxMs the longest delay, in milliseconds
 * @returns the delay in whole milliseconds
 */
export function backoffDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, Math.floor(attempts) - 1);
  // 2^exponent overflows to Infinity for huge exponents; min() caps it either way.
  return Math.min(maxMs, Math.round(baseMs * 2 ** Math.min(exponent, 60)));
}
