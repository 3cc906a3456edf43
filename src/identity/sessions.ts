import type { Redis } from 'ioredis';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../../cluster.config.ts';
import { newOpaqueToken, tokenHash } from '../domain/identity/secrets.ts';
import { AdminUser, Session } from '../persistence/entities/admin-users.ts';
import type { AdminRole } from '../grpc/context.ts';

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
/** Redis cache-aside lifetime of a resolved session. */
const CACHE_TTL_S = 60;

/**
 * Admin sessions (`[session]`, handbook 2.4): an opaque random token in an httpOnly cookie, stored
 * as its SHA-256; valid until revoked, idle for `idle_timeout_minutes`, or `absolute_timeout_hours`
 * after login. Resolved sessions are cached in Redis when available (handbook 9.10: cache-aside,
 * database only when degraded).
 */
export class AdminSessions {
  private readonly orm: MikroORM;
  private readonly config: AppConfig['session'];
  private readonly redis: Redis | null;

  constructor(orm: MikroORM, config: AppConfig['session'], redis: Redis | null) {
    this.orm = orm;
    this.config = config;
    this.redis = redis;
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
    return this.resolve({ tokenHash: tokenHash(token) });
  }

  /** The live session with id `sessionId` (admin bearer tokens carry it), or a reason. */
  async resolveId(sessionId: string): Promise<ActiveSession | { problem: string }> {
    return this.resolve({ id: sessionId });
  }

  /** Revokes one session (logout). */
  async revoke(sessionId: string): Promise<void> {
    const em = this.orm.em.fork();
    const row = await em.findOne(Session, { id: sessionId });
    if (!row) return;
    await em.nativeUpdate(Session, { id: sessionId, revokedAt: null }, { revokedAt: new Date() });
    await this.forget(row.tokenHash, sessionId);
  }

  /** Revokes every session of an admin user (password reset, deactivation, deletion), except `keep`. */
  async revokeAllOf(userId: string, keep?: string): Promise<void> {
    const em = this.orm.em.fork();
    const rows = await em.find(Session, { adminUserId: userId, revokedAt: null });
    const victims = rows.filter((row) => row.id !== keep);
    if (victims.length === 0) return;
    await em.nativeUpdate(Session, { id: { $in: victims.map((row) => row.id) } }, { revokedAt: new Date() });
    await Promise.all(victims.map((row) => this.forget(row.tokenHash, row.id)));
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

  private async resolve(where: { tokenHash: string } | { id: string }): Promise<ActiveSession | { problem: string }> {
    const cacheKey = 'tokenHash' in where ? `session:h:${where.tokenHash}` : `session:i:${where.id}`;
    let session = await this.cached(cacheKey);
    if (!session) {
      const em = this.orm.em.fork();
      const row = await em.findOne(Session, where);
      if (!row || row.revokedAt) return { problem: 'the session has ended; log in again' };
      const user = await em.findOne(AdminUser, { id: row.adminUserId });
      if (!user || !user.isActive) return { problem: 'the account of this session is disabled or deleted' };
      session = { sessionId: row.id, userId: user.id, username: user.username, role: user.role, expiresAt: row.expiresAt, lastSeenAt: row.lastSeenAt };
      await this.store(cacheKey, row.tokenHash, session);
    }
    const now = Date.now();
    if (session.expiresAt.getTime() <= now) return { problem: 'the session has expired; log in again' };
    if (now - session.lastSeenAt.getTime() > this.config.idle_timeout_minutes * 60_000) {
      return { problem: 'the session expired after inactivity; log in again' };
    }
    if (now - session.lastSeenAt.getTime() > TOUCH_AFTER_MS) {
      const touched = new Date(now);
      await this.orm.em.fork().nativeUpdate(Session, { id: session.sessionId }, { lastSeenAt: touched });
      session = { ...session, lastSeenAt: touched };
      await this.store(cacheKey, null, session);
    }
    return session;
  }

  private async cached(key: string): Promise<ActiveSession | null> {
    if (!this.redis) return null;
    try {
      const raw = await this.redis.get(key);
      if (!raw) return null;
      const parsed = JSON.parse(raw) as Omit<ActiveSession, 'expiresAt' | 'lastSeenAt'> & { expiresAt: string; lastSeenAt: string };
      return { ...parsed, expiresAt: new Date(parsed.expiresAt), lastSeenAt: new Date(parsed.lastSeenAt) };
    } catch {
      return null;
    }
  }

  private async store(key: string, hash: string | null, session: ActiveSession): Promise<void> {
    if (!this.redis) return;
    try {
      const value = JSON.stringify(session);
      await this.redis.set(key, value, 'EX', CACHE_TTL_S);
      if (hash) await this.redis.set(`session:link:${session.sessionId}`, hash, 'EX', CACHE_TTL_S);
    } catch {
      // Cache is best effort; the database stays the source of truth.
    }
  }

  private async forget(hash: string, sessionId: string): Promise<void> {
    if (!this.redis) return;
    try {
      await this.redis.del(`session:h:${hash}`, `session:i:${sessionId}`, `session:link:${sessionId}`);
    } catch {
      // A stale cache entry lives at most CACHE_TTL_S seconds.
    }
  }
}
