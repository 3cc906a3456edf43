/**
 * Checks once, at startup, whether Redis can be used; without it the server runs degraded, as the
 * RustBill manual's degradation rules describe.
 */
import { Redis } from 'ioredis';
import type { AppConfig } from '../../cluster.config.ts';
import type { BootstrapLog } from './log.ts';

/** How long the probe waits for the connection and for PING, in milliseconds. */
export const REDIS_PROBE_TIMEOUT_MS = 2000;

/** What the server does differently without Redis (shown in the warning). */
export const DEGRADED_FEATURES =
  'rate limits → shared by the workers of each server instead of by all servers; ' +
  'BullMQ background jobs → outbox table polling';

/**
 * Probes Redis: one connection attempt (lazy connect, ~2 s connect and command timeout, no
 * retries) and a PING, then disconnects.
 *
 * @returns true when `[redis] enabled` is true and Redis answered PING; otherwise false, after
 *   logging ONE warning line that says why and lists the degraded features
 * @throws nothing: every failure ends as `false`
 */
export async function probeRedis(config: AppConfig, log: BootstrapLog): Promise<boolean> {
  if (!config.redis.enabled) {
    log.warn(
      { degraded: DEGRADED_FEATURES },
      `Redis is disabled ([redis] enabled = false; set REDIS_URL or [redis] enabled/url to use it): running degraded — ${DEGRADED_FEATURES}`,
    );
    return false;
  }
  const where = redactUrl(config.redis.url);
  const client = new Redis(config.redis.url, {
    lazyConnect: true,
    connectTimeout: REDIS_PROBE_TIMEOUT_MS,
    commandTimeout: REDIS_PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    // Without this, a "max retries" error would be emitted as an unhandled 'error' event.
    reconnectOnError: () => false,
  });
  let lastError: unknown;
  client.on('error', (err: unknown) => {
    lastError = err;
  });
  try {
    await client.connect();
    await client.ping();
    log.info({ redis: where }, 'Redis is reachable');
    return true;
  } catch (err) {
    // The 'error' event carries the cause (ECONNREFUSED, ENOTFOUND, …); the rejection often just says "Connection is closed."
    const reason = describe(lastError ?? err);
    log.warn(
      { redis: where, reason, degraded: DEGRADED_FEATURES },
      `Redis at ${where} is unreachable (${reason}): running degraded — ${DEGRADED_FEATURES}`,
    );
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * The URL without its password (`redis://user:***@host:6379/0`), for messages.
 * @param unparsable what a value that is not a URL becomes (default: the value itself)
 */
export function redactUrl(url: string, unparsable = url): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return unparsable;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
