/**
 * BillingService/GetRevenueSummary (issue 12, the admin console's dashboard): what customers paid
 * for orders and invoices, net of refunds — today, this month and per day in a time zone — through
 * a real server; refusals name the field.
 */
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { expectCode } from '../support/expect-code.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

let bed: MoneyBed;

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

describe('GetRevenueSummary', () => {
  it('sums the order payments of today and this month, net of refunds, and leaves recharges and adjustments out', async () => {
    const billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    const before = await billing.getRevenueSummary({ days: 3, timeZone: 'UTC' });
    expect(before).toMatchObject({ today: '0.00', thisMonth: '0.00', timeZone: 'UTC' });
    expect(before.days).toHaveLength(3);
    const today = new Date().toISOString().slice(0, 10);
    expect(before.days.at(-1)).toMatchObject({ date: today, amount: '0.00' });

    const monthly = await bed.customer('100.00');
    const quarterly = await bed.customer('100.00');
    const order = (buyer: typeof monthly, cycle: string) => buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: cycle,
    });
    const paid = await order(monthly, 'monthly');
    await order(quarterly, 'quarterly');
    // 20.00 + 55.00; the opening credits (admin adjustments) are not revenue.
    expect(await billing.getRevenueSummary({ days: 3, timeZone: 'UTC' })).toMatchObject({ today: '75.00', thisMonth: '75.00' });
    const payments = await bed.admin.payments.listPayments({ pagination: { page: 1, pageSize: 5 }, orderId: paid.order?.id ?? '' });
    await bed.admin.payments.refundPayment({ paymentId: payments.payments[0]?.id ?? '', amount: '5.00' });
    const after = await billing.getRevenueSummary({ days: 0, timeZone: 'Asia/Shanghai' });
    expect(after.days).toHaveLength(30);
    expect(after.timeZone).toBe('Asia/Shanghai');
    const shanghaiToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    expect(after.days.at(-1)).toEqual(expect.objectContaining({ date: shanghaiToday, amount: after.today }));
    expect((await billing.getRevenueSummary({ days: 1, timeZone: 'UTC' })).today).toBe('70.00');
  });

  it('refuses a time zone or a number of days it cannot use, naming the field', async () => {
    const billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    await expectCode(billing.getRevenueSummary({ days: 7, timeZone: 'Mars/Olympus' }), Code.InvalidArgument, /^time_zone/);
    await expectCode(billing.getRevenueSummary({ days: 400, timeZone: 'UTC' }), Code.InvalidArgument, /^days/);
    const buyer = await bed.customer();
    await expectCode(grpcClient(BillingService, bed.server.url, bearer(buyer.accessToken)).getRevenueSummary({ days: 7 }), Code.PermissionDenied);
  });
});
