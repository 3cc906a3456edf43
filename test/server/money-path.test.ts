/**
 * The money path end to end (issue 8, "Done when"), with Redis (BullMQ) and without it (the
 * outbox table consumed directly): a customer registered through the API orders a product of a
 * provider-incus interface, pays from a balance an admin credited, the order becomes active with
 * exactly one instance at the local Incus server, the ledger shows the credit and the charge
 * summing to the balance, and the instance stops and starts — over gRPC-Web. Also: a provider that
 * keeps failing gets the order refunded and cancelled; a duplicated order_paid makes no second
 * instance; unpaid orders are cancelled once; CreateUpstreamInstance charges the customer.
 */
import { Code } from '@connectrpc/connect';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceService } from '../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcWebClient } from '../support/clients.ts';
import { queryRows } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { BALANCE, moneyInvariant, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { eventually } from '../support/eventually.ts';

/** Jobs settings that make retries and timeouts fast enough for a test. */
const FAST_JOBS = { jobs: { max_attempts: 2, backoff_base_ms: 200, backoff_max_ms: 1000, poll_interval_ms: 200 }, orders: { unpaid_timeout_secs: 3, unpaid_check_interval_secs: 1, instance_refresh_interval_secs: 2 } };

for (const mode of [{ name: 'with Redis (BullMQ)', redis: true }, { name: 'without Redis (outbox table)', redis: false }] as const) {
  describe(`the money path ${mode.name}`, () => {
    let bed: MoneyBed;

    beforeAll(async () => {
      bed = await startMoneyBed({ redis: mode.redis, config: FAST_JOBS });
    }, 120_000);

    afterAll(async () => {
      await bed?.stop();
    });

    async function orderStatus(orderId: string, wanted: string[]): Promise<string> {
      return eventually(async () => {
        const rows = await queryRows<{ status: string }>(bed.db.url, 'select status from orders where id = $1', [orderId]);
        const status = rows[0]?.status;
        return status !== undefined && wanted.includes(status) ? status : undefined;
      }, `order ${orderId} to become ${wanted.join(' or ')}`);
    }

    it('orders, pays from the balance, gets exactly one running instance that stops and starts, over gRPC-Web', async () => {
      const buyer = await bed.customer();
      await bed.admin.balance.adjustBalance({ customerId: buyer.customerId, amount: '100.00', description: 'bank transfer received' });
      const web = { orders: grpcWebClient(OrderService, bed.server.url, bearer(buyer.accessToken)), instances: grpcWebClient(InstanceService, bed.server.url, bearer(buyer.accessToken)), balance: grpcWebClient(BalanceService, bed.server.url, bearer(buyer.accessToken)) };
      const order = (await web.orders.createOrder({ customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly' })).order;
      await web.orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE });
      expect(await orderStatus(order?.id ?? '', ['active', 'cancelled'])).toBe('active');

      const instances = (await web.instances.listInstances({})).instances;
      expect(instances).toHaveLength(1);
      const instance = instances[0];
      expect(instance).toMatchObject({ orderId: order?.id, customerId: buyer.customerId, status: 'running', providerInterfaceId: bed.providerId });
      expect(bed.incus.instances.get(instance?.providerInstanceId ?? '')?.status).toBe('Running');
      expect((await web.orders.getOrder({ id: order?.id ?? '' })).order?.providerInstanceId).toBe(instance?.providerInstanceId);

      const entries = (await web.balance.listBalanceTransactions({})).transactions;
      expect(entries.map((entry) => [entry.transactionType, entry.amount])).toEqual([['payment', '-20.00'], ['adjustment', '100.00']]);
      expect((await web.balance.getBalance({})).balance).toBe('80.00');

      expect((await web.instances.stopInstance({ id: instance?.id ?? '' })).instance?.status).toBe('stopped');
      expect(bed.incus.instances.get(instance?.providerInstanceId ?? '')?.status).toBe('Stopped');
      expect((await web.instances.startInstance({ id: instance?.id ?? '' })).instance?.status).toBe('running');
      expect(bed.incus.instances.get(instance?.providerInstanceId ?? '')?.status).toBe('Running');

      const provisioned = await eventually(async () => {
        const rows = await queryRows<{ status: string }>(bed.db.url, "select status from event_queue where order_id = $1 and event_type = 'order_provisioned'", [order?.id]);
        return rows[0]?.status === 'done' ? rows : undefined;
      }, 'order_provisioned to be handled');
      expect(provisioned).toHaveLength(1);
    });

    it('refunds and cancels an order whose provider keeps failing', async () => {
      const buyer = await bed.customer('50.00');
      // An OS the template offers whose image Incus no longer has: every create_instance fails.
      bed.incus.images.delete('alpine/3.20');
      const order = (await buyer.api.orders.createOrder({
        customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: { ...SPEC, os: 'alpine-3.20' }, currency: 'CNY',
        gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
      })).order;
      expect(order?.status).toBe('paid');
      expect(await orderStatus(order?.id ?? '', ['active', 'cancelled'])).toBe('cancelled');
      expect((await buyer.api.balance.getBalance({})).balance).toBe('50.00');
      const payments = (await buyer.api.payments.listPayments({ orderId: order?.id ?? '' })).payments;
      expect(payments.map((payment) => payment.status)).toEqual(['refunded']);
      const entries = await queryRows<{ transaction_type: string; amount: string }>(bed.db.url, 'select transaction_type, amount::text from balance_transactions where reference_id = $1 or reference_id = $2 order by created_at', [order?.id, payments[0]?.id]);
      expect(entries).toEqual([{ transaction_type: 'payment', amount: '-20.00' }, { transaction_type: 'refund', amount: '20.00' }]);
      const instances = await queryRows(bed.db.url, 'select id from instances where order_id = $1', [order?.id]);
      expect(instances).toHaveLength(0);
    });

    it('makes no second instance when order_paid is delivered again', async () => {
      const buyer = await bed.customer('50.00');
      const order = (await buyer.api.orders.createOrder({
        customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
      })).order;
      await orderStatus(order?.id ?? '', ['active']);
      const created = bed.incus.requests.filter((request) => request.method === 'POST' && request.path === '/1.0/instances').length;
      // The same event again, as a relay running twice or a restored backup would deliver it.
      await queryRows(bed.db.url, `insert into event_queue (id, event_type, payload, customer_id, order_id)
        select $1, event_type, payload, customer_id, order_id from event_queue where order_id = $2 and event_type = 'order_paid'`, [newId(), order?.id]);
      await eventually(async () => {
        const rows = await queryRows<{ n: string }>(bed.db.url, "select count(*)::text as n from event_queue where order_id = $1 and event_type = 'order_paid' and status = 'done'", [order?.id]);
        return rows[0]?.n === '2' ? true : undefined;
      }, 'both order_paid events to be handled');
      expect(await queryRows(bed.db.url, 'select id from instances where order_id = $1', [order?.id])).toHaveLength(1);
      expect(bed.incus.requests.filter((request) => request.method === 'POST' && request.path === '/1.0/instances').length).toBe(created);
      expect((await buyer.api.balance.getBalance({})).balance).toBe('30.00');
    });

    it('cancels an unpaid order after the timeout, once', async () => {
      const buyer = await bed.customer();
      const order = (await buyer.api.orders.createOrder({
        customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly',
      })).order;
      expect(await orderStatus(order?.id ?? '', ['cancelled'])).toBe('cancelled');
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const events = await queryRows<{ event_type: string }>(bed.db.url, 'select event_type from event_queue where order_id = $1 order by created_at', [order?.id]);
      expect(events.map((event) => event.event_type)).toEqual(['order_cancelled']);
      await expectCode(buyer.api.orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE }), Code.FailedPrecondition);
    });

    it('charges a customer for CreateUpstreamInstance and provisions it through the order', async () => {
      const buyer = await bed.customer('500.00');
      const integration = grpcWebClient(IntegrationService, bed.server.url, bearer(buyer.accessToken));
      const quote = await integration.queryPrice({ interfaceId: bed.providerId, ...SPEC });
      const created = await integration.createUpstreamInstance({ interfaceId: bed.providerId, serverSpec: SPEC });
      expect(created.providerInstanceId).not.toBe('');
      expect(bed.incus.instances.has(created.providerInstanceId)).toBe(true);
      const balance = (await buyer.api.balance.getBalance({})).balance;
      expect(new Decimal(balance).plus(quote.amount).toFixed(2)).toBe('500.00');
      expect(new Decimal(quote.amount).greaterThan(0)).toBe(true);
      const orders = (await buyer.api.orders.listOrders({})).orders;
      expect(orders).toHaveLength(1);
      expect(orders[0]).toMatchObject({ status: 'active', amount: quote.amount, providerInstanceId: created.providerInstanceId });
      const poor = await bed.customer();
      await expectCode(grpcWebClient(IntegrationService, bed.server.url, bearer(poor.accessToken)).createUpstreamInstance({ interfaceId: bed.providerId, serverSpec: SPEC }), Code.FailedPrecondition, /insufficient funds/);
    });

    it('bills paid orders in the billing run as an invoice issued already paid (nothing to pay twice)', async () => {
      const buyer = await bed.customer('100.00');
      const order = (await buyer.api.orders.createOrder({
        customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
      })).order;
      await orderStatus(order?.id ?? '', ['active']);
      const today = new Date().toISOString().slice(0, 10);
      const billing = grpcWebClient(BillingService, bed.server.url, bearer(bed.adminToken));
      await billing.generateInvoices({ billingPeriodStart: today, billingPeriodEnd: today });
      const invoices = (await grpcWebClient(BillingService, bed.server.url, bearer(buyer.accessToken)).listInvoices({})).invoices;
      expect(invoices.map((invoice) => [invoice.status, invoice.totalAmount])).toEqual([['paid', '20.00']]);
      expect((await buyer.api.balance.getBalance({})).balance).toBe('80.00');
    });

    it('keeps the money invariant', async () => {
      const invariant = await moneyInvariant(bed.db.url);
      expect(invariant.checked).toBeGreaterThanOrEqual(5);
      expect(invariant.broken).toEqual([]);
    });
  });
}
