/**
 * TicketService end to end: a real cluster of two workers (outbox processing switched off, so the
 * events the service writes stay as written), called over native gRPC by the bootstrap admin, an
 * operator and two self-registered customers; tickets, replies, outbox events and audit rows read
 * from the database.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JsonValue } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { TicketService, type CreateTicketRequest, type TicketInfo } from '../../src/gen/rustbill/ticket_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer, type RegisteredCustomer } from '../support/customers.ts';
import { createTestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { callJson, grpcurlCommands } from '../support/grpcurl.ts';
import { REPO_ROOT, type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };
let sql: pg.Client;
let adminToken: string;
let adminId: string;
let operatorToken: string;
let operator: { id: string; username: string; email: string };
let alice: RegisteredCustomer;
let bob: RegisteredCustomer;

const tickets = (token?: string) => grpcClient(TicketService, server.url, token === undefined ? {} : bearer(token));
const asAdmin = () => tickets(adminToken);

type TicketFields = Partial<Omit<CreateTicketRequest, '$typeName' | '$unknown'>>;

/** A ticket opened by `token`'s caller. */
async function open(token: string, fields: TicketFields = {}): Promise<TicketInfo> {
  const { ticket } = await tickets(token).createTicket({ title: `Ticket ${newId().slice(-6)}`, description: 'SSH times out', ...fields });
  if (!ticket) throw new Error('CreateTicket answered without a ticket');
  return ticket;
}

async function auditRows(targetId: string): Promise<Array<{ action: string; admin_username: string; details: Record<string, unknown> }>> {
  const { rows } = await sql.query('select action, admin_username, details from operation_logs where target_id = $1 order by created_at, id', [targetId]);
  return rows;
}

async function events(ticketId: string, type?: string): Promise<Array<{ id: string; event_type: string; payload: Record<string, unknown>; status: string; customer_id: string | null; order_id: string | null }>> {
  const { rows } = await sql.query(
    `select id, event_type, payload, status, customer_id, order_id from event_queue
      where payload->>'ticket_id' = $1 and ($2::text is null or event_type = $2) order by created_at, id`,
    [ticketId, type ?? null],
  );
  return rows;
}

/** Row counts and a digest of every ticket's fields, to show that a refused call changed nothing. */
async function state(): Promise<Record<string, unknown>> {
  const { rows } = await sql.query(`select (select count(*)::int from tickets) as tickets, (select count(*)::int from ticket_replies) as replies,
    (select count(*)::int from event_queue) as events, (select count(*)::int from operation_logs) as audit,
    (select coalesce(string_agg(md5(t::text), ',' order by id), '') from tickets t) as digest`);
  return rows[0];
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2, config: { jobs: { enabled: false } } });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const identity = grpcClient(IdentityService, server.url);
  adminToken = (await identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  adminId = (await sql.query("select id from admin_users where username = 'admin'")).rows[0].id;
  await sql.query("update admin_users set email = 'admin@nodebill.example' where id = $1", [adminId]);
  operator = { id: newId(), username: 'olivia', email: 'olivia@nodebill.example' };
  await sql.query("insert into admin_users (id, username, email, password_hash, role) values ($1, $2, $3, $4, 'operator')", [
    operator.id, operator.username, operator.email, await hashPassword('Olivia-Pass-1', 4),
  ]);
  operatorToken = (await identity.login({ username: 'olivia', password: 'Olivia-Pass-1', userType: 'admin' })).accessToken;
  alice = await registerCustomer(server, { prefix: 'alice' });
  bob = await registerCustomer(server, { prefix: 'bob' });
});

afterAll(async () => {
  await sql?.end();
  await server?.stop();
  await db?.drop();
});

describe('creating, listing and reading tickets', () => {
  it('a customer opens a ticket for itself; an admin for a customer it names', async () => {
    const own = await open(alice.accessToken, { title: '  Server unreachable  ', description: ' VPS does not answer on SSH ' });
    expect(own).toMatchObject({
      customerId: alice.customerId, title: 'Server unreachable', description: 'VPS does not answer on SSH', status: 'pending',
      priority: 'medium', assigneeUserId: '', creatorUserId: alice.userId, replies: [],
    });
    expect(own.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // A customer naming its own customer is fine; no audit row for a customer's own ticket.
    expect((await open(alice.accessToken, { customerId: alice.customerId, priority: 'urgent' })).priority).toBe('urgent');
    expect(await auditRows(own.id)).toEqual([]);

    const forBob = await open(adminToken, { customerId: bob.customerId, priority: 'high' });
    expect(forBob).toMatchObject({ customerId: bob.customerId, priority: 'high', status: 'pending', creatorUserId: adminId });
    const audit = await auditRows(forBob.id);
    expect(audit.map((row) => row.action)).toEqual(['ticket.create']);
    expect(audit[0]).toMatchObject({ admin_username: 'admin', details: { customerId: bob.customerId, after: { status: 'pending', priority: 'high' } } });
  });

  it('refuses opening a ticket for another customer, for no customer, or for a missing one, changing nothing', async () => {
    const before = await state();
    await expectCode(tickets(alice.accessToken).createTicket({ customerId: bob.customerId, title: 't', description: 'd' }), Code.PermissionDenied, /customer_id/);
    await expectCode(asAdmin().createTicket({ title: 't', description: 'd' }), Code.InvalidArgument, /^customer_id is required/);
    await expectCode(asAdmin().createTicket({ customerId: newId(), title: 't', description: 'd' }), Code.NotFound, /^customer_id: customer .* does not exist/);
    await expectCode(tickets().createTicket({ title: 't', description: 'd' }), Code.Unauthenticated);
    expect(await state()).toEqual(before);
  });

  it('customers see only their own tickets: another customer\'s is NotFound, their lists hold only theirs', async () => {
    const bobs = await open(bob.accessToken);
    const alices = await open(alice.accessToken);
    await expectCode(tickets(alice.accessToken).getTicket({ id: bobs.id }), Code.NotFound, /does not exist/);
    await expectCode(tickets(alice.accessToken).getTicket({ id: newId() }), Code.NotFound, /does not exist/);
    expect((await tickets(bob.accessToken).getTicket({ id: bobs.id })).ticket?.id).toBe(bobs.id);

    const aliceList = await tickets(alice.accessToken).listTickets({ pagination: { page: 1, pageSize: 100 } });
    expect(aliceList.tickets.length).toBeGreaterThan(0);
    expect(aliceList.tickets.every((ticket) => ticket.customerId === alice.customerId)).toBe(true);
    expect(aliceList.tickets.map((ticket) => ticket.id)).toContain(alices.id);
    expect(aliceList.tickets.map((ticket) => ticket.id)).not.toContain(bobs.id);
    await expectCode(tickets(alice.accessToken).listTickets({ customerId: bob.customerId }), Code.PermissionDenied);

    const all = await asAdmin().listTickets({ pagination: { page: 1, pageSize: 100 } });
    const { rows } = await sql.query('select id from tickets order by created_at desc, id desc');
    expect(all.tickets.map((ticket) => ticket.id)).toEqual(rows.map((row) => row.id));
    expect(new Set(all.tickets.map((ticket) => ticket.customerId))).toEqual(new Set([alice.customerId, bob.customerId]));
  });

  it('ListTickets filters by customer, status, priority and assignee, and pages', async () => {
    const customer = await registerCustomer(server, { prefix: 'carol' });
    const low = await open(customer.accessToken, { priority: 'low' });
    const high = await open(customer.accessToken, { priority: 'high' });
    const third = await open(customer.accessToken, { priority: 'high' });
    await asAdmin().updateTicket({ id: high.id, status: 'processing', assigneeUserId: operator.id });
    const ids = async (filter: Parameters<ReturnType<typeof asAdmin>['listTickets']>[0]) => (await asAdmin().listTickets(filter)).tickets.map((ticket) => ticket.id);

    expect(await ids({ customerId: customer.customerId })).toEqual([third.id, high.id, low.id]);
    expect(await ids({ customerId: customer.customerId, priority: 'high' })).toEqual([third.id, high.id]);
    expect(await ids({ customerId: customer.customerId, status: 'processing' })).toEqual([high.id]);
    expect(await ids({ customerId: customer.customerId, status: 'pending', priority: 'high' })).toEqual([third.id]);
    expect(await ids({ customerId: customer.customerId, assigneeUserId: operator.id })).toEqual([high.id]);
    expect((await tickets(customer.accessToken).listTickets({ priority: 'low' })).tickets.map((ticket) => ticket.id)).toEqual([low.id]);

    const page = await asAdmin().listTickets({ customerId: customer.customerId, pagination: { page: 2, pageSize: 2 } });
    expect(page.tickets.map((ticket) => ticket.id)).toEqual([low.id]);
    expect(page.meta).toMatchObject({ total: 3n, page: 2, pageSize: 2, totalPages: 2 });
    expect((await asAdmin().listTickets({ customerId: customer.customerId })).meta).toMatchObject({ total: 3n, page: 1, pageSize: 20 });
  });
});

describe('replies', () => {
  it('internal notes are shown to admins only: never in a customer\'s GetTicket or ListTickets', async () => {
    const ticket = await open(alice.accessToken);
    const fromCustomer = (await tickets(alice.accessToken).createReply({ ticketId: ticket.id, content: ' It still fails ', isInternal: false })).reply;
    const note = (await asAdmin().createReply({ ticketId: ticket.id, content: 'Host node 7 is overloaded', isInternal: true })).reply;
    const answer = (await tickets(operatorToken).createReply({ ticketId: ticket.id, content: 'We are on it', isInternal: false })).reply;
    expect(fromCustomer).toMatchObject({ ticketId: ticket.id, content: 'It still fails', isInternal: false, userId: '', customerId: alice.customerId });
    expect(note).toMatchObject({ isInternal: true, userId: adminId, customerId: '' });
    expect(answer).toMatchObject({ isInternal: false, userId: operator.id, customerId: '' });

    const seenByAdmin = (await asAdmin().getTicket({ id: ticket.id })).ticket?.replies.map((reply) => reply.id);
    expect(seenByAdmin).toEqual([fromCustomer?.id, note?.id, answer?.id]);
    const seenByCustomer = (await tickets(alice.accessToken).getTicket({ id: ticket.id })).ticket?.replies;
    expect(seenByCustomer?.map((reply) => reply.id)).toEqual([fromCustomer?.id, answer?.id]);
    expect(JSON.stringify(seenByCustomer)).not.toContain('overloaded');

    const listed = (await tickets(alice.accessToken).listTickets({ pagination: { page: 1, pageSize: 100 } })).tickets.find((entry) => entry.id === ticket.id);
    expect(listed?.replies.map((reply) => reply.id)).toEqual([fromCustomer?.id, answer?.id]);
    const filtered = (await tickets(alice.accessToken).listTickets({ status: 'pending', pagination: { page: 1, pageSize: 100 } })).tickets.find((entry) => entry.id === ticket.id);
    expect(filtered?.replies.some((reply) => reply.isInternal)).toBe(false);
    expect((await asAdmin().listTickets({ customerId: alice.customerId, pagination: { page: 1, pageSize: 100 } })).tickets.find((entry) => entry.id === ticket.id)?.replies.length).toBe(3);

    // Admin replies are audited; the customer's is not.
    expect((await auditRows(ticket.id)).map((row) => [row.action, row.details.isInternal])).toEqual([['ticket.reply', true], ['ticket.reply', false]]);
  });

  it('refuses internal notes by customers, replies to others\' tickets, and empty replies, changing nothing', async () => {
    const ticket = await open(alice.accessToken);
    const before = await state();
    await expectCode(tickets(alice.accessToken).createReply({ ticketId: ticket.id, content: 'psst', isInternal: true }), Code.PermissionDenied, /^is_internal/);
    await expectCode(tickets(bob.accessToken).createReply({ ticketId: ticket.id, content: 'hi', isInternal: false }), Code.NotFound);
    await expectCode(tickets(alice.accessToken).createReply({ ticketId: ticket.id, content: '   ', isInternal: false }), Code.InvalidArgument, /^content is required/);
    await expectCode(asAdmin().createReply({ ticketId: newId(), content: 'x', isInternal: false }), Code.NotFound);
    await expectCode(asAdmin().createReply({ ticketId: 'nope', content: 'x', isInternal: false }), Code.InvalidArgument, /^ticket_id "nope" is not a UUID/);
    await expectCode(tickets().createReply({ ticketId: ticket.id, content: 'x', isInternal: false }), Code.Unauthenticated);
    expect(await state()).toEqual(before);
  });
});

describe('the status machine', () => {
  it('moves pending → processing → resolved → closed, one step at a time, each step audited', async () => {
    const ticket = await open(alice.accessToken);
    for (const status of ['processing', 'resolved', 'closed']) {
      expect((await asAdmin().updateTicket({ id: ticket.id, status })).ticket?.status).toBe(status);
    }
    const audit = await auditRows(ticket.id);
    expect(audit.map((row) => row.details.changes)).toEqual([
      { status: { from: 'pending', to: 'processing' } },
      { status: { from: 'processing', to: 'resolved' } },
      { status: { from: 'resolved', to: 'closed' } },
    ]);
    // The same status again changes nothing and writes no audit row.
    expect((await asAdmin().updateTicket({ id: ticket.id, status: 'closed' })).ticket?.status).toBe('closed');
    expect(await auditRows(ticket.id)).toHaveLength(3);
  });

  it('refuses skipping, going back and reopening, naming both statuses, changing nothing', async () => {
    const pending = await open(alice.accessToken);
    const closed = await open(alice.accessToken);
    for (const status of ['processing', 'resolved', 'closed']) await asAdmin().updateTicket({ id: closed.id, status });
    const processing = await open(alice.accessToken);
    await asAdmin().updateTicket({ id: processing.id, status: 'processing' });
    const before = await state();
    await expectCode(asAdmin().updateTicket({ id: pending.id, status: 'resolved' }), Code.InvalidArgument, /^status: a ticket cannot go from "pending" to "resolved"; "pending" may only become "processing"/);
    await expectCode(asAdmin().updateTicket({ id: pending.id, status: 'closed' }), Code.InvalidArgument, /from "pending" to "closed"/);
    await expectCode(asAdmin().updateTicket({ id: processing.id, status: 'pending' }), Code.InvalidArgument, /from "processing" to "pending"/);
    await expectCode(asAdmin().updateTicket({ id: closed.id, status: 'pending' }), Code.InvalidArgument, /from "closed" to "pending"; "closed" is final/);
    await expectCode(asAdmin().updateTicket({ id: closed.id, status: 'processing', priority: 'low' }), Code.InvalidArgument, /"closed" is final/);
    await expectCode(asAdmin().updateTicket({ id: pending.id, status: 'done' }), Code.InvalidArgument, /^status must be one of "pending", "processing", "resolved", "closed", got "done"/);
    await expectCode(asAdmin().updateTicket({ id: pending.id, priority: 'critical' }), Code.InvalidArgument, /^priority must be one of "low", "medium", "high", "urgent"/);
    await expectCode(tickets(alice.accessToken).updateTicket({ id: pending.id, status: 'processing' }), Code.PermissionDenied);
    await expectCode(asAdmin().updateTicket({ id: newId(), status: 'processing' }), Code.NotFound);
    expect(await state()).toEqual(before);
  });

  it('a closed ticket takes no more replies from its customer; admins may still write', async () => {
    const ticket = await open(alice.accessToken);
    for (const status of ['processing', 'resolved']) await asAdmin().updateTicket({ id: ticket.id, status });
    await tickets(alice.accessToken).createReply({ ticketId: ticket.id, content: 'Thanks, works now', isInternal: false });
    await asAdmin().updateTicket({ id: ticket.id, status: 'closed' });
    await expectCode(tickets(alice.accessToken).createReply({ ticketId: ticket.id, content: 'One more thing', isInternal: false }), Code.FailedPrecondition, /closed/);
    await asAdmin().createReply({ ticketId: ticket.id, content: 'Closed after confirmation', isInternal: true });
    expect((await asAdmin().getTicket({ id: ticket.id })).ticket?.replies.map((reply) => reply.content)).toEqual(['Thanks, works now', 'Closed after confirmation']);
  });

  it('changes priority and description; only the fields sent', async () => {
    const ticket = await open(alice.accessToken, { priority: 'low', description: 'first words' });
    const updated = (await asAdmin().updateTicket({ id: ticket.id, priority: 'urgent' })).ticket;
    expect(updated).toMatchObject({ priority: 'urgent', description: 'first words', status: 'pending', assigneeUserId: '' });
    expect((await asAdmin().updateTicket({ id: ticket.id, description: ' better words ' })).ticket).toMatchObject({ priority: 'urgent', description: 'better words' });
    await expectCode(asAdmin().updateTicket({ id: ticket.id, description: '  ' }), Code.InvalidArgument, /^description is required/);
    expect((await auditRows(ticket.id)).map((row) => row.details.changes)).toEqual([
      { priority: { from: 'low', to: 'urgent' } },
      { description: { from: 'first words', to: 'better words' } },
    ]);
  });
});

describe('assignment and its events', () => {
  it('writes ticket_assigned once per change of assignee, with the old and the new admin, in the change\'s transaction', async () => {
    const ticket = await open(bob.accessToken);
    const assigned = (await asAdmin().updateTicket({ id: ticket.id, assigneeUserId: operator.id, status: 'processing' })).ticket;
    expect(assigned).toMatchObject({ assigneeUserId: operator.id, status: 'processing' });
    let written = await events(ticket.id, 'ticket_assigned');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      status: 'pending', customer_id: bob.customerId, order_id: null,
      payload: { ticket_id: ticket.id, title: ticket.title, old_assignee: null, new_assignee: { id: operator.id, username: 'olivia', email: 'olivia@nodebill.example' } },
    });
    expect(written[0]?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);

    // The same assignee again: no event, no audit row. Another one: an event naming both.
    const auditBefore = (await auditRows(ticket.id)).length;
    await asAdmin().updateTicket({ id: ticket.id, assigneeUserId: operator.id });
    expect(await events(ticket.id, 'ticket_assigned')).toHaveLength(1);
    expect(await auditRows(ticket.id)).toHaveLength(auditBefore);
    await tickets(operatorToken).updateTicket({ id: ticket.id, assigneeUserId: adminId });
    written = await events(ticket.id, 'ticket_assigned');
    expect(written.map((event) => event.payload)).toEqual([
      expect.anything(),
      { ticket_id: ticket.id, title: ticket.title, old_assignee: { id: operator.id, username: 'olivia', email: 'olivia@nodebill.example' }, new_assignee: { id: adminId, username: 'admin', email: 'admin@nodebill.example' } },
    ]);
    expect((await auditRows(ticket.id)).at(-1)).toMatchObject({ admin_username: 'olivia', details: { changes: { assigneeUserId: { from: operator.id, to: adminId } } } });

    // "" unassigns: the old assignee hears of it.
    expect((await asAdmin().updateTicket({ id: ticket.id, assigneeUserId: '' })).ticket?.assigneeUserId).toBe('');
    written = await events(ticket.id, 'ticket_assigned');
    expect(written).toHaveLength(3);
    expect(written[2]?.payload).toMatchObject({ old_assignee: { id: adminId }, new_assignee: null });
    // Nothing but assignments wrote events for this ticket.
    expect(await events(ticket.id)).toHaveLength(3);
  });

  it('concurrent identical changes are serialised on the ticket: one status step, one event, one audit row', async () => {
    const ticket = await open(alice.accessToken);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, index) =>
      (index % 2 === 0 ? asAdmin() : tickets(operatorToken)).updateTicket({ id: ticket.id, status: 'processing', assigneeUserId: operator.id })));
    expect(answers.map((answer) => [answer.ticket?.status, answer.ticket?.assigneeUserId])).toEqual(Array.from({ length: 6 }, () => ['processing', operator.id]));
    expect(await events(ticket.id, 'ticket_assigned')).toHaveLength(1);
    expect((await auditRows(ticket.id)).map((row) => row.details.changes)).toEqual([{ status: { from: 'pending', to: 'processing' }, assigneeUserId: { from: null, to: operator.id } }]);
  });

  it('assigns only active admin users; refusals change nothing', async () => {
    const ticket = await open(alice.accessToken);
    const inactive = newId();
    await sql.query("insert into admin_users (id, username, password_hash, role, is_active) values ($1, 'gone', 'x', 'operator', false)", [inactive]);
    const before = await state();
    await expectCode(asAdmin().updateTicket({ id: ticket.id, assigneeUserId: newId() }), Code.NotFound, /^assignee_user_id: admin user .* does not exist/);
    await expectCode(asAdmin().updateTicket({ id: ticket.id, assigneeUserId: alice.userId, status: 'processing' }), Code.NotFound, /^assignee_user_id/);
    await expectCode(asAdmin().updateTicket({ id: ticket.id, assigneeUserId: inactive }), Code.FailedPrecondition, /deactivated/);
    await expectCode(asAdmin().updateTicket({ id: ticket.id, assigneeUserId: 'olivia' }), Code.InvalidArgument, /^assignee_user_id "olivia" is not a UUID/);
    await expectCode(tickets(alice.accessToken).updateTicket({ id: ticket.id, assigneeUserId: operator.id }), Code.PermissionDenied);
    expect(await state()).toEqual(before);
  });

  it('writes ticket_replied once per public reply, for the ticket\'s creator, and none for internal notes', async () => {
    const byCustomer = await open(alice.accessToken);
    const adminReply = (await tickets(operatorToken).createReply({ ticketId: byCustomer.id, content: 'Please try again', isInternal: false })).reply;
    await asAdmin().createReply({ ticketId: byCustomer.id, content: 'internal only', isInternal: true });
    const customerReply = (await tickets(alice.accessToken).createReply({ ticketId: byCustomer.id, content: 'Tried', isInternal: false })).reply;
    const written = await events(byCustomer.id);
    expect(written.map((event) => event.event_type)).toEqual(['ticket_replied', 'ticket_replied']);
    expect(written[0]).toMatchObject({
      status: 'pending', customer_id: alice.customerId, order_id: null,
      payload: { ticket_id: byCustomer.id, title: byCustomer.title, reply_id: adminReply?.id, author_type: 'admin', author_id: operator.id, recipient_type: 'customer', recipient_email: alice.email },
    });
    expect(written[1]?.payload).toMatchObject({ reply_id: customerReply?.id, author_type: 'customer', author_id: alice.userId, recipient_email: alice.email });

    // A ticket an admin opened for the customer: its creator is the admin.
    const byAdmin = await open(adminToken, { customerId: bob.customerId });
    await tickets(bob.accessToken).createReply({ ticketId: byAdmin.id, content: 'Got it', isInternal: false });
    expect((await events(byAdmin.id)).map((event) => event.payload)).toEqual([
      expect.objectContaining({ author_type: 'customer', author_id: bob.userId, recipient_type: 'admin', recipient_email: 'admin@nodebill.example' }),
    ]);
  });
});

describe('validation and deletion', () => {
  it('refuses malformed tickets naming the field, changing nothing', async () => {
    const before = await state();
    const create = (fields: TicketFields) => tickets(alice.accessToken).createTicket({ title: 'ok', description: 'ok', ...fields });
    await expectCode(create({ title: '   ' }), Code.InvalidArgument, /^title is required/);
    await expectCode(create({ title: 'x'.repeat(256) }), Code.InvalidArgument, /title/);
    await expectCode(create({ description: '' }), Code.InvalidArgument, /^description is required/);
    await expectCode(create({ priority: 'asap' }), Code.InvalidArgument, /^priority must be one of "low", "medium", "high", "urgent", got "asap"/);
    await expectCode(create({ customerId: 'abc' }), Code.InvalidArgument, /^customer_id "abc" is not a UUID/);
    await expectCode(asAdmin().getTicket({ id: '' }), Code.InvalidArgument, /^id is required/);
    await expectCode(asAdmin().listTickets({ status: 'open' }), Code.InvalidArgument, /^status must be one of/);
    await expectCode(asAdmin().listTickets({ priority: 'x' }), Code.InvalidArgument, /^priority must be one of/);
    await expectCode(asAdmin().listTickets({ assigneeUserId: 'x' }), Code.InvalidArgument, /^assignee_user_id "x" is not a UUID/);
    await expectCode(asAdmin().listTickets({ pagination: { page: 1, pageSize: 101 } }), Code.InvalidArgument, /pagination\.page_size must be at most 100/);
    await expectCode(tickets().listTickets({}), Code.Unauthenticated);
    expect(await state()).toEqual(before);
  });

  it('DeleteTicket is for admins: the ticket and its replies go, the audit row keeps what it was', async () => {
    const ticket = await open(alice.accessToken, { title: 'Delete me' });
    await tickets(alice.accessToken).createReply({ ticketId: ticket.id, content: 'hello', isInternal: false });
    await asAdmin().createReply({ ticketId: ticket.id, content: 'note', isInternal: true });
    await expectCode(tickets(alice.accessToken).deleteTicket({ id: ticket.id }), Code.PermissionDenied, /administrators/);
    expect((await sql.query('select count(*)::int as n from tickets where id = $1', [ticket.id])).rows[0].n).toBe(1);

    await tickets(operatorToken).deleteTicket({ id: ticket.id });
    await expectCode(asAdmin().getTicket({ id: ticket.id }), Code.NotFound);
    expect((await sql.query('select count(*)::int as n from ticket_replies where ticket_id = $1', [ticket.id])).rows[0].n).toBe(0);
    expect((await auditRows(ticket.id)).at(-1)).toMatchObject({
      action: 'ticket.delete', admin_username: 'olivia', details: { customerId: alice.customerId, replies: 2, before: { title: 'Delete me', status: 'pending' } },
    });
    await expectCode(asAdmin().deleteTicket({ id: ticket.id }), Code.NotFound);
  });
});

describe('README', () => {
  it('the README\'s ticket examples succeed in order, each id taken from an earlier answer', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Tickets');
    expect(start).toBeGreaterThan(0);
    const commands = grpcurlCommands(readme.slice(start, readme.indexOf('\n## ', start + 1)));
    expect(commands.map((command) => command.path.split('/')[1])).toEqual([
      'CreateTicket', 'CreateTicket', 'ListTickets', 'GetTicket', 'UpdateTicket', 'CreateReply', 'CreateReply', 'GetTicket', 'UpdateTicket', 'DeleteTicket',
    ]);
    const tokens: Record<string, string> = { AUTH: adminToken, CUSTOMER_AUTH: alice.accessToken };
    const placeholders: Record<string, string> = { 'customer id': bob.customerId, 'admin user id': operator.id };
    const answers: JsonValue[] = [];
    for (const command of commands) {
      const header = command.headers.find((value) => value.startsWith('$'))?.slice(1) ?? '';
      const token = tokens[header];
      if (token === undefined) throw new Error(`${command.path} sends ${header}, which the test does not know`);
      const text = command.body.replace(/<([a-z ]+)>/g, (whole, name: string) => {
        const value = placeholders[name];
        if (value === undefined) throw new Error(`${command.path} uses ${whole} before an answer gave it`);
        return value;
      });
      const answer = await callJson(server.url, [TicketService], command.path, JSON.parse(text) as JsonValue, bearer(token));
      answers.push(answer);
      const ticket = answer !== null && typeof answer === 'object' && !Array.isArray(answer) ? answer.ticket : undefined;
      if (command.path.endsWith('/CreateTicket') && ticket !== null && typeof ticket === 'object' && !Array.isArray(ticket) && typeof ticket?.id === 'string') {
        placeholders['ticket id'] = ticket.id;
      }
    }
    expect(answers[1]).toMatchObject({ ticket: { customer_id: alice.customerId, priority: 'high', status: 'pending' } });
    expect(answers[4]).toMatchObject({ ticket: { status: 'processing', assignee_user_id: operator.id } });
    // The customer's GetTicket after an internal note and a public reply sees the public one only.
    // (JSON leaves out false booleans, as grpcurl does: the one reply shown has no is_internal.)
    expect((answers[7] as { ticket: { replies: unknown[] } }).ticket.replies).toEqual([expect.objectContaining({ content: 'We found the cause and are fixing it' })]);
    expect(answers[7]).not.toMatchObject({ ticket: { replies: [{ is_internal: true }] } });
    expect(answers[8]).toMatchObject({ ticket: { status: 'resolved' } });
    expect(answers[9]).toEqual({});
  });
});
