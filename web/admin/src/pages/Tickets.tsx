/**
 * Tickets (issue 12): the queue — ListTickets filtered on the server by status, priority,
 * assignee and customer, one page at a time — and, at `tickets/<id>`, the ticket page
 * (./support/TicketDetail.tsx) where a ticket is assigned, moved along and answered.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Route, Routes } from 'react-router-dom';
import type { TicketInfo } from '../../../../src/gen/rustbill/ticket_pb.ts';
import { api } from '../api.ts';
import { useSession } from '../session.tsx';
import { Time } from '../../../shared/format.tsx';
import { DataTable, useServerList, type Column, type PageQuery } from '../../../shared/list.tsx';
import { staffName, useAdminUsers } from './support/admin-users.ts';
import TicketDetail from './support/TicketDetail.tsx';
import { badgeClass, TICKET_PRIORITIES, TICKET_STATUSES } from './support/ticket-strings.ts';
import './support/support.css';

/** The queue's filters; `''` means "any". */
interface QueueFilters {
  status: string;
  priority: string;
  assignee: string;
  customerId: string;
}

const NO_FILTERS: QueueFilters = { status: '', priority: '', assignee: '', customerId: '' };

/** One page of tickets as the server filters them (empty filters are not sent). */
async function loadTickets(query: PageQuery<QueueFilters>): Promise<{ rows: TicketInfo[]; total: number }> {
  const { filters } = query;
  const answer = await api.tickets.listTickets({
    pagination: { page: query.page, pageSize: query.pageSize },
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.priority ? { priority: filters.priority } : {}),
    ...(filters.assignee ? { assigneeUserId: filters.assignee } : {}),
    ...(filters.customerId.trim() ? { customerId: filters.customerId.trim() } : {}),
  });
  return { rows: answer.tickets, total: Number(answer.meta?.total ?? 0) };
}

/** The queue. */
function TicketQueue() {
  const { t } = useTranslation('tickets');
  const session = useSession();
  const staff = useAdminUsers();
  const list = useServerList(loadTickets, NO_FILTERS);
  const [draft, setDraft] = useState<QueueFilters>(NO_FILTERS);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    list.setFilters(draft);
  };
  const columns: Column<TicketInfo>[] = [
    { key: 'title', title: t('title'), render: (ticket) => <Link to={ticket.id} data-testid="ticket-link">{ticket.title}</Link> },
    { key: 'customer', title: t('customer'), render: (ticket) => <code title={ticket.customerId}>{ticket.customerId.slice(0, 8)}</code> },
    { key: 'status', title: t('status'), render: (ticket) => <span className={badgeClass(ticket.status)} data-testid="ticket-status">{t(`status_${ticket.status}`)}</span> },
    { key: 'priority', title: t('priority'), render: (ticket) => <span className={badgeClass(ticket.priority)}>{t(`priority_${ticket.priority}`)}</span> },
    { key: 'assignee', title: t('assignee'), render: (ticket) => ticket.assigneeUserId ? <span data-testid="ticket-assignee">{staffName(staff, ticket.assigneeUserId)}</span> : <span className="muted">{t('unassigned')}</span> },
    { key: 'created', title: t('created'), render: (ticket) => <Time value={ticket.createdAt} /> },
    { key: 'updated', title: t('updated'), render: (ticket) => <Time value={ticket.updatedAt} /> },
  ];
  return (
    <section>
      <h1>{t('queueTitle')}</h1>
      <form className="toolbar" onSubmit={apply} aria-label={t('queueTitle')}>
        <label className="field"><span>{t('status')}</span>
          <select name="status" value={draft.status} onChange={(event) => setDraft({ ...draft, status: event.target.value })}>
            <option value="">{t('anyStatus')}</option>
            {TICKET_STATUSES.map((status) => <option key={status} value={status}>{t(`status_${status}`)}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('priority')}</span>
          <select name="priority" value={draft.priority} onChange={(event) => setDraft({ ...draft, priority: event.target.value })}>
            <option value="">{t('anyPriority')}</option>
            {TICKET_PRIORITIES.map((priority) => <option key={priority} value={priority}>{t(`priority_${priority}`)}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('assignee')}</span>
          <select name="assignee" value={draft.assignee} onChange={(event) => setDraft({ ...draft, assignee: event.target.value })}>
            <option value="">{t('anyAssignee')}</option>
            {session.user && <option value={session.user.id}>{t('me')}</option>}
            {staff.users.filter((user) => user.id !== session.user?.id).map((user) => <option key={user.id} value={user.id}>{staffName(staff, user.id)}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('customerId')}</span>
          <input name="customerId" value={draft.customerId} placeholder="00000000-0000-…" onChange={(event) => setDraft({ ...draft, customerId: event.target.value })} />
        </label>
        <button type="submit" className="primary">{t('apply')}</button>
        <button type="button" onClick={() => { setDraft(NO_FILTERS); list.setFilters(NO_FILTERS); }}>{t('clear')}</button>
      </form>
      {staff.error && <div className="error" role="alert">{staff.error}</div>}
      <DataTable list={list} columns={columns} rowKey={(ticket) => ticket.id} testId="ticket-queue" />
    </section>
  );
}

/** The Tickets screen: the queue, and a ticket's page at `tickets/<id>`. */
export default function TicketsPage() {
  return (
    <Routes>
      <Route index element={<TicketQueue />} />
      <Route path=":id" element={<TicketDetail />} />
    </Routes>
  );
}
