/**
 * Spec pricing through a real cluster (issue 13, README "Spec pricing"): provider-incus's
 * spec_template prices vCPU, memory and disk per unit (price_impact "add", its config's unit
 * prices: 10.00 / 5.00 / 0.50 a month); QueryPrice with a product_id answers exactly what
 * CreateOrder then charges (catalog price of the cycle + spec − promotion + tax); a spec above the
 * product's plan costs the documented difference; a value the template refuses is InvalidArgument
 * naming server_spec.<key> and creates nothing; ChangeServicePlan prices a spec-only change.
 */
import { Code } from '@connectrpc/connect';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { queryRows } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { expectCode } from '../support/expect-code.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

let bed: MoneyBed;
/** "Incus M": 2 vCPU, 4 GB, 40 GB disk at 20.00 a month, 55.00 a quarter, its plan in `specs`. */
let planProductId = '';
/** "Incus L": 4 vCPU, 8 GB, 80 GB disk at 60.00 a month. */
let largeProductId = '';

beforeAll(async () => {
  bed = await startMoneyBed();
  const medium = await bed.admin.products.createProduct({
    name: 'Incus M', description: '2 vCPU, 4 GB, 40 GB', pricePerMonth: '20.00', billingCycles: { quarterly: '55.00' }, interfaceId: bed.providerId, costPrice: '10.00',
    specs: { cpu_cores: '2', memory_gb: '4', disk_gb: '40' },
  });
  planProductId = medium.product?.id ?? '';
  const large = await bed.admin.products.createProduct({
    name: 'Incus L', description: '4 vCPU, 8 GB, 80 GB', pricePerMonth: '60.00', interfaceId: bed.providerId, costPrice: '30.00',
    specs: { cpu_cores: '4', memory_gb: '8', disk_gb: '80' },
  });
  largeProductId = large.product?.id ?? '';
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

type Spec = typeof SPEC;

/** QueryPrice's request for a product quote (the spec flat, as QueryPriceRequest has it). */
function quoteRequest(productId: string, spec: Spec, fields: { billingCycle?: string; promotionCode?: string } = {}) {
  return { interfaceId: bed.providerId, ...spec, productId, ...fields };
}

/** CreateOrder's request. */
function orderRequest(customerId: string, productId: string, spec: Partial<Spec>, fields: { billingCycle?: string; promotionCode?: string; gatewayInterfaceId?: string } = {}) {
  return {
    customerId, productId, providerInterfaceId: bed.providerId, serverSpec: { ...SPEC, ...spec }, currency: 'CNY', gatewayInterfaceId: '', notes: '',
    billingCycle: 'monthly', ...fields,
  };
}

async function ordersOf(customerId: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(bed.db.url, 'select count(*)::text as n from orders where customer_id = $1', [customerId]);
  return Number(row?.n);
}

describe('the provider\'s spec template', () => {
  it('carries provider-incus\'s unit prices as price_impact on cpu_cores, memory_gb and disk_gb', async () => {
    const providers = (await bed.admin.integration.listProviders({})).providers;
    const incus = providers.find((provider) => provider.interfaceId === bed.providerId);
    const impacts = Object.fromEntries((incus?.specTemplate?.fields ?? []).map((field) => [field.key, field.priceImpact ? { mode: field.priceImpact.mode, amount: field.priceImpact.amount } : null]));
    expect(impacts).toEqual({
      cpu_cores: { mode: 'add', amount: '10.00' }, memory_gb: { mode: 'add', amount: '5.00' }, disk_gb: { mode: 'add', amount: '0.50' }, os: null,
    });
  });
});

describe('QueryPrice with a product_id', () => {
  it('answers exactly what CreateOrder then charges, for the product\'s own plan and for a bigger spec, per cycle', async () => {
    const buyer = await bed.customer();
    const cases: Array<{ spec: Spec; billingCycle: string; base: string; spec_: string; amount: string }> = [
      { spec: SPEC, billingCycle: 'monthly', base: '20.00', spec_: '0.00', amount: '20.00' },
      // 2 more vCPU (+20.00), 4 GB more memory (+20.00), 20 GB more disk (+10.00) a month.
      { spec: { ...SPEC, cpuCores: 4, memoryGb: 8, diskGb: 60 }, billingCycle: 'monthly', base: '20.00', spec_: '50.00', amount: '70.00' },
      // The quarter's listed price plus three months of the difference.
      { spec: { ...SPEC, cpuCores: 4, memoryGb: 8, diskGb: 60 }, billingCycle: 'quarterly', base: '55.00', spec_: '150.00', amount: '205.00' },
      // Below the plan: 1 vCPU is 10.00 less.
      { spec: { ...SPEC, cpuCores: 1 }, billingCycle: 'yearly', base: '240.00', spec_: '-120.00', amount: '120.00' },
    ];
    for (const item of cases) {
      const quote = await buyer.api.integration.queryPrice(quoteRequest(planProductId, item.spec, { billingCycle: item.billingCycle }));
      expect(quote).toMatchObject({
        amount: item.amount, currency: 'CNY', billingCycle: item.billingCycle, baseAmount: item.base, specAmount: item.spec_, discountAmount: '0.00', taxAmount: '0.00',
      });
      const { order } = await buyer.api.orders.createOrder(orderRequest(buyer.customerId, planProductId, item.spec, { billingCycle: item.billingCycle }));
      expect(order?.amount).toBe(quote.amount);
      expect(order?.renewalAmount).toBe(quote.amount);
    }
  });

  it('costs a spec above the plan exactly the documented difference: Σ amount × (value − plan value) × months', async () => {
    const buyer = await bed.customer();
    const plan = await buyer.api.integration.queryPrice(quoteRequest(largeProductId, { ...SPEC, cpuCores: 4, memoryGb: 8, diskGb: 80 }));
    const bigger = await buyer.api.integration.queryPrice(quoteRequest(largeProductId, { ...SPEC, cpuCores: 6, memoryGb: 8, diskGb: 100 }));
    expect(plan.amount).toBe('60.00');
    // 2 × 10.00 + 20 × 0.50 = 30.00 a month
    expect(new Decimal(bigger.amount).minus(plan.amount).toFixed(2)).toBe('30.00');
    const { order } = await buyer.api.orders.createOrder(orderRequest(buyer.customerId, largeProductId, { cpuCores: 6, memoryGb: 8, diskGb: 100 }));
    expect(order?.amount).toBe('90.00');
  });

  it('stores the resolved spec: values left out take the product\'s plan', async () => {
    const buyer = await bed.customer();
    const { order } = await buyer.api.orders.createOrder(orderRequest(buyer.customerId, largeProductId, { cpuCores: 5, memoryGb: 0, diskGb: 0, os: '' }));
    expect(order?.amount).toBe('70.00');
    expect(order?.serverSpec).toMatchObject({ cpuCores: 5, memoryGb: 8, diskGb: 80, os: 'debian-12', region: 'local', bandwidthMbps: 100 });
    const [row] = await queryRows<{ server_spec: Record<string, unknown> }>(bed.db.url, 'select server_spec from orders where id = $1', [order?.id]);
    expect(row?.server_spec).toMatchObject({ cpu_cores: 5, memory_gb: 8, disk_gb: 80, os: 'debian-12' });
  });

  it('includes the promotion\'s discount and the customer\'s tax, as CreateOrder charges them', async () => {
    const billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    await billing.createTaxRule({ terms: { country: 'NL', region: '', rate: '21.00', reverseCharge: false, name: 'BTW', isActive: true } });
    await billing.createPromotionCode({
      terms: {
        code: 'SPEC10', kind: 'percent', value: '10', recurrence: 'first_period', productIds: [], billingCycles: [], validFrom: '', validUntil: '',
        maxUses: 0, maxUsesPerCustomer: 0, isActive: true, description: '',
      },
    });
    const buyer = await bed.customer('1000.00');
    await bed.admin.customers.updateCustomer({ id: buyer.customerId, country: 'nl' });
    const spec = { ...SPEC, cpuCores: 4 };
    // (20.00 + 20.00) − 10 % = 36.00; 21 % tax = 7.56; 43.56 in all.
    const quote = await buyer.api.integration.queryPrice(quoteRequest(planProductId, spec, { promotionCode: 'spec10' }));
    expect(quote).toMatchObject({ amount: '43.56', baseAmount: '20.00', specAmount: '20.00', discountAmount: '4.00', taxAmount: '7.56' });
    const { order } = await buyer.api.orders.createOrder(orderRequest(buyer.customerId, planProductId, spec, { promotionCode: 'spec10', gatewayInterfaceId: BALANCE }));
    expect(order).toMatchObject({ amount: quote.amount, taxAmount: quote.taxAmount, discountAmount: quote.discountAmount, status: 'paid' });
    const [entry] = await queryRows<{ amount: string }>(bed.db.url, "select amount::text from balance_transactions where customer_id = $1 and reference_id = $2", [buyer.customerId, order?.id]);
    expect(entry?.amount).toBe('-43.56');
    // An administrator's quote is for no customer: no tax.
    const admins = await bed.admin.integration.queryPrice(quoteRequest(planProductId, spec, { promotionCode: 'spec10' }));
    expect(admins).toMatchObject({ amount: '36.00', taxAmount: '0.00', discountAmount: '4.00' });
  });

  it('refuses a value the template does not allow with InvalidArgument naming server_spec.<key>, and creates nothing', async () => {
    const buyer = await bed.customer('1000.00');
    const refusals: Array<[Partial<Spec>, RegExp]> = [
      [{ cpuCores: 64 }, /^server_spec\.cpu_cores must be between 1 and 32, got 64$/],
      [{ diskGb: 45 }, /^server_spec\.disk_gb must be 10, 20, 30, … \(steps of 10 from 10\), got 45$/],
      [{ os: 'plan9' }, /^server_spec\.os must be one of the offered options \(choose one of "debian-12", .*\), got "plan9"$/],
    ];
    for (const [spec, message] of refusals) {
      await expectCode(buyer.api.integration.queryPrice(quoteRequest(planProductId, { ...SPEC, ...spec })), Code.InvalidArgument, message);
      await expectCode(buyer.api.orders.createOrder(orderRequest(buyer.customerId, planProductId, spec, { gatewayInterfaceId: BALANCE })), Code.InvalidArgument, message);
    }
    expect(await ordersOf(buyer.customerId)).toBe(0);
    expect((await buyer.api.balance.getBalance({ customerId: buyer.customerId })).balance).toBe('1000.00');
  });

  it('refuses what CreateOrder refuses: an unknown cycle, a product of another provider, an unknown product', async () => {
    const buyer = await bed.customer();
    await expectCode(buyer.api.integration.queryPrice(quoteRequest(planProductId, SPEC, { billingCycle: 'weekly' })), Code.InvalidArgument, /billing_cycle "weekly"/);
    await expectCode(buyer.api.integration.queryPrice(quoteRequest('not-a-uuid', SPEC)), Code.InvalidArgument, /product_id/);
    await expectCode(buyer.api.integration.queryPrice(quoteRequest('0190a0b0-0000-7000-8000-00000000abcd', SPEC)), Code.NotFound, /product/);
    await expectCode(buyer.api.integration.queryPrice({ ...quoteRequest(planProductId, SPEC), interfaceId: bed.gatewayId }), Code.NotFound, /provider interface/);
  });

  it('without a product_id still answers the provider\'s own query_price()', async () => {
    const buyer = await bed.customer();
    // provider-incus: 2 × 10.00 + 4 × 5.00 + 40 × 0.50 = 60.00
    const quote = await buyer.api.integration.queryPrice({ interfaceId: bed.providerId, ...SPEC });
    expect(quote).toMatchObject({ amount: '60.00', currency: 'CNY', billingCycle: 'monthly' });
    expect(quote.baseAmount).toBeUndefined();
    expect(quote.specAmount).toBeUndefined();
  });
});

describe('ChangeServicePlan', () => {
  it('prices a spec-only change of the same product by the spec\'s price impacts', async () => {
    const buyer = await bed.customer('1000.00');
    const { order } = await buyer.api.orders.createOrder(orderRequest(buyer.customerId, planProductId, {}, { gatewayInterfaceId: BALANCE }));
    const orderId = order?.id ?? '';
    await eventually(async () => ((await buyer.api.orders.getOrder({ id: orderId })).order?.status === 'active' ? true : undefined), 'the service to be active');
    const preview = await buyer.api.orders.changeServicePlan({ orderId, productId: '', serverSpec: { ...SPEC, cpuCores: 4 }, preview: true });
    // 20.00 + 2 × 10.00 a month for the new plan.
    expect(preview.newPeriodPrice).toBe('40.00');
    await expectCode(buyer.api.orders.changeServicePlan({ orderId, productId: '', serverSpec: { ...SPEC, cpuCores: 33 }, preview: true }), Code.InvalidArgument, /^server_spec\.cpu_cores must be between 1 and 32, got 33$/);
    // Another product without a server_spec: the new product's plan (4 vCPU, 8 GB, 80 GB) at its catalog price.
    const larger = await buyer.api.orders.changeServicePlan({ orderId, productId: largeProductId, preview: true });
    expect(larger.newPeriodPrice).toBe('60.00');
    // The same product with a spec above its plan: 60.00 + 2 × 10.00.
    const largerStill = await buyer.api.orders.changeServicePlan({ orderId, productId: largeProductId, serverSpec: { ...SPEC, cpuCores: 6, memoryGb: 8, diskGb: 80 }, preview: true });
    expect(largerStill.newPeriodPrice).toBe('80.00');
  });
});
