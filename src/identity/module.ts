import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppConfig } from '../../cluster.config.ts';
import { TokenSigner } from '../domain/identity/tokens.ts';
import { AuditLog } from './audit.ts';
import { RequestAuthenticator } from './authenticator.ts';
import { CustomerTokens } from './customer-tokens.ts';
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
  audit: AuditLog;
  log: Logger;
  close(): Promise<void>;
}

/** Builds the identity components of a worker from its ORM, configuration and optional Redis. */
export function createIdentity(deps: { orm: MikroORM; config: AppConfig; redis: Redis | null; log: Logger; notifications?: NotificationDispatcher }): Identity {
  const { orm, config, redis, log } = deps;
  const logDelivery = new LogCodeDelivery(log);
  const signer = new TokenSigner(config.jwt.secret);
  const sessions = new AdminSessions(orm, config.session, redis);
  const tokens = new CustomerTokens(orm, signer, config.jwt, redis);
  const delivery = deps.notifications ? new NotifierCodeDelivery(deps.notifications, logDelivery) : logDelivery;
  const codes = new VerificationCodes(orm, config.jwt.secret, delivery);
  return {
    authenticator: new RequestAuthenticator({ orm, signer, sessions, tokens, cookieName: config.session.cookie_name }),
    sessions,
    tokens,
    codes,
    signer,
    rateLimits: new RateLimits(config.rate_limit, redis),
    audit: new AuditLog(orm),
    log,
    close: async () => undefined,
  };
}
