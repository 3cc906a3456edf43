import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import type { Caller } from '../../src/domain/identity/principal.ts';
import {
  assignmentEvent,
  checkReply,
  checkTransition,
  maySee,
  nextStatus,
  parsePriority,
  parseStatus,
  replyContent,
  requireVisible,
  TICKET_STATUSES,
  ticketActor,
  ticketCustomer,
  ticketDescription,
  ticketTitle,
  visibleReplies,
  type TicketActor,
  type TicketStatus,
} from '../../src/domain/tickets/ticket.ts';

const CUSTOMER = '0192a123-4567-7890-abcd-ef0123456789';
const OTHER = '0192a123-4567-7890-abcd-ef0123456780';
const admin: TicketActor = { kind: 'admin', userId: 'a1', username: 'admin' };
const customer: TicketActor = { kind: 'customer', customerId: CUSTOMER, customerUserId: 'u1' };

describe('the status machine', () => {
  it('allows exactly one step forward, and staying put', () => {
    const allowed: string[] = [];
    for (const from of TICKET_STATUSES) {
      for (const to of TICKET_STATUSES) {
        try {
          if (checkTransition(from, to)) allowed.push(`${from}→${to}`);
        } catch {
          // refused
        }
      }
    }
    expect(allowed).toEqual(['pending→processing', 'processing→resolved', 'resolved→closed']);
    for (const status of TICKET_STATUSES) expect(checkTransition(status, status)).toBe(false);
    expect(nextStatus('closed')).toBeNull();
    expect(nextStatus('pending')).toBe('processing');
  });

  it('names both statuses and the way forward when refusing', () => {
    const skip = refusal(() => checkTransition('pending', 'closed'));
    expect(skip.kind).toBe('invalid_argument');
    expect(skip.message).toBe('status: a ticket cannot go from "pending" to "closed"; "pending" may only become "processing" (pending → processing → resolved → closed)');
    expect(refusal(() => checkTransition('closed', 'pending')).message).toMatch(/from "closed" to "pending"; "closed" is final/);
    expect(refusal(() => checkTransition('resolved' as TicketStatus, 'processing')).message).toMatch(/"resolved" may only become "closed"/);
  });
});

describe('fields', () => {
  it('trims title, description and content and requires them', () => {
    expect(ticketTitle('  Down  ')).toBe('Down');
    expect(ticketTitle('x'.repeat(255))).toHaveLength(255);
    expect(refusal(() => ticketTitle(' ')).message).toBe('title is required');
    expect(refusal(() => ticketTitle('x'.repeat(256))).message).toMatch(/^title must be at most 255 characters/);
    expect(ticketDescription(' why ')).toBe('why');
    expect(refusal(() => ticketDescription('')).message).toMatch(/^description is required/);
    expect(replyContent('\n ok \n')).toBe('ok');
    expect(refusal(() => replyContent('  ')).message).toMatch(/^content is required/);
  });

  it('reads statuses and priorities, "" as not given, anything else refused with the list', () => {
    expect(parseStatus('status', 'resolved')).toBe('resolved');
    expect(parseStatus('status', '')).toBeUndefined();
    expect(parseStatus('status', undefined)).toBeUndefined();
    expect(refusal(() => parseStatus('status', 'Pending')).message).toBe('status must be one of "pending", "processing", "resolved", "closed", got "Pending"');
    expect(parsePriority('priority', 'urgent')).toBe('urgent');
    expect(parsePriority('priority', '')).toBeUndefined();
    expect(refusal(() => parsePriority('priority', 'critical')).message).toBe('priority must be one of "low", "medium", "high", "urgent", got "critical"');
  });
});

describe('who may see and do what', () => {
  it('maps callers to actors; API keys act as their customer without a user; anonymous is refused', () => {
    const caller: Caller = { kind: 'apikey', keyId: 'k', customerId: CUSTOMER };
    expect(ticketActor(caller)).toEqual({ kind: 'customer', customerId: CUSTOMER, customerUserId: null });
    expect(ticketActor({ kind: 'customer', userId: 'u1', username: 'c', customerId: CUSTOMER, tokenId: 't' })).toEqual(customer);
    expect(ticketActor({ kind: 'admin', userId: 'a1', username: 'admin', role: 'operator', sessionId: 's' })).toEqual(admin);
    expect(refusal(() => ticketActor({ kind: 'anonymous' })).kind).toBe('unauthenticated');
  });

  it('a ticket is for the customer\'s own account; an admin must name one', () => {
    expect(ticketCustomer(customer, undefined)).toBe(CUSTOMER);
    expect(ticketCustomer(customer, CUSTOMER)).toBe(CUSTOMER);
    expect(refusal(() => ticketCustomer(customer, OTHER)).kind).toBe('permission_denied');
    expect(ticketCustomer(admin, OTHER)).toBe(OTHER);
    expect(refusal(() => ticketCustomer(admin, undefined)).message).toMatch(/^customer_id is required/);
  });

  it('customers see their own tickets only, and another\'s is NotFound like a missing one', () => {
    expect(maySee(customer, { customerId: CUSTOMER.toUpperCase() })).toBe(true);
    expect(maySee(customer, { customerId: OTHER })).toBe(false);
    expect(maySee(admin, { customerId: OTHER })).toBe(true);
    const other = refusal(() => requireVisible(customer, { customerId: OTHER }, 't1'));
    const missing = refusal(() => requireVisible(customer, null, 't1'));
    expect([other.kind, other.message]).toEqual(['not_found', 'ticket t1 does not exist']);
    expect(missing.message).toBe(other.message);
  });

  it('hides internal replies from customers, keeping the order', () => {
    const replies = [{ id: 1, isInternal: false }, { id: 2, isInternal: true }, { id: 3, isInternal: false }];
    expect(visibleReplies(customer, replies).map((reply) => reply.id)).toEqual([1, 3]);
    expect(visibleReplies(admin, replies).map((reply) => reply.id)).toEqual([1, 2, 3]);
  });

  it('internal notes by admins only; closed tickets take no replies from customers', () => {
    expect(refusal(() => checkReply(customer, { status: 'pending' }, true)).kind).toBe('permission_denied');
    expect(refusal(() => checkReply(customer, { status: 'closed' }, false)).kind).toBe('failed_precondition');
    expect(() => checkReply(customer, { status: 'resolved' }, false)).not.toThrow();
    expect(() => checkReply(admin, { status: 'closed' }, true)).not.toThrow();
  });
});

describe('assignmentEvent', () => {
  const olivia = { id: 'o', username: 'olivia', email: 'o@x' };
  const admin1 = { id: 'a', username: 'admin', email: '' };
  it('is written for a change of assignee only, with both sides', () => {
    expect(assignmentEvent({ id: 't', title: 'T' }, null, olivia)).toEqual({ ticket_id: 't', title: 'T', old_assignee: null, new_assignee: olivia });
    expect(assignmentEvent({ id: 't', title: 'T' }, olivia, admin1)).toMatchObject({ old_assignee: olivia, new_assignee: admin1 });
    expect(assignmentEvent({ id: 't', title: 'T' }, olivia, null)).toMatchObject({ old_assignee: olivia, new_assignee: null });
    expect(assignmentEvent({ id: 't', title: 'T' }, olivia, { ...olivia })).toBeNull();
    expect(assignmentEvent({ id: 't', title: 'T' }, null, null)).toBeNull();
  });
});
