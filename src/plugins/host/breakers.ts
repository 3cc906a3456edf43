/**
 * One opossum circuit breaker per plugin interface and outbound host (HA guide §5, ARCHITECTURE.md
 * "Plugins"): the key is the pair, so one interface's failures against a host never open the
 * breaker another interface uses for the same host (a misconfigured or hostile interface cannot
 * cut a healthy one off).
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

/** Which breaker: the plugin interface making the call and the outbound host. */
export interface BreakerKey {
  /** The calling interface's id (`''` for calls made outside an interface, e.g. while inspecting a script). */
  interfaceId: string;
  /** The outbound host: `new URL(url).host` (`host[:port]`), or `host:port` for SMTP. */
  host: string;
}

/** One breaker's state, as `states()` lists it. */
export interface BreakerStatus extends BreakerKey {
  state: BreakerState;
}

/**
 * How a rejection of a breaker's action counts: `failure` against the host; `answered` (the host
 * answered, e.g. a refused login: counts as a success); `neutral` (the host was never asked or the
 * caller gave up, e.g. a connection refused by the outbound policy or an aborted call: the count of
 * consecutive failures is left as it is — opossum still sees a success, so a half-open breaker
 * whose probe ends neutral closes).
 */
export type FailureKind = 'failure' | 'answered' | 'neutral';

/** Thrown instead of calling the host while its breaker is open (or half-open with the probe in flight). */
export class BreakerOpenError extends Error {
  readonly code = 'EOPENBREAKER';
  /** The outbound host (`host[:port]`). */
  readonly host: string;
  /** The interface whose breaker it is. */
  readonly interfaceId: string;
  /** Milliseconds until the breaker lets a probe through (0 when half-open and the probe is running). */
  readonly retryAfterMs: number;
  constructor(key: BreakerKey, retryAfterMs: number) {
    const { host } = key;
    super(
      retryAfterMs > 0
        ? `circuit breaker for ${host} is open; retry after ${(retryAfterMs / 1000).toFixed(1)} s`
        : `circuit breaker for ${host} is half-open and its probe request is in flight; retry shortly`,
    );
    this.name = 'BreakerOpenError';
    this.host = host;
    this.interfaceId = key.interfaceId;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Options of {@link createHostBreakers}. Durations are milliseconds. */
export interface HostBreakersOptions {
  /** Consecutive failures that open a breaker (`plugins.breaker_failure_threshold`). */
  failureThreshold: number;
  /** How long an open breaker waits before letting one probe through (`plugins.breaker_reset_timeout_ms`). */
  resetTimeoutMs: number;
  /** State changes are logged here: warn on open, info on half-open and close. */
  log: Logger;
  metrics: HostMetrics;
}

/** The breakers of all (interface, outbound host) pairs, created on first use. */
export interface HostBreakers {
  /**
   * Runs `action` through the breaker of `key` (interface and host). A rejection of `action` counts
   * as `classify(error)` says (default: every rejection is a `failure`; see {@link FailureKind}).
   * The result or error of `action` is passed through unchanged.
   *
   * @throws BreakerOpenError without calling `action` when the breaker is open, or half-open with
   *   its probe already in flight.
   */
  fire<T>(key: BreakerKey, action: () => Promise<T>, classify?: (error: unknown) => FailureKind): Promise<T>;
  /** The state of one breaker; `closed` for a pair never called. */
  state(key: BreakerKey): BreakerState;
  /** The state of every breaker created so far, ordered by interface, then host. */
  states(): BreakerStatus[];
  /** Stops all breakers (timers, listeners); later calls to `fire` reject. */
  shutdown(): void;
}

type Action = () => Promise<unknown>;
type Classifier = (error: unknown) => FailureKind;

/** Carries an error the caller does not blame on the host through opossum (its errorFilter lets it pass as a success). */
class NotAHostFailure extends Error {
  readonly original: unknown;
  /** True for a `neutral` outcome: the consecutive-failure count is not reset. */
  readonly neutral: boolean;
  constructor(original: unknown, neutral: boolean) {
    super('not a host failure');
    this.original = original;
    this.neutral = neutral;
  }
}

interface HostBreaker {
  breaker: CircuitBreaker<[Action], unknown>;
  consecutiveFailures: number;
  /** When the breaker last opened (ms since the epoch). */
  openedAt: number;
}

const everyErrorIsAFailure: Classifier = () => 'failure';

function opossumCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}

/**
 * Creates the per-interface-and-host breaker registry. The breakers' timers are unref'd (they never
 * keep the process alive); call `shutdown()` to stop them.
 */
export function createHostBreakers(options: HostBreakersOptions): HostBreakers {
  const { failureThreshold, resetTimeoutMs, log, metrics } = options;
  /** interface id → host → breaker. */
  const breakers = new Map<string, Map<string, HostBreaker>>();

  function stateOf(breaker: CircuitBreaker<[Action], unknown>): BreakerState {
    if (breaker.halfOpen) return 'half_open';
    if (breaker.opened) return 'open';
    return 'closed';
  }

  function create(key: BreakerKey): HostBreaker {
    const { interfaceId, host } = key;
    const labels = { host, interface_id: interfaceId };
    const fields = { interfaceId, host };
    const breaker = new CircuitBreaker<[Action], unknown>((action: Action) => action(), {
      name: `${interfaceId} ${host}`,
      // Each attempt has its own time limit in the caller, which also aborts the request; an
      // opossum timeout would only abandon the promise and count a second failure.
      timeout: false,
      resetTimeout: resetTimeoutMs,
      // Never open by percentage (the rule is `rate > threshold`); see the module comment.
      errorThresholdPercentage: 100,
      volumeThreshold: failureThreshold,
      allowWarmUp: false,
      enableSnapshots: false,
      // Errors the caller does not blame on the host (answered, neutral) count as opossum successes.
      errorFilter: (error: unknown) => error instanceof NotAHostFailure,
    });
    const entry: HostBreaker = { breaker, consecutiveFailures: 0, openedAt: 0 };
    metrics.breakerState.set(labels, BREAKER_STATE_VALUE.closed);

    breaker.on('success', (outcome: unknown) => {
      // A filtered error arrives here as the outcome; a neutral one leaves the count alone.
      if (outcome instanceof NotAHostFailure && outcome.neutral) return;
      entry.consecutiveFailures = 0;
    });
    breaker.on('failure', () => {
      entry.consecutiveFailures += 1;
      if (breaker.closed && entry.consecutiveFailures >= failureThreshold) breaker.open();
      // A failed half-open probe re-opens the breaker inside opossum.
    });
    breaker.on('open', () => {
      entry.openedAt = Date.now();
      metrics.breakerState.set(labels, BREAKER_STATE_VALUE.open);
      log.warn(
        { ...fields, consecutiveFailures: entry.consecutiveFailures, retryAfterMs: resetTimeoutMs },
        `circuit breaker for ${host} opened (interface ${interfaceId})`,
      );
    });
    breaker.on('halfOpen', () => {
      metrics.breakerState.set(labels, BREAKER_STATE_VALUE.half_open);
      log.info(fields, `circuit breaker for ${host} is half-open; letting one probe request through (interface ${interfaceId})`);
    });
    breaker.on('close', () => {
      entry.consecutiveFailures = 0;
      metrics.breakerState.set(labels, BREAKER_STATE_VALUE.closed);
      log.info(fields, `circuit breaker for ${host} closed (interface ${interfaceId})`);
    });
    return entry;
  }

  function entryFor(key: BreakerKey): HostBreaker {
    let byHost = breakers.get(key.interfaceId);
    if (byHost === undefined) {
      byHost = new Map();
      breakers.set(key.interfaceId, byHost);
    }
    let entry = byHost.get(key.host);
    if (entry === undefined) {
      entry = create(key);
      byHost.set(key.host, entry);
    }
    return entry;
  }

  return {
    async fire<T>(key: BreakerKey, action: () => Promise<T>, classify: Classifier = everyErrorIsAFailure): Promise<T> {
      const entry = entryFor(key);
      const { host } = key;
      try {
        // The breaker's action returns what `action` resolved to: a T.
        const guarded = async (): Promise<T> => {
          try {
            return await action();
          } catch (error) {
            const kind = classify(error);
            throw kind === 'failure' ? error : new NotAHostFailure(error, kind === 'neutral');
          }
        };
        return (await entry.breaker.fire(guarded)) as T;
      } catch (error) {
        if (error instanceof NotAHostFailure) throw error.original;
        const code = opossumCode(error);
        if (code === 'ESHUTDOWN') throw new Error(`circuit breaker for ${host} is shut down (the plugin host is closing)`);
        if (code === 'EOPENBREAKER') {
          const retryAfterMs = entry.breaker.halfOpen ? 0 : Math.max(1, entry.openedAt + resetTimeoutMs - Date.now());
          throw new BreakerOpenError(key, retryAfterMs);
        }
        throw error;
      }
    },
    state(key) {
      const entry = breakers.get(key.interfaceId)?.get(key.host);
      return entry === undefined ? 'closed' : stateOf(entry.breaker);
    },
    states() {
      const result: BreakerStatus[] = [];
      for (const [interfaceId, byHost] of breakers) {
        for (const [host, entry] of byHost) result.push({ interfaceId, host, state: stateOf(entry.breaker) });
      }
      return result.sort((a, b) => a.interfaceId.localeCompare(b.interfaceId) || a.host.localeCompare(b.host));
    },
    shutdown() {
      for (const byHost of breakers.values()) for (const entry of byHost.values()) entry.breaker.shutdown();
    },
  };
}
