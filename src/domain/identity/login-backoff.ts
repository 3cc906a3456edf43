/**
 * Per-account backoff after consecutive failed password checks (issue 6, "Accounts"; the
 * consecutive-failures pattern of rate-limiter-flexible's login-protection guide): the first
 * `freeFailures` wrong passwords cost nothing, each further one locks the account for a doubling
 * wait, capped at `maxSecs`. A correct password resets the count. Pure: no I/O, no clock.
 */

/** Settings of the backoff (`[rate_limit]` login_free_failures, login_backoff_base_secs, login_backoff_max_secs). */
export interface LoginBackoffPolicy {
  /** Consecutive failures that are never delayed. */
  freeFailures: number;
  /** Wait after the first delayed failure, in seconds; doubles with each further failure. */
  baseSecs: number;
  /** Longest wait, in seconds. */
  maxSecs: number;
}

/**
 * Seconds the account stays locked after its `consecutiveFailures`-th failure in a row: 0 while
 * within the free failures, then `baseSecs`, `2 × baseSecs`, `4 × baseSecs`, … up to `maxSecs`.
 * @throws RangeError when `consecutiveFailures` is negative or not an integer
 */
export function backoffSeconds(consecutiveFailures: number, policy: LoginBackoffPolicy): number {
  if (!Number.isInteger(consecutiveFailures) || consecutiveFailures < 0) {
    throw new RangeError(`consecutiveFailures must be a non-negative integer, got ${consecutiveFailures}`);
  }
  const delayed = consecutiveFailures - policy.freeFailures;
  if (delayed <= 0) return 0;
  // 2 ** 40 seconds is far beyond any cap; stop doubling there so the number stays exact.
  const wait = policy.baseSecs * 2 ** Math.min(delayed - 1, 40);
  return Math.min(policy.maxSecs, wait);
}

/**
 * The rate-limit key of an account as a login names it: user type and the username in lower case,
 * whether or not such a user exists (so the answer cannot tell existing accounts apart).
 */
export function loginAccountKey(userType: 'admin' | 'customer', username: string): string {
  return `${userType}:name:${username.toLowerCase()}`;
}

/** The rate-limit key of a signed-in account (ChangePassword): user type and id. */
export function userAccountKey(userType: 'admin' | 'customer', userId: string): string {
  return `${userType}:id:${userId}`;
}
