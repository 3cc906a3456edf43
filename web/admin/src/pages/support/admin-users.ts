/**
 * The admin users (admins and operators) the support screens name: ticket assignees, audit-log
 * authors. One ListUsers page of up to 100 staff, which covers a reseller's team.
 */
import { useEffect, useState } from 'react';
import type { UserInfo } from '../../../../../src/gen/rustbill/identity_pb.ts';
import { api, problemOf } from '../../api.ts';

/** The staff directory: the users and a lookup by id, with the error when ListUsers was refused. */
export interface AdminDirectory {
  users: UserInfo[];
  byId: ReadonlyMap<string, UserInfo>;
  error: string | null;
}

/** Loads the admin users once per mount. */
export function useAdminUsers(): AdminDirectory {
  const [users, setUsers] = useState<UserInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.identity.listUsers({ pagination: { page: 1, pageSize: 100 }, userType: 'admin' }).then(
      (answer) => { if (live) setUsers(answer.users); },
      (failure: unknown) => { if (live) setError(problemOf(failure).message); },
    );
    return () => { live = false; };
  }, []);
  return { users, byId: new Map(users.map((user) => [user.id, user])), error };
}

/** How a staff member is shown: display name and user name, or the id when unknown. */
export function staffName(directory: AdminDirectory, id: string): string {
  if (id === '') return '';
  const user = directory.byId.get(id);
  if (!user) return id.slice(0, 8);
  return user.displayName ? `${user.displayName} (${user.username})` : user.username;
}
