import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { AdminUser } from './admin-users.ts';
import { createdAt, updatedAt, uuidPrimaryKey } from './columns.ts';
import { CustomerUser } from './customer-users.ts';
import { Customer } from './customers.ts';

// Ticket states (pending → processing → resolved → closed) and priorities: the domain's lists.
import { TICKET_PRIORITIES, TICKET_STATUSES } from '../../domain/tickets/ticket.ts';
export { TICKET_PRIORITIES, TICKET_STATUSES, type TicketPriority, type TicketStatus } from '../../domain/tickets/ticket.ts';

/** Who wrote something: an admin user or a customer user. */
export const AUTHOR_TYPES = ['admin', 'customer'] as const;
/** One of {@link AUTHOR_TYPES}. */
export type AuthorType = (typeof AUTHOR_TYPES)[number];

/**
 * Table `tickets` (`TicketInfo`): support tickets. Customer-owned (`customerId` NOT NULL, deleted
 * with the customer).
 *
 * - `assigneeUserId`: the admin user handling it (ON DELETE SET NULL).
 * - `creatorUserId` + `creatorUserType`: who opened it — an `admin_users` id when an admin opened
 *   it for the customer, a `customer_users` id otherwise (no foreign key: it may be either table;
 *   both null when unknown). `TicketInfo.creator_user_id` carries the id.
 * - Primary key `(customer_id, id)` (Citus: distributed by `customer_id`), plain index on `id`.
 */
export const Ticket = defineEntity({
  name: 'Ticket',
  tableName: 'tickets',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade').primary(),
    id: uuidPrimaryKey(),
    title: p.string().length(255),
    description: p.text().default(''),
    status: p.enum(TICKET_STATUSES).default('pending'),
    priority: p.enum(TICKET_PRIORITIES).default('medium'),
    assigneeUserId: p
      .manyToOne(AdminUser)
      .mapToPk()
      .fieldName('assignee_user_id')
      .nullable()
      .deleteRule('set null'),
    creatorUserId: p.uuid().nullable(),
    creatorUserType: p.enum(AUTHOR_TYPES).nullable(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  primaryKeys: ['customerId', 'id'],
  indexes: [
    { name: 'tickets_id_index', properties: ['id'] },
    { name: 'tickets_customer_id_created_at_index', properties: ['customerId', 'createdAt'] },
    { name: 'tickets_status_created_at_index', properties: ['status', 'createdAt'] },
    { name: 'tickets_assignee_user_id_index', properties: ['assigneeUserId'] },
  ],
});
/** A row of `tickets`. */
export type Ticket = InferEntity<typeof Ticket>;

/**
 * Table `ticket_replies` (`TicketReplyInfo`), deleted with their ticket. Customer-owned:
 * `customerId` NOT NULL is always the ticket's customer (on the wire, `TicketReplyInfo.customer_id`
 * is empty for admin replies — map it from `authorType`).
 *
 * - `authorType` says who wrote it; `userId` is the admin author (ON DELETE SET NULL),
 *   `customerUserId` the customer user author, kept as a history reference without a foreign key
 *   (migration 0015: Citus cannot SET NULL a key containing the distribution column), so the
 *   reply outlives its author either way.
 * - Primary key `(customer_id, id)`, plain index on `id`; the ticket's foreign key is
 *   `(customer_id, ticket_id)`.
 * - `isInternal` replies are admin notes hidden from customers; CHECK: only admins write them.
 */
export const TicketReply = defineEntity({
  name: 'TicketReply',
  tableName: 'ticket_replies',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade').primary(),
    id: uuidPrimaryKey(),
    ticketId: p.uuid(),
    authorType: p.enum(AUTHOR_TYPES),
    userId: p.manyToOne(AdminUser).mapToPk().fieldName('user_id').nullable().deleteRule('set null'),
    customerUserId: p.uuid().nullable(),
    content: p.text(),
    isInternal: p.boolean().default(false),
    createdAt: createdAt(),
    /** The composite foreign key `(customer_id, ticket_id)`; never loaded: read `ticketId`. */
    ticket: p.manyToOne(Ticket).joinColumns('customer_id', 'ticket_id').foreignKeyName('ticket_replies_ticket_id_foreign').deleteRule('cascade').updateRule('no action').nullable(),
  },
  primaryKeys: ['customerId', 'id'],
  indexes: [
    { name: 'ticket_replies_id_index', properties: ['id'] },
    { name: 'ticket_replies_ticket_id_created_at_index', properties: ['ticketId', 'createdAt'] },
    { name: 'ticket_replies_customer_id_index', properties: ['customerId'] },
  ],
  checks: [{ name: 'ticket_replies_internal_check', expression: "not is_internal or author_type = 'admin'" }],
});
/** A row of `ticket_replies`. */
export type TicketReply = InferEntity<typeof TicketReply>;
