import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../../../cluster.config.ts';
import { hashPassword, verifyPassword } from '../../domain/identity/passwords.ts';
import { clip } from '../../domain/input-limits.ts';
import { loginAccountKey, userAccountKey } from '../../domain/identity/login-backoff.ts';
import {
  displayNameProblem, emailProblem, normalizeEmail, parsePurpose, parseUserType, passwordProblem, usernameProblem, type UserType,
} from '../../domain/identity/validation.ts';
import { IdentityService } from '../../gen/rustbill/identity_pb.ts';
import type { Identity } from '../../identity/module.ts';
import { adminUserInfo, customerUserInfo } from '../../identity/users.ts';
import { isUuid } from '../../lib/ids.ts';
import { ADMIN_ROLES, AdminUser, type AdminRole } from '../../persistence/entities/admin-users.ts';
import { CustomerUser } from '../../persistence/entities/customer-users.ts';
import { Customer } from '../../persistence/entities/customers.ts';
import { VerificationCode } from '../../persistence/entities/verification-codes.ts';
import type { CallContext } from '../context.ts';
import {
  alreadyExists, failedPrecondition, invalidArgument, notFound, permissionDenied, resourceExhausted, unauthenticated, unavailable,
} from '../errors.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/** Retry hint returned by SendVerificationCode (one code per address per minute). */
const CODE_RESEND_SECS = 60;

/**
 * Login's answer to an unknown username and to a wrong password alike (the spec lists NotFound for
 * the first; one answer keeps usernames from being enumerated — see the README).
 */
const WRONG_LOGIN = 'wrong username or password';

function require(problem: string | null): void {
  if (problem) throw invalidArgument(problem);
}

function requireUuid(field: string, value: string): void {
  if (value === '') throw invalidArgument(`${field} is required`);
  if (!isUuid(value)) throw invalidArgument(`${field} "${value.slice(0, 64)}" is not a UUID`);
}

/**
 * IdentityService, all 12 RPCs (rustbill-docs.md, IdentityService): registration with e-mailed
 * codes, login (admin session cookie + bearer token; customer JWT pair), refresh-token rotation,
 * user administration for admin and customer users, password changes, GetMe and Logout.
 * Admin changes to users are written to operation_logs.
 */
export function identityHandlers(deps: { orm: MikroORM; config: AppConfig; identity: Identity }): ServiceHandlers<typeof IdentityService> {
  const { orm, config, identity } = deps;

  async function limit(kind: 'login' | 'register', call: CallContext): Promise<void> {
    const wait = await identity.rateLimits.consume(kind, call.clientAddress || 'unknown');
    if (wait !== null) {
      identity.log.warn({ clientAddress: call.clientAddress, kind }, 'rate limit hit');
      throw resourceExhausted(`too many ${kind} attempts from your address; retry in ${wait} s`);
    }
  }

  async function findUser(id: string, hint: UserType | null): Promise<{ type: 'admin'; user: AdminUser } | { type: 'customer'; user: CustomerUser } | null> {
    const em = orm.em.fork();
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

  /** Refuses a call for an account locked after wrong passwords (before any password check). */
  async function refuseIfLocked(accountKey: string): Promise<void> {
    const wait = await identity.rateLimits.accountLocked(accountKey);
    if (wait !== null) throw resourceExhausted(`too many wrong passwords for this account; retry in ${wait} s`);
  }

  /**
   * Checks a password against the account `accountKey` names (which may not exist: the same
   * bcrypt work and the same answer either way, so accounts cannot be enumerated), counting wrong
   * passwords towards the account's backoff.
   * @throws InvalidArgument `wrongMessage` when the password is wrong or there is no such user
   */
  async function verifiedPassword<U extends { passwordHash: string }>(
    user: U | null, password: string, accountKey: string, wrongMessage: string, logContext: Record<string, unknown>,
  ): Promise<U> {
    const ok = await verifyPassword(password, user?.passwordHash ?? null);
    if (user && ok) {
      await identity.rateLimits.recordSuccess(accountKey);
      return user;
    }
    const lockedSecs = await identity.rateLimits.recordFailure(accountKey);
    identity.log.warn({ ...logContext, known: user !== null, lockedSecs }, user ? 'password check failed: wrong password' : 'password check failed: no such user');
    throw invalidArgument(wrongMessage);
  }

  async function activeAdminCount(): Promise<number> {
    return orm.em.fork().count(AdminUser, { role: 'admin', isActive: true });
  }

  return {
    async register(request, call) {
      await limit('register', call);
      require(usernameProblem(request.username));
      require(emailProblem(request.email.trim()));
      require(displayNameProblem(request.displayName));
      require(passwordProblem(request.password));
      if (request.verificationCode === '') throw invalidArgument('verification_code is required; request one with SendVerificationCode');
      const email = normalizeEmail(request.email);
      const em = orm.em.fork();
      if (await em.count(CustomerUser, { username: request.username })) throw invalidArgument(`username "${request.username}" is already taken`);
      if (await em.count(CustomerUser, { email })) throw alreadyExists('this e-mail address is already registered; log in instead');
      const code = await identity.codes.check(email, 'registration', request.verificationCode);
      if ('problem' in code) throw invalidArgument(code.problem);
      const passwordHash = await hashPassword(request.password);
      try {
        const created = await orm.em.fork().transactional(async (tx) => {
          const consumed = await tx.nativeUpdate(VerificationCode, { id: code.id, consumedAt: null }, { consumedAt: new Date() });
          if (consumed === 0) throw invalidArgument('the verification code was already used; request a new one');
          const name = request.displayName.trim();
          const customer = tx.create(Customer, { name, contactPerson: name, email });
          const user = tx.create(CustomerUser, {
            customerId: customer.id, username: request.username, email, displayName: name, passwordHash, emailVerifiedAt: new Date(),
          });
          return { customer, user };
        });
        identity.log.info({ customerId: created.customer.id, userId: created.user.id }, 'customer registered');
        return { user: customerUserInfo(created.user), customerId: created.customer.id };
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) throw alreadyExists('this username or e-mail address is already registered');
        throw error;
      }
    },

    async sendVerificationCode(request, call) {
      require(emailProblem(request.email.trim()));
      const purpose = parsePurpose(request.purpose);
      if (!purpose) throw invalidArgument('purpose must be "registration" or "password_reset"');
      const email = normalizeEmail(request.email);
      const registered = (await orm.em.fork().count(CustomerUser, { email })) > 0;
      if (purpose === 'registration' && registered) throw alreadyExists('this e-mail address is already registered; log in instead');
      const perAddress = await identity.rateLimits.consume('verification_address', call.clientAddress || 'unknown');
      if (perAddress !== null) throw invalidArgument(`too many verification codes requested from your address; retry in ${perAddress} s`);
      const perEmail = await identity.rateLimits.consume('verification_email', email);
      if (perEmail !== null) throw invalidArgument(`a code was sent to this address moments ago; retry in ${perEmail} s`);
      // For password resets of unknown addresses the answer is the same, so addresses cannot be probed.
      if (purpose === 'registration' || registered) {
        try {
          await identity.codes.send(email, purpose);
        } catch (error) {
          identity.log.error({ err: error, email }, 'verification code not delivered');
          throw unavailable('the e-mail service is unavailable, so no code was sent; try again later');
        }
      }
      return { sent: true, message: `a verification code was sent to ${email}; it is valid for 10 minutes`, retryAfterSecs: CODE_RESEND_SECS };
    },

    async login(request, call) {
      await limit('login', call);
      const userType = parseUserType(request.userType, 'customer');
      if (!userType) throw invalidArgument('user_type must be "admin" or "customer"');
      if (request.username === '' || request.password === '') throw invalidArgument('username and password are required');
      const accountKey = loginAccountKey(userType, request.username);
      await refuseIfLocked(accountKey);
      const logContext = { clientAddress: call.clientAddress, username: clip(request.username), userType };
      const em = orm.em.fork();
      if (userType === 'admin') {
        const found = await em.findOne(AdminUser, { username: request.username });
        const user = await verifiedPassword(found, request.password, accountKey, WRONG_LOGIN, logContext);
        if (!user.isActive) throw permissionDenied('this account is disabled; ask an administrator');
        const { token, session } = await identity.sessions.open(user, { address: call.clientAddress, userAgent: call.userAgent });
        await em.nativeUpdate(AdminUser, { id: user.id }, { lastLoginAt: new Date() });
        call.responseHeaders.append('set-cookie', identity.sessions.cookieFor(token));
        const ttl = Math.max(1, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000));
        const bearer = await identity.signer.sign({ kind: 'admin', sub: user.id, jti: session.sessionId, sid: session.sessionId }, ttl);
        return { accessToken: bearer.token, refreshToken: '', expiresIn: BigInt(ttl), user: adminUserInfo(user), adminPath: config.server.admin_path };
      }
      const found = await em.findOne(CustomerUser, { username: request.username });
      const user = await verifiedPassword(found, request.password, accountKey, WRONG_LOGIN, logContext);
      if (!user.isActive) throw permissionDenied('this account is disabled; contact support');
      const customer = await em.findOne(Customer, { id: user.customerId });
      if (!customer?.isActive) throw permissionDenied('the customer account is disabled; contact support');
      const pair = await identity.tokens.issue({ id: user.id, customerId: user.customerId });
      await em.nativeUpdate(CustomerUser, { id: user.id }, { lastLoginAt: new Date() });
      return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: BigInt(pair.expiresIn), user: customerUserInfo(user), adminPath: '' };
    },

    async refreshToken(request) {
      if (request.refreshToken === '') throw invalidArgument('refresh_token is required');
      const result = await identity.tokens.rotate(request.refreshToken, async (userId) => {
        const user = await orm.em.fork().findOne(CustomerUser, { id: userId });
        return user?.isActive === true;
      });
      if ('problem' in result) throw invalidArgument(result.problem);
      return { accessToken: result.accessToken, refreshToken: result.refreshToken, expiresIn: BigInt(result.expiresIn) };
    },

    async listUsers(request) {
      const page = resolvePage(request.pagination);
      const userType = parseUserType(request.userType, 'admin');
      if (!userType) throw invalidArgument('user_type must be "admin" or "customer"');
      const em = orm.em.fork();
      const search = request.search?.trim();
      const like = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
      if (userType === 'admin') {
        if (request.customerId !== undefined && request.customerId !== '') throw invalidArgument('customer_id filters customer users only (user_type "customer")');
        if (request.role !== undefined && request.role !== '' && !ADMIN_ROLES.includes(request.role as AdminRole)) {
          throw invalidArgument('role must be "admin" or "operator"');
        }
        const [rows, total] = await em.findAndCount(
          AdminUser,
          {
            ...(request.role ? { role: request.role as AdminRole } : {}),
            ...(request.isActive !== undefined ? { isActive: request.isActive } : {}),
            ...(like ? { $or: [{ username: { $ilike: like } }, { email: { $ilike: like } }] } : {}),
          },
          { orderBy: { createdAt: 'asc', id: 'asc' }, limit: page.pageSize, offset: page.offset },
        );
        return { users: rows.map(adminUserInfo), meta: pageMeta(page, total) };
      }
      if (request.customerId) requireUuid('customer_id', request.customerId);
      const [rows, total] = await em.findAndCount(
        CustomerUser,
        {
          ...(request.customerId ? { customerId: request.customerId } : {}),
          ...(request.isActive !== undefined ? { isActive: request.isActive } : {}),
          ...(like ? { $or: [{ username: { $ilike: like } }, { email: { $ilike: like } }] } : {}),
        },
        { orderBy: { createdAt: 'asc', id: 'asc' }, limit: page.pageSize, offset: page.offset },
      );
      return { users: rows.map(customerUserInfo), meta: pageMeta(page, total) };
    },

    async getUser(request) {
      requireUuid('id', request.id);
      const hint = request.userType ? parseUserType(request.userType, 'admin') : null;
      if (request.userType && !hint) throw invalidArgument('user_type must be "admin" or "customer"');
      const found = await findUser(request.id, hint);
      if (!found) throw notFound(`user ${request.id} does not exist`);
      return { user: found.type === 'admin' ? adminUserInfo(found.user) : customerUserInfo(found.user) };
    },

    async updateUser(request, call) {
      requireUuid('id', request.id);
      if (call.caller.kind !== 'admin') throw permissionDenied('only administrators may update users');
      const actor = call.caller;
      const hint = request.userType ? parseUserType(request.userType, 'admin') : null;
      if (request.userType && !hint) throw invalidArgument('user_type must be "admin" or "customer"');
      const found = await findUser(request.id, hint);
      if (!found) throw notFound(`user ${request.id} does not exist`);
      const changes: Record<string, unknown> = {};
      if (request.email !== undefined) {
        require(emailProblem(request.email.trim()));
        changes.email = normalizeEmail(request.email);
      }
      if (request.displayName !== undefined) {
        require(displayNameProblem(request.displayName));
        changes.displayName = request.displayName.trim();
      }
      if (request.isActive !== undefined) changes.isActive = request.isActive;
      const em = orm.em.fork();
      if (found.type === 'admin') {
        if (request.customerId !== undefined && request.customerId !== '') throw invalidArgument('customer_id applies to customer users only');
        const target = found.user;
        if (target.role === 'admin' && actor.role !== 'admin') throw permissionDenied('operators may not change users with the admin role');
        if (request.role !== undefined && request.role !== target.role) {
          if (!ADMIN_ROLES.includes(request.role as AdminRole)) throw invalidArgument('role must be "admin" or "operator"');
          if (actor.role !== 'admin') throw permissionDenied('only users with the admin role may change roles');
          changes.role = request.role;
        }
        if (target.id === actor.userId && (changes.isActive === false || changes.role === 'operator')) {
          throw failedPrecondition('you cannot disable or demote your own account');
        }
        const losesAdmin = target.role === 'admin' && target.isActive && (changes.isActive === false || changes.role === 'operator');
        if (losesAdmin && (await activeAdminCount()) <= 1) throw failedPrecondition('the last active admin cannot be disabled or demoted');
        try {
          await em.nativeUpdate(AdminUser, { id: target.id }, { ...changes, updatedAt: new Date() });
        } catch (error) {
          if (error instanceof UniqueConstraintViolationException) throw alreadyExists('another admin user already has this e-mail address');
          throw error;
        }
        if (changes.isActive === false) await identity.sessions.revokeAllOf(target.id);
        await identity.invalidations.publish({ kind: 'admin_user', userId: target.id });
        await identity.audit.record(call, 'user.update', 'admin_user', target.id, { changes: Object.keys(changes) });
        const updated = await orm.em.fork().findOneOrFail(AdminUser, { id: target.id });
        return { user: adminUserInfo(updated) };
      }
      if (request.role !== undefined && request.role !== '') throw invalidArgument('role applies to admin users only');
      if (request.customerId !== undefined && request.customerId !== found.user.customerId) {
        requireUuid('customer_id', request.customerId);
        if (!(await em.count(Customer, { id: request.customerId }))) throw notFound(`customer ${request.customerId} does not exist`);
        changes.customerId = request.customerId;
      }
      try {
        await em.nativeUpdate(CustomerUser, { id: found.user.id }, { ...changes, updatedAt: new Date() });
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) throw alreadyExists('another customer user already has this e-mail address');
        throw error;
      }
      if (changes.isActive === false || changes.customerId !== undefined) await identity.tokens.revokeAllOf(found.user.id);
      await identity.invalidations.publish({ kind: 'customer_user', userId: found.user.id });
      await identity.audit.record(call, 'user.update', 'customer_user', found.user.id, { changes: Object.keys(changes) });
      const updated = await orm.em.fork().findOneOrFail(CustomerUser, { id: found.user.id });
      return { user: customerUserInfo(updated) };
    },

    async deleteUser(request, call) {
      requireUuid('id', request.id);
      const found = await findUser(request.id, null);
      if (!found) throw notFound(`user ${request.id} does not exist`);
      const em = orm.em.fork();
      if (found.type === 'admin') {
        if (call.caller.kind === 'admin' && call.caller.userId === found.user.id) throw failedPrecondition('you cannot delete your own account');
        if (found.user.role === 'admin' && found.user.isActive && (await activeAdminCount()) <= 1) {
          throw failedPrecondition('the last active admin cannot be deleted');
        }
        await identity.sessions.revokeAllOf(found.user.id);
        await em.nativeDelete(AdminUser, { id: found.user.id });
        await identity.invalidations.publish({ kind: 'admin_user', userId: found.user.id });
      } else {
        await identity.tokens.revokeAllOf(found.user.id);
        await em.nativeDelete(CustomerUser, { id: found.user.id });
        await identity.invalidations.publish({ kind: 'customer_user', userId: found.user.id });
      }
      await identity.audit.record(call, 'user.delete', `${found.type}_user`, found.user.id, { username: found.user.username });
      return {};
    },

    async changePassword(request, call) {
      const caller = call.caller;
      if (caller.kind !== 'admin' && caller.kind !== 'customer') throw permissionDenied('API keys have no password to change');
      if (request.oldPassword === '') throw invalidArgument('old_password is required');
      require(passwordProblem(request.newPassword));
      if (request.oldPassword === request.newPassword) throw invalidArgument('the new password must differ from the current one');
      const perUser = await identity.rateLimits.consume('change_password', caller.userId);
      if (perUser !== null) throw resourceExhausted(`too many password changes; retry in ${perUser} s`);
      const accountKey = userAccountKey(caller.kind, caller.userId);
      await refuseIfLocked(accountKey);
      const em = orm.em.fork();
      const user = caller.kind === 'admin' ? await em.findOne(AdminUser, { id: caller.userId }) : await em.findOne(CustomerUser, { id: caller.userId });
      if (!user) throw unauthenticated('your account no longer exists');
      await verifiedPassword(user, request.oldPassword, accountKey, 'the current password is wrong', { clientAddress: call.clientAddress, userId: caller.userId, userType: caller.kind });
      const passwordHash = await hashPassword(request.newPassword);
      if (caller.kind === 'admin') {
        await em.nativeUpdate(AdminUser, { id: user.id }, { passwordHash, updatedAt: new Date() });
        await identity.sessions.revokeAllOf(user.id, caller.sessionId);
      } else {
        await em.nativeUpdate(CustomerUser, { id: user.id }, { passwordHash, updatedAt: new Date() });
        await identity.tokens.revokeAllOf(user.id, caller.tokenId);
      }
      return {};
    },

    async adminResetPassword(request, call) {
      requireUuid('user_id', request.userId);
      require(passwordProblem(request.newPassword));
      const found = await findUser(request.userId, null);
      if (!found) throw notFound(`user ${request.userId} does not exist`);
      const passwordHash = await hashPassword(request.newPassword);
      const em = orm.em.fork();
      if (found.type === 'admin') {
        await em.nativeUpdate(AdminUser, { id: found.user.id }, { passwordHash, updatedAt: new Date() });
        await identity.sessions.revokeAllOf(found.user.id, call.caller.kind === 'admin' ? call.caller.sessionId : undefined);
      } else {
        await em.nativeUpdate(CustomerUser, { id: found.user.id }, { passwordHash, updatedAt: new Date() });
        await identity.tokens.revokeAllOf(found.user.id);
      }
      await identity.audit.record(call, 'user.reset_password', `${found.type}_user`, found.user.id, {});
      return {};
    },

    async getMe(_request, call) {
      const caller = call.caller;
      if (caller.kind === 'admin') {
        const user = await identity.profiles.admin(caller.userId);
        if (!user) throw unauthenticated('your account no longer exists');
        return { user: adminUserInfo(user) };
      }
      if (caller.kind === 'customer') {
        const user = await identity.profiles.customer(caller.userId);
        if (!user) throw unauthenticated('your account no longer exists');
        return { user: customerUserInfo(user) };
      }
      if (caller.kind === 'apikey') {
        return { user: { id: caller.keyId, username: '', email: '', displayName: 'API key', role: '', isActive: true, createdAt: '', userType: 'api_key', customerId: caller.customerId } };
      }
      throw unauthenticated('GetMe requires you to log in');
    },

    async logout(_request, call) {
      const caller = call.caller;
      if (caller.kind === 'admin') {
        await identity.sessions.revoke(caller.sessionId);
        call.responseHeaders.append('set-cookie', identity.sessions.clearingCookie());
        return {};
      }
      if (caller.kind === 'customer') {
        await identity.tokens.revokeFamily(caller.tokenId);
        return {};
      }
      throw failedPrecondition('API keys do not log out; revoke the key with ApiKeyService/RevokeApiKey');
    },
  };
}
