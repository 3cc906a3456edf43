/**
 * Signing in and out, and what a signed-in user does to its own account (IdentityService Login,
 * RefreshToken, Logout, GetMe, ChangePassword; handbook 2.3-2.6). Admins get a session (cookie) and a
 * bearer token bound to it; customers a rotating JWT pair.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { DomainError, forbidden, invalid, refused, requireValid } from '../../domain/errors.ts';
import { loginAccountKey, userAccountKey } from '../../domain/identity/login-backoff.ts';
import { hashPassword, verifyPassword } from '../../domain/identity/passwords.ts';
import type { Caller } from '../../domain/identity/principal.ts';
import { passwordProblem, type UserType } from '../../domain/identity/validation.ts';
import { clip } from '../../domain/input-limits.ts';
import type { CustomerTokenPair } from '../../identity/customer-tokens.ts';
import type { Identity } from '../../identity/module.ts';
import type { AdminProfile, CustomerProfile } from '../../identity/principal-cache.ts';
import { AdminUser } from '../../persistence/entities/admin-users.ts';
import { CustomerUser } from '../../persistence/entities/customer-users.ts';
import { Customer } from '../../persistence/entities/customers.ts';

/**
 * Login's answer to an unknown username and to a wrong password alike (the spec lists NotFound for
 * the first; one answer keeps usernames from being enumerated — see the README).
 */
export const WRONG_LOGIN = 'wrong username or password';

/** What a successful login hands out. */
export type LoginResult =
  | {
      userType: 'admin';
      user: AdminProfile;
      /** The session cookie's `Set-Cookie` value. */
      cookie: string;
      bearer: string;
      /** Lifetime of the session and its bearer token, in seconds. */
      expiresIn: number;
    }
  | { userType: 'customer'; user: CustomerProfile; tokens: CustomerTokenPair };

/** Who GetMe describes. */
export type Me = { kind: 'admin'; user: AdminProfile } | { kind: 'customer'; user: CustomerProfile } | { kind: 'apikey'; keyId: string; customerId: string };

/** Where a login comes from (rate limits, logs, the session row). */
export interface LoginClient {
  address: string;
  userAgent: string;
}

function tooMany(message: string): DomainError {
  return new DomainError('resource_exhausted', message);
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class Accounts {
  private readonly orm: MikroORM;
  private readonly identity: Identity;

  constructor(deps: { orm: MikroORM; identity: Identity }) {
    this.orm = deps.orm;
    this.identity = deps.identity;
  }

  /**
   * Checks the credentials and opens a session (admin) or issues a token pair (customer).
   * @throws DomainError resource_exhausted (address rate limit, locked account), invalid_argument
   *   (missing fields, wrong username or password — one answer for both), permission_denied
   *   (disabled user or customer)
   */
  async login(input: { username: string; password: string; userType: UserType }, client: LoginClient): Promise<LoginResult> {
    await this.limit('login', client.address);
    if (input.username === '' || input.password === '') throw invalid('username and password are required');
    const accountKey = loginAccountKey(input.userType, input.username);
    await this.refuseIfLocked(accountKey);
    const logContext = { clientAddress: client.address, username: clip(input.username), userType: input.userType };
    const em = this.orm.em.fork();
    if (input.userType === 'admin') {
      const found = await em.findOne(AdminUser, { username: input.username });
      const user = await this.verifiedPassword(found, input.password, accountKey, WRONG_LOGIN, logContext);
      if (!user.isActive) throw forbidden('this account is disabled; ask an administrator');
      const { token, session } = await this.identity.sessions.open(user, client);
      await em.nativeUpdate(AdminUser, { id: user.id }, { lastLoginAt: new Date() });
      const expiresIn = Math.max(1, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000));
      const bearer = await this.identity.signer.sign({ kind: 'admin', sub: user.id, jti: session.sessionId, sid: session.sessionId }, expiresIn);
      return { userType: 'admin', user, cookie: this.identity.sessions.cookieFor(token), bearer: bearer.token, expiresIn };
    }
    const found = await em.findOne(CustomerUser, { username: input.username });
    const user = await this.verifiedPassword(found, input.password, accountKey, WRONG_LOGIN, logContext);
    if (!user.isActive) throw forbidden('this account is disabled; contact support');
    const customer = await em.findOne(Customer, { id: user.customerId });
    if (!customer?.isActive) throw forbidden('the customer account is disabled; contact support');
    const tokens = await this.identity.tokens.issue({ id: user.id, customerId: user.customerId });
    await em.nativeUpdate(CustomerUser, { id: user.id }, { lastLoginAt: new Date() });
    return { userType: 'customer', user, tokens };
  }

  /**
   * Exchanges a customer refresh token for a new pair (rotation; a reused token ends its family).
   * @throws DomainError invalid_argument saying why the token was refused
   */
  async refresh(refreshToken: string): Promise<CustomerTokenPair> {
    if (refreshToken === '') throw invalid('refresh_token is required');
    const result = await this.identity.tokens.rotate(refreshToken, async (userId) => (await this.identity.profiles.customer(userId))?.isActive === true);
    if ('problem' in result) throw invalid(result.problem);
    return result;
  }

  /**
   * Ends the caller's session (admin; returns the cookie-clearing `Set-Cookie` value) or token
   * family (customer).
   * @throws DomainError failed_precondition for API keys (revoke them instead)
   */
  async logout(caller: Caller): Promise<{ clearCookie: string | null }> {
    if (caller.kind === 'admin') {
      await this.identity.sessions.revoke(caller.sessionId);
      return { clearCookie: this.identity.sessions.clearingCookie() };
    }
    if (caller.kind === 'customer') {
      await this.identity.tokens.revokeFamily(caller.tokenId);
      return { clearCookie: null };
    }
    throw refused('API keys do not log out; revoke the key with ApiKeyService/RevokeApiKey');
  }

  /** The caller as GetMe shows it. @throws DomainError unauthenticated when its user is gone */
  async me(caller: Caller): Promise<Me> {
    if (caller.kind === 'admin') {
      const user = await this.identity.profiles.admin(caller.userId);
      if (!user) throw new DomainError('unauthenticated', 'your account no longer exists');
      return { kind: 'admin', user };
    }
    if (caller.kind === 'customer') {
      const user = await this.identity.profiles.customer(caller.userId);
      if (!user) throw new DomainError('unauthenticated', 'your account no longer exists');
      return { kind: 'customer', user };
    }
    if (caller.kind === 'apikey') return { kind: 'apikey', keyId: caller.keyId, customerId: caller.customerId };
    throw new DomainError('unauthenticated', 'GetMe requires you to log in');
  }

  /**
   * Changes the caller's own password after checking the current one; the caller's other sessions
   * or token families end, the current one stays.
   * @throws DomainError failed_precondition (API keys: they have no password), invalid_argument (wrong current password,
   *   weak or unchanged new one), resource_exhausted (per-user budget, locked after wrong passwords)
   */
  async changePassword(caller: Caller, oldPassword: string, newPassword: string): Promise<void> {
    if (caller.kind !== 'admin' && caller.kind !== 'customer') throw refused('API keys have no password to change');
    if (oldPassword === '') throw invalid('old_password is required');
    requireValid(passwordProblem(newPassword));
    if (oldPassword === newPassword) throw invalid('the new password must differ from the current one');
    const perUser = await this.identity.rateLimits.consume('change_password', caller.userId);
    if (perUser !== null) throw tooMany(`too many password changes; retry in ${perUser} s`);
    const accountKey = userAccountKey(caller.kind, caller.userId);
    await this.refuseIfLocked(accountKey);
    const em = this.orm.em.fork();
    const user = caller.kind === 'admin' ? await em.findOne(AdminUser, { id: caller.userId }) : await em.findOne(CustomerUser, { id: caller.userId });
    if (!user) throw new DomainError('unauthenticated', 'your account no longer exists');
    await this.verifiedPassword(user, oldPassword, accountKey, 'the current password is wrong', { userId: caller.userId, userType: caller.kind });
    user.passwordHash = await hashPassword(newPassword);
    await em.flush();
    if (caller.kind === 'admin') await this.identity.sessions.revokeAllOf(user.id, caller.sessionId);
    else await this.identity.tokens.revokeAllOf(user.id, caller.tokenId);
  }

  private async limit(kind: 'login', address: string): Promise<void> {
    const wait = await this.identity.rateLimits.consume(kind, address || 'unknown');
    if (wait !== null) {
      this.identity.log.warn({ clientAddress: address, kind }, 'rate limit hit');
      throw tooMany(`too many ${kind} attempts from your address; retry in ${wait} s`);
    }
  }

  /** Refuses a call for an account locked after wrong passwords (before any password check). */
  private async refuseIfLocked(accountKey: string): Promise<void> {
    const wait = await this.identity.rateLimits.accountLocked(accountKey);
    if (wait !== null) throw tooMany(`too many wrong passwords for this account; retry in ${wait} s`);
  }

  /**
   * Checks a password against the account `accountKey` names (which may not exist: the same
   * bcrypt work and the same answer either way, so accounts cannot be enumerated), counting wrong
   * passwords towards the account's backoff.
   * @throws DomainError invalid_argument `wrongMessage` when the password is wrong or there is no such user
   */
  private async verifiedPassword<U extends { passwordHash: string }>(
    user: U | null, password: string, accountKey: string, wrongMessage: string, logContext: Record<string, unknown>,
  ): Promise<U> {
    const ok = await verifyPassword(password, user?.passwordHash ?? null);
    if (user && ok) {
      await this.identity.rateLimits.recordSuccess(accountKey);
      return user;
    }
    const lockedSecs = await this.identity.rateLimits.recordFailure(accountKey);
    this.identity.log.warn({ ...logContext, known: user !== null, lockedSecs }, user ? 'password check failed: wrong password' : 'password check failed: no such user');
    throw invalid(wrongMessage);
  }
}
