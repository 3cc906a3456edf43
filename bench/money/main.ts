/**
 * The money benchmark (`BENCH_ONLY=money npm run bench`, or `node bench/money/main.ts`).
 *
 * 1. Create-and-pay through NodeBill: a real cluster (`node src/main.ts`, BENCH_WORKERS workers,
 *    default 2, no Redis; background jobs off when the config has `[jobs] enabled`) on a scratch
 *    database, with a provider plugin interface and a product of it, and BENCH_CUSTOMERS customers
 *    (default 50) created by the admin (CreateCustomer), credited through BalanceService.AdjustBalance
 *    and given an API key each (ApiKeyService.CreateApiKey; while that is not served, a key row
 *    written into api_keys the way the service stores it). BENCH_CONCURRENCY callers (default 32) in
 *    closed loops over BENCH_CONNECTIONS native gRPC connections (default 4), each as one customer
 *    picked in turn, call CreateOrder (own customer, the product, its provider, monthly) then PayOrder
 *    (the built-in balance method): paid orders/s and the latency of the pair.
 * 2. The same transaction straight against PostgreSQL: pgbench running bench/money/create-and-pay.sql
 *    at the same concurrency over the same number of customers (bench/money/pgbench.ts). Runs of
 *    NodeBill and pgbench alternate; the ratio is NodeBill's paid orders/s over pgbench's tps, the
 *    median of the paired runs.
 * 3. ListOrders over the guide's data set (BENCH_ORDERS orders, default 1,000,000, over 50
 *    customers; bench/money/orders-dataset.ts) on a second cluster: one customer's own orders (page
 *    of 20) and an admin's (pages of 20 and of 100), one caller, pages 1–10 in turn; p50 printed
 *    beside the guide's figures (§11, single PostgreSQL: 8 ms, 45 ms, 12 ms).
 *
 * BENCH_RUNS runs (default 5) of BENCH_SECONDS each (default 2); figures are medians over the runs,
 * printed, never asserted. BENCH_TRACING=1 runs the clusters with `[telemetry]` on, every span
 * exported to a local OTLP receiver (what tracing costs). Every failed call is counted and its first messages printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, isMessage } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { ServiceError } from '@grpc/grpc-js';
import pg from 'pg';
import { AppConfigSchema } from '../../src/config/schema.ts';
import { newOpaqueToken, tokenHash } from '../../src/domain/identity/secrets.ts';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { ApiKeyService } from '../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import {
  CreateOrderRequestSchema,
  CreateOrderResponseSchema,
  ListOrdersRequestSchema,
  OrderService,
  PayOrderRequestSchema,
} from '../../src/gen/rustbill/order_pb.ts';
import { ProductService } from '../../src/gen/rustbill/product_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { providerScript } from '../../test/plugins/registry/scripts.ts';
import { bearer, grpcClient } from '../../test/support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.ts';
import { startOtlpReceiver } from '../../test/support/counterparts/otlp.ts';
import { startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../../test/support/server.ts';
import { metadataOf, serviceClient, type ServiceCall } from '../grpc-js.ts';
import { BALANCE_GATEWAY_ID, loadOrdersDataset } from './orders-dataset.ts';
import { createAndPayDatabase, median, runPgbench, type PgbenchFigures } from './pgbench.ts';

/** The knobs, from the environment. */
export interface MoneyBenchOptions {
  runs: number;
  seconds: number;
  concurrency: number;
  connections: number;
  customers: number;
  workers: number;
  /** Orders of the ListOrders data set. */
  orders: number;
}

/** The knobs as the environment sets them (see the module comment for the defaults). */
export function moneyOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): MoneyBenchOptions {
  const number = (name: string, fallback: number): number => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${env[name]}`);
    return value;
  };
  return {
    runs: number('BENCH_RUNS', 5),
    seconds: number('BENCH_SECONDS', 2),
    concurrency: number('BENCH_CONCURRENCY', 32),
    connections: number('BENCH_CONNECTIONS', 4),
    customers: number('BENCH_CUSTOMERS', 50),
    workers: number('BENCH_WORKERS', 2),
    orders: number('BENCH_ORDERS', 1_000_000),
  };
}

/** Latency figures of one measured run. */
export interface RunFigures {
  /** Completed operations per second (for create-and-pay: paid orders/s). */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Operations that failed (not counted in perSecond). */
  errors: number;
  /** Operations that succeeded. */
  completed: number;
}

/** What {@link runMoneyBenchmark} measured (medians over the runs). */
export interface MoneyBenchResult {
  options: MoneyBenchOptions;
  /** Null when NodeBill does not serve CreateOrder/PayOrder yet (the reason is in `skipped`). */
  nodebill: RunFigures | null;
  pgbench: PgbenchFigures;
  /** Median over paired runs of NodeBill paid orders/s / pgbench tps; null without NodeBill. */
  ratio: number | null;
  /** ListOrders p50 (ms) by case; null when not measured. */
  listOrders: { own20: number; admin20: number; admin100: number } | null;
  /** Why parts were skipped. */
  skipped: string[];
  /** p50/p99 of CreateOrder and PayOrder alone, over all measured runs' pairs; null without NodeBill. */
  calls: { createOrder: { p50Ms: number; p99Ms: number }; payOrder: { p50Ms: number; p99Ms: number } } | null;
  /** Rows the database holds after the create-and-pay runs, to check the driver's counts against. */
  check: { paidOrders: number; driverPaid: number; unpaidOrders: number } | null;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** A cluster with the money path set up: a provider interface, a product, credited customers with API keys. */
interface MoneyCluster {
  server: RunningServer;
  database: TestDatabase;
  adminToken: string;
  productId: string;
  providerInterfaceId: string;
  customers: Array<{ id: string; apiKey: string }>;
  /** Where the customers' API keys came from. */
  credentials: string;
  close(): Promise<void>;
}

/** The `[jobs]` section turning background jobs off, when this checkout's config knows it. */
function jobsOff(): Record<string, Record<string, unknown>> {
  return Object.hasOwn(AppConfigSchema.shape, 'jobs') ? { jobs: { enabled: false } } : {};
}

/**
 * An API key of `customerId`: from ApiKeyService.CreateApiKey (admin), or — while that RPC is
 * not served — a key row written into api_keys as the service stores it (SHA-256 of the key).
 */
async function apiKeyOf(server: RunningServer, adminToken: string, database: TestDatabase, customerId: string): Promise<{ key: string; source: string }> {
  try {
    const created = await grpcClient(ApiKeyService, server.url, bearer(adminToken)).createApiKey({ name: 'bench', customerId });
    return { key: created.apiKey, source: 'ApiKeyService.CreateApiKey' };
  } catch (error) {
    if (!(error instanceof ConnectError) || error.code !== Code.Unimplemented) throw error;
  }
  const key = `rk_bench_${newOpaqueToken()}`;
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(
      `insert into api_keys (id, customer_id, name, key_prefix, key_hash, permissions, enabled) values ($1, $2, 'bench', $3, $4, '[]', true)`,
      [newId(), customerId, key.slice(0, 14), tokenHash(key)],
    );
  } finally {
    await client.end();
  }
  return { key, source: 'rows written into api_keys (ApiKeyService not served)' };
}

/**
 * Starts a cluster on a fresh database with a plugins directory holding one provider script, and
 * sets up what CreateOrder needs: an enabled provider interface, a product of it (10.00 a month),
 * `customers` customers created by the admin, each credited `credit` (unless undefined) and given
 * an API key.
 */
async function startMoneyCluster(options: { workers: number; customers: number; credit?: string }): Promise<MoneyCluster> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'nodebill-money-'));
  writeFileSync(path.join(workDir, 'provider-benchcloud.js'), providerScript());
  const database = await createTestDatabase();
  // BENCH_TRACING=1: [telemetry] on, exporting every span over OTLP/gRPC to a local receiver (issue 14).
  const receiver = process.env.BENCH_TRACING === '1' ? await startOtlpReceiver() : null;
  let server: RunningServer | undefined;
  const close = async (): Promise<void> => {
    await server?.stop();
    if (receiver) {
      process.stdout.write(`tracing on: ${receiver.spans.length.toLocaleString('en-US')} spans in ${receiver.requests} OTLP exports\n`);
      await receiver.close();
    }
    await database.drop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const telemetry: Record<string, Record<string, unknown>> = receiver ? { telemetry: { enabled: true, otlp_endpoint: receiver.url } } : {};
    server = await startServer({ databaseUrl: database.url, workers: options.workers, redis: false, config: { plugins: { plugins_dir: workDir }, ...jobsOff(), ...telemetry } });
    const running = server;
    const adminToken = (await grpcClient(IdentityService, running.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const admin = bearer(adminToken);
    const { productId, providerInterfaceId } = await setUpBenchCatalog(running.url, admin);
    const customersApi = grpcClient(CustomerService, running.url, admin);
    const balances = grpcClient(BalanceService, running.url, admin);
    const customers: Array<{ id: string; apiKey: string }> = [];
    let credentials = '';
    for (let n = 1; n <= options.customers; n += 1) {
      const id = (await customersApi.createCustomer({ name: `Money bench ${n}`, creditLimit: '0.00' })).customer?.id ?? '';
      if (options.credit !== undefined) await balances.adjustBalance({ customerId: id, amount: options.credit, description: 'bench credit' });
      const apiKey = await apiKeyOf(running, adminToken, database, id);
      credentials = apiKey.source;
      customers.push({ id, apiKey: apiKey.key });
    }
    return { server: running, database, adminToken, productId, providerInterfaceId, customers, credentials, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * Sets up what the benchmarks order, through calls at `url` with the admin headers `admin`: an enabled interface of
 * the scanned `benchcloud` provider script and a product on it at 10.00 a month.
 * @returns the product's and the interface's ids
 * @throws Error when the script was not scanned or CreateProduct answers without a product
 */
export async function setUpBenchCatalog(url: string, admin: Record<string, string>): Promise<{ productId: string; providerInterfaceId: string }> {
  const integration = grpcClient(IntegrationService, url, admin);
  const plugin = (await integration.listPlugins({})).plugins.find((entry) => entry.pluginId === 'benchcloud');
  if (!plugin) throw new Error('the provider plugin benchcloud was not scanned');
  const providerInterfaceId = (await integration.createPluginInterface({ pluginDefId: plugin.id, displayName: 'Bench cloud', configJson: '{}' })).interface?.id ?? '';
  await integration.togglePluginInterface({ interfaceId: providerInterfaceId, enable: true });
  const product = (
    await grpcClient(ProductService, url, admin).createProduct({
      name: 'VPS bench', description: 'bench product', pricePerMonth: '10.00', costPrice: '5.00', interfaceId: providerInterfaceId,
      billingCycles: { monthly: '10.00' }, specs: { region: 'bench' },
    })
  ).product;
  if (!product) throw new Error('CreateProduct answered without a product');
  return { productId: product.id, providerInterfaceId };
}

/** Counts failures by message, keeping the first few for the report. */
export class Failures {
  count = 0;
  private readonly messages = new Map<string, number>();

  add(error: unknown): void {
    this.count += 1;
    const grpcError = error as Partial<ServiceError>;
    const message = typeof grpcError.code === 'number' ? `code ${grpcError.code}: ${grpcError.details ?? grpcError.message}` : String(error);
    if (this.messages.size < 5 || this.messages.has(message)) this.messages.set(message, (this.messages.get(message) ?? 0) + 1);
  }

  /** Whether every failure so far said UNIMPLEMENTED (code 12). */
  onlyUnimplemented(): boolean {
    return this.count > 0 && [...this.messages.keys()].every((message) => message.startsWith('code 12:'));
  }

  summary(): string {
    return [...this.messages].map(([message, n]) => `${n}× ${message}`).join('; ');
  }
}

/**
 * Runs `operation` from `concurrency` closed loops for `seconds`; successes count towards the
 * rate and the latencies, failures into `failures`.
 */
export async function closedLoop(concurrency: number, seconds: number, failures: Failures, operation: (i: number) => Promise<void>): Promise<RunFigures> {
  const latencies: number[] = [];
  let counter = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await operation(counter++);
          latencies.push(performance.now() - t0);
        } catch (error) {
          errors += 1;
          failures.add(error);
          // A broken path fails fast; do not spin.
          if (failures.onlyUnimplemented()) return;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / ((performance.now() - started) / 1000), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors,
    completed: latencies.length,
  };
}

/**
 * CreateOrder then PayOrder (the balance method) as customer `i mod customers` (its API key as
 * bearer token), over connection `i mod connections`.
 */
export function createAndPay(
  cluster: Pick<MoneyCluster, 'customers' | 'productId' | 'providerInterfaceId'>,
  connections: ServiceCall[],
  /** When given, each successful call's latency (ms) is added here. */
  calls?: CallLatencies,
): (i: number) => Promise<void> {
  const callers = cluster.customers.map((customer) => ({
    metadata: metadataOf(bearer(customer.apiKey)),
    request: create(CreateOrderRequestSchema, {
      customerId: customer.id, productId: cluster.productId, providerInterfaceId: cluster.providerInterfaceId, billingCycle: 'monthly', currency: 'CNY',
    }),
  }));
  return async (i) => {
    const caller = callers[i % callers.length];
    const call = connections[i % connections.length];
    if (!caller || !call) throw new Error('no customers or no connections');
    const t0 = performance.now();
    const created = await call('createOrder', caller.request, caller.metadata);
    const t1 = performance.now();
    const orderId = isMessage(created, CreateOrderResponseSchema) ? created.order?.id : undefined;
    if (!orderId) throw new Error('CreateOrder answered without an order id');
    await call('payOrder', create(PayOrderRequestSchema, { orderId, gatewayInterfaceId: BALANCE_GATEWAY_ID }), caller.metadata);
    calls?.createOrder.push(t1 - t0);
    calls?.payOrder.push(performance.now() - t1);
  };
}

/** Latencies (ms) of the single calls of create-and-pay pairs. */
export interface CallLatencies {
  createOrder: number[];
  payOrder: number[];
}

/** Paid and unpaid orders in the database. */
async function orderCounts(url: string): Promise<{ paid: number; unpaid: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ paid: string; unpaid: string }>(
      `select count(*) filter (where paid_at is not null) as paid, count(*) filter (where paid_at is null) as unpaid from orders`,
    );
    return { paid: Number(rows[0]?.paid ?? 0), unpaid: Number(rows[0]?.unpaid ?? 0) };
  } finally {
    await client.end();
  }
}

/** Pairs completed over all runs. */
function driverPaid(runs: RunFigures[]): number {
  return runs.reduce((sum, run) => sum + run.completed, 0);
}

/** Median of one field over runs. */
function medianOf<T>(runs: T[], field: (run: T) => number): number {
  return median(runs.map(field));
}

/**
 * Create-and-pay through NodeBill and through pgbench, alternating; null for NodeBill when its
 * cluster does not serve the order RPCs yet.
 */
async function createAndPayPart(options: MoneyBenchOptions, skipped: string[]): Promise<Pick<MoneyBenchResult, 'nodebill' | 'pgbench' | 'ratio' | 'check' | 'calls'>> {
  const sqlDatabase = await createAndPayDatabase(options.customers);
  let cluster: MoneyCluster | undefined;
  try {
    try {
      cluster = await startMoneyCluster({ workers: options.workers, customers: options.customers, credit: '1000000.00' });
    } catch (error) {
      const unimplemented = error instanceof ConnectError && error.code === Code.Unimplemented;
      if (!unimplemented) throw error;
      skipped.push(`NodeBill create-and-pay: setup failed, ${error.message}`);
    }
    const address = cluster ? new URL(cluster.server.url).host : '';
    const connections = cluster ? Array.from({ length: options.connections }, () => serviceClient(OrderService, address)) : [];
    const calls: CallLatencies = { createOrder: [], payOrder: [] };
    const operation = cluster ? createAndPay(cluster, connections, calls) : undefined;
    const failures = new Failures();
    // Warm-up: connections, actors, JIT, PostgreSQL caches.
    if (operation) await closedLoop(options.concurrency, 1, failures, operation);
    await runPgbench({ clients: options.concurrency, seconds: 1, customers: options.customers, database: sqlDatabase });
    let nodebill: RunFigures[] | null = operation && !failures.onlyUnimplemented() ? [] : null;
    if (operation && failures.onlyUnimplemented()) skipped.push(`NodeBill create-and-pay: ${failures.summary()}`);
    const warmupFailures = failures.count;
    calls.createOrder.length = 0;
    calls.payOrder.length = 0;
    const pgbench: PgbenchFigures[] = [];
    const ratios: number[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      if (nodebill && operation) {
        const figures = await closedLoop(options.concurrency, options.seconds, failures, operation);
        nodebill.push(figures);
        if (failures.onlyUnimplemented()) {
          skipped.push(`NodeBill create-and-pay: ${failures.summary()}`);
          nodebill = null;
        }
      }
      const sql = await runPgbench({ clients: options.concurrency, seconds: options.seconds, customers: options.customers, database: sqlDatabase });
      pgbench.push(sql);
      const last = nodebill?.at(-1);
      if (last) ratios.push(last.perSecond / sql.tps);
    }
    if (cluster) process.stdout.write(`create-and-pay callers authenticate with API keys: ${cluster.credentials}\n`);
    if (failures.count > 0) process.stdout.write(`create-and-pay failures (${failures.count}, ${warmupFailures} in the warm-up): ${failures.summary()}\n`);
    let check: MoneyBenchResult['check'] = null;
    if (cluster && nodebill) {
      const counts = await orderCounts(cluster.database.url);
      const counted = driverPaid(nodebill);
      check = { paidOrders: counts.paid, driverPaid: counted, unpaidOrders: counts.unpaid };
    }
    const single = (latencies: number[]): { p50Ms: number; p99Ms: number } => {
      const sorted = [...latencies].sort((a, b) => a - b);
      return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
    };
    return {
      nodebill: nodebill && nodebill.length > 0
        ? { perSecond: medianOf(nodebill, (r) => r.perSecond), p50Ms: medianOf(nodebill, (r) => r.p50Ms), p99Ms: medianOf(nodebill, (r) => r.p99Ms), errors: nodebill.reduce((s, r) => s + r.errors, 0), completed: driverPaid(nodebill) }
        : null,
      pgbench: {
        tps: medianOf(pgbench, (r) => r.tps), p50Ms: medianOf(pgbench, (r) => r.p50Ms), p99Ms: medianOf(pgbench, (r) => r.p99Ms),
        transactions: pgbench.reduce((s, r) => s + r.transactions, 0),
      },
      ratio: ratios.length > 0 ? median(ratios) : null,
      check,
      calls: nodebill && nodebill.length > 0 ? { createOrder: single(calls.createOrder), payOrder: single(calls.payOrder) } : null,
    };
  } finally {
    await cluster?.close();
    await sqlDatabase.drop();
  }
}

/** ListOrders p50 over the data set: own orders (20), admin (20, 100), one caller, pages 1–10 in turn. */
async function listOrdersPart(options: MoneyBenchOptions, skipped: string[]): Promise<MoneyBenchResult['listOrders']> {
  const cluster = await startMoneyCluster({ workers: options.workers, customers: 1 });
  try {
    const own = cluster.customers[0];
    if (!own) throw new Error('no customer');
    // Not served yet? Then loading the data set would be wasted.
    try {
      await grpcClient(OrderService, cluster.server.url, bearer(cluster.adminToken)).listOrders({ pagination: { page: 1, pageSize: 20 } });
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.Unimplemented) {
        skipped.push(`ListOrders: ${error.message}`);
        return null;
      }
      throw error;
    }
    const loaded = await loadOrdersDataset(cluster.database.url, { orders: options.orders, customers: 50, existingCustomerIds: [own.id] });
    process.stdout.write(`orders data set: ${options.orders.toLocaleString('en-US')} orders over 50 customers loaded in ${(loaded.loadMs / 1000).toFixed(1)} s (${(loaded.ordersByCustomer.get(own.id) ?? 0).toLocaleString('en-US')} of them the customer's own)\n`);
    const call = serviceClient(OrderService, new URL(cluster.server.url).host);
    const asCustomer = metadataOf(bearer(own.apiKey));
    const asAdmin = metadataOf(bearer(cluster.adminToken));
    const failures = new Failures();
    const listing = (metadata: typeof asAdmin, pageSize: number) => async (i: number): Promise<void> => {
      await call('listOrders', create(ListOrdersRequestSchema, { pagination: { page: 1 + (i % 10), pageSize } }), metadata);
    };
    const cases = { own20: listing(asCustomer, 20), admin20: listing(asAdmin, 20), admin100: listing(asAdmin, 100) };
    const results: Record<keyof typeof cases, RunFigures[]> = { own20: [], admin20: [], admin100: [] };
    for (const operation of Object.values(cases)) await closedLoop(1, 1, failures, operation); // warm-up
    if (failures.onlyUnimplemented()) {
      skipped.push(`ListOrders: ${failures.summary()}`);
      return null;
    }
    for (let run = 0; run < options.runs; run += 1) {
      for (const [name, operation] of Object.entries(cases) as Array<[keyof typeof cases, (i: number) => Promise<void>]>) {
        results[name].push(await closedLoop(1, options.seconds, failures, operation));
      }
    }
    if (failures.count > 0) process.stdout.write(`ListOrders failures (${failures.count}): ${failures.summary()}\n`);
    return { own20: medianOf(results.own20, (r) => r.p50Ms), admin20: medianOf(results.admin20, (r) => r.p50Ms), admin100: medianOf(results.admin100, (r) => r.p50Ms) };
  } finally {
    await cluster.close();
  }
}

/** Prints the figures of {@link runMoneyBenchmark}. */
export function printMoneyResult(result: MoneyBenchResult, out: NodeJS.WritableStream = process.stdout): void {
  const { options } = result;
  const row = (label: string, perSecond: string, p50: string, p99: string): string => `${label.padEnd(36)} ${perSecond.padStart(8)}  ${p50.padStart(7)}  ${p99.padStart(7)}\n`;
  out.write(`\nMoney path: ${options.runs} runs × ${options.seconds} s, ${options.concurrency} concurrent callers, ${options.customers} customers, ${options.workers} workers (medians)\n`);
  out.write(row('', 'per s', 'p50 ms', 'p99 ms'));
  if (result.nodebill) {
    out.write(row('NodeBill CreateOrder + PayOrder', result.nodebill.perSecond.toFixed(0), result.nodebill.p50Ms.toFixed(2), result.nodebill.p99Ms.toFixed(2)));
  } else {
    out.write(row('NodeBill CreateOrder + PayOrder', '—', '—', '—'));
  }
  if (result.calls) {
    out.write(row('  of which CreateOrder (all runs)', '', result.calls.createOrder.p50Ms.toFixed(2), result.calls.createOrder.p99Ms.toFixed(2)));
    out.write(row('  of which PayOrder (all runs)', '', result.calls.payOrder.p50Ms.toFixed(2), result.calls.payOrder.p99Ms.toFixed(2)));
  }
  out.write(row('pgbench create-and-pay (tps)', result.pgbench.tps.toFixed(0), result.pgbench.p50Ms.toFixed(2), result.pgbench.p99Ms.toFixed(2)));
  if (result.ratio !== null) out.write(`paid orders/s ratio, NodeBill / pgbench: ${result.ratio.toFixed(2)}× (median of paired runs)\n`);
  if (result.nodebill && result.nodebill.errors > 0) out.write(`NodeBill failed calls during the measured runs: ${result.nodebill.errors}\n`);
  if (result.check) {
    out.write(`database after the runs: ${result.check.paidOrders} paid orders, ${result.check.unpaidOrders} unpaid (measured runs counted ${result.check.driverPaid} paid; warm-up and failed pairs make the difference)\n`);
  }
  if (result.listOrders) {
    out.write(`\nListOrders over ${options.orders.toLocaleString('en-US')} orders / 50 customers, one caller (p50 of ${options.runs} runs)   NodeBill   guide (single PG)\n`);
    const line = (label: string, ms: number, guide: string): string => `  ${label.padEnd(66)} ${ms.toFixed(2).padStart(8)} ms  ${guide.padStart(6)}\n`;
    out.write(line("a customer's own orders, page of 20", result.listOrders.own20, '8 ms'));
    out.write(line('admin, all orders, page of 20', result.listOrders.admin20, '45 ms'));
    out.write(line('admin, all orders, page of 100', result.listOrders.admin100, '12 ms'));
  }
  for (const reason of result.skipped) out.write(`skipped — ${reason}\n`);
}

/** Runs the three parts (see the module comment) and returns their figures. */
export async function runMoneyBenchmark(options: MoneyBenchOptions = moneyOptionsFromEnv()): Promise<MoneyBenchResult> {
  const skipped: string[] = [];
  const money = await createAndPayPart(options, skipped);
  const listOrders = await listOrdersPart(options, skipped);
  return { options, ...money, listOrders, skipped };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  printMoneyResult(await runMoneyBenchmark());
}
