import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../../cluster.config.ts';
import { hashPassword } from '../domain/identity/passwords.ts';
import { usernameProblem } from '../domain/identity/validation.ts';
import { newId } from '../lib/ids.ts';
import { AdminUser } from '../persistence/entities/admin-users.ts';

/** True when at least one admin user exists. */
export async function adminExists(orm: MikroORM): Promise<boolean> {
  return (await orm.em.fork().count(AdminUser, {})) > 0;
}

/**
 * Creates the bootstrap admin (`[bootstrap]`, handbook 2.5) when admin_users is empty: role admin,
 * bcrypt-hashed password. Several nodes starting at once create it once (the username is unique).
 * @returns the created user's name, or null when an admin already existed
 * @throws Error when the configured username is invalid
 */
export async function ensureBootstrapAdmin(orm: MikroORM, bootstrap: AppConfig['bootstrap']): Promise<{ username: string } | null> {
  if (await adminExists(orm)) return null;
  const problem = usernameProblem(bootstrap.admin_username);
  if (problem) throw new Error(`[bootstrap] admin_username: ${problem}`);
  const passwordHash = await hashPassword(bootstrap.admin_password);
  const inserted = await orm.em.fork().getConnection().execute(
    `insert into admin_users (id, username, email, display_name, password_hash, role, is_active)
     select ?, ?, '', 'Administrator', ?, 'admin', true
     where not exists (select 1 from admin_users) on conflict do nothing`,
    [newId(), bootstrap.admin_username, passwordHash],
    'run',
  );
  const affected = typeof inserted === 'object' && inserted !== null && 'affectedRows' in inserted ? Number(inserted.affectedRows) : 1;
  return affected > 0 ? { username: bootstrap.admin_username } : null;
}
