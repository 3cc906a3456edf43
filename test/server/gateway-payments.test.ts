/**
 * Paying through a gateway (issue 8): gateway-yipay against a local EPay server that notifies the
 * server's `/callback/{interface_id}` route — the order is paid once, a repeated notify changes
 * nothing (200 "success", and HandleCallback answers AlreadyExists), a notify with another amount is
 * refused; refunds go back through the gateway; a recharge credits the balance exactly once.
 */
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '../support/expect-code.ts';
import { queryRows } from '../support/db.ts';
import { epaySign } from '../support/counterparts/epay.ts';
import { BALANCE, moneyInvariant, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { newId } from '../../src/lib/ids.ts';

let bed: MoneyBed;

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 2 });
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** Opens the payment page the way the payer's browser does (the gateway learns the order). */
async function openPaymentPage(url: string): Promise<void> {
  const answer = await fetch(url, { redirect: 'manual' });
  expect(answer.status).toBeLessThan(400);
}

describe('an order paid through EPay', () => {
  it('is paid by the notify, once; the second notify changes nothing', async () => {
    const buyer = await bed.customer();
    const created = await buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY',
      gatewayInterfaceId: bed.gatewayId, notes: '', billingCycle: 'monthly',
    });
    const paymentId = created.payment?.paymentId ?? '';
    expect(created.payment?.paymentUrl).toMatch(/submit\.php\?/);
    expect((await buyer.api.payments.getPayment({ id: paymentId })).payment?.status).toBe('pending');
    await openPaymentPage(created.payment?.paymentUrl ?? '');

    const first = await bed.epay.pay(paymentId);
    expect(first).toMatchObject({ status: 200, body: 'success' });
    expect(first.url).toContain(`/callback/${bed.gatewayId}`);
    const order = (await buyer.api.orders.getOrder({ id: created.order?.id ?? '' })).order;
    expect(['paid', 'provisioning', 'active']).toContain(order?.status);
    expect((await buyer.api.payments.getPayment({ id: paymentId })).payment).toMatchObject({ status: 'success', amount: '20.00' });

    const second = await bed.epay.notify(paymentId);
    expect(second).toMatchObject({ status: 200, body: 'success' });
    await expectCode(bed.admin.payments.handleCallback({ gatewayInterfaceId: bed.gatewayId, payload: first.payload }), Code.AlreadyExists);
    const events = await queryRows<{ n: string }>(bed.db.url, "select count(*)::text as n from event_queue where event_type = 'order_paid' and order_id = $1", [created.order?.id]);
    expect(events[0]?.n).toBe('1');
    const ledger = await queryRows<{ n: string }>(bed.db.url, 'select count(*)::text as n from balance_transactions where customer_id = $1', [buyer.customerId]);
    expect(ledger[0]?.n).toBe('0');
  });

  it('refuses a notify whose amount differs or whose signature is wrong, and stays pending', async () => {
    const buyer = await bed.customer();
    const order = (await buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly',
    })).order;
    const started = await buyer.api.payments.createPayment({ orderId: order?.id ?? '', invoiceId: '', gatewayInterfaceId: bed.gatewayId, returnUrl: 'https://shop.example/done' });
    const paymentId = started.payment?.id ?? '';
    await openPaymentPage(started.paymentUrl);
    const cheap = await bed.epay.notify(paymentId, (params) => {
      params.money = '0.01';
      params.trade_status = 'TRADE_SUCCESS';
      params.sign = epaySign(params, bed.epay.key);
    });
    expect(cheap.status).toBe(400);
    const forged = await bed.epay.notify(paymentId, (params) => {
      params.trade_status = 'TRADE_SUCCESS';
      params.sign = 'f'.repeat(32);
    });
    expect(forged.status).toBe(400);
    expect((await buyer.api.payments.getPayment({ id: paymentId })).payment?.status).toBe('pending');
    expect((await buyer.api.orders.getOrder({ id: order?.id ?? '' })).order?.status).toBe('pending');
  });

  it('refunds part of a gateway payment through EPay, then the rest to the balance on request', async () => {
    const buyer = await bed.customer();
    const created = await buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: bed.gatewayId, notes: '', billingCycle: 'monthly',
    });
    const paymentId = created.payment?.paymentId ?? '';
    await openPaymentPage(created.payment?.paymentUrl ?? '');
    await bed.epay.pay(paymentId);
    const partial = await bed.admin.payments.refundPayment({ paymentId, amount: '5.00' });
    expect(partial.payment?.status).toBe('success');
    expect(bed.epay.refunds).toContainEqual({ outTradeNo: paymentId, money: '5.00' });
    const rest = await bed.admin.payments.refundPayment({ paymentId, amount: '' }, { headers: { 'refund-to': 'balance' } });
    expect(rest.payment?.status).toBe('refunded');
    expect((await buyer.api.balance.getBalance({})).balance).toBe('15.00');
    await expectCode(bed.admin.payments.refundPayment({ paymentId, amount: '0.01' }), Code.FailedPrecondition);
  });
});

/** An invoice row as BillingService writes it (status, total), for paying it here. */
async function invoice(customerId: string, status: string, total: string): Promise<string> {
  const id = newId();
  await queryRows(bed.db.url, `insert into invoices (id, invoice_number, customer_id, billing_period_start, billing_period_end, amount, tax_amount, total_amount, status, due_date)
    values ($1, $2, $3, '2026-11-01', '2026-11-30', $4, 0, $4, $5, '2026-12-15')`, [id, `INV-2026-${id.slice(-6)}`, customerId, total, status]);
  return id;
}

describe('paying an invoice', () => {
  it('from the balance: one ledger entry, the invoice paid; a draft or another customer\'s invoice is refused', async () => {
    const buyer = await bed.customer('100.00');
    const stranger = await bed.customer('100.00');
    const issued = await invoice(buyer.customerId, 'issued', '30.00');
    const paid = await buyer.api.payments.createPayment({ orderId: '', invoiceId: issued, gatewayInterfaceId: BALANCE, returnUrl: '' });
    expect(paid.payment).toMatchObject({ status: 'success', amount: '30.00', invoiceId: issued });
    expect((await buyer.api.balance.getBalance({})).balance).toBe('70.00');
    const [row] = await queryRows<{ status: string; paid_amount: string }>(bed.db.url, 'select status, paid_amount::text from invoices where id = $1', [issued]);
    expect(row).toEqual({ status: 'paid', paid_amount: '30.00' });
    await expectCode(buyer.api.payments.createPayment({ orderId: '', invoiceId: issued, gatewayInterfaceId: BALANCE, returnUrl: '' }), Code.FailedPrecondition, /is paid/);
    await expectCode(buyer.api.payments.createPayment({ orderId: '', invoiceId: await invoice(buyer.customerId, 'draft', '5.00'), gatewayInterfaceId: BALANCE, returnUrl: '' }), Code.FailedPrecondition, /draft/);
    await expectCode(stranger.api.payments.createPayment({ orderId: '', invoiceId: await invoice(buyer.customerId, 'issued', '5.00'), gatewayInterfaceId: BALANCE, returnUrl: '' }), Code.NotFound);
    expect((await stranger.api.balance.getBalance({})).balance).toBe('100.00');
  });

  it('through EPay: paid by the notify, once', async () => {
    const buyer = await bed.customer();
    const overdue = await invoice(buyer.customerId, 'overdue', '42.50');
    const started = await buyer.api.payments.createPayment({ orderId: '', invoiceId: overdue, gatewayInterfaceId: bed.gatewayId, returnUrl: '' });
    expect(started.payment).toMatchObject({ status: 'pending', amount: '42.50' });
    await openPaymentPage(started.paymentUrl);
    expect((await bed.epay.pay(started.payment?.id ?? '')).body).toBe('success');
    expect((await bed.epay.notify(started.payment?.id ?? '')).body).toBe('success');
    const [row] = await queryRows<{ status: string; paid_amount: string }>(bed.db.url, 'select status, paid_amount::text from invoices where id = $1', [overdue]);
    expect(row).toEqual({ status: 'paid', paid_amount: '42.50' });
    const events = await queryRows<{ n: string }>(bed.db.url, "select count(*)::text as n from event_queue where event_type = 'invoice_paid' and payload->>'invoice_id' = $1", [overdue]);
    expect(events[0]?.n).toBe('1');
    expect((await buyer.api.balance.getBalance({})).balance).toBe('0.00');
  });
});

describe('Recharge through EPay', () => {
  it('credits the balance exactly once when the gateway notifies (twice)', async () => {
    const buyer = await bed.customer();
    const started = await buyer.api.balance.recharge({ customerId: buyer.customerId, amount: '88.50', gatewayInterfaceId: bed.gatewayId, returnUrl: '' });
    expect(started.payment).toMatchObject({ status: 'pending', amount: '88.50' });
    await openPaymentPage(started.paymentUrl);
    await bed.epay.pay(started.payment?.id ?? '');
    await bed.epay.notify(started.payment?.id ?? '');
    expect((await buyer.api.balance.getBalance({})).balance).toBe('88.50');
    const entries = (await buyer.api.balance.listBalanceTransactions({})).transactions;
    expect(entries.map((entry) => [entry.transactionType, entry.amount, entry.referenceId])).toEqual([['recharge', '88.50', started.payment?.id]]);
    await expectCode(buyer.api.balance.recharge({ customerId: buyer.customerId, amount: '0', gatewayInterfaceId: bed.gatewayId, returnUrl: '' }), Code.InvalidArgument);
    expect((await moneyInvariant(bed.db.url)).broken).toEqual([]);
  });
});
