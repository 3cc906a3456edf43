/**
 * CustomerService through a real two-worker cluster: every RPC's success and error paths
 * (customer-service.md), audit rows, changes through the customer actors (idempotency keys, the
 * version fence, reads through the actor on another worker), and customer scoping.
 */
import { Code } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import type { JsonValue } from '@bufbuild/protobuf';
import { loadExamples } from '../contract/spec-examples.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { callJson } from '../support/grpcurl.ts';
import { expectCode } from '../support/expect-code.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: TestDatabase;
let admin: ReturnType<typeof grpcClient<typeof CustomerService>>;
let adminToken: string;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2 });
  adminToken = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  admin = grpcClient(CustomerService, server.url, bearer(adminToken));
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  return queryRows<T>(db.url, text, params);
}

const ACME = { name: 'ACME Corp', contactPerson: 'John Doe', email: 'john@acme.example', phone: '1234567890', company: 'ACME Inc.', notes: 'VIP客户', creditLimit: '10000.00' };

describe('CreateCustomer', () => {
  it('creates a customer with every field, audited in its transaction', async () => {
    const { customer } = await admin.createCustomer(ACME);
    expect(customer).toMatchObject({ ...ACME, balance: '0.00', isActive: true, canCreateApiKeys: false });
    expect(customer?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(customer?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const audit = await sql<{ admin_username: string; details: { changes: Record<string, { to: unknown }>; version: number } }>(
      "select admin_username, details from operation_logs where action = 'customer.create' and target_id = $1", [customer?.id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.admin_username).toBe('admin');
    expect(audit[0]?.details.changes.creditLimit?.to).toBe('10000.00');
    expect(audit[0]?.details.version).toBe(1);
  });

  it('refuses a duplicate name (case-insensitive) with AlreadyExists and bad fields with InvalidArgument, creating nothing', async () => {
    await expectCode(admin.createCustomer({ ...ACME, name: '  acme corp ', email: '' }), Code.AlreadyExists, /already exists/);
    await expectCode(admin.createCustomer({ ...ACME, name: '' }), Code.InvalidArgument, /name is required/);
    await expectCode(admin.createCustomer({ ...ACME, name: 'Bad Mail', email: 'not-an-address' }), Code.InvalidArgument, /email/);
    for (const creditLimit of ['-1.00', '1.234', 'abc', '1e3']) {
      await expectCode(admin.createCustomer({ ...ACME, name: `Bad Credit ${creditLimit}`, email: '', creditLimit }), Code.InvalidArgument, /credit_limit/);
    }
    const rows = await sql<{ n: string }>("select count(*)::text as n from customers where name like 'Bad %' or lower(name) = 'acme corp'");
    expect(rows[0]?.n).toBe('1');
  });

  it('is for administrators only', async () => {
    const customer = await registerCustomer(server, { prefix: 'scope' });
    await expectCode(grpcClient(CustomerService, server.url, bearer(customer.accessToken)).createCustomer(ACME), Code.PermissionDenied);
    await expectCode(grpcClient(CustomerService, server.url).listCustomers({}), Code.Unauthenticated);
  });
});

describe('ListCustomers and GetCustomer', () => {
  it('pages, filters by activity and searches name and e-mail', async () => {
    const tag = newId().slice(-6);
    for (let n = 0; n < 3; n += 1) await admin.createCustomer({ ...ACME, name: `Lister ${tag} ${n}`, email: `lister${n}-${tag}@example.com` });
    const { customer: inactive } = await admin.createCustomer({ ...ACME, name: `Lister ${tag} off`, email: '' });
    await admin.updateCustomer({ id: inactive?.id ?? '', isActive: false });

    const page1 = await admin.listCustomers({ pagination: { page: 1, pageSize: 2 }, search: `Lister ${tag}` });
    expect(Number(page1.meta?.total)).toBe(4);
    expect(page1.customers).toHaveLength(2);
    const page2 = await admin.listCustomers({ pagination: { page: 2, pageSize: 2 }, search: `Lister ${tag}` });
    expect(page2.customers).toHaveLength(2);
    expect(new Set([...page1.customers, ...page2.customers].map((customer) => customer.id)).size).toBe(4);
    const active = await admin.listCustomers({ pagination: { page: 1, pageSize: 20 }, search: `Lister ${tag}`, isActive: true });
    expect(active.customers.map((customer) => customer.name).sort()).toEqual([0, 1, 2].map((n) => `Lister ${tag} ${n}`));
    const byMail = await admin.listCustomers({ pagination: { page: 1, pageSize: 20 }, search: `lister1-${tag}` });
    expect(byMail.customers.map((customer) => customer.name)).toEqual([`Lister ${tag} 1`]);
    await expectCode(admin.listCustomers({ pagination: { page: 1, pageSize: 101 } }), Code.InvalidArgument, /page_size/);
  });

  it('gets one customer; a malformed id is InvalidArgument, an unknown one NotFound', async () => {
    const { customer } = await admin.createCustomer({ ...ACME, name: `Getter ${newId().slice(-6)}`, email: '' });
    expect((await admin.getCustomer({ id: customer?.id ?? '' })).customer).toEqual(customer);
    await expectCode(admin.getCustomer({ id: 'not-a-uuid' }), Code.InvalidArgument, /id "not-a-uuid" is not a UUID/);
    await expectCode(admin.getCustomer({ id: newId() }), Code.NotFound, /does not exist/);
  });
});

describe('UpdateCustomer', () => {
  it('changes only the fields sent, audits before and after, and bumps the version once', async () => {
    const { customer } = await admin.createCustomer({ ...ACME, name: `Updater ${newId().slice(-6)}`, email: '' });
    const id = customer?.id ?? '';
    const { customer: updated } = await admin.updateCustomer({ id, creditLimit: '20000.00', canCreateApiKeys: true });
    expect(updated).toMatchObject({ ...customer, creditLimit: '20000.00', availableCredit: '20000.00', canCreateApiKeys: true, updatedAt: expect.any(String) });
    const audit = await sql<{ details: { changes: Record<string, { from: unknown; to: unknown }>; version: number } }>(
      "select details from operation_logs where action = 'customer.update' and target_id = $1", [id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details.changes).toEqual({ creditLimit: { from: '10000.00', to: '20000.00' }, canCreateApiKeys: { from: false, to: true } });
    expect(audit[0]?.details.version).toBe(2);
    // Nothing to change: no write, no audit row, no new version.
    await admin.updateCustomer({ id, notes: ACME.notes });
    expect((await sql<{ version: number }>('select version from customers where id = $1', [id]))[0]?.version).toBe(2);
    await expectCode(admin.updateCustomer({ id, creditLimit: '-5' }), Code.InvalidArgument, /credit_limit/);
    await expectCode(admin.updateCustomer({ id, name: '' }), Code.InvalidArgument, /name is required/);
    await expectCode(admin.updateCustomer({ id: newId(), notes: 'x' }), Code.NotFound);
    await expectCode(admin.updateCustomer({ id, name: ACME.name }), Code.AlreadyExists, /already exists/);
  });

  it('is read through the customer actor on whichever worker asks, at once', async () => {
    const { customer } = await admin.createCustomer({ ...ACME, name: `Reader ${newId().slice(-6)}`, email: '', creditLimit: '5.00' });
    const id = customer?.id ?? '';
    const seen = new Set<string>();
    for (let n = 0; n < 12; n += 1) {
      await grpcClient(CustomerService, server.url, bearer(adminToken)).updateCustomer({ id, creditLimit: `${n + 10}.00` });
      const headers: { headers?: Headers } = {};
      const balance = await grpcClient(BalanceService, server.url, bearer(adminToken), headers).getBalance({ customerId: id });
      seen.add(headers.headers?.get('x-nodebill-worker') ?? '');
      expect(balance.creditLimit).toBe(`${n + 10}.00`);
    }
    expect(seen.size).toBe(2);
  });

  it('returns the first outcome to a command retried with the same idempotency key', async () => {
    const { customer } = await admin.createCustomer({ ...ACME, name: `Idem ${newId().slice(-6)}`, email: '' });
    const id = customer?.id ?? '';
    const key = { ...bearer(adminToken), 'idempotency-key': `key-${newId()}` };
    const first = await grpcClient(CustomerService, server.url, key).updateCustomer({ id, notes: 'first' });
    const again = await grpcWebClient(CustomerService, server.url, key).updateCustomer({ id, notes: 'second' });
    expect(again.customer).toEqual(first.customer);
    const rows = await sql<{ notes: string; version: number }>('select notes, version from customers where id = $1', [id]);
    expect(rows[0]).toEqual({ notes: 'first', version: 2 });
    await expectCode(grpcClient(CustomerService, server.url, { ...bearer(adminToken), 'idempotency-key': 'has spaces' }).updateCustomer({ id, notes: 'x' }), Code.InvalidArgument, /idempotency-key/);
  });
});

describe('DeleteCustomer', () => {
  it('deletes a customer without history; an unknown one is NotFound', async () => {
    const { customer } = await admin.createCustomer({ ...ACME, name: `Deleter ${newId().slice(-6)}`, email: '' });
    await admin.deleteCustomer({ id: customer?.id ?? '' });
    await expectCode(admin.getCustomer({ id: customer?.id ?? '' }), Code.NotFound);
    await expectCode(admin.deleteCustomer({ id: customer?.id ?? '' }), Code.NotFound);
    const audit = await sql<{ n: string }>("select count(*)::text as n from operation_logs where action = 'customer.delete' and target_id = $1", [customer?.id]);
    expect(audit[0]?.n).toBe('1');
  });

  it('refuses while the balance is not zero or an order is unfinished, and never cascades', async () => {
    const { customer } = await admin.createCustomer({ ...ACME, name: `Keeper ${newId().slice(-6)}`, email: '' });
    const id = customer?.id ?? '';
    // Another writer (here: SQL, bumping the version as every writer must) gives it a balance; the
    // actor's cached state is now stale, and the version fence makes it reload before deciding.
    await admin.getCustomer({ id });
    await grpcClient(BalanceService, server.url, bearer(adminToken)).getBalance({ customerId: id });
    await sql("update customers set balance = 12.50, version = version + 1 where id = $1", [id]);
    await expectCode(admin.deleteCustomer({ id }), Code.FailedPrecondition, /balance of 12\.50/);
    await sql("update customers set balance = 0, version = version + 1 where id = $1", [id]);
    await sql(
      `insert into orders (id, customer_id, product_name, amount, status, billing_cycle) values ($1, $2, 'VPS', '5.00', 'pending', 'monthly')`,
      [newId(), id],
    );
    await expectCode(admin.deleteCustomer({ id }), Code.FailedPrecondition, /1 unfinished order\b/);
    expect((await admin.getCustomer({ id })).customer?.id).toBe(id);
  });
});

describe('customer scoping', () => {
  it('refuses a customer naming another customer in an admin_or_own call', async () => {
    const alice = await registerCustomer(server, { prefix: 'alice' });
    const bob = await registerCustomer(server, { prefix: 'bob' });
    const asAlice = grpcClient(BalanceService, server.url, bearer(alice.accessToken));
    expect((await asAlice.getBalance({ customerId: '' })).customerId).toBe(alice.customerId);
    expect((await asAlice.getBalance({ customerId: alice.customerId })).customerId).toBe(alice.customerId);
    await expectCode(asAlice.getBalance({ customerId: bob.customerId }), Code.PermissionDenied, /your own customer account/);
    await expectCode(grpcClient(CustomerService, server.url, bearer(alice.accessToken)).getCustomer({ id: bob.customerId }), Code.PermissionDenied);
  });

  it('creates a registered customer through its actor', async () => {
    const carol = await registerCustomer(server, { prefix: 'carol', displayName: 'Carol' });
    const { customer } = await admin.getCustomer({ id: carol.customerId });
    expect(customer).toMatchObject({ name: 'Carol', email: carol.email, balance: '0.00' });
    const recorded = await sql<{ command_type: string }>('select command_type from customer_commands where customer_id = $1', [carol.customerId]);
    expect(recorded.map((row) => row.command_type)).toEqual(['create']);
  });
});

describe('the examples of customer-service.md', () => {
  it('succeed verbatim apart from ids, tokens and the e-mail address the published page lost', async () => {
    const examples = loadExamples().filter((example) => example.file === 'customer-service.md');
    expect(examples.map((example) => example.method.split('/')[1])).toEqual(['CreateCustomer', 'ListCustomers', 'GetCustomer', 'UpdateCustomer', 'DeleteCustomer']);
    // The spec's pages were scraped through an e-mail obfuscator: "[email protected]" stands for an address.
    const withRealValues = (value: JsonValue, id: string, key = ''): JsonValue => {
      if (Array.isArray(value)) return value.map((item) => withRealValues(item, id));
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, withRealValues(item, id, field)]));
      if (key === 'id') return id;
      if (key === 'email' && value === '[email protected]') return 'john.doe@acme.example';
      return value;
    };
    await sql("delete from customers where lower(name) = 'acme corp'");
    let id = '';
    const answers: JsonValue[] = [];
    for (const example of examples) {
      const answer = await callJson(server.url, [CustomerService], example.method, withRealValues(example.body as JsonValue, id), example.authenticated ? bearer(adminToken) : {});
      answers.push(answer);
      if (example.method.endsWith('/CreateCustomer')) id = String((answer as { customer: { id: string } }).customer.id);
    }
    expect(answers[0]).toMatchObject({ customer: { name: 'ACME Corp', credit_limit: '10000.00', notes: 'VIP客户' } });
    expect(answers[1]).toMatchObject({ customers: [{ id, name: 'ACME Corp' }] });
    expect(answers[3]).toMatchObject({ customer: { id, credit_limit: '20000.00', can_create_api_keys: true } });
    await expectCode(admin.getCustomer({ id }), Code.NotFound);
  });
});

describe('actor metrics', () => {
  it('reports actors, mailbox depth, command latency, snapshot writes, conflicts and passivations', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of [
      'nodebill_actors_alive{kind="customer"',
      'nodebill_actor_mailbox_depth{kind="customer"',
      'nodebill_actor_command_duration_seconds_bucket{',
      'nodebill_actor_snapshot_writes_total{kind="customer",outcome="written"',
      'nodebill_actor_snapshot_conflicts_total{kind="customer"',
      'nodebill_actor_passivations_total',
    ]) {
      expect(text, name).toContain(name);
    }
    expect(text).toMatch(/nodebill_actor_command_duration_seconds_count\{kind="update"[^}]*\} [1-9]/);
  });
});
