/**
 * Periodic jobs: once per period across processes, leases in leader_role, without Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPeriodicJobs, periodicJobRole } from '../../src/jobs/index.ts';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';
import { capturingLog, testPool, waitFor } from './support.ts';

describe('periodic jobs', () => {
  let database: MigratedTestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await migratedTestDatabase();
    pool = testPool(database.url);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('runs a job started in two processes once per period, never two runs at once', async () => {
    const name = `billing-${newId().slice(-8)}`;
    const everyMs = 300;
    const runs: Array<{ instance: string; period: number }> = [];
    let active = 0;
    let maxActive = 0;
    const job = (instance: string) => ({
      name,
      everyMs,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        // The period this run was claimed in, on the database clock (the lease's heartbeat_at).
        const { rows } = await pool.query<{ period: string }>(
          `select floor(extract(epoch from heartbeat_at) * 1000 / $2)::bigint::text as period from leader_role where role = $1`,
          [periodicJobRole(name), everyMs],
        );
        runs.push({ instance, period: Number(rows[0]?.period) });
        await new Promise((resolve) => setTimeout(resolve, 60));
        active--;
      },
    });
    const a = createPeriodicJobs({ pool, redisUrl: null, redisPrefix: 'unused', jobs: [job('a')], log: capturingLog().log, workerId: 'a' });
    const b = createPeriodicJobs({ pool, redisUrl: null, redisPrefix: 'unused', jobs: [job('b')], log: capturingLog().log, workerId: 'b' });
    a.start();
    b.start();
    await waitFor(() => runs.length >= 6, 'six runs');
    await Promise.all([a.stop(), b.stop()]);

    expect(maxActive).toBe(1);
    // Both processes check every 75 ms: had both run in one period, a period would repeat.
    const periods = runs.map((run) => run.period);
    expect(new Set(periods).size).toBe(periods.length);
    expect([...periods].sort((x, y) => x - y)).toEqual(periods);
    // The lease is free after stop().
    const { rows } = await pool.query<{ holder: string | null }>('select holder from leader_role where role = $1', [periodicJobRole(name)]);
    expect(rows).toEqual([{ holder: null }]);
  });

  it('skips the periods a run outlasts instead of overlapping it, and keeps going after a failing run', async () => {
    const name = `slow-${newId().slice(-8)}`;
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const { log, lines } = capturingLog();
    const make = () =>
      createPeriodicJobs({
        pool,
        redisUrl: null,
        redisPrefix: 'unused',
        log,
        workerId: 'w',
        jobs: [
          {
            name,
            everyMs: 100,
            run: async () => {
              active++;
              maxActive = Math.max(maxActive, active);
              runs++;
              await new Promise((resolve) => setTimeout(resolve, 250));
              active--;
              if (runs === 1) throw new Error('first run fails');
            },
          },
        ],
      });
    const a = make();
    const b = make();
    a.start();
    b.start();
    await waitFor(() => runs >= 3, 'three runs');
    await Promise.all([a.stop(), b.stop()]);
    expect(maxActive).toBe(1);
    expect(lines.some((line) => line.level === 50 && String(line.msg).includes(`periodic job ${name} failed`))).toBe(true);
  });

  it('refuses two jobs of one name and a period below 1 ms', () => {
    const run = async () => {};
    const base = { pool, redisUrl: null, redisPrefix: 'unused', log: capturingLog().log, workerId: 'w' };
    expect(() => createPeriodicJobs({ ...base, jobs: [{ name: 'x', everyMs: 10, run }, { name: 'x', everyMs: 20, run }] })).toThrow('two periodic jobs are named "x"');
    expect(() => createPeriodicJobs({ ...base, jobs: [{ name: 'y', everyMs: 0, run }] })).toThrow('everyMs');
  });
});
