import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TicketView, Tickets } from '../../application/tickets/tickets.ts';
import { TicketService, type TicketInfoSchema, type TicketReplyInfoSchema } from '../../gen/rustbill/ticket_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { TicketReply } from '../../persistence/entities/tickets.ts';
import { optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/**
 * `TicketReplyInfo` of a reply: `user_id` is the admin author (empty for customer replies),
 * `customer_id` the customer for customer replies (empty for admin replies).
 */
export function ticketReplyInfo(reply: TicketReply): MessageInitShape<typeof TicketReplyInfoSchema> {
  return {
    id: reply.id,
    ticketId: reply.ticketId,
    userId: reply.authorType === 'admin' ? (reply.userId ?? '') : '',
    customerId: reply.authorType === 'customer' ? reply.customerId : '',
    content: reply.content,
    isInternal: reply.isInternal,
    createdAt: rfc3339(reply.createdAt),
  };
}

/** `TicketInfo` of a ticket and the replies its reader may see (empty ids for no assignee or creator). */
export function ticketInfo(view: TicketView): MessageInitShape<typeof TicketInfoSchema> {
  const { ticket } = view;
  return {
    id: ticket.id,
    customerId: ticket.customerId,
    title: ticket.title,
    description: ticket.description,
    status: ticket.status,
    priority: ticket.priority,
    assigneeUserId: ticket.assigneeUserId ?? '',
    creatorUserId: ticket.creatorUserId ?? '',
    createdAt: rfc3339(ticket.createdAt),
    updatedAt: rfc3339(ticket.updatedAt),
    replies: view.replies.map(ticketReplyInfo),
  };
}

/**
 * TicketService, all 6 RPCs (rustbill-docs.md): support tickets, their status machine, assignment
 * and replies. Who may see and do what is decided by src/application/tickets/tickets.ts over the
 * rules of src/domain/tickets/ticket.ts; this maps protobuf to it and back. In UpdateTicket an
 * `assignee_user_id` sent as `""` takes the ticket off its assignee.
 */
export function ticketHandlers(tickets: Tickets): ServiceHandlers<typeof TicketService> {
  return {
    async createTicket(request, call) {
      const customerId = optionalUuidField('customer_id', request.customerId);
      const created = await tickets.create(call, {
        ...(customerId !== undefined ? { customerId } : {}),
        title: request.title,
        description: request.description,
        priority: request.priority,
      });
      return { ticket: ticketInfo(created) };
    },

    async listTickets(request, call) {
      const page = resolvePage(request.pagination);
      const customerId = optionalUuidField('customer_id', request.customerId);
      const assigneeUserId = optionalUuidField('assignee_user_id', request.assigneeUserId);
      const { tickets: found, total } = await tickets.list(call, page, {
        ...(customerId !== undefined ? { customerId } : {}),
        ...(assigneeUserId !== undefined ? { assigneeUserId } : {}),
        ...(request.status !== undefined ? { status: request.status } : {}),
        ...(request.priority !== undefined ? { priority: request.priority } : {}),
      });
      return { tickets: found.map(ticketInfo), meta: pageMeta(page, total) };
    },

    async getTicket(request, call) {
      return { ticket: ticketInfo(await tickets.get(call, uuidField('id', request.id))) };
    },

    async updateTicket(request, call) {
      const id = uuidField('id', request.id);
      const assignee = request.assigneeUserId;
      const updated = await tickets.update(call, id, {
        ...(request.status !== undefined ? { status: request.status } : {}),
        ...(request.priority !== undefined ? { priority: request.priority } : {}),
        ...(request.description !== undefined ? { description: request.description } : {}),
        ...(assignee !== undefined ? { assigneeUserId: assignee === '' ? null : uuidField('assignee_user_id', assignee) } : {}),
      });
      return { ticket: ticketInfo(updated) };
    },

    async createReply(request, call) {
      const reply = await tickets.reply(call, uuidField('ticket_id', request.ticketId), { content: request.content, isInternal: request.isInternal });
      return { reply: ticketReplyInfo(reply) };
    },

    async deleteTicket(request, call) {
      await tickets.remove(call, uuidField('id', request.id));
      return {};
    },
  };
}
