/**
 * Who may change or delete which user (IdentityService UpdateUser, DeleteUser, AdminResetPassword;
 * handbook 2.x user administration). Pure: the application service loads the facts, these rules
 * decide. Every refusal says what is wrong and what to do instead.
 */
import { DomainError, forbidden, refused } from '../errors.ts';
import type { AdminRole } from './principal.ts';

/** The admin user acting. */
export interface ActingAdmin {
  userId: string;
  role: AdminRole;
}

/** The admin user being changed, as stored. */
export interface TargetAdmin {
  id: string;
  role: AdminRole;
  isActive: boolean;
}

/** What an update asks for (only the fields it sets). */
export interface AdminChange {
  role?: AdminRole;
  isActive?: boolean;
  /** Any other field (e-mail, display name). */
  profile?: boolean;
}

/** True when the change takes the admin role away from an active admin (demotion or deactivation). */
export function removesActiveAdmin(target: TargetAdmin, change: AdminChange): boolean {
  if (target.role !== 'admin' || !target.isActive) return false;
  return change.isActive === false || (change.role !== undefined && change.role !== 'admin');
}

/**
 * Why `actor` may not apply `change` to `target`, or null when it may.
 * - operators may not change users with the admin role, nor change anybody's role;
 * - nobody may disable or demote their own account;
 * - the last active admin cannot be disabled or demoted (`activeAdmins` counts active admins,
 *   the target included; only consulted when {@link removesActiveAdmin}).
 */
export function adminChangeRefusal(actor: ActingAdmin, target: TargetAdmin, change: AdminChange, activeAdmins: number): DomainError | null {
  if (target.role === 'admin' && actor.role !== 'admin') return forbidden('operators may not change users with the admin role');
  if (change.role !== undefined && change.role !== target.role && actor.role !== 'admin') return forbidden('only users with the admin role may change roles');
  if (target.id === actor.userId && (change.isActive === false || (change.role !== undefined && change.role !== 'admin' && target.role === 'admin'))) {
    return refused('you cannot disable or demote your own account');
  }
  if (removesActiveAdmin(target, change) && activeAdmins <= 1) return refused('the last active admin cannot be disabled or demoted');
  return null;
}

/**
 * Why `actorUserId` may not delete the admin user `target`, or null: not oneself, not the last
 * active admin (`activeAdmins` as in {@link adminChangeRefusal}).
 */
export function adminDeletionRefusal(actorUserId: string | null, target: TargetAdmin, activeAdmins: number): DomainError | null {
  if (actorUserId === target.id) return refused('you cannot delete your own account');
  if (target.role === 'admin' && target.isActive && activeAdmins <= 1) return refused('the last active admin cannot be deleted');
  return null;
}
