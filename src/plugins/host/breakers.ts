/**
 * One opossum circuit breaker per outbound host (HA guide §5, ARCHITECTURE.md "Plugins").
 *
 * State machine: closed → (N consecutive failures) → open → (reset timeout) → half-open, which lets
 * exactly one probe through: its success closes the breaker, its failure opens it again for another
 * reset timeout. While open (or half-open with the probe in flight) calls fail fast with a
 * {@link BreakerOpenError} and never reach the host.
 *
 * opossum decides by error *percentage* over a rolling time window, which cannot express "N
 * consecutive failures" (one success in the window, or failures spread over more than the window,
 * would keep it closed). So opossum's own percentage rule is switched off
 * (`errorThresholdPercentage: 100`; it opens only when the rate is *above* the threshold) and this
 * module counts consecutive failures itself and calls `breaker.open()`. opossum still does the rest:
 * fast rejection while open, the reset timer, the single half-open probe (its `pendingClose` flag),
 * closing on the probe's success and re-opening on its failure.
 */
import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import { BREAKER_STATE_VALUE, type HostMetrics } from './metrics.ts';

/** A breaker's state as reported to the API (`breakers.states()`). */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Thrown instead of calling the host while its breaker is open (or half-open with the probe in flight). */
export class BreakerOpenError extends Error {
  readonly code = 'EOPENBREAKER';
  /** The outbound host (`host[:port]`). */
  readonly host: string;
  /** Milliseconds until the breaker lets a probe through (0 when half-open and the probe is running). */
  readonly retryAfterMs: number;
  constructor(host: string, retryAfterMs: number) {
    super(
      retryAfterMs > 0
        ? `circuit breaker for ${host} is open; retry after ${(retryAfterMs / 1000).toFixed(1)} s`
        : `circuit breaker for ${host} is half-open and its probe request is in flight; retry shortly`,
    );
    this.name = 'BreakerOpenError';
    this.host = host;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Options of {@link createHostBreakers}. Durations are milliseconds. */
export interface HostBreakersOptions {
  /** Consecutive failures that open a host's breaker (`plugins.breaker_failure_threshold`). */
  failureThreshold: number;
  /** How long an open breaker waits before letting one probe through (`plugins.breaker_reset_timeout_ms`). */
  resetTimeoutMs: number;
  /** State changes are logged here: warn on open, info on half-open and close. */
  log: Logger;
  metrics: HostMetrics;
}

/** The breakers of all outbound hosts, created on first use. */
export interface HostBreakers {
  /**
   * Runs `action` through the breaker of `host` (`new URL(url).host`, or `host:port` for SMTP).
   * A rejection of `action` counts as a failure of the host unless `isHostFailure(error)` returns
   * false (then it counts as a success: the host answered). The result or error of `action` is
   * passed through unchanged.
   *
   * @throws BreakerOpenError without calling `action` when the breaker is open, or half-open with
   *   its probe already in flight.
   */
  fire<T>(host: string, action: () => Promise<T>, isHostFailure?: (error: unknown) => boolean): Promise<T>;
  /** The state of one host's breaker; `closed` for a host never called. */
  state(host: string): BreakerState;
  /** The state of every breaker created so far, by host. */
  states(): Record<string, BreakerState>;
  /** Stops all breakers (timers, listeners); later calls to `fire` reject. */
  shutdown(): void;
}

type Action = () => Promise<unknown>;
type FailureFilter = (error: unknown) => boolean;

/** Carries an error the caller does not blame on the host through opossum (its errorFilter lets it pass as a success). */
class NotAHostFailure extends Error {
  readonly original: unknown;
  constructor(original: unknown) {
    super('not a host failure');
    this.original = original;
  }
}

interface HostBreaker {
  breaker: CircuitBreaker<[Action], unknown>;
  consecutiveFailures: number;
  /** When the breaker last opened (ms since the epoch). */
  openedAt: number;
}

const everyErrorIsAFailure: FailureFilter = () => true;

function opossumCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}

/**
 * Creates the per-host breaker registry. The breakers' timers are unref'd (they never keep the
 * process alive); call `shutdown()` to stop them.
 */
export function createHostBreakers(options: HostBreakersOptions): HostBreakers {
  const { failureThreshold, resetTimeoutMs, log, metrics } = options;
  const breakers = new Map<string, HostBreaker>();

  function stateOf(breaker: CircuitBreaker<[Action], unknown>): BreakerState {
    if (breaker.halfOpen) return 'half_open';
    if (breaker.opened) return 'open';
    return 'closed';
  }

  function create(host: string): HostBreaker {
    const breaker = new CircuitBreaker<[Action], unknown>((action: Action) => action(), {
      name: host,
      // Each attempt has its own time limit in the caller, which also aborts the request; an
      // opossum timeout would only abandon the promise and count a second failure.
      timeout: false,
      resetTimeout: resetTimeoutMs,
      // Never open by percentage (the rule is `rate > threshold`); see the module comment.
      errorThresholdPercentage: 100,
      volumeThreshold: failureThreshold,
      allowWarmUp: false,
      enableSnapshots: false,
      // Errors the caller does not blame on the host count as successes (the host answered).
      errorFilter: (error: unknown) => error instanceof NotAHostFailure,
    });
    const entry: HostBreaker = { breaker, consecutiveFailures: 0, openedAt: 0 };
    metrics.breakerState.set({ host }, BREAKER_STATE_VALUE.closed);

    breaker.on('success', () => {
      entry.consecutiveFailures = 0;
    });
    breaker.on('failure', () => {
      entry.consecutiveFailures += 1;
      if (breaker.closed && entry.consecutiveFailures >= failureThreshold) breaker.open();
      // A failed half-open probe re-opens the breaker inside opossum.
    });
    breaker.on('open', () => {
      entry.openedAt = Date.now();
      metrics.breakerState.set({ host }, BREAKER_STATE_VALUE.open);
      log.warn(
        { host, consecutiveFailures: entry.consecutiveFailures, retryAfterMs: resetTimeoutMs },
        `circuit breaker for ${host} opened`,
      );
    });
    breaker.on('halfOpen', () => {
      metrics.breakerState.set({ host }, BREAKER_STATE_VALUE.half_open);
      log.info({ host }, `circuit breaker for ${host} is half-open; letting one probe request through`);
    });
    breaker.on('close', () => {
      entry.consecutiveFailures = 0;
      metrics.breakerState.set({ host }, BREAKER_STATE_VALUE.closed);
      log.info({ host }, `circuit breaker for ${host} closed`);
    });
    return entry;
  }

  function entryFor(host: string): HostBreaker {
    let entry = breakers.get(host);
    if (entry === undefined) {
      entry = create(host);
      breakers.set(host, entry);
    }
    return entry;
  }

  return {
    async fire<T>(host: string, action: () => Promise<T>, isHostFailure: FailureFilter = everyErrorIsAFailure): Promise<T> {
      const entry = entryFor(host);
      try {
        // The breaker's action returns what `action` resolved to: a T.
        const guarded = async (): Promise<T> => {
          try {
            return await action();
          } catch (error) {
            throw isHostFailure(error) ? error : new NotAHostFailure(error);
          }
        };
        return (await entry.breaker.fire(guarded)) as T;
      } catch (error) {
        if (error instanceof NotAHostFailure) throw error.original;
        const code = opossumCode(error);
        if (code === 'ESHUTDOWN') throw new Error(`circuit breaker for ${host} is shut down (the plugin host is closing)`);
        if (code === 'EOPENBREAKER') {
          const retryAfterMs = entry.breaker.halfOpen ? 0 : Math.max(1, entry.openedAt + resetTimeoutMs - Date.now());
          throw new BreakerOpenError(host, retryAfterMs);
        }
        throw error;
      }
    },
    state(host) {
      const entry = breakers.get(host);
      return entry === undefined ? 'closed' : stateOf(entry.breaker);
    },
    states() {
      const result: Record<string, BreakerState> = {};
      for (const [host, entry] of breakers) result[host] = stateOf(entry.breaker);
      return result;
    },
    shutdown() {
      for (const entry of breakers.values()) entry.breaker.shutdown();
    },
  };
}
