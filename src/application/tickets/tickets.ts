/**
 * Support tickets (TicketService): customers open tickets for their own customer and reply to them;
 * admins see every ticket, move it along pending → processing → resolved → closed, set its
 * priority and assignee, write public replies and internal notes, and delete tickets. The rules are
 * src/domain/tickets/ticket.ts; this service runs each use case in one transaction:
 *
 * - a change by an admin writes its `operation_logs` row (before/after) in that transaction;
 * - a change of assignee writes a `ticket_assigned` outbox event, a public reply a `ticket_replied`
 *   event (`event_queue`, status pending, the ticket's customer, no order), in that transaction, so
 *   the notifiers hear of exactly the changes that were committed, once each;
 * - the ticket row is locked (`FOR UPDATE`) by every change, so two admins' status changes or a
 *   close and a customer's reply are serialised and each is checked against the state it changes.
 *
 * Tickets are customer-owned data but not a customer's money or orders: they need no actor
 * (ARCHITECTURE.md, "Actors"); the customer row is only read.
 */
import { ForeignKeyConstraintViolationException, LockMode, type EntityManager, type FilterQuery, type MikroORM } from '@mikro-orm/postgresql';
import { forbidden, notFound, refused } from '../../domain/errors.ts';
import type { Origin } from '../../domain/origin.ts';
import type { Page } from '../../domain/pagination.ts';
import {
  assignmentEvent,
  checkReply,
  checkTransition,
  DEFAULT_PRIORITY,
  maySeeInternal,
  parsePriority,
  parseStatus,
  replyContent,
  requireVisible,
  TICKET_EVENT_TYPES,
  ticketActor,
  ticketCustomer,
  ticketDescription,
  ticketTitle,
  type AdminUserRef,
  type TicketActor,
  type TicketRepliedPayload,
} from '../../domain/tickets/ticket.ts';
import { AdminUser } from '../../persistence/entities/admin-users.ts';
import { Customer } from '../../persistence/entities/customers.ts';
import { OutboxEvent } from '../../persistence/entities/event-queue.ts';
import { Ticket, TicketReply } from '../../persistence/entities/tickets.ts';
import { newId } from '../../lib/ids.ts';
import { changedFields, recordAudit } from '../audit.ts';

/** A ticket with the replies its reader may see, oldest first. */
export interface TicketView {
  ticket: Ticket;
  replies: TicketReply[];
}

/** CreateTicket's input (ids already checked to be UUIDs, lowercase). */
export interface TicketInput {
  /** The customer (admins name it; a customer's own is used, naming another is refused). */
  customerId?: string;
  title: string;
  description: string;
  /** `low` / `medium` / `high` / `urgent`; undefined or `''` for `medium`. */
  priority?: string;
}

/** ListTickets' filters (ids already checked to be UUIDs, lowercase); all optional. */
export interface TicketFilter {
  /** Admins only: a customer's tickets (customers always get their own). */
  customerId?: string;
  status?: string;
  priority?: string;
  assigneeUserId?: string;
}

/** UpdateTicket's input: only the fields set change. */
export interface TicketUpdate {
  status?: string;
  priority?: string;
  /** An admin user's id; null takes the ticket off its assignee. */
  assigneeUserId?: string | null;
  description?: string;
}

/** CreateReply's input. */
export interface ReplyInput {
  content: string;
  isInternal: boolean;
}

const AUDIT_FIELDS = ['title', 'description', 'status', 'priority', 'assigneeUserId'] as const;

function snapshot(ticket: Ticket): Record<(typeof AUDIT_FIELDS)[number], unknown> {
  return { title: ticket.title, description: ticket.description, status: ticket.status, priority: ticket.priority, assigneeUserId: ticket.assigneeUserId ?? null };
}

/** Newest tickets first; replies oldest first (ids are UUID v7, so they break ties in time order). */
const TICKET_ORDER = { createdAt: 'desc', id: 'desc' } as const;
const REPLY_ORDER = { createdAt: 'asc', id: 'asc' } as const;

function requireAdmin(actor: TicketActor, what: string): asserts actor is Extract<TicketActor, { kind: 'admin' }> {
  if (actor.kind !== 'admin') throw forbidden(`${what} is for administrators only`);
}

function adminRef(user: AdminUser): AdminUserRef {
  return { id: user.id, username: user.username, email: user.email };
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class Tickets {
  private readonly orm: MikroORM;

  constructor(deps: { orm: MikroORM }) {
    this.orm = deps.orm;
  }

  /**
   * Opens a ticket (CreateTicket), status pending.
   * @throws DomainError invalid_argument (title, description, priority, customer_id missing for an
   *   admin), permission_denied (a customer naming another customer), not_found (customer)
   */
  async create(origin: Origin, input: TicketInput): Promise<TicketView> {
    const actor = ticketActor(origin.caller);
    const customerId = ticketCustomer(actor, input.customerId);
    const title = ticketTitle(input.title);
    const description = ticketDescription(input.description);
    const priority = parsePriority('priority', input.priority) ?? DEFAULT_PRIORITY;
    return this.inTransaction(async (tx) => {
      if ((await tx.count(Customer, { id: customerId })) === 0) throw notFound(`customer_id: customer ${customerId} does not exist`);
      const ticket = tx.create(Ticket, {
        customerId,
        title,
        description,
        status: 'pending',
        priority,
        assigneeUserId: null,
        creatorUserId: actor.kind === 'admin' ? actor.userId : actor.customerUserId,
        creatorUserType: actor.kind === 'admin' ? 'admin' : actor.customerUserId === null ? null : 'customer',
      });
      if (actor.kind === 'admin') {
        recordAudit(tx, origin, { action: 'ticket.create', targetType: 'ticket', targetId: ticket.id, details: { customerId, after: snapshot(ticket) } });
      }
      return { ticket, replies: [] };
    }, `customer ${customerId} does not exist`);
  }

  /**
   * A page of tickets, newest first, each with the replies the caller may see (ListTickets).
   * Customers get only their own tickets, whatever the filter says.
   * @throws DomainError invalid_argument (status, priority)
   */
  async list(origin: Origin, page: Page, filter: TicketFilter): Promise<{ tickets: TicketView[]; total: number }> {
    const actor = ticketActor(origin.caller);
    const status = parseStatus('status', filter.status);
    const priority = parsePriority('priority', filter.priority);
    const where: FilterQuery<Ticket> = {
      ...(actor.kind === 'customer' ? { customerId: actor.customerId } : filter.customerId !== undefined ? { customerId: filter.customerId } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(filter.assigneeUserId !== undefined ? { assigneeUserId: filter.assigneeUserId } : {}),
    };
    const em = this.orm.em.fork();
    const [tickets, total] = await em.findAndCount(Ticket, where, { orderBy: TICKET_ORDER, limit: page.pageSize, offset: page.offset });
    const replies = await this.repliesOf(em, actor, tickets.map((ticket) => ticket.id));
    return { tickets: tickets.map((ticket) => ({ ticket, replies: replies.get(ticket.id) ?? [] })), total };
  }

  /**
   * One ticket with the replies the caller may see (GetTicket): internal notes for admins only.
   * @throws DomainError not_found (missing, or another customer's)
   */
  async get(origin: Origin, id: string): Promise<TicketView> {
    const actor = ticketActor(origin.caller);
    const em = this.orm.em.fork();
    const ticket = await em.findOne(Ticket, { id });
    requireVisible(actor, ticket, id);
    return { ticket, replies: (await this.repliesOf(em, actor, [id])).get(id) ?? [] };
  }

  /**
   * Changes a ticket (UpdateTicket, admins): status one step along the status machine, priority,
   * assignee (an admin user; null unassigns), description. A new assignee writes `ticket_assigned`.
   * Nothing set, or nothing different, changes nothing (no audit row, no event).
   * @throws DomainError permission_denied (not an admin), invalid_argument (status transition,
   *   status, priority, description), not_found (ticket, assignee), failed_precondition
   *   (assignee deactivated)
   */
  async update(origin: Origin, id: string, update: TicketUpdate): Promise<TicketView> {
    const actor = ticketActor(origin.caller);
    requireAdmin(actor, 'UpdateTicket');
    const status = parseStatus('status', update.status);
    const priority = parsePriority('priority', update.priority);
    const description = update.description !== undefined ? ticketDescription(update.description) : undefined;
    return this.inTransaction(async (tx) => {
      const ticket = await tx.findOne(Ticket, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!ticket) throw notFound(`ticket ${id} does not exist`);
      const before = snapshot(ticket);
      if (status !== undefined && checkTransition(ticket.status, status)) ticket.status = status;
      if (priority !== undefined) ticket.priority = priority;
      if (description !== undefined) ticket.description = description;
      if (update.assigneeUserId !== undefined && update.assigneeUserId !== (ticket.assigneeUserId ?? null)) {
        const next = update.assigneeUserId === null ? null : await this.assignee(tx, update.assigneeUserId);
        const previous = ticket.assigneeUserId ? await tx.findOne(AdminUser, { id: ticket.assigneeUserId }) : null;
        const event = assignmentEvent(ticket, previous ? adminRef(previous) : null, next ? adminRef(next) : null);
        ticket.assigneeUserId = next?.id ?? null;
        if (event) this.emit(tx, ticket, TICKET_EVENT_TYPES.assigned, { ...event });
      }
      const changes = changedFields(before, snapshot(ticket), AUDIT_FIELDS);
      if (Object.keys(changes).length > 0) {
        recordAudit(tx, origin, { action: 'ticket.update', targetType: 'ticket', targetId: ticket.id, details: { customerId: ticket.customerId, changes } });
      }
      return { ticket, replies: (await this.repliesOf(tx, actor, [id])).get(id) ?? [] };
    }, `the ticket's assignee does not exist`);
  }

  /**
   * Adds a reply (CreateReply): customers to their own tickets (not once closed), admins to any,
   * internal notes by admins only. A public reply writes `ticket_replied` for the ticket's creator.
   * @throws DomainError invalid_argument (content), not_found (missing, or another customer's),
   *   permission_denied (internal note by a customer), failed_precondition (customer, closed ticket)
   */
  async reply(origin: Origin, ticketId: string, input: ReplyInput): Promise<TicketReply> {
    const actor = ticketActor(origin.caller);
    const content = replyContent(input.content);
    return this.inTransaction(async (tx) => {
      const ticket = await tx.findOne(Ticket, { id: ticketId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      requireVisible(actor, ticket, ticketId);
      checkReply(actor, ticket, input.isInternal);
      const reply = tx.create(TicketReply, {
        ticketId,
        customerId: ticket.customerId,
        authorType: actor.kind,
        userId: actor.kind === 'admin' ? actor.userId : null,
        customerUserId: actor.kind === 'customer' ? actor.customerUserId : null,
        content,
        isInternal: input.isInternal,
      });
      ticket.updatedAt = new Date();
      if (!input.isInternal) {
        const payload: TicketRepliedPayload = {
          ticket_id: ticket.id,
          title: ticket.title,
          reply_id: reply.id,
          author_type: actor.kind,
          author_id: actor.kind === 'admin' ? actor.userId : (actor.customerUserId ?? ''),
          ...(await this.creatorRecipient(tx, ticket)),
        };
        this.emit(tx, ticket, TICKET_EVENT_TYPES.replied, { ...payload });
      }
      if (actor.kind === 'admin') {
        recordAudit(tx, origin, {
          action: 'ticket.reply', targetType: 'ticket', targetId: ticket.id,
          details: { customerId: ticket.customerId, replyId: reply.id, isInternal: input.isInternal },
        });
      }
      return reply;
    }, `ticket ${ticketId} does not exist`);
  }

  /**
   * Deletes a ticket and its replies (DeleteTicket, admins); the audit row keeps what it was.
   * @throws DomainError permission_denied (not an admin), not_found
   */
  async remove(origin: Origin, id: string): Promise<void> {
    const actor = ticketActor(origin.caller);
    requireAdmin(actor, 'DeleteTicket');
    await this.inTransaction(async (tx) => {
      const ticket = await tx.findOne(Ticket, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!ticket) throw notFound(`ticket ${id} does not exist`);
      const replies = await tx.count(TicketReply, { ticketId: id });
      recordAudit(tx, origin, {
        action: 'ticket.delete', targetType: 'ticket', targetId: id,
        details: { customerId: ticket.customerId, before: snapshot(ticket), replies },
      });
      tx.remove(ticket);
    }, `ticket ${id} does not exist`);
  }

  /** The replies of `ticketIds` that `actor` may see, per ticket, oldest first (one query). */
  private async repliesOf(em: EntityManager, actor: TicketActor, ticketIds: readonly string[]): Promise<Map<string, TicketReply[]>> {
    const byTicket = new Map<string, TicketReply[]>(ticketIds.map((id) => [id, []]));
    if (ticketIds.length === 0) return byTicket;
    const where: FilterQuery<TicketReply> = maySeeInternal(actor) ? { ticketId: { $in: [...ticketIds] } } : { ticketId: { $in: [...ticketIds] }, isInternal: false };
    for (const reply of await em.find(TicketReply, where, { orderBy: REPLY_ORDER })) byTicket.get(reply.ticketId)?.push(reply);
    return byTicket;
  }

  /**
   * The admin user `id` as a ticket's new assignee.
   * @throws DomainError not_found (no such admin user), failed_precondition (deactivated)
   */
  private async assignee(tx: EntityManager, id: string): Promise<AdminUser> {
    const user = await tx.findOne(AdminUser, { id });
    if (!user) throw notFound(`assignee_user_id: admin user ${id} does not exist (tickets are assigned to admin users)`);
    if (!user.isActive) throw refused(`assignee_user_id: admin user ${user.username} is deactivated`);
    return user;
  }

  /**
   * Who hears of a public reply: the ticket's creator — the customer user or the admin who opened
   * it; for tickets opened through an API key, or whose creator is gone, the customer's e-mail.
   */
  private async creatorRecipient(tx: EntityManager, ticket: Ticket): Promise<Pick<TicketRepliedPayload, 'recipient_type' | 'recipient_email'>> {
    const rows = await tx.getConnection().execute<Array<{ admin_email: string | null; user_email: string | null; customer_email: string | null }>>(
      `select (select email from admin_users where id = ? and ? = 'admin') as admin_email,
              (select email from customer_users where id = ? and customer_id = ? and ? = 'customer') as user_email,
              (select email from customers where id = ?) as customer_email`,
      [ticket.creatorUserId, ticket.creatorUserType, ticket.creatorUserId, ticket.customerId, ticket.creatorUserType, ticket.customerId],
      'all',
      tx.getTransactionContext(),
    );
    const row = rows[0];
    if (ticket.creatorUserType === 'admin') return { recipient_type: 'admin', recipient_email: row?.admin_email ?? '' };
    return { recipient_type: 'customer', recipient_email: row?.user_email ?? row?.customer_email ?? '' };
  }

  /** Adds an outbox event about `ticket` to the transaction (pending, the ticket's customer, no order). */
  private emit(tx: EntityManager, ticket: Ticket, eventType: string, payload: Record<string, unknown>): void {
    tx.create(OutboxEvent, { id: newId(), eventType, payload, status: 'pending', customerId: ticket.customerId, orderId: null });
  }

  /**
   * Runs `work` in one transaction (flushed once, at its end). A foreign key violation — the
   * customer, ticket or assignee deleted by someone else meanwhile — is NotFound with `missing`.
   */
  private async inTransaction<T>(work: (tx: EntityManager) => Promise<T>, missing: string): Promise<T> {
    try {
      return await this.orm.em.fork().transactional(work);
    } catch (error) {
      if (error instanceof ForeignKeyConstraintViolationException) throw notFound(missing);
      throw error;
    }
  }
}
