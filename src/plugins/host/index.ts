/**
 * The real {@link HostServices}: outbound HTTP behind per-interface-and-host circuit breakers with
 * retries, a response cap and the outbound address policy, cached mTLS agents, SMTP through
 * nodemailer (same policy), `plugin_state` through MikroORM with quotas, pino logs.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../../../cluster.config.ts';
import type { HostServices, PluginCallContext } from '../types.ts';
import { createHostBreakers, type HostBreakers } from './breakers.ts';
import { createHttpClient } from './http.ts';
import { hostMetrics } from './metrics.ts';
import { createOutboundGuard } from './outbound-guard.ts';
import { parseAllowList } from './outbound-policy.ts';
import { createSmtpSender } from './smtp.ts';
import { createPluginStateStore } from './state.ts';
import { createTlsAgents } from './tls-agents.ts';

export { BreakerOpenError, type BreakerKey, type BreakerState, type BreakerStatus, type HostBreakers } from './breakers.ts';
export { OutboundAbortedError, OutboundHttpError, ResponseTooLargeError } from './http.ts';
export { OutboundPolicyError } from './outbound-guard.ts';
export type { SmtpSettings } from './smtp.ts';

/** Options of {@link createHostServices}. */
export interface HostServicesOptions {
  orm: MikroORM;
  /**
   * `[plugins]` settings: breaker threshold and reset timeout, HTTP retries, backoff base and
   * timeout (ms), response cap (bytes), outbound allow-list, state quotas.
   */
  config: AppConfig['plugins'];
  log: Logger;
  /** Where the breaker and outbound-request metrics are registered (default: prom-client's default registry). */
  registry?: Registry;
}

/** The host services plus their breakers (for the API's breaker states) and a way to release them. */
export type HostServicesHandle = HostServices & {
  breakers: HostBreakers;
  /** Stops the breakers' timers and closes all pooled connections. Idempotent. */
  close(): Promise<void>;
};

function logFields(context: PluginCallContext): Record<string, string> {
  return { interfaceId: context.interfaceId, pluginType: context.pluginType, pluginId: context.pluginId };
}

/**
 * Builds the host services the plugin engine binds to `rustbill_host.*`.
 *
 * - `http`: see http.ts — per-attempt timeout `config.http_timeout_ms` (or `request.timeoutMs`),
 *   up to `config.http_retries` retries with backoff from `config.http_retry_base_ms`, each attempt
 *   through the breaker of the calling interface and `new URL(url).host` (opened by
 *   `config.breaker_failure_threshold` consecutive failures, probed after
 *   `config.breaker_reset_timeout_ms`), bodies capped at `config.max_response_bytes`, stopped by
 *   `request.signal`.
 * - `smtpSend`: see smtp.ts — behind the breaker of the interface and `smtp_host:smtp_port`, no retries.
 * - Both connect only where the outbound policy allows (outbound-policy.ts, with
 *   `config.outbound_allow`), judged after DNS at connect time.
 * - `stateGet`/`stateSet`: see state.ts — values up to `config.state_max_value_bytes`, up to
 *   `config.state_max_keys` keys per interface.
 * - `log`: the script's message at its level, with `interfaceId`, `pluginType`, `pluginId`.
 *
 * Nothing connects until the first call.
 *
 * @throws Error when `config.outbound_allow` holds an entry that is neither a host name nor an IP
 *   address or CIDR range
 */
export function createHostServices(options: HostServicesOptions): HostServicesHandle {
  const { orm, config } = options;
  const log = options.log.child({ component: 'plugin-host' });
  const metrics = hostMetrics(options.registry);
  const breakers = createHostBreakers({
    failureThreshold: config.breaker_failure_threshold,
    resetTimeoutMs: config.breaker_reset_timeout_ms,
    log,
    metrics,
  });
  const guard = createOutboundGuard(parseAllowList(config.outbound_allow));
  const agents = createTlsAgents({ guard });
  const http = createHttpClient({
    breakers,
    agents,
    metrics,
    log,
    guard,
    retries: config.http_retries,
    retryBaseMs: config.http_retry_base_ms,
    timeoutMs: config.http_timeout_ms,
    maxResponseBytes: config.max_response_bytes,
  });
  const smtp = createSmtpSender({ breakers, metrics, guard, timeoutMs: config.http_timeout_ms });
  const state = createPluginStateStore(orm, { maxValueBytes: config.state_max_value_bytes, maxKeys: config.state_max_keys });
  const scriptLog = options.log.child({ component: 'plugin' });
  let closed = false;

  return {
    breakers,
    log(level, message, context) {
      scriptLog[level](logFields(context), message);
    },
    http: (request, context) => http(request, context),
    smtpSend: (config, email, context) => smtp(config, email, context),
    stateGet: (interfaceId, key) => state.get(interfaceId, key),
    stateSet: (interfaceId, key, value) => state.set(interfaceId, key, value),
    async close() {
      if (closed) return;
      closed = true;
      breakers.shutdown();
      agents.destroy();
    },
  };
}
