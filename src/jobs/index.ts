/**
 * Background work (ARCHITECTURE.md, "The cluster"): delivery of outbox events to their handlers and
 * periodic jobs, generic — the business handlers and jobs are the callers'.
 *
 * Outbox events. A money change writes its event into `event_queue` in the same transaction
 * (`status = 'pending'`). Every process with `[jobs] enabled` runs {@link createEventProcessing}:
 * - With Redis, the relay moves committed pending rows into the BullMQ queue `<prefix>:events`
 *   (job id = event id, so relaying twice adds one job) and marks them `queued`; the BullMQ worker
 *   (`concurrency` per process) claims the row by id (`processing`, `locked_by` = its claim), runs
 *   the handler and marks it `done`.
 * - Without Redis (none configured, or unreachable right now) the same handlers run straight from
 *   the table: claims of a batch with `SELECT … FOR UPDATE SKIP LOCKED`.
 * - A failed run puts the row back to `pending` after an exponential backoff (`backoff_base_ms`
 *   doubling up to `backoff_max_ms`); after `max_attempts` runs it stays `failed` with `last_error`
 *   (dead-letters.ts; CLI `events failed` / `events retry ID`). Events without a handler are
 *   marked done with a note and logged.
 * - A `queued` row whose job vanished (Redis restarted empty) is relayed again after
 *   `queued_timeout_secs`; a `processing` row whose process stopped renewing its claim for that
 *   long is recovered (counted as a run).
 * - Events of one order are never run at the same time: claims take an advisory transaction lock
 *   on the order (`pg_try_advisory_xact_lock`) and skip orders with an event in `processing`.
 * Delivery is at least once: handlers must be idempotent. Only the claim holding a row can finish
 * it, so two processes never run one event at the same time unless a claim was lost (its process
 * silent for `queued_timeout_secs`).
 *
 * Periodic jobs: {@link createPeriodicJobs}, leases in `leader_role` (periodic-jobs.ts).
 */
export type { EventHandler, EventProcessing, JobsConfig, OutboxEvent, PeriodicJob } from './types.ts';
export { createEventProcessing, type EventProcessingOptions } from './event-processing.ts';
export { createPeriodicJobs, periodicJobRole, PERIODIC_LEASE_SECS, type PeriodicJobsOptions } from './periodic-jobs.ts';
export { listFailedEvents, retryFailedEvent, type FailedEvent, type RetryOutcome } from './dead-letters.ts';
export { backoffDelayMs } from './backoff.ts';
