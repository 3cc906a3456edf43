/**
 * The lease keeper of a node's primary (issue 15; HA guide §1/§7, PostgreSQL as the only
 * consensus): registers the node, renews its shard leases every `heartbeatMs`, takes its fair
 * share of free shards (src/domain/cluster/shard-share.ts), hands shards over when a newcomer
 * needs them or the node stops, and publishes the resulting table to its workers after every tick
 * and every change announced by another node (`NOTIFY nodebill_shards`).
 *
 * Handing a shard over: the workers are given a table in which the shard has no owner (new calls
 * for it wait), they let the calls in progress finish and drop its actors, and only then is the
 * lease released: no command waits for a lease to lapse, and no two nodes serve it at once.
 */
import type { Logger } from 'pino';
import pg from 'pg';
import { assignShards } from '../actors/shards.ts';
import { fairShares, planLeases } from '../domain/cluster/shard-share.ts';
import { PgShardLeases, SHARD_CHANNEL, type NodeRegistration, type ShardLeaseRow } from '../persistence/shard-leases.ts';
import type { ShardTableUpdate } from '../actors/shard-table.ts';

/** Part of the lease a worker does not count on (ms), for the way from the database to the worker. */
const VALIDITY_MARGIN_FRACTION = 0.2;
/** How soon a tick follows a change another node announced (ms), so that a burst makes one tick. */
const ANNOUNCE_DEBOUNCE_MS = 30;

/** See the file comment. */
export class LeaseKeeper {
  private readonly leases: PgShardLeases;
  /** Index = shard, value = the worker slot of this node that runs it (as on a single node). */
  private readonly slots: readonly number[];
  private readonly options: {
    databaseUrl: string;
    pool: pg.Pool;
    node: NodeRegistration;
    shards: number;
    leaseTimeoutMs: number;
    heartbeatMs: number;
    log: Logger;
    /** Hands the table to every worker; resolves once they applied it (or after `waitMs`). */
    publish: (update: ShardTableUpdate, waitMs: number) => Promise<void>;
    /** How long workers may take to drain the calls of a shard handed over (ms). */
    drainWaitMs: number;
  };
  /** The shards this node held after the last tick. */
  private owned = new Set<number>();
  /** Shards being handed over: published as ownerless until released. */
  private readonly releasing = new Set<number>();
  private leaving = false;
  private timer: NodeJS.Timeout | null = null;
  private listener: pg.Client | null = null;
  private chain: Promise<void> = Promise.resolve();
  private announced: NodeJS.Timeout | null = null;
  private warnedNoSecret = false;
  private releaseAtStop = false;

  constructor(options: LeaseKeeper['options'] & { secretConfigured: boolean }) {
    this.options = options;
    this.leases = new PgShardLeases(options.pool);
    this.slots = assignShards(options.shards, options.node.workers);
    this.warnedNoSecret = options.secretConfigured;
  }

  /** The node's id. */
  get nodeId(): string {
    return this.options.node.id;
  }

  /**
   * Registers the node, takes over the leases a crashed earlier process on the same address left,
   * runs a first tick (a lone node then holds every shard) and keeps ticking.
   * @throws the database's error when the first registration fails
   */
  async start(): Promise<void> {
    await this.leases.beat(this.options.node);
    const adopted = await this.leases.adoptFromSameAddress(this.options.node, this.slots, this.options.leaseTimeoutMs);
    if (adopted.length > 0) this.options.log.info({ node: this.nodeId, shards: adopted.length }, 'took over the shard leases of the previous process on this address');
    await this.listen();
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.heartbeatMs);
  }

  /**
   * A graceful stop's first step: hands every shard over (workers drain them, the leases are
   * released) and removes the node's registration; the keeper then keeps publishing the others'
   * leases, so calls still arriving here are forwarded, until {@link stop}.
   */
  async handOver(): Promise<void> {
    await this.serialized(async () => {
      const others = (await this.leases.liveNodes(this.options.leaseTimeoutMs)).filter((peer) => peer.id !== this.nodeId);
      if (others.length === 0) {
        // Nobody to hand over to: the workers serve their shards while they drain, and the leases
        // are released at stop (a restart then takes them at once).
        this.releaseAtStop = true;
        return;
      }
      this.leaving = true;
      const shards = [...this.owned];
      await this.release(shards);
      await this.leases.deregister(this.nodeId).catch((error: unknown) => this.options.log.warn({ err: error }, 'could not remove the node registration'));
      this.options.log.info({ node: this.nodeId, shards: shards.length }, 'shards handed over');
      await this.publishTable(await this.leases.table());
    });
  }

  /** Stops ticking and listening (after a lone node's workers drained: releases its leases). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.announced) clearTimeout(this.announced);
    this.timer = null;
    await this.listener?.end().catch(() => undefined);
    this.listener = null;
    await this.chain;
    if (this.releaseAtStop) {
      await this.leases.release(this.nodeId, [...this.owned]).catch((error: unknown) => this.options.log.warn({ err: error }, 'could not release the shard leases'));
      await this.leases.deregister(this.nodeId).catch(() => undefined);
      await this.leases.announce(this.nodeId).catch(() => undefined);
    }
  }

  /** One tick (never two at once). Failures are logged; the leases then lapse unless a later tick renews them. */
  tick(): Promise<void> {
    return this.serialized(async () => {
      try {
        await this.step();
      } catch (error) {
        this.options.log.warn({ err: error }, 'shard lease tick failed; retrying at the next beat');
      }
    });
  }

  private serialized(work: () => Promise<void>): Promise<void> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async step(): Promise<void> {
    const { node, leaseTimeoutMs, shards } = this.options;
    if (this.leaving) {
      await this.publishTable(await this.leases.table());
      return;
    }
    const renewStarted = performance.now();
    await this.leases.beat(node);
    const renewed = new Set(await this.leases.renew(node.id, leaseTimeoutMs));
    const lost = [...this.owned].filter((shard) => !renewed.has(shard));
    let table = await this.leases.table();
    const live = await this.leases.liveNodes(leaseTimeoutMs);
    this.warnAboutSecret(live.length);
    const held = new Map<string, number>(live.map((peer) => [peer.id, 0]));
    held.set(node.id, renewed.size);
    let free = 0;
    for (const row of table) {
      if (row.ownerNode === null || row.remainingMs <= 0) free += 1;
      else if (row.ownerNode !== node.id && held.has(row.ownerNode)) held.set(row.ownerNode, (held.get(row.ownerNode) ?? 0) + 1);
    }
    const plan = planLeases({ me: node.id, held, free, shards });
    const gained = plan.acquire > 0 ? await this.leases.acquire(node.id, plan.acquire, this.slots, leaseTimeoutMs) : [];
    for (const shard of gained) renewed.add(shard);
    this.owned = renewed;
    // The highest-numbered shards go first, so holdings stay stable and predictable. Releasing
    // drops them from `this.owned` (this very set) and announces the release itself.
    const released = [...renewed].sort((a, b) => b - a).slice(0, plan.release);
    await this.release(released);
    if (gained.length > 0) await this.leases.announce(node.id);
    if (gained.length > 0 || released.length > 0) table = await this.leases.table();
    await this.publishTable(table, renewStarted);
    if (gained.length > 0 || lost.length > 0 || released.length > 0) {
      this.options.log.info({ node: node.id, owned: renewed.size, gained, lost: [...lost, ...released].sort((a, b) => a - b), share: fairShares([...held.keys()], shards).get(node.id) ?? 0 },
        'shard leases changed');
    }
  }

  /** Hands `shards` over: ownerless to the workers, drained, then released and announced. */
  private async release(shards: readonly number[]): Promise<void> {
    if (shards.length === 0) return;
    for (const shard of shards) this.releasing.add(shard);
    await this.publishTable(await this.leases.table(), performance.now(), this.options.drainWaitMs);
    await this.leases.release(this.nodeId, shards);
    for (const shard of shards) {
      this.releasing.delete(shard);
      this.owned.delete(shard);
    }
    await this.leases.announce(this.nodeId);
  }

  /** Publishes `table` to the workers: this node's shards only while their lease is renewed and not being handed over. */
  private async publishTable(table: readonly ShardLeaseRow[], renewedAt = performance.now(), waitMs = 1_000): Promise<void> {
    const me = this.nodeId;
    const entries = table.map((row) => {
      const mine = row.ownerNode === me;
      const usable = row.ownerNode !== null && row.remainingMs > 0 && !(mine && (this.leaving || this.releasing.has(row.shard) || !this.owned.has(row.shard)));
      return usable
        ? { shard: row.shard, node: row.ownerNode, slot: row.ownerSlot, epoch: row.epoch, address: row.address }
        : { shard: row.shard, node: null, slot: null, epoch: row.epoch, address: '' };
    });
    const margin = this.options.leaseTimeoutMs * VALIDITY_MARGIN_FRACTION;
    const ownValidMs = Math.max(0, this.options.leaseTimeoutMs - margin - (performance.now() - renewedAt));
    await this.options.publish({ nodeId: me, entries, ownValidMs }, waitMs);
  }

  /** LISTEN for other nodes' lease changes: each one brings a tick forward. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl, application_name: 'nodebill-shard-leases' });
    client.on('error', (error) => this.options.log.warn({ err: error }, 'shard lease listener failed; the periodic tick goes on'));
    client.on('notification', (message) => {
      if (message.channel !== SHARD_CHANNEL || message.payload === this.nodeId || this.announced) return;
      this.announced = setTimeout(() => {
        this.announced = null;
        void this.tick();
      }, ANNOUNCE_DEBOUNCE_MS);
    });
    await client.connect();
    await client.query(`listen ${SHARD_CHANNEL}`);
    this.listener = client;
  }

  private warnAboutSecret(liveNodes: number): void {
    if (this.warnedNoSecret || liveNodes < 2) return;
    this.warnedNoSecret = true;
    this.options.log.error({ nodes: liveNodes }, 'other nodes share this database but [cluster] secret is empty: requests for their customers cannot be forwarded; set the same secret on every node');
  }
}
