import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../../cluster.config.ts';
import { newOpaqueToken, tokenHash } from '../domain/identity/secrets.ts';
import { Session } from '../persistence/entities/admin-users.ts';
import type { AdminRole } from '../domain/identity/principal.ts';
import type { Invalidation, PrincipalCache, SessionRecord } from './principal-cache.ts';
import type { InvalidationPublisher, UserProfiles } from './profiles.ts';

/** An admin session as authentication sees it. */
export interface ActiveSession {
  sessionId: string;
  userId: string;
  username: string;
  role: AdminRole;
  /** Absolute expiry. */
  expiresAt: Date;
  lastSeenAt: Date;
}

/** Only refresh `last_seen_at` when it is older than this, to keep writes off the hot path. */
const TOUCH_AFTER_MS = 60_000;

/**
 * Admin sessions (`[session]`, handbook 2.4): an opaque random token in an httpOnly cookie, stored
 * as its SHA-256; valid until revoked, idle for `idle_timeout_minutes`, or `absolute_timeout_hours`
 * after login. Resolving a session reads the principal cache (src/identity/principal-cache.ts) and
 * the database only on a miss; revoking one publishes the invalidation to every worker and node
 * before it resolves.
 */
export class AdminSessions {
  private readonly orm: MikroORM;
  private readonly config: AppConfig['session'];
  private readonly cache: PrincipalCache;
  private readonly profiles: UserProfiles;
  private readonly invalidations: InvalidationPublisher;

  constructor(deps: { orm: MikroORM; config: AppConfig['session']; cache: PrincipalCache; profiles: UserProfiles; invalidations: InvalidationPublisher }) {
    this.orm = deps.orm;
    this.config = deps.config;
    this.cache = deps.cache;
    this.profiles = deps.profiles;
    this.invalidations = deps.invalidations;
  }

  /** Opens a session for `user`; returns the raw token (for the cookie) and the session. */
  async open(user: { id: string; username: string; role: AdminRole }, client: { address: string; userAgent: string }): Promise<{ token: string; session: ActiveSession }> {
    const token = newOpaqueToken();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.absolute_timeout_hours * 3_600_000);
    const em = this.orm.em.fork();
    const row = em.create(Session, {
      adminUserId: user.id,
      tokenHash: tokenHash(token),
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      clientAddress: client.address.slice(0, 64) || null,
      userAgent: client.userAgent.slice(0, 1000) || null,
    });
    await em.flush();
    return { token, session: { sessionId: row.id, userId: user.id, username: user.username, role: user.role, expiresAt, lastSeenAt: now } };
  }

  /** The live session behind a cookie token, or a reason it is not usable. */
  async resolveToken(token: string): Promise<ActiveSession | { problem: string }> {
    const hash = tokenHash(token);
    return this.resolve(this.cache.sessionByTokenHash(hash), { tokenHash: hash });
  }

  /** The live session with id `sessionId` (admin bearer tokens carry it), or a reason. */
  async resolveId(sessionId: string): Promise<ActiveSession | { problem: string }> {
    return this.resolve(this.cache.session(sessionId), { id: sessionId });
  }

  /** Revokes one session (logout), everywhere, before resolving. */
  async revoke(sessionId: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(Session, { id: sessionId, revokedAt: null }, { revokedAt: new Date() });
    await this.invalidations.publish({ kind: 'sessions', sessionIds: [sessionId] });
  }

  /** Revokes every session of an admin user (password reset, deactivation, deletion), except `keep`. */
  async revokeAllOf(userId: string, keep?: string): Promise<void> {
    const event = await this.revokeAllWithin(this.orm.em.fork(), userId, keep);
    if (event) await this.invalidations.publish(event);
  }

  /**
   * {@link revokeAllOf} as part of the caller's transaction `em`: returns the invalidation the
   * caller must publish once it committed (null when there was nothing to revoke).
   */
  async revokeAllWithin(em: EntityManager, userId: string, keep?: string): Promise<Invalidation | null> {
    const rows = await em.find(Session, { adminUserId: userId, revokedAt: null }, { fields: ['id'] });
    const victims = rows.map((row) => row.id).filter((id) => id !== keep);
    if (victims.length === 0) return null;
    await em.nativeUpdate(Session, { id: { $in: victims } }, { revokedAt: new Date() });
    return { kind: 'sessions', sessionIds: victims };
  }

  /** The Set-Cookie value that stores `token` in the browser. */
  cookieFor(token: string): string {
    const maxAge = this.config.absolute_timeout_hours * 3600;
    return this.cookie(token, maxAge);
  }

  /** The Set-Cookie value that removes the cookie. */
  clearingCookie(): string {
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAge: number): string {
    const parts = [`${this.config.cookie_name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${this.config.cookie_same_site}`, `Max-Age=${maxAge}`];
    if (this.config.cookie_secure || this.config.cookie_same_site === 'None') parts.push('Secure');
    return parts.join('; ');
  }

  private async load(where: { tokenHash: string } | { id: string }): Promise<SessionRecord | null> {
    const generation = this.cache.generation;
    const row = await this.orm.em.fork().findOne(Session, where);
    if (!row) return null;
    const record: SessionRecord = {
      sessionId: row.id, userId: row.adminUserId, tokenHash: row.tokenHash, expiresAt: row.expiresAt, lastSeenAt: row.lastSeenAt, revoked: row.revokedAt !== null && row.revokedAt !== undefined,
    };
    this.cache.store(generation, { kind: 'session', value: record });
    return record;
  }

  private idle(record: SessionRecord, now: number): boolean {
    return now - record.lastSeenAt.getTime() > this.config.idle_timeout_minutes * 60_000;
  }

  private async resolve(cached: SessionRecord | undefined, where: { tokenHash: string } | { id: string }): Promise<ActiveSession | { problem: string }> {
    const now = Date.now();
    // Another worker may have seen the session more recently than this cache entry says.
    const stale = cached !== undefined && this.idle(cached, now);
    const record = cached !== undefined && !stale ? cached : await this.load(where);
    if (!record || record.revoked) return { problem: 'the session has ended; log in again' };
    const user = await this.profiles.admin(record.userId);
    if (!user || !user.isActive) return { problem: 'the account of this session is disabled or deleted' };
    if (record.expiresAt.getTime() <= now) return { problem: 'the session has expired; log in again' };
    if (this.idle(record, now)) return { problem: 'the session expired after inactivity; log in again' };
    let lastSeenAt = record.lastSeenAt;
    if (now - lastSeenAt.getTime() > TOUCH_AFTER_MS) {
      lastSeenAt = new Date(now);
      await this.orm.em.fork().nativeUpdate(Session, { id: record.sessionId }, { lastSeenAt });
      this.cache.touched(record.sessionId, lastSeenAt);
    }
    return { sessionId: record.sessionId, userId: user.id, username: user.username, role: user.role, expiresAt: record.expiresAt, lastSeenAt };
  }
}
