import { describe, expect, it } from 'vitest';
import { assignShards, fnv1a32, shardOf } from '../../src/actors/shards.ts';

describe('shard routing rules', () => {
  it('hashes with FNV-1a 32 (known vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('puts a customer in the same shard whatever the case of its id', () => {
    const id = '0192a123-4567-7890-abcd-ef0123456789';
    expect(shardOf(id, 64)).toBe(shardOf(id.toUpperCase(), 64));
    expect(shardOf(id, 64)).toBeGreaterThanOrEqual(0);
    expect(shardOf(id, 64)).toBeLessThan(64);
  });

  it('spreads 64 shards evenly over the workers, each shard owned by exactly one', () => {
    const map = assignShards(64, 3);
    expect(map).toHaveLength(64);
    const counts = [0, 0, 0];
    for (const owner of map) counts[owner] = (counts[owner] ?? 0) + 1;
    expect(counts).toEqual([22, 21, 21]);
    // A node's slot for a shard is shard mod workers (the lease keeper writes it into shard_leases).
    expect([0, 1, 2, 3, 63].map((shard) => assignShards(64, 2)[shard])).toEqual([0, 1, 0, 1, 1]);
  });

  it('refuses impossible layouts', () => {
    expect(() => assignShards(64, 0)).toThrow(RangeError);
    expect(() => assignShards(2, 3)).toThrow(RangeError);
  });
});
