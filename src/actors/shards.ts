/**
 * Shard routing rules (ARCHITECTURE.md, The cluster): `shard = hash(customer_id) mod shards`,
 * each shard owned by exactly one worker slot. Pure functions, no I/O.
 */

/** FNV-1a, 32 bit, over the UTF-8 bytes of `key`; stable across processes and Node versions. */
export function fnv1a32(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard (0 … shards-1) of a customer id (compared lowercase, so UUID case does not matter). */
export function shardOf(customerId: string, shards: number): number {
  return fnv1a32(customerId.toLowerCase()) % shards;
}

/**
 * The shard map of a node: index = shard, value = the worker slot (0 … workers-1) that runs the
 * shard's actors when the node holds its lease (issue 15), shards spread evenly (`shard mod workers`).
 * @throws RangeError when `workers` < 1 or `shards` < `workers`.
 */
export function assignShards(shards: number, workers: number): number[] {
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be ≥ 1, got ${workers}`);
  if (!Number.isInteger(shards) || shards < workers) throw new RangeError(`shards (${shards}) must be ≥ workers (${workers})`);
  return Array.from({ length: shards }, (_, shard) => shard % workers);
}
