/**
 * Migration 0005: the triggers that NOTIFY `nodebill_invalidation` when a change makes cached
 * authentication stale — and stay silent on bookkeeping writes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInvalidation } from '../../src/cluster/node-invalidations.ts';
import type { Invalidation } from '../../src/identity/principal-cache.ts';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';

let database: MigratedTestDatabase;
let listener: pg.Client;
let writer: pg.Client;
const heard: Invalidation[] = [];

beforeAll(async () => {
  database = await migratedTestDatabase();
  listener = new pg.Client({ connectionString: database.url });
  writer = new pg.Client({ connectionString: database.url });
  await Promise.all([listener.connect(), writer.connect()]);
  listener.on('notification', (message) => {
    const event = parseInvalidation(message.payload);
    if (event) heard.push(event);
  });
  await listener.query('listen nodebill_invalidation');
});

afterAll(async () => {
  await Promise.all([listener?.end(), writer?.end()]);
  await database?.drop();
});

/** Runs `sql` and returns what was announced meanwhile (a marker notification ends the wait). */
async function announced(sql: string, params: unknown[] = []): Promise<Invalidation[]> {
  heard.length = 0;
  await writer.query(sql, params);
  const marker = newId();
  await writer.query("select pg_notify('nodebill_invalidation', $1)", [JSON.stringify({ event: { kind: 'admin_user', userId: marker } })]);
  for (let wait = 0; wait < 200 && !heard.some((event) => event.kind === 'admin_user' && event.userId === marker); wait += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return heard.filter((event) => !(event.kind === 'admin_user' && event.userId === marker));
}

describe('cache invalidation triggers', () => {
  const adminId = newId();
  const sessionId = newId();
  const customerId = newId();
  const customerUserId = newId();
  const familyId = newId();
  const keyHash = 'a'.repeat(64);

  it('announce admin user changes and deletions, but not a login time', async () => {
    await writer.query("insert into admin_users (id, username, password_hash) values ($1, 'trig-admin', 'x')", [adminId]);
    expect(await announced('update admin_users set last_login_at = now() where id = $1', [adminId])).toEqual([]);
    expect(await announced("update admin_users set role = 'admin' where id = $1", [adminId])).toEqual([{ kind: 'admin_user', userId: adminId }]);
    expect(await announced('update admin_users set is_active = false where id = $1', [adminId])).toEqual([{ kind: 'admin_user', userId: adminId }]);
  });

  it('announce a revoked session, but not a touched one', async () => {
    await writer.query("insert into sessions (id, admin_user_id, token_hash, expires_at) values ($1, $2, 'h1', now() + interval '1 day')", [sessionId, adminId]);
    expect(await announced('update sessions set last_seen_at = now() where id = $1', [sessionId])).toEqual([]);
    expect(await announced('update sessions set revoked_at = now() where id = $1', [sessionId])).toEqual([{ kind: 'sessions', sessionIds: [sessionId] }]);
    expect(await announced('delete from sessions where id = $1', [sessionId])).toEqual([{ kind: 'sessions', sessionIds: [sessionId] }]);
  });

  it('announce customer user changes, revoked token families and API key changes, but not a use', async () => {
    await writer.query("insert into customers (id, name) values ($1, 'Trig')", [customerId]);
    await writer.query("insert into customer_users (id, customer_id, username, password_hash) values ($1, $2, 'trig-cust', 'x')", [customerUserId, customerId]);
    expect(await announced('update customer_users set last_login_at = now() where id = $1', [customerUserId])).toEqual([]);
    expect(await announced('update customer_users set is_active = false where id = $1', [customerUserId])).toEqual([{ kind: 'customer_user', userId: customerUserId }]);

    await writer.query("insert into refresh_tokens (jti, customer_user_id, customer_id, family_id, expires_at) values ($1, $2, $3, $4, now() + interval '1 day')", [
      newId(), customerUserId, customerId, familyId,
    ]);
    expect(await announced('update refresh_tokens set used_at = now() where family_id = $1', [familyId])).toEqual([]);
    expect(await announced('update refresh_tokens set revoked_at = now() where family_id = $1', [familyId])).toEqual([{ kind: 'token_families', familyIds: [familyId] }]);

    await writer.query("insert into api_keys (id, customer_id, name, key_prefix, key_hash) values ($1, $2, 'k', 'rk_live_x', $3)", [newId(), customerId, keyHash]);
    expect(await announced('update api_keys set last_used_at = now() where key_hash = $1', [keyHash])).toEqual([]);
    expect(await announced('update api_keys set enabled = false where key_hash = $1', [keyHash])).toEqual([{ kind: 'api_key', keyHash }]);
    expect(await announced('delete from api_keys where key_hash = $1', [keyHash])).toEqual([{ kind: 'api_key', keyHash }]);
  });
  it('announce a tax rule created, changed or deleted, once per statement', async () => {
    const id = newId();
    expect(await announced("insert into tax_rules (id, country, region, rate, name) values ($1, 'DE', '', 19, 'MwSt')", [id])).toEqual([{ kind: 'tax_rules' }]);
    expect(await announced("update tax_rules set rate = 7 where id = $1", [id])).toEqual([{ kind: 'tax_rules' }]);
    expect(await announced("delete from tax_rules where id = $1", [id])).toEqual([{ kind: 'tax_rules' }]);
  });
});
