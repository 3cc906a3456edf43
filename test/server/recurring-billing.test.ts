/**
 * Recurring billing over thirteen simulated months (issue 11, README "Recurring billing"): a real
 * two-worker cluster whose business clock is read from a file (NODEBILL_SIMULATED_CLOCK_FILE), the
 * local Incus server behind provider-incus, the local EPay server, and a webhook notifier. Each
 * simulated day the test moves the clock, runs the lifecycle on both workers at once
 * (RunBillingLifecycle from two connections), plays the customers' parts for that day and waits
 * for the events to be handled. Six customers:
 *
 * - `credit`: always in credit, taxed (country DE, 19 %): every renewal is paid automatically.
 * - `late`: pays each renewal the day after its service was suspended (once through EPay): every
 *   month a suspension and a restoration, each exactly once at the provider.
 * - `quitter`: pays the first two renewals a day late, then never: suspended, then terminated.
 * - `upgrader`: moves to a bigger product ten days into its second period (day-based proration).
 * - `canceller`: cancels at the end of its third period.
 * - `promo`: orders with an every-period 10 % promotion code.
 *
 * Afterwards: the invoices issued, paid automatically and reminded of; each instance suspended,
 * restored and terminated exactly once at Incus; the proration amounts; the ledger invariant of
 * every customer; and nothing done twice although every run was made on two workers at once.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Code } from '@connectrpc/connect';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/counterparts/webhook-receiver.ts';
import { queryRows } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { expectCode } from '../support/expect-code.ts';
import { BALANCE, moneyInvariant, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

const DAY_MS = 86_400_000;
/** The simulated start: every service's period starts at 12:00 UTC on the 10th. */
const T0 = Date.parse('2027-01-10T12:00:00Z');
/** Thirteen months and a bit: up to 2028-02-09, the day before the fourteenth period. */
const LAST_DAY = 395;
const SETTINGS = { renewal_invoice_days_before: 7, reminder_days_before: [3], reminder_days_after: [1, 5], suspend_after_days: 3, terminate_after_days: 10 };

const clockDir = mkdtempSync(path.join(tmpdir(), 'nodebill-clock-'));
const clockFile = path.join(clockDir, 'now');

/** Moves the cluster's business clock (a new file renamed over the old one: never half-written). */
function setClock(at: number): void {
  writeFileSync(`${clockFile}.next`, new Date(at).toISOString());
  renameSync(`${clockFile}.next`, clockFile);
}

/** `YYYY-MM-DD` of simulated day `day`. */
function dateOf(day: number): string {
  return new Date(T0 + day * DAY_MS).toISOString().slice(0, 10);
}

type Buyer = Awaited<ReturnType<MoneyBed['customer']>>;
interface Service { buyer: Buyer; orderId: string; instanceName: string }

let bed: MoneyBed;
let hooks: WebhookReceiver;
let largeProductId = '';
const services: Record<'credit' | 'late' | 'quitter' | 'upgrader' | 'canceller' | 'promo', Service> = {} as never;
/** What each run reported, summed over both workers. */
const totals = { renewalsIssued: 0, renewalsAutoPaid: 0, periodsRolled: 0, remindersSent: 0, servicesSuspended: 0, servicesEnded: 0 };
const planChange: { preview?: Record<string, unknown>; applied?: Record<string, unknown> } = {};

async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return queryRows<T>(bed.db.url, text, params);
}

/** Waits until every outbox event but notification deliveries is handled. */
async function drained(): Promise<void> {
  await eventually(async () => {
    const [row] = await sql<{ n: string }>(`select count(*)::text as n from event_queue where status in ('pending', 'queued', 'processing') and event_type <> 'notification_delivery'`);
    return row?.n === '0' ? true : undefined;
  }, 'the events of the day handled', 30_000);
}

/** The customer's unpaid renewal invoice, if any. */
async function unpaidRenewal(orderId: string): Promise<{ id: string; due: string } | undefined> {
  const [row] = await sql<{ id: string; due: string }>(`select i.id, (i.total_amount - i.paid_amount)::text as due from service_renewals r join invoices i on i.id = r.invoice_id
    where r.order_id = $1 and i.status in ('issued', 'overdue') order by r.period_start limit 1`, [orderId]);
  return row;
}

/** Pays `service`'s unpaid renewal from its balance after an admin credited what it needs; returns whether there was one. */
async function payFromBalance(service: Service): Promise<boolean> {
  const invoice = await unpaidRenewal(service.orderId);
  if (!invoice) return false;
  await bed.admin.balance.adjustBalance({ customerId: service.buyer.customerId, amount: invoice.due, description: 'bank transfer received' });
  const paid = await service.buyer.api.payments.createPayment({ orderId: '', invoiceId: invoice.id, gatewayInterfaceId: BALANCE, returnUrl: '' });
  expect(paid.payment?.status).toBe('success');
  return true;
}

/** Pays it through EPay instead: the local gateway calls back. */
async function payThroughEpay(service: Service): Promise<void> {
  const invoice = await unpaidRenewal(service.orderId);
  expect(invoice).toBeDefined();
  const started = await service.buyer.api.payments.createPayment({ orderId: '', invoiceId: invoice?.id ?? '', gatewayInterfaceId: bed.gatewayId, returnUrl: '' });
  // The customer opens the gateway's page (the order exists there from then on), pays, and EPay calls back.
  expect((await fetch(started.paymentUrl, { redirect: 'manual' })).status).toBeLessThan(400);
  expect((await bed.epay.pay(started.payment?.id ?? '')).body).toBe('success');
}

async function order(buyer: Buyer, options: { productId?: string; promotionCode?: string } = {}): Promise<Service> {
  const created = await buyer.api.orders.createOrder({
    customerId: buyer.customerId, productId: options.productId ?? bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY',
    gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly', ...(options.promotionCode ? { promotionCode: options.promotionCode } : {}),
  });
  const orderId = created.order?.id ?? '';
  const instanceName = await eventually(async () => {
    const [row] = await sql<{ provider_instance_id: string }>(`select provider_instance_id from instances where order_id = $1`, [orderId]);
    return row?.provider_instance_id;
  }, 'the instance');
  return { buyer, orderId, instanceName };
}

/** The Incus calls made for `instance`, by kind. */
function providerCalls(instance: string): { suspend: number; restore: number; terminate: number; resize: number } {
  const mine = bed.incus.requests.filter((request) => request.path.startsWith(`/1.0/instances/${encodeURIComponent(instance)}`));
  const action = (request: (typeof mine)[number]): { action?: string; force?: boolean } => (typeof request.body === 'string' && request.body !== '' ? JSON.parse(request.body) : (request.body ?? {})) as { action?: string; force?: boolean };
  return {
    suspend: mine.filter((request) => request.method === 'PUT' && action(request).action === 'stop' && action(request).force !== true).length,
    restore: mine.filter((request) => request.method === 'PUT' && action(request).action === 'start').length,
    terminate: mine.filter((request) => request.method === 'DELETE').length,
    resize: mine.filter((request) => request.method === 'PATCH').length,
  };
}

beforeAll(async () => {
  setClock(T0);
  hooks = await startWebhookReceiver();
  bed = await startMoneyBed({
    env: { NODEBILL_SIMULATED_CLOCK_FILE: clockFile },
    config: {
      // The periodic run is left to the test (RunBillingLifecycle): once a year of real time.
      billing: { ...SETTINGS, lifecycle_interval_secs: 31_536_000 },
      jobs: { poll_interval_ms: 100, backoff_base_ms: 100, backoff_max_ms: 500 },
    },
  });
  const webhook = (await bed.admin.integration.listPlugins({ pluginType: 'notifier' })).plugins.find((plugin) => plugin.pluginId === 'webhook');
  const created = await bed.admin.integration.createPluginInterface({ pluginDefId: webhook?.id ?? '', displayName: 'Hook', configJson: JSON.stringify({ url: hooks.url, supported_events: [] }) });
  await bed.admin.integration.togglePluginInterface({ interfaceId: created.interface?.id ?? '', enable: true });
  const billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
  await billing.createTaxRule({ terms: { country: 'DE', region: '', rate: '19.00', reverseCharge: false, name: 'MwSt', isActive: true } });
  await billing.createPromotionCode({
    terms: {
      code: 'welcome10', kind: 'percent', value: '10', recurrence: 'every_period', productIds: [bed.productId], billingCycles: ['monthly'], validFrom: '', validUntil: '',
      maxUses: 0, maxUsesPerCustomer: 1, isActive: true, description: '10 % for life',
    },
  });
  const large = await bed.admin.products.createProduct({ name: 'VPS Large', description: '4 cores, 8 GB', pricePerMonth: '40.00', interfaceId: bed.providerId, costPrice: '20.00' });
  largeProductId = large.product?.id ?? '';

  const credit = await bed.customer('1000.00');
  await bed.admin.customers.updateCustomer({ id: credit.customerId, country: 'de' });
  services.credit = await order(credit);
  services.late = await order(await bed.customer('20.00'));
  services.quitter = await order(await bed.customer('20.00'));
  services.upgrader = await order(await bed.customer('1000.00'));
  services.canceller = await order(await bed.customer('1000.00'));
  services.promo = await order(await bed.customer('1000.00'), { promotionCode: 'WELCOME10' });
  await drained();

  const clients = [billing, grpcClient(BillingService, bed.server.url, bearer(bed.adminToken))];
  for (let day = 1; day <= LAST_DAY; day += 1) {
    setClock(T0 + day * DAY_MS);
    // Both workers run the lifecycle at the same moment.
    const reports = await Promise.all(clients.map((client) => client.runBillingLifecycle({})));
    for (const report of reports) for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += report[key];
    const dayOfMonth = Number(dateOf(day).slice(8, 10));
    // The late payer pays the day after its suspension (due + 4), once through EPay.
    if (dayOfMonth === 14) {
      if (dateOf(day).startsWith('2027-06')) await payThroughEpay(services.late);
      else await payFromBalance(services.late);
    }
    // The quitter pays its first two renewals the day after they fell due, then never again.
    if (dayOfMonth === 11 && (dateOf(day) === '2027-02-11' || dateOf(day) === '2027-03-11')) expect(await payFromBalance(services.quitter)).toBe(true);
    // The upgrader moves to VPS Large ten days into its second period (2027-02-10 → 2027-03-10).
    if (dateOf(day) === '2027-02-20') {
      const request = { orderId: services.upgrader.orderId, productId: largeProductId };
      planChange.preview = { ...(await services.upgrader.buyer.api.orders.changeServicePlan({ ...request, preview: true })) };
      planChange.applied = { ...(await services.upgrader.buyer.api.orders.changeServicePlan(request)) };
    }
    // The canceller cancels in its third period, at its end.
    if (dateOf(day) === '2027-03-15') await services.canceller.buyer.api.orders.cancelService({ orderId: services.canceller.orderId, atPeriodEnd: true });
    await drained();
  }
}, 900_000);

afterAll(async () => {
  await bed?.stop();
  await hooks?.close();
});

/** The renewal invoices of a service, oldest first. */
async function renewals(service: Service): Promise<Array<{ status: string; total: string; due_date: string; reminders: number[]; description: string; tax: string }>> {
  return sql(`select i.status, i.total_amount::text as total, i.due_date::text as due_date, r.reminders_sent as reminders, it.description, i.tax_amount::text as tax
    from service_renewals r join invoices i on i.id = r.invoice_id join invoice_items it on it.invoice_id = i.id
    where r.order_id = $1 order by r.period_start`, [service.orderId]);
}

async function orderRow(service: Service): Promise<{ status: string; period_start: string; period_end: string; amount: string; renewal_amount: string | null }> {
  const [row] = await sql<{ status: string; period_start: string; period_end: string; amount: string; renewal_amount: string | null }>(
    `select status, to_char(period_start at time zone 'UTC', 'YYYY-MM-DD') as period_start, to_char(period_end at time zone 'UTC', 'YYYY-MM-DD') as period_end,
            amount::text, renewal_amount::text from orders where id = $1`, [service.orderId]);
  if (!row) throw new Error('no order');
  return row;
}

/** The notifications the webhook received for `email`, by event type. */
function told(email: string, eventType: string): number {
  return hooks.received.filter((hit) => {
    const body = hit.json as { event_type?: string; recipient?: string } | null;
    return body?.event_type === eventType && body.recipient === email;
  }).length;
}

describe('thirteen months of recurring billing', () => {
  it('renews the customer in credit every month, taxed, paid automatically, never reminded', async () => {
    const invoices = await renewals(services.credit);
    expect(invoices).toHaveLength(13);
    expect(invoices.map((invoice) => invoice.status)).toEqual(Array(13).fill('paid'));
    expect(new Set(invoices.map((invoice) => `${invoice.total}/${invoice.tax}`))).toEqual(new Set(['23.80/3.80']));
    expect(invoices[0]?.description).toMatch(/MwSt 19\.00%/);
    expect(invoices.every((invoice) => invoice.reminders.length === 0)).toBe(true);
    expect(await orderRow(services.credit)).toMatchObject({ status: 'active', period_start: '2028-01-10', period_end: '2028-02-10', amount: '23.80' });
    expect(providerCalls(services.credit.instanceName)).toEqual({ suspend: 0, restore: 0, terminate: 0, resize: 0 });
    const [ledger] = await sql<{ n: string; total: string }>(`select count(*)::text as n, sum(amount)::text as total from balance_transactions where customer_id = $1 and transaction_type = 'payment'`, [services.credit.buyer.customerId]);
    // The first order and 13 renewals, 23.80 each.
    expect(ledger).toEqual({ n: '14', total: '-333.20' });
  });

  it('suspends the late payer each month and restores it the moment it pays, each exactly once at the provider', async () => {
    const invoices = await renewals(services.late);
    expect(invoices).toHaveLength(13);
    // Twelve paid a day after the suspension; the thirteenth (due 2028-02-10) is not due yet.
    expect(invoices.slice(0, 12).map((invoice) => invoice.status)).toEqual(Array(12).fill('paid'));
    expect(invoices[12]?.status).toBe('issued');
    // Reminded three days before and one day after each due date (paid before the fifth day).
    expect(invoices.slice(0, 12).map((invoice) => invoice.reminders)).toEqual(Array(12).fill([-3, 1]));
    expect(invoices[12]?.reminders).toEqual([-3]);
    expect(providerCalls(services.late.instanceName)).toEqual({ suspend: 12, restore: 12, terminate: 0, resize: 0 });
    expect((await orderRow(services.late)).status).toBe('active');
    const [instance] = await sql<{ status: string }>(`select status from instances where order_id = $1`, [services.late.orderId]);
    expect(instance?.status).toBe('running');
    expect(bed.incus.instances.get(services.late.instanceName)?.status).toBe('Running');
    // The customer was told each time (deliveries run on their own, so they may trail a moment).
    const email = services.late.buyer.email;
    await eventually(async () => (told(email, 'service_suspended') === 12 && told(email, 'service_restored') === 12 && told(email, 'invoice_reminder') === 25 ? true : undefined),
      'twelve suspension, twelve restoration and twenty-five reminder notifications');
  });

  it('terminates the customer who stopped paying after month 2, once, and bills it no more', async () => {
    const invoices = await renewals(services.quitter);
    expect(invoices.map((invoice) => invoice.status)).toEqual(['paid', 'paid', 'cancelled']);
    expect(invoices[2]?.reminders).toEqual([-3, 1, 5]);
    expect(providerCalls(services.quitter.instanceName)).toEqual({ suspend: 1, restore: 0, terminate: 1, resize: 0 });
    expect(await orderRow(services.quitter)).toMatchObject({ status: 'completed', period_end: '2027-05-10' });
    const [instance] = await sql<{ status: string }>(`select status from instances where order_id = $1`, [services.quitter.orderId]);
    expect(instance?.status).toBe('terminated');
    expect(bed.incus.instances.has(services.quitter.instanceName)).toBe(false);
    const [ended] = await sql<{ n: string; reason: string }>(`select count(*)::text as n, min(payload->>'reason') as reason from event_queue where event_type = 'service_terminated' and order_id = $1`, [services.quitter.orderId]);
    expect(ended).toEqual({ n: '1', reason: 'unpaid' });
    await eventually(async () => (told(services.quitter.buyer.email, 'service_terminated') === 1 ? true : undefined), 'the termination notification');
    expect(told(services.quitter.buyer.email, 'service_suspended')).toBe(1);
  });

  it('prorates the upgrade by days: credit for the unused old plan, charge for the new, one ledger entry each', async () => {
    // 2027-02-20 in the period 2027-02-10 – 2027-03-10: 18 of 28 days left.
    const expected = { credit: '12.86', charge: '25.71', net: '12.85', remainingDays: 18, periodDays: 28, newPeriodPrice: '40.00' };
    expect(planChange.preview).toMatchObject({ ...expected, preview: true });
    expect(planChange.applied).toMatchObject({ ...expected, preview: false });
    const entries = await sql<{ type: string; amount: string }>(`select transaction_type as type, amount::text from balance_transactions
      where customer_id = $1 and reference_id = $2 and description like '%18 of 28 days%' order by created_at, amount`, [services.upgrader.buyer.customerId, services.upgrader.orderId]);
    expect(entries.sort((a, b) => a.amount.localeCompare(b.amount))).toEqual([{ type: 'payment', amount: '-25.71' }, { type: 'refund', amount: '12.86' }]);
    expect(providerCalls(services.upgrader.instanceName).resize).toBe(1);
    expect(bed.incus.instances.get(services.upgrader.instanceName)?.config).toMatchObject({ 'limits.cpu': '2', 'limits.memory': '4GiB' });
    const invoices = await renewals(services.upgrader);
    // The first renewal was the small plan; from the second on, the large one.
    expect(invoices.map((invoice) => invoice.total)).toEqual(['20.00', ...Array(12).fill('40.00')]);
    expect(invoices.every((invoice) => invoice.status === 'paid')).toBe(true);
  });

  it('ends the cancelled service at the end of its period, without renewing it', async () => {
    const invoices = await renewals(services.canceller);
    expect(invoices.map((invoice) => invoice.status)).toEqual(['paid', 'paid']);
    expect(await orderRow(services.canceller)).toMatchObject({ status: 'completed', period_end: '2027-04-10' });
    expect(providerCalls(services.canceller.instanceName)).toEqual({ suspend: 0, restore: 0, terminate: 1, resize: 0 });
    const [ended] = await sql<{ reason: string }>(`select payload->>'reason' as reason from event_queue where event_type = 'service_terminated' and order_id = $1`, [services.canceller.orderId]);
    expect(ended?.reason).toBe('period_end');
  });

  it('applies the every-period promotion to the first charge and each renewal, shown on the invoice line, used once', async () => {
    const row = await orderRow(services.promo);
    expect(row).toMatchObject({ amount: '18.00', renewal_amount: '18.00' });
    const invoices = await renewals(services.promo);
    expect(invoices).toHaveLength(13);
    expect(new Set(invoices.map((invoice) => invoice.total))).toEqual(new Set(['18.00']));
    expect(invoices[0]?.description).toContain('WELCOME10');
    const [promotion] = await sql<{ uses: number }>(`select uses from promotion_codes where code = 'WELCOME10'`);
    expect(promotion?.uses).toBe(1);
    // One use per customer: a second order with the code is refused and changes nothing.
    const balanceBefore = (await services.promo.buyer.api.balance.getBalance({})).balance;
    await expectCode(services.promo.buyer.api.orders.createOrder({
      customerId: services.promo.buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY',
      gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly', promotionCode: 'WELCOME10',
    }), Code.FailedPrecondition, /WELCOME10/);
    expect((await services.promo.buyer.api.balance.getBalance({})).balance).toBe(balanceBefore);
  });

  it('did nothing twice although every run was made on two workers at once', async () => {
    // Every renewal issued once per order and period, and reported once.
    const [renewalRows] = await sql<{ n: string; distinct_periods: string }>(`select count(*)::text as n, count(distinct (order_id, period_start))::text as distinct_periods from service_renewals`);
    expect(renewalRows?.n).toBe(renewalRows?.distinct_periods);
    expect(String(totals.renewalsIssued)).toBe(renewalRows?.n);
    // 13 + 13 + 3 + 13 + 2 + 13 renewals.
    expect(totals.renewalsIssued).toBe(57);
    // No invoice without its renewal row, and the year's numbers without a gap.
    const [orphans] = await sql<{ n: string }>(`select count(*)::text as n from invoices i where i.source = 'renewal' and not exists (select 1 from service_renewals r where r.invoice_id = i.id)`);
    expect(orphans?.n).toBe('0');
    const numbers = await sql<{ year: string; n: string; max: string }>(`select split_part(invoice_number, '-', 2) as year, count(*)::text as n, max(split_part(invoice_number, '-', 3)::int)::text as max
      from invoices where invoice_number is not null group by 1 order by 1`);
    for (const year of numbers) expect(year.n, `invoice numbers of ${year.year}`).toBe(year.max);
    // Each reminder once per invoice and day; each suspension / termination event once per invoice.
    const [reminders] = await sql<{ n: string; distinct_reminders: string }>(`select count(*)::text as n, count(distinct (payload->>'invoice_id', payload->>'days'))::text as distinct_reminders
      from event_queue where event_type = 'invoice_reminder'`);
    expect(reminders?.n).toBe(reminders?.distinct_reminders);
    expect(String(totals.remindersSent)).toBe(reminders?.n);
    const [suspensions] = await sql<{ n: string; distinct_invoices: string }>(`select count(*)::text as n, count(distinct payload->>'invoice_id')::text as distinct_invoices
      from event_queue where event_type = 'service_suspended'`);
    expect(suspensions).toEqual({ n: '13', distinct_invoices: '13' });
    expect(totals.servicesSuspended).toBe(13);
    expect(totals.servicesEnded).toBe(2);
    // Each admin's run is audited with what it did (two a day).
    const [audited] = await sql<{ n: string }>(`select count(*)::text as n from operation_logs where action = 'billing.lifecycle_run'`);
    expect(audited?.n).toBe(String(2 * LAST_DAY));
  });

  it('keeps the ledger invariant for every customer', async () => {
    const invariant = await moneyInvariant(bed.db.url);
    expect(invariant.checked).toBeGreaterThanOrEqual(6);
    expect(invariant.broken).toEqual([]);
  });

  it('credits the unused days when an admin cancels now with a refund, and refuses a refund to the customer', async () => {
    const credit = services.credit;
    await expectCode(credit.buyer.api.orders.cancelService({ orderId: credit.orderId, atPeriodEnd: false, refund: true }), Code.PermissionDenied, /administrator/);
    const before = new Decimal((await credit.buyer.api.balance.getBalance({})).balance);
    // 2028-02-09 in the period 2028-01-10 – 2028-02-10: 1 of 31 days left of 23.80 → 0.77; and the
    // renewal paid on 2028-02-03 for the period that will now never start comes back in full (23.80).
    const cancelled = await bed.admin.orders.cancelService({ orderId: credit.orderId, atPeriodEnd: false, refund: true });
    expect(cancelled.credited).toBe('24.57');
    expect(cancelled.order?.status).toBe('completed');
    expect((await credit.buyer.api.balance.getBalance({})).balance).toBe(before.plus('24.57').toFixed(2));
    const credits = await sql<{ amount: string; description: string }>(`select amount::text, description from balance_transactions
      where customer_id = $1 and transaction_type = 'refund' order by amount`, [credit.buyer.customerId]);
    expect(credits.map((entry) => entry.amount)).toEqual(['0.77', '23.80']);
    expect(credits[1]?.description).toMatch(/will not start/);
    await drained();
    expect(providerCalls(credit.instanceName).terminate).toBe(1);
    // The next period's renewal (issued 2028-02-03, paid) stays paid: it was paid for service now ended.
    await expectCode(bed.admin.orders.cancelService({ orderId: credit.orderId, atPeriodEnd: false, refund: true }), Code.FailedPrecondition, /completed/);
    expect((await moneyInvariant(bed.db.url)).broken).toEqual([]);
  });
});
