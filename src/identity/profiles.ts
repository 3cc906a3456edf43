import type { MikroORM } from '@mikro-orm/postgresql';
import { AdminUser } from '../persistence/entities/admin-users.ts';
import { CustomerUser } from '../persistence/entities/customer-users.ts';
import type { AdminProfile, CustomerProfile, Invalidation, PrincipalCache } from './principal-cache.ts';

/**
 * Spreads an {@link Invalidation}: applies it to this process's cache at once, then has every other
 * worker (and node) apply it before resolving (src/cluster/worker-ipc.ts broadcastInvalidation).
 * Callers publish after the change committed and before they answer the call, so a revoked
 * session is refused by every worker from the next call on.
 */
export class InvalidationPublisher {
  private readonly cache: PrincipalCache;
  private readonly broadcast: ((event: Invalidation) => Promise<void>) | undefined;

  /** @param broadcast reaches the other workers; omitted outside a cluster (the CLI, tests). */
  constructor(cache: PrincipalCache, broadcast?: (event: Invalidation) => Promise<void>) {
    this.cache = cache;
    this.broadcast = broadcast;
  }

  /** Applies `event` here and everywhere else. Never rejects. */
  async publish(event: Invalidation): Promise<void> {
    this.cache.apply(event);
    await this.broadcast?.(event).catch(() => undefined);
  }
}

/**
 * The admin and customer users authentication and GetMe need, through the principal cache: a
 * database read only on a miss. Changes to a user must publish `admin_user` / `customer_user`.
 */
export class UserProfiles {
  private readonly orm: MikroORM;
  private readonly cache: PrincipalCache;

  constructor(orm: MikroORM, cache: PrincipalCache) {
    this.orm = orm;
    this.cache = cache;
  }

  /** The admin user `userId`, or null when there is none. */
  async admin(userId: string): Promise<AdminProfile | null> {
    const cached = this.cache.admin(userId);
    if (cached) return cached;
    const generation = this.cache.generation;
    const row = await this.orm.em.fork().findOne(AdminUser, { id: userId });
    if (!row) return null;
    const profile: AdminProfile = {
      id: row.id, username: row.username, email: row.email, displayName: row.displayName, role: row.role, isActive: row.isActive, createdAt: row.createdAt,
    };
    this.cache.store(generation, { kind: 'admin', value: profile });
    return profile;
  }

  /** The customer user `userId`, or null when there is none. */
  async customer(userId: string): Promise<CustomerProfile | null> {
    const cached = this.cache.customer(userId);
    if (cached) return cached;
    const generation = this.cache.generation;
    const row = await this.orm.em.fork().findOne(CustomerUser, { id: userId });
    if (!row) return null;
    const profile: CustomerProfile = {
      id: row.id, customerId: row.customerId, username: row.username, email: row.email, displayName: row.displayName, isActive: row.isActive, createdAt: row.createdAt,
    };
    this.cache.store(generation, { kind: 'customer', value: profile });
    return profile;
  }
}
