/**
 * The port between the money path (which writes outbox events) and the background-work
 * infrastructure (which delivers them to handlers and runs periodic jobs). See src/jobs/index.ts.
 */
import type { AppConfig } from '../config/schema.ts';

/** One row of `event_queue`, as a handler sees it. */
export interface OutboxEvent {
  /** The event's UUID v7 (also the BullMQ job id). */
  id: string;
  /** e.g. `order_paid`; selects the handler. */
  eventType: string;
  /** The JSON object written with the event. */
  payload: Record<string, unknown>;
  customerId: string | null;
  orderId: string | null;
  /** Runs of this event's handler before this one (0 on the first run). */
  attempts: number;
  /** When the event was written, RFC3339 UTC (`2024-01-15T10:30:00Z`). */
  createdAt: string /* RFC3339 */;
  /** W3C `traceparent` of the span that wrote the event (tracing on); its handler's span continues that trace. */
  traceParent?: string | null;
}

/** Runs one event; throwing means "retry later with backoff". Must be idempotent (may run more than once). */
export type EventHandler = (event: OutboxEvent) => Promise<void>;

/** The delivery of outbox events in one process (see createEventProcessing). */
export interface EventProcessing {
  start(): void;
  /** a commit just wrote events: relay soon instead of waiting for the next poll */
  nudge(): void;
  stop(): Promise<void>;
}

/** Work that runs once per period across every process and node sharing the database. */
export interface PeriodicJob {
  /** Unique among the cluster's periodic jobs; its lease is the `leader_role` row `jobs.<name>`. */
  name: string;
  /** The period in milliseconds (≥ 1). */
  everyMs: number;
  run: () => Promise<void>;
}

/** The `[jobs]` configuration section (src/config/schema.ts). */
export type JobsConfig = AppConfig['jobs'];
