/**
 * The CLI's dead-letter commands, run as a process against a fresh database.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';
import { REPO_ROOT } from '../support/server.ts';
import { eventStates, insertEvents, testPool } from './support.ts';

const run = promisify(execFile);

describe('npm run cli -- events', () => {
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

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...args], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, CONFIG_FILE: path.join(REPO_ROOT, 'test', 'support', 'server.toml') },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code: number; stdout: string; stderr: string };
      return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
    }
  }

  it('lists failed events and sends one back; refuses unknown ids and events that are not failed', async () => {
    expect((await cli('events', 'failed')).stdout).toBe('no failed events\n');
    const orderId = newId();
    const [failed, pending] = await insertEvents(pool, [{ eventType: 'order_paid', orderId }, { eventType: 'order_paid' }]);
    await pool.query(`update event_queue set status = 'failed', attempts = 8, last_error = $2, processed_at = now() where id = $1`, [failed, 'provider said:\nno capacity']);

    const listed = await cli('events', 'failed');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(failed);
    expect(listed.stdout).toContain(`order ${orderId}`);
    expect(listed.stdout).toContain('attempts 8');
    expect(listed.stdout).toContain('provider said: no capacity');
    expect(listed.stdout).not.toContain(pending);

    const unknown = newId();
    expect(await cli('events', 'retry', unknown)).toMatchObject({ code: 1, stderr: `no event with id "${unknown}" (see: npm run cli -- events failed)\n` });
    expect(await cli('events', 'retry', pending!)).toMatchObject({ code: 1, stderr: `event ${pending} is pending, not failed: only failed events can be retried\n` });
    expect((await cli('events', 'retry')).code).toBe(2);

    const retried = await cli('events', 'retry', failed!);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`event ${failed} is pending again`);
    expect((await eventStates(pool, [failed!])).get(failed!)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await cli('events', 'failed')).stdout).toBe('no failed events\n');
  });
});
