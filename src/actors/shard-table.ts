import { shardOf } from './shards.ts';

/** One shard's owner as the node's lease keeper last published it (JSON, crosses IPC). */
export interface ShardEntry {
  shard: number;
  /** The owning node's id; null while nobody holds it (free, expired, or being handed over). */
  node: string | null;
  /** The owner's worker slot (null with `node`). */
  slot: number | null;
  /** The lease's fencing epoch (decimal text). */
  epoch: string;
  /** The owner's `host:port` for forwarding. */
  address: string;
}

/** What the lease keeper publishes to its workers on every tick (issue 15). */
export interface ShardTableUpdate {
  /** This node's id. */
  nodeId: string;
  entries: ShardEntry[];
  /**
   * How long, in ms from receipt, this node's own leases in `entries` stay valid without a newer
   * update: a worker that hears nothing newer (its primary paused or gone) stops serving them then.
   */
  ownValidMs: number;
}

/** Where a customer's messages go now. */
export type ShardRoute =
  | { kind: 'local'; shard: number }
  | { kind: 'worker'; shard: number; slot: number }
  | { kind: 'node'; shard: number; node: string; address: string }
  /** Nobody serves the shard now (taken over, handed over, or this node's leases are stale): wait for an update. */
  | { kind: 'none'; shard: number };

/**
 * A worker's view of who owns each shard across the nodes (issue 15): replaced by each update of
 * the node's lease keeper, with this node's own leases honoured only until they would lapse.
 * `now` is injected (ms, monotonic) so the rule is testable.
 */
export class ShardTable {
  private entries: ShardEntry[] = [];
  private nodeId = '';
  private ownValidUntil = 0;
  private waiters: Array<() => void> = [];
  private readonly slot: number;
  private readonly shards: number;
  private readonly now: () => number;

  constructor(options: { slot: number; shards: number; now?: () => number }) {
    this.slot = options.slot;
    this.shards = options.shards;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Replaces the table; returns the shards whose actors must go: those this worker served before
   * and does not any more, and those it serves under a new epoch (the shard was someone else's in
   * between, while this node heard nothing: what its actors remember may be stale).
   */
  update(update: ShardTableUpdate): number[] {
    const before = new Map(this.heldBySlot().map((shard) => [shard, this.entries[shard]?.epoch]));
    this.entries = [...update.entries].sort((a, b) => a.shard - b.shard);
    this.nodeId = update.nodeId;
    this.ownValidUntil = this.now() + update.ownValidMs;
    const after = new Set(this.heldBySlot());
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return [...before].filter(([shard, epoch]) => !after.has(shard) || this.entries[shard]?.epoch !== epoch).map(([shard]) => shard);
  }

  /** Where `customerId`'s messages go now. */
  route(customerId: string): ShardRoute {
    const shard = shardOf(customerId, this.shards);
    const entry = this.entries[shard];
    if (!entry || entry.node === null || entry.slot === null) return { kind: 'none', shard };
    if (entry.node !== this.nodeId) return { kind: 'node', shard, node: entry.node, address: entry.address };
    if (this.now() >= this.ownValidUntil) return { kind: 'none', shard };
    return entry.slot === this.slot ? { kind: 'local', shard } : { kind: 'worker', shard, slot: entry.slot };
  }

  /**
   * The fence of a snapshot write for `customerId` (the lease this worker believes it holds):
   * the database accepts the write only while that lease is current and unexpired.
   */
  fenceOf(customerId: string): { shard: number; node: string; epoch: string } {
    const shard = shardOf(customerId, this.shards);
    const entry = this.entries[shard];
    return { shard, node: this.nodeId || '00000000-0000-0000-0000-000000000000', epoch: entry && entry.node === this.nodeId ? entry.epoch : '-1' };
  }

  /** The shards whose actors run in this worker now (none once this node's leases would have lapsed). */
  localShards(): number[] {
    return this.now() >= this.ownValidUntil ? [] : this.heldBySlot();
  }

  /** The shards the table gives this worker, valid or not. */
  private heldBySlot(): number[] {
    return this.entries.filter((entry) => entry.node === this.nodeId && entry.slot === this.slot).map((entry) => entry.shard);
  }

  /** Resolves at the next update, or after `timeoutMs` (whichever first). */
  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }
}
