/**
 * Several nodes on one database (issue 15): three NodeBill nodes (1 worker each) on one PostgreSQL
 * and Redis, with shard leases of 3 s renewed every 500 ms, under a CreateOrder + PayOrder load
 * spread round-robin over the nodes by a client that behaves like a load balancer
 * (test/support/cluster-load.ts).
 *
 * - SIGKILL of a whole node: its shards are held by the two others within the lease timeout (plus
 *   a margin for the takeover's own round trips), the load goes on, and afterwards every
 *   acknowledged payment is in the ledger exactly once, no order is paid twice, no instance is
 *   provisioned twice (database and Incus counterpart), and the money invariant holds.
 * - SIGSTOP of a node past its lease timeout while it holds actors: the others take its shards and
 *   serve its customers; after SIGCONT, calls through the resumed node (for customers whose balance
 *   the new owners changed meanwhile) succeed with the new owners' figures, no stale write of it
 *   is in the ledger, it logs the lost shards, and its fenced-writes or node-forwarding counter moved.
 * - A node joining under load gets a fair share of the shards (⌊64/n⌋ or ⌈64/n⌉) without one failed
 *   call; a node leaving gracefully (SIGTERM) hands its shards over without one failed call.
 */
import { Decimal } from 'decimal.js';
import { afterAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../src/actors/shards.ts';
import { balanceThrough, callStats, createAndPay, failedCalls, startClusterLoad, type AckedPayment, type LoadCatalog, type LoadCustomer, type RoutePolicy } from '../support/cluster-load.ts';
import { queryRows } from '../support/db.ts';
import { expectMoneyPathConsistent } from '../support/money-consistency.ts';
import { eventually } from '../support/eventually.ts';
import type { MoneyBed } from '../support/money-fixture.ts';
import {
  fairlySpreadOver, metricSum, nodeIds, SHARDS, startClusterMoneyBed, waitForLeases, type ClusterMoneyBed, type ClusterNode, type LeaseState,
} from '../support/nodes.ts';

/** Short leases, so failover happens within the test. */
const LEASES = { lease_timeout_ms: 3_000, heartbeat_interval_ms: 500 };
/**
 * How long after a node stops beating its shards may take to move: the lease timeout plus a margin
 * for the survivors' next renewal round and their statements on a loaded machine.
 */
const TAKEOVER_MS = LEASES.lease_timeout_ms + 10_000;

/** Fast job retries and short claim timeouts (as in money-crash.test.ts); many registrations from one address. */
const CONFIG = {
  jobs: { max_attempts: 6, backoff_base_ms: 200, backoff_max_ms: 2000, poll_interval_ms: 200, queued_timeout_secs: 3 },
  orders: { unpaid_timeout_secs: 3600, unpaid_check_interval_secs: 60, instance_refresh_interval_secs: 3600 },
  rate_limit: { register_per_sec: 100 },
};

/** Each customer's opening credit: the load must never stop on insufficient funds. */
const CREDIT = '100000.00';

/** The price of one monthly order of the bed's product (VPS Small, 20.00 a month). */
const PRICE = new Decimal('20.00');

/** `count` registered customers of `bed`, each credited {@link CREDIT}. */
async function customersOf(bed: MoneyBed, count: number): Promise<LoadCustomer[]> {
  const customers: LoadCustomer[] = [];
  for (let n = 0; n < count; n += 1) {
    const customer = await bed.customer(CREDIT);
    customers.push({ customerId: customer.customerId, accessToken: customer.accessToken });
  }
  return customers;
}

/** The bed's catalog for the load. */
function catalogOf(bed: MoneyBed): LoadCatalog {
  return { productId: bed.productId, providerId: bed.providerId };
}

/** Node id → "node <index>", for lease error messages. */
function labels(ids: readonly string[]): Map<string, string> {
  return new Map(ids.map((id, index) => [id, `node ${index}`]));
}

/** A route to `urls` only, no redirection window, no retry: a call either succeeds or throws. */
function strictRoute(...urls: string[]): RoutePolicy {
  return { targets: () => urls, tryDurationMs: 0, callTimeoutMs: 20_000, retryFailures: 0 };
}

/** "every shard is held by a live lease of one of `owners`" (any split). */
function allHeldBy(owners: readonly string[]): (state: LeaseState) => boolean {
  return (state) => state.rows.length === SHARDS && state.unowned.length === 0 && [...state.byNode.keys()].every((node) => owners.includes(node));
}

/** Waits until no order is paid or provisioning any more and no order_paid event is left to handle. */
async function settle(url: string, timeoutMs = 120_000): Promise<void> {
  await eventually(async () => {
    const [busy] = await queryRows<{ orders: string; events: string }>(url, `select
      (select count(*) from orders where status in ('paid', 'provisioning'))::text as orders,
      (select count(*) from event_queue where status in ('pending', 'queued', 'processing') and event_type = 'order_paid')::text as events`);
    return busy?.orders === '0' && busy.events === '0' ? true : undefined;
  }, 'the money path to settle (no order paid or provisioning, no order_paid event open)', timeoutMs, 500);
}


/** The customers among `customers` whose shard is in `shards`. */
function customersOfShards(customers: readonly LoadCustomer[], shards: readonly number[]): LoadCustomer[] {
  return customers.filter((customer) => shards.includes(shardOf(customer.customerId, SHARDS)));
}

/** Union of `lost` over the node's "shard leases changed" lines (its own id in `node`). */
function lostInLogs(node: ClusterNode, nodeId: string): Set<number> {
  const lost = new Set<number>();
  for (const line of node.server.logs) {
    if (line.msg !== 'shard leases changed' || line.node !== nodeId || !Array.isArray(line.lost)) continue;
    for (const shard of line.lost) if (typeof shard === 'number') lost.add(shard);
  }
  return lost;
}

describe('three nodes under load, one killed with SIGKILL', () => {
  let cluster: ClusterMoneyBed | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('moves its shards to the others within the lease timeout and loses or doubles nothing', async () => {
    cluster = await startClusterMoneyBed(3, { cluster: LEASES, config: CONFIG });
    const { bed, set } = cluster;
    const url = bed.db.url;
    const ids = await nodeIds(set.nodes);
    const names = labels(ids);
    await waitForLeases(url, fairlySpreadOver(ids), 'the 64 shards spread fairly over the three nodes', 30_000, names);
    const customers = await customersOf(bed, 12);
    const load = startClusterLoad({ urls: set.nodes.map((node) => node.url), customers, catalog: catalogOf(bed), callers: 12, retryFailures: 8 });
    try {
      await load.moreAcked(40);
      const victim = set.nodes[2];
      if (!victim) throw new Error('no third node');
      await victim.kill();
      await waitForLeases(url, allHeldBy(ids.slice(0, 2)), 'every shard held by the two surviving nodes', TAKEOVER_MS, names);
      // The load goes on over the survivors (calls to the dead node's address are redirected).
      await load.moreAcked(40);
    } finally {
      await load.stop();
    }
    await settle(url);
    await expectMoneyPathConsistent(bed, load.acked);
  }, 300_000);
});

describe('a node paused with SIGSTOP past its lease timeout, then resumed', () => {
  let cluster: ClusterMoneyBed | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('loses its shards to the others, and none of its stale writes is accepted after SIGCONT', async () => {
    cluster = await startClusterMoneyBed(3, { cluster: LEASES, config: CONFIG });
    const { bed, set } = cluster;
    const url = bed.db.url;
    const catalog = catalogOf(bed);
    const ids = await nodeIds(set.nodes);
    const names = labels(ids);
    const [first, second, victim] = set.nodes;
    const victimId = ids[2];
    if (!first || !second || !victim || !victimId) throw new Error('three nodes expected');
    const spread = await waitForLeases(url, fairlySpreadOver(ids), 'the 64 shards spread fairly over the three nodes', 30_000, names);
    const victimShards = spread.byNode.get(victimId) ?? [];
    const customers = await customersOf(bed, 9);
    // At least three customers whose actors the victim hosts.
    while (customersOfShards(customers, victimShards).length < 3) {
      if (customers.length > 40) throw new Error('no customer of the victim node among 40');
      customers.push(...await customersOf(bed, 1));
    }
    const theirs = customersOfShards(customers, victimShards);

    // The victim holds their actors: a pair each, sent through it.
    const stats = callStats();
    for (const customer of theirs) await createAndPay(strictRoute(victim.url), stats, catalog, customer);
    const before = await victim.metrics();
    expect(metricSum(before, 'nodebill_actors_alive')).toBeGreaterThanOrEqual(theirs.length);
    const fencedBefore = metricSum(before, 'nodebill_fenced_writes_total');
    const forwardedBefore = metricSum(before, 'nodebill_actor_messages_total', { route: 'node_forwarded' });

    // The balancer's health checks take the victim out; the load runs over the two others.
    const load = startClusterLoad({ urls: [first.url, second.url], customers, catalog, callers: 8, retryFailures: 8 });
    try {
      await load.moreAcked(20);
      victim.pause();
      const taken = await waitForLeases(url, allHeldBy(ids.slice(0, 2)), "every shard, the paused node's included, held by the two others", TAKEOVER_MS, names);
      for (const shard of victimShards) {
        expect(taken.rows[shard]?.epoch, `epoch of shard ${shard} raised by the takeover`).toBeGreaterThan(spread.rows[shard]?.epoch ?? Number.POSITIVE_INFINITY);
      }
      await load.moreAcked(20);
      // The others serve the paused node's customers: every pair succeeds (strictRoute throws otherwise).
      const served = callStats();
      for (const customer of theirs) await createAndPay(strictRoute(first.url, second.url), served, catalog, customer);
      expect(failedCalls(served)).toBe(0);
    } finally {
      await load.stop();
      victim.resume();
    }

    // Their balances changed on the new owners while the victim slept; the database has the truth.
    const truth = async (customerId: string): Promise<Decimal> => {
      const [row] = await queryRows<{ balance: string }>(url, 'select balance::text from customers where id = $1', [customerId]);
      return new Decimal(row?.balance ?? 'NaN');
    };
    // Calls THROUGH the resumed node, right away, for exactly those customers.
    const throughVictim = callStats();
    for (const customer of theirs) {
      const expected = (await truth(customer.customerId)).minus(PRICE);
      const paid = await createAndPay(strictRoute(victim.url), throughVictim, catalog, customer);
      const [entry] = await queryRows<{ balance_before: string; balance_after: string }>(url,
        "select balance_before::text, balance_after::text from balance_transactions where transaction_type = 'payment' and reference_id = $1", [paid.orderId]);
      expect(entry?.balance_after).toBe(expected.toFixed(2));
      expect(entry?.balance_before).toBe(expected.plus(PRICE).toFixed(2));
      expect(await balanceThrough(victim.url, customer)).toBe(expected.toFixed(2));
      expect((await truth(customer.customerId)).toFixed(2)).toBe(expected.toFixed(2));
    }
    expect(failedCalls(throughVictim)).toBe(0);

    // It gave up the shards it no longer owns, and says so.
    await eventually(async () => {
      const lost = lostInLogs(victim, victimId);
      return victimShards.every((shard) => lost.has(shard)) ? true : undefined;
    }, `"shard leases changed" lines of the resumed node listing its ${victimShards.length} lost shards in \`lost\``, 15_000);
    // What it did with the calls for shards it had lost: refused its stale writes, or forwarded them.
    const after = await victim.metrics();
    const fenced = metricSum(after, 'nodebill_fenced_writes_total') - fencedBefore;
    const forwarded = metricSum(after, 'nodebill_actor_messages_total', { route: 'node_forwarded' }) - forwardedBefore;
    expect(fenced + forwarded, `fenced writes (${fenced}) + calls forwarded to another node (${forwarded}) on the resumed node`).toBeGreaterThan(0);

    await settle(url);
    await expectMoneyPathConsistent(bed, [...load.acked]);
  }, 300_000);
});

describe('nodes joining and leaving under load', () => {
  let cluster: ClusterMoneyBed | undefined;
  let customers: LoadCustomer[] = [];
  const acked: AckedPayment[] = [];
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a joining node takes a fair share of the shards without one failed call', async () => {
    cluster = await startClusterMoneyBed(2, { cluster: LEASES, config: CONFIG });
    const { bed, set } = cluster;
    const url = bed.db.url;
    const ids = await nodeIds(set.nodes);
    await waitForLeases(url, fairlySpreadOver(ids), 'the 64 shards spread fairly over the two nodes', 30_000, labels(ids));
    customers = await customersOf(bed, 12);
    const load = startClusterLoad({ urls: set.nodes.map((node) => node.url), customers, catalog: catalogOf(bed), callers: 12 });
    try {
      await load.moreAcked(30);
      const joined = await set.add();
      // The balancer learns of the new upstream.
      load.setTargets(set.nodes.map((node) => node.url));
      const all = await nodeIds(set.nodes);
      await waitForLeases(url, fairlySpreadOver(all), 'the 64 shards spread fairly over the three nodes (21 or 22 each)', 30_000, labels(all));
      await load.moreAcked(30);
      // The new node served calls.
      expect(load.acked.some((entry) => entry.url === joined.url)).toBe(true);
    } finally {
      await load.stop();
    }
    acked.push(...load.acked);
    expect({ failed: Object.fromEntries(load.stats.failed), first: load.stats.failures.slice(0, 5) }).toEqual({ failed: {}, first: [] });
  }, 240_000);

  it('a node leaving gracefully (SIGTERM) hands its shards over without one failed call', async () => {
    if (!cluster) throw new Error('the previous test did not start the nodes');
    const { bed, set } = cluster;
    const url = bed.db.url;
    const ids = await nodeIds(set.nodes);
    const leaving = set.nodes[1];
    if (!leaving || set.nodes.length !== 3) throw new Error('three nodes expected');
    const staying = ids.filter((_, index) => index !== 1);
    const load = startClusterLoad({ urls: set.nodes.map((node) => node.url), customers, catalog: catalogOf(bed), callers: 12 });
    try {
      await load.moreAcked(30);
      // The balancer keeps the leaving node's address: refused connections go to the next node.
      expect(await leaving.stop()).toBe(0);
      expect(leaving.server.logs.some((line) => line.msg === 'shards handed over')).toBe(true);
      await waitForLeases(url, fairlySpreadOver(staying), 'the 64 shards spread fairly over the two remaining nodes', 30_000, labels(ids));
      await load.moreAcked(30);
    } finally {
      await load.stop();
    }
    acked.push(...load.acked);
    expect({ failed: Object.fromEntries(load.stats.failed), first: load.stats.failures.slice(0, 5) }).toEqual({ failed: {}, first: [] });
    // Its row is gone from instance_heartbeat (a graceful stop deletes it).
    expect(await leaving.nodeId()).toBeNull();
    await settle(url);
    await expectMoneyPathConsistent(bed, acked);
  }, 240_000);
});
