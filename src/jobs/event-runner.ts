/**
 * Runs one claimed event's handler and records the outcome on its row — the same for events
 * delivered through BullMQ and for events taken from the table.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { metrics } from '../metrics/metrics.ts';
import { trace, context } from '@opentelemetry/api';
import { contextFromTraceparent, inSpan, recordFailure, SpanKind, tracingEnabled } from '../telemetry/index.ts';
import { backoffDelayMs } from './backoff.ts';
import { errorText, finishDone, finishFailed, renewClaim, type ClaimedEvent } from './outbox-store.ts';
import type { EventHandler, JobsConfig } from './types.ts';

/** How an event reached its handler (the `path` label of the metrics). */
export type DeliveryPath = 'queue' | 'table';

/** What {@link runClaimedEvent} needs. */
export interface EventRunnerDeps {
  pool: pg.Pool;
  handlers: Record<string, EventHandler>;
  config: JobsConfig;
  log: Logger;
}

/**
 * Runs the handler of a claimed event, renewing the claim every quarter of `queued_timeout_secs`
 * while it runs, then marks the row: `done`; or after a throw `pending` with the backoff of
 * {@link backoffDelayMs} (`failed` after `max_attempts` runs). An event type without a handler
 * is marked `done` with a note in `last_error` and logged as a warning.
 *
 * @throws only database errors while recording the outcome (the handler's errors are recorded)
 */
export async function runClaimedEvent(deps: EventRunnerDeps, claimed: ClaimedEvent, path: DeliveryPath): Promise<void> {
  if (!tracingEnabled()) return runEvent(deps, claimed, path);
  // Tracing on: one CONSUMER span per run (`process order_paid`), child of the span that wrote the
  // event (the request's actor command), so a paid order's trace reaches its provisioning.
  const { event } = claimed;
  return inSpan(`process ${event.eventType}`, {
    kind: SpanKind.CONSUMER,
    parent: contextFromTraceparent(event.traceParent),
    attributes: {
      'messaging.system': 'nodebill.outbox', 'messaging.operation.type': 'process', 'messaging.message.id': event.id,
      'nodebill.event_type': event.eventType, 'nodebill.event.run': claimed.run, 'nodebill.event.path': path,
      ...(event.orderId ? { 'nodebill.order_id': event.orderId } : {}), ...(event.customerId ? { 'nodebill.customer_id': event.customerId } : {}),
    },
  }, () => runEvent(deps, claimed, path));
}

async function runEvent(deps: EventRunnerDeps, claimed: ClaimedEvent, path: DeliveryPath): Promise<void> {
  const { pool, handlers, config, log } = deps;
  const { event } = claimed;
  const context = { eventId: event.id, eventType: event.eventType, orderId: event.orderId, run: claimed.run, path };
  const handler = Object.hasOwn(handlers, event.eventType) ? handlers[event.eventType] : undefined;
  if (handler === undefined) {
    await finishDone(pool, claimed, `no handler for event type "${event.eventType}": marked done without running anything`);
    metrics.eventsProcessed.inc({ type: event.eventType, outcome: 'unhandled', path });
    log.warn(context, `no handler for outbox event type "${event.eventType}"; marked done`);
    return;
  }

  const renewEveryMs = Math.max(250, (config.queued_timeout_secs * 1000) / 4);
  const renewal = setInterval(() => {
    renewClaim(pool, claimed).then(
      (held) => {
        if (!held) log.warn(context, 'outbox event claim lost while its handler runs (recovered elsewhere after queued_timeout_secs)');
      },
      (error: unknown) => log.warn({ ...context, err: error }, 'could not renew the claim of an outbox event'),
    );
  }, renewEveryMs);
  renewal.unref();

  let failure: { error: unknown } | null = null;
  try {
    await handler(event);
  } catch (error) {
    failure = { error };
  } finally {
    clearInterval(renewal);
  }

  if (failure === null) {
    const held = await finishDone(pool, claimed);
    metrics.eventsProcessed.inc({ type: event.eventType, outcome: 'done', path });
    if (!held) log.warn(context, 'outbox event handled, but its claim had been lost: it may run again');
    else log.debug(context, 'outbox event handled');
    return;
  }
  const retryInMs = backoffDelayMs(claimed.run, config.backoff_base_ms, config.backoff_max_ms);
  const status = await finishFailed(pool, claimed, errorText(failure.error), config.max_attempts, retryInMs);
  markFailed(failure.error);
  if (status === 'failed') {
    metrics.eventsProcessed.inc({ type: event.eventType, outcome: 'failed', path });
    log.error({ ...context, err: failure.error }, `outbox event failed for the last time (run ${claimed.run} of ${config.max_attempts}); left failed for an admin ("events failed", "events retry")`);
  } else {
    metrics.eventsProcessed.inc({ type: event.eventType, outcome: 'retry', path });
    if (status === null) log.warn({ ...context, err: failure.error }, 'outbox event handler failed after its claim had been lost');
    else log.warn({ ...context, err: failure.error, retryInMs }, `outbox event handler failed (run ${claimed.run} of ${config.max_attempts}); retrying after ${retryInMs} ms`);
  }
}

/** Marks the active (event) span failed: the handler threw, the event is retried or left failed. */
function markFailed(error: unknown): void {
  const span = trace.getSpan(context.active());
  if (span) recordFailure(span, error);
}
