import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AppConfig } from '../../cluster.config.ts';

/** Which rate limit a request counts against. */
export type RateLimitKind = 'login' | 'register' | 'verification_email' | 'verification_address';

/**
 * Rate limits per client address (`[rate_limit]`; spec: handbook 2.6 and 9.10). Shared across the
 * cluster through Redis when it is enabled; per process in memory when Redis is off or down
 * (rate-limiter-flexible's insurance limiter), as the degradation table says.
 */
export class RateLimits {
  private readonly limiters: Record<RateLimitKind, RateLimiterAbstract>;
  private readonly enabled: boolean;

  constructor(config: AppConfig['rate_limit'], redis: Redis | null) {
    this.enabled = config.enabled;
    const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix, points, duration });
      return redis ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `rl:${keyPrefix}`, points, duration, insuranceLimiter: memory }) : memory;
    };
    this.limiters = {
      login: make('login', config.login_per_sec, 1),
      register: make('register', config.register_per_sec, 1),
      // One code per e-mail address per minute; `verification_per_hour` code requests per client address.
      verification_email: make('vcode_email', 1, 60),
      verification_address: make('vcode_ip', config.verification_per_hour, 3600),
    };
  }

  /**
   * Counts one request against `kind` for `key`.
   * @returns null when allowed, else the seconds to wait before retrying (≥ 1).
   */
  async consume(kind: RateLimitKind, key: string): Promise<number | null> {
    if (!this.enabled && (kind === 'login' || kind === 'register')) return null;
    try {
      await this.limiters[kind].consume(key);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      return null; // The store failed and no insurance answered: do not lock people out.
    }
  }
}
