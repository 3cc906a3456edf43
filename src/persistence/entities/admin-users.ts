import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';

import { ADMIN_ROLES } from '../../domain/identity/principal.ts';

/**
 * Table `admin_users`: staff accounts that log in to the admin UI with a session cookie
 * (`UserInfo` with `user_type = "admin"`).
 *
 * - `username` is unique (exact, case-sensitive match: normalise before inserting if needed).
 * - `email` is unique case-insensitively when not empty (`lower(email)` index); `''` means none.
 * - `passwordHash` is a bcrypt hash, never the password.
 * - `role` is `admin` or `operator` (CHECK constraint).
 */
export const AdminUser = defineEntity({
  name: 'AdminUser',
  tableName: 'admin_users',
  properties: {
    id: uuidPrimaryKey(),
    username: p.string().length(64).unique('admin_users_username_unique'),
    email: p.string().length(255).default(''),
    displayName: p.string().length(255).default(''),
    passwordHash: p.string().length(255),
    role: p.enum(ADMIN_ROLES).default('operator'),
    isActive: p.boolean().default(true),
    lastLoginAt: optionalTime(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  uniques: [
    {
      name: 'admin_users_email_lower_unique',
      expression: "create unique index admin_users_email_lower_unique on admin_users (lower(email)) where email <> ''",
    },
  ],
});
/** A row of `admin_users`. */
export type AdminUser = InferEntity<typeof AdminUser>;

/**
 * Table `sessions`: admin login sessions (the `rustbill_session` cookie).
 *
 * - `tokenHash` is the SHA-256 (hex) of the cookie value; the raw token is never stored. Unique.
 * - `expiresAt` is the absolute expiry (login + `absolute_timeout_hours`); the idle timeout is
 *   checked against `lastSeenAt`. `revokedAt` is set on logout, password change or user deletion.
 * - `clientAddress` / `userAgent` are what the login request carried (null when unknown).
 * - Deleting the admin user deletes its sessions (ON DELETE CASCADE).
 */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id: uuidPrimaryKey(),
    adminUserId: p.manyToOne(AdminUser).mapToPk().fieldName('admin_user_id').deleteRule('cascade'),
    tokenHash: p.string().length(128).unique('sessions_token_hash_unique'),
    createdAt: createdAt(),
    lastSeenAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    expiresAt: p.datetime(),
    revokedAt: optionalTime(),
    clientAddress: p.string().length(64).nullable(),
    userAgent: p.text().nullable(),
  },
  indexes: [
    { name: 'sessions_admin_user_id_index', properties: ['adminUserId'] },
    { name: 'sessions_expires_at_index', properties: ['expiresAt'] },
  ],
});
/** A row of `sessions`. */
export type Session = InferEntity<typeof Session>;
