/**
 * Prometheus metrics of the plugin host's outbound traffic: the state of every circuit breaker
 * (per interface and host) and the outbound requests by host and outcome.
 */
import { Counter, Gauge, register, type Registry } from 'prom-client';

/** `nodebill_plugin_breaker_state` values. */
export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * How one outbound attempt ended: `response` (an HTTP status below 500, or a delivered mail),
 * `server_error` (HTTP 5xx), `network_error` (connection, TLS or protocol failure), `timeout` (the
 * per-attempt time limit), `rejected` (failed fast by an open breaker, never sent), `refused` (the
 * outbound policy refused the address, never sent), `too_large` (the response body passed
 * `[plugins] max_response_bytes` and was cut off), `aborted` (the plugin call ended first).
 */
export type OutboundOutcome = 'response' | 'server_error' | 'network_error' | 'timeout' | 'rejected' | 'refused' | 'too_large' | 'aborted';

/** The metric objects the host services update. */
export interface HostMetrics {
  /** `nodebill_plugin_breaker_state{host,interface_id}`: 0 closed, 1 half-open, 2 open (cluster aggregate: max). */
  breakerState: Gauge<'host' | 'interface_id'>;
  /** `nodebill_plugin_outbound_requests_total{host,outcome}`: attempts, retries included. */
  outboundRequests: Counter<'host' | 'outcome'>;
}

const BREAKER_STATE = 'nodebill_plugin_breaker_state';
const OUTBOUND_REQUESTS = 'nodebill_plugin_outbound_requests_total';

/**
 * The host metrics registered in `registry` (default: prom-client's default registry, which the
 * cluster primary aggregates). Idempotent: a second call with the same registry returns the
 * metrics registered by the first, so several host-service instances in one process share them.
 *
 * @throws Error when `registry` already holds a metric of one of these names of another type.
 */
export function hostMetrics(registry: Registry = register): HostMetrics {
  const existingState = registry.getSingleMetric(BREAKER_STATE);
  const existingRequests = registry.getSingleMetric(OUTBOUND_REQUESTS);
  const breakerState =
    existingState === undefined
      ? new Gauge({
          name: BREAKER_STATE,
          help: 'Circuit breaker state per plugin interface and outbound host: 0 closed, 1 half-open, 2 open',
          labelNames: ['host', 'interface_id'] as const,
          aggregator: 'max',
          registers: [registry],
        })
      : existingState;
  const outboundRequests =
    existingRequests === undefined
      ? new Counter({
          name: OUTBOUND_REQUESTS,
          help: 'Outbound plugin requests (each attempt, retries included) by host and outcome: response, server_error, network_error, timeout, rejected, refused, too_large, aborted',
          labelNames: ['host', 'outcome'] as const,
          registers: [registry],
        })
      : existingRequests;
  if (!(breakerState instanceof Gauge) || !(outboundRequests instanceof Counter)) {
    throw new Error(`metric ${BREAKER_STATE} or ${OUTBOUND_REQUESTS} is already registered with another type`);
  }
  return { breakerState, outboundRequests };
}
