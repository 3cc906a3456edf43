import { NotYet } from './placeholder.tsx';

/** The Invoices screen (not built yet). */
export default function InvoicesPage() {
  return <NotYet title="invoices" />;
}
