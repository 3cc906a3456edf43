/**
 * Crash safety of the money path (issue 8): a worker is killed with SIGKILL in the middle of a
 * stream of CreateOrder + PayOrder calls and of the provisioning jobs they cause; in a second run
 * Redis and then PostgreSQL are killed and restarted under load. Afterwards every acknowledged
 * payment is in the ledger exactly once, every paid order ended `active` or refunded and
 * `cancelled`, no order has two instances (here or at the provider), and the money invariant holds.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { queryRows } from '../support/db.ts';
import { expectMoneyPathConsistent } from '../support/money-consistency.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../support/services.ts';

/** Fast retries and short claim timeouts, so recovery happens within the test. */
const CRASH_CONFIG = {
  jobs: { max_attempts: 6, backoff_base_ms: 200, backoff_max_ms: 2000, poll_interval_ms: 200, queued_timeout_secs: 3 },
  orders: { unpaid_timeout_secs: 3600, unpaid_check_interval_secs: 60, instance_refresh_interval_secs: 3600 },
};

/** Calls that a crash may cut off: answered Unavailable, Internal, DeadlineExceeded or a dropped connection. */
function interrupted(error: unknown): boolean {
  return error instanceof ConnectError && [Code.Unavailable, Code.Internal, Code.DeadlineExceeded, Code.Unknown, Code.Aborted, Code.Canceled].includes(error.code);
}

/** Runs `call` with the same idempotency key until it is answered (at most `tries` times), counting interruptions. */
async function withRetries<T>(call: (key: { headers: Record<string, string>; timeoutMs: number }) => Promise<T>, counter: { interrupted: number }, tries = 6): Promise<T | null> {
  const key = { headers: { 'idempotency-key': `crash-${newId()}` }, timeoutMs: 8_000 };
  for (let attempt = 1; attempt <= tries; attempt += 1) {
    try {
      return await call(key);
    } catch (error) {
      if (!interrupted(error)) throw error;
      counter.interrupted += 1;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
  return null;
}

/**
 * Each customer's opening credit: enough for every order the stream can place in its seconds (the
 * money path pays 500+ orders/s here, 20.00 each, over 8 customers), so a refusal is never
 * "insufficient funds" but only what the crash does.
 */
const CREDIT = '100000.00';

interface Stream {
  acked: Array<{ orderId: string; paymentId: string }>;
  interrupted: number;
  stop(): Promise<void>;
}

/** `callers` loops of CreateOrder + PayOrder (balance) until stopped, over the customers of `bed`. */
function startStream(bed: MoneyBed, customers: Array<Awaited<ReturnType<MoneyBed['customer']>>>, callers: number): Stream {
  const state = { acked: [] as Stream['acked'], interrupted: 0, running: true };
  const loops = Array.from({ length: callers }, async (_, index) => {
    const buyer = customers[index % customers.length];
    if (!buyer) return;
    while (state.running) {
      const created = await withRetries((options) => buyer.api.orders.createOrder({
        customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly',
      }, options), state);
      const orderId = created?.order?.id;
      if (!orderId) continue;
      const paid = await withRetries((options) => buyer.api.orders.payOrder({ orderId, gatewayInterfaceId: BALANCE }, options), state);
      if (paid?.payment?.paymentId) state.acked.push({ orderId, paymentId: paid.payment.paymentId });
    }
  });
  return {
    get acked() { return state.acked; },
    get interrupted() { return state.interrupted; },
    async stop() {
      state.running = false;
      await Promise.all(loops);
    },
  };
}

/** Waits until no order is paid or provisioning any more and no event is left to handle. */
async function settle(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [busy] = await queryRows<{ orders: string; events: string }>(url, `select
      (select count(*) from orders where status in ('paid', 'provisioning'))::text as orders,
      (select count(*) from event_queue where status in ('pending', 'queued', 'processing') and event_type = 'order_paid')::text as events`);
    if (busy?.orders === '0' && busy.events === '0') return;
    if (Date.now() > deadline) throw new Error(`the money path did not settle: ${JSON.stringify(busy)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}


describe('a worker killed with SIGKILL in the middle of payments and provisioning', () => {
  let bed: MoneyBed | undefined;
  afterAll(async () => {
    await bed?.stop();
  });

  it('loses and doubles nothing', async () => {
    bed = await startMoneyBed({ workers: 2, config: CRASH_CONFIG });
    const pids = new Map<number, number>();
    for (const line of bed.server.logs) if (line.msg === 'worker ready' && typeof line.slot === 'number' && typeof line.workerPid === 'number') pids.set(line.slot, line.workerPid);
    const customers = await Promise.all(Array.from({ length: 8 }, () => bed!.customer(CREDIT)));
    const stream = startStream(bed, customers, 16);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const victim = pids.get(1);
    expect(victim).toBeTypeOf('number');
    process.kill(victim ?? 0, 'SIGKILL');
    await bed.server.waitForLog((line) => line.msg === 'worker died; restarting it' && line.workerPid === victim, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await stream.stop();
    expect(stream.interrupted).toBeGreaterThan(0);
    await settle(bed.db.url);
    await expectMoneyPathConsistent(bed, stream.acked);
  }, 240_000);
});

describe('Redis, then PostgreSQL, killed and restarted under load', () => {
  let bed: MoneyBed | undefined;
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  afterAll(async () => {
    await bed?.server.stop();
    await bed?.incus.close();
    await bed?.epay.close();
    await redis?.stop();
    await pg?.stop();
  });

  it('loses and doubles nothing', async () => {
    pg = await startPrivatePostgres();
    redis = await startPrivateRedis();
    const url = await pg.createDatabase('money_crash');
    bed = await startMoneyBed({ workers: 2, config: CRASH_CONFIG, env: { REDIS_URL: redis.url }, database: { url, name: 'money_crash', drop: async () => undefined } });
    const customers = await Promise.all(Array.from({ length: 8 }, () => bed!.customer(CREDIT)));
    const stream = startStream(bed, customers, 12);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await redis.start();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const ackedBeforePg = stream.acked.length;
    await pg.kill();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await pg.start();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await stream.stop();
    expect(stream.interrupted).toBeGreaterThan(0);
    // Payments went on after PostgreSQL came back.
    expect(stream.acked.length).toBeGreaterThan(ackedBeforePg);
    await settle(url);
    await expectMoneyPathConsistent(bed, stream.acked);
  }, 300_000);
});
