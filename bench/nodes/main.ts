/**
 * The nodes benchmark (`BENCH_ONLY=nodes npm run bench`, or `node bench/nodes/main.ts`; issue 15):
 * the same CreateOrder + PayOrder load as the money benchmark (bench/money/main.ts) against 1, then
 * 2, then 3 NodeBill nodes of one worker each, all on one fresh database (the nodes are added one by
 * one: the second and third join the running ones, as a scale-out does). The load spreads its pairs
 * round-robin over the nodes (BENCH_CONNECTIONS native gRPC connections per node, default 4), as
 * a load balancer in front of them would.
 *
 * Per node count: paid orders/s and the p99 latency (ms) of a create-and-pay pair, medians over
 * BENCH_RUNS runs (default 5) of BENCH_SECONDS (default 2) after a one-second warm-up, and the
 * share of actor messages that a node forwarded to another node (the nodes' /metrics counter
 * `nodebill_actor_messages_total{route="node_forwarded"}` over all the routes a message can take
 * from the node that received the call, summed over the nodes, measured runs only).
 *
 * BENCH_CONCURRENCY callers (default 32), BENCH_CUSTOMERS customers (default 50, each credited
 * 1,000,000.00 and calling with an API key of its own). No Redis and background jobs off, as in the
 * money benchmark, so the figures compare with its single-node ones. Figures are printed, never
 * asserted. On a 2-core machine more nodes are not faster: every node's primary and worker share
 * the same two cores, and a call landing on a node that does not own the customer's shard pays an
 * extra gRPC hop.
 */
import os from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { ApiKeyService } from '../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { providerScript } from '../../test/plugins/registry/scripts.ts';
import { bearer, grpcClient } from '../../test/support/clients.ts';
import { createTestDatabase } from '../../test/support/db.ts';
import { fairlySpreadOver, metricSum, nodeIds, startNodes, waitForLeases, type NodeSet } from '../../test/support/nodes.ts';
import { TEST_ADMIN_PASSWORD } from '../../test/support/server.ts';
import { serviceClient } from '../grpc-js.ts';
import { closedLoop, createAndPay, Failures, moneyOptionsFromEnv, setUpBenchCatalog, type MoneyBenchOptions, type RunFigures } from '../money/main.ts';
import { median } from '../money/pgbench.ts';

/** Figures of one node count (medians over the runs). */
export interface NodeCountFigures {
  nodes: number;
  /** Paid orders per second. */
  perSecond: number;
  /** p99 latency of a CreateOrder + PayOrder pair, ms. */
  p99Ms: number;
  /** Actor messages forwarded to another node / all actor messages routed from the receiving node (0 … 1); null without the counter. */
  forwardedShare: number | null;
  /** Pairs that failed during the measured runs. */
  errors: number;
}

/** What {@link runNodesBenchmark} measured. */
export interface NodesBenchResult {
  options: MoneyBenchOptions;
  maxNodes: number;
  rows: NodeCountFigures[];
  /** Failure summary (first messages), '' when none. */
  failures: string;
}

/** The `[jobs]` section turning background jobs off (as the money benchmark does). */
function jobsOff(): Record<string, Record<string, unknown>> {
  return { jobs: { enabled: false } };
}

/** Actor-message counts summed over the nodes: forwarded to another node, and all routed from the receiving node. */
async function routedMessages(set: NodeSet): Promise<{ nodeForwarded: number; routed: number }> {
  let nodeForwarded = 0;
  let routed = 0;
  for (const node of set.nodes) {
    if (!node.running()) continue;
    const text = await node.metrics();
    nodeForwarded += metricSum(text, 'nodebill_actor_messages_total', { route: 'node_forwarded' });
    for (const line of text.split('\n')) {
      const match = /^nodebill_actor_messages_total\{([^}]*)\}\s+(\S+)/.exec(line);
      if (!match) continue;
      const route = /route="([^"]*)"/.exec(match[1] ?? '')?.[1] ?? '';
      // A message received from another worker or node was already counted where it entered.
      if (!route.includes('received')) routed += Number(match[2]);
    }
  }
  return { nodeForwarded, routed };
}

/**
 * Starts the first node on a fresh database, sets up the money path through it (a provider
 * interface of the benchcloud script, a product at 10.00 a month, credited customers with API
 * keys), then for 1 … BENCH_NODES (default 3) nodes runs the load and collects the figures.
 */
export async function runNodesBenchmark(options: MoneyBenchOptions = moneyOptionsFromEnv(), maxNodes = Number(process.env.BENCH_NODES ?? 3)): Promise<NodesBenchResult> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'nodebill-nodes-'));
  writeFileSync(path.join(workDir, 'provider-benchcloud.js'), providerScript());
  const database = await createTestDatabase();
  let set: NodeSet | undefined;
  try {
    set = await startNodes(1, {
      databaseUrl: database.url,
      workers: 1,
      redis: false,
      cluster: { lease_timeout_ms: 10_000, heartbeat_interval_ms: 1_000 },
      config: { plugins: { plugins_dir: workDir }, ...jobsOff() },
    });
    const first = set.nodes[0];
    if (!first) throw new Error('no node started');
    const adminToken = (await grpcClient(IdentityService, first.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const admin = bearer(adminToken);
    const { productId, providerInterfaceId } = await setUpBenchCatalog(first.url, admin);
    const customersApi = grpcClient(CustomerService, first.url, admin);
    const balances = grpcClient(BalanceService, first.url, admin);
    const apiKeys = grpcClient(ApiKeyService, first.url, admin);
    const customers: Array<{ id: string; apiKey: string }> = [];
    for (let n = 1; n <= options.customers; n += 1) {
      const id = (await customersApi.createCustomer({ name: `Nodes bench ${n}`, creditLimit: '0.00' })).customer?.id ?? '';
      await balances.adjustBalance({ customerId: id, amount: '1000000.00', description: 'bench credit' });
      customers.push({ id, apiKey: (await apiKeys.createApiKey({ name: 'bench', customerId: id })).apiKey });
    }
    const cluster = { customers, productId, providerInterfaceId };

    const rows: NodeCountFigures[] = [];
    const failures = new Failures();
    for (let count = 1; count <= maxNodes; count += 1) {
      while (set.nodes.length < count) await set.add();
      const ids = await nodeIds(set.nodes);
      await waitForLeases(database.url, fairlySpreadOver(ids), `the shards spread fairly over ${count} node(s)`, 60_000);
      // Connection k goes to node k mod count: pairs i = 0, 1, 2 … land on the nodes in turn.
      const connections = Array.from({ length: options.connections * count }, (_, k) => serviceClient(OrderService, new URL(set!.nodes[k % count]?.url ?? '').host));
      const operation = createAndPay(cluster, connections);
      await closedLoop(options.concurrency, 1, failures, operation);
      const warmupFailures = failures.count;
      const before = await routedMessages(set);
      const runs: RunFigures[] = [];
      for (let run = 0; run < options.runs; run += 1) runs.push(await closedLoop(options.concurrency, options.seconds, failures, operation));
      const after = await routedMessages(set);
      const routed = after.routed - before.routed;
      rows.push({
        nodes: count,
        perSecond: median(runs.map((run) => run.perSecond)),
        p99Ms: median(runs.map((run) => run.p99Ms)),
        forwardedShare: routed > 0 ? (after.nodeForwarded - before.nodeForwarded) / routed : null,
        errors: failures.count - warmupFailures,
      });
    }
    return { options, maxNodes, rows, failures: failures.count > 0 ? failures.summary() : '' };
  } finally {
    await set?.stopAll();
    await database.drop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Prints the figures of {@link runNodesBenchmark}. */
export function printNodesResult(result: NodesBenchResult, out: NodeJS.WritableStream = process.stdout): void {
  const { options } = result;
  out.write(`\nNodes: 1 … ${result.maxNodes} nodes × 1 worker on one database; ${options.runs} runs × ${options.seconds} s, ${options.concurrency} callers, ${options.connections} connections per node, ${options.customers} customers (medians)\n`);
  out.write('nodes   paid orders/s   p99 ms (create+pay)   forwarded to another node   failed pairs\n');
  for (const row of result.rows) {
    const share = row.forwardedShare === null ? '—' : `${(row.forwardedShare * 100).toFixed(1)} %`;
    out.write(`${String(row.nodes).padStart(5)}   ${row.perSecond.toFixed(0).padStart(13)}   ${row.p99Ms.toFixed(2).padStart(19)}   ${share.padStart(25)}   ${String(row.errors).padStart(12)}\n`);
  }
  out.write(
    `note: this machine has ${os.availableParallelism()} cores; every node's primary, worker and PostgreSQL share them, so more nodes here are not faster: ` +
      'a call landing on a node that does not own its customer\'s shard (about (n-1)/n of them with n nodes) pays an extra gRPC hop to the owner. ' +
      'Nodes add throughput when each has cores of its own.\n',
  );
  if (result.failures) out.write(`failures: ${result.failures}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  printNodesResult(await runNodesBenchmark());
}
