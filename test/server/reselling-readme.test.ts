/**
 * The README's "Reselling" examples, run in order exactly as written (apart from ids, keys and
 * addresses) against two real servers: B (`localhost:50052`, a money bed: provider-incus over the
 * local Incus counterpart) and A (`localhost:50051`, a plain server whose plugins may reach
 * 127.0.0.1), A's customer registered through the API.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JsonValue } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { ApiKeyService } from '../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { InstanceService } from '../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { ProductGroupService } from '../../src/gen/rustbill/product_group_pb.ts';
import { ProductService } from '../../src/gen/rustbill/product_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { callJson, grpcurlCommands } from '../support/grpcurl.ts';
import { moneyInvariant, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { REPO_ROOT, startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../support/server.ts';

const SERVICES = [BalanceService, CustomerService, ApiKeyService, InstanceService, IntegrationService, OrderService, ProductGroupService, ProductService];

function object(value: JsonValue | undefined): Record<string, JsonValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

function first(value: JsonValue | undefined): Record<string, JsonValue> {
  return object(Array.isArray(value) ? value[0] : undefined);
}

let b: MoneyBed;
let aDb: TestDatabase;
let a: RunningServer;

beforeAll(async () => {
  b = await startMoneyBed({ workers: 1 });
  aDb = await createTestDatabase();
  a = await startServer({ databaseUrl: aDb.url, workers: 1, config: { plugins: { outbound_allow: ['127.0.0.1'] } } });
}, 180_000);

afterAll(async () => {
  await a?.stop();
  await aDb?.drop();
  await b?.stop();
});

describe('the README reselling examples', () => {
  it('succeed in order, each id taken from an earlier answer', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Reselling');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const commands = grpcurlCommands(section);
    expect(commands.map((command) => `${command.port} ${command.path.split('/')[1]}`)).toEqual([
      '50052 CreateCustomer', '50052 AdjustBalance', '50052 UpdateCustomer', '50052 CreateApiKey', '50052 ListProviders',
      '50051 ListPlugins', '50051 CreatePluginInterface', '50051 TogglePluginInterface', '50051 CheckPluginHealth', '50051 GetUpstreamBalance', '50051 QueryPrice',
      '50051 CreateProductGroup', '50051 SyncProducts', '50051 AdjustBalance', '50051 CreateOrder', '50051 GetOrder', '50051 ListInstances',
      '50052 ListOrders', '50052 GetBalance', '50051 GetInstance', '50051 StopInstance', '50051 StartInstance',
      '50051 SyncUpstreamInstances', '50051 ImportUpstreamInstance', '50051 TerminateInstance',
    ]);
    const aAdminToken = (await grpcClient(IdentityService, a.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const buyer = await registerCustomer(a, { prefix: 'enduser' });
    const placeholders: Record<string, string> = { 'customer id': buyer.customerId };
    const answers: Record<string, Record<string, JsonValue>> = {};
    for (const command of commands) {
      const method = command.path.split('/')[1] ?? '';
      const server = command.port === 50052 ? b.server : a;
      if (method === 'GetOrder') {
        // Provisioning (at A, then at B) runs in the background: wait for A's order to become active.
        const deadline = Date.now() + 30_000;
        while ((await queryRows<{ status: string }>(aDb.url, 'select status from orders where id = $1', [placeholders['order id']]))[0]?.status !== 'active') {
          if (Date.now() > deadline) throw new Error('the order did not become active');
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      const body = command.body.replaceAll('http://localhost:50052', b.server.url).replace(/<([a-z ]+)>/g, (whole, name: string) => {
        const value = placeholders[name];
        if (value === undefined) throw new Error(`${command.path} uses ${whole} before an answer gave it`);
        return value;
      });
      const headers: Record<string, string> = {};
      for (const header of command.headers) {
        if (header === '$B_AUTH') Object.assign(headers, bearer(b.adminToken));
        else if (header === '$AUTH') Object.assign(headers, bearer(aAdminToken));
        else if (header === '$CUSTOMER_AUTH') Object.assign(headers, bearer(buyer.accessToken));
        else throw new Error(`unexpected header ${header}`);
      }
      const answer = object(await callJson(server.url, SERVICES, command.path, JSON.parse(body) as JsonValue, headers));
      answers[`${command.port} ${method}`] = answer;
      if (method === 'CreateCustomer') placeholders['account id'] = String(object(answer.customer).id);
      if (method === 'CreateApiKey') placeholders['api key'] = String(answer.api_key);
      if (method === 'ListProviders') placeholders['upstream interface id'] = String(first(answer.providers).interface_id);
      if (method === 'ListPlugins') placeholders['plugin id'] = String(object((answer.plugins as JsonValue[]).find((plugin) => object(plugin).plugin_id === 'rustbill')).id);
      if (method === 'CreatePluginInterface') placeholders['provider interface id'] = String(object(answer.interface).id);
      if (method === 'CreateProductGroup') placeholders['group id'] = String(object(answer.group).id);
      if (method === 'SyncProducts') placeholders['product id'] = String(first(answer.synced).id);
      if (method === 'CreateOrder') placeholders['order id'] = String(object(answer.order).id);
      if (method === 'ListInstances') {
        placeholders['instance id'] = String(first(answer.instances).id);
        placeholders['upstream instance id'] = String(first(answer.instances).provider_instance_id);
      }
    }
    const quote = String(answers['50051 QueryPrice']?.amount);
    const left = (500 - Number(quote)).toFixed(2);
    expect(answers['50051 CheckPluginHealth']).toMatchObject({ is_healthy: true });
    expect(answers['50051 GetUpstreamBalance']).toMatchObject({ balance: '500.00', currency: 'CNY' });
    expect(answers['50051 SyncProducts']).toMatchObject({ count: 1, synced: [{ name: 'VPS Small', price_per_month: '24.00', cost_price: '20.00' }] });
    expect(answers['50051 CreateOrder']).toMatchObject({ order: { amount: '24.00', status: 'paid' } });
    expect(answers['50051 GetOrder']).toMatchObject({ order: { status: 'active' } });
    expect(answers['50051 ListInstances']).toMatchObject({ instances: [{ order_id: placeholders['order id'], status: 'running' }] });
    expect(answers['50052 ListOrders']).toMatchObject({ orders: [{ status: 'active', amount: quote }] });
    expect(answers['50052 GetBalance']).toMatchObject({ balance: left });
    expect(answers['50051 StopInstance']).toMatchObject({ instance: { status: 'stopped' } });
    expect(answers['50051 StartInstance']).toMatchObject({ instance: { status: 'running' } });
    expect(answers['50051 SyncUpstreamInstances']).toMatchObject({ instances: [{ instance_id: placeholders['upstream instance id'], status: 'running' }] });
    expect(answers['50051 ImportUpstreamInstance']).toMatchObject({ instance_id: placeholders['instance id'] });
    expect(answers['50051 TerminateInstance']).toMatchObject({ instance: { status: 'terminated' } });
    expect(b.incus.instances.size).toBe(0);
    for (const url of [aDb.url, b.db.url]) expect((await moneyInvariant(url)).broken).toEqual([]);
  }, 120_000);
});
