/**
 * The Support screens (issue 13; README "Tickets"): the customer's tickets at `/tickets`, a new
 * ticket at `/tickets/new`, one ticket with its conversation at `/tickets/:id`. The pieces are in
 * ./tickets/.
 */
import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../ui/page.tsx';
import { NewTicket } from './tickets/NewTicket.tsx';
import { TicketDetail } from './tickets/TicketDetail.tsx';
import { TicketList } from './tickets/TicketList.tsx';
import './tickets/strings.ts';

/** The routes under `/tickets/*`. */
export default function TicketsPage() {
  return (
    <Routes>
      <Route index element={<TicketList />} />
      <Route path="new" element={<NewTicket />} />
      <Route path=":id" element={<TicketDetail />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
