/**
 * The lease rows of shard ownership across nodes (issue 15, HA guide §1 "PG 做共识"): node
 * registration in `instance_heartbeat` and one `shard_leases` row per shard. Every change of a
 * lease is one compare-and-set statement, so at most one live owner holds a shard at any time:
 * - taking a shard: only a free or expired row, which raises its `epoch` (the fencing token);
 * - renewing: only rows this node holds under an unexpired lease (an expired lease is gone, even
 *   if nobody took it yet: the node must take it again, under a new epoch);
 * - releasing: only rows this node holds.
 * Other nodes hear of every change through `NOTIFY nodebill_shards`.
 */
import os from 'node:os';
import type pg from 'pg';

/** The channel lease changes are announced on (payload: the node that changed them). */
export const SHARD_CHANNEL = 'nodebill_shards';

/**
 * The SQL condition "`shard_leases` row `alias` is the current, unexpired lease of `node` under
 * `epoch`" — the epoch fence of every snapshot write (src/persistence/account-commit.ts,
 * customer-snapshots.ts). The arguments are SQL expressions (parameters or columns).
 */
export function leaseCurrentSql(alias: string, shard: string, node: string, epoch: string): string {
  return `${alias}.shard = ${shard} and ${alias}.owner_node = ${node} and ${alias}.epoch = ${epoch} and ${alias}.expires_at > now()`;
}

/** This host's name as `instance_heartbeat.hostname` holds it (adoption matches on it). */
const HOSTNAME = os.hostname().slice(0, 255);

/**
 * The `set` list of taking a lease for node `$1` with the slots array `$3` and the timeout `$4`
 * (ms): the slot of its shard, the next epoch, now, and the expiry.
 */
const TAKE_LEASE_SET = `owner_node = $1, owner_slot = ($3::int[])[l.shard + 1], epoch = l.epoch + 1, acquired_at = now(),
              expires_at = now() + make_interval(secs => $4::float8 / 1000)`;

/** The shards of `returning shard` rows, in order. */
function shardsOf(rows: ReadonlyArray<{ shard: number }>): number[] {
  return rows.map((row) => row.shard).sort((a, b) => a - b);
}

/** One shard's lease as every node sees it. */
export interface ShardLeaseRow {
  shard: number;
  /** Null: free. */
  ownerNode: string | null;
  ownerSlot: number | null;
  /** The fencing token, a bigint as decimal text. */
  epoch: string;
  /** Milliseconds until the lease lapses (≤ 0: expired, held by nobody). */
  remainingMs: number;
  /** The owner's `host:port` for forwarding ('' when unknown or free). */
  address: string;
}

/** A node as registered in `instance_heartbeat`. */
export interface NodeRegistration {
  id: string;
  address: string;
  workers: number;
}

/** See the file comment. All durations in ms. Each method throws the database's error when it fails. */
export class PgShardLeases {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** Registers the node or renews its beat (`heartbeat_at = now()`). */
  async beat(node: NodeRegistration): Promise<void> {
    await this.pool.query(
      `insert into instance_heartbeat (instance_id, hostname, pid, address, workers) values ($1, $2, $3, $4, $5)
       on conflict (instance_id) do update set heartbeat_at = now(), address = excluded.address, workers = excluded.workers`,
      [node.id, HOSTNAME, process.pid, node.address, node.workers],
    );
  }

  /** Removes the node's registration (a graceful stop, after its shards were handed over). */
  async deregister(nodeId: string): Promise<void> {
    await this.pool.query('delete from instance_heartbeat where instance_id = $1', [nodeId]);
  }

  /** Nodes that beat within `timeoutMs`, with their addresses (this one included once it beat). */
  async liveNodes(timeoutMs: number): Promise<NodeRegistration[]> {
    const { rows } = await this.pool.query<{ instance_id: string; address: string; workers: number }>(
      `select instance_id, address, workers from instance_heartbeat
        where address <> '' and heartbeat_at > now() - make_interval(secs => $1::float8 / 1000) order by instance_id`,
      [timeoutMs],
    );
    return rows.map((row) => ({ id: row.instance_id, address: row.address, workers: row.workers }));
  }

  /** Extends every unexpired lease of the node by `timeoutMs`; returns the shards it still holds. */
  async renew(nodeId: string, timeoutMs: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ shard: number }>(
      `update shard_leases set expires_at = now() + make_interval(secs => $2::float8 / 1000)
        where owner_node = $1 and expires_at > now() returning shard`,
      [nodeId, timeoutMs],
    );
    return shardsOf(rows);
  }

  /**
   * Takes up to `count` free or expired shards (lowest numbers first; rows another node is taking
   * at this instant are skipped), each under a new epoch, for its worker slot in `slots`.
   * @param slots index = shard, value = the node's worker slot for it (src/actors/shards.ts assignShards)
   * @returns the shards taken
   */
  async acquire(nodeId: string, count: number, slots: readonly number[], timeoutMs: number): Promise<number[]> {
    if (count <= 0) return [];
    const { rows } = await this.pool.query<{ shard: number }>(
      `update shard_leases l set ${TAKE_LEASE_SET}
        where l.shard in (select shard from shard_leases where owner_node is null or expires_at <= now()
                           order by shard limit $2 for update skip locked)
          and (l.owner_node is null or l.expires_at <= now())
        returning l.shard`,
      [nodeId, count, [...slots], timeoutMs],
    );
    return shardsOf(rows);
  }

  /**
   * Takes over, under new epochs, the leases of earlier nodes that registered the same address from
   * the same host: this node bound that address there, so the process that held them is gone (a restart after a crash
   * need not wait for the leases to lapse).
   * @param slots index = shard, value = this node's worker slot for it
   * @returns the shards taken over
   */
  async adoptFromSameAddress(node: NodeRegistration, slots: readonly number[], timeoutMs: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ shard: number }>(
      `update shard_leases l set ${TAKE_LEASE_SET}
         from instance_heartbeat h
        where h.instance_id = l.owner_node and h.address = $2 and h.hostname = $5 and h.instance_id <> $1
        returning l.shard`,
      [node.id, node.address, [...slots], timeoutMs, HOSTNAME],
    );
    await this.pool.query(`delete from instance_heartbeat where address = $1 and hostname = $2 and instance_id <> $3`, [node.address, HOSTNAME, node.id]);
    return shardsOf(rows);
  }

  /** Gives `shards` up (only those the node holds), so that others can take them at once. */
  async release(nodeId: string, shards: readonly number[]): Promise<number[]> {
    if (shards.length === 0) return [];
    const { rows } = await this.pool.query<{ shard: number }>(
      `update shard_leases set owner_node = null, owner_slot = null, expires_at = now()
        where owner_node = $1 and shard = any($2::int[]) returning shard`,
      [nodeId, [...shards]],
    );
    return shardsOf(rows);
  }

  /** Every shard's lease with its owner's address (ordered by shard). */
  async table(): Promise<ShardLeaseRow[]> {
    const { rows } = await this.pool.query<{ shard: number; owner_node: string | null; owner_slot: number | null; epoch: string; remaining_ms: number; address: string | null }>(
      `select l.shard, l.owner_node, l.owner_slot, l.epoch::text as epoch,
              case when l.expires_at <= now() then -1
                   else least(86400000, extract(epoch from (l.expires_at - now())) * 1000) end::float8 as remaining_ms, h.address
         from shard_leases l left join instance_heartbeat h on h.instance_id = l.owner_node order by l.shard`,
    );
    return rows.map((row) => ({
      shard: row.shard, ownerNode: row.owner_node, ownerSlot: row.owner_slot, epoch: row.epoch, remainingMs: Math.floor(row.remaining_ms), address: row.address ?? '',
    }));
  }

  /** Tells every node's lease keeper to look at the table now. */
  async announce(nodeId: string): Promise<void> {
    await this.pool.query('select pg_notify($1, $2)', [SHARD_CHANNEL, nodeId]);
  }
}
