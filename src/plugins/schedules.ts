/**
 * The periodic plugin work (plugin guide: "此后每 5 分钟" rescans; ARCHITECTURE.md: plugin scan and
 * health checks run exactly once across the cluster):
 * - rescan of the plugins directory every `[plugins] scan_interval_secs`;
 * - health check of every ENABLED interface every `[plugins] health_check_interval_secs`.
 *
 * Every process starts the same timers; each tick first takes a PostgreSQL advisory transaction
 * lock (`pg_try_advisory_xact_lock`) and skips when another process holds it, then checks the
 * job's `leader_role` row and skips when the job already ran within 90 % of its interval (so a
 * second process whose timer fires a little later does not repeat the work). The lock is held for
 * the whole run, so runs never overlap across processes or nodes sharing the database.
 *
 * This is the spec's path without Redis (leases in PostgreSQL); with Redis, BullMQ job schedulers
 * may take over later (ARCHITECTURE.md, "The cluster") — the work functions stay the same.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { AppConfig } from '../../cluster.config.ts';
import type { PluginRegistry } from './registry/registry.ts';
import type { PluginScanner } from './scanner.ts';

/** First key of the two-key advisory locks of NodeBill's periodic jobs ('NB'). */
export const JOB_LOCK_CLASS = 0x4e42;

/** A periodic job that runs once per interval across the cluster. */
export interface ExclusiveJob {
  /** Second key of its advisory lock (unique per job). */
  lockKey: number;
  /** Its `leader_role.role` row, recording when it last ran. */
  role: string;
  intervalSecs: number;
}

/** The plugin jobs. */
export const PLUGIN_JOBS = {
  scan: { lockKey: 1, role: 'plugins.scan' },
  health: { lockKey: 2, role: 'plugins.health_check' },
} as const;

/**
 * Runs `work` unless another process is running the job right now (`'locked'`) or it ran less than
 * 90 % of its interval ago (`'recent'`). Errors of `work` propagate (the job is then recorded as
 * run: a failing job is retried at the next interval, not in a tight loop).
 */
export async function runExclusive(orm: MikroORM, job: ExclusiveJob, work: () => Promise<void>): Promise<'ran' | 'locked' | 'recent'> {
  const em = orm.em.fork();
  let failure: unknown = null;
  const outcome = await em.transactional(async (tx) => {
    const [lock] = await tx.execute<Array<{ locked: boolean }>>('select pg_try_advisory_xact_lock(?, ?) as locked', [JOB_LOCK_CLASS, job.lockKey]);
    if (!lock?.locked) return 'locked' as const;
    const recent = await tx.execute<Array<{ role: string }>>(
      `select role from leader_role where role = ? and heartbeat_at > now() - make_interval(secs => ?)`,
      [job.role, job.intervalSecs * 0.9],
    );
    if (recent.length > 0) return 'recent' as const;
    await tx.execute(
      `insert into leader_role (role, holder, heartbeat_at, ttl_secs) values (?, null, now(), ?)
       on conflict (role) do update set heartbeat_at = now(), holder = null, ttl_secs = excluded.ttl_secs`,
      [job.role, Math.max(1, Math.ceil(job.intervalSecs))],
      'run',
    );
    try {
      await work();
    } catch (error) {
      failure = error;
    }
    return 'ran' as const;
  });
  if (failure !== null) throw failure;
  return outcome;
}

/** What {@link startPluginSchedules} needs. */
export interface PluginScheduleDeps {
  orm: MikroORM;
  scanner: PluginScanner;
  registry: PluginRegistry;
  config: AppConfig['plugins'];
  log: Logger;
}

/**
 * Starts the periodic plugin scan and health checks (first ticks after one interval; the boot scan
 * is the caller's). Returns `stop()`, which clears the timers (a run in progress finishes).
 */
export function startPluginSchedules(deps: PluginScheduleDeps): { stop(): void } {
  const { orm, scanner, registry, config, log } = deps;
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;

  const every = (job: ExclusiveJob, name: string, work: () => Promise<void>): void => {
    let running = false;
    const tick = async (): Promise<void> => {
      if (running || stopped) return;
      running = true;
      try {
        const outcome = await runExclusive(orm, job, work);
        log.debug({ job: name, outcome }, 'plugin schedule tick');
      } catch (error) {
        log.error({ job: name, err: error }, `plugin ${name} failed`);
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void tick(), job.intervalSecs * 1000);
    timer.unref();
    timers.push(timer);
  };

  every({ ...PLUGIN_JOBS.scan, intervalSecs: config.scan_interval_secs }, 'scan', async () => {
    await scanner.scan();
  });
  every({ ...PLUGIN_JOBS.health, intervalSecs: config.health_check_interval_secs }, 'health check', async () => {
    const { checked, healthy } = await registry.health.checkAllEnabled();
    log.info({ checked, healthy }, 'plugin health checks finished');
  });

  return {
    stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
    },
  };
}
