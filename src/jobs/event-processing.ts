/**
 * The delivery loop of one process (see index.ts for the whole design). Every `poll_interval_ms`,
 * or at once after `nudge()`:
 * 1. claims whose process stopped renewing them for `queued_timeout_secs` are recovered;
 * 2. with Redis usable, pending events (and queued ones whose job may have vanished) are relayed
 *    into BullMQ, whose worker claims each by id and runs it;
 * 3. without Redis (none configured, or unreachable now), pending and queued events are claimed
 *    straight from the table and run here, at most `concurrency` at a time.
 * The mode is chosen again on every pass, so a Redis that comes back is used again at once; both
 * paths claim the same rows, so switching neither loses nor repeats an event.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { newId } from '../lib/ids.ts';
import { metrics } from '../metrics/metrics.ts';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { inSpan, linkTo, SpanKind, tracingEnabled } from '../telemetry/index.ts';
import { runClaimedEvent, type DeliveryPath, type EventRunnerDeps } from './event-runner.ts';
import { claimBatch, claimEvent, countBacklog, recoverLostClaims, relayBatch, type ClaimedEvent, type RelayRow } from './outbox-store.ts';
import { QueueTransport } from './queue-transport.ts';
import type { EventHandler, EventProcessing, JobsConfig } from './types.ts';

/** Events relayed per transaction. */
const RELAY_BATCH = 200;
/** How often the backlog gauge is refreshed, in milliseconds. */
const BACKLOG_EVERY_MS = 5000;

/** What {@link createEventProcessing} needs. */
export interface EventProcessingOptions {
  /** The pool events are read from and written to (the caller's; not closed by stop()). */
  pool: pg.Pool;
  /** Redis for BullMQ, or null to consume the table only. */
  redisUrl: string | null;
  /** Prefix of the BullMQ keys (`[redis] prefix`). */
  redisPrefix: string;
  /** Handlers by event type. */
  handlers: Record<string, EventHandler>;
  config: JobsConfig;
  log: Logger;
  /** Names this process in claims (`locked_by`) and logs, e.g. `node-1/worker-0`. */
  workerId: string;
}

/**
 * Creates the event delivery of one process (nothing runs before `start()`). With
 * `config.enabled = false` start() does nothing.
 *
 * - start(): starts polling (and, with a Redis URL, the BullMQ worker). Idempotent.
 * - nudge(): runs a pass now instead of at the next poll (coalesced; no-op before start/after stop).
 * - stop(): stops polling and taking events, waits for the handlers running in this process,
 *   then closes every BullMQ and Redis connection it opened (the pool stays open). Resolves once
 *   all of that is done; never rejects.
 */
export function createEventProcessing(options: EventProcessingOptions): EventProcessing {
  const { pool, redisUrl, redisPrefix, handlers, config, log } = options;
  const workerId = options.workerId.slice(0, 80);
  const runner: EventRunnerDeps = { pool, handlers, config, log };
  const running = new Set<Promise<void>>();
  let transport: QueueTransport | null = null;
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let pass: Promise<void> | null = null;
  let again = false;
  let mode: 'queue' | 'table' | null = null;
  let backlogAt = 0;

  const token = (): string => `${workerId}/${newId()}`;

  const track = (claimed: ClaimedEvent, path: DeliveryPath): Promise<void> => {
    const run = runClaimedEvent(runner, claimed, path).catch((error: unknown) => {
      log.error({ eventId: claimed.event.id, err: error }, 'could not record the outcome of an outbox event (recovered after queued_timeout_secs)');
    });
    running.add(run);
    void run.finally(() => running.delete(run));
    return run;
  };

  const processJob = async (eventId: string, eventType: string): Promise<void> => {
    if (stopped) throw new Error('this worker is stopping');
    const outcome = await claimEvent(pool, eventId, token(), config.poll_interval_ms);
    metrics.eventDeliveries.inc({ type: eventType, outcome: outcome.kind === 'not_claimable' ? 'stale' : outcome.kind });
    if (outcome.kind === 'claimed') await track(outcome.claimed, 'queue');
  };

  const setMode = (next: 'queue' | 'table'): void => {
    if (mode === next) return;
    if (next === 'table' && redisUrl !== null) log.warn({ workerId }, 'Redis is unreachable: outbox events are taken from the event_queue table until it is back');
    else if (next === 'queue' && mode !== null) log.info({ workerId }, 'Redis is reachable again: outbox events go through BullMQ');
    mode = next;
  };

  /** One pass; true when there may be more to do right away. */
  const runPass = async (): Promise<boolean> => {
    const recovered = await recoverLostClaims(pool, config.queued_timeout_secs, config.max_attempts);
    for (const row of recovered) log.warn({ eventId: row.id, eventType: row.event_type, status: row.status }, 'recovered an outbox event whose handler stopped answering');
    if (Date.now() - backlogAt >= BACKLOG_EVERY_MS) {
      backlogAt = Date.now();
      const backlog = await countBacklog(pool);
      for (const [status, count] of Object.entries(backlog)) metrics.outboxBacklog.set({ status }, count);
    }
    // Just created and still connecting: neither relay nor take from the table yet (onReady nudges).
    if (transport !== null && transport.state() === 'starting') return false;
    if (transport !== null && transport.usable()) {
      try {
        const queue = transport;
        const relayed = await relayBatch(pool, RELAY_BATCH, config.queued_timeout_secs, (rows) => relaySpan(rows, redisPrefix, () => queue.add(rows)));
        metrics.eventsRelayed.inc(relayed.length);
        setMode('queue');
        return relayed.length === RELAY_BATCH;
      } catch (error) {
        if (transport.usable()) throw error;
        // Redis went away during the relay: fall through to the table for this pass.
      }
    }
    setMode('table');
    const free = config.concurrency - running.size;
    if (free <= 0) return false;
    const claimed = await claimBatch(pool, free, token());
    for (const event of claimed) {
      void track(event, 'table').then(() => nudge());
    }
    return false;
  };

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(tick, delayMs);
  };

  function tick(): void {
    timer = null;
    if (stopped) return;
    if (pass !== null) {
      again = true;
      return;
    }
    pass = runPass().then(
      (more) => more,
      (error: unknown) => {
        log.error({ err: error, workerId }, 'outbox delivery pass failed; retrying at the next poll');
        return false;
      },
    ).then((more) => {
      pass = null;
      const now = more || again;
      again = false;
      schedule(now ? 0 : config.poll_interval_ms);
    });
  }

  function nudge(): void {
    if (!started || stopped) return;
    if (pass !== null) again = true;
    else schedule(0);
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      if (!config.enabled) {
        log.info({ workerId }, 'outbox delivery disabled ([jobs] enabled = false)');
        return;
      }
      if (redisUrl !== null) {
        transport = new QueueTransport({ redisUrl, prefix: redisPrefix, concurrency: config.concurrency, retryDelayMs: config.backoff_base_ms, process: processJob, onReady: () => nudge(), log });
        transport.startWorker();
      }
      schedule(0);
    },
    nudge,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await pass;
      await transport?.pauseWorker().catch(() => undefined);
      while (running.size > 0) await Promise.allSettled([...running]);
      await transport?.close();
      transport = null;
    },
  };
}

/**
 * Tracing on: the relay of a batch is one PRODUCER span (`outbox relay`) of its own trace, linked
 * to the span that wrote each event (the batch mixes many requests' events, so it has no parent).
 */
function relaySpan(rows: RelayRow[], prefix: string, add: () => Promise<void>): Promise<void> {
  if (!tracingEnabled()) return add();
  const links = rows.flatMap((row) => {
    const link = linkTo(row.traceParent, { 'messaging.message.id': row.id, 'nodebill.event_type': row.eventType });
    return link === null ? [] : [link];
  });
  return inSpan('outbox relay', {
    kind: SpanKind.PRODUCER,
    parent: ROOT_CONTEXT,
    links,
    attributes: { 'messaging.system': 'bullmq', 'messaging.operation.type': 'send', 'messaging.destination.name': `${prefix}:events`, 'messaging.batch.message_count': rows.length },
  }, () => add());
}
