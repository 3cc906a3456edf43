/**
 * A money-path test bed: a real cluster over a fresh database, the shipped plugins, a local Incus
 * server behind a provider-incus interface, a local EPay server behind a gateway-yipay interface,
 * a product, an admin token, and helpers to register customers and read the ledger.
 */
import { Decimal } from 'decimal.js';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { InstanceService } from '../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { PaymentService } from '../../src/gen/rustbill/payment_pb.ts';
import { ProductService } from '../../src/gen/rustbill/product_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { bearer, grpcClient } from './clients.ts';
import { generateTestCertificates } from './counterparts/certs.ts';
import { COUNTERPARTS_ALLOW } from './counterparts/allow-list.ts';
import { startEpayServer, type EpayServer } from './counterparts/epay.ts';
import { startIncusServer, type IncusServer } from './counterparts/incus.ts';
import { registerCustomer, type RegisteredCustomer } from './customers.ts';
import { createTestDatabase, queryRows, type TestDatabase } from './db.ts';
import { startServer, TEST_ADMIN_PASSWORD, type RunningServer } from './server.ts';

/** The built-in balance method's id. */
export const BALANCE = '00000000-0000-7000-8000-000000000001';

/** The money-path clients of one credential. */
export function moneyClients(server: RunningServer, token: string) {
  const headers = bearer(token);
  return {
    orders: grpcClient(OrderService, server.url, headers),
    payments: grpcClient(PaymentService, server.url, headers),
    balance: grpcClient(BalanceService, server.url, headers),
    instances: grpcClient(InstanceService, server.url, headers),
    customers: grpcClient(CustomerService, server.url, headers),
    integration: grpcClient(IntegrationService, server.url, headers),
    products: grpcClient(ProductService, server.url, headers),
  };
}

/** A running money-path bed. */
export interface MoneyBed {
  server: RunningServer;
  db: TestDatabase;
  incus: IncusServer;
  epay: EpayServer;
  adminToken: string;
  providerId: string;
  gatewayId: string;
  productId: string;
  admin: ReturnType<typeof moneyClients>;
  /** Registers a customer through the API and, when `credit` is given, credits it (AdjustBalance). */
  customer(credit?: string): Promise<RegisteredCustomer & { api: ReturnType<typeof moneyClients> }>;
  stop(): Promise<void>;
}

/** The ServerSpec every test order uses (provider-incus understands it). */
export const SPEC = { cpuCores: 2, memoryGb: 4, diskGb: 40, bandwidthMbps: 100, region: 'local', os: 'debian-12', extraSpecs: {} };

/**
 * Starts the bed.
 * @param options.workers cluster workers (default 2); `redis: false` runs without Redis (degraded mode)
 */
export async function startMoneyBed(options: {
  workers?: number;
  redis?: boolean;
  config?: Record<string, Record<string, unknown>>;
  env?: Record<string, string>;
  /** A database of the caller's (e.g. on a private PostgreSQL); default a fresh one on the shared server. */
  database?: TestDatabase;
  /**
   * Starts the bed's server from the options the bed computed (default `startServer`); e.g. several
   * nodes on the bed's database (test/support/nodes.ts), the one returned serving the bed's setup.
   */
  start?: (server: Parameters<typeof startServer>[0]) => Promise<RunningServer>;
} = {}): Promise<MoneyBed> {
  const db = options.database ?? await createTestDatabase();
  const certs = generateTestCertificates();
  const incus = await startIncusServer({ caCert: certs.caCert, serverCert: certs.serverCert, serverKey: certs.serverKey });
  const epay = await startEpayServer();
  const server = await (options.start ?? startServer)({
    databaseUrl: db.url,
    workers: options.workers ?? 2,
    ...(options.redis === false ? { redis: false } : {}),
    ...(options.env ? { env: options.env } : {}),
    config: { ...options.config, plugins: { outbound_allow: COUNTERPARTS_ALLOW, ...options.config?.plugins } },
  });
  const adminToken = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  const admin = moneyClients(server, adminToken);
  const plugins = (await admin.integration.listPlugins({})).plugins;
  async function install(pluginId: string, displayName: string, config: Record<string, unknown>): Promise<string> {
    const plugin = plugins.find((entry) => entry.pluginId === pluginId);
    if (!plugin) throw new Error(`plugin ${pluginId} was not scanned`);
    const created = await admin.integration.createPluginInterface({ pluginDefId: plugin.id, displayName, configJson: JSON.stringify(config) });
    const id = created.interface?.id ?? '';
    await admin.integration.togglePluginInterface({ interfaceId: id, enable: true });
    return id;
  }
  const providerId = await install('incus', 'Local Incus', { api_url: incus.url, cert_pem: certs.clientCert, key_pem: certs.clientKey, ca_pem: certs.caCert, storage_pool: 'default' });
  const epayConfig = { api_url: epay.url, pid: epay.pid, key: epay.key, notify_url: `${server.url}/callback/pending` };
  const gatewayId = await install('yipay', 'Local EPay', epayConfig);
  // The gateway notifies the callback route of this very interface.
  await admin.integration.updatePluginInterface({ interfaceId: gatewayId, configJson: JSON.stringify({ ...epayConfig, notify_url: `${server.url}/callback/${gatewayId}` }) });
  const { product } = await admin.products.createProduct({
    name: 'VPS Small', description: '2 cores, 4 GB', pricePerMonth: '20.00', billingCycles: { quarterly: '55.00' }, interfaceId: providerId, costPrice: '10.00',
  });
  const productId = product?.id ?? '';
  return {
    server, db, incus, epay, adminToken, providerId, gatewayId, productId, admin,
    async customer(credit) {
      const registered = await registerCustomer(server, { prefix: 'buyer' });
      if (credit) await admin.balance.adjustBalance({ customerId: registered.customerId, amount: credit, description: 'opening credit' });
      return { ...registered, api: moneyClients(server, registered.accessToken) };
    },
    async stop() {
      await server.stop();
      await incus.close();
      await epay.close();
      await db.drop();
    },
  };
}

/**
 * The money invariant for every customer of `url`: the sum of its ledger amounts equals its
 * balance (customers start at 0.00), every entry's balance_after = balance_before + amount, and no
 * balance is below -credit_limit.
 * @returns the customers breaking it (empty when it holds) and how many were checked
 */
export async function moneyInvariant(url: string): Promise<{ checked: number; broken: Array<Record<string, unknown>> }> {
  const rows = await queryRows<{ id: string; balance: string; credit_limit: string; ledger: string; bad_entries: string }>(url, `
    select c.id, c.balance::text, c.credit_limit::text,
      coalesce((select sum(amount) from balance_transactions t where t.customer_id = c.id), 0)::text as ledger,
      (select count(*) from balance_transactions t where t.customer_id = c.id and t.balance_after <> t.balance_before + t.amount)::text as bad_entries
    from customers c`);
  const broken = rows.filter((row) => row.bad_entries !== '0' || !new Decimal(row.ledger).equals(row.balance) || new Decimal(row.balance).lessThan(new Decimal(row.credit_limit).negated()));
  return { checked: rows.length, broken };
}
