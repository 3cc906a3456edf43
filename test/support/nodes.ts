/**
 * Several NodeBill nodes on one database (issue 15; README "Several nodes"): each node is a whole
 * cluster (`node src/main.ts`, its primary and workers) started by {@link startServer} as a
 * process group of its own, so a test can SIGKILL, SIGSTOP or SIGCONT a node the way a machine
 * failure would hit it. All nodes of a set share the database, Redis, the `[cluster]` secret and
 * the lease timings. Helpers read `shard_leases` grouped by owning node and wait for the leases to
 * reach a state, and {@link startClusterMoneyBed} runs the money-path bed
 * (test/support/money-fixture.ts) over several nodes.
 */
import { randomBytes } from 'node:crypto';
import { queryRows } from './db.ts';
import { startMoneyBed, type MoneyBed } from './money-fixture.ts';
import { startServer, type RunningServer } from './server.ts';

/** The number of shards (src/config/schema.ts SHARD_COUNT). */
export const SHARDS = 64;

/** The `[cluster]` settings of issue 15 a node set passes to every node. */
export interface ClusterSettings {
  /** How long a lease lasts without renewal (ms); the contract's default is 10,000. */
  lease_timeout_ms?: number;
  /** How often a node's primary beats and renews its leases (ms); default 1,000. */
  heartbeat_interval_ms?: number;
}

/** One node of a {@link NodeSet}. */
export interface ClusterNode {
  /** Position in the set, in order of start (0 …). */
  index: number;
  server: RunningServer;
  url: string;
  /** The primary's pid, which is also the node's process group id. */
  pid: number;
  /** The node's id (`instance_heartbeat.instance_id` of its primary's row); null while it has no row. */
  nodeId(): Promise<string | null>;
  /** True until the node's primary has exited. */
  running(): boolean;
  /** SIGKILL to the whole node (primary and workers at once), then waits for the primary to exit. */
  kill(): Promise<void>;
  /** SIGSTOP to the whole node: every process freezes, holding its memory, sockets and leases. */
  pause(): void;
  /** SIGCONT to the whole node. */
  resume(): void;
  /** Graceful stop (SIGTERM to the primary, as an orchestrator does); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Its `GET /metrics` text (the primary's aggregate of its workers). */
  metrics(): Promise<string>;
}

/** Nodes on one database. */
export interface NodeSet {
  databaseUrl: string;
  /** The cluster secret every node shares. */
  secret: string;
  nodes: ClusterNode[];
  /** Starts one more node with the set's settings (a node joining). */
  add(): Promise<ClusterNode>;
  /** Stops every node still running (gracefully; SIGKILL after 20 s) and resumes paused ones first. */
  stopAll(): Promise<void>;
}

/** The options every node of a set is started with. */
export interface NodeSetOptions {
  databaseUrl: string;
  /** Workers per node (default 1: the machine has 2 cores). */
  workers?: number;
  /** Default true. */
  redis?: boolean;
  cluster?: ClusterSettings;
  /** Other config sections, as for {@link startServer}. */
  config?: Record<string, Record<string, unknown>>;
  env?: Record<string, string>;
}

/** The `[cluster]` section of a node: the set's secret and lease timings plus `workers`-independent keys. */
function clusterSection(options: NodeSetOptions, secret: string): Record<string, unknown> {
  return { ...options.config?.cluster, secret, ...options.cluster };
}

/** Starts one node of a set. */
async function startNode(index: number, options: NodeSetOptions, secret: string): Promise<ClusterNode> {
  const server = await startServer({
    databaseUrl: options.databaseUrl,
    workers: options.workers ?? 1,
    detached: true,
    ...(options.redis === false ? { redis: false } : {}),
    ...(options.env ? { env: options.env } : {}),
    config: { ...options.config, cluster: clusterSection(options, secret) },
  });
  return nodeOf(index, server, options.databaseUrl);
}

/** A {@link ClusterNode} view of a server started with `detached: true`. */
export function nodeOf(index: number, server: RunningServer, databaseUrl: string): ClusterNode {
  const pid = server.process.pid;
  if (pid === undefined) throw new Error('the node has no pid');
  const running = (): boolean => server.process.exitCode === null && server.process.signalCode === null;
  const exited = new Promise<void>((resolve) => {
    if (!running()) resolve();
    else server.process.once('exit', () => resolve());
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      // ESRCH: the group is gone already.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  return {
    index,
    server,
    url: server.url,
    pid,
    async nodeId() {
      const [row] = await queryRows<{ instance_id: string }>(databaseUrl, 'select instance_id::text from instance_heartbeat where pid = $1 order by registered_at desc limit 1', [pid]);
      return row?.instance_id ?? null;
    },
    running,
    async kill() {
      signalGroup('SIGKILL');
      await exited;
    },
    pause() {
      signalGroup('SIGSTOP');
    },
    resume() {
      signalGroup('SIGCONT');
    },
    async stop() {
      signalGroup('SIGCONT');
      return server.stop();
    },
    async metrics() {
      const response = await fetch(`${server.url}/metrics`);
      if (!response.ok) throw new Error(`GET /metrics of node ${index} answered ${response.status}`);
      return response.text();
    },
  };
}

/**
 * Starts `count` nodes one after the other on `options.databaseUrl` (the first applies the
 * migrations), each with `workers` workers (default 1), Redis on, and the same `[cluster]` secret
 * and lease settings.
 * @throws Error with the failing node's output when one does not start
 */
export async function startNodes(count: number, options: NodeSetOptions): Promise<NodeSet> {
  const secret = `cluster-${randomBytes(24).toString('hex')}`;
  const nodes: ClusterNode[] = [];
  const set: NodeSet = {
    databaseUrl: options.databaseUrl,
    secret,
    nodes,
    async add() {
      const node = await startNode(nodes.length, options, secret);
      nodes.push(node);
      return node;
    },
    async stopAll() {
      for (const node of nodes) if (node.running()) node.resume();
      await Promise.all(nodes.filter((node) => node.running()).map((node) => node.stop()));
    },
  };
  try {
    for (let n = 0; n < count; n += 1) await set.add();
  } catch (error) {
    await set.stopAll();
    throw error;
  }
  return set;
}

/** One row of `shard_leases`. */
export interface LeaseRow {
  shard: number;
  ownerNode: string | null;
  ownerSlot: number | null;
  epoch: number;
  /** Whether `expires_at` is still ahead of the database's clock. */
  live: boolean;
}

/** `shard_leases` as read at one moment, grouped by owning node. */
export interface LeaseState {
  rows: LeaseRow[];
  /** Shards (ascending) by owning node id, counting only live leases. */
  byNode: Map<string, number[]>;
  /** Shards with no owner or an expired lease. */
  unowned: number[];
}

/** Reads `shard_leases` (one statement, so one consistent snapshot). */
export async function readLeases(databaseUrl: string): Promise<LeaseState> {
  const rows = await queryRows<{ shard: number; owner_node: string | null; owner_slot: number | null; epoch: string; live: boolean }>(
    databaseUrl,
    'select shard, owner_node::text, owner_slot, epoch::text, (owner_node is not null and expires_at > now()) as live from shard_leases order by shard',
  );
  const byNode = new Map<string, number[]>();
  const unowned: number[] = [];
  const leases = rows.map((row) => ({ shard: row.shard, ownerNode: row.owner_node, ownerSlot: row.owner_slot, epoch: Number(row.epoch), live: row.live }));
  for (const lease of leases) {
    if (lease.ownerNode === null || !lease.live) unowned.push(lease.shard);
    else byNode.set(lease.ownerNode, [...(byNode.get(lease.ownerNode) ?? []), lease.shard]);
  }
  return { rows: leases, byNode, unowned };
}

/** A short text of a lease state for error messages: shard counts by node and the unowned shards. */
export function describeLeases(state: LeaseState, names: ReadonlyMap<string, string> = new Map()): string {
  const owners = [...state.byNode].map(([node, shards]) => `${names.get(node) ?? node}: ${shards.length}`).join(', ');
  return `${state.rows.length} lease rows; owned by ${owners || 'nobody'}; unowned: [${state.unowned.join(', ')}]`;
}

/**
 * Polls `shard_leases` every 100 ms until `predicate` holds, and resolves with that state.
 * @param names node id → label (e.g. "node 2") used in the error message
 * @throws Error `leases never satisfied <what> within <ms> ms; last state: …`
 */
export async function waitForLeases(
  databaseUrl: string,
  predicate: (state: LeaseState) => boolean,
  what: string,
  timeoutMs = 30_000,
  names: ReadonlyMap<string, string> = new Map(),
): Promise<LeaseState> {
  const deadline = Date.now() + timeoutMs;
  let last: LeaseState | undefined;
  for (;;) {
    last = await readLeases(databaseUrl);
    if (predicate(last)) return last;
    if (Date.now() > deadline) throw new Error(`leases never satisfied "${what}" within ${timeoutMs} ms; last state: ${describeLeases(last, names)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The predicate "every shard is held by a live lease of one of `owners`, each of them holding a fair
 * share: ⌊64/n⌋ or ⌈64/n⌉ shards".
 */
export function fairlySpreadOver(owners: readonly string[]): (state: LeaseState) => boolean {
  const low = Math.floor(SHARDS / owners.length);
  const high = Math.ceil(SHARDS / owners.length);
  return (state) =>
    state.rows.length === SHARDS &&
    state.unowned.length === 0 &&
    [...state.byNode.keys()].every((node) => owners.includes(node)) &&
    owners.every((node) => {
      const held = state.byNode.get(node)?.length ?? 0;
      return held >= low && held <= high;
    });
}

/**
 * The ids of `nodes` (each's `instance_heartbeat` row), waiting until every one has registered.
 * @throws Error naming the nodes without a row after `timeoutMs`
 */
export async function nodeIds(nodes: readonly ClusterNode[], timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = await Promise.all(nodes.map((node) => node.nodeId()));
    if (ids.every((id) => id !== null)) return ids as string[];
    if (Date.now() > deadline) {
      const missing = nodes.filter((_, n) => ids[n] === null).map((node) => `node ${node.index} (pid ${node.pid})`);
      throw new Error(`no instance_heartbeat row within ${timeoutMs} ms for ${missing.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Sums the samples of one Prometheus metric in `text` whose labels include every pair of `labels`
 * (0 when there is none).
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map<string, string>();
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) present.set(pair[1] ?? '', pair[2] ?? '');
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) sum += Number(match[4]);
  }
  return sum;
}

/** A money-path bed (test/support/money-fixture.ts) whose server is the first of several nodes. */
export interface ClusterMoneyBed {
  bed: MoneyBed;
  set: NodeSet;
  /** Stops every node, the counterparts, and drops the database. */
  stop(): Promise<void>;
}

/**
 * The money bed over `count` nodes on its one database: every node gets the bed's settings
 * (counterparts allow-listed, the given config) and the set's cluster settings; plugins, the
 * product and customers are created once, through node 0 (`bed.server`).
 */
export async function startClusterMoneyBed(count: number, options: {
  workers?: number;
  cluster?: ClusterSettings;
  config?: Record<string, Record<string, unknown>>;
}): Promise<ClusterMoneyBed> {
  let set: NodeSet | undefined;
  const bed = await startMoneyBed({
    ...(options.config ? { config: options.config } : {}),
    start: async (serverOptions) => {
      set = await startNodes(count, {
        databaseUrl: serverOptions.databaseUrl,
        workers: options.workers ?? 1,
        ...(options.cluster ? { cluster: options.cluster } : {}),
        ...(serverOptions.config ? { config: serverOptions.config } : {}),
        ...(serverOptions.env ? { env: serverOptions.env } : {}),
      });
      const first = set.nodes[0];
      if (!first) throw new Error('no node started');
      return first.server;
    },
  });
  if (!set) throw new Error('the bed did not start its nodes');
  const nodes = set;
  return {
    bed,
    set: nodes,
    async stop() {
      await nodes.stopAll();
      await bed.stop();
    },
  };
}
