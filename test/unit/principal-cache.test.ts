import { describe, expect, it } from 'vitest';
import { parseInvalidation } from '../../src/cluster/node-invalidations.ts';
import { PrincipalCache, type SessionRecord } from '../../src/identity/principal-cache.ts';

function session(id: string, userId = 'u1'): SessionRecord {
  return { sessionId: id, userId, tokenHash: `h-${id}`, expiresAt: new Date(10_000_000), lastSeenAt: new Date(0), revoked: false };
}
const profile = { id: 'u1', username: 'alice', email: '', displayName: '', role: 'admin' as const, isActive: true, createdAt: new Date(0) };

describe('PrincipalCache', () => {
  it('finds a session by id and by token hash until its TTL passes', () => {
    let now = 1_000;
    const cache = new PrincipalCache({ ttlMs: 100, now: () => now });
    expect(cache.store(cache.generation, { kind: 'session', value: session('s1') })).toBe(true);
    expect(cache.session('s1')?.userId).toBe('u1');
    expect(cache.sessionByTokenHash('h-s1')?.sessionId).toBe('s1');
    now += 100;
    expect(cache.session('s1')).toBeUndefined();
    expect(cache.sessionByTokenHash('h-s1')).toBeUndefined();
  });

  it('drops what an invalidation names, and a user change drops the user and its sessions', () => {
    const cache = new PrincipalCache();
    cache.store(cache.generation, { kind: 'session', value: session('s1') });
    cache.store(cache.generation, { kind: 'session', value: session('s2') });
    cache.store(cache.generation, { kind: 'session', value: session('s3', 'u2') });
    cache.store(cache.generation, { kind: 'admin', value: profile });
    cache.apply({ kind: 'sessions', sessionIds: ['s2'] });
    expect(cache.session('s2')).toBeUndefined();
    expect(cache.session('s1')).toBeDefined();
    cache.apply({ kind: 'admin_user', userId: 'u1' });
    expect(cache.admin('u1')).toBeUndefined();
    expect(cache.session('s1')).toBeUndefined();
    expect(cache.session('s3')).toBeDefined();
    cache.store(cache.generation, { kind: 'family', familyId: 'f1', revoked: false });
    expect(cache.familyRevoked('f1')).toBe(false);
    cache.apply({ kind: 'token_families', familyIds: ['f1'] });
    expect(cache.familyRevoked('f1')).toBeUndefined();
  });

  it('refuses a value loaded before an invalidation that came in meanwhile', () => {
    const cache = new PrincipalCache();
    const before = cache.generation;
    cache.apply({ kind: 'sessions', sessionIds: ['s1'] });
    expect(cache.store(before, { kind: 'session', value: session('s1') })).toBe(false);
    expect(cache.session('s1')).toBeUndefined();
    expect(cache.store(cache.generation, { kind: 'session', value: session('s1') })).toBe(true);
  });

  it('keeps at most maxEntries per kind, dropping the oldest', () => {
    const cache = new PrincipalCache({ maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) cache.store(cache.generation, { kind: 'family', familyId: id, revoked: true });
    expect(cache.familyRevoked('a')).toBeUndefined();
    expect(cache.familyRevoked('c')).toBe(true);
    expect(cache.sizes().families).toBe(2);
  });

  it('keeps a touched session with its new last-seen time', () => {
    const cache = new PrincipalCache();
    cache.store(cache.generation, { kind: 'session', value: session('s1') });
    cache.touched('s1', new Date(5_000));
    expect(cache.session('s1')?.lastSeenAt.getTime()).toBe(5_000);
  });
});

describe('parseInvalidation', () => {
  it('reads the payload of the invalidation triggers and refuses anything else', () => {
    expect(parseInvalidation('{"event":{"kind":"sessions","sessionIds":["s1"]}}')).toEqual({ kind: 'sessions', sessionIds: ['s1'] });
    expect(parseInvalidation('{"event":{"kind":"api_key","keyHash":"ab"}}')).toEqual({ kind: 'api_key', keyHash: 'ab' });
    for (const bad of [undefined, '', 'not json', '{}', '{"event":null}', '{"event":{"kind":"drop_tables"}}', '[1]']) {
      expect(parseInvalidation(bad), String(bad)).toBeNull();
    }
  });
});
