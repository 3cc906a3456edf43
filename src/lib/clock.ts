/**
 * The business clock (issue 11, "Tests with a simulated clock"): the time money decisions, service
 * periods, invoice dates and the billing lifecycle are decided at. In production it is the system
 * clock. A process started with `NODEBILL_SIMULATED_CLOCK_FILE=<path>` reads the time from that
 * file instead (one RFC3339 instant; the file is re-read on every call, so a test moves the
 * whole cluster's time by rewriting it): that is how the recurring-billing test runs thirteen
 * months in seconds against a real server. Sessions, tokens, rate limits and timeouts keep the
 * system clock.
 */
import { readFileSync } from 'node:fs';

/** A source of the current time. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock whose time is the RFC3339 instant in the file at `path` (surrounding spaces ignored).
 * A file that cannot be read or parsed keeps the last good time (a test rewrites it by renaming a
 * new file over it, so that does not happen in practice).
 * @throws Error when the first read already fails (a misconfigured start, not a passing glitch)
 */
export function fileClock(path: string): Clock {
  const read = (): Date | null => {
    try {
      const at = new Date(readFileSync(path, 'utf8').trim());
      return Number.isNaN(at.getTime()) ? null : at;
    } catch {
      return null;
    }
  };
  let last = read();
  if (last === null) throw new Error(`NODEBILL_SIMULATED_CLOCK_FILE ${path} does not hold an RFC3339 time`);
  return {
    now: () => {
      last = read() ?? last;
      return new Date((last ?? new Date()).getTime());
    },
  };
}

/** The env variable that switches a process to a simulated clock. */
export const SIMULATED_CLOCK_ENV = 'NODEBILL_SIMULATED_CLOCK_FILE';

/** The clock the environment asks for: {@link fileClock} when {@link SIMULATED_CLOCK_ENV} is set, else the system clock. */
export function clockFromEnvironment(env: NodeJS.ProcessEnv): Clock {
  const path = env[SIMULATED_CLOCK_ENV];
  return path === undefined || path === '' ? systemClock : fileClock(path);
}

let current: Clock = systemClock;

/** The process's business clock (see the file comment); delegates to the one set by {@link useClock}. */
export const businessClock: Clock = { now: () => current.now() };

/** Makes `clock` the process's business clock (once, at start-up). */
export function useClock(clock: Clock): void {
  current = clock;
}
