/**
 * The CRM's rating, credit risk levels and RFM segments on real data built through the money path
 * (issue 10): customers who order and pay at checkout, pay invoices late, leave an invoice unpaid,
 * stopped buying long ago, or never bought — each ends up with the rating, risk level and segment
 * the README's rules give, and a red customer's CreateOrder is refused until it pays.
 *
 * The expected stars are worked out by hand in the comments from the README's formula
 * (30 % amount, 40 % punctuality, 20 % frequency, 10 % relationship age). The RFM thresholds are
 * set low in this server's `[crm]` so that test-sized amounts reach them.
 */
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { queryRows } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { expectCode } from '../support/expect-code.ts';
import { BALANCE, moneyInvariant, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

let bed: MoneyBed;
let crm: ReturnType<typeof grpcClient<typeof CustomerService>>;
let billing: ReturnType<typeof grpcClient<typeof BillingService>>;

const DAY_MS = 86_400_000;
/** `YYYY-MM-DD`, `days` from today (UTC). */
function day(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
}

beforeAll(async () => {
  bed = await startMoneyBed({
    config: {
      crm: { rfm_frequency_high_min_orders: 3, rfm_frequency_medium_min_orders: 2, rfm_monetary_high_min: '100.00', rfm_monetary_medium_min: '50.00' },
    },
  });
  crm = grpcClient(CustomerService, bed.server.url, bearer(bed.adminToken));
  billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

type Buyer = Awaited<ReturnType<MoneyBed['customer']>>;

function orderRequest(buyer: Buyer, billingCycle = 'monthly') {
  return { customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle };
}

/** Orders and pays at checkout from the balance (one CreateOrder with the balance method). */
async function buy(buyer: Buyer, billingCycle = 'monthly'): Promise<string> {
  const { order } = await buyer.api.orders.createOrder(orderRequest(buyer, billingCycle));
  expect(order?.status).toBe('paid');
  return order?.id ?? '';
}

/** An issued invoice of `total`, due on `dueDate` (BillingService: create, then issue). */
async function issuedInvoice(buyer: Buyer, total: string, dueDate: string): Promise<string> {
  const { invoice } = await billing.createInvoice({
    customerId: buyer.customerId, billingPeriodStart: day(-60), billingPeriodEnd: day(-31), amount: total, taxAmount: '0.00', totalAmount: total,
    dueDate, notes: 'support contract', items: [{ description: 'support', quantity: 1, unitPrice: total, amount: total }],
  });
  await billing.updateInvoice({ id: invoice?.id ?? '', status: 'issued' });
  return invoice?.id ?? '';
}

/** Pays an invoice from the balance (CreatePayment with the balance method). */
async function payInvoice(buyer: Buyer, invoiceId: string): Promise<void> {
  const { payment } = await buyer.api.payments.createPayment({ orderId: '', invoiceId, gatewayInterfaceId: BALANCE, returnUrl: '' });
  expect(payment?.status).toBe('success');
}

/** Moves a customer's orders and payments `days` into the past (its history happened earlier). */
async function age(buyer: Buyer, days: number): Promise<void> {
  const shift = `${days} days`;
  await queryRows(bed.db.url, `update orders set created_at = created_at - $2::interval, paid_at = paid_at - $2::interval, updated_at = updated_at - $2::interval where customer_id = $1`, [buyer.customerId, shift]);
  await queryRows(bed.db.url, `update payments set created_at = created_at - $2::interval, paid_at = paid_at - $2::interval where customer_id = $1`, [buyer.customerId, shift]);
}

describe('ratings, risk levels and RFM segments from the money path', () => {
  const people: Record<string, Buyer> = {};

  it('builds the customers\' histories through the API', async () => {
    // A: four orders paid at checkout (20 + 20 + 55 + 20 = 115.00) and an invoice of 30.00 paid before it is due.
    people.a = await bed.customer('500.00');
    for (const cycle of ['monthly', 'monthly', 'quarterly', 'monthly']) await buy(people.a, cycle);
    await payInvoice(people.a, await issuedInvoice(people.a, '30.00', day(10)));
    // B: one order paid at checkout, two invoices of 10.00 paid after they fell due.
    people.b = await bed.customer('100.00');
    await buy(people.b);
    for (const due of [day(-10), day(-3)]) await payInvoice(people.b, await issuedInvoice(people.b, '10.00', due));
    // C: one order paid at checkout, an invoice of 15.00 unpaid 45 days after its due date.
    people.c = await bed.customer('100.00');
    await buy(people.c);
    await issuedInvoice(people.c, '15.00', day(-45));
    // D: two orders paid at checkout, 120 days ago (moved back once provisioned, below).
    people.d = await bed.customer('100.00');
    await buy(people.d);
    await buy(people.d);
    // G: one yearly order of 240.00 today.
    people.g = await bed.customer('300.00');
    await buy(people.g, 'yearly');
    // E: registered, never bought.
    people.e = await bed.customer();
    // The orders become active through provisioning; every one of them is a paid order either way.
    await eventually(async () => {
      const [row] = await queryRows<{ n: string }>(bed.db.url, "select count(*)::text as n from orders where status in ('paid', 'provisioning')");
      return row?.n === '0' ? true : undefined;
    }, 'the orders to be provisioned');
    await age(people.d, 120);
  });

  it('computes the ratings on demand from the README formula (RecomputeCustomerScores)', async () => {
    const { customers } = await crm.recomputeCustomerScores({});
    expect(customers).toBe(6);
    // Averages over the five customers with a history: revenue (145 + 40 + 20 + 40 + 240) / 5 = 97.00;
    // orders per month (4 + 1 + 1 + 2/3.94 + 1) / 5 = 1.50.
    // A: amount capped 100, punctuality 5/5 = 100, frequency capped 100, age 0 → 30 + 40 + 20 + 0 = 90.00 → 5 stars.
    const a = await crm.getCustomerStatistics({ id: people.a?.customerId ?? '' });
    expect(a.rating).toMatchObject({ stars: 5, source: 'computed', computedStars: 5, score: '90.00', orderAmountScore: '100.00', onTimePaymentScore: '100.00', orderFrequencyScore: '100.00', relationshipAgeScore: '0.00' });
    expect(a.paymentStats).toMatchObject({ payments: 5, onTimePayments: 5, latePayments: 0, onTimePaymentRate: '100.00' });
    expect(a).toMatchObject({ totalOrders: 4, paidOrders: 4, totalRevenue: '145.00' });
    // B: 40/97 → 41.23 × 0.3 + 1/3 on time → 33.33 × 0.4 + 1/1.50 → 66.59 × 0.2 = 39.02 → 2 stars.
    const b = await crm.getCustomerStatistics({ id: people.b?.customerId ?? '' });
    expect(b.rating).toMatchObject({ stars: 2, computedStars: 2 });
    expect(Number(b.rating?.score)).toBeCloseTo(39.02, 1);
    expect(b.paymentStats).toMatchObject({ payments: 3, onTimePayments: 1, latePayments: 2, onTimePaymentRate: '33.33', maxOverdueDays: 10 });
    // C: 20/97 → 20.61 × 0.3 + 1/2 on time (the unpaid invoice is late) × 0.4 + 66.59 × 0.2 = 39.50 → 2 stars.
    const c = await crm.getCustomerStatistics({ id: people.c?.customerId ?? '' });
    expect(c.rating).toMatchObject({ stars: 2, computedStars: 2 });
    expect(c.paymentStats).toMatchObject({ payments: 2, latePayments: 1, overdueInvoices: 1, overdueAmount: '15.00', maxOverdueDays: 45 });
    // D: 41.23 × 0.3 + 100 × 0.4 + 0.51/1.50 → 33.78 × 0.2 + 120 days → 6.57 × 0.1 = 59.78 → 3 stars.
    const d = await crm.getCustomerStatistics({ id: people.d?.customerId ?? '' });
    expect(d.rating).toMatchObject({ stars: 3, computedStars: 3 });
    expect(d.daysSinceFirstOrder).toBe(120);
    // G: 100 × 0.3 + 100 × 0.4 + 66.59 × 0.2 = 83.32 → 4 stars.
    expect((await crm.getCustomerStatistics({ id: people.g?.customerId ?? '' })).rating).toMatchObject({ stars: 4, computedStars: 4 });
    // E has no history: no computed rating; the default 3 applies.
    const e = await crm.getCustomerStatistics({ id: people.e?.customerId ?? '' });
    expect(e.rating).toMatchObject({ stars: 3, source: 'default', computedStars: 0, score: '' });
  });

  it('gives each customer the credit risk level of its record', async () => {
    const level = async (buyer: Buyer | undefined) => (await crm.getCustomer({ id: buyer?.customerId ?? '' })).customer;
    expect((await level(people.a))?.riskLevel).toBe('green');
    const b = await level(people.b);
    expect(b?.riskLevel).toBe('orange');
    expect(b?.riskReasons.join(' ')).toMatch(/rated 2 stars/);
    const c = await level(people.c);
    expect(c).toMatchObject({ riskLevel: 'red', isOverdue: true, overdueDays: 45 });
    expect(c?.riskReasons.join(' ')).toMatch(/45 days overdue/);
    expect((await level(people.d))?.riskLevel).toBe('yellow');
    expect((await level(people.e))?.riskLevel).toBe('yellow');
    const risk = (await crm.getCustomerStatistics({ id: people.b?.customerId ?? '' })).creditRisk;
    expect(risk?.factors.map((factor) => `${factor.factor}:${factor.level}`)).toEqual(['rating:orange', 'overdue:yellow', 'utilisation:green']);
  });

  it('puts each customer in its RFM segment', async () => {
    const segment = async (buyer: Buyer | undefined) => (await crm.getCustomerStatistics({ id: buyer?.customerId ?? '' })).rfm;
    expect(await segment(people.a)).toMatchObject({ recency: 'high', frequency: 'high', monetary: 'high', segment: 'important_value', paidOrders: 4, paidTotal: '115.00', daysSinceLastPaidOrder: 0 });
    expect(await segment(people.g)).toMatchObject({ recency: 'high', frequency: 'low', monetary: 'high', segment: 'important_develop' });
    expect(await segment(people.b)).toMatchObject({ recency: 'high', frequency: 'low', monetary: 'low', segment: 'general' });
    expect(await segment(people.d)).toMatchObject({ recency: 'low', frequency: 'medium', monetary: 'low', segment: 'churn_warning', daysSinceLastPaidOrder: 120 });
    expect(await segment(people.e)).toMatchObject({ segment: 'general', paidOrders: 0 });
    const distribution = await crm.getRfmDistribution({});
    expect(Object.fromEntries(distribution.segments.map((entry) => [entry.key, entry.count]))).toEqual({
      important_value: 1, important_retain: 0, important_develop: 1, general: 3, churn_warning: 1,
    });
    expect(distribution.thresholds).toMatchObject({ frequencyHighMinOrders: 3, monetaryHighMin: '100.00', recencyHighMaxDays: 30 });
    // The churned customer's lifetime value is what it paid; A's adds 12 months at its monthly average (145 × 12 more).
    expect((await crm.getCustomer({ id: people.d?.customerId ?? '' })).customer?.customerLifetimeValue).toBe('40.00');
    expect((await crm.getCustomer({ id: people.a?.customerId ?? '' })).customer?.customerLifetimeValue).toBe('1885.00');
  });

  it('refuses a red customer\'s CreateOrder, naming the reason, until the overdue invoice is paid', async () => {
    const c = people.c as Buyer;
    const before = await queryRows<{ n: string }>(bed.db.url, 'select count(*)::text as n from orders where customer_id = $1', [c.customerId]);
    await expectCode(c.api.orders.createOrder(orderRequest(c)), Code.FailedPrecondition, /credit risk level red.*an invoice is 45 days overdue/);
    // Admins cannot order for it either, and a gateway order is refused the same way.
    await expectCode(bed.admin.orders.createOrder(orderRequest(c)), Code.FailedPrecondition, /credit risk level red/);
    await expectCode(c.api.orders.createOrder({ ...orderRequest(c), gatewayInterfaceId: bed.gatewayId }), Code.FailedPrecondition, /credit risk level red/);
    const after = await queryRows<{ n: string }>(bed.db.url, 'select count(*)::text as n from orders where customer_id = $1', [c.customerId]);
    expect(after[0]?.n).toBe(before[0]?.n);
    const [invoice] = await queryRows<{ id: string }>(bed.db.url, "select id from invoices where customer_id = $1 and status in ('issued', 'overdue')", [c.customerId]);
    await payInvoice(c, invoice?.id ?? '');
    expect((await c.api.orders.createOrder(orderRequest(c))).order?.status).toBe('paid');
    expect((await crm.getCustomer({ id: c.customerId })).customer?.riskLevel).not.toBe('red');
  });

  it('refuses the CreateOrder of a customer who owes more than its lowered credit limit', async () => {
    const f = await bed.customer();
    people.f = f;
    await crm.updateCreditLimit({ id: f.customerId, creditLimit: '50.00' });
    await buy(f);
    await buy(f);
    expect((await crm.getCustomer({ id: f.customerId })).customer).toMatchObject({ balance: '-40.00', availableCredit: '10.00', riskLevel: 'orange' });
    const lowered = await crm.updateCreditLimit({ id: f.customerId, creditLimit: '10.00' });
    expect(lowered.customer).toMatchObject({ creditLimit: '10.00', availableCredit: '0.00', riskLevel: 'red' });
    await expectCode(f.api.orders.createOrder(orderRequest(f)), Code.FailedPrecondition, /owes 40\.00, 30\.00 over the credit limit of 10\.00/);
    // The red level is on the customer's stored scores at once (refreshed by the change), so the list filter finds it.
    const reds = await crm.listCustomers({ riskLevel: 'red', pagination: { page: 1, pageSize: 100 } });
    expect(reds.customers.map((customer) => customer.id)).toContain(f.customerId);
  });

  it('keeps a manual rating until it is cleared, through recomputations', async () => {
    const b = people.b as Buyer;
    const rated = await crm.updateCustomerRating({ id: b.customerId, rating: 4, notes: 'pays late but always pays' });
    expect(rated.customer).toMatchObject({ rating: 4, ratingSource: 'manual', ratingNotes: 'pays late but always pays', riskLevel: 'yellow' });
    await crm.recomputeCustomerScores({});
    expect((await crm.getCustomer({ id: b.customerId })).customer).toMatchObject({ rating: 4, ratingSource: 'manual' });
    const cleared = await crm.updateCustomerRating({ id: b.customerId, rating: 0, notes: '' });
    expect(cleared.customer).toMatchObject({ rating: 2, ratingSource: 'computed', ratingNotes: '' });
    await expectCode(crm.updateCustomerRating({ id: b.customerId, rating: 6, notes: '' }), Code.InvalidArgument, /rating/);
    const audit = await queryRows<{ details: { changes: Record<string, { from: unknown; to: unknown }> } }>(
      bed.db.url, "select details from operation_logs where action = 'customer.update' and target_id = $1 order by created_at", [b.customerId],
    );
    expect(audit.map((row) => row.details.changes['rating'])).toEqual([{ from: null, to: 4 }, { from: 4, to: null }]);
  });

  it('keeps the money invariant: every ledger sums to its balance; only F owes more than its (lowered) limit', async () => {
    const { broken, checked } = await moneyInvariant(bed.db.url);
    expect(checked).toBe(7);
    expect(broken).toEqual([{ id: people.f?.customerId, balance: '-40.00', credit_limit: '10.00', ledger: '-40.00', bad_entries: '0' }]);
  });
});
