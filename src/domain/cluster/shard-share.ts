/**
 * Shard ownership across nodes (issue 15; HA guide §1/§7): who should hold how many of the 64
 * shards, and what a node does about it on each lease tick. Pure rules, no I/O; the lease rows
 * themselves are taken and renewed in src/persistence/shard-leases.ts.
 */

/**
 * Each live node's fair share: ⌊shards / n⌋, and one more for the first `shards mod n` nodes in
 * id order (ids are UUID v7, so the oldest nodes carry the extra shard).
 * @param nodeIds the live nodes (any order, duplicates ignored)
 * @returns node id → number of shards it should hold (empty when no node is live)
 */
export function fairShares(nodeIds: readonly string[], shards: number): Map<string, number> {
  const ids = [...new Set(nodeIds)].sort();
  const shares = new Map<string, number>();
  if (ids.length === 0) return shares;
  const base = Math.floor(shards / ids.length);
  const extra = shards % ids.length;
  ids.forEach((id, index) => shares.set(id, base + (index < extra ? 1 : 0)));
  return shares;
}

/** What one node does on a lease tick: take `acquire` free shards, hand `release` of its own over. */
export interface LeasePlan {
  acquire: number;
  release: number;
}

/**
 * One node's move towards its fair share.
 * - Below its share it takes free (never taken, released or expired) shards, as many as it lacks.
 * - Above its share it hands the surplus over, but only while another live node is below its own
 *   share and no free shard is left for it: shards are never released into a void, so a node that
 *   is alone (or the last to notice a newcomer) keeps serving them.
 * @param input.me this node's id (must be among `held`'s keys or get 0)
 * @param input.held live node id → shards it holds now (its valid leases)
 * @param input.free shards held by nobody (free or expired)
 * @param input.shards the shard count (64)
 */
export function planLeases(input: { me: string; held: ReadonlyMap<string, number>; free: number; shards: number }): LeasePlan {
  const shares = fairShares([...input.held.keys(), input.me], input.shards);
  const mine = input.held.get(input.me) ?? 0;
  const target = shares.get(input.me) ?? 0;
  if (mine < target) return { acquire: Math.min(target - mine, input.free), release: 0 };
  if (mine === target) return { acquire: 0, release: 0 };
  let wanted = 0;
  for (const [node, share] of shares) {
    if (node !== input.me) wanted += Math.max(0, share - (input.held.get(node) ?? 0));
  }
  const unmet = Math.max(0, wanted - input.free);
  return { acquire: 0, release: Math.min(mine - target, unmet) };
}

