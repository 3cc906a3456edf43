/**
 * Shard leases in PostgreSQL (issue 15): the compare-and-set statements of src/persistence/
 * shard-leases.ts against a real database, and the epoch fence of the customer snapshot write.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaseFence } from '../../src/actors/snapshot-store.ts';
import { assignShards, shardOf } from '../../src/actors/shards.ts';
import { newId } from '../../src/lib/ids.ts';
import { PgCustomerSnapshotStore } from '../../src/persistence/customer-snapshots.ts';
import { PgShardLeases } from '../../src/persistence/shard-leases.ts';
import { migratedTestDatabase, queryRows, type MigratedTestDatabase } from '../support/db.ts';

const A = { id: '01900000-0000-7000-8000-0000000000aa', address: '127.0.0.1:7001', workers: 2 };
const B = { id: '01900000-0000-7000-8000-0000000000bb', address: '127.0.0.1:7002', workers: 1 };
const LEASE_MS = 60_000;

let db: MigratedTestDatabase;
let pool: pg.Pool;
let leases: PgShardLeases;

beforeAll(async () => {
  db = await migratedTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  leases = new PgShardLeases(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const owners = async (): Promise<Array<{ shard: number; owner_node: string | null; owner_slot: number | null; epoch: string }>> =>
  queryRows(db.url, 'select shard, owner_node, owner_slot, epoch::text as epoch from shard_leases order by shard', []);

describe('shard leases', () => {
  it('lets two nodes taking every shard at once end with disjoint halves of all 64, each under a new epoch', async () => {
    await leases.beat(A);
    await leases.beat(B);
    const [a, b] = await Promise.all([leases.acquire(A.id, 64, assignShards(64, A.workers), LEASE_MS), leases.acquire(B.id, 64, assignShards(64, B.workers), LEASE_MS)]);
    expect(a.length + b.length).toBe(64);
    expect(new Set([...a, ...b]).size).toBe(64);
    const rows = await owners();
    for (const row of rows) {
      expect(row.owner_node).toBe(a.includes(row.shard) ? A.id : B.id);
      expect(row.owner_slot).toBe(a.includes(row.shard) ? row.shard % A.workers : 0);
      expect(row.epoch).toBe('1');
    }
    // Nothing is free any more: a third taker gets nothing.
    expect(await leases.acquire('01900000-0000-7000-8000-0000000000cc', 64, assignShards(64, 1), LEASE_MS)).toEqual([]);
    expect((await leases.table()).every((row) => row.remainingMs > LEASE_MS - 10_000)).toBe(true);
  });

  it('renews only unexpired leases of their holder; a lapsed one is taken by another node under the next epoch', async () => {
    const held = (await owners()).filter((row) => row.owner_node === A.id).map((row) => row.shard);
    expect(held.length).toBeGreaterThan(0);
    expect(await leases.renew(A.id, LEASE_MS)).toEqual(held);
    // A stops beating; its leases lapse.
    await queryRows(db.url, `update shard_leases set expires_at = now() - interval '1 second' where owner_node = $1`, [A.id]);
    expect(await leases.renew(A.id, LEASE_MS)).toEqual([]);
    const taken = await leases.acquire(B.id, 64, assignShards(64, B.workers), LEASE_MS);
    expect(taken).toEqual(held);
    const rows = await owners();
    expect(rows.every((row) => row.owner_node === B.id)).toBe(true);
    for (const shard of held) expect(rows[shard]?.epoch).toBe('2');
    // A, resumed, cannot renew what it lost.
    expect(await leases.renew(A.id, LEASE_MS)).toEqual([]);
  });

  it('releases only the shards the node holds, and a restarted process on the same address takes over at once', async () => {
    expect(await leases.release(A.id, [0, 1, 2])).toEqual([]);
    expect(await leases.release(B.id, [0, 1, 2])).toEqual([0, 1, 2]);
    expect((await owners()).slice(0, 3).map((row) => row.owner_node)).toEqual([null, null, null]);
    // B crashes and comes back on its address as a new node id.
    const restarted = { ...B, id: newId() };
    await leases.beat(restarted);
    const adopted = await leases.adoptFromSameAddress(restarted, assignShards(64, restarted.workers), LEASE_MS);
    expect(adopted).toHaveLength(61);
    const rows = await owners();
    expect(rows.slice(3).every((row) => row.owner_node === restarted.id)).toBe(true);
    expect((await leases.liveNodes(LEASE_MS)).map((node) => node.id)).not.toContain(B.id);
  });
});

describe('the epoch fence of a snapshot write', () => {
  it('writes under the current lease, and refuses (changing nothing) under a lapsed or superseded one', async () => {
    const customerId = newId();
    await queryRows(db.url, `insert into customers (id, name) values ($1, 'Fenced Ltd')`, [customerId]);
    const shard = shardOf(customerId, 64);
    // The shard held by A now, whatever the tests above left of it (they release shards 0-2).
    await queryRows(db.url, `update shard_leases set owner_node = $2, owner_slot = 0, expires_at = now() + interval '1 minute' where shard = $1`, [shard, A.id]);
    const row = (await owners())[shard];
    let fence: LeaseFence = { shard, node: row?.owner_node ?? '', epoch: row?.epoch ?? '' };
    const store = new PgCustomerSnapshotStore(pool, { fenceOf: () => fence });
    const rename = async (name: string): Promise<Awaited<ReturnType<PgCustomerSnapshotStore['commit']>>> => {
      const current = await store.load(customerId);
      if (!current) throw new Error('customer missing');
      return store.commit({
        customerId, expectedVersion: current.version, change: 'update', next: { ...current, name }, idempotencyKey: `rename-${newId()}`, commandType: 'update',
        outcome: { ok: true, type: 'applied', state: null, replayed: false }, audit: null,
      });
    };
    expect((await rename('Fenced Two')).ok).toBe(true);

    // Another node took the shard (a new epoch): this writer's memory is stale.
    await queryRows(db.url, 'update shard_leases set epoch = epoch + 1 where shard = $1', [shard]);
    const superseded = await rename('Stale Write');
    expect(superseded).toMatchObject({ ok: false, conflict: false, error: { kind: 'unavailable', reason: 'shard_moved' } });

    // The same epoch, but the lease lapsed (the holder was paused).
    fence = { ...fence, epoch: String(BigInt(fence.epoch) + 1n) };
    await queryRows(db.url, `update shard_leases set expires_at = now() - interval '1 second' where shard = $1`, [shard]);
    expect(await rename('Late Write')).toMatchObject({ ok: false, error: { reason: 'shard_moved' } });

    const [stored] = await queryRows<{ name: string; version: number }>(db.url, 'select name, version from customers where id = $1', [customerId]);
    expect(stored).toEqual({ name: 'Fenced Two', version: 2 });
  });
});
