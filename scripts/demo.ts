/**
 * `npm run demo` (issue 13): the shipped plugins against local counterparts, so a person can try
 * the customer portal end to end on one machine without any outside service. It starts, on
 * 127.0.0.1, the same counterparts the tests use — an Incus REST API (TLS, client certificate), an
 * 易支付 (EPay) gateway with a cashier page and an SMTP server — then, as the admin of the running
 * NodeBill, configures `provider-incus`, `gateway-yipay` and `notifier-email` interfaces pointing
 * at them, and a small catalog (a category, a group, two products). It prints every e-mail the
 * SMTP server receives (the registration codes among them) and keeps running until Ctrl-C.
 *
 * Environment: NODEBILL_URL (default http://127.0.0.1:50051), ADMIN_USERNAME (default admin),
 * ADMIN_PASSWORD (default: `admin_password` of ./.data/secrets.json, written at the first start).
 * The server must allow its plugins to call 127.0.0.1: `[plugins] outbound_allow = ["127.0.0.1"]`
 * in config.local.toml (the script says so when a health check fails).
 * Running it again points the same interfaces at the new counterparts and reuses the catalog.
 */
import { readFileSync } from 'node:fs';
import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { DescService } from '@bufbuild/protobuf';
import { IdentityService } from '../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../src/gen/rustbill/integration_pb.ts';
import { ProductCategoryService } from '../src/gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../src/gen/rustbill/product_group_pb.ts';
import { ProductService } from '../src/gen/rustbill/product_pb.ts';
import { generateTestCertificates } from '../test/support/counterparts/certs.ts';
import { startEpayServer } from '../test/support/counterparts/epay.ts';
import { startIncusServer } from '../test/support/counterparts/incus.ts';
import { startSmtpServer } from '../test/support/counterparts/smtp.ts';

const url = process.env.NODEBILL_URL ?? 'http://127.0.0.1:50051';

function adminPassword(): string {
  if (process.env.ADMIN_PASSWORD) return process.env.ADMIN_PASSWORD;
  try {
    const secrets = JSON.parse(readFileSync('.data/secrets.json', 'utf8')) as { admin_password?: string };
    if (secrets.admin_password) return secrets.admin_password;
  } catch {
    // fall through to the message below
  }
  throw new Error('set ADMIN_PASSWORD (the admin password printed at the first start; it is in .data/secrets.json for the embedded setup)');
}

function client<S extends DescService>(service: S, token: string): Client<S> {
  const auth: Interceptor = (next) => (request) => {
    if (token) request.header.set('authorization', `Bearer ${token}`);
    return next(request);
  };
  return createClient(service, createGrpcTransport({ baseUrl: url, interceptors: [auth] }));
}

async function main(): Promise<void> {
  const login = await client(IdentityService, '').login({ username: process.env.ADMIN_USERNAME ?? 'admin', password: adminPassword(), userType: 'admin' });
  const token = login.accessToken;
  const integration = client(IntegrationService, token);

  const certs = generateTestCertificates();
  const incus = await startIncusServer({ caCert: certs.caCert, serverCert: certs.serverCert, serverKey: certs.serverKey });
  const epay = await startEpayServer();
  const smtp = await startSmtpServer();

  const plugins = (await integration.listPlugins({})).plugins;
  const interfaces = (await integration.listPluginInterfaces({})).interfaces;
  async function install(pluginId: string, displayName: string, config: Record<string, unknown>): Promise<string> {
    const plugin = plugins.find((entry) => entry.pluginId === pluginId);
    if (!plugin) throw new Error(`the plugin ${pluginId} was not scanned; is plugins_dir the shipped plugins/ folder?`);
    // A second run points the same interfaces at the new counterparts (products keep their provider).
    const found = interfaces.find((entry) => entry.displayName === displayName && entry.pluginId === pluginId);
    const id = found
      ? (await integration.updatePluginInterface({ interfaceId: found.id, configJson: JSON.stringify(config) }), found.id)
      : (await integration.createPluginInterface({ pluginDefId: plugin.id, displayName, configJson: JSON.stringify(config) })).interface?.id ?? '';
    if (!found?.enabled) await integration.togglePluginInterface({ interfaceId: id, enable: true });
    const health = await integration.checkPluginHealth({ interfaceId: id }).catch((error: unknown) => ({ isHealthy: false, error: String(error) }));
    if (!health.isHealthy) {
      console.warn(`! ${displayName}: health check failed (${health.error ?? 'no reason given'}). Does config.local.toml have [plugins] outbound_allow = ["127.0.0.1"]?`);
    }
    return id;
  }
  const providerId = await install('incus', 'Demo Incus', { api_url: incus.url, cert_pem: certs.clientCert, key_pem: certs.clientKey, ca_pem: certs.caCert, storage_pool: 'default' });
  const epayConfig = { api_url: epay.url, pid: epay.pid, key: epay.key, notify_url: `${url}/callback/pending` };
  const gatewayId = await install('yipay', 'Demo EPay', epayConfig);
  await integration.updatePluginInterface({ interfaceId: gatewayId, configJson: JSON.stringify({ ...epayConfig, notify_url: `${url}/callback/${gatewayId}` }) });
  await install('email', 'Demo mail', {
    smtp_host: smtp.host, smtp_port: smtp.port, from: 'billing@nodebill.demo', username: smtp.username, password: smtp.password, encryption: 'none',
  });

  const categories = client(ProductCategoryService, token);
  const groups = client(ProductGroupService, token);
  const products = client(ProductService, token);
  const existing = (await categories.listProductCategories({ pagination: { page: 1, pageSize: 100 } })).categories.find((entry) => entry.name === 'Cloud servers');
  const categoryId = existing?.id ?? (await categories.createProductCategory({ name: 'Cloud servers', description: 'Virtual servers on Incus', sortOrder: 1 })).category?.id ?? '';
  const group = (await groups.listProductGroups({ pagination: { page: 1, pageSize: 100 }, categoryId })).groups.find((entry) => entry.name === 'Local region');
  const groupId = group?.id ?? (await groups.createProductGroup({ name: 'Local region', description: 'Servers next to you', sortOrder: 1, categoryId })).group?.id ?? '';
  const plans = [
    { name: 'VPS Small', description: '2 vCPU, 4 GB memory, 40 GB disk', pricePerMonth: '20.00', billingCycles: { quarterly: '55.00', yearly: '200.00' }, specs: { cpu_cores: '2', memory_gb: '4', disk_gb: '40', region: 'local' } },
    { name: 'VPS Large', description: '4 vCPU, 8 GB memory, 80 GB disk', pricePerMonth: '40.00', billingCycles: { quarterly: '110.00', yearly: '400.00' }, specs: { cpu_cores: '4', memory_gb: '8', disk_gb: '80', region: 'local' } },
  ];
  const listed = (await products.listProducts({ pagination: { page: 1, pageSize: 100 }, groupId })).products;
  for (const plan of plans) {
    const found = listed.find((entry) => entry.name === plan.name);
    if (!found) await products.createProduct({ ...plan, costPrice: '0.00', interfaceId: providerId, groupId });
  }

  console.log(`\nThe demo is ready. Open ${url}/ (the customer portal) or ${url}/admin (the admin console).`);
  console.log(`  Incus ${incus.url} · EPay ${epay.url} (its cashier page has a Pay button) · SMTP ${smtp.host}:${smtp.port}`);
  console.log('E-mails the customers get (registration codes among them) are printed here. Ctrl-C stops the counterparts.\n');
  let shown = 0;
  const timer = setInterval(() => {
    for (; shown < smtp.messages.length; shown += 1) {
      const mail = smtp.messages[shown];
      if (mail) console.log(`── mail to ${mail.to.join(', ')}: ${mail.subject}\n${mail.body.replace(/=\r?\n/g, '').slice(0, 1200)}\n`);
    }
  }, 500);
  const stop = () => {
    clearInterval(timer);
    void Promise.all([incus.close(), epay.close(), smtp.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
