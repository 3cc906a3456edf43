import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isRetryable } from '../../../src/plugins/host/retry-policy.ts';

describe('retry policy', () => {
  it('retries 502, 503, 504 for idempotent methods, never 500 or 4xx', () => {
    for (const method of ['GET', 'get', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) {
      for (const status of [502, 503, 504]) expect(isRetryable(method, { kind: 'status', status })).toBe(true);
      for (const status of [500, 501, 400, 404, 429]) expect(isRetryable(method, { kind: 'status', status })).toBe(false);
    }
  });

  it('retries only 503 for non-idempotent methods', () => {
    for (const method of ['POST', 'PATCH']) {
      expect(isRetryable(method, { kind: 'status', status: 503 })).toBe(true);
      expect(isRetryable(method, { kind: 'status', status: 502 })).toBe(false);
      expect(isRetryable(method, { kind: 'status', status: 504 })).toBe(false);
    }
  });

  it('retries transient connection errors; POST only when the request was not delivered', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']) {
      expect(isRetryable('GET', { kind: 'error', code, notDelivered: false })).toBe(true);
      expect(isRetryable('POST', { kind: 'error', code, notDelivered: true })).toBe(true);
      expect(isRetryable('POST', { kind: 'error', code, notDelivered: false })).toBe(false);
    }
    for (const code of ['ENOTFOUND', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', undefined]) {
      expect(isRetryable('GET', { kind: 'error', code, notDelivered: true })).toBe(false);
    }
  });

  it('doubles the delay from the base and adds at most 20 % jitter', () => {
    expect([0, 1, 2].map(retry => backoffDelayMs(retry, 200, () => 0))).toEqual([200, 400, 800]);
    expect(backoffDelayMs(2, 200, () => 0.999999)).toBe(960);
    for (let i = 0; i < 100; i += 1) {
      const delay = backoffDelayMs(1, 200);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(480);
    }
  });
});
