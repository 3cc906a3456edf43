/**
 * The customer actor's guarantees through real clusters (issue 7, "Customer actors"):
 * - the version fence: the customer's actor (one across both nodes, issue 15) holds a snapshot that
 *   another writer of the database (the CLI, an operator's SQL) made stale; its next write fails,
 *   it reloads and decides again — no update is lost;
 * - 1,000 concurrent updates of one customer arriving at both workers: applied one at a time by
 *   the owning actor, every version exactly once, the final state the last one applied.
 */
import { type Client } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let db: TestDatabase;
let node1: RunningServer;
let node2: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase();
  // Two nodes sharing the shards (issue 15): calls reaching the node that does not own the customer are forwarded.
  const cluster = { secret: 'customer-actors-cluster-secret' };
  node1 = await startServer({ databaseUrl: db.url, workers: 2, config: { cluster } });
  node2 = await startServer({ databaseUrl: db.url, workers: 1, config: { cluster } });
});

afterAll(async () => {
  await Promise.all([node1?.stop(), node2?.stop()]);
  await db?.drop();
});

async function adminOf(server: RunningServer): Promise<Client<typeof CustomerService>> {
  const token = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  return grpcClient(CustomerService, server.url, bearer(token));
}

function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  return queryRows<T>(db.url, text, params);
}

/** The sum of a counter over every series with `labels` in a server's /metrics. */
async function counter(server: RunningServer, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('the version fence against another writer of the database', () => {
  it('makes the stale actor reload and apply on the fresh state: no update lost', async () => {
    const [one, two] = await Promise.all([adminOf(node1), adminOf(node2)]);
    const { customer } = await one.createCustomer({ name: 'Fenced Ltd', contactPerson: '', email: '', phone: '', company: '', notes: '', creditLimit: '1.00' });
    const id = customer?.id ?? '';
    // The actor loads the snapshot (through either node: there is one actor for the customer).
    const token1 = (await grpcClient(IdentityService, node1.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const token2 = (await grpcClient(IdentityService, node2.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    await grpcClient(BalanceService, node1.url, bearer(token1)).getBalance({ customerId: id });
    await grpcClient(BalanceService, node2.url, bearer(token2)).getBalance({ customerId: id });
    const conflicts = async (): Promise<number> =>
      (await counter(node1, 'nodebill_actor_snapshot_conflicts_total', 'kind="customer"')) + (await counter(node2, 'nodebill_actor_snapshot_conflicts_total', 'kind="customer"'));
    const conflictsBefore = await conflicts();

    // Before each call, another writer changes the row behind the actor's back.
    const steps: Array<[Client<typeof CustomerService>, Record<string, string>]> = [
      [one, { notes: 'from node 1' }],
      [two, { phone: '222' }],
      [one, { company: 'Fence Co' }],
      [two, { contactPerson: 'Node Two' }],
      [one, { creditLimit: '3.00' }],
      [two, { notes: 'from node 2' }],
    ];
    for (const [index, [client, change]] of steps.entries()) {
      await sql(`update customers set region = $2, version = version + 1 where id = $1`, [id, `outside-${index}`]);
      await client.updateCustomer({ id, ...change });
    }

    const rows = await sql<{ notes: string; phone: string; company: string; contact_person: string; credit_limit: string; region: string; version: number }>(
      'select notes, phone, company, contact_person, credit_limit::text, region, version from customers where id = $1', [id],
    );
    // Every call's change and the outside writer's last one are there: nothing was overwritten.
    expect(rows[0]).toEqual({ notes: 'from node 2', phone: '222', company: 'Fence Co', contact_person: 'Node Two', credit_limit: '3.00', region: 'outside-5', version: 1 + 2 * steps.length });
    expect((await conflicts()) - conflictsBefore).toBe(steps.length);
    // And the actor now holds the latest state, whichever node is asked.
    expect((await grpcClient(BalanceService, node1.url, bearer(token1)).getBalance({ customerId: id })).creditLimit).toBe('3.00');
    expect((await grpcClient(BalanceService, node2.url, bearer(token2)).getBalance({ customerId: id })).creditLimit).toBe('3.00');
  });
});

describe('1,000 concurrent updates of one customer', () => {
  it('applies every one exactly once, in some order, with exact versions and the last one winning', async () => {
    const token = (await grpcClient(IdentityService, node1.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const clients = Array.from({ length: 8 }, () => grpcClient(CustomerService, node1.url, bearer(token)));
    const { customer } = await clients[0]!.createCustomer({ name: 'Busy Ltd', contactPerson: '', email: '', phone: '', company: '', notes: '', creditLimit: '' });
    const id = customer?.id ?? '';
    const TOTAL = 1000;
    const workers = new Set<string>();
    let next = 0;
    const lanes = Array.from({ length: 40 }, async (_, lane) => {
      while (next < TOTAL) {
        const n = next++;
        const seen: { headers?: Headers } = {};
        const client = grpcClient(CustomerService, node1.url, bearer(token), seen);
        const { customer: after } = await (lane % 2 === 0 ? client : clients[n % clients.length]!).updateCustomer({ id, notes: `n-${n}` });
        // Each reply is the state its own command produced.
        expect(after?.notes).toBe(`n-${n}`);
        if (seen.headers) workers.add(seen.headers.get('x-nodebill-worker') ?? '');
      }
    });
    await Promise.all(lanes);
    expect(workers.size).toBe(2);

    const [row] = await sql<{ notes: string; version: number }>('select notes, version from customers where id = $1', [id]);
    expect(row?.version).toBe(1 + TOTAL);
    const audit = await sql<{ version: number; notes: string }>(
      "select (details->>'version')::int as version, details->'changes'->'notes'->>'to' as notes from operation_logs where action = 'customer.update' and target_id = $1 order by 1",
      [id],
    );
    expect(audit.map((entry) => entry.version)).toEqual(Array.from({ length: TOTAL }, (_, n) => n + 2));
    expect(new Set(audit.map((entry) => entry.notes)).size).toBe(TOTAL);
    expect(audit.at(-1)?.notes).toBe(row?.notes);
  });
});
