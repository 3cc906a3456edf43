import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../../cluster.config.ts';
import type { TokenSigner } from '../domain/identity/tokens.ts';
import { newId } from '../lib/ids.ts';
import { RefreshToken } from '../persistence/entities/customer-users.ts';
import type { Invalidation, PrincipalCache } from './principal-cache.ts';
import type { InvalidationPublisher } from './profiles.ts';

/** A pair handed to a customer at login or refresh. */
export interface CustomerTokenPair {
  accessToken: string;
  refreshToken: string;
  /** Lifetime of the access token in seconds. */
  expiresIn: number;
}

/**
 * Customer JWTs (handbook 2.3; jose): an access token (`[jwt].expiry_hours`) and a refresh token
 * (`refresh_expiry_days`) per login, both carrying the refresh family. Refresh tokens rotate: each
 * can be exchanged once; presenting a used one again revokes the whole family (theft detection).
 * Logout revokes the family, which also ends its access tokens: whether a family is revoked is
 * read from the principal cache (src/identity/principal-cache.ts), and a revocation is published
 * to every worker and node before it resolves.
 */
export class CustomerTokens {
  private readonly orm: MikroORM;
  private readonly signer: TokenSigner;
  private readonly config: AppConfig['jwt'];
  private readonly cache: PrincipalCache;
  private readonly invalidations: InvalidationPublisher;

  constructor(deps: { orm: MikroORM; signer: TokenSigner; config: AppConfig['jwt']; cache: PrincipalCache; invalidations: InvalidationPublisher }) {
    this.orm = deps.orm;
    this.signer = deps.signer;
    this.config = deps.config;
    this.cache = deps.cache;
    this.invalidations = deps.invalidations;
  }

  /** Issues a new pair in a new family (login). */
  async issue(user: { id: string; customerId: string }): Promise<CustomerTokenPair> {
    return this.issueInFamily(user, newId());
  }

  /**
   * Exchanges a refresh token for a new pair (rotation).
   * @returns the new pair, or `{ problem }` (invalid, expired, reused — reuse revokes the family).
   */
  async rotate(refreshToken: string, isUserActive: (userId: string) => Promise<boolean>): Promise<CustomerTokenPair | { problem: string }> {
    const claims = await this.signer.verify(refreshToken, 'refresh');
    if ('problem' in claims) return { problem: `refresh token rejected: ${claims.problem}` };
    const em = this.orm.em.fork();
    const row = await em.findOne(RefreshToken, { jti: claims.jti });
    if (!row) return { problem: 'refresh token rejected: it is not known to this server' };
    if (row.revokedAt) return { problem: 'refresh token rejected: it was revoked (logged out); log in again' };
    const now = new Date();
    // Claim the token atomically: only one exchange can set used_at.
    const claimed = await em.nativeUpdate(RefreshToken, { jti: row.jti, usedAt: null, revokedAt: null }, { usedAt: now });
    if (claimed === 0) {
      await this.revokeFamily(row.familyId);
      return { problem: 'refresh token rejected: it was already used, so all sessions of this login were ended; log in again' };
    }
    if (row.expiresAt.getTime() <= now.getTime()) return { problem: 'refresh token rejected: it has expired; log in again' };
    if (!(await isUserActive(row.customerUserId))) return { problem: 'refresh token rejected: the account is disabled' };
    const pair = await this.issueInFamily({ id: row.customerUserId, customerId: row.customerId }, row.familyId);
    const next = await this.signer.verify(pair.refreshToken, 'refresh');
    if (!('problem' in next)) await em.nativeUpdate(RefreshToken, { jti: row.jti }, { replacedBy: next.jti });
    return pair;
  }

  /** Revokes every token of a family (logout, reuse detected), everywhere, before resolving. */
  async revokeFamily(familyId: string): Promise<void> {
    await this.revokeFamilies([familyId]);
  }

  /** Revokes every token of a customer user (password change or reset, deactivation), except family `keep`. */
  async revokeAllOf(customerUserId: string, keep?: string): Promise<void> {
    const event = await this.revokeAllWithin(this.orm.em.fork(), customerUserId, keep);
    if (event) await this.invalidations.publish(event);
  }

  /**
   * {@link revokeAllOf} as part of the caller's transaction `em`: returns the invalidation the
   * caller must publish once it committed (null when there was nothing to revoke).
   */
  async revokeAllWithin(em: EntityManager, customerUserId: string, keep?: string): Promise<Invalidation | null> {
    const rows = await em.find(RefreshToken, { customerUserId, revokedAt: null }, { fields: ['familyId'] });
    const familyIds = [...new Set(rows.map((row) => row.familyId).filter((family) => family !== keep))];
    if (familyIds.length === 0) return null;
    await em.nativeUpdate(RefreshToken, { familyId: { $in: familyIds }, revokedAt: null }, { revokedAt: new Date() });
    return { kind: 'token_families', familyIds };
  }

  /** True when the family was revoked (its access tokens no longer authenticate). */
  async isFamilyRevoked(familyId: string): Promise<boolean> {
    const cached = this.cache.familyRevoked(familyId);
    if (cached !== undefined) return cached;
    const generation = this.cache.generation;
    const revoked = (await this.orm.em.fork().count(RefreshToken, { familyId, revokedAt: { $ne: null } })) > 0;
    this.cache.store(generation, { kind: 'family', familyId, revoked });
    return revoked;
  }

  private async revokeFamilies(familyIds: string[]): Promise<void> {
    if (familyIds.length === 0) return;
    await this.orm.em.fork().nativeUpdate(RefreshToken, { familyId: { $in: familyIds }, revokedAt: null }, { revokedAt: new Date() });
    await this.invalidations.publish({ kind: 'token_families', familyIds });
  }

  private async issueInFamily(user: { id: string; customerId: string }, familyId: string): Promise<CustomerTokenPair> {
    const expiresIn = this.config.expiry_hours * 3600;
    const refreshTtl = this.config.refresh_expiry_days * 86_400;
    const access = await this.signer.sign({ kind: 'access', sub: user.id, jti: newId(), cid: user.customerId, fam: familyId }, expiresIn);
    const refreshJti = newId();
    const refresh = await this.signer.sign({ kind: 'refresh', sub: user.id, jti: refreshJti, cid: user.customerId, fam: familyId }, refreshTtl);
    const em = this.orm.em.fork();
    em.create(RefreshToken, {
      jti: refreshJti,
      customerUserId: user.id,
      customerId: user.customerId,
      familyId,
      expiresAt: new Date(refresh.exp * 1000),
    });
    await em.flush();
    return { accessToken: access.token, refreshToken: refresh.token, expiresIn };
  }
}
