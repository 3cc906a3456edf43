import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../cluster.config.ts';
import { probeRedis } from '../../src/bootstrap/redis.ts';
import { createLogger } from '../../src/config/logger.ts';

/** The suite's Redis; override with TEST_REDIS_URL. */
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nodebill-redis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Entry = { level: string; msg: string; degraded?: string };

function capture(): { entries: Entry[]; log: ReturnType<typeof createLogger> } {
  const entries: Entry[] = [];
  const log = createLogger({ level: 'info', format: 'json' }, {}, {
    write(line: string) {
      entries.push(JSON.parse(line) as Entry);
    },
  });
  return { entries, log };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const degradedText = /rate limits → shared by the workers of each server instead of by all servers.*BullMQ background jobs → outbox table polling/;

describe('probeRedis', () => {
  it('returns false with one warning listing the degraded features when Redis is disabled', async () => {
    const { entries, log } = capture();
    expect(await probeRedis(loadConfig({ env: {}, cwd: dir }), log)).toBe(false);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.level).toBe('warn');
    expect(entries[0]?.msg).toMatch(/Redis is disabled/);
    expect(entries[0]?.msg).toMatch(degradedText);
  });

  it('returns false quickly, with one warning, when Redis is unreachable', async () => {
    const { entries, log } = capture();
    const port = await closedPort();
    const config = loadConfig({ env: { REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` }, cwd: dir });
    const started = Date.now();
    expect(await probeRedis(config, log)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    // Give a late 'error' or reconnect a chance to show up: there must be none.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(entries).toHaveLength(1);
    expect(entries[0]?.level).toBe('warn');
    expect(entries[0]?.msg).toMatch(/unreachable \(.*ECONNREFUSED/);
    expect(entries[0]?.msg).toMatch(degradedText);
    expect(entries[0]?.msg).not.toContain('hunter2');
  });

  it('returns true when Redis answers', async () => {
    const { entries, log } = capture();
    const config = loadConfig({ env: { REDIS_URL }, cwd: dir });
    expect(await probeRedis(config, log)).toBe(true);
    expect(entries.filter((e) => e.level === 'warn')).toHaveLength(0);
  });
});
