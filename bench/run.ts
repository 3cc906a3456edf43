/**
 * `npm run bench`: throughput and latency of the request path, measured against real clusters
 * (`node src/main.ts`) on scratch databases, side by side with a bare `@grpc/grpc-js` server
 * answering GetMe's path (bench/bare-server.ts) under the same closed-loop load. Runs of the bare
 * server and of NodeBill alternate, so both see the same machine; figures are medians over the runs
 * (the machine is shared and noisy) and are printed, never asserted.
 *
 * - GetMe: transport + authentication (admin bearer token → session) + the caller's user.
 * - GetBalance: the same plus a customer actor query, local or forwarded over IPC to the owning worker.
 * - ratio: NodeBill's GetMe requests/s over the bare server's, per pair of runs (issue 6's target: ≥ 0.5).
 * - CreateCustomer, UpdateCustomer: commands of the customer actors (2-worker cluster);
 *   GetProduct, ListProducts/20: a page of 20 of 10,000 products, anonymous.
 *
 * The load: BENCH_CONCURRENCY callers (default 32) in closed loops over BENCH_CONNECTIONS grpc-js
 * connections (default 4), BENCH_RUNS runs (default 5) of BENCH_SECONDS (default 2) each.
 *
 * Sections: `request` (the above), `money` (bench/money/main.ts: CreateOrder + PayOrder beside
 * pgbench's create-and-pay, and ListOrders over 1,000,000 orders) and `crm-import`
 * (bench/crm/import.ts: a 10,000-row customer import, export and re-import) and `nodes`
 * (bench/nodes/main.ts: the create-and-pay load over 1, 2 and 3 nodes on one database). All run by
 * default; BENCH_ONLY=request, money, crm-import or nodes selects one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, type DescService } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import pg from 'pg';
import { BalanceService, GetBalanceRequestSchema } from '../src/gen/rustbill/balance_pb.ts';
import { CreateCustomerRequestSchema, CustomerService, UpdateCustomerRequestSchema } from '../src/gen/rustbill/customer_pb.ts';
import { GetProductRequestSchema, ListProductsRequestSchema, ProductService } from '../src/gen/rustbill/product_pb.ts';
import { GetMeRequestSchema, IdentityService } from '../src/gen/rustbill/identity_pb.ts';
import { newId } from '../src/lib/ids.ts';
import { createTestDatabase } from '../test/support/db.ts';
import { startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../test/support/server.ts';
import { unaryClient, type UnaryCall } from './grpc-js.ts';
import { printMoneyResult, runMoneyBenchmark } from './money/main.ts';
import { printImportResult, runImportBenchmark } from './crm/import.ts';
import { printNodesResult, runNodesBenchmark } from './nodes/main.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * `CONNECTIONS` grpc-js clients of one method, each on its own HTTP/2 connection, sending
 * `metadata`. (grpc-js drives about twice the load of connect-node from the same core, so the
 * client is less likely to be what limits the figures.)
 */
function clients(service: DescService, methodName: string, baseUrl: string, metadata: Record<string, string> = {}): UnaryCall[] {
  const address = new URL(baseUrl).host;
  return Array.from({ length: CONNECTIONS }, () => unaryClient(service, methodName, address, metadata));
}

/** Runs `call` from CONCURRENCY loops for SECONDS; returns requests/s and latencies (ms). */
async function measure(call: (i: number) => Promise<unknown>): Promise<{ rps: number; latencies: number[] }> {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  let counter = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await call(counter++);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { rps: latencies.length / ((performance.now() - started) / 1000), latencies };
}

function summarize(runs: Array<{ rps: number; latencies: number[] }>): Figures {
  return {
    rps: median(runs.map((run) => run.rps)),
    p50: median(runs.map((run) => percentile(run.latencies, 50))),
    p99: median(runs.map((run) => percentile(run.latencies, 99))),
  };
}

/** Starts bench/bare-server.ts; resolves with its process and base URL. */
async function startBareServer(): Promise<{ child: ChildProcess; url: string }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bare-server.ts');
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** A NodeBill cluster with 200 customers, 10,000 products and an admin token. */
async function startNodeBill(workers: number, redis: boolean): Promise<{ server: RunningServer; token: string; customers: string[]; products: string[]; close(): Promise<void> }> {
  const db = await createTestDatabase();
  const server = await startServer({ databaseUrl: db.url, workers, redis });
  const login = await createClient(IdentityService, createGrpcTransport({ baseUrl: server.url })).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const customers = Array.from({ length: 200 }, () => newId());
  for (const id of customers) await client.query("insert into customers (id, name, balance) values ($1, $2, '100.00')", [id, `bench ${id}`]);
  const products = Array.from({ length: 10_000 }, () => newId());
  for (let start = 0; start < products.length; start += 1000) {
    const batch = products.slice(start, start + 1000);
    await client.query(
      `insert into products (id, name, description, price_per_month, billing_cycles, specs, created_at)
       select id, 'VPS ' || n, 'bench product', 5 + n % 50, '{"monthly":"5.00","yearly":"50.00"}', jsonb_build_object('region', 'r' || n % 5),
              now() - make_interval(secs => $2 + n)
       from unnest($1::uuid[]) with ordinality as t(id, n)`,
      [batch, start],
    );
  }
  // A catalog that has been there a while: statistics and the visibility map are current.
  await client.query('vacuum analyze products');
  await client.end();
  return {
    server,
    token: login.accessToken,
    customers,
    products,
    close: async () => {
      await server.stop();
      await db.drop();
    },
  };
}

interface ClusterResult {
  label: string;
  /** Figures by RPC, in the order printed. */
  rows: Array<[string, Figures]>;
  /** Median of NodeBill GetMe req/s over bare req/s, per pair of alternating runs. */
  ratio: number;
}

/** Medians over RUNS runs of `call` (after a warm-up run). */
async function runs(call: (i: number) => Promise<unknown>): Promise<Figures> {
  await measure(call);
  const all = [];
  for (let run = 0; run < RUNS; run += 1) all.push(await measure(call));
  return summarize(all);
}

/**
 * Customers and the catalog through the real server: CreateCustomer and UpdateCustomer (commands of
 * the customer actors: decide, fenced snapshot write, audit row, outcome), GetProduct and
 * ListProducts (a page of 20 of 10,000 products, anonymous).
 */
async function catalogRows(cluster: Awaited<ReturnType<typeof startNodeBill>>): Promise<Array<[string, Figures]>> {
  const auth = { authorization: `Bearer ${cluster.token}` };
  const creating = clients(CustomerService, 'createCustomer', cluster.server.url, auth);
  const updating = clients(CustomerService, 'updateCustomer', cluster.server.url, auth);
  const getting = clients(ProductService, 'getProduct', cluster.server.url);
  const listing = clients(ProductService, 'listProducts', cluster.server.url);
  const pick = <T>(items: T[], i: number): T => items[i % items.length] as T;
  const run = newId().slice(-8);
  let created = 0;
  const createCustomer = (i: number): Promise<unknown> =>
    pick(creating, i)(create(CreateCustomerRequestSchema, { name: `bench ${run} ${created++}`, creditLimit: '100.00' }));
  const updateCustomer = (i: number): Promise<unknown> =>
    pick(updating, i)(create(UpdateCustomerRequestSchema, { id: pick(cluster.customers, i), notes: `n ${i}` }));
  const getProduct = (i: number): Promise<unknown> => pick(getting, i)(create(GetProductRequestSchema, { id: pick(cluster.products, i * 7919) }));
  const pages = Math.ceil(cluster.products.length / 20);
  const listProducts = (i: number): Promise<unknown> =>
    pick(listing, i)(create(ListProductsRequestSchema, { pagination: { page: 1 + ((i * 31) % pages), pageSize: 20 } }));
  return [
    ['CreateCustomer', await runs(createCustomer)],
    ['UpdateCustomer', await runs(updateCustomer)],
    ['GetProduct', await runs(getProduct)],
    ['ListProducts/20', await runs(listProducts)],
  ];
}

async function benchCluster(label: string, workers: number, redis: boolean, bareUrl: string, withCatalog: boolean): Promise<ClusterResult> {
  const cluster = await startNodeBill(workers, redis);
  try {
    const auth = { authorization: `Bearer ${cluster.token}` };
    const bare = clients(IdentityService, 'getMe', bareUrl);
    const identity = clients(IdentityService, 'getMe', cluster.server.url, auth);
    const balances = clients(BalanceService, 'getBalance', cluster.server.url, auth);
    const getMeRequest = create(GetMeRequestSchema, {});
    const balanceRequests = cluster.customers.map((customerId) => create(GetBalanceRequestSchema, { customerId }));
    const pick = <T>(items: T[], i: number): T => items[i % items.length] as T;
    const bareCall = (i: number): Promise<unknown> => pick(bare, i)(getMeRequest);
    const getMe = (i: number): Promise<unknown> => pick(identity, i)(getMeRequest);
    const getBalance = (i: number): Promise<unknown> => pick(balances, i)(pick(balanceRequests, i));
    // Warm-up: connections, sessions, actors, JIT.
    for (const call of [bareCall, getMe]) await measure(call);
    const bareRuns = [];
    const getMeRuns = [];
    const ratios = [];
    for (let run = 0; run < RUNS; run += 1) {
      const b = await measure(bareCall);
      const n = await measure(getMe);
      bareRuns.push(b);
      getMeRuns.push(n);
      ratios.push(n.rps / b.rps);
    }
    const rows: Array<[string, Figures]> = [['bare grpc-js GetMe', summarize(bareRuns)], ['GetMe', summarize(getMeRuns)], ['GetBalance', await runs(getBalance)]];
    if (withCatalog) rows.push(...(await catalogRows(cluster)));
    return { label, rows, ratio: median(ratios) };
  } finally {
    await cluster.close();
  }
}

const SECTIONS = ['request', 'money', 'crm-import', 'nodes'] as const;
const ONLY = process.env.BENCH_ONLY;
if (ONLY !== undefined && !SECTIONS.some((section) => section === ONLY)) throw new Error(`BENCH_ONLY must be one of ${SECTIONS.join(', ')}, not ${ONLY}`);

/** The request-path section: the bare server beside two clusters. */
async function requestSection(): Promise<void> {
  const bareServer = await startBareServer();
  const results: ClusterResult[] = [];
  try {
    results.push(await benchCluster('2 workers, no Redis', 2, false, bareServer.url, true));
    results.push(await benchCluster('1 worker, Redis', 1, true, bareServer.url, false));
  } finally {
    bareServer.child.kill();
  }

  const out = process.stdout;
  out.write(`\nRequest path: ${RUNS} runs × ${SECONDS} s, ${CONCURRENCY} concurrent callers over ${CONNECTIONS} connections (medians)\n`);
  out.write('cluster                 rpc                req/s    p50 ms   p99 ms\n');
  for (const result of results) {
    for (const [name, figures] of result.rows) {
      out.write(`${result.label.padEnd(23)} ${name.padEnd(18)} ${figures.rps.toFixed(0).padStart(6)}  ${figures.p50.toFixed(2).padStart(7)}  ${figures.p99.toFixed(2).padStart(7)}\n`);
    }
  }
  for (const result of results) {
    out.write(`GetMe request-path ratio, NodeBill / bare grpc-js (${result.label}): ${result.ratio.toFixed(2)}× (target ≥ 0.50×)\n`);
  }
}

if (ONLY === undefined || ONLY === 'request') await requestSection();
if (ONLY === undefined || ONLY === 'money') printMoneyResult(await runMoneyBenchmark());
if (ONLY === undefined || ONLY === 'crm-import') printImportResult(await runImportBenchmark());
if (ONLY === undefined || ONLY === 'nodes') printNodesResult(await runNodesBenchmark());
