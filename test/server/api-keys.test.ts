/**
 * ApiKeyService through a real two-worker cluster (handbook: ApiKeyService, 权限对照): an admin
 * allows a customer to manage keys, the customer creates one (shown once, stored as its SHA-256),
 * the key authenticates as its customer on customer RPCs over native gRPC, revocation and expiry
 * end it on every worker at once; customers without the permission, API keys and other customers
 * are refused; admin changes leave audit rows.
 */
import { Code, type Client } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenHash } from '../../src/domain/identity/secrets.ts';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { ApiKeyService } from '../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer, type RegisteredCustomer } from '../support/customers.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: TestDatabase;
let adminKeys: Client<typeof ApiKeyService>;
let adminCustomers: Client<typeof CustomerService>;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2 });
  const adminToken = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  adminKeys = grpcClient(ApiKeyService, server.url, bearer(adminToken));
  adminCustomers = grpcClient(CustomerService, server.url, bearer(adminToken));
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  return queryRows<T>(db.url, text, params);
}

/** A registered customer, allowed to manage API keys by the admin when `allowed`. */
async function customer(allowed: boolean): Promise<RegisteredCustomer & { keys: Client<typeof ApiKeyService> }> {
  const registered = await registerCustomer(server, { prefix: 'key' });
  if (allowed) {
    const { customer: updated } = await adminCustomers.updateCustomer({ id: registered.customerId, canCreateApiKeys: true });
    expect(updated?.canCreateApiKeys).toBe(true);
  }
  return { ...registered, keys: grpcClient(ApiKeyService, server.url, bearer(registered.accessToken)) };
}

type Balance = Client<typeof BalanceService>;

/** A BalanceService client with `key` whose (single) connection is served by worker `slot`. */
async function balanceOnWorker(key: string, slot: string): Promise<Balance> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const seen: { headers?: Headers } = {};
    const client = grpcClient(BalanceService, server.url, bearer(key), seen);
    await client.getBalance({});
    if (seen.headers?.get('x-nodebill-worker') === slot) return client;
  }
  throw new Error(`40 connections never reached worker ${slot}`);
}

/** Calls `call` until it is refused as Unauthenticated, for at most `ms`. */
async function untilRefused(call: () => Promise<unknown>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await call();
    } catch (error) {
      await expectCode(Promise.reject(error), Code.Unauthenticated, /revoked or disabled/);
      return;
    }
    if (Date.now() > deadline) throw new Error(`the key still worked ${ms} ms after it was disabled`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The number of `api_keys` rows of `customerId`. */
async function keyCount(customerId: string): Promise<number> {
  const [row] = await sql<{ n: string }>('select count(*) as n from api_keys where customer_id = $1', [customerId]);
  return Number(row?.n);
}

describe('a customer allowed to manage keys', () => {
  it('creates a key shown once and stored only as its hash; the key works as its customer and lists by prefix', async () => {
    const owner = await customer(true);
    const created = await owner.keys.createApiKey({ name: '  billing sync  ' });
    expect(created.apiKey).toMatch(/^rk_live_[0-9A-Za-z]{43}$/);
    expect(created.keyPrefix).toBe(created.apiKey.slice(0, 14));
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);

    const [row] = await sql<{ customer_id: string; key_hash: string; key_prefix: string; name: string; whole: string }>(
      'select customer_id, key_hash, key_prefix, name, row_to_json(k)::text as whole from api_keys k where id = $1', [created.id],
    );
    expect(row).toMatchObject({ customer_id: owner.customerId, key_hash: tokenHash(created.apiKey), key_prefix: created.keyPrefix, name: 'billing sync' });
    expect(row?.whole).not.toContain(created.apiKey.slice(14));

    // The key authenticates as its customer over native gRPC, without naming the customer.
    const balance = grpcClient(BalanceService, server.url, bearer(created.apiKey));
    expect((await balance.getBalance({})).customerId).toBe(owner.customerId);
    const me = await grpcClient(IdentityService, server.url, bearer(created.apiKey)).getMe({});
    expect(me.user).toMatchObject({ id: created.id, userType: 'api_key', customerId: owner.customerId });
    // …and only as it: another customer's data is refused.
    const stranger = await customer(false);
    await expectCode(balance.getBalance({ customerId: stranger.customerId }), Code.PermissionDenied, /your own customer account/);

    // The list never shows the secret: prefix and metadata only, last use recorded (throttled, at most once a minute).
    const { keys } = await owner.keys.listApiKeys({});
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ id: created.id, keyPrefix: created.keyPrefix, name: 'billing sync', enabled: true, expiresAt: '' });
    expect(keys[0]?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(keys[0]?.lastUsedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify(keys)).not.toContain(created.apiKey.slice(14));
    // Naming its own customer_id is the same as naming none.
    expect((await owner.keys.listApiKeys({ customerId: owner.customerId })).keys.map((key) => key.id)).toEqual([created.id]);
  });

  it('revokes a key: the next call with it is Unauthenticated on every worker, and revoking again changes nothing', async () => {
    const owner = await customer(true);
    const { apiKey, id } = await owner.keys.createApiKey({ name: 'ci' });
    const onZero = await balanceOnWorker(apiKey, '0');
    const onOne = await balanceOnWorker(apiKey, '1');
    // Both workers have the key cached now.
    for (let i = 0; i < 3; i += 1) await Promise.all([onZero.getBalance({}), onOne.getBalance({})]);

    // With the database trigger silenced, only the service's own broadcast can reach worker 1's cache.
    await sql('alter table api_keys disable trigger api_keys_invalidate_update');
    try {
      await owner.keys.revokeApiKey({ id });
    } finally {
      await sql('alter table api_keys enable trigger api_keys_invalidate_update');
    }
    for (let i = 0; i < 3; i += 1) {
      await expectCode(onOne.getBalance({}), Code.Unauthenticated, /revoked/);
      await expectCode(onZero.getBalance({}), Code.Unauthenticated, /revoked/);
    }
    // Fresh connections, wherever they land, are refused too.
    for (let i = 0; i < 6; i += 1) await expectCode(grpcClient(BalanceService, server.url, bearer(apiKey)).getBalance({}), Code.Unauthenticated);

    const [row] = await sql<{ enabled: boolean; revoked_at: Date | null }>('select enabled, revoked_at from api_keys where id = $1', [id]);
    expect(row?.enabled).toBe(false);
    expect(row?.revoked_at).toBeInstanceOf(Date);
    await owner.keys.revokeApiKey({ id });
    const [again] = await sql<{ revoked_at: Date | null }>('select revoked_at from api_keys where id = $1', [id]);
    expect(again?.revoked_at?.getTime()).toBe(row?.revoked_at?.getTime());
    const audits = await sql<{ n: string }>("select count(*) as n from operation_logs where action = 'api_key.revoke' and target_id = $1", [id]);
    expect(Number(audits[0]?.n)).toBe(1);
    expect((await owner.keys.listApiKeys({})).keys).toMatchObject([{ id, enabled: false }]);
  });

  it('ends a key disabled in the database (an operator with psql) on every worker within moments', async () => {
    const owner = await customer(true);
    const { apiKey, id } = await owner.keys.createApiKey({ name: 'disabled by hand' });
    const onZero = await balanceOnWorker(apiKey, '0');
    const onOne = await balanceOnWorker(apiKey, '1');
    await sql('update api_keys set enabled = false where id = $1', [id]);
    // The trigger's NOTIFY reaches the primary, which clears both workers' caches (30 s otherwise).
    await untilRefused(() => onZero.getBalance({}), 3_000);
    await untilRefused(() => onOne.getBalance({}), 3_000);
    expect((await owner.keys.listApiKeys({})).keys).toMatchObject([{ id, enabled: false }]);
  });

  it('refuses an expired key on every worker, even while it is cached', async () => {
    const owner = await customer(true);
    const { apiKey, id } = await owner.keys.createApiKey({ name: 'short-lived' });
    // The API sets no expiry (the request has no such field); an operator may, in the database.
    await sql("update api_keys set expires_at = now() + interval '2 seconds' where id = $1", [id]);
    const onZero = await balanceOnWorker(apiKey, '0');
    const onOne = await balanceOnWorker(apiKey, '1');
    await Promise.all([onZero.getBalance({}), onOne.getBalance({})]);
    const [listed] = (await owner.keys.listApiKeys({})).keys;
    expect(listed?.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const [row] = await sql<{ expires_at: Date }>('select expires_at from api_keys where id = $1', [id]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (row?.expires_at.getTime() ?? 0) - Date.now()) + 100));
    await expectCode(onZero.getBalance({}), Code.Unauthenticated, /expired/);
    await expectCode(onOne.getBalance({}), Code.Unauthenticated, /expired/);
  });

  it('validates the name and creates nothing for a bad one', async () => {
    const owner = await customer(true);
    await expectCode(owner.keys.createApiKey({ name: '   ' }), Code.InvalidArgument, /name is required/);
    await expectCode(owner.keys.createApiKey({ name: 'two\nlines' }), Code.InvalidArgument, /control characters/);
    await expectCode(owner.keys.createApiKey({ name: 'x'.repeat(256) }), Code.InvalidArgument, /name/);
    await expectCode(owner.keys.revokeApiKey({ id: 'not-a-uuid' }), Code.InvalidArgument, /id .* is not a UUID/);
    expect(await keyCount(owner.customerId)).toBe(0);
  });

  it('answers NotFound for another customer\'s key, exactly as for a missing one, and leaves it working', async () => {
    const owner = await customer(true);
    const other = await customer(true);
    const { apiKey, id } = await owner.keys.createApiKey({ name: 'mine' });
    await expectCode(other.keys.revokeApiKey({ id }), Code.NotFound, /does not exist/);
    await expectCode(other.keys.revokeApiKey({ id: newId() }), Code.NotFound, /does not exist/);
    expect((await other.keys.listApiKeys({})).keys).toEqual([]);
    await expectCode(other.keys.listApiKeys({ customerId: owner.customerId }), Code.PermissionDenied);
    await expectCode(other.keys.createApiKey({ name: 'theirs', customerId: owner.customerId }), Code.PermissionDenied);
    expect(await keyCount(owner.customerId)).toBe(1);
    expect((await grpcClient(BalanceService, server.url, bearer(apiKey)).getBalance({})).customerId).toBe(owner.customerId);
  });
});

describe('who may not manage keys', () => {
  it('refuses a customer whose account is not allowed, saying an admin must allow it', async () => {
    const plain = await customer(false);
    await expectCode(plain.keys.createApiKey({ name: 'nope' }), Code.PermissionDenied, /administrator must allow it/);
    await expectCode(plain.keys.listApiKeys({}), Code.PermissionDenied, /administrator must allow it/);
    // Even its own key (made by an admin) it may not revoke without the permission.
    const { id } = await adminKeys.createApiKey({ name: 'by admin', customerId: plain.customerId });
    await expectCode(plain.keys.revokeApiKey({ id }), Code.PermissionDenied, /administrator must allow it/);
    expect(await keyCount(plain.customerId)).toBe(1);
    const [row] = await sql<{ enabled: boolean }>('select enabled from api_keys where id = $1', [id]);
    expect(row?.enabled).toBe(true);
  });

  it('refuses an API key managing keys, even of its own allowed customer', async () => {
    const owner = await customer(true);
    const { apiKey, id } = await owner.keys.createApiKey({ name: 'robot' });
    const asKey = grpcClient(ApiKeyService, server.url, bearer(apiKey));
    await expectCode(asKey.createApiKey({ name: 'child' }), Code.PermissionDenied, /API key cannot manage API keys/);
    await expectCode(asKey.listApiKeys({}), Code.PermissionDenied, /API key cannot manage API keys/);
    await expectCode(asKey.revokeApiKey({ id }), Code.PermissionDenied, /API key cannot manage API keys/);
    expect(await keyCount(owner.customerId)).toBe(1);
  });

  it('refuses anonymous callers and a made-up key', async () => {
    await expectCode(grpcClient(ApiKeyService, server.url).listApiKeys({}), Code.Unauthenticated);
    await expectCode(grpcClient(BalanceService, server.url, bearer(`rk_live_${'a'.repeat(43)}`)).getBalance({}), Code.Unauthenticated, /nor a known API key/);
  });
});

describe('admins', () => {
  it('create, list and revoke any customer\'s keys (allowed or not), each change audited without the secret', async () => {
    const target = await customer(false);
    const created = await adminKeys.createApiKey({ name: 'reseller portal', customerId: target.customerId });
    expect(created.apiKey).toMatch(/^rk_live_/);
    expect((await grpcClient(BalanceService, server.url, bearer(created.apiKey)).getBalance({})).customerId).toBe(target.customerId);

    const { keys } = await adminKeys.listApiKeys({ customerId: target.customerId });
    expect(keys).toMatchObject([{ id: created.id, keyPrefix: created.keyPrefix, name: 'reseller portal', enabled: true }]);

    await adminKeys.revokeApiKey({ id: created.id });
    await expectCode(grpcClient(BalanceService, server.url, bearer(created.apiKey)).getBalance({}), Code.Unauthenticated, /revoked/);

    const audits = await sql<{ action: string; admin_username: string; admin_user_id: string | null; details: Record<string, unknown>; whole: string }>(
      "select action, admin_username, admin_user_id, details, row_to_json(o)::text as whole from operation_logs o where target_id = $1 order by created_at, action",
      [created.id],
    );
    expect(audits.map((row) => row.action)).toEqual(['api_key.create', 'api_key.revoke']);
    for (const audit of audits) {
      expect(audit.admin_username).toBe('admin');
      expect(audit.admin_user_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(audit.details).toMatchObject({ customerId: target.customerId, keyPrefix: created.keyPrefix, name: 'reseller portal', caller: 'admin' });
      expect(audit.whole).not.toContain(created.apiKey.slice(14));
    }
  });

  it('must name an existing customer, and an unknown key is NotFound; nothing is created', async () => {
    const [before] = await sql<{ n: string }>('select count(*) as n from api_keys');
    await expectCode(adminKeys.createApiKey({ name: 'orphan' }), Code.InvalidArgument, /customer_id is required/);
    await expectCode(adminKeys.listApiKeys({}), Code.InvalidArgument, /customer_id is required/);
    await expectCode(adminKeys.createApiKey({ name: 'orphan', customerId: newId() }), Code.NotFound, /customer .* does not exist/);
    await expectCode(adminKeys.createApiKey({ name: 'orphan', customerId: 'nope' }), Code.InvalidArgument, /customer_id .* is not a UUID/);
    await expectCode(adminKeys.revokeApiKey({ id: newId() }), Code.NotFound, /does not exist/);
    const [after] = await sql<{ n: string }>('select count(*) as n from api_keys');
    expect(after?.n).toBe(before?.n);
  });
});
