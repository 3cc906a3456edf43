/**
 * Periodic jobs that run once per period across every process and node sharing the database, with
 * or without Redis. Time is cut into periods of `everyMs` on the database clock (period n starts at
 * n × everyMs since the epoch). Each job has a lease row in `leader_role` (role `jobs.<name>`):
 * `heartbeat_at` is when its last run started (renewed while it runs), `holder` the process running
 * it now (null between runs), `ttl_secs` how long a silent holder keeps the lease.
 *
 * Every process checks each job a few times per period; the check is one UPDATE that succeeds only
 * when the last run started before the current period began and nobody holds the lease (or its
 * holder went silent for `ttl_secs`). PostgreSQL's row lock lets exactly one process win it per
 * period, and a run that outlasts its period makes the following periods be skipped, never
 * overlapped.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { newId } from '../lib/ids.ts';
import type { PeriodicJob } from './types.ts';

/** How long a holder that stopped renewing keeps a job's lease (seconds); renewed every third of it. */
export const PERIODIC_LEASE_SECS = 30;

/** The `leader_role.role` of a periodic job. */
export function periodicJobRole(name: string): string {
  return `jobs.${name}`;
}

/** What {@link createPeriodicJobs} needs. */
export interface PeriodicJobsOptions {
  /** The pool the leases are kept in (the caller's; not closed by stop()). */
  pool: pg.Pool;
  /** Accepted for symmetry with createEventProcessing; the leases live in PostgreSQL, so jobs run the same without Redis. */
  redisUrl: string | null;
  /** Unused (see redisUrl). */
  redisPrefix: string;
  /** The jobs; names unique, at most 60 characters; everyMs ≥ 1. */
  jobs: PeriodicJob[];
  log: Logger;
  /** Names this process in logs. */
  workerId: string;
}

const CLAIM_SQL = `
  update leader_role
     set holder = $2, heartbeat_at = now(), ttl_secs = $3
   where role = $1
     and heartbeat_at < to_timestamp(floor(extract(epoch from now()) * 1000 / $4) * $4 / 1000.0)
     and (holder is null or heartbeat_at < now() - make_interval(secs => ttl_secs))
  returning role`;

/**
 * Creates the periodic jobs of one process (nothing runs before `start()`).
 *
 * - start(): begins checking every job several times per period (every quarter of `everyMs`,
 *   at most every second, at least every 50 ms); a job's first run comes in the first period in
 *   which no process ran it yet — possibly at once. Idempotent.
 * - stop(): stops checking, waits for the runs in progress here and releases their leases.
 *   Never rejects.
 * A run that throws is logged; the job runs again in the next period.
 *
 * @throws Error when two jobs share a name, a name is longer than 60 characters or everyMs < 1
 */
export function createPeriodicJobs(options: PeriodicJobsOptions): { start(): void; stop(): Promise<void> } {
  const { pool, jobs, log, workerId } = options;
  const names = new Set<string>();
  for (const job of jobs) {
    if (names.has(job.name)) throw new Error(`two periodic jobs are named "${job.name}"`);
    if (job.name.length === 0 || job.name.length > 60) throw new Error(`periodic job name "${job.name}" must have 1 to 60 characters`);
    if (!Number.isInteger(job.everyMs) || job.everyMs < 1) throw new Error(`periodic job "${job.name}": everyMs must be a whole number ≥ 1`);
    names.add(job.name);
  }
  const holder = newId();
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  let started = false;
  let stopped = false;

  const check = async (job: PeriodicJob): Promise<void> => {
    const role = periodicJobRole(job.name);
    await pool.query(`insert into leader_role (role, holder, heartbeat_at, ttl_secs) values ($1, null, '-infinity', $2) on conflict (role) do nothing`, [
      role,
      PERIODIC_LEASE_SECS,
    ]);
    const claimed = await pool.query(CLAIM_SQL, [role, holder, PERIODIC_LEASE_SECS, job.everyMs]);
    if ((claimed.rowCount ?? 0) === 0) return;
    const renewal = setInterval(() => {
      pool.query('update leader_role set heartbeat_at = now() where role = $1 and holder = $2', [role, holder]).catch((error: unknown) => {
        log.warn({ job: job.name, err: error }, 'could not renew the lease of a periodic job');
      });
    }, (PERIODIC_LEASE_SECS * 1000) / 3);
    renewal.unref();
    try {
      await job.run();
      log.debug({ job: job.name, workerId }, 'periodic job ran');
    } catch (error) {
      log.error({ job: job.name, workerId, err: error }, `periodic job ${job.name} failed; it runs again next period`);
    } finally {
      clearInterval(renewal);
      await pool.query('update leader_role set holder = null where role = $1 and holder = $2', [role, holder]).catch((error: unknown) => {
        log.warn({ job: job.name, err: error }, `could not release the lease of a periodic job (free again after ${PERIODIC_LEASE_SECS} s)`);
      });
    }
  };

  const loop = (job: PeriodicJob): void => {
    const checkEveryMs = Math.min(1000, Math.max(50, Math.floor(job.everyMs / 4)));
    let busy = false;
    const tick = (): void => {
      if (busy || stopped) return;
      busy = true;
      const run = check(job)
        .catch((error: unknown) => log.warn({ job: job.name, err: error }, 'could not check a periodic job'))
        .finally(() => {
          busy = false;
        });
      running.add(run);
      void run.finally(() => running.delete(run));
    };
    const timer = setInterval(tick, checkEveryMs);
    timers.push(timer);
    tick();
  };

  return {
    start() {
      if (started || stopped) return;
      started = true;
      for (const job of jobs) loop(job);
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
