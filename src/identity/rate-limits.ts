import cluster from 'node:cluster';
import type { Redis } from 'ioredis';
import {
  RateLimiterCluster, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { AppConfig } from '../../cluster.config.ts';
import { backoffSeconds, type LoginBackoffPolicy } from '../domain/identity/login-backoff.ts';

/** Which rate limit a request counts against. */
export type RateLimitKind = 'login' | 'register' | 'verification_email' | 'verification_address' | 'change_password';

/** How long a run of failed password checks is remembered without a success (seconds). */
const FAILURE_MEMORY_SECS = 24 * 3600;
/** More consecutive failures than anyone makes; the failure counter never refuses by itself. */
const FAILURE_COUNTER_POINTS = 1_000_000_000;

/**
 * Where the counters live, cluster-wide whenever possible (issue 6: "count per server across
 * workers when Redis is absent"):
 * - Redis enabled: RateLimiterRedis, shared by every worker of every node; while Redis is down the
 *   insurance limiter below answers.
 * - Redis absent (or down): RateLimiterCluster — the counters live in the primary process
 *   (RateLimiterClusterMaster, created by src/cluster/primary.ts) and workers ask it over IPC, so
 *   all workers of one server share them.
 * - Outside a cluster worker (the CLI, unit tests): RateLimiterMemory in the process.
 */
function makeStore(redis: Redis | null, keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
  const local = cluster.isWorker && typeof process.send === 'function'
    ? new RateLimiterCluster({ keyPrefix, points, duration, timeoutMs: 2_000 })
    : new RateLimiterMemory({ keyPrefix, points, duration });
  return redis ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `rl:${keyPrefix}`, points, duration, insuranceLimiter: local }) : local;
}

function retrySeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Rate limits and the per-account login backoff (`[rate_limit]`; spec: handbook 2.6 and 9.10;
 * issue 6 "Accounts"):
 * - per client address: login and register per second, verification codes per hour;
 * - per e-mail address: one verification code per minute;
 * - per signed-in user: `change_password_per_min` ChangePassword calls;
 * - per account: consecutive wrong passwords (at login, or the old password at ChangePassword)
 *   lock the account for a doubling wait after `login_free_failures` (src/domain/identity/login-backoff.ts).
 * When `enabled` is false only the verification-code limits apply. A failing store never locks
 * anybody out (the call is allowed).
 */
export class RateLimits {
  private readonly limiters: Record<RateLimitKind, RateLimiterAbstract>;
  private readonly failures: RateLimiterAbstract;
  private readonly locks: RateLimiterAbstract;
  private readonly enabled: boolean;
  private readonly backoff: LoginBackoffPolicy;

  constructor(config: AppConfig['rate_limit'], redis: Redis | null) {
    this.enabled = config.enabled;
    this.backoff = { freeFailures: config.login_free_failures, baseSecs: config.login_backoff_base_secs, maxSecs: config.login_backoff_max_secs };
    this.limiters = {
      login: makeStore(redis, 'login', config.login_per_sec, 1),
      register: makeStore(redis, 'register', config.register_per_sec, 1),
      // One code per e-mail address per minute; `verification_per_hour` code requests per client address.
      verification_email: makeStore(redis, 'vcode_email', 1, 60),
      verification_address: makeStore(redis, 'vcode_ip', config.verification_per_hour, 3600),
      change_password: makeStore(redis, 'chpw', config.change_password_per_min, 60),
    };
    this.failures = makeStore(redis, 'acct_fail', FAILURE_COUNTER_POINTS, FAILURE_MEMORY_SECS);
    // One point: `block(key, secs)` locks the key; `get` then reports more than one point consumed.
    this.locks = makeStore(redis, 'acct_lock', 1, 1);
  }

  /**
   * Counts one request against `kind` for `key`.
   * @returns null when allowed, else the seconds to wait before retrying (≥ 1).
   */
  async consume(kind: RateLimitKind, key: string): Promise<number | null> {
    if (!this.enabled && kind !== 'verification_email' && kind !== 'verification_address') return null;
    try {
      await this.limiters[kind].consume(key);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return retrySeconds(rejection.msBeforeNext);
      return null; // The store failed and no insurance answered: do not lock people out.
    }
  }

  /**
   * Whether the account `key` (see src/domain/identity/login-backoff.ts) is locked after failed
   * password checks. Checked before the password is, so a locked account costs no bcrypt.
   * @returns null when not locked, else the seconds until it unlocks (≥ 1)
   */
  async accountLocked(key: string): Promise<number | null> {
    if (!this.enabled) return null;
    try {
      const state = await this.locks.get(key);
      return state !== null && state.consumedPoints > 1 ? retrySeconds(state.msBeforeNext) : null;
    } catch {
      return null;
    }
  }

  /**
   * Records a failed password check for the account `key` and locks it when the backoff says so.
   * @returns the seconds the account is now locked (0 when within the free failures)
   */
  async recordFailure(key: string): Promise<number> {
    if (!this.enabled) return 0;
    try {
      const counted = await this.failures.penalty(key, 1);
      const wait = backoffSeconds(counted.consumedPoints, this.backoff);
      if (wait > 0) await this.locks.block(key, wait);
      return wait;
    } catch {
      return 0;
    }
  }

  /** A correct password for the account `key`: its run of failures ends. */
  async recordSuccess(key: string): Promise<void> {
    if (!this.enabled) return;
    try {
      await this.failures.delete(key);
    } catch {
      // Best effort: the count expires on its own.
    }
  }
}
