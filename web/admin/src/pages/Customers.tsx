import { NotYet } from './placeholder.tsx';

/** The Customers screen (not built yet). */
export default function CustomersPage() {
  return <NotYet title="customers" />;
}
