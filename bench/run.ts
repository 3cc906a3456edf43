/**
 * `npm run bench`: throughput and latency of the request path, measured against a real cluster
 * (`node src/main.ts`) on a scratch database. Figures are medians over several runs (the machine is
 * shared and noisy) and are printed, never asserted.
 *
 * - GetMe: transport + authentication (admin bearer token → session lookup) + a primary-key read.
 * - GetBalance: the same plus a customer actor query, local or forwarded over IPC to the owning worker.
 *
 * Env: BENCH_SECONDS (per run, default 2), BENCH_RUNS (default 5), BENCH_CONCURRENCY (default 32).
 */
import pg from 'pg';
import { BalanceService } from '../src/gen/rustbill/balance_pb.ts';
import { IdentityService } from '../src/gen/rustbill/identity_pb.ts';
import { newId } from '../src/lib/ids.ts';
import { bearer, grpcClient } from '../test/support/clients.ts';
import { createTestDatabase } from '../test/support/db.ts';
import { startServer, TEST_ADMIN_PASSWORD } from '../test/support/server.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
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

async function benchCluster(workers: number): Promise<Record<string, { rps: number; p50: number; p99: number }>> {
  const db = await createTestDatabase();
  const server = await startServer({ databaseUrl: db.url, workers });
  try {
    const token = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const customers = Array.from({ length: 200 }, () => newId());
    for (const id of customers) await client.query("insert into customers (id, name, balance) values ($1, 'bench', '100.00')", [id]);
    await client.end();
    const identity = grpcClient(IdentityService, server.url, bearer(token));
    const balances = grpcClient(BalanceService, server.url, bearer(token));
    const results: Record<string, { rps: number; p50: number; p99: number }> = {};
    const cases: Array<[string, (i: number) => Promise<unknown>]> = [
      ['GetMe', () => identity.getMe({})],
      ['GetBalance', (i) => balances.getBalance({ customerId: customers[i % customers.length] ?? '' })],
    ];
    for (const [name, call] of cases) {
      await measure(call); // warm-up: connections, actors, JIT
      const runs = [];
      for (let run = 0; run < RUNS; run += 1) runs.push(await measure(call));
      results[name] = {
        rps: median(runs.map((r) => r.rps)),
        p50: median(runs.map((r) => percentile(r.latencies, 50))),
        p99: median(runs.map((r) => percentile(r.latencies, 99))),
      };
    }
    return results;
  } finally {
    await server.stop();
    await db.drop();
  }
}

const table: Array<{ workers: number; results: Awaited<ReturnType<typeof benchCluster>> }> = [];
for (const workers of [1, 2]) table.push({ workers, results: await benchCluster(workers) });
process.stdout.write(`\nNodeBill request path: ${RUNS} runs × ${SECONDS} s, ${CONCURRENCY} concurrent callers (medians)\n`);
process.stdout.write('workers  rpc          req/s    p50 ms   p99 ms\n');
for (const { workers, results } of table) {
  for (const [name, r] of Object.entries(results)) {
    process.stdout.write(`${String(workers).padEnd(8)} ${name.padEnd(12)} ${r.rps.toFixed(0).padStart(6)}  ${r.p50.toFixed(2).padStart(7)}  ${r.p99.toFixed(2).padStart(7)}\n`);
  }
}
const one = table[0]?.results.GetBalance?.rps ?? 0;
const two = table[1]?.results.GetBalance?.rps ?? 0;
if (one > 0) process.stdout.write(`GetBalance 2 workers / 1 worker: ${(two / one).toFixed(2)}×\n`);
