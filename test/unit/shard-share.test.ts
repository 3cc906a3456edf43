import { describe, expect, it } from 'vitest';
import { fairShares, planLeases } from '../../src/domain/cluster/shard-share.ts';
import { ShardTable, type ShardEntry } from '../../src/actors/shard-table.ts';
import { shardOf } from '../../src/actors/shards.ts';

const A = '01900000-0000-7000-8000-00000000000a';
const B = '01900000-0000-7000-8000-00000000000b';
const C = '01900000-0000-7000-8000-00000000000c';

describe('fair shares of the 64 shards', () => {
  it('gives ⌊64/n⌋ to each live node and the remainder to the oldest ids', () => {
    expect([...fairShares([C, A, B], 64)]).toEqual([[A, 22], [B, 21], [C, 21]]);
    expect([...fairShares([B, A], 64)]).toEqual([[A, 32], [B, 32]]);
    expect([...fairShares([A, A], 64)]).toEqual([[A, 64]]);
    expect(fairShares([], 64).size).toBe(0);
  });
});

describe('planLeases', () => {
  it('takes every free shard when alone', () => {
    expect(planLeases({ me: A, held: new Map([[A, 0]]), free: 64, shards: 64 })).toEqual({ acquire: 64, release: 0 });
  });

  it('takes only what it lacks, and no more than is free', () => {
    expect(planLeases({ me: B, held: new Map([[A, 22], [B, 10], [C, 21]]), free: 11, shards: 64 })).toEqual({ acquire: 11, release: 0 });
    expect(planLeases({ me: B, held: new Map([[A, 22], [B, 10], [C, 21]]), free: 4, shards: 64 })).toEqual({ acquire: 4, release: 0 });
  });

  it('hands its surplus over to a newcomer that finds nothing free', () => {
    // A held everything; B joined.
    expect(planLeases({ me: A, held: new Map([[A, 64], [B, 0]]), free: 0, shards: 64 })).toEqual({ acquire: 0, release: 32 });
    // A third node joins two that split the shards.
    expect(planLeases({ me: A, held: new Map([[A, 32], [B, 32], [C, 0]]), free: 0, shards: 64 })).toEqual({ acquire: 0, release: 10 });
    expect(planLeases({ me: B, held: new Map([[A, 32], [B, 32], [C, 0]]), free: 0, shards: 64 })).toEqual({ acquire: 0, release: 11 });
  });

  it('keeps its surplus while free shards can cover the others, or when nobody lacks any', () => {
    expect(planLeases({ me: A, held: new Map([[A, 40], [B, 0]]), free: 24, shards: 64 })).toEqual({ acquire: 0, release: 8 });
    expect(planLeases({ me: A, held: new Map([[A, 40], [B, 0]]), free: 32, shards: 64 })).toEqual({ acquire: 0, release: 0 });
    expect(planLeases({ me: A, held: new Map([[A, 33], [B, 31]]), free: 0, shards: 64 })).toEqual({ acquire: 0, release: 1 });
    expect(planLeases({ me: A, held: new Map([[A, 32], [B, 32]]), free: 0, shards: 64 })).toEqual({ acquire: 0, release: 0 });
  });

  it('counts itself live even before its first beat was seen', () => {
    expect(planLeases({ me: C, held: new Map([[A, 32], [B, 32]]), free: 0, shards: 64 })).toEqual({ acquire: 0, release: 0 });
    expect(planLeases({ me: A, held: new Map([[B, 64]]), free: 0, shards: 64 })).toEqual({ acquire: 0, release: 0 });
  });
});

describe('ShardTable', () => {
  const customer = '01900000-0000-7000-8000-0000000000f1';
  const shard = shardOf(customer, 64);
  const entries = (owner: (shard: number) => Omit<ShardEntry, 'shard'>): ShardEntry[] => Array.from({ length: 64 }, (_, index) => ({ shard: index, ...owner(index) }));

  it('routes to this worker, a sibling, another node, or nowhere, and fences with the lease it holds', () => {
    let now = 0;
    const table = new ShardTable({ slot: 0, shards: 64, now: () => now });
    expect(table.route(customer)).toEqual({ kind: 'none', shard });
    table.update({ nodeId: A, ownValidMs: 1_000, entries: entries(() => ({ node: A, slot: 0, epoch: '7', address: 'a:1' })) });
    expect(table.route(customer)).toEqual({ kind: 'local', shard });
    expect(table.fenceOf(customer)).toEqual({ shard, node: A, epoch: '7' });
    table.update({ nodeId: A, ownValidMs: 1_000, entries: entries(() => ({ node: A, slot: 1, epoch: '7', address: 'a:1' })) });
    expect(table.route(customer)).toEqual({ kind: 'worker', shard, slot: 1 });
    table.update({ nodeId: A, ownValidMs: 1_000, entries: entries(() => ({ node: B, slot: 0, epoch: '8', address: 'b:2' })) });
    expect(table.route(customer)).toEqual({ kind: 'node', shard, node: B, address: 'b:2' });
    // A lease this node does not hold never fences a write in.
    expect(table.fenceOf(customer)).toEqual({ shard, node: A, epoch: '-1' });
    now = 5_000;
    expect(table.route(customer)).toEqual({ kind: 'node', shard, node: B, address: 'b:2' });
  });

  it('stops serving its own shards once their leases would have lapsed without news, and reports the shards it lost', () => {
    let now = 0;
    const table = new ShardTable({ slot: 0, shards: 64, now: () => now });
    expect(table.update({ nodeId: A, ownValidMs: 1_000, entries: entries((index) => ({ node: A, slot: index % 2, epoch: '1', address: 'a:1' })) })).toEqual([]);
    expect(table.localShards()).toHaveLength(32);
    now = 1_500;
    expect(table.route(customer).kind).toBe('none');
    expect(table.localShards()).toEqual([]);
    // The update after the pause: the even shards went to B; this worker lost them all.
    const lost = table.update({ nodeId: A, ownValidMs: 1_000, entries: entries((index) => (index < 32 ? { node: A, slot: index % 2, epoch: '1', address: 'a:1' } : { node: B, slot: 0, epoch: '2', address: 'b:2' })) });
    expect(lost).toEqual(Array.from({ length: 16 }, (_, index) => 32 + index * 2));
    expect(table.localShards()).toHaveLength(16);
    // Shard 0 came back under a new epoch (B held it meanwhile): its actors go too.
    const renewed = table.update({ nodeId: A, ownValidMs: 1_000, entries: entries((index) => (index < 32 ? { node: A, slot: index % 2, epoch: index === 0 ? '3' : '1', address: 'a:1' } : { node: B, slot: 0, epoch: '2', address: 'b:2' })) });
    expect(renewed).toEqual([0]);
  });

  it('wakes waiters on the next update', async () => {
    const table = new ShardTable({ slot: 0, shards: 64 });
    let woke = false;
    const waiting = table.changed(60_000).then(() => { woke = true; });
    expect(woke).toBe(false);
    table.update({ nodeId: A, ownValidMs: 1_000, entries: entries(() => ({ node: A, slot: 0, epoch: '1', address: 'a:1' })) });
    await waiting;
    expect(woke).toBe(true);
  });
});
