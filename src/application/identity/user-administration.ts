/**
 * User administration (IdentityService ListUsers, GetUser, UpdateUser, DeleteUser,
 * AdminResetPassword): admin and customer users. Each change is one transaction holding the change,
 * the revocations it implies and its audit row; the invalidations are published once it committed,
 * before the call answers (src/identity/principal-cache.ts).
 */
import { UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import { alreadyExists, forbidden, invalid, notFound, requireValid } from '../../domain/errors.ts';
import { hashPassword } from '../../domain/identity/passwords.ts';
import { ADMIN_ROLES, isAdminRole, type AdminRole } from '../../domain/identity/principal.ts';
import { adminChangeRefusal, adminDeletionRefusal, removesActiveAdmin, type AdminChange } from '../../domain/identity/user-policy.ts';
import { displayNameProblem, emailProblem, normalizeEmail, passwordProblem, usernameProblem, type UserType } from '../../domain/identity/validation.ts';
import type { Identity } from '../../identity/module.ts';
import type { Invalidation } from '../../identity/principal-cache.ts';
import { AdminUser } from '../../persistence/entities/admin-users.ts';
import { CustomerUser } from '../../persistence/entities/customer-users.ts';
import { Customer } from '../../persistence/entities/customers.ts';
import { changedFields, recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';
import type { Page } from '../../domain/pagination.ts';
import { likePattern } from '../../lib/like-pattern.ts';

/** A user of either kind, as a row. */
export type FoundUser = { type: 'admin'; user: AdminUser } | { type: 'customer'; user: CustomerUser };

/** ListUsers filters (all optional). */
export interface UserFilter {
  userType: UserType;
  role?: AdminRole;
  customerId?: string;
  isActive?: boolean;
  /** Matched case-insensitively against username and e-mail. */
  search?: string;
}

/** UpdateUser's fields (only those set change). */
export interface UserUpdate {
  email?: string;
  displayName?: string;
  isActive?: boolean;
  role?: string;
  customerId?: string;
}

/** Applies the profile fields of `update` (validated already) to a user row. */
function applyProfile(user: { email: string; displayName: string; isActive: boolean }, update: UserUpdate): void {
  if (update.email !== undefined) user.email = normalizeEmail(update.email);
  if (update.displayName !== undefined) user.displayName = update.displayName.trim();
  if (update.isActive !== undefined) user.isActive = update.isActive;
}


/** See the file comment. Methods throw DomainError for refused requests. */
export class UserAdministration {
  private readonly orm: MikroORM;
  private readonly identity: Identity;

  constructor(deps: { orm: MikroORM; identity: Identity }) {
    this.orm = deps.orm;
    this.identity = deps.identity;
  }

  /** A page of users of one type, oldest first. */
  async list(filter: UserFilter, page: Page): Promise<{ users: FoundUser[]; total: number }> {
    const em = this.orm.em.fork();
    const like = filter.search ? likePattern(filter.search) : undefined;
    const text = like ? { $or: [{ username: { $ilike: like } }, { email: { $ilike: like } }] } : {};
    const active = filter.isActive !== undefined ? { isActive: filter.isActive } : {};
    const options = { orderBy: { createdAt: 'asc', id: 'asc' }, limit: page.pageSize, offset: page.offset } as const;
    if (filter.userType === 'admin') {
      if (filter.customerId !== undefined) throw invalid('customer_id filters customer users only (user_type "customer")');
      const [rows, total] = await em.findAndCount(AdminUser, { ...(filter.role ? { role: filter.role } : {}), ...active, ...text }, options);
      return { users: rows.map((user) => ({ type: 'admin', user })), total };
    }
    if (filter.role !== undefined) throw invalid('role filters admin users only (user_type "admin")');
    const [rows, total] = await em.findAndCount(CustomerUser, { ...(filter.customerId ? { customerId: filter.customerId } : {}), ...active, ...text }, options);
    return { users: rows.map((user) => ({ type: 'customer', user })), total };
  }

  /** One user; with `hint` only of that type. @throws DomainError not_found */
  async get(id: string, hint: UserType | null): Promise<FoundUser> {
    const found = await this.find(this.orm.em.fork(), id, hint);
    if (!found) throw notFound(`user ${id} does not exist`);
    return found;
  }

  /**
   * Changes a user (UpdateUser): e-mail, display name, activity; an admin's role; a customer
   * user's customer. Deactivation ends the user's sessions or tokens, so does moving a customer
   * user to another customer.
   * @throws DomainError invalid_argument (a field), not_found, permission_denied (operators and
   *   admins), failed_precondition (own account, last admin), already_exists (e-mail taken)
   */
  async update(origin: Origin, id: string, hint: UserType | null, update: UserUpdate): Promise<FoundUser> {
    const actor = origin.caller;
    if (actor.kind !== 'admin') throw forbidden('only administrators may update users');
    if (update.email !== undefined) requireValid(emailProblem(update.email.trim()));
    if (update.displayName !== undefined) requireValid(displayNameProblem(update.displayName));
    const events: Invalidation[] = [];
    const updated = await this.inTransaction(async (tx) => {
      const found = await this.find(tx, id, hint);
      if (!found) throw notFound(`user ${id} does not exist`);
      if (found.type === 'admin') await this.updateAdmin(tx, origin, { userId: actor.userId, role: actor.role }, found.user, update, events);
      else await this.updateCustomerUser(tx, origin, found.user, update, events);
      return found;
    }, 'another user already has this e-mail address');
    await this.publish(events);
    return updated;
  }

  private async updateAdmin(tx: EntityManager, origin: Origin, actor: { userId: string; role: AdminRole }, user: AdminUser, update: UserUpdate, events: Invalidation[]): Promise<void> {
    if (update.customerId !== undefined && update.customerId !== '') throw invalid('customer_id applies to customer users only');
    const role = update.role === undefined || update.role === '' ? undefined : update.role;
    if (role !== undefined && !isAdminRole(role)) throw invalid('role must be "admin" or "operator"');
    const change: AdminChange = { ...(role !== undefined ? { role } : {}), ...(update.isActive !== undefined ? { isActive: update.isActive } : {}) };
    const target = { id: user.id, role: user.role, isActive: user.isActive };
    const activeAdmins = removesActiveAdmin(target, change) ? await this.lockActiveAdmins(tx) : 0;
    const refusal = adminChangeRefusal(actor, target, change, activeAdmins);
    if (refusal) throw refusal;
    const before = { ...user };
    applyProfile(user, update);
    if (role !== undefined) user.role = role;
    if (before.isActive && !user.isActive) {
      const revoked = await this.identity.sessions.revokeAllWithin(tx, user.id);
      if (revoked) events.push(revoked);
    }
    recordAudit(tx, origin, {
      action: 'user.update', targetType: 'admin_user', targetId: user.id,
      details: { changes: changedFields(before, user, ['email', 'displayName', 'isActive', 'role']) },
    });
    events.push({ kind: 'admin_user', userId: user.id });
  }

  private async updateCustomerUser(tx: EntityManager, origin: Origin, user: CustomerUser, update: UserUpdate, events: Invalidation[]): Promise<void> {
    if (update.role !== undefined && update.role !== '') throw invalid('role applies to admin users only');
    const before = { ...user };
    applyProfile(user, update);
    if (update.customerId !== undefined && update.customerId !== user.customerId) {
      if ((await tx.count(Customer, { id: update.customerId })) === 0) throw notFound(`customer ${update.customerId} does not exist`);
      user.customerId = update.customerId;
    }
    if ((before.isActive && !user.isActive) || before.customerId !== user.customerId) {
      const revoked = await this.identity.tokens.revokeAllWithin(tx, user.id);
      if (revoked) events.push(revoked);
    }
    recordAudit(tx, origin, {
      action: 'user.update', targetType: 'customer_user', targetId: user.id,
      details: { changes: changedFields(before, user, ['email', 'displayName', 'isActive', 'customerId']) },
    });
    events.push({ kind: 'customer_user', userId: user.id });
  }

  /**
   * Deletes a user (DeleteUser): its sessions or tokens go with it.
   * @throws DomainError not_found, failed_precondition (own account, last admin)
   */
  async remove(origin: Origin, id: string): Promise<void> {
    const actorId = origin.caller.kind === 'admin' ? origin.caller.userId : null;
    const events: Invalidation[] = [];
    await this.inTransaction(async (tx) => {
      const found = await this.find(tx, id, null);
      if (!found) throw notFound(`user ${id} does not exist`);
      if (found.type === 'admin') {
        const target = { id: found.user.id, role: found.user.role, isActive: found.user.isActive };
        const activeAdmins = target.role === 'admin' && target.isActive ? await this.lockActiveAdmins(tx) : 0;
        const refusal = adminDeletionRefusal(actorId, target, activeAdmins);
        if (refusal) throw refusal;
        const revoked = await this.identity.sessions.revokeAllWithin(tx, found.user.id);
        if (revoked) events.push(revoked);
        tx.remove(found.user);
        events.push({ kind: 'admin_user', userId: found.user.id });
      } else {
        const revoked = await this.identity.tokens.revokeAllWithin(tx, found.user.id);
        if (revoked) events.push(revoked);
        tx.remove(found.user);
        events.push({ kind: 'customer_user', userId: found.user.id });
      }
      recordAudit(tx, origin, { action: 'user.delete', targetType: `${found.type}_user`, targetId: found.user.id, details: { username: found.user.username } });
    }, 'the user could not be deleted');
    await this.publish(events);
  }

  /**
   * Creates an admin or operator (IdentityService/CreateAdminUser, a NodeBill extension for the
   * admin console), audited (`user.create`, without the password). The password is hashed here.
   * @throws DomainError invalid_argument naming the field (username, email — optional —,
   *   display_name, role, password), already_exists (the user name or e-mail is taken),
   *   permission_denied (not an admin with the admin role)
   */
  async createAdmin(origin: Origin, input: { username: string; email: string; displayName: string; role: string; password: string }): Promise<FoundUser> {
    if (origin.caller.kind !== 'admin' || origin.caller.role !== 'admin') throw forbidden('only administrators with the admin role may create admin users');
    const username = input.username.trim();
    const email = input.email.trim() === '' ? '' : normalizeEmail(input.email);
    requireValid(usernameProblem(username));
    if (email !== '') requireValid(emailProblem(email));
    requireValid(displayNameProblem(input.displayName));
    if (!isAdminRole(input.role)) throw invalid(`role must be one of ${ADMIN_ROLES.join(', ')} (got "${input.role.slice(0, 40)}")`);
    const role: AdminRole = input.role;
    requireValid(passwordProblem(input.password));
    const passwordHash = await hashPassword(input.password);
    const user = await this.inTransaction(async (tx) => {
      const taken = await tx.findOne(AdminUser, email === '' ? { username } : { $or: [{ username }, { email }] });
      if (taken) throw alreadyExists(taken.username === username ? `username "${username}" is taken by another admin user` : `email "${email}" is taken by another admin user`);
      const created = tx.create(AdminUser, { username, email, displayName: input.displayName.trim(), role, passwordHash, isActive: true });
      recordAudit(tx, origin, { action: 'user.create', targetType: 'admin_user', targetId: created.id, details: { after: { username, email, displayName: created.displayName, role } } });
      return created;
    }, `username "${username}" is taken by another admin user`);
    return { type: 'admin', user };
  }

  /**
   * Sets a user's password (AdminResetPassword) and ends its sessions or tokens (the acting admin's
   * own current session stays).
   * @throws DomainError invalid_argument (weak password), not_found
   */
  async resetPassword(origin: Origin, userId: string, newPassword: string): Promise<void> {
    requireValid(passwordProblem(newPassword));
    const passwordHash = await hashPassword(newPassword);
    const keep = origin.caller.kind === 'admin' ? origin.caller.sessionId : undefined;
    const events: Invalidation[] = [];
    await this.inTransaction(async (tx) => {
      const found = await this.find(tx, userId, null);
      if (!found) throw notFound(`user ${userId} does not exist`);
      found.user.passwordHash = passwordHash;
      const revoked = found.type === 'admin'
        ? await this.identity.sessions.revokeAllWithin(tx, found.user.id, keep)
        : await this.identity.tokens.revokeAllWithin(tx, found.user.id);
      if (revoked) events.push(revoked);
      recordAudit(tx, origin, { action: 'user.reset_password', targetType: `${found.type}_user`, targetId: found.user.id });
    }, 'the password could not be changed');
    await this.publish(events);
  }

  private async find(em: EntityManager, id: string, hint: UserType | null): Promise<FoundUser | null> {
    if (hint !== 'customer') {
      const admin = await em.findOne(AdminUser, { id });
      if (admin) return { type: 'admin', user: admin };
    }
    if (hint !== 'admin') {
      const customer = await em.findOne(CustomerUser, { id });
      if (customer) return { type: 'customer', user: customer };
    }
    return null;
  }

  /** Locks the active admins' rows (two demotions cannot both pass the last-admin rule) and counts them. */
  private async lockActiveAdmins(tx: EntityManager): Promise<number> {
    const rows = await tx.getConnection().execute<Array<{ id: string }>>(
      "select id from admin_users where role = 'admin' and is_active for update",
      [],
      'all',
      tx.getTransactionContext(),
    );
    return rows.length;
  }

  /** Runs `work` in one transaction; a unique violation is AlreadyExists with `duplicateMessage`. */
  private async inTransaction<T>(work: (tx: EntityManager) => Promise<T>, duplicateMessage: string): Promise<T> {
    try {
      return await this.orm.em.fork().transactional(work);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw alreadyExists(duplicateMessage);
      throw error;
    }
  }

  private async publish(events: readonly Invalidation[]): Promise<void> {
    for (const event of events) await this.identity.invalidations.publish(event);
  }
}
