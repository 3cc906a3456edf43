/**
 * The customer's support tickets (`/tickets`; README "Tickets"): TicketService/ListTickets (the
 * server answers the caller's own, internal notes left out), newest first, a status filter and
 * pages; tickets where support answered last are marked "Waiting for your reply".
 */
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { TicketInfo } from '../../../../../src/gen/rustbill/ticket_pb.ts';
import { api } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { PageTitle } from '../../ui/page.tsx';
import { useServerList, type PageQuery } from '../../../../shared/list.tsx';
import { Time } from '../../../../shared/format.tsx';
import { Pager } from '../../../../shared/list.tsx';
import { PriorityName, TicketStatus, waitingForCustomer } from './common.tsx';
import { TICKET_STATUSES } from './strings.ts';
import '../balance/balance.css';
import './tickets.css';

interface TicketFilters { status: string }

function loadTickets(query: PageQuery<TicketFilters>): Promise<{ rows: TicketInfo[]; total: number }> {
  return api.tickets.listTickets({
    pagination: { page: query.page, pageSize: query.pageSize },
    ...(query.filters.status ? { status: query.filters.status } : {}),
  }).then((answer) => ({ rows: answer.tickets, total: Number(answer.meta?.total ?? 0n) }));
}

/** The `/tickets` screen. */
export function TicketList() {
  const { t } = useTranslation('tickets');
  const friendly = useFriendly();
  const describe = useCallback((failure: unknown) => friendly(failure).message, [friendly]);
  const list = useServerList(loadTickets, { status: '' }, 10, describe);
  return (
    <section>
      <PageTitle actions={<Link className="button primary" to="/tickets/new">{t('newTicket')}</Link>}>{t('title')}</PageTitle>
      <div className="list-filters">
        <label className="field inline"><span>{t('status')}</span>
          <select value={list.query.filters.status} onChange={(event) => list.setFilters({ status: event.target.value })}>
            <option value="">{t('allStatuses')}</option>
            {TICKET_STATUSES.map((status) => <option key={status} value={status}>{t(`status.${status}`)}</option>)}
          </select>
        </label>
      </div>
      <div className="table-wrap" data-testid="tickets">
        {list.error && <div className="error" role="alert">{list.error}</div>}
        <table className="stack account-table">
          <thead><tr><th>{t('subject')}</th><th>{t('status')}</th><th>{t('priority')}</th><th>{t('updated')}</th></tr></thead>
          <tbody>
            {list.rows.map((row) => (
              <tr key={row.id} data-testid="ticket-row" className={waitingForCustomer(row) ? 'waiting' : undefined}>
                <td data-label={t('subject')} className="title"><Link to={`/tickets/${row.id}`}>{row.title}</Link></td>
                <td data-label={t('status')}><TicketStatus ticket={row} /></td>
                <td data-label={t('priority')}><PriorityName priority={row.priority} /></td>
                <td data-label={t('updated')}><Time value={row.updatedAt} /></td>
              </tr>
            ))}
            {list.rows.length === 0 && !list.loading && <tr><td colSpan={4} className="muted">{t('noTickets')}</td></tr>}
          </tbody>
        </table>
        <Pager list={list} />
      </div>
    </section>
  );
}
