import { describe, expect, it } from 'vitest';
import { backoffSeconds, loginAccountKey, userAccountKey } from '../../src/domain/identity/login-backoff.ts';

const policy = { freeFailures: 5, baseSecs: 2, maxSecs: 60 };

describe('backoffSeconds', () => {
  it('costs nothing within the free failures', () => {
    for (const failures of [0, 1, 5]) expect(backoffSeconds(failures, policy)).toBe(0);
  });

  it('doubles from the base after the free failures, up to the cap', () => {
    expect([6, 7, 8, 9, 10, 11, 12].map((failures) => backoffSeconds(failures, policy))).toEqual([2, 4, 8, 16, 32, 60, 60]);
    expect(backoffSeconds(10_000, policy)).toBe(60);
  });

  it('refuses a negative or fractional count', () => {
    expect(() => backoffSeconds(-1, policy)).toThrow(RangeError);
    expect(() => backoffSeconds(1.5, policy)).toThrow(RangeError);
  });
});

describe('account keys', () => {
  it('name an account by type and case-folded username, or by id', () => {
    expect(loginAccountKey('admin', 'Alice')).toBe(loginAccountKey('admin', 'alice'));
    expect(loginAccountKey('admin', 'alice')).not.toBe(loginAccountKey('customer', 'alice'));
    expect(userAccountKey('customer', 'u1')).toBe('customer:id:u1');
  });
});
