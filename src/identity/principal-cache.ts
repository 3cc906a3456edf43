/**
 * The in-process cache of everything authentication reads on every call (issue 6, "The request
 * path costs 10–20× its transport"): admin sessions, the admin and customer users behind them,
 * revoked-or-not customer token families, and API keys. An authenticated read costs no database
 * round trip while its entries are warm.
 *
 * Freshness comes from invalidation, not from the TTL: every change that could make an entry wrong
 * (logout, password change, deactivation, role or profile change, deletion, token revocation)
 * publishes an {@link Invalidation} through the invalidation bus (src/cluster/invalidation-bus.ts),
 * which applies it here and in every other worker of every node before the change is answered
 * (other nodes: as soon as PostgreSQL delivers the notification). The TTL only bounds the damage of
 * an invalidation lost on the way to another node.
 *
 * A load racing an invalidation must not put the old value back: loads read {@link generation}
 * before querying and {@link PrincipalCache.store} drops the value when an invalidation came in
 * meanwhile.
 */
import type { AdminRole } from '../domain/identity/principal.ts';

/** What can go stale, and the change that makes it so. */
export type Invalidation =
  /** Sessions ended (logout, password change or reset, deactivation, deletion). */
  | { kind: 'sessions'; sessionIds: string[] }
  /** An admin user changed (role, activity, profile, password) or was deleted. */
  | { kind: 'admin_user'; userId: string }
  /** A customer user changed (activity, profile, customer) or was deleted. */
  | { kind: 'customer_user'; userId: string }
  /** Customer token families revoked (logout, password change, refresh-token reuse). */
  | { kind: 'token_families'; familyIds: string[] }
  /** An API key revoked, disabled or deleted (by its SHA-256). */
  | { kind: 'api_key'; keyHash: string }
  /** The tax rules changed (issue 11): not the principal cache's; the billing terms drop their copy. */
  | { kind: 'tax_rules' };

/** An admin session as stored (the `sessions` row without the client details). */
export interface SessionRecord {
  sessionId: string;
  userId: string;
  tokenHash: string;
  expiresAt: Date;
  lastSeenAt: Date;
  revoked: boolean;
}

/** An admin user as authentication and GetMe need it (no password hash). */
export interface AdminProfile {
  id: string;
  username: string;
  email: string;
  displayName: string;
  role: AdminRole;
  isActive: boolean;
  createdAt: Date;
}

/** A customer user as authentication and GetMe need it (no password hash). */
export interface CustomerProfile {
  id: string;
  customerId: string;
  username: string;
  email: string;
  displayName: string;
  isActive: boolean;
  createdAt: Date;
}

/** An API key as authentication needs it. */
export interface ApiKeyRecord {
  id: string;
  customerId: string;
  enabled: boolean;
  revoked: boolean;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** Entries of one kind: insertion-ordered, so the oldest is dropped first when full. */
class TtlMap<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(ttlMs: number, maxEntries: number) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until: now + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Deletes every entry whose value matches. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Options of {@link PrincipalCache}. */
export interface PrincipalCacheOptions {
  /** How long an entry is trusted without an invalidation, in ms (default 30 s). */
  ttlMs?: number;
  /** Most entries of each kind (default 10,000). */
  maxEntries?: number;
  /** The clock, in ms since the epoch (tests). */
  now?: () => number;
}

/** See the file comment. Not shared between processes: each worker has its own. */
export class PrincipalCache {
  private readonly sessions: TtlMap<SessionRecord>;
  private readonly sessionIdsByHash: TtlMap<string>;
  private readonly admins: TtlMap<AdminProfile>;
  private readonly customers: TtlMap<CustomerProfile>;
  private readonly families: TtlMap<boolean>;
  private readonly apiKeys: TtlMap<ApiKeyRecord>;
  private readonly now: () => number;
  private invalidations = 0;

  constructor(options: PrincipalCacheOptions = {}) {
    const ttl = options.ttlMs ?? 30_000;
    const max = options.maxEntries ?? 10_000;
    this.sessions = new TtlMap(ttl, max);
    this.sessionIdsByHash = new TtlMap(ttl, max);
    this.admins = new TtlMap(ttl, max);
    this.customers = new TtlMap(ttl, max);
    this.families = new TtlMap(ttl, max);
    this.apiKeys = new TtlMap(ttl, max);
    this.now = options.now ?? Date.now;
  }

  /** Counts invalidations applied; read it before a load and pass it to the store call. */
  get generation(): number {
    return this.invalidations;
  }

  session(sessionId: string): SessionRecord | undefined {
    return this.sessions.get(sessionId, this.now());
  }

  sessionByTokenHash(tokenHash: string): SessionRecord | undefined {
    const id = this.sessionIdsByHash.get(tokenHash, this.now());
    return id === undefined ? undefined : this.session(id);
  }

  admin(userId: string): AdminProfile | undefined {
    return this.admins.get(userId, this.now());
  }

  customer(userId: string): CustomerProfile | undefined {
    return this.customers.get(userId, this.now());
  }

  /** Whether the family is revoked, or undefined when not known. */
  familyRevoked(familyId: string): boolean | undefined {
    return this.families.get(familyId, this.now());
  }

  apiKey(keyHash: string): ApiKeyRecord | undefined {
    return this.apiKeys.get(keyHash, this.now());
  }

  /**
   * Stores a loaded value unless an invalidation was applied since `generation` was read (the
   * value may predate it). Returns whether it was stored.
   */
  store(generation: number, entry:
    | { kind: 'session'; value: SessionRecord }
    | { kind: 'admin'; value: AdminProfile }
    | { kind: 'customer'; value: CustomerProfile }
    | { kind: 'family'; familyId: string; revoked: boolean }
    | { kind: 'api_key'; keyHash: string; value: ApiKeyRecord }): boolean {
    if (generation !== this.invalidations) return false;
    const now = this.now();
    switch (entry.kind) {
      case 'session':
        this.sessions.set(entry.value.sessionId, entry.value, now);
        this.sessionIdsByHash.set(entry.value.tokenHash, entry.value.sessionId, now);
        break;
      case 'admin':
        this.admins.set(entry.value.id, entry.value, now);
        break;
      case 'customer':
        this.customers.set(entry.value.id, entry.value, now);
        break;
      case 'family':
        this.families.set(entry.familyId, entry.revoked, now);
        break;
      case 'api_key':
        this.apiKeys.set(entry.keyHash, entry.value, now);
        break;
    }
    return true;
  }

  /**
   * Updates a cached session's `lastSeenAt` after it was written to the database (not an
   * invalidation: the entry stays, with the newer time).
   */
  touched(sessionId: string, lastSeenAt: Date): void {
    const session = this.session(sessionId);
    if (session) this.sessions.set(sessionId, { ...session, lastSeenAt }, this.now());
  }

  /** Records that an API key was used at `at` (kept in the entry, so the next write waits a minute). */
  apiKeyUsed(keyHash: string, at: Date): void {
    const key = this.apiKey(keyHash);
    if (key) this.apiKeys.set(keyHash, { ...key, lastUsedAt: at }, this.now());
  }

  /** Drops what `event` makes stale. Idempotent. */
  apply(event: Invalidation): void {
    this.invalidations += 1;
    switch (event.kind) {
      case 'sessions':
        for (const id of event.sessionIds) this.sessions.delete(id);
        break;
      case 'admin_user':
        this.admins.delete(event.userId);
        this.sessions.deleteWhere((session) => session.userId === event.userId);
        break;
      case 'customer_user':
        this.customers.delete(event.userId);
        break;
      case 'token_families':
        for (const id of event.familyIds) this.families.delete(id);
        break;
      case 'api_key':
        this.apiKeys.delete(event.keyHash);
        break;
      case 'tax_rules':
        break;
    }
  }

  /** Entries held, by kind (metrics and tests). */
  sizes(): Record<'sessions' | 'admins' | 'customers' | 'families' | 'apiKeys', number> {
    return { sessions: this.sessions.size, admins: this.admins.size, customers: this.customers.size, families: this.families.size, apiKeys: this.apiKeys.size };
  }
}
