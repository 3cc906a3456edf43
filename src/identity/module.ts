import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../../cluster.config.ts';
import { TokenSigner } from '../domain/identity/tokens.ts';
import { RequestAuthenticator } from './authenticator.ts';
import { CustomerTokens } from './customer-tokens.ts';
import { PrincipalCache, type Invalidation } from './principal-cache.ts';
import { InvalidationPublisher, UserProfiles } from './profiles.ts';
import { RateLimits } from './rate-limits.ts';
import { AdminSessions } from './sessions.ts';
import type { NotificationDispatcher } from '../plugins/notifications.ts';
import { LogCodeDelivery, NotifierCodeDelivery, VerificationCodes } from './verification.ts';

/** Everything identity-related a worker needs, built once per process. */
export interface Identity {
  authenticator: RequestAuthenticator;
  sessions: AdminSessions;
  tokens: CustomerTokens;
  codes: VerificationCodes;
  signer: TokenSigner;
  rateLimits: RateLimits;
  /** The users behind callers (cached). */
  profiles: UserProfiles;
  /** This process's principal cache; invalidations from other workers are applied to it. */
  cache: PrincipalCache;
  /** Publishes changes of users, sessions, token families and API keys to every cache. */
  invalidations: InvalidationPublisher;
  log: Logger;
  close(): Promise<void>;
}

/**
 * Builds the identity components of a worker from its ORM, configuration and optional Redis (rate
 * limits). `broadcast` spreads cache invalidations to the other workers (src/cluster/worker-ipc.ts);
 * without it they stay in this process.
 */
export function createIdentity(deps: {
  orm: MikroORM;
  config: AppConfig;
  redis: Redis | null;
  log: Logger;
  notifications?: NotificationDispatcher;
  /** The process's principal cache (default: a new one). */
  cache?: PrincipalCache;
  broadcast?: (event: Invalidation) => Promise<void>;
}): Identity {
  const { orm, config, redis, log } = deps;
  const logDelivery = new LogCodeDelivery(log);
  const signer = new TokenSigner(config.jwt.secret);
  const cache = deps.cache ?? new PrincipalCache();
  const invalidations = new InvalidationPublisher(cache, deps.broadcast);
  const profiles = new UserProfiles(orm, cache);
  const sessions = new AdminSessions({ orm, config: config.session, cache, profiles, invalidations });
  const tokens = new CustomerTokens({ orm, signer, config: config.jwt, cache, invalidations });
  const delivery = deps.notifications ? new NotifierCodeDelivery(deps.notifications, logDelivery) : logDelivery;
  const codes = new VerificationCodes(orm, config.jwt.secret, delivery);
  return {
    authenticator: new RequestAuthenticator({ orm, signer, sessions, tokens, cache, cookieName: config.session.cookie_name }),
    sessions,
    tokens,
    codes,
    signer,
    rateLimits: new RateLimits(config.rate_limit, redis),
    profiles,
    cache,
    invalidations,
    log,
    close: async () => undefined,
  };
}
