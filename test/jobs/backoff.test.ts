import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/jobs/index.ts';

describe('backoffDelayMs', () => {
  it('doubles from the base after each failure and stops at the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => backoffDelayMs(n, 1000, 300_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
    ]);
  });
  it('treats 0 or fewer failures as the first and never overflows', () => {
    expect(backoffDelayMs(0, 50, 1000)).toBe(50);
    expect(backoffDelayMs(10_000, 50, 1000)).toBe(1000);
  });
});
