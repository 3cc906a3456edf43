import type { MikroORM } from '@mikro-orm/postgresql';
import { parse as parseCookies } from 'cookie';
import { tokenHash } from '../domain/identity/secrets.ts';
import type { TokenSigner } from '../domain/identity/tokens.ts';
import type { Caller } from '../domain/identity/principal.ts';
import type { Authenticator } from '../grpc/dispatcher.ts';
import { metrics } from '../metrics/metrics.ts';
import { ApiKey } from '../persistence/entities/api-keys.ts';
import type { CustomerTokens } from './customer-tokens.ts';
import type { ApiKeyRecord, PrincipalCache } from './principal-cache.ts';
import type { AdminSessions } from './sessions.ts';

const ANONYMOUS: Caller = { kind: 'anonymous' };
/** `api_keys.last_used_at` is written at most this often per key. */
const API_KEY_TOUCH_MS = 60_000;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Resolves the caller of a request once (ARCHITECTURE.md, request path 2; handbook: 认证机制):
 * `authorization: Bearer <jwt>` (customer access token, or an admin token bound to a session),
 * `authorization: Bearer <api key>` (downstream), or the admin session cookie. Bad credentials are
 * reported as a `problem` (the dispatcher turns it into Unauthenticated for protected RPCs).
 * Sessions, token families and API keys come from the principal cache while warm, so an
 * authenticated call usually costs no database round trip.
 */
export class RequestAuthenticator implements Authenticator {
  private readonly deps: { orm: MikroORM; signer: TokenSigner; sessions: AdminSessions; tokens: CustomerTokens; cache: PrincipalCache; cookieName: string };

  constructor(deps: RequestAuthenticator['deps']) {
    this.deps = deps;
  }

  async authenticate(headers: Headers): Promise<{ caller: Caller; problem?: string }> {
    const authorization = headers.get('authorization');
    if (authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match?.[1]) return this.reject('jwt', 'the authorization header must be "Bearer <token>"');
      const token = match[1];
      return JWT_SHAPE.test(token) ? this.fromJwt(token) : this.fromApiKey(token);
    }
    const cookieHeader = headers.get('cookie');
    if (cookieHeader) {
      const token = parseCookies(cookieHeader)[this.deps.cookieName];
      if (token) return this.fromSessionToken(token);
    }
    return { caller: ANONYMOUS };
  }

  private async fromJwt(token: string): Promise<{ caller: Caller; problem?: string }> {
    const claims = await this.deps.signer.verify(token, ['access', 'admin']);
    if ('problem' in claims) return this.reject('jwt', `bearer token rejected: ${claims.problem}`);
    if (claims.kind === 'admin') {
      if (!claims.sid) return this.reject('jwt', 'bearer token rejected: it names no session');
      const session = await this.deps.sessions.resolveId(claims.sid);
      if ('problem' in session) return this.reject('session', `bearer token rejected: ${session.problem}`);
      if (session.userId !== claims.sub) return this.reject('session', 'bearer token rejected: it does not match its session');
      return { caller: { kind: 'admin', userId: session.userId, username: session.username, role: session.role, sessionId: session.sessionId } };
    }
    if (!claims.cid || !claims.fam) return this.reject('jwt', 'bearer token rejected: it lacks the customer claims');
    if (await this.deps.tokens.isFamilyRevoked(claims.fam)) {
      return this.reject('jwt', 'bearer token rejected: you logged out or your password changed; log in again');
    }
    return { caller: { kind: 'customer', userId: claims.sub, username: '', customerId: claims.cid, tokenId: claims.fam } };
  }

  private async fromSessionToken(token: string): Promise<{ caller: Caller; problem?: string }> {
    const session = await this.deps.sessions.resolveToken(token);
    if ('problem' in session) return this.reject('session', `session cookie rejected: ${session.problem}`);
    return { caller: { kind: 'admin', userId: session.userId, username: session.username, role: session.role, sessionId: session.sessionId } };
  }

  /** The API key with SHA-256 `keyHash` (cached; null caches nothing, so a new key works at once). */
  private async apiKey(keyHash: string): Promise<ApiKeyRecord | null> {
    const cached = this.deps.cache.apiKey(keyHash);
    if (cached) return cached;
    const generation = this.deps.cache.generation;
    const row = await this.deps.orm.em.fork().findOne(ApiKey, { keyHash });
    if (!row) return null;
    const record: ApiKeyRecord = {
      id: row.id, customerId: row.customerId, enabled: row.enabled, revoked: row.revokedAt !== null && row.revokedAt !== undefined,
      expiresAt: row.expiresAt ?? null, lastUsedAt: row.lastUsedAt ?? null,
    };
    this.deps.cache.store(generation, { kind: 'api_key', keyHash, value: record });
    return record;
  }

  private async fromApiKey(key: string): Promise<{ caller: Caller; problem?: string }> {
    const keyHash = tokenHash(key);
    const row = await this.apiKey(keyHash);
    if (!row) return this.reject('api_key', 'bearer token rejected: it is neither a valid JWT nor a known API key');
    if (!row.enabled || row.revoked) return this.reject('api_key', 'API key rejected: it was revoked or disabled');
    const now = Date.now();
    if (row.expiresAt && row.expiresAt.getTime() <= now) return this.reject('api_key', 'API key rejected: it has expired');
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > API_KEY_TOUCH_MS) {
      const at = new Date(now);
      await this.deps.orm.em.fork().nativeUpdate(ApiKey, { id: row.id }, { lastUsedAt: at });
      this.deps.cache.apiKeyUsed(keyHash, at);
    }
    return { caller: { kind: 'apikey', keyId: row.id, customerId: row.customerId } };
  }

  private reject(kind: string, problem: string): { caller: Caller; problem: string } {
    metrics.authFailures.inc({ kind });
    return { caller: ANONYMOUS, problem };
  }
}
