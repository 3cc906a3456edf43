import { NotYet } from './placeholder.tsx';

/** The System screen (not built yet). */
export default function SystemPage() {
  return <NotYet title="system" />;
}
