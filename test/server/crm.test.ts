/**
 * CustomerService's CRM extension through a real cluster (issue 10): the profile fields on the
 * RustBill RPCs, codes, the query endpoints with filters, sorting and pagination, the commands
 * through the customer's actor (status, rating, credit limit, balance as a ledger entry), soft
 * deletion, and the statistics and reports on customers with real orders, payments and invoices.
 */
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { ApiKeyService } from '../../src/gen/rustbill/downstream_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { queryRows } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

let bed: MoneyBed;
let crm: ReturnType<typeof grpcClient<typeof CustomerService>>;

beforeAll(async () => {
  bed = await startMoneyBed();
  crm = grpcClient(CustomerService, bed.server.url, bearer(bed.adminToken));
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

const tag = (): string => newId().slice(-6);
const BASIC = { contactPerson: '', email: '', phone: '', company: '', notes: '', creditLimit: '' };

function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return queryRows<T>(bed.db.url, text, params);
}

describe('the CRM profile on the RustBill RPCs', () => {
  it('creates a customer with every CRM field, and assigns a code when none is given', async () => {
    const code = `ACME-${tag()}`;
    const { customer } = await crm.createCustomer({
      ...BASIC, name: `ACME ${tag()}`, customerCode: ` ${code} `, customerType: '企业', industry: '餐饮', address: '上海市浦东新区',
      paymentTermsDays: 45, taxNumber: '91310000MA1234567', rating: 4, ratingNotes: 'big account', creditLimit: '1000',
    });
    expect(customer).toMatchObject({
      customerCode: code, customerType: 'enterprise', industry: '餐饮', address: '上海市浦东新区', paymentTermsDays: 45, taxNumber: '91310000MA1234567',
      rating: 4, ratingSource: 'manual', ratingNotes: 'big account', creditLimit: '1000.00', availableCredit: '1000.00', totalOrders: 0,
      totalRevenue: '0.00', lastOrderAt: '', isOverdue: false, overdueDays: 0, customerLifetimeValue: '0.00', riskLevel: 'yellow', rfmSegment: 'general', deletedAt: '',
    });
    const plain = await crm.createCustomer({ ...BASIC, name: `Plain ${tag()}` });
    expect(plain.customer?.customerCode).toMatch(/^C\d{6}$/);
    expect(plain.customer).toMatchObject({ customerType: '', rating: 3, ratingSource: 'default' });
    expect(plain.customer?.paymentTermsDays).toBeUndefined();
    const audit = await sql<{ details: { changes: Record<string, { to: unknown }> } }>("select details from operation_logs where action = 'customer.create' and target_id = $1", [customer?.id]);
    expect(audit[0]?.details.changes['customerCode']?.to).toBe(code);
  });

  it('refuses a taken code (any case), a bad type and bad terms with clear statuses, creating nothing', async () => {
    const code = `DUP-${tag()}`;
    const { customer } = await crm.createCustomer({ ...BASIC, name: `Dup ${tag()}`, customerCode: code });
    const before = await sql<{ n: string }>('select count(*)::text as n from customers');
    await expectCode(crm.createCustomer({ ...BASIC, name: `Dup ${tag()}`, customerCode: code.toLowerCase() }), Code.AlreadyExists, new RegExp(`customer code "${code.toLowerCase()}" is already used by customer ${customer?.id}`));
    await expectCode(crm.createCustomer({ ...BASIC, name: `Bad ${tag()}`, customerType: 'government' }), Code.InvalidArgument, /customer_type "government" is not one of/);
    await expectCode(crm.createCustomer({ ...BASIC, name: `Bad ${tag()}`, paymentTermsDays: -1 }), Code.InvalidArgument, /payment_terms_days/);
    await expectCode(crm.createCustomer({ ...BASIC, name: `Bad ${tag()}`, rating: 9 }), Code.InvalidArgument, /rating/);
    await expectCode(crm.createCustomer({ ...BASIC, name: `Bad ${tag()}`, customerCode: 'has space' }), Code.InvalidArgument, /customer_code/);
    expect((await sql<{ n: string }>('select count(*)::text as n from customers'))[0]?.n).toBe(before[0]?.n);
    // CheckCustomerCode says so too, ignoring the customer being edited.
    expect(await crm.checkCustomerCode({ customerCode: code.toLowerCase() })).toMatchObject({ exists: true, customerId: customer?.id, deleted: false });
    expect(await crm.checkCustomerCode({ customerCode: code, excludeId: customer?.id ?? '' })).toMatchObject({ exists: false, customerId: '' });
    expect((await crm.checkCustomerCode({ customerCode: `FREE-${tag()}` })).exists).toBe(false);
    await expectCode(crm.checkCustomerCode({ customerCode: ' ' }), Code.InvalidArgument, /customer_code is required/);
  });

  it('updates the CRM fields through UpdateCustomer, and renames a code only to a free one', async () => {
    const { customer } = await crm.createCustomer({ ...BASIC, name: `Upd ${tag()}` });
    const id = customer?.id ?? '';
    const code = `NEW-${tag()}`;
    const { customer: updated } = await crm.updateCustomer({ id, customerCode: code, customerType: 'retail', industry: 'hosting', paymentTermsDays: 0, rating: 5, ratingNotes: 'x' });
    expect(updated).toMatchObject({ customerCode: code, customerType: 'retail', industry: 'hosting', paymentTermsDays: 0, rating: 5, ratingSource: 'manual' });
    const other = await crm.createCustomer({ ...BASIC, name: `Other ${tag()}` });
    await expectCode(crm.updateCustomer({ id: other.customer?.id ?? '', customerCode: code }), Code.AlreadyExists, /already used/);
    expect((await crm.updateCustomer({ id, rating: 0 })).customer).toMatchObject({ rating: 3, ratingSource: 'default' });
  });

  it('keeps country and region for tax rules: normalised, returned, audited, kept when omitted, cleared by ""', async () => {
    const name = `Place ${tag()}`;
    const { customer } = await crm.createCustomer({ ...BASIC, name, country: 'cn', region: '  Shanghai  ' });
    const id = customer?.id ?? '';
    expect(customer).toMatchObject({ country: 'CN', region: 'Shanghai' });
    expect(await sql('select country, region from customers where id = $1', [id])).toEqual([{ country: 'CN', region: 'Shanghai' }]);
    expect((await crm.getCustomer({ id })).customer).toMatchObject({ country: 'CN', region: 'Shanghai' });
    const listed = await crm.listCustomers({ search: name, pagination: { page: 1, pageSize: 10 } });
    expect(listed.customers.map((one) => [one.id, one.country, one.region])).toEqual([[id, 'CN', 'Shanghai']]);
    const created = await sql<{ details: { changes: Record<string, { to: unknown }> } }>("select details from operation_logs where action = 'customer.create' and target_id = $1", [id]);
    expect([created[0]?.details.changes['country']?.to, created[0]?.details.changes['region']?.to]).toEqual(['CN', 'Shanghai']);
    // A customer created without them has none ('' = unknown).
    expect((await crm.createCustomer({ ...BASIC, name: `Nowhere ${tag()}` })).customer).toMatchObject({ country: '', region: '' });

    // Refused, naming the field, creating nothing.
    const before = await sql<{ n: string }>('select count(*)::text as n from customers');
    await expectCode(crm.createCustomer({ ...BASIC, name: `Bad ${tag()}`, country: 'China' }), Code.InvalidArgument, /^country must be a two-letter ISO 3166-1 country code.*\(got "China"\)/);
    await expectCode(crm.createCustomer({ ...BASIC, name: `Bad ${tag()}`, country: 'C1' }), Code.InvalidArgument, /^country .*\(got "C1"\)/);
    await expectCode(crm.createCustomer({ ...BASIC, name: `Bad ${tag()}`, region: 'r'.repeat(65) }), Code.InvalidArgument, /^region must be at most 64 characters, got 65/);
    expect((await sql<{ n: string }>('select count(*)::text as n from customers'))[0]?.n).toBe(before[0]?.n);

    // An update that omits them leaves them as they are.
    expect((await crm.updateCustomer({ id, notes: 'moved?' })).customer).toMatchObject({ notes: 'moved?', country: 'CN', region: 'Shanghai' });
    // One that sets them changes them, audited from → to.
    expect((await crm.updateCustomer({ id, country: ' de ', region: ' Bavaria ' })).customer).toMatchObject({ country: 'DE', region: 'Bavaria' });
    const updates = await sql<{ details: { changes: Record<string, { from: unknown; to: unknown }> } }>(
      "select details from operation_logs where action = 'customer.update' and target_id = $1 order by created_at", [id],
    );
    expect(updates.map((row) => Object.keys(row.details.changes).sort())).toEqual([['notes'], ['country', 'region']]);
    expect(updates[1]?.details.changes).toEqual({ country: { from: 'CN', to: 'DE' }, region: { from: 'Shanghai', to: 'Bavaria' } });
    // Bad values are refused, naming the field, and change nothing.
    await expectCode(crm.updateCustomer({ id, country: 'China' }), Code.InvalidArgument, /^country /);
    await expectCode(crm.updateCustomer({ id, country: 'C1', notes: 'not this either' }), Code.InvalidArgument, /^country /);
    await expectCode(crm.updateCustomer({ id, region: 'r'.repeat(65) }), Code.InvalidArgument, /^region must be at most 64 characters/);
    expect((await crm.getCustomer({ id })).customer).toMatchObject({ country: 'DE', region: 'Bavaria', notes: 'moved?' });
    // An empty string clears them.
    expect((await crm.updateCustomer({ id, country: '', region: '' })).customer).toMatchObject({ country: '', region: '' });
    expect((await crm.getCustomer({ id })).customer).toMatchObject({ country: '', region: '' });
    expect(await sql('select country, region from customers where id = $1', [id])).toEqual([{ country: '', region: '' }]);
  });
});

describe('queries', () => {
  const prefix = `Q${tag()}`;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const make = async (key: string, fields: Record<string, unknown>) => {
      const { customer } = await crm.createCustomer({ ...BASIC, name: `${prefix} ${key}`, ...fields });
      ids[key] = customer?.id ?? '';
    };
    await make('Delta', { customerType: 'retail', industry: 'Hosting', contactPerson: 'Zed', creditLimit: '300.00' });
    await make('Alpha', { customerType: 'enterprise', industry: 'hosting', creditLimit: '100.00' });
    await make('Charlie', { customerType: 'enterprise', industry: 'wholesale', customerCode: `${prefix}-CODE`, creditLimit: '200.00' });
    await make('Bravo', { customerType: 'individual', industry: 'hosting', contactPerson: `${prefix} Contact` });
    await crm.updateCustomerStatus({ id: ids['Delta'] ?? '', isActive: false });
  });

  const names = (answer: { customers: Array<{ name: string }> }): string[] => answer.customers.map((customer) => customer.name).filter((name) => name.startsWith(prefix));

  it('lists active customers by name', async () => {
    const all = await crm.listActiveCustomers({ pagination: { page: 1, pageSize: 100 } });
    expect(names(all)).toEqual([`${prefix} Alpha`, `${prefix} Bravo`, `${prefix} Charlie`]);
    expect(all.customers.every((customer) => customer.isActive)).toBe(true);
  });

  it('searches name, code, contact person and e-mail, exact names first', async () => {
    const found = await crm.searchCustomers({ keyword: prefix, pagination: { page: 1, pageSize: 20 } });
    expect(names(found)).toEqual([`${prefix} Alpha`, `${prefix} Bravo`, `${prefix} Charlie`, `${prefix} Delta`]);
    expect(names(await crm.searchCustomers({ keyword: `${prefix}-code` }))).toEqual([`${prefix} Charlie`]);
    expect(names(await crm.searchCustomers({ keyword: 'zed' }))).toEqual([`${prefix} Delta`]);
    expect(names(await crm.searchCustomers({ keyword: `${prefix} Bravo` }))[0]).toBe(`${prefix} Bravo`);
    await expectCode(crm.searchCustomers({ keyword: '  ' }), Code.InvalidArgument, /keyword is required/);
  });

  it('lists by type and by industry (case-insensitive), by name', async () => {
    expect(names(await crm.listCustomersByType({ customerType: 'enterprise', pagination: { page: 1, pageSize: 100 } }))).toEqual([`${prefix} Alpha`, `${prefix} Charlie`]);
    expect(names(await crm.listCustomersByType({ customerType: '个人', pagination: { page: 1, pageSize: 100 } }))).toEqual([`${prefix} Bravo`]);
    expect(names(await crm.listCustomersByIndustry({ industry: 'HOSTING', pagination: { page: 1, pageSize: 100 } }))).toEqual([`${prefix} Alpha`, `${prefix} Bravo`, `${prefix} Delta`]);
    await expectCode(crm.listCustomersByType({ customerType: '' }), Code.InvalidArgument, /customer_type is required/);
    await expectCode(crm.listCustomersByIndustry({ industry: '' }), Code.InvalidArgument, /industry is required/);
  });

  it('filters, sorts and pages ListCustomers on the server', async () => {
    const sorted = await crm.listCustomers({ search: prefix, sortBy: 'credit_limit', sortOrder: 'desc', pagination: { page: 1, pageSize: 2 } });
    expect(names(sorted)).toEqual([`${prefix} Delta`, `${prefix} Charlie`]);
    expect(sorted.meta).toMatchObject({ total: 4n, page: 1, pageSize: 2, totalPages: 2 });
    const second = await crm.listCustomers({ search: prefix, sortBy: 'credit_limit', sortOrder: 'desc', pagination: { page: 2, pageSize: 2 } });
    expect(names(second)).toEqual([`${prefix} Alpha`, `${prefix} Bravo`]);
    expect(names(await crm.listCustomers({ search: prefix, customerType: 'enterprise', industry: 'hosting' }))).toEqual([`${prefix} Alpha`]);
    expect(names(await crm.listCustomers({ search: prefix, isActive: false }))).toEqual([`${prefix} Delta`]);
    await expectCode(crm.listCustomers({ sortBy: 'password' }), Code.InvalidArgument, /sort_by must be one of/);
    await expectCode(crm.listCustomers({ riskLevel: 'purple' }), Code.InvalidArgument, /risk_level/);
    // The same over gRPC-Web.
    const web = grpcWebClient(CustomerService, bed.server.url, bearer(bed.adminToken));
    expect(names(await web.listCustomers({ search: prefix, sortBy: 'name', sortOrder: 'asc' }))).toEqual([`${prefix} Alpha`, `${prefix} Bravo`, `${prefix} Charlie`, `${prefix} Delta`]);
  });
});

describe('commands through the customer actor', () => {
  it('deactivates and reactivates, audited; an inactive customer cannot log in or order', async () => {
    const buyer = await bed.customer('50.00');
    const off = await crm.updateCustomerStatus({ id: buyer.customerId, isActive: false });
    expect(off.customer?.isActive).toBe(false);
    await expectCode(grpcClient(IdentityService, bed.server.url).login({ username: buyer.username, password: buyer.password, userType: 'customer' }), Code.PermissionDenied, /disabled/);
    await expectCode(bed.admin.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
    }), Code.FailedPrecondition, /inactive/);
    expect((await crm.updateCustomerStatus({ id: buyer.customerId, isActive: true })).customer?.isActive).toBe(true);
    const audit = await sql<{ details: { changes: Record<string, { from: unknown; to: unknown }> } }>(
      "select details from operation_logs where action = 'customer.update' and target_id = $1 order by created_at", [buyer.customerId],
    );
    expect(audit.map((row) => row.details.changes['isActive'])).toEqual([{ from: true, to: false }, { from: false, to: true }]);
    await expectCode(crm.updateCustomerStatus({ id: newId(), isActive: true }), Code.NotFound);
  });

  it('sets the credit limit and shows the credit available', async () => {
    const buyer = await bed.customer();
    const set = await crm.updateCreditLimit({ id: buyer.customerId, creditLimit: '250' });
    expect(set.customer).toMatchObject({ creditLimit: '250.00', availableCredit: '250.00' });
    await expectCode(crm.updateCreditLimit({ id: buyer.customerId, creditLimit: '-1' }), Code.InvalidArgument, /credit_limit/);
    await expectCode(crm.updateCreditLimit({ id: buyer.customerId, creditLimit: '' }), Code.InvalidArgument, /credit_limit is required/);
  });

  it('brings the balance to a target with one ledger adjustment, once per idempotency key', async () => {
    const buyer = await bed.customer('30.00');
    await crm.updateCreditLimit({ id: buyer.customerId, creditLimit: '100.00' });
    const headers = { ...bearer(bed.adminToken), 'idempotency-key': `set-${tag()}` };
    const keyed = grpcClient(CustomerService, bed.server.url, headers);
    const first = await keyed.updateCustomerBalance({ id: buyer.customerId, balance: '-25.50', description: 'opening debt from the old system' });
    expect(first).toMatchObject({ amount: '-55.50', balanceBefore: '30.00', balanceAfter: '-25.50' });
    expect(first.customer).toMatchObject({ balance: '-25.50', availableCredit: '74.50' });
    const again = await keyed.updateCustomerBalance({ id: buyer.customerId, balance: '-25.50', description: 'opening debt from the old system' });
    expect(again.transactionId).toBe(first.transactionId);
    const same = await crm.updateCustomerBalance({ id: buyer.customerId, balance: '-25.50', description: 'no change' });
    expect(same).toMatchObject({ transactionId: '', amount: '0.00', balanceBefore: '-25.50', balanceAfter: '-25.50' });
    const ledger = await sql<{ transaction_type: string; amount: string; description: string }>(
      'select transaction_type, amount::text, description from balance_transactions where customer_id = $1 order by created_at', [buyer.customerId],
    );
    expect(ledger).toEqual([
      { transaction_type: 'adjustment', amount: '30.00', description: 'opening credit' },
      { transaction_type: 'adjustment', amount: '-55.50', description: 'opening debt from the old system' },
    ]);
    await expectCode(crm.updateCustomerBalance({ id: buyer.customerId, balance: '-100.01', description: 'too far' }), Code.FailedPrecondition, /below what the credit limit of 100\.00 allows/);
    await expectCode(crm.updateCustomerBalance({ id: buyer.customerId, balance: '1.234', description: 'x' }), Code.InvalidArgument, /balance/);
    await expectCode(crm.updateCustomerBalance({ id: buyer.customerId, balance: '1.00', description: ' ' }), Code.InvalidArgument, /description is required/);
    expect((await bed.admin.balance.getBalance({ customerId: buyer.customerId })).balance).toBe('-25.50');
  });
});

describe('soft deletion', () => {
  it('keeps a customer with history, hidden from lists, unable to log in or use its keys, its ledger kept', async () => {
    const buyer = await bed.customer('10.00');
    await crm.updateCustomer({ id: buyer.customerId, canCreateApiKeys: true });
    const key = await grpcClient(ApiKeyService, bed.server.url, bearer(buyer.accessToken)).createApiKey({ name: 'script' });
    await crm.updateCustomerBalance({ id: buyer.customerId, balance: '0.00', description: 'closing the account' });
    await crm.deleteCustomer({ id: buyer.customerId });

    const { customer } = await crm.getCustomer({ id: buyer.customerId });
    expect(customer).toMatchObject({ isActive: false, balance: '0.00' });
    expect(customer?.deletedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const listed = await crm.listCustomers({ search: buyer.username, pagination: { page: 1, pageSize: 10 } });
    expect(listed.customers.map((entry) => entry.id)).not.toContain(buyer.customerId);
    const withDeleted = await crm.listCustomers({ search: buyer.username, includeDeleted: true, pagination: { page: 1, pageSize: 10 } });
    expect(withDeleted.customers.map((entry) => entry.id)).toContain(buyer.customerId);
    expect((await sql<{ n: string }>('select count(*)::text as n from balance_transactions where customer_id = $1', [buyer.customerId]))[0]?.n).toBe('2');
    await expectCode(grpcClient(IdentityService, bed.server.url).login({ username: buyer.username, password: buyer.password, userType: 'customer' }), Code.PermissionDenied);
    await expectCode(grpcClient(IdentityService, bed.server.url, bearer(key.apiKey)).getMe({}), Code.Unauthenticated);
    await expectCode(crm.updateCustomer({ id: buyer.customerId, notes: 'x' }), Code.FailedPrecondition, /was deleted on/);
    await expectCode(crm.deleteCustomer({ id: buyer.customerId }), Code.NotFound, /deleted already/);
    await expectCode(bed.admin.balance.adjustBalance({ customerId: buyer.customerId, amount: '5.00', description: 'x' }), Code.FailedPrecondition, /deleted/);
    expect(await crm.checkCustomerCode({ customerCode: customer?.customerCode ?? '' })).toMatchObject({ exists: true, deleted: true });
  });

  it('refuses a customer with an unfinished order or an unpaid invoice', async () => {
    const buyer = await bed.customer();
    await bed.admin.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly',
    });
    await expectCode(crm.deleteCustomer({ id: buyer.customerId }), Code.FailedPrecondition, /1 unfinished order/);
    expect((await crm.getCustomer({ id: buyer.customerId })).customer?.deletedAt).toBe('');
  });
});

describe('statistics and reports on real orders and payments', () => {
  const people: Record<string, Awaited<ReturnType<MoneyBed['customer']>>> = {};

  beforeAll(async () => {
    const order = (buyer: Awaited<ReturnType<MoneyBed['customer']>>, billingCycle: string, gatewayInterfaceId = BALANCE) => buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId, notes: '', billingCycle,
    });
    people.big = await bed.customer('1000.00');
    await crm.updateCustomer({ id: people.big.customerId, customerType: 'distributor', industry: `hosting-${tag()}` });
    for (const cycle of ['yearly', 'quarterly', 'monthly']) await order(people.big, cycle);
    people.small = await bed.customer('25.00');
    await order(people.small, 'monthly');
    await order(people.small, 'monthly', ''); // unpaid
    people.owing = await bed.customer();
    await crm.updateCreditLimit({ id: people.owing.customerId, creditLimit: '100.00' });
    await order(people.owing, 'quarterly');
    const billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    const { invoice } = await billing.createInvoice({
      customerId: people.owing.customerId, billingPeriodStart: '2026-01-01', billingPeriodEnd: '2026-01-31', amount: '12.00', taxAmount: '0.00', totalAmount: '12.00',
      dueDate: new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10), notes: '', items: [{ description: 'extra IP', quantity: 1, unitPrice: '12.00', amount: '12.00' }],
    });
    await billing.updateInvoice({ id: invoice?.id ?? '', status: 'issued' });
    await crm.updateCustomerRating({ id: people.small.customerId, rating: 5, notes: 'loyal' });
    await crm.recomputeCustomerScores({});
  });

  it('gives one customer\'s statistics and purchase history', async () => {
    const stats = await crm.getCustomerStatistics({ id: people.big?.customerId ?? '' });
    // yearly 240 + quarterly 55 + monthly 20
    expect(stats).toMatchObject({ totalOrders: 3, paidOrders: 3, totalRevenue: '315.00', avgOrderAmount: '105.00', totalProducts: 1, daysSinceFirstOrder: 0, orderFrequency: '3.00' });
    expect(stats.topProducts).toEqual([expect.objectContaining({ productId: bed.productId, productName: 'VPS Small', quantity: 3, revenue: '315.00' })]);
    expect(stats.paymentStats).toMatchObject({ payments: 3, onTimePayments: 3, latePayments: 0, onTimePaymentRate: '100.00' });
    const history = await crm.getPurchaseHistory({ id: people.small?.customerId ?? '', pagination: { page: 1, pageSize: 10 } });
    expect(history.orders.map((entry) => [entry.amount, entry.paymentStatus])).toEqual([['20.00', 'unpaid'], ['20.00', 'paid']]);
    expect(history.meta?.total).toBe(2n);
    await expectCode(crm.getPurchaseHistory({ id: newId() }), Code.NotFound);
    await expectCode(crm.getCustomerStatistics({ id: newId() }), Code.NotFound);
  });

  it('lists the customers who owe money, most owed first, with their overdue amounts', async () => {
    const { customers } = await crm.listOutstandingBalances({ pagination: { page: 1, pageSize: 100 } });
    const owing = customers.find((entry) => entry.customerId === people.owing?.customerId);
    // quarterly 55.00 on credit plus the unpaid invoice of 12.00, 5 days overdue
    expect(owing).toMatchObject({ balance: '-55.00', owed: '67.00', creditLimit: '100.00', overdueAmount: '12.00', overdueDays: 5, riskLevel: 'orange' });
    const owed = customers.map((entry) => Number(entry.owed));
    expect(owed).toEqual([...owed].sort((a, b) => b - a));
    expect(customers.map((entry) => entry.customerId)).not.toContain(people.big?.customerId);
  });

  it('lists VIP customers: five stars and the top revenue', async () => {
    const { customers } = await crm.listVipCustomers({ limit: 2 });
    // big is also computed 5 stars: revenue and frequency above the averages (capped), all paid on time → 90 points.
    expect(customers.map((entry) => [entry.customerId, entry.reason])).toEqual([
      [people.big?.customerId, 'both'],
      [people.owing?.customerId, 'top_revenue'],
    ]);
    const wide = await crm.listVipCustomers({ limit: 100 });
    expect(wide.customers.find((entry) => entry.customerId === people.small?.customerId)).toMatchObject({ reason: 'both', rating: 5 });
    await expectCode(crm.listVipCustomers({ limit: 101 }), Code.InvalidArgument, /limit/);
  });

  it('counts customers by rating, type, industry and segment, and totals the money', async () => {
    const customers = await sql<{ n: string; deleted: string }>('select count(*) filter (where deleted_at is null)::text as n, count(*) filter (where deleted_at is not null)::text as deleted from customers');
    const total = Number(customers[0]?.n);
    const ratings = await crm.getRatingDistribution({});
    expect(ratings.entries.map((entry) => entry.key)).toEqual(['1', '2', '3', '4', '5']);
    expect(ratings.total).toBe(total);
    const types = await crm.getTypeDistribution({});
    expect(types.entries.map((entry) => entry.key).slice(0, 4)).toEqual(['enterprise', 'individual', 'distributor', 'retail']);
    expect(types.entries.find((entry) => entry.key === 'distributor')?.count).toBeGreaterThanOrEqual(1);
    const industries = await crm.getIndustryDistribution({});
    expect(industries.total).toBe(total);
    const overall = await crm.getOverallStatistics({});
    expect(overall.totalCustomers).toBe(total);
    expect(overall.deletedCustomers).toBe(Number(customers[0]?.deleted));
    expect(overall.activeCustomers + overall.inactiveCustomers).toBe(total);
    const [money] = await sql<{ limits: string; balances: string; owed: string }>(
      "select sum(credit_limit)::text as limits, sum(balance)::text as balances, sum(greatest(-balance, 0))::text as owed from customers where deleted_at is null",
    );
    expect(overall.financialSummary).toMatchObject({ totalCreditLimit: Number(money?.limits).toFixed(2), totalBalance: Number(money?.balances).toFixed(2), totalOwed: Number(money?.owed).toFixed(2) });
    expect(overall.ratingDistribution.reduce((sum, entry) => sum + entry.count, 0)).toBe(total);
    expect(overall.vipCustomers).toBe(ratings.entries.find((entry) => entry.key === '5')?.count);
    expect(overall.scoresComputedAt).toMatch(/^\d{4}-/);
  });
});
