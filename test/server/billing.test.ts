/**
 * BillingService through a real two-worker cluster: invoices with items, validation (nothing
 * changed), the status machine, gap-free numbers under concurrency, customer scoping,
 * GenerateInvoices once per customer and period (also for two overlapping runs), the outbox events.
 * Then, against the same database: the billing jobs' functions (run twice and concurrently), and
 * the PDF route over an HTTP server built with createHttpHandler in this suite (the worker does not
 * wire the route yet), authenticated by the real identity module against the cluster's sessions
 * and tokens.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code } from '@connectrpc/connect';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markOverdueInvoices, runMonthlyBilling } from '../../src/application/billing/billing-jobs.ts';
import { InvoiceBilling } from '../../src/application/billing/invoices.ts';
import { AppConfigSchema } from '../../src/config/schema.ts';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { createHttpHandler } from '../../src/grpc/http.ts';
import { createIdentity } from '../../src/identity/module.ts';
import { newId } from '../../src/lib/ids.ts';
import { createOrm } from '../../src/persistence/orm.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer, type RegisteredCustomer } from '../support/customers.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD, TEST_JWT_SECRET } from '../support/server.ts';

type Billing = ReturnType<typeof grpcClient<typeof BillingService>>;

let server: RunningServer;
let db: TestDatabase;
let admin: Billing;
let adminToken: string;
let adminCookie: string;
let alice: RegisteredCustomer;
let bob: RegisteredCustomer;
let asAlice: Billing;
let asBob: Billing;
const YEAR = new Date().getUTCFullYear();

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2 });
  const seen: { headers?: Headers } = {};
  adminToken = (await grpcClient(IdentityService, server.url, {}, seen).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  adminCookie = (seen.headers?.get('set-cookie') ?? '').split(';')[0] ?? '';
  admin = grpcClient(BillingService, server.url, bearer(adminToken));
  alice = await registerCustomer(server, { prefix: 'alice' });
  bob = await registerCustomer(server, { prefix: 'bob' });
  asAlice = grpcClient(BillingService, server.url, bearer(alice.accessToken));
  asBob = grpcClient(BillingService, server.url, bearer(bob.accessToken));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  return queryRows<T>(db.url, text, params);
}

const ITEM = { description: 'VPS-1C2G 月费', quantity: 1, unitPrice: '100.00', amount: '100.00' };

function draftFor(customerId: string, overrides: Record<string, unknown> = {}) {
  return {
    customerId, billingPeriodStart: '2024-01-01', billingPeriodEnd: '2024-01-31', amount: '100.00', taxAmount: '13.00', totalAmount: '113.00',
    dueDate: '2099-02-15', notes: '1月账单', items: [ITEM], ...overrides,
  };
}

/** The sequence numbers of this year's invoice numbers, ascending. */
async function sequencesOfYear(): Promise<number[]> {
  const rows = await sql<{ invoice_number: string }>('select invoice_number from invoices where invoice_number like $1 order by invoice_number', [`INV-${YEAR}-%`]);
  return rows.map((row) => Number(row.invoice_number.slice(-6)));
}

/** Asserts the year's numbers are exactly 1..N and the counter row says N. */
async function expectGapFree(): Promise<number> {
  const sequences = await sequencesOfYear();
  expect(sequences).toEqual(sequences.map((_, index) => index + 1));
  const counter = await sql<{ last_number: number }>('select last_number from invoice_number_counters where year = $1', [YEAR]);
  expect(counter[0]?.last_number ?? 0).toBe(sequences.length);
  return sequences.length;
}

describe('CreateInvoice', () => {
  it('creates a draft with its items and no number yet, audited', async () => {
    const { invoice } = await admin.createInvoice(draftFor(alice.customerId));
    expect(invoice).toMatchObject({
      invoiceNumber: '', customerId: alice.customerId, status: 'draft', amount: '100.00', taxAmount: '13.00', totalAmount: '113.00',
      billingPeriodStart: '2024-01-01', billingPeriodEnd: '2024-01-31', dueDate: '2099-02-15', notes: '1月账单', issuedAt: '', paidAt: '',
    });
    expect(invoice?.items).toHaveLength(1);
    expect(invoice?.items[0]).toMatchObject({ description: 'VPS-1C2G 月费', quantity: 1, unitPrice: '100.00', amount: '100.00' });
    const audit = await sql<{ admin_username: string }>("select admin_username from operation_logs where action = 'invoice.create' and target_id = $1", [invoice?.id]);
    expect(audit).toEqual([{ admin_username: 'admin' }]);
  });

  it('refuses disagreeing amounts, bad dates and unknown customers, naming the fields, creating nothing', async () => {
    const [{ n: before }] = await sql<{ n: string }>('select count(*)::text as n from invoices');
    await expectCode(admin.createInvoice(draftFor(alice.customerId, { totalAmount: '100.00' })), Code.InvalidArgument, /total_amount 100\.00 disagrees with amount \+ tax_amount/);
    await expectCode(admin.createInvoice(draftFor(alice.customerId, { amount: '90.00', totalAmount: '103.00' })), Code.InvalidArgument, /^amount 90\.00 disagrees with the sum of items/);
    await expectCode(admin.createInvoice(draftFor(alice.customerId, { items: [{ ...ITEM, quantity: 2 }] })), Code.InvalidArgument, /items\[0\]\.amount/);
    await expectCode(admin.createInvoice(draftFor(alice.customerId, { dueDate: '2024-02-30' })), Code.InvalidArgument, /due_date/);
    await expectCode(admin.createInvoice(draftFor(alice.customerId, { billingPeriodEnd: '2023-12-31' })), Code.InvalidArgument, /billing_period_end/);
    await expectCode(admin.createInvoice(draftFor('not-a-uuid')), Code.InvalidArgument, /customer_id/);
    await expectCode(admin.createInvoice(draftFor(newId())), Code.NotFound, /customer_id/);
    await expectCode(asAlice.createInvoice(draftFor(alice.customerId)), Code.PermissionDenied);
    const [{ n: after }] = await sql<{ n: string }>('select count(*)::text as n from invoices');
    expect(after).toBe(before);
  });
});

describe('the status machine', () => {
  it('issues a draft: its number, issued_at and an invoice_issued event in the same transaction', async () => {
    const { invoice: draft } = await admin.createInvoice(draftFor(alice.customerId));
    const { invoice } = await admin.updateInvoice({ id: draft?.id ?? '', status: 'issued' });
    expect(invoice?.status).toBe('issued');
    expect(invoice?.invoiceNumber).toMatch(new RegExp(`^INV-${YEAR}-\\d{6}$`));
    expect(invoice?.issuedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const events = await sql<{ event_type: string; customer_id: string; order_id: string | null; payload: Record<string, unknown> }>(
      "select event_type, customer_id, order_id, payload from event_queue where payload->>'invoice_id' = $1", [invoice?.id],
    );
    expect(events).toEqual([{
      event_type: 'invoice_issued', customer_id: alice.customerId, order_id: null,
      payload: { invoice_id: invoice?.id, invoice_number: invoice?.invoiceNumber, total: '113.00', due_date: '2099-02-15', email: alice.email },
    }]);
    // Issuing again is no transition: same number, no second event.
    const again = await admin.updateInvoice({ id: draft?.id ?? '', status: 'issued' });
    expect(again.invoice?.invoiceNumber).toBe(invoice?.invoiceNumber);
    expect(await sql("select 1 from event_queue where payload->>'invoice_id' = $1", [invoice?.id])).toHaveLength(1);
  });

  it('refuses paid by hand (FailedPrecondition), transitions outside the machine (InvalidArgument naming them), deleting an issued invoice', async () => {
    const { invoice: draft } = await admin.createInvoice(draftFor(alice.customerId));
    const id = draft?.id ?? '';
    await expectCode(admin.updateInvoice({ id, status: 'paid' }), Code.InvalidArgument, /from draft to paid/);
    await expectCode(admin.updateInvoice({ id, status: 'cancelled' }), Code.InvalidArgument, /from draft to cancelled/);
    await expectCode(admin.updateInvoice({ id, status: 'bogus' }), Code.InvalidArgument, /^status must be one of/);
    await admin.updateInvoice({ id, status: 'issued' });
    await expectCode(admin.updateInvoice({ id, status: 'paid' }), Code.FailedPrecondition, /PaymentService or the balance/);
    await expectCode(admin.updateInvoice({ id, status: 'draft' }), Code.InvalidArgument, /from issued to draft/);
    await expectCode(admin.deleteInvoice({ id }), Code.FailedPrecondition, /cancel it instead/);
    const { invoice: cancelled } = await admin.updateInvoice({ id, status: 'cancelled', notes: 'sent by mistake' });
    expect(cancelled).toMatchObject({ status: 'cancelled', notes: 'sent by mistake' });
    await expectCode(admin.updateInvoice({ id, status: 'issued' }), Code.InvalidArgument, /from cancelled to issued/);
    await expectCode(asAlice.updateInvoice({ id, notes: 'mine' }), Code.PermissionDenied);
    const [row] = await sql<{ status: string; paid_amount: string; notes: string }>('select status, paid_amount::text, notes from invoices where id = $1', [id]);
    expect(row).toEqual({ status: 'cancelled', paid_amount: '0.00', notes: 'sent by mistake' });
    const audit = await sql<{ details: { changes: Record<string, { from: unknown; to: unknown }> } }>(
      "select details from operation_logs where action = 'invoice.update' and target_id = $1 order by created_at", [id],
    );
    expect(audit.map((entry) => entry.details.changes.status)).toEqual([{ from: 'draft', to: 'issued' }, { from: 'issued', to: 'cancelled' }]);
  });

  it('deletes a draft with its items; a missing invoice is NotFound', async () => {
    const { invoice } = await admin.createInvoice(draftFor(bob.customerId));
    await admin.deleteInvoice({ id: invoice?.id ?? '' });
    expect(await sql('select 1 from invoices where id = $1', [invoice?.id])).toHaveLength(0);
    expect(await sql('select 1 from invoice_items where invoice_id = $1', [invoice?.id])).toHaveLength(0);
    await expectCode(admin.deleteInvoice({ id: invoice?.id ?? '' }), Code.NotFound);
    await expectCode(admin.getInvoice({ id: newId() }), Code.NotFound);
  });
});

describe('numbers', () => {
  it('are consecutive and unique when many drafts are issued at once, on both workers', async () => {
    const drafts = await Promise.all(Array.from({ length: 16 }, () => admin.createInvoice(draftFor(bob.customerId))));
    const before = (await sequencesOfYear()).length;
    const issued = await Promise.all(drafts.map(({ invoice }) => grpcClient(BillingService, server.url, bearer(adminToken)).updateInvoice({ id: invoice?.id ?? '', status: 'issued' })));
    const mine = issued.map(({ invoice }) => Number(invoice?.invoiceNumber.slice(-6))).sort((a, b) => a - b);
    expect(mine).toEqual(Array.from({ length: 16 }, (_, index) => before + index + 1));
    await expectGapFree();
  });
});

describe('scoping', () => {
  it('shows customers their own invoices only; admins all, with filters and pages', async () => {
    const { invoice: bobs } = await admin.createInvoice(draftFor(bob.customerId));
    const own = await asAlice.listInvoices({ pagination: { page: 1, pageSize: 100 } });
    expect(own.invoices.length).toBeGreaterThan(0);
    expect(own.invoices.every((invoice) => invoice.customerId === alice.customerId)).toBe(true);
    await expectCode(asAlice.getInvoice({ id: bobs?.id ?? '' }), Code.NotFound);
    await expectCode(asAlice.listInvoices({ customerId: bob.customerId }), Code.PermissionDenied);
    expect((await asBob.getInvoice({ id: bobs?.id ?? '' })).invoice?.id).toBe(bobs?.id);

    const [{ n }] = await sql<{ n: string }>("select count(*)::text as n from invoices where customer_id = $1 and status = 'issued'", [bob.customerId]);
    const page1 = await admin.listInvoices({ pagination: { page: 1, pageSize: 5 }, customerId: bob.customerId, status: 'issued' });
    expect(page1.meta?.total).toBe(BigInt(n));
    expect(page1.invoices).toHaveLength(5);
    expect(page1.invoices.every((invoice) => invoice.status === 'issued' && invoice.customerId === bob.customerId)).toBe(true);
    const page2 = await admin.listInvoices({ pagination: { page: 2, pageSize: 5 }, customerId: bob.customerId, status: 'issued' });
    expect(page2.invoices.map((invoice) => invoice.id)).not.toContain(page1.invoices[0]?.id);
    await expectCode(admin.listInvoices({ status: 'late' }), Code.InvalidArgument, /status/);
    await expectCode(admin.listInvoices({ pagination: { page: 1, pageSize: 101 } }), Code.InvalidArgument, /page_size/);
  });
});

/** Inserts an order as the money path would have left it. */
async function insertOrder(customerId: string, status: string, amount: string, createdAt: string): Promise<string> {
  const id = newId();
  await sql(`insert into orders (id, customer_id, product_name, status, amount, created_at) values ($1, $2, 'VPS 2C4G', $3, $4, $5)`, [id, customerId, status, amount, createdAt]);
  return id;
}

describe('GenerateInvoices', () => {
  it('bills each customer once per period: its active and completed orders in the period, issued, with events', async () => {
    const inA = [await insertOrder(alice.customerId, 'active', '10.00', '2025-03-01T00:00:00Z'), await insertOrder(alice.customerId, 'completed', '5.50', '2025-03-31T23:59:59Z')];
    await insertOrder(alice.customerId, 'pending', '99.00', '2025-03-10T00:00:00Z');
    await insertOrder(alice.customerId, 'active', '99.00', '2025-04-01T00:00:00Z');
    await insertOrder(alice.customerId, 'active', '99.00', '2025-02-28T23:59:59Z');
    await insertOrder(bob.customerId, 'active', '7.00', '2025-03-15T12:00:00Z');

    const first = await admin.generateInvoices({ billingPeriodStart: '2025-03-01', billingPeriodEnd: '2025-03-31' });
    expect(first.generatedCount).toBe(2);
    const again = await admin.generateInvoices({ billingPeriodStart: '2025-03-01', billingPeriodEnd: '2025-03-31' });
    expect(again.generatedCount).toBe(0);

    const rows = await sql<{ id: string; customer_id: string; total_amount: string; status: string; invoice_number: string }>(
      "select id, customer_id, total_amount::text, status, invoice_number from invoices where source = 'generated' and billing_period_start = '2025-03-01' order by amount",
    );
    expect(rows.map((row) => [row.customer_id, row.total_amount, row.status])).toEqual([[bob.customerId, '7.00', 'issued'], [alice.customerId, '15.50', 'issued']]);
    const aliceInvoice = (await asAlice.getInvoice({ id: rows[1]?.id ?? '' })).invoice;
    expect(aliceInvoice?.items.map((item) => item.amount)).toEqual(['10.00', '5.50']);
    expect(aliceInvoice?.items[0]?.description).toContain(inA[0]);
    const events = await sql<{ n: string }>("select count(*)::text as n from event_queue where event_type = 'invoice_issued' and payload->>'invoice_id' = any($1)", [rows.map((row) => row.id)]);
    expect(events[0]?.n).toBe('2');
    await expectCode(admin.generateInvoices({ billingPeriodStart: '2025-04-01', billingPeriodEnd: '2025-03-31' }), Code.InvalidArgument, /billing_period_end/);
    await expectCode(asAlice.generateInvoices({ billingPeriodStart: '2025-03-01', billingPeriodEnd: '2025-03-31' }), Code.PermissionDenied);
    await expectGapFree();
  });

  it('bills once when two runs overlap (both workers at once)', async () => {
    const customers = [alice, bob, await registerCustomer(server, { prefix: 'carol' })];
    for (const customer of customers) await insertOrder(customer.customerId, 'active', '3.00', '2025-05-10T08:00:00Z');
    const period = { billingPeriodStart: '2025-05-01', billingPeriodEnd: '2025-05-31' };
    const runs = await Promise.all(Array.from({ length: 4 }, () => grpcClient(BillingService, server.url, bearer(adminToken)).generateInvoices(period)));
    expect(runs.reduce((sum, run) => sum + run.generatedCount, 0)).toBe(3);
    const rows = await sql<{ customer_id: string; n: string }>(
      "select customer_id, count(*)::text as n from invoices where source = 'generated' and billing_period_start = '2025-05-01' group by customer_id",
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((row) => row.n === '1')).toBe(true);
    const events = await sql<{ n: string }>(
      "select count(*)::text as n from event_queue e join invoices i on i.id::text = e.payload->>'invoice_id' where e.event_type = 'invoice_issued' and i.billing_period_start = '2025-05-01'",
    );
    expect(events[0]?.n).toBe('3');
    await expectGapFree();
  });
});

describe('against the database directly', () => {
  let orm: MikroORM;
  let billing: InvoiceBilling;

  beforeAll(async () => {
    orm = await createOrm({ url: db.url, poolMin: 0, poolMax: 6 });
    billing = new InvoiceBilling({ orm });
  });
  afterAll(async () => {
    await orm?.close(true);
  });

  it('the monthly run bills the previous month once, also run twice at once', async () => {
    await insertOrder(alice.customerId, 'active', '4.00', '2025-07-20T00:00:00Z');
    await insertOrder(bob.customerId, 'completed', '6.00', '2025-07-01T00:00:00Z');
    const now = new Date('2025-08-01T00:30:00Z');
    const runs = await Promise.all([runMonthlyBilling(billing, { dueDays: 14, now }), runMonthlyBilling(billing, { dueDays: 14, now })]);
    expect(runs.map((run) => run.period)).toEqual([{ start: '2025-07-01', end: '2025-07-31' }, { start: '2025-07-01', end: '2025-07-31' }]);
    expect(runs[0].generatedCount + runs[1].generatedCount).toBe(2);
    expect((await runMonthlyBilling(billing, { dueDays: 14, now })).generatedCount).toBe(0);
    const rows = await sql<{ status: string; due_date: string; issued: string }>(
      "select status, due_date::text, (issued_at at time zone 'UTC')::date::text as issued from invoices where source = 'generated' and billing_period_start = '2025-07-01'",
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.status).toBe('issued');
      const issued = new Date(`${row.issued}T00:00:00Z`);
      expect(row.due_date).toBe(new Date(issued.getTime() + 14 * 86_400_000).toISOString().slice(0, 10));
    }
    await expectGapFree();
  });

  it('a customer with payment terms of its own (CRM) is billed due after them, the others after [billing] due_days', async () => {
    const { customer } = await grpcClient(CustomerService, server.url, bearer(adminToken)).createCustomer({
      name: `Terms ${newId().slice(-6)}`, contactPerson: '', email: '', phone: '', company: '', notes: '', creditLimit: '', paymentTermsDays: 45,
    });
    await insertOrder(customer?.id ?? '', 'active', '9.00', '2025-09-10T00:00:00Z');
    await insertOrder(alice.customerId, 'active', '4.00', '2025-09-20T00:00:00Z');
    expect((await runMonthlyBilling(billing, { dueDays: 14, now: new Date('2025-10-01T00:30:00Z') })).generatedCount).toBe(2);
    const rows = await sql<{ customer_id: string; days: number }>(
      "select customer_id, due_date - (issued_at at time zone 'UTC')::date as days from invoices where source = 'generated' and billing_period_start = '2025-09-01'",
    );
    expect(Object.fromEntries(rows.map((row) => [row.customer_id, row.days]))).toEqual({ [customer?.id ?? '']: 45, [alice.customerId]: 14 });
  });

  it('the overdue sweep marks issued invoices past their due date once, with one invoice_overdue each', async () => {
    const past = await Promise.all([0, 1, 2].map(() => admin.createInvoice(draftFor(bob.customerId, { dueDate: '2024-02-15' }))));
    const future = await admin.createInvoice(draftFor(bob.customerId, { dueDate: '2099-12-31' }));
    const draftPast = await admin.createInvoice(draftFor(bob.customerId, { dueDate: '2024-02-15' }));
    for (const { invoice } of [...past, future]) await admin.updateInvoice({ id: invoice?.id ?? '', status: 'issued' });
    const ids = past.map(({ invoice }) => invoice?.id ?? '');

    const [a, b] = await Promise.all([markOverdueInvoices(billing), markOverdueInvoices(billing)]);
    expect([...a, ...b].sort()).toEqual(expect.arrayContaining([...ids].sort()));
    expect(new Set([...a, ...b]).size).toBe(a.length + b.length);
    expect(await markOverdueInvoices(billing)).toEqual([]);

    const statuses = await sql<{ id: string; status: string }>('select id, status from invoices where id = any($1)', [[...ids, future.invoice?.id, draftPast.invoice?.id]]);
    const byId = new Map(statuses.map((row) => [row.id, row.status]));
    for (const id of ids) expect(byId.get(id)).toBe('overdue');
    expect(byId.get(future.invoice?.id ?? '')).toBe('issued');
    expect(byId.get(draftPast.invoice?.id ?? '')).toBe('draft');
    const events = await sql<{ invoice_id: string; n: string; email: string; total: string }>(
      `select payload->>'invoice_id' as invoice_id, count(*)::text as n, min(payload->>'email') as email, min(payload->>'total') as total
         from event_queue where event_type = 'invoice_overdue' and payload->>'invoice_id' = any($1) group by 1`, [ids],
    );
    expect(events).toHaveLength(3);
    for (const event of events) expect(event).toMatchObject({ n: '1', email: bob.email, total: '113.00' });
    // Overdue, then cancelled by an admin; paid only through a payment.
    await expectCode(admin.updateInvoice({ id: ids[0] ?? '', status: 'paid' }), Code.FailedPrecondition);
    expect((await admin.updateInvoice({ id: ids[0] ?? '', status: 'cancelled' })).invoice?.status).toBe('cancelled');
  });

  describe('GET /invoices/{id}.pdf', () => {
    let base: string;
    let httpServer: http.Server;
    let aliceInvoiceId: string;
    const errors: unknown[] = [];

    beforeAll(async () => {
      const config = AppConfigSchema.parse({ jwt: { secret: TEST_JWT_SECRET } });
      const identity = createIdentity({ orm, config, redis: null, log: pino({ level: 'silent' }) });
      httpServer = http.createServer(createHttpHandler({
        corsAllowedOrigins: [],
        readiness: async () => true,
        metrics: async () => ({ contentType: 'text/plain', body: '' }),
        onError: (_route, error) => void errors.push(error),
        invoicePdfs: { authenticate: (headers) => identity.authenticator.authenticate(headers), pdf: (id, customerId) => billing.pdf(id, customerId) },
        next: (_request, response) => void response.writeHead(418).end(),
      }));
      await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
      const { invoice } = await admin.createInvoice(draftFor(alice.customerId, {
        notes: '感谢惠顾 — thank you', items: [{ description: '云服务器 VPS-1C2G 月费', quantity: 1, unitPrice: '100.00', amount: '100.00' }],
      }));
      aliceInvoiceId = invoice?.id ?? '';
      await admin.updateInvoice({ id: aliceInvoiceId, status: 'issued' });
    });
    afterAll(async () => {
      httpServer?.closeAllConnections();
      await new Promise<void>((resolve) => httpServer?.close(() => resolve()));
    });

    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });

    it('gives its customer and admins (bearer or session cookie) the PDF, Chinese text included', async () => {
      for (const headers of [bearer(alice.accessToken), bearer(adminToken), { cookie: adminCookie }]) {
        const response = await get(`/invoices/${aliceInvoiceId}.pdf`, headers);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/pdf');
        const body = Buffer.from(await response.arrayBuffer());
        expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        expect(body.subarray(-6).toString('latin1')).toMatch(/%%EOF/);
      }
      expect(errors).toEqual([]);
    });

    it('answers another customer, a missing invoice and a bad id 404, no or bad credentials 401', async () => {
      expect((await get(`/invoices/${aliceInvoiceId}.pdf`, bearer(bob.accessToken))).status).toBe(404);
      expect((await get(`/invoices/${newId()}.pdf`, bearer(adminToken))).status).toBe(404);
      expect((await get('/invoices/not-a-uuid.pdf', bearer(adminToken))).status).toBe(404);
      const anonymous = await get(`/invoices/${aliceInvoiceId}.pdf`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect((await get(`/invoices/${aliceInvoiceId}.pdf`, bearer('not.a.jwt'))).status).toBe(401);
      expect((await fetch(`${base}/invoices/${aliceInvoiceId}.pdf`, { method: 'POST', headers: bearer(adminToken) })).status).toBe(405);
    });
  });
});
