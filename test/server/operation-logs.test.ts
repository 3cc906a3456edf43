/**
 * IntegrationService/ListOperationLogs (issue 12, a NodeBill extension): the audit trail for the
 * admin console. A real one-worker server; audit rows written by real admin actions (tickets) and,
 * for exact times and odd values, inserted into `operation_logs`; answers compared with the table.
 */
import { Code } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService, type OperationLogEntry } from '../../src/gen/rustbill/integration_pb.ts';
import { TicketService } from '../../src/gen/rustbill/ticket_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer, type RegisteredCustomer } from '../support/customers.ts';
import { createTestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../support/server.ts';

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };
let sql: pg.Client;
let adminToken: string;
let operatorToken: string;
let customer: RegisteredCustomer;
let ticketId: string;

const integration = (token?: string) => grpcClient(IntegrationService, server.url, token === undefined ? {} : bearer(token));
const asAdmin = () => integration(adminToken);

/** Inserts an audit row at `at` (the other columns as given or plain defaults). */
async function insertRow(at: string, fields: { action: string; targetType?: string; targetId?: string; adminUsername?: string }): Promise<string> {
  const id = newId();
  await sql.query(
    `insert into operation_logs (id, admin_user_id, admin_username, action, target_type, target_id, details, client_address, request_id, created_at)
     values ($1, null, $2, $3, $4, $5, $6, '10.0.0.9', 'req-1', $7)`,
    [id, fields.adminUsername ?? 'cli', fields.action, fields.targetType ?? 'probe', fields.targetId ?? null, JSON.stringify({ note: 'inserted' }), at],
  );
  return id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 1, config: { jobs: { enabled: false } } });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const identity = grpcClient(IdentityService, server.url);
  adminToken = (await identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  await sql.query("insert into admin_users (id, username, email, password_hash, role) values ($1, 'auditop', '', $2, 'operator')", [newId(), await hashPassword('Auditop-Pass-1', 4)]);
  operatorToken = (await identity.login({ username: 'auditop', password: 'Auditop-Pass-1', userType: 'admin' })).accessToken;
  customer = await registerCustomer(server, { prefix: 'audited' });
  // Real admin actions: a ticket opened for the customer, assigned, replied to.
  const tickets = grpcClient(TicketService, server.url, bearer(adminToken));
  const adminId = (await sql.query("select id from admin_users where username = 'admin'")).rows[0].id as string;
  ticketId = (await tickets.createTicket({ customerId: customer.customerId, title: 'Disk full', description: 'df says 100%' })).ticket?.id ?? '';
  await tickets.updateTicket({ id: ticketId, assigneeUserId: adminId, status: 'processing' });
  await tickets.createReply({ ticketId, content: 'Looking into it', isInternal: false });
  // Rows at known times, for the time range, and odd action texts, for the literal prefix.
  await insertRow('2021-01-01T00:00:00Z', { action: 'probe.first' });
  await insertRow('2021-06-01T00:00:00Z', { action: 'probe.second', targetId: 'p-2' });
  await insertRow('2021-12-31T23:59:59Z', { action: 'probe.third' });
  await insertRow('2021-03-01T00:00:00Z', { action: 'probe%wild', adminUsername: 'other' });
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await server?.stop();
  await db?.drop();
});

describe('IntegrationService/ListOperationLogs', () => {
  it('lists every entry newest first with all its columns, as the table has them', async () => {
    const answer = await asAdmin().listOperationLogs({ pagination: { page: 1, pageSize: 100 } });
    const { rows } = await sql.query('select id from operation_logs order by created_at desc, id desc');
    expect(answer.entries.map((entry) => entry.id)).toEqual(rows.map((row) => row.id as string));
    expect(Number(answer.meta?.total)).toBe(rows.length);
    const reply = answer.entries.find((entry) => entry.action === 'ticket.reply');
    expect(reply).toMatchObject({ adminUsername: 'admin', targetType: 'ticket', targetId: ticketId });
    expect(reply?.adminUserId).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(reply?.requestId).not.toBe('');
    expect(JSON.parse(reply?.detailsJson ?? 'null')).toMatchObject({ caller: 'admin' });
    const inserted = answer.entries.find((entry) => entry.action === 'probe.second');
    expect(inserted).toMatchObject({ adminUserId: '', adminUsername: 'cli', targetId: 'p-2', clientAddress: '10.0.0.9', requestId: 'req-1', createdAt: '2021-06-01T00:00:00Z' });
    expect(JSON.parse(inserted?.detailsJson ?? 'null')).toEqual({ note: 'inserted' });
  });

  it('filters by target type and id, action prefix (literally), admin user name and time range', async () => {
    const list = async (filters: Record<string, string>): Promise<OperationLogEntry[]> =>
      (await asAdmin().listOperationLogs({ pagination: { page: 1, pageSize: 100 }, ...filters })).entries;
    const ticketRows = await list({ targetType: 'ticket' });
    expect(ticketRows.map((entry) => entry.action)).toEqual(['ticket.reply', 'ticket.update', 'ticket.create']);
    expect((await list({ targetType: 'ticket', targetId: ticketId })).length).toBe(3);
    expect(await list({ targetType: 'ticket', targetId: newId() })).toEqual([]);
    expect((await list({ action: 'ticket.re' })).map((entry) => entry.action)).toEqual(['ticket.reply']);
    expect((await list({ action: 'probe.' })).map((entry) => entry.action)).toEqual(['probe.third', 'probe.second', 'probe.first']);
    // `%` is a literal character of the prefix, not a wildcard.
    expect((await list({ action: 'probe%' })).map((entry) => entry.action)).toEqual(['probe%wild']);
    expect((await list({ action: 'p_obe' }))).toEqual([]);
    expect((await list({ adminUsername: 'other' })).map((entry) => entry.action)).toEqual(['probe%wild']);
    expect((await list({ from: '2021-03-01T00:00:00Z', to: '2021-12-31T23:59:59Z' })).map((entry) => entry.action)).toEqual(['probe.second', 'probe%wild']);
    expect((await list({ from: '2021-03-01T08:00:00+08:00', to: '2022-01-01T00:00:00Z' })).map((entry) => entry.action)).toEqual(['probe.third', 'probe.second', 'probe%wild']);
    // Empty filters do not filter.
    expect((await list({ action: '', targetType: '', from: '' })).length).toBe((await list({})).length);
  });

  it('pages: the pages together are the whole list, the meta says how many', async () => {
    const whole = (await asAdmin().listOperationLogs({ pagination: { page: 1, pageSize: 100 } })).entries.map((entry) => entry.id);
    const first = await asAdmin().listOperationLogs({ pagination: { page: 1, pageSize: 3 } });
    const second = await asAdmin().listOperationLogs({ pagination: { page: 2, pageSize: 3 } });
    expect(first.meta).toMatchObject({ total: BigInt(whole.length), page: 1, pageSize: 3, totalPages: Math.ceil(whole.length / 3) });
    expect([...first.entries, ...second.entries].map((entry) => entry.id)).toEqual(whole.slice(0, 6));
    const beyond = await asAdmin().listOperationLogs({ pagination: { page: 99, pageSize: 3 } });
    expect(beyond.entries).toEqual([]);
  });

  it('refuses malformed filters naming the field, and writes nothing', async () => {
    const count = async (): Promise<number> => (await sql.query('select count(*)::int as n from operation_logs')).rows[0].n as number;
    const before = await count();
    await expectCode(asAdmin().listOperationLogs({ from: 'yesterday' }), Code.InvalidArgument, /^from must be an RFC3339 timestamp/);
    await expectCode(asAdmin().listOperationLogs({ to: '2021-02-30T00:00:00Z' }), Code.InvalidArgument, /^to must be an RFC3339 timestamp/);
    await expectCode(asAdmin().listOperationLogs({ from: '2022-01-01T00:00:00Z', to: '2021-01-01T00:00:00Z' }), Code.InvalidArgument, /^to must be after from/);
    await expectCode(asAdmin().listOperationLogs({ targetType: 'x'.repeat(65) }), Code.InvalidArgument, /^target_type must be at most 64 characters/);
    await expectCode(asAdmin().listOperationLogs({ action: 'x'.repeat(129) }), Code.InvalidArgument, /^action must be at most 128 characters/);
    await expectCode(asAdmin().listOperationLogs({ adminUsername: 'a\u0001b' }), Code.InvalidArgument, /^admin_username must not contain control characters/);
    await expectCode(asAdmin().listOperationLogs({ pagination: { page: 1, pageSize: 101 } }), Code.InvalidArgument, /^pagination.page_size/);
    expect(await count()).toBe(before);
  });

  it('is for admins and operators: customers are refused, anonymous callers asked to log in', async () => {
    const operatorAnswer = await integration(operatorToken).listOperationLogs({ targetType: 'ticket' });
    expect(operatorAnswer.entries.length).toBe(3);
    await expectCode(integration(customer.accessToken).listOperationLogs({}), Code.PermissionDenied, /administrators only/);
    await expectCode(integration().listOperationLogs({}), Code.Unauthenticated);
  });
});
