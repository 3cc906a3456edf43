/**
 * Issue 6, "Worker death": workers killed with SIGKILL while GetMe calls arrive on new connections.
 * Every call must be answered or fail fast (never wait for its deadline), and the primary must not
 * keep connections of dead workers open (CLOSE-WAIT).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2 });
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

/** Socket inodes of a process (from /proc/<pid>/fd). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  return inodes;
}

/** States of the TCP sockets of `pid` on local port `port` (IPv4 and IPv6), e.g. CLOSE_WAIT, ESTABLISHED, LISTEN. */
function tcpStates(pid: number, port: number): string[] {
  const names: Record<string, string> = { '01': 'ESTABLISHED', '06': 'TIME_WAIT', '08': 'CLOSE_WAIT', '0A': 'LISTEN' };
  const inodes = socketInodes(pid);
  const states: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const localPort = Number.parseInt(columns[1]?.split(':')[1] ?? '', 16);
      const state = columns[3];
      const inode = columns[9];
      if (state && inode && inodes.has(inode) && localPort === port) states.push(names[state] ?? state);
    }
  }
  return states;
}

function workerPid(slot: number): number {
  const ready = server.logs.filter((line) => line.msg === 'worker ready' && line.slot === slot);
  return Number(ready[ready.length - 1]?.workerPid);
}

describe('a worker killed while calls arrive', () => {
  it('answers or fails every call fast, three kills in a row, and the primary keeps no sockets of dead workers', async () => {
    const token = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const primaryPid = server.process.pid ?? 0;
    const outcomes: Array<'ok' | Code> = [];
    for (let round = 0; round < 3; round += 1) {
      const slot = round % 2;
      const victim = workerPid(slot);
      expect(victim).toBeGreaterThan(0);
      let started = 0;
      const calls: Array<Promise<void>> = [];
      const launch = async (): Promise<void> => {
        while (started < 200) {
          started += 1;
          if (started === 60) process.kill(victim, 'SIGKILL');
          // A new connection per call; the deadline only bounds a call that would otherwise hang.
          const outcome = await grpcClient(IdentityService, server.url, bearer(token))
            .getMe({}, { timeoutMs: 5_000 })
            .then(() => 'ok' as const, (error: unknown) => ConnectError.from(error).code);
          outcomes.push(outcome);
        }
      };
      for (let lane = 0; lane < 8; lane += 1) calls.push(launch());
      await Promise.all(calls);
      await server.waitForLog((line) => line.msg === 'worker ready' && line.slot === slot && line.workerPid !== victim, 30_000);
    }
    expect(outcomes).toHaveLength(600);
    // No call waited for its deadline: the ones caught by a kill failed at once, as the client saw
    // the connection reset (ECONNRESET → Aborted/Unavailable, a reset stream → Canceled).
    expect(outcomes.filter((outcome) => outcome === Code.DeadlineExceeded)).toHaveLength(0);
    for (const outcome of outcomes) if (outcome !== 'ok') expect([Code.Unavailable, Code.Aborted, Code.Canceled]).toContain(outcome);
    expect(outcomes.filter((outcome) => outcome === 'ok').length).toBeGreaterThan(500);
    // The primary holds no connection at all, so none of a dead worker's can linger in CLOSE-WAIT.
    const states = tcpStates(primaryPid, server.port);
    expect(states.filter((state) => state === 'CLOSE_WAIT')).toEqual([]);
    expect(states.filter((state) => state === 'ESTABLISHED')).toEqual([]);
    // And the server answers normally afterwards.
    expect((await grpcClient(IdentityService, server.url, bearer(token)).getMe({})).user?.username).toBe('admin');
  });
});
