import { NotYet } from './placeholder.tsx';

/** The Payments screen (not built yet). */
export default function PaymentsPage() {
  return <NotYet title="payments" />;
}
