/**
 * OrderService, PaymentService and BalanceService through a real cluster (issue 8): pricing,
 * validation, scoping, paying from the balance plus credit limit, idempotent retries, concurrent
 * payments of one order, refunds, adjustments, the status machine, and the money invariant.
 */
import { Code } from '@connectrpc/connect';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { expectCode } from '../support/expect-code.ts';
import { queryRows } from '../support/db.ts';
import { BALANCE, moneyInvariant, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

let bed: MoneyBed;

beforeAll(async () => {
  bed = await startMoneyBed();
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

function orderRequest(customerId: string, fields: Record<string, unknown> = {}) {
  return { customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly', ...fields };
}

async function ledger(customerId: string) {
  return queryRows<{ transaction_type: string; amount: string; balance_before: string; balance_after: string; reference_id: string | null }>(
    bed.db.url, 'select transaction_type, amount::text, balance_before::text, balance_after::text, reference_id from balance_transactions where customer_id = $1 order by created_at, id', [customerId],
  );
}

describe('CreateOrder', () => {
  it('prices the order from the billing cycle: billing_cycles when listed, else price_per_month × months', async () => {
    const buyer = await bed.customer();
    const monthly = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    const quarterly = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId, { billingCycle: 'quarterly' }))).order;
    const yearly = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId, { billingCycle: 'yearly' }))).order;
    expect([monthly?.amount, quarterly?.amount, yearly?.amount]).toEqual(['20.00', '55.00', '240.00']);
    expect(monthly).toMatchObject({ status: 'pending', customerId: buyer.customerId, productName: 'VPS Small', currency: 'CNY', billingCycle: 'monthly' });
    expect(monthly?.serverSpec).toMatchObject({ cpuCores: 2, memoryGb: 4, os: 'debian-12' });
  });

  it('refuses bad input with a clear status and writes nothing', async () => {
    const buyer = await bed.customer();
    const other = await bed.customer();
    const before = await queryRows<{ n: string }>(bed.db.url, 'select count(*)::text as n from orders');
    await expectCode(buyer.api.orders.createOrder(orderRequest(buyer.customerId, { billingCycle: 'weekly' })), Code.InvalidArgument, /billing_cycle "weekly"/);
    await expectCode(buyer.api.orders.createOrder(orderRequest(buyer.customerId, { productId: newId() })), Code.NotFound, /product/);
    await expectCode(buyer.api.orders.createOrder(orderRequest(buyer.customerId, { productId: 'nope' })), Code.InvalidArgument, /product_id/);
    await expectCode(buyer.api.orders.createOrder(orderRequest(buyer.customerId, { providerInterfaceId: bed.gatewayId })), Code.NotFound, /provider interface/);
    await expectCode(buyer.api.orders.createOrder(orderRequest(buyer.customerId, { gatewayInterfaceId: newId() })), Code.NotFound, /gateway interface/);
    await expectCode(buyer.api.orders.createOrder(orderRequest(other.customerId)), Code.PermissionDenied, /your own customer/);
    const after = await queryRows<{ n: string }>(bed.db.url, 'select count(*)::text as n from orders');
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('refuses an inactive customer', async () => {
    const buyer = await bed.customer();
    await bed.admin.customers.updateCustomer({ id: buyer.customerId, isActive: false });
    await expectCode(bed.admin.orders.createOrder(orderRequest(buyer.customerId)), Code.FailedPrecondition, /inactive/);
  });

  it('pays at once with the balance method when the balance covers it', async () => {
    const buyer = await bed.customer('30.00');
    const created = await buyer.api.orders.createOrder(orderRequest(buyer.customerId, { gatewayInterfaceId: BALANCE }));
    expect(created.order?.status).toBe('paid');
    expect(created.payment).toMatchObject({ gatewayInterfaceId: BALANCE });
    expect((await buyer.api.balance.getBalance({})).balance).toBe('10.00');
  });
});

describe('PayOrder from the balance', () => {
  it('debits the balance once, records the payment and the ledger entry, and marks the order paid', async () => {
    const buyer = await bed.customer('50.00');
    const order = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    const paid = await buyer.api.orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE });
    expect(paid.payment?.gatewayInterfaceId).toBe(BALANCE);
    expect((await buyer.api.orders.getOrder({ id: order?.id ?? '' })).order?.status).toBe('paid');
    expect((await buyer.api.balance.getBalance({})).balance).toBe('30.00');
    expect(await ledger(buyer.customerId)).toEqual([
      { transaction_type: 'adjustment', amount: '50.00', balance_before: '0.00', balance_after: '50.00', reference_id: null },
      { transaction_type: 'payment', amount: '-20.00', balance_before: '50.00', balance_after: '30.00', reference_id: order?.id },
    ]);
    const payment = (await buyer.api.payments.getPayment({ id: paid.payment?.paymentId ?? '' })).payment;
    expect(payment).toMatchObject({ status: 'success', amount: '20.00', orderId: order?.id });
    await expectCode(buyer.api.orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE }), Code.FailedPrecondition, /only a pending order/);
    // One order_paid event (its provisioning may already have added order_provisioned).
    const events = await queryRows<{ event_type: string }>(bed.db.url, "select event_type from event_queue where order_id = $1 and event_type <> 'order_provisioned'", [order?.id]);
    expect(events.map((event) => event.event_type)).toEqual(['order_paid']);
  });

  it('uses the credit limit, and refuses with FailedPrecondition when balance + credit is short', async () => {
    const buyer = await bed.customer('5.00');
    await bed.admin.customers.updateCustomer({ id: buyer.customerId, creditLimit: '20.00' });
    const first = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    await buyer.api.orders.payOrder({ orderId: first?.id ?? '', gatewayInterfaceId: BALANCE });
    expect((await buyer.api.balance.getBalance({})).balance).toBe('-15.00');
    const second = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    await expectCode(buyer.api.orders.payOrder({ orderId: second?.id ?? '', gatewayInterfaceId: BALANCE }), Code.FailedPrecondition, /insufficient funds/);
    expect((await buyer.api.orders.getOrder({ id: second?.id ?? '' })).order?.status).toBe('pending');
    expect((await buyer.api.balance.getBalance({})).balance).toBe('-15.00');
  });

  it('answers a retry with the same idempotency key with the first outcome, charging once', async () => {
    const buyer = await bed.customer('100.00');
    const order = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    const key = { headers: { 'idempotency-key': `pay-${newId()}` } };
    const first = await buyer.api.orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE }, key);
    const again = await buyer.api.orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE }, key);
    expect(again.payment?.paymentId).toBe(first.payment?.paymentId);
    expect((await buyer.api.balance.getBalance({})).balance).toBe('80.00');
  });

  it('charges once when the same order is paid 20 times at once', async () => {
    const buyer = await bed.customer('100.00');
    const order = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => buyer.api.orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect((await buyer.api.balance.getBalance({})).balance).toBe('80.00');
  });

  it('keeps another customer\'s order hidden', async () => {
    const buyer = await bed.customer('100.00');
    const stranger = await bed.customer('100.00');
    const order = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    await expectCode(stranger.api.orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE }), Code.NotFound);
    await expectCode(stranger.api.orders.getOrder({ id: order?.id ?? '' }), Code.NotFound);
    const listed = await stranger.api.orders.listOrders({});
    expect(listed.orders.map((item) => item.id)).not.toContain(order?.id);
    expect((await buyer.api.orders.listOrders({})).orders.map((item) => item.id)).toContain(order?.id);
  });
});

describe('UpdateOrder, DeleteOrder, refunds and adjustments', () => {
  it('moves only along the manual transitions, naming the refused one', async () => {
    const buyer = await bed.customer('100.00');
    const order = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    await expectCode(bed.admin.orders.updateOrder({ id: order?.id ?? '', status: 'active' }), Code.InvalidArgument, /from "pending" to "active"/);
    await expectCode(bed.admin.orders.updateOrder({ id: order?.id ?? '', status: 'refunded' }), Code.InvalidArgument, /RefundPayment/);
    await expectCode(bed.admin.orders.updateOrder({ id: order?.id ?? '', status: 'bogus' }), Code.InvalidArgument, /not an order status/);
    const noted = await bed.admin.orders.updateOrder({ id: order?.id ?? '', notes: 'VIP' });
    expect(noted.order).toMatchObject({ notes: 'VIP', status: 'pending' });
    await expectCode(buyer.api.orders.updateOrder({ id: order?.id ?? '', notes: 'x' }), Code.PermissionDenied);
    const audit = await queryRows<{ action: string }>(bed.db.url, 'select action from operation_logs where target_id = $1 order by created_at', [order?.id]);
    expect(audit.map((row) => row.action)).toContain('order.update');
  });

  it('deletes an unpaid order, refuses a paid one', async () => {
    const buyer = await bed.customer('100.00');
    const unpaid = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId))).order;
    const paid = (await buyer.api.orders.createOrder(orderRequest(buyer.customerId, { gatewayInterfaceId: BALANCE }))).order;
    await bed.admin.orders.deleteOrder({ id: unpaid?.id ?? '' });
    await expectCode(bed.admin.orders.getOrder({ id: unpaid?.id ?? '' }), Code.NotFound);
    await expectCode(bed.admin.orders.deleteOrder({ id: paid?.id ?? '' }), Code.FailedPrecondition, /paid order is kept/);
  });

  it('refunds a balance payment partly and then fully, never more than was paid', async () => {
    const buyer = await bed.customer('100.00');
    const created = await buyer.api.orders.createOrder(orderRequest(buyer.customerId, { gatewayInterfaceId: BALANCE }));
    const paymentId = created.payment?.paymentId ?? '';
    await expectCode(bed.admin.payments.refundPayment({ paymentId, amount: '20.01' }), Code.InvalidArgument, /more than what remains/);
    expect((await bed.admin.payments.refundPayment({ paymentId, amount: '5.00' })).payment?.status).toBe('success');
    expect((await buyer.api.balance.getBalance({})).balance).toBe('85.00');
    expect((await bed.admin.payments.refundPayment({ paymentId, amount: '' })).payment?.status).toBe('refunded');
    expect((await buyer.api.balance.getBalance({})).balance).toBe('100.00');
    expect((await buyer.api.orders.getOrder({ id: created.order?.id ?? '' })).order?.status).toBe('refunded');
    await expectCode(bed.admin.payments.refundPayment({ paymentId, amount: '1.00' }), Code.FailedPrecondition);
    await expectCode(buyer.api.payments.refundPayment({ paymentId, amount: '1.00' }), Code.PermissionDenied);
  });

  it('adjusts the balance (admin only, audited), never below -credit_limit', async () => {
    const buyer = await bed.customer();
    const entry = (await bed.admin.balance.adjustBalance({ customerId: buyer.customerId, amount: '12.34', description: 'goodwill' })).transaction;
    expect(entry).toMatchObject({ amount: '12.34', balanceAfter: '12.34', transactionType: 'adjustment', description: 'goodwill' });
    await expectCode(bed.admin.balance.adjustBalance({ customerId: buyer.customerId, amount: '-12.35', description: 'too much' }), Code.FailedPrecondition, /insufficient funds/);
    await expectCode(bed.admin.balance.adjustBalance({ customerId: buyer.customerId, amount: '0', description: 'zero' }), Code.InvalidArgument);
    await expectCode(bed.admin.balance.adjustBalance({ customerId: buyer.customerId, amount: '1.00', description: '' }), Code.InvalidArgument, /description/);
    await expectCode(bed.admin.balance.adjustBalance({ customerId: newId(), amount: '1.00', description: 'ghost' }), Code.NotFound);
    await expectCode(buyer.api.balance.adjustBalance({ customerId: buyer.customerId, amount: '1000.00', description: 'free money' }), Code.PermissionDenied);
    const listed = await buyer.api.balance.listBalanceTransactions({});
    expect(listed.transactions.map((item) => item.amount)).toEqual(['12.34']);
    const audit = await queryRows<{ action: string; admin_username: string }>(bed.db.url, "select action, admin_username from operation_logs where action = 'balance.adjust' and target_id = $1", [buyer.customerId]);
    expect(audit).toEqual([{ action: 'balance.adjust', admin_username: 'admin' }]);
  });

  it('keeps the money invariant for every customer under concurrent orders of many customers', async () => {
    const buyers = await Promise.all(Array.from({ length: 5 }, () => bed.customer('100.00')));
    await Promise.allSettled(buyers.flatMap((buyer) => Array.from({ length: 8 }, () =>
      buyer.api.orders.createOrder(orderRequest(buyer.customerId, { gatewayInterfaceId: BALANCE })))));
    for (const buyer of buyers) expect((await buyer.api.balance.getBalance({})).balance).toBe('0.00');
    const invariant = await moneyInvariant(bed.db.url);
    expect(invariant.checked).toBeGreaterThan(5);
    expect(invariant.broken).toEqual([]);
    const total = await queryRows<{ s: string }>(bed.db.url, "select coalesce(sum(amount), 0)::text as s from payments where status = 'success' and customer_id = any($1)", [buyers.map((buyer) => buyer.customerId)]);
    expect(new Decimal(total[0]?.s ?? '0').toFixed(2)).toBe('500.00');
  });
});
