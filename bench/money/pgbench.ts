/**
 * The pgbench anchor of the money benchmark: the spec's create-and-pay transaction
 * (bench/money/create-and-pay.sql — order insert, balance update, ledger insert, payment insert,
 * order update, outbox insert) run by `pgbench` straight against PostgreSQL, on the project's real
 * schema. It is what a row-lock design (RustBill's) can reach on this machine at best, and the
 * figure NodeBill's CreateOrder + PayOrder is compared with.
 *
 * The database is a scratch database of the test server (test/support/db.ts), migrated with the
 * project's migrations and seeded with `customers` customers of a large balance, one provider
 * interface and one product. pgbench runs with `-M prepared` (statements prepared once per
 * connection, variables sent as parameters, as sqlx does), `-j 2` threads and per-transaction
 * logging (`-l`); tps, p50 and p99 come from the logs.
 *
 * Run alone: `npm run bench:sql` (or `node bench/money/pgbench.ts`), with BENCH_CLIENTS (32),
 * BENCH_SECONDS (5), BENCH_CUSTOMERS (50) and BENCH_RUNS (3).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migratedTestDatabase } from '../../test/support/db.ts';
import { PG_BIN } from '../../test/support/services.ts';

/** The pgbench script of the create-and-pay transaction. */
export const CREATE_AND_PAY_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'create-and-pay.sql');

/** The balance a seeded customer starts with: far more than any run spends. */
const SEED_BALANCE = '1000000000.00';

/** The id of bench customer `n` (1-based), as create-and-pay.sql computes it. */
export function benchCustomerId(n: number): string {
  return `00000000-0000-7000-9000-${String(n).padStart(12, '0')}`;
}

/** A scratch database seeded for create-and-pay.sql. */
export interface CreateAndPayDatabase {
  url: string;
  /** How many customers it holds (ids {@link benchCustomerId}(1…customers)). */
  customers: number;
  productId: string;
  providerInterfaceId: string;
  /** Drops the database. */
  drop(): Promise<void>;
}

/**
 * Creates a migrated scratch database on the test server with `customers` customers (balance
 * 1,000,000,000.00 each), a first-party provider interface and one product of it.
 */
export async function createAndPayDatabase(customers: number): Promise<CreateAndPayDatabase> {
  const database = await migratedTestDatabase();
  const productId = '00000000-0000-7000-9000-100000000001';
  const providerInterfaceId = '00000000-0000-7000-9000-200000000001';
  const client = new pg.Client({ connectionString: database.url });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(
      `insert into plugin_interfaces (id, plugin_type, plugin_id, display_name, enabled, is_healthy)
       values ($1, 'first_party_provider', 'bench', 'Bench cloud', true, true)`,
      [providerInterfaceId],
    );
    await client.query(
      `insert into products (id, name, description, price_per_month, billing_cycles, interface_id)
       values ($1, 'VPS bench', 'bench product', 10, '{"monthly":"10.00"}', $2)`,
      [productId, providerInterfaceId],
    );
    await client.query(
      `insert into customers (id, name, balance)
       select ('00000000-0000-7000-9000-' || lpad(n::text, 12, '0'))::uuid, 'bench customer ' || n, $2::numeric
       from generate_series(1, $1::int) as n`,
      [customers, SEED_BALANCE],
    );
    await client.query('vacuum analyze');
  } catch (error) {
    await client.end().catch(() => undefined);
    await database.drop().catch(() => undefined);
    throw error;
  }
  await client.end();
  return { url: database.url, customers, productId, providerInterfaceId, drop: () => database.drop() };
}

/** What {@link runPgbench} measures. */
export interface PgbenchFigures {
  /** Committed transactions per second (pgbench's figure, without connection time). */
  tps: number;
  /** Median transaction latency, ms (from the per-transaction log). */
  p50Ms: number;
  /** 99th percentile transaction latency, ms. */
  p99Ms: number;
  /** Transactions logged. */
  transactions: number;
}

/** Options of {@link runPgbench}. */
export interface PgbenchOptions {
  /** Concurrent connections (`-c`). */
  clients: number;
  /** Duration (`-T`). */
  seconds: number;
  /** Customers picked from at random (at most the database's). */
  customers: number;
  /** Threads (`-j`, default 2, at most `clients`). */
  threads?: number;
  /** A database from {@link createAndPayDatabase}; without it one is created and dropped. */
  database?: CreateAndPayDatabase;
}

/** `p`-th percentile of ascending `sorted`. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs a command; resolves with its stdout, rejects with its output when it fails. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}:\n${stdout}\n${stderr}`))));
  });
}

/**
 * Runs create-and-pay.sql with pgbench for `seconds` at `clients` connections; resolves with tps
 * and the latency percentiles of the per-transaction log. Aborts (rejects) when any transaction
 * fails.
 */
export async function runPgbench(options: PgbenchOptions): Promise<PgbenchFigures> {
  const pgbench = path.join(PG_BIN, 'pgbench');
  if (!existsSync(pgbench)) throw new Error(`${pgbench} not found: set PG_BIN, or install the package that ships it (Debian: postgresql-15)`);
  const database = options.database ?? (await createAndPayDatabase(options.customers));
  if (options.customers > database.customers) throw new Error(`the database holds ${database.customers} customers, not ${options.customers}`);
  const logDir = mkdtempSync(path.join(tmpdir(), 'nodebill-pgbench-'));
  try {
    const threads = Math.max(1, Math.min(options.threads ?? 2, options.clients));
    const stdout = await run(pgbench, [
      '-n', // no vacuum of pgbench's own tables (there are none)
      '-M', 'prepared',
      '-c', String(options.clients),
      '-j', String(threads),
      '-T', String(options.seconds),
      '-f', CREATE_AND_PAY_SCRIPT,
      '-D', `customers=${options.customers}`,
      '-D', `product_id=${database.productId}`,
      '-D', `provider_id=${database.providerInterfaceId}`,
      '-l', `--log-prefix=${path.join(logDir, 'pgbench_log')}`,
      database.url,
    ]);
    // Log lines: client_id transaction_no latency_us script_no epoch_s epoch_us
    const latencies: number[] = [];
    for (const file of readdirSync(logDir)) {
      for (const line of readFileSync(path.join(logDir, file), 'utf8').split('\n')) {
        const latencyUs = Number(line.split(' ')[2]);
        if (line && Number.isFinite(latencyUs)) latencies.push(latencyUs / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    const reported = /tps = ([\d.]+) \(without initial connection/.exec(stdout)?.[1];
    return {
      tps: reported ? Number(reported) : latencies.length / options.seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      transactions: latencies.length,
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
    if (!options.database) await database.drop();
  }
}

/** Median of `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** `npm run bench:sql`: pgbench alone, medians over BENCH_RUNS runs (after a 1 s warm-up). */
async function main(): Promise<void> {
  const clients = Number(process.env.BENCH_CLIENTS ?? process.env.BENCH_CONCURRENCY ?? 32);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const customers = Number(process.env.BENCH_CUSTOMERS ?? 50);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const database = await createAndPayDatabase(customers);
  try {
    await runPgbench({ clients, seconds: 1, customers, database });
    const all: PgbenchFigures[] = [];
    for (let i = 0; i < runs; i += 1) {
      const figures = await runPgbench({ clients, seconds, customers, database });
      all.push(figures);
      process.stdout.write(`run ${i + 1}: ${figures.tps.toFixed(0)} tps, p50 ${figures.p50Ms.toFixed(2)} ms, p99 ${figures.p99Ms.toFixed(2)} ms (${figures.transactions} transactions)\n`);
    }
    process.stdout.write(
      `\npgbench create-and-pay, ${clients} clients, ${customers} customers, ${runs} runs × ${seconds} s (medians): ` +
        `${median(all.map((f) => f.tps)).toFixed(0)} tps, p50 ${median(all.map((f) => f.p50Ms)).toFixed(2)} ms, p99 ${median(all.map((f) => f.p99Ms)).toFixed(2)} ms\n`,
    );
  } finally {
    await database.drop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
