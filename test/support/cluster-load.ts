/**
 * A load client for several nodes behind one address (issue 15's failure tests): closed loops of
 * CreateOrder + PayOrder (the built-in balance method) for many customers, each call sent to the
 * next node in round-robin order with an `idempotency-key`. It behaves like a load balancer with a
 * retry window (Caddy's `lb_try_duration`) in front of a careful client:
 *
 * - when a node cannot be reached (the connection is refused, or the node refused the stream
 *   before handling it), the SAME call with the SAME key goes to the next node, for up to
 *   `tryDurationMs`; such a call counts as `redirected`, not as failed;
 * - a call that reached a node and then failed (any gRPC error, a reset connection, a deadline)
 *   counts as failed, by code; with `retryFailures` the client sends it again with the same key
 *   (on the next node) up to that many times, as a client of an idempotent API does.
 *
 * Every payment whose PayOrder was answered is recorded in `acked`.
 */
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { BALANCE, SPEC } from './money-fixture.ts';

/** A customer the load buys for: its id and an access token (JWT) or API key. */
export interface LoadCustomer {
  customerId: string;
  accessToken: string;
}

/** What is bought: a product and its provider interface. */
export interface LoadCatalog {
  productId: string;
  providerId: string;
}

/** A payment whose PayOrder was answered. */
export interface AckedPayment {
  customerId: string;
  orderId: string;
  paymentId: string;
  /** The node URL that answered the PayOrder. */
  url: string;
}

/** The clients of one node URL, sharing one HTTP/2 connection. */
interface NodeClients {
  orders: Client<typeof OrderService>;
  balance: Client<typeof BalanceService>;
}

const clientsByUrl = new Map<string, NodeClients>();

/** The (cached) clients of a node URL. */
function clientsOf(url: string): NodeClients {
  let clients = clientsByUrl.get(url);
  if (!clients) {
    const transport = createGrpcTransport({ baseUrl: url });
    clients = { orders: createClient(OrderService, transport), balance: createClient(BalanceService, transport) };
    clientsByUrl.set(url, clients);
  }
  return clients;
}

/**
 * Whether `error` means the call never reached a node's handlers: the connection was refused
 * (nothing listens: the node is down or has stopped accepting) or HTTP/2 refused the stream
 * (REFUSED_STREAM / GOAWAY before the stream was taken). A load balancer retries those elsewhere.
 */
export function notDelivered(error: unknown): boolean {
  if (!(error instanceof ConnectError)) return false;
  // A stream refused by the server (RFC 9113 §8.7: not processed at all) reaches connect as Internal.
  if (/NGHTTP2_REFUSED_STREAM/.test(error.message)) return true;
  if (error.code !== Code.Unavailable) return false;
  const cause = error.cause as { code?: unknown } | undefined;
  const causeCode = typeof cause?.code === 'string' ? cause.code : '';
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_HTTP2_GOAWAY_SESSION'].includes(causeCode)) return true;
  return /ECONNREFUSED|REFUSED_STREAM/.test(error.message);
}

/** The label a failure is counted under: the gRPC code's name, or `unreachable`, or `other`. */
function failureLabel(error: unknown): string {
  if (error instanceof ConnectError) return Code[error.code] ?? String(error.code);
  if (error instanceof UnreachableError) return 'unreachable';
  return 'other';
}

/** Every node refused the call for the whole retry window. */
class UnreachableError extends Error {}

/** Counters shared by the calls of one load (or of single calls). */
export interface CallStats {
  /** Failed calls (that reached a node) by label (see {@link failureLabel}). */
  failed: Map<string, number>;
  /** The first failure messages, for assertion output. */
  failures: string[];
  /** Calls sent to another node because the chosen one could not be reached. */
  redirected: number;
}

/** Fresh counters. */
export function callStats(): CallStats {
  return { failed: new Map(), failures: [], redirected: 0 };
}

/** Total failed calls of `stats`. */
export function failedCalls(stats: CallStats): number {
  return [...stats.failed.values()].reduce((sum, n) => sum + n, 0);
}

/** How one call is routed and retried. */
export interface RoutePolicy {
  /** The node URLs, in round-robin order (read on every call, so a test may change it). */
  targets: () => readonly string[];
  /** How long unreachable nodes are skipped before the call fails as `unreachable` (ms). */
  tryDurationMs: number;
  /** Deadline of one attempt (ms). */
  callTimeoutMs: number;
  /** Further attempts (same key) after a call reached a node and failed; 0 = none. */
  retryFailures: number;
}

let rotation = 0;

/**
 * Sends `call` with one idempotency key per {@link RoutePolicy}: round-robin start, next node on
 * "not delivered", counted failure (and optional retry) otherwise.
 * @returns the answer and the URL that gave it
 * @throws the last error when the attempts are used up
 */
export async function routed<T>(
  policy: RoutePolicy,
  stats: CallStats,
  call: (clients: NodeClients, options: { headers: Record<string, string>; timeoutMs: number }) => Promise<T>,
  headers: Record<string, string>,
): Promise<{ answer: T; url: string }> {
  const key = `load-${newId()}`;
  let failuresLeft = policy.retryFailures;
  for (;;) {
    const deadline = Date.now() + policy.tryDurationMs;
    let lastError: unknown;
    let delivered = false;
    while (!delivered) {
      const targets = policy.targets();
      if (targets.length === 0) throw new Error('the load has no node to send to');
      const url = targets[rotation++ % targets.length] ?? '';
      try {
        const answer = await call(clientsOf(url), { headers: { ...headers, 'idempotency-key': key }, timeoutMs: policy.callTimeoutMs });
        return { answer, url };
      } catch (error) {
        lastError = error;
        if (!notDelivered(error)) {
          delivered = true;
          break;
        }
        stats.redirected += 1;
        if (Date.now() > deadline) {
          lastError = new UnreachableError(`no node reachable within ${policy.tryDurationMs} ms: ${(error as Error).message}`);
          delivered = true;
          break;
        }
        // Every node tried once in a row: wait a moment, as a balancer's retry interval does.
        if (rotation % targets.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const label = failureLabel(lastError);
    stats.failed.set(label, (stats.failed.get(label) ?? 0) + 1);
    if (stats.failures.length < 20) stats.failures.push(`${label}: ${(lastError as Error).message}`);
    if (failuresLeft <= 0) throw lastError;
    failuresLeft -= 1;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * One CreateOrder + PayOrder (balance) for `customer`, each call routed per `policy`.
 * @returns the paid order and payment, or throws the failing call's error
 */
export async function createAndPay(policy: RoutePolicy, stats: CallStats, catalog: LoadCatalog, customer: LoadCustomer): Promise<AckedPayment> {
  const auth = { authorization: `Bearer ${customer.accessToken}` };
  const created = await routed(policy, stats, (clients, options) => clients.orders.createOrder({
    customerId: customer.customerId, productId: catalog.productId, providerInterfaceId: catalog.providerId, serverSpec: SPEC, currency: 'CNY',
    gatewayInterfaceId: '', notes: '', billingCycle: 'monthly',
  }, options), auth);
  const orderId = created.answer.order?.id;
  if (!orderId) throw new Error('CreateOrder answered without an order id');
  const paid = await routed(policy, stats, (clients, options) => clients.orders.payOrder({ orderId, gatewayInterfaceId: BALANCE }, options), auth);
  const paymentId = paid.answer.payment?.paymentId;
  if (!paymentId) throw new Error('PayOrder answered without a payment id');
  return { customerId: customer.customerId, orderId, paymentId, url: paid.url };
}

/** The balance of `customer` as node `url` answers GetBalance (a customer actor query there). */
export async function balanceThrough(url: string, customer: LoadCustomer): Promise<string> {
  const answer = await clientsOf(url).balance.getBalance({ customerId: customer.customerId }, { headers: { authorization: `Bearer ${customer.accessToken}` }, timeoutMs: 15_000 });
  return answer.balance;
}

/** A running load. */
export interface ClusterLoad {
  /** Payments acknowledged so far (grows while the load runs). */
  acked: AckedPayment[];
  stats: CallStats;
  /** Changes the node URLs the load spreads over (a balancer's upstream list). */
  setTargets(urls: readonly string[]): void;
  /** Resolves once `count` more payments than now have been acknowledged. */
  moreAcked(count: number, timeoutMs?: number): Promise<void>;
  /** Stops the loops after their current pair and waits for them. */
  stop(): Promise<void>;
}

/**
 * Starts `callers` closed loops of {@link createAndPay} over `customers` (taken in turn) and the
 * node URLs `urls` (round-robin).
 * @param options.retryFailures attempts after a delivered call failed (default 0: the pair is dropped)
 * @param options.tryDurationMs the balancer's retry window for unreachable nodes (default 15,000 ms)
 */
export function startClusterLoad(options: {
  urls: readonly string[];
  customers: readonly LoadCustomer[];
  catalog: LoadCatalog;
  callers: number;
  retryFailures?: number;
  tryDurationMs?: number;
  callTimeoutMs?: number;
}): ClusterLoad {
  let targets = [...options.urls];
  const policy: RoutePolicy = {
    targets: () => targets,
    tryDurationMs: options.tryDurationMs ?? 15_000,
    callTimeoutMs: options.callTimeoutMs ?? 15_000,
    retryFailures: options.retryFailures ?? 0,
  };
  const stats = callStats();
  const acked: AckedPayment[] = [];
  let running = true;
  let next = 0;
  const loops = Array.from({ length: options.callers }, async () => {
    while (running) {
      const customer = options.customers[next++ % options.customers.length];
      if (!customer) return;
      try {
        acked.push(await createAndPay(policy, stats, options.catalog, customer));
      } catch {
        // Counted in stats by `routed`; the loop goes on with the next pair.
      }
    }
  });
  return {
    acked,
    stats,
    setTargets(urls) {
      targets = [...urls];
    },
    async moreAcked(count, timeoutMs = 60_000) {
      const goal = acked.length + count;
      const deadline = Date.now() + timeoutMs;
      while (acked.length < goal) {
        if (Date.now() > deadline) {
          throw new Error(`the load acknowledged ${acked.length} of ${goal} payments within ${timeoutMs} ms; failures: ${JSON.stringify([...stats.failed])} ${stats.failures.slice(0, 5).join(' | ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
