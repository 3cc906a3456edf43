/** Ticket pieces shared by the list and the ticket screen: the status badge and "waiting for you". */
import { useTranslation } from 'react-i18next';
import type { TicketInfo } from '../../../../../src/gen/rustbill/ticket_pb.ts';

const TONE: Record<string, string> = { pending: 'blue', processing: 'blue', resolved: 'green', closed: 'grey' };

/**
 * True when support answered last and the ticket is still open: the customer's turn. The server
 * has no such status (pending → processing → resolved → closed), so it is read from the replies
 * (an admin's reply has `user_id`; internal notes never reach a customer).
 */
export function waitingForCustomer(ticket: TicketInfo): boolean {
  const last = ticket.replies.at(-1);
  return (ticket.status === 'pending' || ticket.status === 'processing') && last !== undefined && last.userId !== '';
}

/** The ticket's status in words; "Waiting for your reply" when it is the customer's turn. */
export function TicketStatus({ ticket }: { ticket: TicketInfo }) {
  const { t, i18n } = useTranslation('tickets');
  if (waitingForCustomer(ticket)) return <span className="badge yellow waiting-badge" data-status="waiting_customer">{t('waiting')}</span>;
  const key = `tickets:status.${ticket.status}`;
  return <span className={`badge ${TONE[ticket.status] ?? ''}`} data-status={ticket.status}>{i18n.exists(key) ? t(`status.${ticket.status}`) : ticket.status}</span>;
}

/** A priority in words. */
export function PriorityName({ priority }: { priority: string }) {
  const { t, i18n } = useTranslation('tickets');
  return <span className={`priority priority-${priority}`}>{i18n.exists(`tickets:priority.${priority}`) ? t(`priority.${priority}`) : priority}</span>;
}
