import { NotYet } from './placeholder.tsx';

/** The BillingSettings screen (not built yet). */
export default function BillingSettingsPage() {
  return <NotYet title="billingSettings" />;
}
