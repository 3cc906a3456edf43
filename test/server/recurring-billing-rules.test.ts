/**
 * The rules of recurring billing the thirteen-month test (recurring-billing.test.ts) does not
 * cover, on one real two-worker cluster with a simulated business clock
 * (NODEBILL_SIMULATED_CLOCK_FILE), the local Incus server behind provider-incus and RunBillingLifecycle
 * called by the test:
 *
 * - promotion codes: the total use limit under eight simultaneous orders, and every reason a code
 *   is refused; a fixed discount larger than the price;
 * - tax rules: country, region (any case), no country, reverse charge, on the order and on its renewal;
 * - ChangeServicePlan's refusals (the instance resized back when the money path refuses), its
 *   preview, and a downgrade that gives money back;
 * - CancelService's refusals, cancelling now, at the period end, and the idempotency key;
 * - OrderInfo's and InvoiceInfo's recurring-billing fields, GetBillingSettings;
 * - an administrator paying a suspended customer's overdue renewal;
 * - and, on a second cluster with `[billing] prices_include_tax = true`, the tax taken out of the
 *   catalog price on orders, previews and renewals.
 *
 * The clock only moves forward, so the tests run in file order, in phases (each service's period
 * starts at 12:00 UTC on 2027-01-10):
 * - 2027-01-10 (T0): orders, refusals, cancellations now;
 * - 2027-01-20: a downgrade with 21 of 31 days left;
 * - 2027-02-03 (7 days before the period ends): the renewal invoices are issued (and paid
 *   automatically for customers in credit);
 * - 2027-02-13 (the renewal 3 days past due): unpaid services are suspended.
 * Each test uses customers of its own; every refused call is checked to have changed nothing
 * (balance, ledger, orders, instances, invoices, events of the customer, Incus calls).
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService, type PromotionTerms } from '../../src/gen/rustbill/billing_pb.ts';
import type { OrderInfo } from '../../src/gen/rustbill/order_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { queryRows } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { expectCode } from '../support/expect-code.ts';
import { BALANCE, moneyInvariant, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

/** The plans of the extra products (README "Spec pricing": a product's `specs` is the spec its price buys). */
const PLANS = { large: { cpu_cores: '4', memory_gb: '8' }, tiny: { cpu_cores: '1', memory_gb: '2' } };
const planOf: Record<string, Record<string, string>> = {};
/** The ServerSpec of an order of `productId`: its plan's sizes, SPEC for the bed's product. */
function specFor(productId: string | undefined) {
  const plan = productId === undefined ? undefined : planOf[productId];
  return plan ? { ...SPEC, cpuCores: Number(plan.cpu_cores), memoryGb: Number(plan.memory_gb) } : SPEC;
}

const DAY_MS = 86_400_000;
/** The simulated start: every service of this file starts at 12:00 UTC on 2027-01-10. */
const T0 = Date.parse('2027-01-10T12:00:00Z');
const SETTINGS = {
  due_days: 21, renewal_invoice_days_before: 7, reminder_days_before: [3], reminder_days_after: [1, 5], suspend_after_days: 3, terminate_after_days: 10,
  prices_include_tax: false,
};

type Buyer = Awaited<ReturnType<MoneyBed['customer']>>;
interface Service { buyer: Buyer; orderId: string; instanceName: string; created: OrderInfo }
type Billing = ReturnType<typeof grpcClient<typeof BillingService>>;

/** A simulated clock of its own for one bed (a file the cluster re-reads on every call). */
function simulatedClock(start: number): { file: string; now(): number; set(at: number): void } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'nodebill-clock-')), 'now');
  let current = start;
  const write = (at: number): void => {
    writeFileSync(`${file}.next`, new Date(at).toISOString());
    renameSync(`${file}.next`, file);
  };
  write(start);
  return {
    file,
    now: () => current,
    set(at) {
      if (at < current) throw new Error('the simulated clock only moves forward in this file');
      current = at;
      write(at);
    },
  };
}

/** PromotionTerms with defaults: 10 % off the first period, no limits, active. */
function promotionTerms(terms: Partial<PromotionTerms> & { code: string }): Omit<PromotionTerms, '$typeName'> {
  return {
    kind: 'percent', value: '10', recurrence: 'first_period', productIds: [], billingCycles: [], validFrom: '', validUntil: '',
    maxUses: 0, maxUsesPerCustomer: 0, isActive: true, description: '', ...terms,
  };
}

/** Helpers over one bed (the main bed and the prices-include-tax bed share them). */
function bedHelpers(getBed: () => MoneyBed) {
  async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return queryRows<T>(getBed().db.url, text, params);
  }

  /** Waits until every outbox event but notification deliveries is handled and no paid order waits for its instance. */
  async function drained(): Promise<void> {
    await eventually(async () => {
      const [row] = await sql<{ events: string; waiting: string }>(`select
          (select count(*) from event_queue where status in ('pending', 'queued', 'processing') and event_type <> 'notification_delivery')::text as events,
          (select count(*) from orders where status in ('paid', 'provisioning'))::text as waiting`);
      return row?.events === '0' && row.waiting === '0' ? true : undefined;
    }, 'the events handled and every paid order provisioned', 30_000);
  }

  function orderRequest(buyer: Buyer, options: { productId?: string; promotionCode?: string; gateway?: string; billingCycle?: string } = {}) {
    return {
      customerId: buyer.customerId, productId: options.productId ?? getBed().productId, providerInterfaceId: getBed().providerId, serverSpec: specFor(options.productId), currency: 'CNY',
      gatewayInterfaceId: options.gateway ?? BALANCE, notes: '', billingCycle: options.billingCycle ?? 'monthly',
      ...(options.promotionCode !== undefined ? { promotionCode: options.promotionCode } : {}),
    };
  }

  /** Orders from the balance and waits for the instance (the service's period starts then). */
  async function order(buyer: Buyer, options: { productId?: string; promotionCode?: string } = {}): Promise<Service> {
    const created = await buyer.api.orders.createOrder(orderRequest(buyer, options));
    const orderId = created.order?.id ?? '';
    const instanceName = await eventually(async () => {
      const [row] = await sql<{ provider_instance_id: string | null }>(`select provider_instance_id from instances where order_id = $1`, [orderId]);
      return row?.provider_instance_id ?? undefined;
    }, 'the instance');
    if (!created.order) throw new Error('CreateOrder answered no order');
    return { buyer, orderId, instanceName, created: created.order };
  }

  /** The Incus calls made for `instance`, by kind (as in recurring-billing.test.ts), and the PATCH bodies. */
  function providerCalls(instance: string): { suspend: number; restore: number; terminate: number; resize: number } {
    const mine = incusRequests(instance);
    const action = (request: (typeof mine)[number]): { action?: string; force?: boolean } => bodyOf(request) as { action?: string; force?: boolean };
    return {
      suspend: mine.filter((request) => request.method === 'PUT' && action(request).action === 'stop' && action(request).force !== true).length,
      restore: mine.filter((request) => request.method === 'PUT' && action(request).action === 'start').length,
      terminate: mine.filter((request) => request.method === 'DELETE').length,
      resize: mine.filter((request) => request.method === 'PATCH').length,
    };
  }

  function incusRequests(instance: string) {
    return getBed().incus.requests.filter((request) => request.path.startsWith(`/1.0/instances/${encodeURIComponent(instance)}`));
  }

  function bodyOf(request: { body: unknown }): Record<string, unknown> {
    return (typeof request.body === 'string' && request.body !== '' ? JSON.parse(request.body) : (request.body ?? {})) as Record<string, unknown>;
  }

  /**
   * Everything a money command of `customerId` could change: the customer's balance and version
   * (every committed command bumps it), its ledger, orders, instances, invoices, payments,
   * promotion redemptions and outbox events.
   */
  async function stateOf(customerId: string): Promise<Record<string, unknown>> {
    const [customer] = await sql(`select balance::text as balance, version from customers where id = $1`, [customerId]);
    const ledger = await sql(`select id, transaction_type, amount::text as amount, balance_after::text as balance_after from balance_transactions where customer_id = $1 order by created_at, id`, [customerId]);
    const orders = await sql(`select id, status, version, product_id, amount::text as amount, tax_amount::text as tax, renewal_amount::text as renewal_amount,
        period_price::text as period_price, period_start, period_end, cancel_at_period_end, server_spec, promotion_code
      from orders where customer_id = $1 order by created_at, id`, [customerId]);
    const instances = await sql(`select order_id, status, server_spec from instances where customer_id = $1 order by created_at, id`, [customerId]);
    const invoices = await sql(`select id, status, paid_amount::text as paid from invoices where customer_id = $1 order by created_at, id`, [customerId]);
    const payments = await sql(`select id, status, amount::text as amount from payments where customer_id = $1 order by created_at, id`, [customerId]);
    const [redemptions] = await sql(`select count(*)::text as n from promotion_redemptions where customer_id = $1`, [customerId]);
    const [events] = await sql(`select count(*)::text as n from event_queue where customer_id = $1 and event_type <> 'notification_delivery'`, [customerId]);
    return { customer, ledger, orders, instances, invoices, payments, redemptions, events };
  }

  /** The customer's balance as GetBalance answers it. */
  async function balanceOf(buyer: Buyer): Promise<string> {
    return (await buyer.api.balance.getBalance({})).balance;
  }

  /** BillingService as `buyer`. */
  function billingOf(buyer: Buyer): Billing {
    return grpcClient(BillingService, getBed().server.url, bearer(buyer.accessToken));
  }

  return { sql, drained, orderRequest, order, providerCalls, incusRequests, bodyOf, stateOf, balanceOf, billingOf };
}

/** The renewal invoice of `orderId`'s next period (its id and status). */
async function renewalOf(sql: ReturnType<typeof bedHelpers>['sql'], orderId: string): Promise<{ id: string; status: string }> {
  const [row] = await sql<{ id: string; status: string }>(`select i.id, i.status from service_renewals r join invoices i on i.id = r.invoice_id
    where r.order_id = $1 order by r.period_start desc limit 1`, [orderId]);
  if (!row) throw new Error(`order ${orderId} has no renewal invoice`);
  return row;
}

describe('recurring billing rules (one cluster, simulated clock)', () => {
  const clock = simulatedClock(T0);
  let bed: MoneyBed;
  let billing: Billing;
  let largeProductId = '';
  let tinyProductId = '';
  let foreignProductId = '';
  const { sql, drained, orderRequest, order, providerCalls, incusRequests, bodyOf, stateOf, balanceOf, billingOf } = bedHelpers(() => bed);
  /** Services ordered at T0 by tests of later phases (their own customers). */
  const later: Partial<Record<'paidThenCancelled' | 'taxFr' | 'taxCorse' | 'taxNone' | 'taxNlBusiness' | 'taxNlPrivate' | 'fields' | 'downgrader' | 'periodEnd' | 'suspended' | 'late', Service>> = {};
  function laterService(name: keyof typeof later): Service {
    const service = later[name];
    if (!service) throw new Error(`the service ${name} was not ordered (did an earlier test fail?)`);
    return service;
  }

  /** Moves the business clock once everything pending was handled (a service never starts at a moved time by accident). */
  async function moveClock(at: number): Promise<void> {
    await drained();
    clock.set(at);
  }

  /** Runs the lifecycle on both workers at once (as the periodic job could) and waits for its events. */
  async function runLifecycle(): Promise<{ renewalsIssued: number; renewalsAutoPaid: number; servicesSuspended: number; servicesEnded: number }> {
    const second = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    const reports = await Promise.all([billing, second].map((client) => client.runBillingLifecycle({})));
    await drained();
    const sum = (key: 'renewalsIssued' | 'renewalsAutoPaid' | 'servicesSuspended' | 'servicesEnded'): number => reports.reduce((total, report) => total + report[key], 0);
    return { renewalsIssued: sum('renewalsIssued'), renewalsAutoPaid: sum('renewalsAutoPaid'), servicesSuspended: sum('servicesSuspended'), servicesEnded: sum('servicesEnded') };
  }

  beforeAll(async () => {
    bed = await startMoneyBed({
      env: { NODEBILL_SIMULATED_CLOCK_FILE: clock.file },
      config: {
        // The periodic run is left to the test (RunBillingLifecycle): once a year of real time.
        billing: { ...SETTINGS, lifecycle_interval_secs: 31_536_000 },
        jobs: { poll_interval_ms: 100, backoff_base_ms: 100, backoff_max_ms: 500 },
        // Instance statuses are not refreshed from Incus behind the test's back (snapshots compare them).
        orders: { instance_refresh_interval_secs: 31_536_000 },
      },
    });
    billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    await billing.createTaxRule({ terms: { country: 'FR', region: '', rate: '20.00', reverseCharge: false, name: 'TVA', isActive: true } });
    await billing.createTaxRule({ terms: { country: 'FR', region: 'Corse', rate: '10.00', reverseCharge: false, name: 'TVA Corse', isActive: true } });
    await billing.createTaxRule({ terms: { country: 'NL', region: '', rate: '21.00', reverseCharge: true, name: 'BTW', isActive: true } });
    const large = await bed.admin.products.createProduct({ name: 'VPS Large', description: '4 cores, 8 GB', pricePerMonth: '40.00', interfaceId: bed.providerId, costPrice: '20.00', specs: PLANS.large });
    largeProductId = large.product?.id ?? '';
    planOf[largeProductId] = PLANS.large;
    const tiny = await bed.admin.products.createProduct({ name: 'VPS Tiny', description: '1 core, 2 GB', pricePerMonth: '8.00', interfaceId: bed.providerId, costPrice: '4.00', specs: PLANS.tiny });
    tinyProductId = tiny.product?.id ?? '';
    planOf[tinyProductId] = PLANS.tiny;
    // A product sold through another provider interface (an upstream RustBill, never enabled nor called).
    const rustbill = (await bed.admin.integration.listPlugins({})).plugins.find((plugin) => plugin.pluginId === 'rustbill');
    const upstream = await bed.admin.integration.createPluginInterface({
      pluginDefId: rustbill?.id ?? '', displayName: 'Upstream RustBill', configJson: JSON.stringify({ api_url: 'http://127.0.0.1:9', api_key: 'not-used' }),
    });
    const foreign = await bed.admin.products.createProduct({
      name: 'Upstream VPS', description: 'sold through the upstream', pricePerMonth: '30.00', interfaceId: upstream.interface?.id ?? '', costPrice: '15.00',
    });
    foreignProductId = foreign.product?.id ?? '';
    expect(foreign.product?.interfaceId).not.toBe(bed.providerId);
    await billing.createPromotionCode({ terms: promotionTerms({ code: 'EVERY10', recurrence: 'every_period', maxUsesPerCustomer: 1 }) });

    // Services of the later phases, ordered now so that their period starts at T0.
    later.downgrader = await order(await bed.customer('1000.00'), { productId: largeProductId });
    later.paidThenCancelled = await order(await bed.customer('1000.00'));
    // Customers whose balance pays the first month only: their renewal stays unpaid.
    later.periodEnd = await order(await bed.customer('20.00'));
    later.suspended = await order(await bed.customer('20.00'));
    later.late = await order(await bed.customer('20.00'));
    await drained();
  }, 180_000);

  afterAll(async () => {
    await bed?.stop();
  });

  describe('2027-01-10: ordering', () => {
    it('GetBillingSettings shows the [billing] overlay the cluster was started with (admins only)', async () => {
      const settings = await billing.getBillingSettings({});
      expect({
        dueDays: settings.dueDays, renewalInvoiceDaysBefore: settings.renewalInvoiceDaysBefore, reminderDaysBefore: settings.reminderDaysBefore,
        reminderDaysAfter: settings.reminderDaysAfter, suspendAfterDays: settings.suspendAfterDays, terminateAfterDays: settings.terminateAfterDays,
        pricesIncludeTax: settings.pricesIncludeTax, lifecycleIntervalSecs: settings.lifecycleIntervalSecs,
      }).toEqual({
        dueDays: 21, renewalInvoiceDaysBefore: 7, reminderDaysBefore: [3], reminderDaysAfter: [1, 5], suspendAfterDays: 3, terminateAfterDays: 10,
        pricesIncludeTax: false, lifecycleIntervalSecs: 31_536_000,
      });
      const buyer = await bed.customer();
      await expectCode(grpcClient(BillingService, bed.server.url, bearer(buyer.accessToken)).getBillingSettings({}), Code.PermissionDenied);
    });

    it('lets exactly max_uses (3) of eight customers ordering at the same moment use a code; the other five are refused and charged nothing', async () => {
      const created = await billing.createPromotionCode({ terms: promotionTerms({ code: 'RUSH3', value: '25', maxUses: 3 }) });
      const promotionId = created.promotion?.id ?? '';
      const buyers: Buyer[] = [];
      for (let index = 0; index < 8; index += 1) buyers.push(await bed.customer('100.00'));
      const before = await Promise.all(buyers.map((buyer) => stateOf(buyer.customerId)));

      const results = await Promise.allSettled(buyers.map((buyer) => buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'rush3' }))));

      const won = results.flatMap((result, index) => (result.status === 'fulfilled' ? [{ buyer: buyers[index] as Buyer, order: result.value.order }] : []));
      const lost = results.flatMap((result, index) => (result.status === 'rejected' ? [{ buyer: buyers[index] as Buyer, index, reason: result.reason as unknown }] : []));
      expect(won).toHaveLength(3);
      expect(lost).toHaveLength(5);
      for (const { order: placed } of won) {
        // 20.00 less 25 %, no tax (no country): paid from the balance at once.
        expect(placed).toMatchObject({ amount: '15.00', discountAmount: '5.00', promotionCode: 'RUSH3', taxAmount: '0.00', renewalAmount: '20.00', status: 'paid' });
      }
      for (const { buyer } of won) expect(await balanceOf(buyer)).toBe('85.00');
      for (const { buyer, index, reason } of lost) {
        expect(reason).toBeInstanceOf(ConnectError);
        expect(Code[(reason as ConnectError).code]).toBe(Code[Code.FailedPrecondition]);
        expect((reason as ConnectError).rawMessage).toMatch(/used up/);
        // Nothing charged, no order, no redemption, no event: exactly as before.
        expect(await balanceOf(buyer)).toBe('100.00');
        const state = await stateOf(buyer.customerId);
        expect(state.orders).toEqual([]);
        expect(state.ledger).toHaveLength(1);
        expect(state).toEqual(before[index]);
      }
      const [code] = await sql<{ uses: number }>(`select uses from promotion_codes where id = $1`, [promotionId]);
      expect(code?.uses).toBe(3);
      const listed = await billing.listPromotionCodes({ codePrefix: 'rush' });
      expect(listed.promotions.map((promotion) => [promotion.terms?.code, promotion.uses])).toEqual([['RUSH3', 3]]);
      const redemptions = await sql<{ order_id: string; customer_id: string; discount: string }>(
        `select order_id, customer_id, discount_amount::text as discount from promotion_redemptions where promotion_id = $1 order by order_id`, [promotionId]);
      expect(redemptions.map((row) => row.order_id).sort()).toEqual(won.map((entry) => entry.order?.id ?? '').sort());
      expect(redemptions.map((row) => row.customer_id).sort()).toEqual(won.map((entry) => entry.buyer.customerId).sort());
      expect(redemptions.map((row) => row.discount)).toEqual(['5.00', '5.00', '5.00']);
      // A ninth customer, later, is refused by the early check too.
      const ninth = await bed.customer('100.00');
      const ninthBefore = await stateOf(ninth.customerId);
      await expectCode(ninth.api.orders.createOrder(orderRequest(ninth, { promotionCode: 'RUSH3' })), Code.FailedPrecondition, /RUSH3 has been used up/);
      expect(await stateOf(ninth.customerId)).toEqual(ninthBefore);
      await drained();
    });

    it('refuses an expired, not yet valid, inactive, unknown code, or one of another product or cycle, changing nothing', async () => {
      const buyer = await bed.customer('100.00');
      await billing.createPromotionCode({ terms: promotionTerms({ code: 'EXPIRED10', validFrom: '2026-06-01T00:00:00Z', validUntil: '2027-01-01T00:00:00Z' }) });
      await billing.createPromotionCode({ terms: promotionTerms({ code: 'LATER10', validFrom: '2027-03-01T00:00:00Z' }) });
      await billing.createPromotionCode({ terms: promotionTerms({ code: 'LARGEONLY', productIds: [largeProductId] }) });
      await billing.createPromotionCode({ terms: promotionTerms({ code: 'YEARLYONLY', billingCycles: ['yearly'] }) });
      await billing.createPromotionCode({ terms: promotionTerms({ code: 'SLEEPING', isActive: false }) });
      const before = await stateOf(buyer.customerId);

      // Expired relative to the simulated clock (2027-01-10), although still valid by the real one.
      await expectCode(buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'EXPIRED10' })), Code.FailedPrecondition, /EXPIRED10 expired on 2027-01-01T00:00:00Z/);
      await expectCode(buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'later10' })), Code.FailedPrecondition, /LATER10 is not valid before 2027-03-01T00:00:00Z/);
      await expectCode(buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'LARGEONLY' })), Code.FailedPrecondition, /LARGEONLY is not valid for this product/);
      await expectCode(buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'YEARLYONLY' })), Code.FailedPrecondition,
        /YEARLYONLY is not valid for the monthly billing cycle; it is valid for yearly/);
      await expectCode(buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'SLEEPING' })), Code.FailedPrecondition, /SLEEPING is no longer active/);
      await expectCode(buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'NOSUCHCODE' })), Code.NotFound, /promotion code NOSUCHCODE does not exist/);
      await expectCode(buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'x!' })), Code.InvalidArgument, /promotion_code/);
      expect(await stateOf(buyer.customerId)).toEqual(before);
      expect(await balanceOf(buyer)).toBe('100.00');
      const uses = await sql<{ code: string; uses: number }>(`select code, uses from promotion_codes where code in ('EXPIRED10', 'LATER10', 'LARGEONLY', 'YEARLYONLY', 'SLEEPING') order by code`);
      expect(uses.map((row) => row.uses)).toEqual([0, 0, 0, 0, 0]);

      // The product restriction is the only reason: the same code on the product it names applies (40.00 less 10 %).
      const control = await buyer.api.orders.createOrder(orderRequest(buyer, { productId: largeProductId, promotionCode: 'LARGEONLY' }));
      expect(control.order).toMatchObject({ amount: '36.00', discountAmount: '4.00', promotionCode: 'LARGEONLY' });
      expect(await balanceOf(buyer)).toBe('64.00');
      await drained();
    });

    it('never makes a fixed discount larger than the price give a negative amount; a free order is paid from the balance with no ledger entry', async () => {
      await billing.createPromotionCode({ terms: promotionTerms({ code: 'MINUS50', kind: 'fixed', value: '50.00', maxUsesPerCustomer: 2 }) });
      const buyer = await bed.customer('5.00');
      // A free first month with the balance method: paid (a 0.00 payment), no ledger entry, provisioned.
      const free = await buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'MINUS50' }));
      expect(free.order).toMatchObject({ status: 'paid', amount: '0.00', discountAmount: '20.00' });
      await eventually(async () => {
        const [row] = await sql<{ status: string }>(`select status from orders where id = $1`, [free.order?.id ?? '']);
        return row?.status === 'active' ? true : undefined;
      }, 'the free order active');
      const [entries] = await sql<{ n: string }>(`select count(*)::text as n from balance_transactions where customer_id = $1 and transaction_type = 'payment'`, [buyer.customerId]);
      expect(entries?.n).toBe('0');
      expect(await balanceOf(buyer)).toBe('5.00');
      const [used] = await sql<{ uses: number }>(`select uses from promotion_codes where code = 'MINUS50'`);
      expect(used?.uses).toBe(1);
      await drained();

      // Ordered without paying now: the amount is 0.00, never negative, the discount the whole price.
      const pending = await buyer.api.orders.createOrder(orderRequest(buyer, { promotionCode: 'MINUS50', gateway: '' }));
      expect(pending.order).toMatchObject({ status: 'pending', amount: '0.00', discountAmount: '20.00', promotionCode: 'MINUS50', renewalAmount: '20.00', taxAmount: '0.00' });
      const [row] = await sql<{ amount: string; discount: string }>(`select amount::text as amount, discount_amount::text as discount from orders where id = $1`, [pending.order?.id ?? '']);
      expect(row).toEqual({ amount: '0.00', discount: '20.00' });
      // PayOrder from the balance pays it the same way: nothing leaves the balance.
      const paid = await buyer.api.orders.payOrder({ orderId: pending.order?.id ?? '', gatewayInterfaceId: BALANCE });
      expect(paid.payment?.paymentId).not.toBe('');
      expect(await balanceOf(buyer)).toBe('5.00');
      await drained();
    });

    it('taxes new orders by the customer\'s country and region (any case), not without a country, and not under the reverse charge', async () => {
      const place = async (update: { country?: string; region?: string; taxNumber?: string }): Promise<Buyer> => {
        const buyer = await bed.customer('100.00');
        if (Object.keys(update).length > 0) await bed.admin.customers.updateCustomer({ id: buyer.customerId, ...update });
        return buyer;
      };
      const buyers = {
        taxFr: await place({ country: 'FR', region: '' }),
        taxCorse: await place({ country: 'fr', region: 'corse' }),
        taxNone: await place({}),
        taxNlBusiness: await place({ country: 'NL', taxNumber: 'NL123456789B01' }),
        taxNlPrivate: await place({ country: 'NL' }),
      };
      const expected = {
        taxFr: { amount: '24.00', taxAmount: '4.00' },
        taxCorse: { amount: '22.00', taxAmount: '2.00' },
        taxNone: { amount: '20.00', taxAmount: '0.00' },
        taxNlBusiness: { amount: '20.00', taxAmount: '0.00' },
        taxNlPrivate: { amount: '24.20', taxAmount: '4.20' },
      };
      for (const name of Object.keys(buyers) as Array<keyof typeof buyers>) {
        const service = await order(buyers[name]);
        later[name] = service;
        expect(service.created, name).toMatchObject({ ...expected[name], renewalAmount: '20.00', discountAmount: '0.00', promotionCode: '' });
        expect(await balanceOf(buyers[name]), name).toBe(new Decimal(100).minus(expected[name].amount).toFixed(2));
        const ledger = await sql<{ amount: string }>(`select amount::text as amount from balance_transactions where customer_id = $1 and transaction_type = 'payment'`, [buyers[name].customerId]);
        expect(ledger.map((entry) => entry.amount), name).toEqual([`-${expected[name].amount}`]);
      }
      await drained();
    });

    it('orders with an every-period promotion and tax: the OrderInfo price fields, and no period before activation', async () => {
      const buyer = await bed.customer('1000.00');
      await bed.admin.customers.updateCustomer({ id: buyer.customerId, country: 'FR' });
      const service = await order(buyer, { promotionCode: 'every10' });
      later.fields = service;
      // 20.00 less 10 % = 18.00, plus 20 % TVA = 21.60; the renewal price is the discounted catalog price.
      expect(service.created).toMatchObject({
        status: 'paid', amount: '21.60', taxAmount: '3.60', discountAmount: '2.00', promotionCode: 'EVERY10', renewalAmount: '18.00',
        periodStart: '', periodEnd: '', nextRenewalOn: '', periodPrice: '', cancelAtPeriodEnd: 'false',
      });
      await drained();
    });

    it('ChangeServicePlan refuses a product of another provider, the same plan, and another customer\'s order, changing nothing', async () => {
      const service = await order(await bed.customer('1000.00'));
      const other = await bed.customer('1000.00');
      await drained();
      const before = await stateOf(service.buyer.customerId);
      const otherBefore = await stateOf(other.customerId);
      const orders = service.buyer.api.orders;

      await expectCode(orders.changeServicePlan({ orderId: service.orderId, productId: foreignProductId }), Code.InvalidArgument, /is sold through provider interface .*, not the service's/);
      await expectCode(orders.changeServicePlan({ orderId: service.orderId, productId: foreignProductId, preview: true }), Code.InvalidArgument, /provider interface/);
      await expectCode(orders.changeServicePlan({ orderId: service.orderId, productId: bed.productId }), Code.InvalidArgument, /same as the current one/);
      await expectCode(other.api.orders.changeServicePlan({ orderId: service.orderId, productId: largeProductId }), Code.NotFound);
      await expectCode(other.api.orders.changeServicePlan({ orderId: service.orderId, productId: largeProductId, preview: true }), Code.NotFound);
      await expectCode(orders.changeServicePlan({ orderId: service.orderId, productId: '00000000-0000-7000-8000-0000000000ff' }), Code.NotFound);

      expect(await stateOf(service.buyer.customerId)).toEqual(before);
      expect(await stateOf(other.customerId)).toEqual(otherBefore);
      expect(providerCalls(service.instanceName)).toEqual({ suspend: 0, restore: 0, terminate: 0, resize: 0 });
    });

    // The order's spec comes back from jsonb with its keys in another order than the request's: the
    // comparison must not depend on it (it once did, and this applied a no-op plan change).
    it('ChangeServicePlan refuses the same product with the same server_spec sent explicitly, changing nothing', async () => {
      const service = await order(await bed.customer('1000.00'));
      await drained();
      const before = await stateOf(service.buyer.customerId);
      await expectCode(service.buyer.api.orders.changeServicePlan({ orderId: service.orderId, productId: '', serverSpec: SPEC }), Code.InvalidArgument, /same as the current one/);
      await expectCode(service.buyer.api.orders.changeServicePlan({ orderId: service.orderId, productId: bed.productId, serverSpec: SPEC }), Code.InvalidArgument, /same as the current one/);
      expect(await stateOf(service.buyer.customerId)).toEqual(before);
      expect(providerCalls(service.instanceName).resize).toBe(0);
    });

    it('a ChangeServicePlan preview computes the amounts and changes nothing (no PATCH, no ledger entry, same order version)', async () => {
      const service = await order(await bed.customer('1000.00'));
      await drained();
      const before = await stateOf(service.buyer.customerId);
      const preview = await service.buyer.api.orders.changeServicePlan({
        orderId: service.orderId, productId: largeProductId, serverSpec: { ...SPEC, cpuCores: 4, memoryGb: 8 }, preview: true,
      });
      // On the first day of a 31-day period: the whole old price back, the whole new price charged.
      expect({ credit: preview.credit, charge: preview.charge, net: preview.net, remainingDays: preview.remainingDays, periodDays: preview.periodDays, newPeriodPrice: preview.newPeriodPrice, preview: preview.preview })
        .toEqual({ credit: '20.00', charge: '40.00', net: '20.00', remainingDays: 31, periodDays: 31, newPeriodPrice: '40.00', preview: true });
      expect(preview.order).toMatchObject({ productId: bed.productId, productName: 'VPS Small', periodPrice: '20.00', serverSpec: { cpuCores: 2, memoryGb: 4 } });
      expect(await stateOf(service.buyer.customerId)).toEqual(before);
      expect(providerCalls(service.instanceName).resize).toBe(0);
      expect(bed.incus.instances.get(service.instanceName)?.config).toMatchObject({ 'limits.cpu': '2', 'limits.memory': '4GiB' });
    });

    it('refuses an upgrade the balance cannot pay: insufficient funds, the instance resized back at Incus, no ledger entry', async () => {
      const service = await order(await bed.customer('20.00'));
      await drained();
      expect(await balanceOf(service.buyer)).toBe('0.00');
      const before = await stateOf(service.buyer.customerId);
      // Credit 20.00 for the whole unused period, charge 40.00: 20.00 more than the balance (0.00) allows.
      await expectCode(service.buyer.api.orders.changeServicePlan({ orderId: service.orderId, productId: largeProductId, serverSpec: { ...SPEC, cpuCores: 4, memoryGb: 8 } }),
        Code.FailedPrecondition, /insufficient funds/);
      const patches = incusRequests(service.instanceName).filter((request) => request.method === 'PATCH').map((request) => bodyOf(request).config);
      expect(patches).toEqual([{ 'limits.cpu': '4', 'limits.memory': '8GiB' }, { 'limits.cpu': '2', 'limits.memory': '4GiB' }]);
      expect(bed.incus.instances.get(service.instanceName)?.config).toMatchObject({ 'limits.cpu': '2', 'limits.memory': '4GiB' });
      expect(await stateOf(service.buyer.customerId)).toEqual(before);
      expect(await balanceOf(service.buyer)).toBe('0.00');
      const reply = await service.buyer.api.orders.getOrder({ id: service.orderId });
      expect(reply.order).toMatchObject({ productId: bed.productId, status: 'active', periodPrice: '20.00', serverSpec: { cpuCores: 2, memoryGb: 4 } });
    });

    it('CancelService refuses a refund to a customer, a refund at the period end, another customer\'s order and a pending order, changing nothing', async () => {
      const service = await order(await bed.customer('1000.00'));
      const other = await bed.customer('1000.00');
      const pending = await service.buyer.api.orders.createOrder(orderRequest(service.buyer, { gateway: '' }));
      expect(pending.order?.status).toBe('pending');
      await drained();
      const before = await stateOf(service.buyer.customerId);
      const otherBefore = await stateOf(other.customerId);
      const orders = service.buyer.api.orders;

      await expectCode(orders.cancelService({ orderId: service.orderId, atPeriodEnd: false, refund: true }), Code.PermissionDenied, /administrator/);
      await expectCode(bed.admin.orders.cancelService({ orderId: service.orderId, atPeriodEnd: true, refund: true }), Code.InvalidArgument, /at_period_end/);
      await expectCode(other.api.orders.cancelService({ orderId: service.orderId, atPeriodEnd: true }), Code.NotFound);
      await expectCode(other.api.orders.cancelService({ orderId: service.orderId, atPeriodEnd: false }), Code.NotFound);
      await expectCode(orders.cancelService({ orderId: pending.order?.id ?? '', atPeriodEnd: true }), Code.FailedPrecondition, /is pending; only an active or suspended service can be cancelled/);
      await expectCode(orders.cancelService({ orderId: pending.order?.id ?? '', atPeriodEnd: false }), Code.FailedPrecondition, /is pending; only an active or suspended service can be cancelled/);

      await drained();
      expect(await stateOf(service.buyer.customerId)).toEqual(before);
      expect(await stateOf(other.customerId)).toEqual(otherBefore);
      expect(providerCalls(service.instanceName)).toEqual({ suspend: 0, restore: 0, terminate: 0, resize: 0 });
      expect((await orders.getOrder({ id: service.orderId })).order).toMatchObject({ status: 'active', cancelAtPeriodEnd: 'false', nextRenewalOn: '2027-02-10' });
    });

    it('cancels now without a refund: completed, the instance deleted once at Incus, no ledger entry; the idempotency key replays the answer', async () => {
      const service = await order(await bed.customer('1000.00'));
      await drained();
      const before = await stateOf(service.buyer.customerId);
      const headers = { 'idempotency-key': `cancel-${service.orderId}` };
      const first = await service.buyer.api.orders.cancelService({ orderId: service.orderId, atPeriodEnd: false }, { headers });
      expect(first.credited).toBe('0.00');
      expect(first.order).toMatchObject({ status: 'completed', nextRenewalOn: '', cancelAtPeriodEnd: 'false' });
      // The same key: the same answer, nothing done again.
      const again = await service.buyer.api.orders.cancelService({ orderId: service.orderId, atPeriodEnd: false }, { headers });
      expect(again).toEqual(first);
      // Without the key it is a new request, refused: the service has ended.
      await expectCode(service.buyer.api.orders.cancelService({ orderId: service.orderId, atPeriodEnd: false }), Code.FailedPrecondition, /completed/);
      await drained();

      const after = await stateOf(service.buyer.customerId);
      expect(after.ledger).toEqual(before.ledger);
      expect((after.customer as { balance: string }).balance).toBe('980.00');
      const events = await sql<{ event_type: string; reason: string | null }>(`select event_type, payload->>'reason' as reason from event_queue
        where order_id = $1 and event_type = 'service_terminated'`, [service.orderId]);
      expect(events).toEqual([{ event_type: 'service_terminated', reason: 'cancelled' }]);
      await eventually(async () => (providerCalls(service.instanceName).terminate === 1 ? true : undefined), 'the DELETE at Incus');
      expect(providerCalls(service.instanceName)).toMatchObject({ terminate: 1, resize: 0 });
      expect(bed.incus.instances.has(service.instanceName)).toBe(false);
      const [instance] = await sql<{ status: string }>(`select status from instances where order_id = $1`, [service.orderId]);
      expect(instance?.status).toBe('terminated');
    });
  });

  describe('2027-01-20: mid-period', () => {
    it('a downgrade gives money back: credit for 21 of 31 days of the old plan, charge for the new, exact ledger entries', async () => {
      await moveClock(Date.parse('2027-01-20T12:00:00Z'));
      const service = laterService('downgrader');
      const before = await stateOf(service.buyer.customerId);
      expect(await balanceOf(service.buyer)).toBe('960.00');
      const request = { orderId: service.orderId, productId: tinyProductId, serverSpec: { ...SPEC, cpuCores: 1, memoryGb: 2 } };
      const preview = await service.buyer.api.orders.changeServicePlan({ ...request, preview: true });
      expect(await stateOf(service.buyer.customerId)).toEqual(before);
      const applied = await service.buyer.api.orders.changeServicePlan(request);
      // 40.00 × 21/31 = 27.10 back; 8.00 × 21/31 = 5.42 charged; net −21.68.
      const amounts = { credit: '27.10', charge: '5.42', net: '-21.68', remainingDays: 21, periodDays: 31, newPeriodPrice: '8.00' };
      expect(preview).toMatchObject({ ...amounts, preview: true });
      expect(applied).toMatchObject({ ...amounts, preview: false });
      expect(applied.order).toMatchObject({ productId: tinyProductId, productName: 'VPS Tiny', periodPrice: '8.00', renewalAmount: '8.00', status: 'active', serverSpec: { cpuCores: 1, memoryGb: 2 } });
      expect(await balanceOf(service.buyer)).toBe('981.68');
      const entries = await sql<{ type: string; amount: string; description: string }>(`select transaction_type as type, amount::text as amount, description from balance_transactions
        where customer_id = $1 and reference_id = $2 and description like '%21 of 31 days%' order by amount`, [service.buyer.customerId, service.orderId]);
      expect(entries.map((entry) => [entry.type, entry.amount])).toEqual([['payment', '-5.42'], ['refund', '27.10']]);
      expect(providerCalls(service.instanceName).resize).toBe(1);
      expect(bed.incus.instances.get(service.instanceName)?.config).toMatchObject({ 'limits.cpu': '1', 'limits.memory': '2GiB' });
      const [instance] = await sql<{ spec: Record<string, string> }>(`select server_spec as spec from instances where order_id = $1`, [service.orderId]);
      expect(instance?.spec).toMatchObject({ cpu_cores: '1', memory_gb: '2' });
      expect((await moneyInvariant(bed.db.url)).broken).toEqual([]);
    });
  });

  describe('2027-02-03: renewal invoices issued', () => {
    beforeAll(async () => {
      await moveClock(Date.parse('2027-02-03T12:00:00Z'));
      const report = await runLifecycle();
      const [issued] = await sql<{ n: string }>(`select count(*)::text as n from service_renewals`);
      expect(String(report.renewalsIssued)).toBe(issued?.n);
      expect(report.renewalsIssued).toBeGreaterThan(10);
    });

    it('renews each taxed service at its rule\'s rate, naming the rule on the line (or the reverse charge)', async () => {
      const expected = {
        taxFr: { amount: '20.00', taxAmount: '4.00', totalAmount: '24.00', line: /· TVA 20\.00%$/ },
        taxCorse: { amount: '20.00', taxAmount: '2.00', totalAmount: '22.00', line: /· TVA Corse 10\.00%$/ },
        taxNone: { amount: '20.00', taxAmount: '0.00', totalAmount: '20.00', line: /^VPS Small \(monthly\) 2027-02-10 – 2027-03-09$/ },
        taxNlBusiness: { amount: '20.00', taxAmount: '0.00', totalAmount: '20.00', line: /· tax: reverse charge$/ },
        taxNlPrivate: { amount: '20.00', taxAmount: '4.20', totalAmount: '24.20', line: /· BTW 21\.00%$/ },
      };
      for (const name of Object.keys(expected) as Array<keyof typeof expected>) {
        const service = laterService(name);
        const renewal = await renewalOf(sql, service.orderId);
        const { invoice } = await billingOf(service.buyer).getInvoice({ id: renewal.id });
        const { line, ...amounts } = expected[name];
        expect(invoice, name).toMatchObject({ ...amounts, source: 'renewal', renewalOrderId: service.orderId, status: 'paid' });
        expect(invoice?.items.map((item) => item.description), name).toHaveLength(1);
        expect(invoice?.items[0]?.description, name).toMatch(line);
        expect(invoice?.items[0]?.description, name).toContain('VPS Small (monthly) 2027-02-10 – 2027-03-09');
        // Paid automatically from the balance (100.00 less the first order, less the renewal).
        const first = new Decimal(service.created.amount);
        expect(await balanceOf(service.buyer), name).toBe(new Decimal(100).minus(first).minus(amounts.totalAmount).toFixed(2));
      }
    });

    it('OrderInfo shows the period, renewal day and price terms; GetInvoice shows the renewal\'s source and order', async () => {
      const service = laterService('fields');
      const { order: info } = await service.buyer.api.orders.getOrder({ id: service.orderId });
      expect(info).toMatchObject({
        status: 'active', periodStart: '2027-01-10T12:00:00Z', periodEnd: '2027-02-10T12:00:00Z', nextRenewalOn: '2027-02-10', cancelAtPeriodEnd: 'false',
        amount: '21.60', renewalAmount: '18.00', periodPrice: '21.60', taxAmount: '3.60', discountAmount: '2.00', promotionCode: 'EVERY10',
      });
      const renewal = await renewalOf(sql, service.orderId);
      const { invoice } = await billingOf(service.buyer).getInvoice({ id: renewal.id });
      expect(invoice).toMatchObject({
        source: 'renewal', renewalOrderId: service.orderId, customerId: service.buyer.customerId, status: 'paid',
        amount: '18.00', taxAmount: '3.60', totalAmount: '21.60', billingPeriodStart: '2027-02-10', billingPeriodEnd: '2027-03-09', dueDate: '2027-02-10',
      });
      expect(invoice?.items[0]?.description).toBe('VPS Small (monthly) 2027-02-10 – 2027-03-09 · promotion EVERY10 \u22122.00 · TVA 20.00%');
      // The admin sees the same; another customer does not see it at all.
      expect((await billing.getInvoice({ id: renewal.id })).invoice).toMatchObject({ source: 'renewal', renewalOrderId: service.orderId });
      const stranger = await bed.customer();
      await expectCode(billingOf(stranger).getInvoice({ id: renewal.id }), Code.NotFound);
    });

    it('the downgraded service renews at the cheaper plan\'s catalog price', async () => {
      const service = laterService('downgrader');
      const { invoice } = await billingOf(service.buyer).getInvoice({ id: (await renewalOf(sql, service.orderId)).id });
      expect(invoice).toMatchObject({ totalAmount: '8.00', status: 'paid', source: 'renewal' });
      expect(invoice?.items[0]?.description).toMatch(/^VPS Tiny \(monthly\)/);
    });

    it('cancels at the period end: no renewal any more, its unpaid renewal invoice cancelled; a repeat answers the same and does nothing', async () => {
      const service = laterService('periodEnd');
      const renewal = await renewalOf(sql, service.orderId);
      expect(renewal.status).toBe('issued');
      const before = await stateOf(service.buyer.customerId);
      const cancelled = await service.buyer.api.orders.cancelService({ orderId: service.orderId, atPeriodEnd: true });
      expect(cancelled.credited).toBe('0.00');
      expect(cancelled.order).toMatchObject({ status: 'active', cancelAtPeriodEnd: 'true', nextRenewalOn: '', periodEnd: '2027-02-10T12:00:00Z' });
      expect((await billingOf(service.buyer).getInvoice({ id: renewal.id })).invoice?.status).toBe('cancelled');
      expect((await service.buyer.api.orders.getOrder({ id: service.orderId })).order).toMatchObject({ cancelAtPeriodEnd: 'true', nextRenewalOn: '' });
      await drained();
      const afterFirst = await stateOf(service.buyer.customerId);
      expect(afterFirst.ledger).toEqual(before.ledger);
      expect(await balanceOf(service.buyer)).toBe('0.00');

      const repeat = await service.buyer.api.orders.cancelService({ orderId: service.orderId, atPeriodEnd: true });
      expect(repeat.order).toMatchObject({ status: 'active', cancelAtPeriodEnd: 'true', nextRenewalOn: '' });
      expect(repeat.credited).toBe('0.00');
      await drained();
      expect(await stateOf(service.buyer.customerId)).toEqual(afterFirst);
      const [scheduled] = await sql<{ n: string }>(`select count(*)::text as n from event_queue where order_id = $1 and event_type = 'service_cancellation_scheduled'`, [service.orderId]);
      expect(scheduled?.n).toBe('1');
      // Cancelling now is still possible for such a service (it is active until its period ends) — not done here.
      expect(providerCalls(service.instanceName)).toEqual({ suspend: 0, restore: 0, terminate: 0, resize: 0 });
    });
    it('cancels at the period end after the renewal was paid automatically: the paid renewal stays paid until the period ends', async () => {
      const service = laterService('paidThenCancelled');
      const renewal = await renewalOf(sql, service.orderId);
      expect(renewal.status).toBe('paid');
      expect(await balanceOf(service.buyer)).toBe('960.00');
      const cancelled = await service.buyer.api.orders.cancelService({ orderId: service.orderId, atPeriodEnd: true });
      expect(cancelled).toMatchObject({ credited: '0.00', order: { status: 'active', cancelAtPeriodEnd: 'true', nextRenewalOn: '' } });
      expect((await billingOf(service.buyer).getInvoice({ id: renewal.id })).invoice?.status).toBe('paid');
      expect(await balanceOf(service.buyer)).toBe('960.00');
    });
  });

  describe('2027-02-13: renewals three days past due', () => {
    let report: Awaited<ReturnType<typeof runLifecycle>>;
    beforeAll(async () => {
      // Day by day from the period end (2027-02-10) to the suspension day, on both workers each day.
      report = { renewalsIssued: 0, renewalsAutoPaid: 0, servicesSuspended: 0, servicesEnded: 0 };
      for (const day of ['2027-02-10', '2027-02-11', '2027-02-12', '2027-02-13']) {
        await moveClock(Date.parse(`${day}T12:00:00Z`));
        const run = await runLifecycle();
        for (const key of Object.keys(report) as Array<keyof typeof report>) report[key] += run[key];
      }
    });

    it('ends the service cancelled at its period end once its period is over, charging nothing', async () => {
      const service = laterService('periodEnd');
      const { order: info } = await service.buyer.api.orders.getOrder({ id: service.orderId });
      expect(info).toMatchObject({ status: 'completed', nextRenewalOn: '', cancelAtPeriodEnd: 'true' });
      expect(providerCalls(service.instanceName)).toMatchObject({ suspend: 0, terminate: 1 });
      const [ended] = await sql<{ n: string; reason: string }>(`select count(*)::text as n, min(payload->>'reason') as reason from event_queue where event_type = 'service_terminated' and order_id = $1`, [service.orderId]);
      expect(ended).toEqual({ n: '1', reason: 'period_end' });
      expect(await balanceOf(service.buyer)).toBe('0.00');
      expect(report.servicesEnded).toBeGreaterThanOrEqual(1);
    });

    it('ends the service cancelled after its renewal was paid when the period is over, crediting the renewal back in full', async () => {
      const service = laterService('paidThenCancelled');
      expect((await service.buyer.api.orders.getOrder({ id: service.orderId })).order).toMatchObject({ status: 'completed', nextRenewalOn: '' });
      expect(providerCalls(service.instanceName)).toMatchObject({ suspend: 0, terminate: 1 });
      expect(await balanceOf(service.buyer)).toBe('980.00');
      const credits = await sql<{ amount: string; description: string }>(`select amount::text as amount, description from balance_transactions
        where customer_id = $1 and transaction_type = 'refund'`, [service.buyer.customerId]);
      expect(credits).toHaveLength(1);
      expect(credits[0]?.amount).toBe('20.00');
      expect(credits[0]?.description).toMatch(/will not start/);
      const [ended] = await sql<{ reason: string; credited: string }>(`select payload->>'reason' as reason, payload->>'credited' as credited from event_queue
        where event_type = 'service_terminated' and order_id = $1`, [service.orderId]);
      expect(ended).toEqual({ reason: 'period_end', credited: '20.00' });
    });

    it('refuses to change the plan of a suspended service, changing nothing', async () => {
      const service = laterService('suspended');
      expect((await service.buyer.api.orders.getOrder({ id: service.orderId })).order?.status).toBe('suspended');
      expect(providerCalls(service.instanceName)).toMatchObject({ suspend: 1, resize: 0 });
      await bed.admin.balance.adjustBalance({ customerId: service.buyer.customerId, amount: '100.00', description: 'credit that would pay the upgrade' });
      const before = await stateOf(service.buyer.customerId);
      await expectCode(service.buyer.api.orders.changeServicePlan({ orderId: service.orderId, productId: largeProductId }), Code.FailedPrecondition,
        /is suspended; only an active service can change plan \(pay its overdue invoice first\)/);
      await expectCode(service.buyer.api.orders.changeServicePlan({ orderId: service.orderId, productId: largeProductId, preview: true }), Code.FailedPrecondition, /suspended/);
      await expectCode(bed.admin.orders.changeServicePlan({ orderId: service.orderId, productId: largeProductId }), Code.FailedPrecondition, /suspended/);
      expect(await stateOf(service.buyer.customerId)).toEqual(before);
      expect(providerCalls(service.instanceName).resize).toBe(0);
    });

    it('an administrator pays a suspended customer\'s overdue renewal from its balance: the service is restored, started once at Incus', async () => {
      const service = laterService('late');
      expect((await service.buyer.api.orders.getOrder({ id: service.orderId })).order?.status).toBe('suspended');
      expect(bed.incus.instances.get(service.instanceName)?.status).toBe('Stopped');
      expect(providerCalls(service.instanceName)).toEqual({ suspend: 1, restore: 0, terminate: 0, resize: 0 });
      const renewal = await renewalOf(sql, service.orderId);
      expect(renewal.status).toBe('issued');
      const before = await stateOf(service.buyer.customerId);
      // Without money on the balance the admin's payment is refused and changes nothing.
      await expectCode(bed.admin.payments.createPayment({ orderId: '', invoiceId: renewal.id, gatewayInterfaceId: BALANCE, returnUrl: '' }), Code.FailedPrecondition, /insufficient funds/);
      expect(await stateOf(service.buyer.customerId)).toEqual(before);

      await bed.admin.balance.adjustBalance({ customerId: service.buyer.customerId, amount: '20.00', description: 'bank transfer received' });
      const paid = await bed.admin.payments.createPayment({ orderId: '', invoiceId: renewal.id, gatewayInterfaceId: BALANCE, returnUrl: '' });
      expect(paid.payment).toMatchObject({ status: 'success', amount: '20.00', invoiceId: renewal.id });
      expect((await service.buyer.api.orders.getOrder({ id: service.orderId })).order).toMatchObject({ status: 'active', nextRenewalOn: '2027-03-10' });
      await drained();
      await eventually(async () => (bed.incus.instances.get(service.instanceName)?.status === 'Running' ? true : undefined), 'the instance running again');
      expect(providerCalls(service.instanceName)).toEqual({ suspend: 1, restore: 1, terminate: 0, resize: 0 });
      const [instance] = await sql<{ status: string }>(`select status from instances where order_id = $1`, [service.orderId]);
      expect(instance?.status).toBe('running');
      expect((await billingOf(service.buyer).getInvoice({ id: renewal.id })).invoice?.status).toBe('paid');
      expect(await balanceOf(service.buyer)).toBe('0.00');
      const ledger = await sql<{ type: string; amount: string }>(`select transaction_type as type, amount::text as amount from balance_transactions where customer_id = $1 order by created_at, id`, [service.buyer.customerId]);
      expect(ledger).toEqual([{ type: 'adjustment', amount: '20.00' }, { type: 'payment', amount: '-20.00' }, { type: 'adjustment', amount: '20.00' }, { type: 'payment', amount: '-20.00' }]);
      const [restored] = await sql<{ n: string }>(`select count(*)::text as n from event_queue where order_id = $1 and event_type = 'service_restored'`, [service.orderId]);
      expect(restored?.n).toBe('1');
      // Paying again is refused (nothing due) and starts nothing.
      await expectCode(bed.admin.payments.createPayment({ orderId: '', invoiceId: renewal.id, gatewayInterfaceId: BALANCE, returnUrl: '' }), Code.FailedPrecondition, /paid/);
      await drained();
      expect(providerCalls(service.instanceName).restore).toBe(1);
    });

    it('keeps the ledger invariant for every customer of the file', async () => {
      const invariant = await moneyInvariant(bed.db.url);
      expect(invariant.checked).toBeGreaterThanOrEqual(25);
      expect(invariant.broken).toEqual([]);
    });
  });
});

describe('prices include tax (a second cluster, [billing] prices_include_tax = true)', () => {
  const clock = simulatedClock(T0);
  let bed: MoneyBed;
  let billing: Billing;
  let largeProductId = '';
  const { sql, drained, order, stateOf, balanceOf, billingOf, providerCalls } = bedHelpers(() => bed);
  const services: Partial<Record<'fr' | 'frPromo' | 'nlBusiness' | 'nlPrivate' | 'none', Service>> = {};
  function service(name: keyof typeof services): Service {
    const found = services[name];
    if (!found) throw new Error(`the service ${name} was not ordered (did an earlier test fail?)`);
    return found;
  }

  beforeAll(async () => {
    bed = await startMoneyBed({
      env: { NODEBILL_SIMULATED_CLOCK_FILE: clock.file },
      config: {
        billing: { ...SETTINGS, prices_include_tax: true, lifecycle_interval_secs: 31_536_000 },
        jobs: { poll_interval_ms: 100, backoff_base_ms: 100, backoff_max_ms: 500 },
        // Instance statuses are not refreshed from Incus behind the test's back (snapshots compare them).
        orders: { instance_refresh_interval_secs: 31_536_000 },
      },
    });
    billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    await billing.createTaxRule({ terms: { country: 'FR', region: '', rate: '20.00', reverseCharge: false, name: 'TVA', isActive: true } });
    await billing.createTaxRule({ terms: { country: 'NL', region: '', rate: '21.00', reverseCharge: true, name: 'BTW', isActive: true } });
    await billing.createPromotionCode({ terms: promotionTerms({ code: 'EVERY10', recurrence: 'every_period' }) });
    const large = await bed.admin.products.createProduct({ name: 'VPS Large', description: '4 cores, 8 GB', pricePerMonth: '40.00', interfaceId: bed.providerId, costPrice: '20.00', specs: PLANS.large });
    largeProductId = large.product?.id ?? '';
    planOf[largeProductId] = PLANS.large;
  }, 180_000);

  afterAll(async () => {
    await bed?.stop();
  });

  it('GetBillingSettings says prices include tax', async () => {
    expect((await billing.getBillingSettings({})).pricesIncludeTax).toBe(true);
  });

  it('takes the tax out of the catalog price instead of adding it (the reverse charge pays the price without tax)', async () => {
    const buyer = async (update: { country?: string; taxNumber?: string }): Promise<Buyer> => {
      const registered = await bed.customer('100.00');
      if (Object.keys(update).length > 0) await bed.admin.customers.updateCustomer({ id: registered.customerId, ...update });
      return registered;
    };
    services.fr = await order(await buyer({ country: 'FR' }));
    services.frPromo = await order(await buyer({ country: 'FR' }), { promotionCode: 'EVERY10' });
    services.nlBusiness = await order(await buyer({ country: 'NL', taxNumber: 'NL123456789B01' }));
    services.nlPrivate = await order(await buyer({ country: 'NL' }));
    services.none = await order(await buyer({}));
    // 20.00 with 20 % in it: 16.67 + 3.33. 18.00 (after 10 %): 15.00 + 3.00. At 21 %: 16.53 + 3.47.
    expect(service('fr').created).toMatchObject({ amount: '20.00', taxAmount: '3.33', renewalAmount: '20.00' });
    expect(service('frPromo').created).toMatchObject({ amount: '18.00', taxAmount: '3.00', discountAmount: '2.00', renewalAmount: '18.00', promotionCode: 'EVERY10' });
    expect(service('nlBusiness').created).toMatchObject({ amount: '16.53', taxAmount: '0.00', renewalAmount: '20.00' });
    expect(service('nlPrivate').created).toMatchObject({ amount: '20.00', taxAmount: '3.47' });
    expect(service('none').created).toMatchObject({ amount: '20.00', taxAmount: '0.00' });
    for (const name of Object.keys(services) as Array<keyof typeof services>) {
      expect(await balanceOf(service(name).buyer), name).toBe(new Decimal(100).minus(service(name).created.amount).toFixed(2));
    }
    await drained();
  });

  it('previews an upgrade at the new catalog price, tax included (not taxed again)', async () => {
    const fr = service('fr');
    const before = await stateOf(fr.buyer.customerId);
    const preview = await fr.buyer.api.orders.changeServicePlan({ orderId: fr.orderId, productId: largeProductId, preview: true });
    expect(preview).toMatchObject({ credit: '20.00', charge: '40.00', net: '20.00', newPeriodPrice: '40.00', remainingDays: 31, periodDays: 31, preview: true });
    expect(await stateOf(fr.buyer.customerId)).toEqual(before);
    expect(providerCalls(fr.instanceName).resize).toBe(0);
  });

  it('renews with the tax taken out of the renewal price, naming the rule on the line', async () => {
    await drained();
    clock.set(Date.parse('2027-02-03T12:00:00Z'));
    const second = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    const reports = await Promise.all([billing, second].map((client) => client.runBillingLifecycle({})));
    expect(reports.reduce((sum, report) => sum + report.renewalsIssued, 0)).toBe(5);
    await drained();
    const expected = {
      fr: { amount: '16.67', taxAmount: '3.33', totalAmount: '20.00', line: /· TVA 20\.00%$/ },
      frPromo: { amount: '15.00', taxAmount: '3.00', totalAmount: '18.00', line: /· promotion EVERY10 \u22122\.00 · TVA 20\.00%$/ },
      nlBusiness: { amount: '16.53', taxAmount: '0.00', totalAmount: '16.53', line: /· tax: reverse charge$/ },
      nlPrivate: { amount: '16.53', taxAmount: '3.47', totalAmount: '20.00', line: /· BTW 21\.00%$/ },
      none: { amount: '20.00', taxAmount: '0.00', totalAmount: '20.00', line: /^VPS Small \(monthly\) 2027-02-10 – 2027-03-09$/ },
    };
    for (const name of Object.keys(expected) as Array<keyof typeof expected>) {
      const { line, ...amounts } = expected[name];
      const renewal = await renewalOf(sql, service(name).orderId);
      const { invoice } = await billingOf(service(name).buyer).getInvoice({ id: renewal.id });
      expect(invoice, name).toMatchObject({ ...amounts, source: 'renewal', renewalOrderId: service(name).orderId, status: 'paid' });
      expect(invoice?.items[0]?.description, name).toMatch(line);
    }
    expect((await moneyInvariant(bed.db.url)).broken).toEqual([]);
  });
});
