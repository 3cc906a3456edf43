/**
 * The README's "Orders, payments and provisioning" examples, run in order against a real cluster
 * exactly as written (apart from ids and tokens): a customer registered through the API is credited
 * by an admin, orders, pays from the balance, gets an active order with one instance that stops and
 * starts, recharges through EPay, and an admin refunds part of the payment.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JsonValue } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { InstanceService } from '../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { PaymentService } from '../../src/gen/rustbill/payment_pb.ts';
import { bearer } from '../support/clients.ts';
import { queryRows } from '../support/db.ts';
import { callJson, grpcurlCommands } from '../support/grpcurl.ts';
import { moneyInvariant, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { REPO_ROOT } from '../support/server.ts';

let bed: MoneyBed;

beforeAll(async () => {
  bed = await startMoneyBed();
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

const SERVICES = [BalanceService, IntegrationService, OrderService, InstanceService, PaymentService];

function object(value: JsonValue | undefined): Record<string, JsonValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

describe('the README money-path examples', () => {
  it('succeed in order, each id taken from an earlier answer', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Orders, payments and provisioning');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const commands = grpcurlCommands(section);
    expect(commands.map((command) => command.path.split('/')[1])).toEqual([
      'AdjustBalance', 'ListGateways', 'CreateOrder', 'PayOrder', 'GetOrder', 'ListOrders', 'GetBalance', 'ListBalanceTransactions',
      'ListInstances', 'StopInstance', 'StartInstance', 'Recharge', 'QueryPaymentStatus', 'RefundPayment', 'UpdateOrder',
    ]);
    const buyer = await bed.customer();
    const placeholders: Record<string, string> = {
      'customer id': buyer.customerId, 'product id': bed.productId, 'provider interface id': bed.providerId, 'gateway interface id': bed.gatewayId,
    };
    const answers: Record<string, Record<string, JsonValue>> = {};
    for (const command of commands) {
      const method = command.path.split('/')[1] ?? '';
      if (method === 'GetOrder') {
        // Provisioning runs in the background: wait for the order to become active first.
        const deadline = Date.now() + 30_000;
        while ((await queryRows<{ status: string }>(bed.db.url, 'select status from orders where id = $1', [placeholders['order id']]))[0]?.status !== 'active') {
          if (Date.now() > deadline) throw new Error('the order did not become active');
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      const body = command.body.replace(/<([a-z ]+)>/g, (whole, name: string) => {
        const value = placeholders[name];
        if (value === undefined) throw new Error(`${command.path} uses ${whole} before an answer gave it`);
        return value;
      });
      const headers: Record<string, string> = {};
      for (const header of command.headers) {
        if (header === '$AUTH') Object.assign(headers, bearer(bed.adminToken));
        else if (header === '$CUSTOMER_AUTH') Object.assign(headers, bearer(buyer.accessToken));
        else {
          const [name = '', ...rest] = header.split(':');
          headers[name.trim().toLowerCase()] = rest.join(':').trim();
        }
      }
      const answer = object(await callJson(bed.server.url, SERVICES, command.path, JSON.parse(body) as JsonValue, headers));
      answers[method] = answer;
      if (method === 'CreateOrder') placeholders['order id'] = String(object(answer.order).id);
      if (method === 'PayOrder') placeholders['payment id'] = String(object(answer.payment).payment_id);
      if (method === 'ListInstances') placeholders['instance id'] = String(object((answer.instances as JsonValue[] | undefined)?.[0]).id);
    }
    expect(answers.AdjustBalance).toMatchObject({ transaction: { amount: '100.00', balance_after: '100.00', transaction_type: 'adjustment' } });
    expect((answers.ListGateways?.gateways as JsonValue[])[0]).toMatchObject({ gateway_id: '00000000-0000-7000-8000-000000000001', gateway_name: 'Balance' });
    expect(answers.CreateOrder).toMatchObject({ order: { status: 'pending', amount: '20.00', billing_cycle: 'monthly' } });
    expect(answers.GetBalance).toMatchObject({ balance: '80.00' });
    expect(answers.ListOrders).toMatchObject({ orders: [{ id: placeholders['order id'], status: 'active' }] });
    expect(answers.ListBalanceTransactions).toMatchObject({ transactions: [{ amount: '-20.00', transaction_type: 'payment' }, { amount: '100.00' }] });
    expect(answers.ListInstances).toMatchObject({ instances: [{ order_id: placeholders['order id'], status: 'running' }] });
    expect(answers.StopInstance).toMatchObject({ instance: { status: 'stopped' } });
    expect(answers.StartInstance).toMatchObject({ instance: { status: 'running' } });
    expect(answers.Recharge).toMatchObject({ payment: { status: 'pending', amount: '50.00' } });
    expect(String(answers.Recharge?.payment_url)).toMatch(/submit\.php/);
    expect(answers.QueryPaymentStatus).toMatchObject({ payment: { status: 'success' } });
    expect(answers.RefundPayment).toMatchObject({ payment: { status: 'success' } });
    expect(answers.UpdateOrder).toMatchObject({ order: { notes: 'partly refunded: goodwill', status: 'active' } });
    expect((await queryRows<{ balance: string }>(bed.db.url, 'select balance::text from customers where id = $1', [buyer.customerId]))[0]?.balance).toBe('85.00');
    expect((await moneyInvariant(bed.db.url)).broken).toEqual([]);
  }, 120_000);
});
