import { NotYet } from './placeholder.tsx';

/** The Orders screen (not built yet). */
export default function OrdersPage() {
  return <NotYet title="orders" />;
}
