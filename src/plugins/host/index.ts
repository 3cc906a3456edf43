/**
 * The real {@link HostServices}: outbound HTTP behind per-host circuit breakers with retries,
 * cached mTLS agents, SMTP through nodemailer, `plugin_state` through MikroORM, pino logs.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../../../cluster.config.ts';
import type { HostServices, PluginCallContext } from '../types.ts';
import { createHostBreakers, type HostBreakers } from './breakers.ts';
import { createHttpClient } from './http.ts';
import { hostMetrics } from './metrics.ts';
import { createSmtpSender } from './smtp.ts';
import { createPluginStateStore } from './state.ts';
import { createTlsAgents } from './tls-agents.ts';

export { BreakerOpenError, type BreakerState, type HostBreakers } from './breakers.ts';
export { OutboundHttpError } from './http.ts';
export type { SmtpSettings } from './smtp.ts';

/** Options of {@link createHostServices}. */
export interface HostServicesOptions {
  orm: MikroORM;
  /** `[plugins]` settings: breaker threshold and reset timeout, HTTP retries, backoff base and timeout (ms). */
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
 *   through the breaker of `new URL(url).host` (opened by `config.breaker_failure_threshold`
 *   consecutive failures, probed after `config.breaker_reset_timeout_ms`).
 * - `smtpSend`: see smtp.ts — behind the breaker of `smtp_host:smtp_port`, no retries.
 * - `stateGet`/`stateSet`: see state.ts.
 * - `log`: the script's message at its level, with `interfaceId`, `pluginType`, `pluginId`.
 *
 * Nothing connects until the first call.
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
  const agents = createTlsAgents();
  const http = createHttpClient({
    breakers,
    agents,
    metrics,
    log,
    retries: config.http_retries,
    retryBaseMs: config.http_retry_base_ms,
    timeoutMs: config.http_timeout_ms,
  });
  const smtp = createSmtpSender({ breakers, metrics, timeoutMs: config.http_timeout_ms });
  const state = createPluginStateStore(orm);
  const scriptLog = options.log.child({ component: 'plugin' });
  let closed = false;

  return {
    breakers,
    log(level, message, context) {
      scriptLog[level](logFields(context), message);
    },
    http: (request, context) => http(request, context),
    smtpSend: (config, email) => smtp(config, email),
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
