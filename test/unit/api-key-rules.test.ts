import { describe, expect, it } from 'vitest';
import {
  activeKeyLimitRefusal, API_KEY_PREFIX_LENGTH, apiKeyEnabled, apiKeyNameProblem, generateApiKey,
  keyManagementRefusal, MAX_ACTIVE_KEYS_PER_CUSTOMER, randomBase62,
} from '../../src/domain/identity/api-keys.ts';
import { tokenHash } from '../../src/domain/identity/secrets.ts';

const admin = { kind: 'admin', userId: 'a', username: 'admin', role: 'operator', sessionId: 's' } as const;
const customer = { kind: 'customer', userId: 'u', username: 'c', customerId: 'c1', tokenId: 't' } as const;
const apiKey = { kind: 'apikey', keyId: 'k', customerId: 'c1' } as const;

describe('generateApiKey', () => {
  it('makes rk_live_ plus 43 base62 characters, keeps the first 14 as prefix and stores the authenticator\'s SHA-256', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^rk_live_[0-9A-Za-z]{43}$/);
    expect(prefix).toBe(key.slice(0, API_KEY_PREFIX_LENGTH));
    expect(prefix).toMatch(/^rk_live_[0-9A-Za-z]{6}$/);
    expect(hash).toBe(tokenHash(key));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 2_000 }, () => generateApiKey().key));
    expect(keys.size).toBe(2_000);
  });

  it('draws characters without bias: bytes 248-255 are skipped, not folded onto 0-7', () => {
    // 248 % 62 === 0 would give "0" if biased bytes were used; they are skipped instead.
    const bytes = [248, 255, 0, 61, 62, 247];
    let given = 0;
    const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => bytes[given++ % bytes.length] ?? 0);
    expect(randomBase62(4, random)).toBe('0z0z');
    // Every base62 character is reachable and none is favoured over a long run.
    const counts = new Map<string, number>();
    for (const char of randomBase62(62_000)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
  });
});

describe('apiKeyNameProblem', () => {
  it('needs a name of at most 255 characters without control characters', () => {
    expect(apiKeyNameProblem('生产环境 API Key')).toBeNull();
    expect(apiKeyNameProblem(`  ${'x'.repeat(255)}  `)).toBeNull();
    expect(apiKeyNameProblem('')).toMatch(/name is required/);
    expect(apiKeyNameProblem('   ')).toMatch(/name is required/);
    expect(apiKeyNameProblem('x'.repeat(256))).toMatch(/at most 255/);
    expect(apiKeyNameProblem('line\nbreak')).toMatch(/control characters/);
  });
});

describe('keyManagementRefusal', () => {
  it('lets admins (and operators) manage any customer\'s keys, allowed or not', () => {
    expect(keyManagementRefusal(admin, false)).toBeNull();
    expect(keyManagementRefusal({ ...admin, role: 'admin' }, true)).toBeNull();
  });

  it('lets a customer user manage its keys only while can_create_api_keys is true, saying an admin must allow it', () => {
    expect(keyManagementRefusal(customer, true)).toBeNull();
    const refusal = keyManagementRefusal(customer, false);
    expect(refusal?.kind).toBe('permission_denied');
    expect(refusal?.message).toMatch(/administrator must allow it/);
  });

  it('never lets an API key manage keys, nor an anonymous caller', () => {
    expect(keyManagementRefusal(apiKey, true)?.kind).toBe('permission_denied');
    expect(keyManagementRefusal({ kind: 'anonymous' }, true)?.kind).toBe('unauthenticated');
  });
});

describe('activeKeyLimitRefusal and apiKeyEnabled', () => {
  it('allows up to the limit of keys not revoked', () => {
    expect(activeKeyLimitRefusal(MAX_ACTIVE_KEYS_PER_CUSTOMER - 1)).toBeNull();
    expect(activeKeyLimitRefusal(MAX_ACTIVE_KEYS_PER_CUSTOMER)?.kind).toBe('failed_precondition');
  });

  it('calls a key enabled only when enabled and not revoked', () => {
    expect(apiKeyEnabled({ enabled: true, revokedAt: null })).toBe(true);
    expect(apiKeyEnabled({ enabled: true })).toBe(true);
    expect(apiKeyEnabled({ enabled: false, revokedAt: null })).toBe(false);
    expect(apiKeyEnabled({ enabled: true, revokedAt: new Date() })).toBe(false);
  });
});
