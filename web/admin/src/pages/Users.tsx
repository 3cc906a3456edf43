import { NotYet } from './placeholder.tsx';

/** The Users screen (not built yet). */
export default function UsersPage() {
  return <NotYet title="users" />;
}
