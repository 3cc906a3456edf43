import { Code, ConnectError } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignShards, shardOf } from '../../src/actors/shards.ts';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { createTestDatabase } from '../support/db.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

const WORKERS = 2;
let server: RunningServer;
let db: { url: string; drop(): Promise<void> };
let adminToken = '';
const customers: Array<{ id: string; balance: string; creditLimit: string }> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: WORKERS });
  adminToken = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  // Customers whose shards belong to each worker, with distinct balances.
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const shardMap = assignShards(64, WORKERS);
  const perSlot = new Map<number, number>();
  while (customers.length < 12) {
    const id = newId();
    const slot = shardMap[shardOf(id, 64)] ?? 0;
    if ((perSlot.get(slot) ?? 0) >= 6) continue;
    perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
    const balance = `${customers.length + 1}0.25`;
    const creditLimit = `${customers.length * 100}.00`;
    await client.query('insert into customers (id, name, balance, credit_limit) values ($1, $2, $3, $4)', [id, `Customer ${customers.length}`, balance, creditLimit]);
    customers.push({ id, balance, creditLimit });
  }
  await client.end();
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

function workerPids(): Map<number, number> {
  const pids = new Map<number, number>();
  for (const line of server.logs) {
    if (line.msg === 'worker ready' && typeof line.slot === 'number' && typeof line.workerPid === 'number') pids.set(line.slot, line.workerPid);
  }
  return pids;
}

describe('the actor cluster', () => {
  it('routes every customer to the actor of the worker owning its shard, forwarding over IPC when needed', async () => {
    const balances = grpcClient(BalanceService, server.url, bearer(adminToken));
    const servedBy = new Set<string>();
    for (let round = 0; round < 3; round += 1) {
      for (const customer of customers) {
        const seen: { headers?: Headers } = {};
        const reply = await grpcClient(BalanceService, server.url, bearer(adminToken), seen).getBalance({ customerId: customer.id });
        expect(reply).toMatchObject({ customerId: customer.id, balance: customer.balance, creditLimit: customer.creditLimit });
        servedBy.add(seen.headers?.get('x-nodebill-worker') ?? '');
      }
    }
    await expect(balances.getBalance({ customerId: newId() })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(balances.getBalance({ customerId: 'nope' })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(balances.getBalance({})).rejects.toMatchObject({ code: Code.InvalidArgument });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const count = (route: string): number =>
      [...metrics.matchAll(new RegExp(`nodebill_actor_messages_total\\{[^}]*route="${route}"[^}]*\\} (\\d+)`, 'g'))].reduce((sum, m) => sum + Number(m[1]), 0);
    // Every forwarded message was received by its owner; some were local.
    expect(count('forwarded')).toBeGreaterThan(0);
    expect(count('received')).toBe(count('forwarded'));
    expect(count('local')).toBeGreaterThan(0);
    expect(count('local') + count('forwarded')).toBeGreaterThanOrEqual(customers.length * 3);
    // Actors alive, per worker: both workers own shards, so both hold actors now.
    const alive = [...metrics.matchAll(/nodebill_actors_alive\{kind="customer",worker="(\d+)"\} (\d+)/g)];
    expect(alive.map((m) => m[1]).sort()).toEqual(['0', '1']);
    expect(alive.every((m) => Number(m[2]) > 0)).toBe(true);
  });

  it('scopes a customer to its own balance', async () => {
    const own = customers[0];
    const other = customers[1];
    if (!own || !other) throw new Error('customers missing');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      "insert into customer_users (id, customer_id, username, email, display_name, password_hash) values ($1, $2, 'owner01', 'owner01@example.com', 'Owner', $3)",
      [newId(), own.id, await hashPassword('Owner-Pass-1', 4)],
    );
    await client.end();
    const login = await grpcClient(IdentityService, server.url).login({ username: 'owner01', password: 'Owner-Pass-1', userType: 'customer' });
    const mine = grpcClient(BalanceService, server.url, bearer(login.accessToken));
    expect(await mine.getBalance({})).toMatchObject({ customerId: own.id, balance: own.balance });
    expect((await mine.getBalance({ customerId: own.id })).balance).toBe(own.balance);
    await expect(mine.getBalance({ customerId: other.id })).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(grpcClient(BalanceService, server.url).getBalance({ customerId: own.id })).rejects.toMatchObject({ code: Code.Unauthenticated });
  });

  it('survives a worker killed with SIGKILL: the primary restarts it and requests keep being answered', async () => {
    const before = workerPids();
    expect(before.size).toBe(WORKERS);
    const victim = before.get(1);
    expect(victim).toBeTypeOf('number');
    process.kill(victim ?? 0, 'SIGKILL');
    await server.waitForLog((line) => line.msg === 'worker died; restarting it' && line.workerPid === victim);
    // Requests keep being answered meanwhile (by the surviving worker; slot 1's customers wait for its restart).
    const identity = grpcClient(IdentityService, server.url, bearer(adminToken));
    for (let i = 0; i < 10; i += 1) expect((await identity.getMe({})).user?.username).toBe('admin');
    await server.waitForLog((line) => line.msg === 'worker ready' && line.slot === 1 && line.workerPid !== victim);
    const balances = grpcClient(BalanceService, server.url, bearer(adminToken));
    for (const customer of customers) {
      expect((await balances.getBalance({ customerId: customer.id })).balance).toBe(customer.balance);
    }
  });

  it('restarts every worker one at a time on IntegrationService/RestartServer, answering requests throughout', async () => {
    const before = workerPids();
    expect(before.size).toBe(WORKERS);
    await grpcClient(IntegrationService, server.url, bearer(adminToken)).restartServer({});
    const balances = grpcClient(BalanceService, server.url, bearer(adminToken));
    const identity = grpcClient(IdentityService, server.url, bearer(adminToken));
    let answered = 0;
    let finished = false;
    void server.waitForLog((line) => line.msg === 'rolling restart finished', 60_000).then(() => {
      finished = true;
    });
    // Keep calling while the workers are replaced: every call must succeed. A stream that races a
    // draining worker's GOAWAY is refused unprocessed (REFUSED_STREAM); gRPC clients retry those on
    // a new connection, and so does this loop (once) — any other failure fails the test.
    const retryRefused = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        if (!String((error as Error).message).includes('REFUSED_STREAM')) throw error;
        return call();
      }
    };
    while (!finished) {
      expect((await retryRefused(() => identity.getMe({}))).user?.username).toBe('admin');
      const customer = customers[answered % customers.length];
      if (customer) expect((await retryRefused(() => balances.getBalance({ customerId: customer.id }))).balance).toBe(customer.balance);
      answered += 1;
    }
    expect(answered).toBeGreaterThan(0);
    const after = workerPids();
    for (const [slot, pid] of before) {
      expect(after.get(slot)).toBeTypeOf('number');
      expect(after.get(slot)).not.toBe(pid);
    }
    expect(server.logs.filter((line) => line.msg === 'worker restarted by a rolling restart')).toHaveLength(WORKERS);
    expect(server.logs.some((line) => line.msg === 'worker died; restarting it' && !before.has(Number(line.slot)))).toBe(false);
    const audit = new pg.Client({ connectionString: db.url });
    await audit.connect();
    const { rows } = await audit.query<{ n: string }>("select count(*) as n from operation_logs where action = 'server.restart'");
    await audit.end();
    expect(rows[0]?.n).toBe('1');
  });

  it('drains on SIGTERM: calls in flight finish, new ones are refused, the process exits 0', async () => {
    const identity = grpcClient(IdentityService, server.url);
    await identity.getMe({}).catch(() => undefined); // open the HTTP/2 connection
    const logins = Array.from({ length: 8 }, () =>
      identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' }).then(
        () => 'ok' as const,
        (error: unknown) => ConnectError.from(error),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 40));
    const logsBefore = server.logs.length;
    const exitCode = server.stop();
    const results = await Promise.all(logins);
    expect(await exitCode).toBe(0);
    const drained = server.logs.slice(logsBefore).filter((line) => typeof line.msg === 'string' && line.msg.startsWith('draining: no new connections'));
    expect(drained.length).toBe(WORKERS);
    const inFlight = drained.reduce((sum, line) => sum + Number(line.inFlight ?? 0), 0);
    const ok = results.filter((result) => result === 'ok').length;
    // The logins (bcrypt, hundreds of ms) were still running when the drain began, and they finished.
    expect(inFlight).toBeGreaterThan(0);
    expect(ok).toBeGreaterThanOrEqual(inFlight);
    for (const result of results) {
      if (result !== 'ok') expect(result.code).toBe(Code.Unavailable);
    }
    expect(server.logs.some((line) => line.msg === 'stopped')).toBe(true);
  });
});
