import { NotYet } from './placeholder.tsx';

/** The Audit screen (not built yet). */
export default function AuditPage() {
  return <NotYet title="audit" />;
}
