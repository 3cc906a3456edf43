/**
 * The rules of support tickets (TicketService, rustbill-docs.md "TicketService" and handbook §6.6):
 * field validation, the status machine, who may see and do what, and the outbox events a change
 * emits. Pure: no I/O; every refusal is a DomainError naming the protobuf field.
 *
 * - **Status** moves one step forward only: pending → processing → resolved → closed. The spec
 *   draws no other edge (no skipping, no reopening): any other change is InvalidArgument naming
 *   both statuses. Asking for the status a ticket already has changes nothing.
 * - **Who.** Admin users (admin or operator) see and change every ticket. A customer (customer user
 *   or API key) creates tickets for its own customer, sees only its own tickets and replies to them;
 *   another customer's ticket does not exist for it (NotFound, the same answer as for a missing one).
 * - **Internal replies** (`is_internal`) are admin notes: only admins write them, and they are never
 *   shown to a customer.
 * - A **closed** ticket takes no more replies from customers (they open a new ticket); admins may
 *   still add notes and replies.
 */
import type { Caller } from '../identity/principal.ts';
import { DomainError, forbidden, invalid, notFound, refused } from '../errors.ts';

/** Ticket states in their order: pending → processing → resolved → closed. */
export const TICKET_STATUSES = ['pending', 'processing', 'resolved', 'closed'] as const;
/** One of {@link TICKET_STATUSES}. */
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** Ticket priorities; {@link DEFAULT_PRIORITY} when none is given. */
export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
/** One of {@link TICKET_PRIORITIES}. */
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
/** The priority of a ticket created without one (spec: 默认 "medium"). */
export const DEFAULT_PRIORITY: TicketPriority = 'medium';

/** Longest title (the `varchar(255)` column). */
export const MAX_TITLE_CHARS = 255;
/** Longest description (the request limit of `description`). */
export const MAX_DESCRIPTION_CHARS = 10_000;
/** Longest reply (the request limit of `content`). */
export const MAX_CONTENT_CHARS = 50_000;

/** Who acts on tickets, as these rules see a {@link Caller}. */
export type TicketActor =
  | { kind: 'admin'; userId: string; username: string }
  | { kind: 'customer'; customerId: string; /** The customer user, or null for an API key. */ customerUserId: string | null };

/**
 * The ticket actor of `caller`.
 * @throws DomainError unauthenticated for anonymous callers (the permission table lets none
 *   through; this keeps it so for any other caller of the service)
 */
export function ticketActor(caller: Caller): TicketActor {
  switch (caller.kind) {
    case 'admin':
      return { kind: 'admin', userId: caller.userId, username: caller.username };
    case 'customer':
      return { kind: 'customer', customerId: caller.customerId, customerUserId: caller.userId };
    case 'apikey':
      return { kind: 'customer', customerId: caller.customerId, customerUserId: null };
    case 'anonymous':
      throw new DomainError('unauthenticated', 'tickets require you to log in');
  }
}

/**
 * A ticket's title as stored: trimmed, required, at most {@link MAX_TITLE_CHARS} characters.
 * @throws DomainError invalid_argument naming `title`
 */
export function ticketTitle(value: string): string {
  const title = value.trim();
  if (title === '') throw invalid('title is required');
  if (title.length > MAX_TITLE_CHARS) throw invalid(`title must be at most ${MAX_TITLE_CHARS} characters after trimming, got ${title.length}`);
  return title;
}

/**
 * A ticket's description as stored: trimmed, required (the spec marks it 必填), at most
 * {@link MAX_DESCRIPTION_CHARS} characters.
 * @throws DomainError invalid_argument naming `description`
 */
export function ticketDescription(value: string): string {
  const description = value.trim();
  if (description === '') throw invalid('description is required: say what the problem is');
  if (description.length > MAX_DESCRIPTION_CHARS) throw invalid(`description must be at most ${MAX_DESCRIPTION_CHARS} characters, got ${description.length}`);
  return description;
}

/**
 * A reply's content as stored: trimmed, required, at most {@link MAX_CONTENT_CHARS} characters.
 * @throws DomainError invalid_argument naming `content`
 */
export function replyContent(value: string): string {
  const content = value.trim();
  if (content === '') throw invalid('content is required: a reply cannot be empty');
  if (content.length > MAX_CONTENT_CHARS) throw invalid(`content must be at most ${MAX_CONTENT_CHARS} characters, got ${content.length}`);
  return content;
}

function listOf(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}

function shown(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

/** True when `value` is a {@link TicketStatus}. */
export function isTicketStatus(value: string): value is TicketStatus {
  return (TICKET_STATUSES as readonly string[]).includes(value);
}

/** True when `value` is a {@link TicketPriority}. */
export function isTicketPriority(value: string): value is TicketPriority {
  return (TICKET_PRIORITIES as readonly string[]).includes(value);
}

/**
 * A status field (`status`): undefined or `''` mean "not given".
 * @throws DomainError invalid_argument naming `field` and listing the statuses
 */
export function parseStatus(field: string, value: string | undefined): TicketStatus | undefined {
  if (value === undefined || value === '') return undefined;
  if (isTicketStatus(value)) return value;
  throw invalid(`${field} must be one of ${listOf(TICKET_STATUSES)}, got "${shown(value)}"`);
}

/**
 * A priority field (`priority`): undefined or `''` mean "not given".
 * @throws DomainError invalid_argument naming `field` and listing the priorities
 */
export function parsePriority(field: string, value: string | undefined): TicketPriority | undefined {
  if (value === undefined || value === '') return undefined;
  if (isTicketPriority(value)) return value;
  throw invalid(`${field} must be one of ${listOf(TICKET_PRIORITIES)}, got "${shown(value)}"`);
}

/** The status a ticket in `status` may move to, or null when it is final (closed). */
export function nextStatus(status: TicketStatus): TicketStatus | null {
  const index = TICKET_STATUSES.indexOf(status);
  return TICKET_STATUSES[index + 1] ?? null;
}

/**
 * Checks a status change: `to` must be `from` (no change) or the one status after it.
 * @returns whether the status changes
 * @throws DomainError invalid_argument naming both statuses and what `from` may become
 */
export function checkTransition(from: TicketStatus, to: TicketStatus): boolean {
  if (from === to) return false;
  const next = nextStatus(from);
  if (to === next) return true;
  const allowed = next === null ? `"${from}" is final` : `"${from}" may only become "${next}"`;
  throw invalid(`status: a ticket cannot go from "${from}" to "${to}"; ${allowed} (pending → processing → resolved → closed)`);
}

/**
 * The customer a new ticket is for: a customer's own; for an admin the `customer_id` it named.
 * @throws DomainError invalid_argument when an admin names none; permission_denied when a customer
 *   names another customer
 */
export function ticketCustomer(actor: TicketActor, requested: string | undefined): string {
  if (actor.kind === 'customer') {
    if (requested !== undefined && requested !== actor.customerId.toLowerCase()) {
      throw forbidden('customer_id: you may only open tickets for your own customer account');
    }
    return actor.customerId;
  }
  if (requested === undefined) throw invalid('customer_id is required: name the customer the ticket is for');
  return requested;
}

/** The fields of a ticket these rules look at. */
export interface TicketAccess {
  id: string;
  customerId: string;
  status: TicketStatus;
}

/** True when `actor` may see `ticket` (admins every ticket, a customer its own). */
export function maySee(actor: TicketActor, ticket: Pick<TicketAccess, 'customerId'>): boolean {
  return actor.kind === 'admin' || actor.customerId.toLowerCase() === ticket.customerId.toLowerCase();
}

/**
 * Refuses a ticket `actor` may not see, with the same answer as a missing one (so a customer learns
 * nothing about other customers' tickets).
 * @throws DomainError not_found
 */
export function requireVisible<T extends Pick<TicketAccess, 'customerId'>>(actor: TicketActor, ticket: T | null, id: string): asserts ticket is T {
  if (ticket === null || !maySee(actor, ticket)) throw notFound(`ticket ${id} does not exist`);
}

/** True when `actor` may read replies marked internal. */
export function maySeeInternal(actor: TicketActor): boolean {
  return actor.kind === 'admin';
}

/** The replies of `replies` that `actor` may read: customers never get internal ones. Keeps the order. */
export function visibleReplies<R extends { isInternal: boolean }>(actor: TicketActor, replies: readonly R[]): R[] {
  return maySeeInternal(actor) ? [...replies] : replies.filter((reply) => !reply.isInternal);
}

/**
 * Checks a reply before it is written: only admins write internal notes; customers may not reply to
 * a closed ticket.
 * @throws DomainError permission_denied (internal note by a customer), failed_precondition (closed)
 */
export function checkReply(actor: TicketActor, ticket: Pick<TicketAccess, 'status'>, isInternal: boolean): void {
  if (isInternal && actor.kind !== 'admin') throw forbidden('is_internal: only administrators may write internal notes');
  if (actor.kind === 'customer' && ticket.status === 'closed') {
    throw refused('the ticket is closed and takes no more replies; open a new ticket (CreateTicket)');
  }
}

/** An admin user as an outbox event names it. */
export interface AdminUserRef {
  id: string;
  username: string;
  email: string;
}

/**
 * Payload of the `ticket_assigned` outbox event: written when a ticket's assignee changes, to tell
 * the old and the new assignee (spec 系统事件通知: 新旧处理人). Either side is null when the ticket
 * was unassigned before, or is unassigned by the change.
 */
export interface TicketAssignedPayload {
  ticket_id: string;
  title: string;
  old_assignee: AdminUserRef | null;
  new_assignee: AdminUserRef | null;
}

/**
 * Payload of the `ticket_replied` outbox event: written for every public (not internal) reply, to
 * tell the ticket's creator (spec 系统事件通知: 工单创建者). `recipient_email` is the creator's
 * e-mail: the customer user's or the admin's who opened it; for a ticket opened through an API key
 * (or whose creator is gone) the customer's own e-mail. It is `''` when none is known.
 * `author_type` and `author_id` (admin user or customer user id, `''` for an API key) say who
 * replied, so a notifier can skip telling creators about their own replies.
 */
export interface TicketRepliedPayload {
  ticket_id: string;
  title: string;
  reply_id: string;
  author_type: 'admin' | 'customer';
  author_id: string;
  recipient_type: 'admin' | 'customer';
  recipient_email: string;
}

/** The outbox event types tickets emit. */
export const TICKET_EVENT_TYPES = { assigned: 'ticket_assigned', replied: 'ticket_replied' } as const;

/**
 * The `ticket_assigned` payload of a change of assignee, or null when the assignee stays the same.
 */
export function assignmentEvent(ticket: { id: string; title: string }, from: AdminUserRef | null, to: AdminUserRef | null): TicketAssignedPayload | null {
  if ((from?.id ?? null) === (to?.id ?? null)) return null;
  return { ticket_id: ticket.id, title: ticket.title, old_assignee: from, new_assignee: to };
}
