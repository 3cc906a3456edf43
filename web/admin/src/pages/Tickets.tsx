import { NotYet } from './placeholder.tsx';

/** The Tickets screen (not built yet). */
export default function TicketsPage() {
  return <NotYet title="tickets" />;
}
