import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, jsonColumn, optionalTime, uuidPrimaryKey } from './columns.ts';

/**
 * Outbox event states: pending → (queued: relayed into BullMQ) → processing → done, or back to
 * pending with a backoff after a failed run, or failed after the last attempt (see src/jobs/).
 */
export const OUTBOX_EVENT_STATUSES = ['pending', 'queued', 'processing', 'done', 'failed'] as const;
/** One of {@link OUTBOX_EVENT_STATUSES}. */
export type OutboxEventStatus = (typeof OUTBOX_EVENT_STATUSES)[number];

/**
 * Table `event_queue`: the transactional outbox. A command writes its event here in the same
 * transaction as its data; the relay (BullMQ, job id = event `id`) or the degraded-mode consumer
 * (`SELECT … WHERE status = 'pending' AND available_at <= now() ORDER BY created_at
 * FOR UPDATE SKIP LOCKED`) delivers it at least once, so consumers must be idempotent.
 *
 * - `eventType` e.g. `order_paid`, `order_provisioned`, `order_cancelled`; `payload` is a JSON
 *   object.
 * - `customerId` is NULLABLE, by decision: events about a customer (everything an actor emits)
 *   carry it, system events that belong to no customer (e.g. a plugin-scan or admin notification)
 *   have null. CHECK: an event with an `orderId` always has its `customerId`. The table has no
 *   foreign keys (an outbox row must never block or be removed by deleting its subject) and is a
 *   Citus reference table in the handbook, so it needs no distribution key.
 * - `attempts` (handler runs started), `lastError`, `availableAt` (earliest next attempt: backoff),
 *   `lockedAt` (when it was relayed or taken, renewed while its handler runs, to recover lost
 *   `queued` and stuck `processing` rows), `lockedBy` (the claim of the process running it) and
 *   `processedAt` track delivery.
 * - `traceParent`: the W3C `traceparent` of the request (or handler) that wrote the event, so that
 *   relaying and handling it continue that trace (src/telemetry, migration 0013).
 */
export const OutboxEvent = defineEntity({
  name: 'OutboxEvent',
  tableName: 'event_queue',
  properties: {
    id: uuidPrimaryKey(),
    eventType: p.string().length(64),
    payload: jsonColumn<Record<string, unknown>>(() => ({})),
    status: p.enum(OUTBOX_EVENT_STATUSES).default('pending'),
    customerId: p.uuid().nullable(),
    orderId: p.uuid().nullable(),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    availableAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    lockedAt: optionalTime(),
    lockedBy: p.string().length(128).nullable(),
    /** Unique when set: an event a handler writes (a notification delivery) is written once however often the handler runs. */
    dedupeKey: p.string().length(255).nullable(),
    processedAt: optionalTime(),
    /** W3C `traceparent` of the span that wrote the event (issue 14): its processing continues that trace. Null when tracing was off. */
    traceParent: p.string().length(55).nullable(),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'event_queue_dedupe_key_unique', properties: ['dedupeKey'], where: 'dedupe_key is not null' }],
  indexes: [
    { name: 'event_queue_status_available_at_index', properties: ['status', 'availableAt'] },
    { name: 'event_queue_customer_id_created_at_index', properties: ['customerId', 'createdAt'] },
    { name: 'event_queue_order_id_index', properties: ['orderId'] },
  ],
  checks: [
    { name: 'event_queue_attempts_check', expression: 'attempts >= 0' },
    { name: 'event_queue_order_customer_check', expression: 'order_id is null or customer_id is not null' },
  ],
});
/** A row of `event_queue`. */
export type OutboxEvent = InferEntity<typeof OutboxEvent>;
