/**
 * A RustBill-protocol upstream with a catalog and instances, for the parts of provider-rustbill
 * that NodeBill cannot serve yet (products, providers, prices, upstream orders, instances): a
 * `@connectrpc/connect-node` server over HTTP/1.1 implementing those RPCs of the generated
 * `proto/rustbill` services, so every message is encoded and decoded by protobuf-es — an
 * independent check of the plugin's hand-written protobuf. It accepts one API key and records the
 * decoded requests. Like connect servers in general (and unlike NodeBill), it sends gRPC-Web errors
 * in the trailer frame of the body.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { BalanceService } from '../../../src/gen/rustbill/balance_pb.ts';
import { IdentityService } from '../../../src/gen/rustbill/identity_pb.ts';
import { type InstanceInfoSchema, InstanceService } from '../../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../../src/gen/rustbill/integration_pb.ts';
import { type ProductInfoSchema, ProductService } from '../../../src/gen/rustbill/product_pb.ts';

type InstanceInit = MessageInitShape<typeof InstanceInfoSchema>;
type ProductInit = MessageInitShape<typeof ProductInfoSchema>;

/** One decoded request the upstream answered. */
export interface UpstreamRequestLog {
  method: string;
  /** The request message as JSON-compatible data (protobuf-es field names). */
  request: unknown;
  /** The request's `idempotency-key` header, or null. */
  idempotencyKey: string | null;
}

/** A running catalog upstream. */
export interface RustbillUpstream {
  url: string;
  apiKey: string;
  customerId: string;
  /** The upstream's provider interface id to price and order at. */
  interfaceId: string;
  products: ProductInit[];
  instances: Map<string, InstanceInit>;
  requests: UpstreamRequestLog[];
  close(): Promise<void>;
}

/** The largest page the upstream serves (small, so that clients must page). */
export const UPSTREAM_MAX_PAGE_SIZE = 2;

/**
 * Starts the upstream on 127.0.0.1 (random port) with four products (three active), one provider
 * interface with a spec template and one running instance.
 */
export async function startRustbillUpstream(): Promise<RustbillUpstream> {
  const apiKey = `rk_live_${randomUUID().replaceAll('-', '')}`;
  const customerId = randomUUID();
  const interfaceId = randomUUID();
  const requests: UpstreamRequestLog[] = [];
  const products: ProductInit[] = [
    { id: randomUUID(), name: 'HK VPS 2C4G', description: '香港 CN2', pricePerMonth: '30.00', isActive: true, interfaceId, specs: { cpu_cores: '2', memory_gb: '4', region: 'hk' }, billingCycles: { monthly: '30.00', yearly: '300.00' } },
    { id: randomUUID(), name: 'Old plan', description: 'retired', pricePerMonth: '9.90', isActive: false, interfaceId, specs: {}, billingCycles: {} },
    { id: randomUUID(), name: 'SG VPS 1C1G', description: 'Singapore', pricePerMonth: '12.34', isActive: true, interfaceId, specs: { cpu_cores: '1' }, billingCycles: {} },
    { id: randomUUID(), name: 'JP VPS 4C8G', description: 'Tokyo', pricePerMonth: '55.55', isActive: true, interfaceId, specs: { cpu_cores: '4', memory_gb: '8', region: 'jp' }, billingCycles: { monthly: '55.55' } },
  ];
  const instances = new Map<string, InstanceInit>();
  const existing: InstanceInit = {
    id: randomUUID(), orderId: randomUUID(), customerId, productId: products[0]?.id ?? '', providerInterfaceId: interfaceId,
    providerInstanceId: 'lxc-101', status: 'running', ipAddress: '203.0.113.7', serverSpec: { cpu_cores: '2', memory_gb: '4' },
    productName: 'HK VPS 2C4G', createdAt: '2026-01-02T03:04:05Z', updatedAt: '2026-01-02T03:04:05Z',
  };
  instances.set(existing.id ?? '', existing);

  const authorize = (method: string, request: unknown, context: HandlerContext): void => {
    requests.push({ method, request: JSON.parse(JSON.stringify(request, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))), idempotencyKey: context.requestHeader.get('idempotency-key') });
    if (context.requestHeader.get('authorization') !== `Bearer ${apiKey}`) throw new ConnectError('API key rejected: it was revoked or disabled', Code.Unauthenticated);
  };
  const find = (id: string): InstanceInit => {
    const instance = instances.get(id);
    if (!instance) throw new ConnectError(`instance ${id} does not exist`, Code.NotFound);
    return instance;
  };
  const page = <T>(items: T[], requested: { page: number; pageSize: number } | undefined): { items: T[]; meta: { total: bigint; page: number; pageSize: number; totalPages: number } } => {
    const size = Math.min(UPSTREAM_MAX_PAGE_SIZE, Math.max(1, requested?.pageSize ?? UPSTREAM_MAX_PAGE_SIZE));
    const number = Math.max(1, requested?.page ?? 1);
    return {
      items: items.slice((number - 1) * size, number * size),
      meta: { total: BigInt(items.length), page: number, pageSize: size, totalPages: Math.ceil(items.length / size) },
    };
  };

  const handler = connectNodeAdapter({
    routes(router) {
      router.service(IdentityService, {
        getMe(request, context) {
          authorize('GetMe', request, context);
          return { user: { id: randomUUID(), displayName: 'API key', userType: 'api_key', isActive: true, customerId } };
        },
      });
      router.service(BalanceService, {
        getBalance(request, context) {
          authorize('GetBalance', request, context);
          return { customerId, balance: '88.80', creditLimit: '0.00' };
        },
      });
      router.service(ProductService, {
        listProducts(request, context) {
          authorize('ListProducts', request, context);
          const matching = products.filter((product) => request.isActive === undefined || product.isActive === request.isActive);
          const { items, meta } = page(matching, request.pagination);
          return { products: items, meta };
        },
      });
      router.service(IntegrationService, {
        listProviders(request, context) {
          authorize('ListProviders', request, context);
          return {
            providers: [
              { interfaceId: randomUUID(), providerName: 'Other', providerType: 'first_party', isHealthy: true, specTemplate: { fields: [], groups: [] } },
              {
                interfaceId, providerName: 'Upstream Incus', providerType: 'first_party', isHealthy: true,
                specTemplate: {
                  fields: [{ key: 'region', label: '区域', fieldType: 'region', required: true, displayOrder: 1, unit: '', icon: 'globe', group: '' }],
                  groups: [{
                    key: 'compute', label: 'Compute', icon: 'cpu', displayOrder: 1,
                    fields: [
                      { key: 'cpu_cores', label: 'CPU', fieldType: 'slider', required: true, displayOrder: 1, min: 1n, max: 64n, step: 1n, defaultValue: '2', unit: '核', icon: 'cpu', group: 'compute', priceImpact: { mode: 'add', amount: '10.00', currency: 'CNY' } },
                      { key: 'os', label: 'OS', fieldType: 'select', required: false, displayOrder: 2, unit: '', icon: 'monitor', group: 'compute', options: [{ value: 'debian-12', label: 'Debian 12' }, { value: 'alma-9', label: 'Alma 9', disabled: true, priceModifier: '5.00' }] },
                    ],
                  }],
                },
              },
            ],
          };
        },
        queryPrice(request, context) {
          authorize('QueryPrice', request, context);
          if (request.interfaceId !== interfaceId) throw new ConnectError(`provider interface ${request.interfaceId} not found`, Code.NotFound);
          const cents = request.cpuCores * 1000 + request.memoryGb * 500 + request.diskGb * 10;
          return { amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`, currency: 'CNY', billingCycle: 'monthly' };
        },
        createUpstreamInstance(request, context) {
          authorize('CreateUpstreamInstance', request, context);
          if (request.interfaceId !== interfaceId) throw new ConnectError(`provider interface ${request.interfaceId} not found`, Code.NotFound);
          const instance: InstanceInit = {
            id: randomUUID(), customerId, providerInterfaceId: interfaceId, providerInstanceId: `lxc-${instances.size + 101}`, status: 'provisioning',
            ipAddress: '', serverSpec: { cpu_cores: String(request.serverSpec?.cpuCores ?? 0), os: request.serverSpec?.os ?? '' },
            productName: 'Custom', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
          };
          instances.set(instance.id ?? '', instance);
          return { providerInstanceId: instance.id ?? '', status: 'provisioning', ipAddress: '' };
        },
      });
      router.service(InstanceService, {
        listInstances(request, context) {
          authorize('ListInstances', request, context);
          const { items, meta } = page([...instances.values()], request.pagination);
          return { instances: items, meta };
        },
        getInstance(request, context) {
          authorize('GetInstance', request, context);
          const instance = find(request.id);
          return {
            instance,
            sections: [
              { title: 'Server', kind: 'properties', order: 1, fields: [{ key: 'IP', value: instance.ipAddress ?? '', valueType: 'text' }, { key: 'Status', value: instance.status ?? '' }] },
              { title: 'Console', kind: 'iframe', order: 2, iframeUrl: `https://upstream.example.com/console/${request.id}` },
            ],
            actions: [
              { id: 'stop', label: 'Stop', style: 'Default', confirmation: 'Sure?', enabled: instance.status === 'running' },
              { id: 'reinstall', label: 'Reinstall', style: 'Danger', confirmation: 'All data is lost.', enabled: true },
            ],
          };
        },
        startInstance(request, context) {
          authorize('StartInstance', request, context);
          const instance = find(request.id);
          instance.status = 'running';
          return { instance };
        },
        stopInstance(request, context) {
          authorize('StopInstance', request, context);
          const instance = find(request.id);
          instance.status = 'stopped';
          return { instance };
        },
        restartInstance(request, context) {
          authorize('RestartInstance', request, context);
          return { instance: find(request.id) };
        },
        terminateInstance(request, context) {
          authorize('TerminateInstance', request, context);
          const instance = find(request.id);
          instance.status = 'terminated';
          return { instance };
        },
        executeInstanceAction(request, context) {
          authorize('ExecuteInstanceAction', request, context);
          find(request.id);
          return { success: true, message: `${request.action} scheduled`, data: '{"job":"42"}' };
        },
      });
    },
  });
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    customerId,
    interfaceId,
    products,
    instances,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
