/**
 * BillingService's recurring-billing terms through a real two-worker cluster: promotion codes
 * (create with every validation refusal naming its field, duplicates also when sent at once, list
 * filters, update keeping code and uses, delete or deactivate), tax rules (create, duplicates
 * whatever the region's case, list by country, update, delete), GetBillingSettings reporting the
 * configured `[billing]`, who may call what (operators may not change tax rules; customers see
 * nothing), and one audit row per change. Then, against the same database, the application
 * services' reads CreateOrder uses: Promotions.quote and TaxRules.taxFor.
 */
import { Code } from '@connectrpc/connect';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Promotions } from '../../src/application/billing/promotions.ts';
import { TaxRules } from '../../src/application/billing/tax-rules.ts';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { createOrm } from '../../src/persistence/orm.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer, type RegisteredCustomer } from '../support/customers.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

type Billing = ReturnType<typeof grpcClient<typeof BillingService>>;

/** The `[billing]` overlay the cluster runs with: every value differs from its default. */
const BILLING = {
  due_days: 9,
  renewal_invoice_days_before: 5,
  reminder_days_before: [4, 1],
  reminder_days_after: [2, 6],
  suspend_after_days: 2,
  terminate_after_days: 20,
  prices_include_tax: true,
  lifecycle_interval_secs: 7200,
};

let server: RunningServer;
let db: TestDatabase;
let admin: Billing;
let operator: Billing;
let asCustomer: Billing;
let customer: RegisteredCustomer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2, config: { billing: BILLING } });
  const identity = grpcClient(IdentityService, server.url);
  const adminToken = (await identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  admin = grpcClient(BillingService, server.url, bearer(adminToken));
  // An operator, as the CLI's `user create --role operator` makes one (bcrypt cost 4: fast).
  await sql("insert into admin_users (id, username, email, display_name, password_hash, role) values ($1, 'termsoperator', '', 'Operator', $2, 'operator')", [
    newId(), await hashPassword('Operator-Pass1', 4),
  ]);
  const operatorToken = (await identity.login({ username: 'termsoperator', password: 'Operator-Pass1', userType: 'admin' })).accessToken;
  operator = grpcClient(BillingService, server.url, bearer(operatorToken));
  customer = await registerCustomer(server, { prefix: 'terms' });
  asCustomer = grpcClient(BillingService, server.url, bearer(customer.accessToken));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  return queryRows<T>(db.url, text, params);
}

/** The audit rows of `action` on `targetId`, oldest first. */
function audits(action: string, targetId: string): Promise<Array<{ admin_username: string; details: Record<string, unknown> }>> {
  return sql('select admin_username, details from operation_logs where action = $1 and target_id = $2 order by created_at, id', [action, targetId]);
}

async function countOf(table: 'promotion_codes' | 'tax_rules'): Promise<number> {
  const [row] = await sql<{ n: string }>(`select count(*)::text as n from ${table}`);
  return Number(row?.n);
}

/** Records a real redemption of `promotionId` by `customerId`: an order and its redemption row (the trigger counts the use). */
async function redeem(promotionId: string, customerId: string): Promise<void> {
  const orderId = newId();
  await sql("insert into orders (id, customer_id, product_name, status, amount) values ($1, $2, 'VPS', 'cancelled', '9.00')", [orderId, customerId]);
  await sql("insert into promotion_redemptions (id, promotion_id, customer_id, order_id, discount_amount) values ($1, $2, $3, $4, '1.00')", [
    newId(), promotionId, customerId, orderId,
  ]);
}

const PRODUCT = '0190a0b0-0000-7000-8000-00000000abcd';

function promotionTerms(overrides: Record<string, unknown> = {}) {
  return {
    code: 'SPRING-26', kind: 'percent', value: '10', recurrence: 'first_period', productIds: [] as string[], billingCycles: [] as string[],
    validFrom: '', validUntil: '', maxUses: 0, maxUsesPerCustomer: 0, isActive: true, description: '', ...overrides,
  };
}

function taxTerms(overrides: Record<string, unknown> = {}) {
  return { country: 'DE', region: '', rate: '19', reverseCharge: true, name: 'VAT', isActive: true, ...overrides };
}

describe('CreatePromotionCode', () => {
  it('stores the code normalised and audits it', async () => {
    const { promotion } = await admin.createPromotionCode({
      terms: promotionTerms({
        code: ' spring-26 ', value: '12.5', productIds: [PRODUCT.toUpperCase(), PRODUCT], billingCycles: ['monthly', 'yearly', 'monthly'],
        validFrom: '2026-03-01T02:00:00+02:00', validUntil: '2026-04-01T00:00:00Z', maxUses: 100, maxUsesPerCustomer: 1, description: '  spring sale ',
      }),
    });
    expect(promotion?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(promotion?.terms).toEqual(expect.objectContaining({
      code: 'SPRING-26', kind: 'percent', value: '12.50', recurrence: 'first_period', productIds: [PRODUCT], billingCycles: ['monthly', 'yearly'],
      validFrom: '2026-03-01T00:00:00Z', validUntil: '2026-04-01T00:00:00Z', maxUses: 100, maxUsesPerCustomer: 1, isActive: true, description: 'spring sale',
    }));
    expect(promotion?.uses).toBe(0);
    expect(Date.parse(promotion?.createdAt ?? '')).not.toBeNaN();
    const [row] = await sql<{ code: string; value: string; max_uses: number | null }>('select code, value::text, max_uses from promotion_codes where id = $1', [promotion?.id]);
    expect(row).toEqual({ code: 'SPRING-26', value: '12.50', max_uses: 100 });
    const audit = await audits('promotion_code.create', promotion?.id ?? '');
    expect(audit).toHaveLength(1);
    expect(audit[0]?.admin_username).toBe('admin');
    expect(audit[0]?.details).toMatchObject({ after: { code: 'SPRING-26', value: '12.50', maxUses: 100 } });
  });

  it('stores no limits and no validity window as 0 and empty', async () => {
    const { promotion } = await admin.createPromotionCode({ terms: promotionTerms({ code: 'FLAT5', kind: 'fixed', value: '5', recurrence: 'every_period' }) });
    expect(promotion?.terms).toEqual(expect.objectContaining({ code: 'FLAT5', kind: 'fixed', value: '5.00', recurrence: 'every_period', validFrom: '', validUntil: '', maxUses: 0, maxUsesPerCustomer: 0 }));
    const [row] = await sql<{ max_uses: number | null; max_uses_per_customer: number | null; valid_from: Date | null }>(
      'select max_uses, max_uses_per_customer, valid_from from promotion_codes where id = $1', [promotion?.id]);
    expect(row).toEqual({ max_uses: null, max_uses_per_customer: null, valid_from: null });
  });

  it('refuses every malformed field with InvalidArgument naming it, creating nothing', async () => {
    const before = await countOf('promotion_codes');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ code: '' }, /^code is required/],
      [{ code: 'ab' }, /^code must be 3 to 32 characters/],
      [{ code: 'BAD CODE' }, /^code must be 3 to 32 characters/],
      [{ kind: '' }, /^kind is required/],
      [{ kind: 'gift' }, /^kind must be one of percent, fixed/],
      [{ value: '' }, /^value is required/],
      [{ value: '0' }, /^value must be greater than 0/],
      [{ value: '1.234' }, /^value must be a decimal amount/],
      [{ value: '100.01' }, /^value must be at most 100\.00 for a percent promotion/],
      [{ recurrence: 'weekly' }, /^recurrence must be one of first_period, every_period/],
      [{ productIds: [PRODUCT, 'not-a-uuid'] }, /^product_ids\[1\] must be a product UUID/],
      [{ billingCycles: ['monthly', 'weekly'] }, /^billing_cycles\[1\] must be one of/],
      [{ validFrom: 'tomorrow' }, /^valid_from must be an RFC3339 timestamp/],
      [{ validUntil: '2026-02-30T00:00:00Z' }, /^valid_until must be an RFC3339 timestamp/],
      [{ validFrom: '2026-04-01T00:00:00Z', validUntil: '2026-04-01T00:00:00Z' }, /^valid_until \(2026-04-01T00:00:00Z\) must be after valid_from/],
      [{ maxUses: 2_147_483_648 }, /^max_uses must be a whole number from 0/],
      [{ maxUsesPerCustomer: 4_000_000_000 }, /^max_uses_per_customer must be a whole number from 0/],
      [{ description: 'x'.repeat(501) }, /^description must be at most 500 characters/],
    ];
    for (const [overrides, message] of cases) {
      await expectCode(admin.createPromotionCode({ terms: promotionTerms({ code: 'VALIDATE', ...overrides }) }), Code.InvalidArgument, message);
    }
    await expectCode(admin.createPromotionCode({}), Code.InvalidArgument, /^terms is required$/);
    expect(await countOf('promotion_codes')).toBe(before);
  });

  it('refuses a taken code whatever its case, also when two are sent at once', async () => {
    await expectCode(admin.createPromotionCode({ terms: promotionTerms({ code: 'Spring-26' }) }), Code.AlreadyExists, /promotion code SPRING-26 already exists/);
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => admin.createPromotionCode({ terms: promotionTerms({ code: 'RACE-1' }) })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((entry) => entry.status === 'rejected')) {
      await expectCode(Promise.reject((result as PromiseRejectedResult).reason), Code.AlreadyExists, /RACE-1/);
    }
    expect(await sql('select id from promotion_codes where code = $1', ['RACE-1'])).toHaveLength(1);
  });
});

describe('ListPromotionCodes', () => {
  it('lists newest first, filters active codes and code prefixes (any case, "_" literal), pages', async () => {
    await admin.createPromotionCode({ terms: promotionTerms({ code: 'LIST_A1' }) });
    await admin.createPromotionCode({ terms: promotionTerms({ code: 'LISTXA2', isActive: false }) });
    await admin.createPromotionCode({ terms: promotionTerms({ code: 'LIST_A3' }) });
    const all = await admin.listPromotionCodes({ codePrefix: 'list' });
    expect(all.promotions.map((entry) => entry.terms?.code)).toEqual(['LIST_A3', 'LISTXA2', 'LIST_A1']);
    expect(all.meta).toMatchObject({ total: 3n, page: 1, pageSize: 20, totalPages: 1 });
    const underscore = await admin.listPromotionCodes({ codePrefix: ' list_ ' });
    expect(underscore.promotions.map((entry) => entry.terms?.code)).toEqual(['LIST_A3', 'LIST_A1']);
    const active = await admin.listPromotionCodes({ codePrefix: 'LIST', activeOnly: true });
    expect(active.promotions.map((entry) => entry.terms?.code)).toEqual(['LIST_A3', 'LIST_A1']);
    const paged = await admin.listPromotionCodes({ codePrefix: 'LIST', pagination: { page: 2, pageSize: 2 } });
    expect(paged.promotions.map((entry) => entry.terms?.code)).toEqual(['LIST_A1']);
    expect(paged.meta).toMatchObject({ total: 3n, page: 2, pageSize: 2, totalPages: 2 });
    const everything = await admin.listPromotionCodes({});
    expect(Number(everything.meta?.total)).toBe(await countOf('promotion_codes'));
    await expectCode(admin.listPromotionCodes({ codePrefix: 'X'.repeat(33) }), Code.InvalidArgument, /^code_prefix must be at most 32/);
  });
});

describe('UpdatePromotionCode', () => {
  it('replaces the terms, keeping code and uses, auditing what changed', async () => {
    const { promotion } = await admin.createPromotionCode({ terms: promotionTerms({ code: 'UPDATE-ME', maxUses: 10 }) });
    const id = promotion?.id ?? '';
    await redeem(id, customer.customerId);
    const { promotion: updated } = await admin.updatePromotionCode({
      id, terms: promotionTerms({ code: 'update-me', kind: 'fixed', value: '3.5', maxUses: 20, isActive: false, description: 'now fixed' }),
    });
    expect(updated?.id).toBe(id);
    expect(updated?.terms).toEqual(expect.objectContaining({ code: 'UPDATE-ME', kind: 'fixed', value: '3.50', maxUses: 20, isActive: false, description: 'now fixed' }));
    expect(updated?.uses).toBe(1);
    const [row] = await sql<{ kind: string; value: string; uses: number; is_active: boolean }>('select kind, value::text, uses, is_active from promotion_codes where id = $1', [id]);
    expect(row).toEqual({ kind: 'fixed', value: '3.50', uses: 1, is_active: false });
    const audit = await audits('promotion_code.update', id);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({
      changes: { kind: { from: 'percent', to: 'fixed' }, value: { from: '10.00', to: '3.50' }, maxUses: { from: 10, to: 20 }, isActive: { from: true, to: false } },
    });
    expect(Object.keys(audit[0]?.details.changes as object).sort()).toEqual(['description', 'isActive', 'kind', 'maxUses', 'value']);
  });

  it('refuses a code change, a limit below the uses so far, unknown and malformed ids, missing terms', async () => {
    const { promotion } = await admin.createPromotionCode({ terms: promotionTerms({ code: 'KEEP-CODE' }) });
    const id = promotion?.id ?? '';
    await redeem(id, customer.customerId);
    await redeem(id, customer.customerId);
    await expectCode(admin.updatePromotionCode({ id, terms: promotionTerms({ code: 'OTHER-CODE' }) }), Code.InvalidArgument, /^code cannot change \(promotion code KEEP-CODE/);
    await expectCode(admin.updatePromotionCode({ id, terms: promotionTerms({ code: 'KEEP-CODE', maxUses: 1 }) }), Code.FailedPrecondition, /^max_uses 1 is below the 2 uses of promotion code KEEP-CODE/);
    await expectCode(admin.updatePromotionCode({ id, terms: promotionTerms({ code: 'KEEP-CODE', value: '-1' }) }), Code.InvalidArgument, /^value must not be negative/);
    await expectCode(admin.updatePromotionCode({ id }), Code.InvalidArgument, /^terms is required$/);
    await expectCode(admin.updatePromotionCode({ id: newId(), terms: promotionTerms({ code: 'KEEP-CODE' }) }), Code.NotFound, /does not exist/);
    await expectCode(admin.updatePromotionCode({ id: 'nope', terms: promotionTerms({ code: 'KEEP-CODE' }) }), Code.InvalidArgument, /^id "nope" is not a UUID/);
    expect(await audits('promotion_code.update', id)).toHaveLength(0);
    // The limit may equal the uses so far.
    const { promotion: updated } = await admin.updatePromotionCode({ id, terms: promotionTerms({ code: 'KEEP-CODE', maxUses: 2 }) });
    expect(updated).toMatchObject({ uses: 2, terms: { maxUses: 2 } });
    expect(await audits('promotion_code.update', id)).toHaveLength(1);
  });
});

describe('DeletePromotionCode', () => {
  it('deletes a code never used, audited', async () => {
    const { promotion } = await admin.createPromotionCode({ terms: promotionTerms({ code: 'DELETE-ME' }) });
    const id = promotion?.id ?? '';
    expect(await admin.deletePromotionCode({ id })).toMatchObject({ deleted: true });
    expect(await sql('select id from promotion_codes where id = $1', [id])).toHaveLength(0);
    const audit = await audits('promotion_code.delete', id);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ before: { code: 'DELETE-ME' } });
    await expectCode(admin.deletePromotionCode({ id }), Code.NotFound, /does not exist/);
    await expectCode(admin.deletePromotionCode({ id: '' }), Code.InvalidArgument, /^id is required/);
  });

  it('deactivates a used code instead, audited', async () => {
    const { promotion } = await admin.createPromotionCode({ terms: promotionTerms({ code: 'USED-ONCE' }) });
    const id = promotion?.id ?? '';
    await redeem(id, customer.customerId);
    expect(await admin.deletePromotionCode({ id })).toMatchObject({ deleted: false });
    expect(await sql('select is_active, uses from promotion_codes where id = $1', [id])).toEqual([{ is_active: false, uses: 1 }]);
    expect(await audits('promotion_code.deactivate', id)).toHaveLength(1);
    expect(await audits('promotion_code.delete', id)).toHaveLength(0);
  });
});

describe('tax rules', () => {
  it('creates rules normalised, audited', async () => {
    const { rule } = await admin.createTaxRule({ terms: taxTerms({ country: ' de ', rate: '19' }) });
    expect(rule?.terms).toEqual(expect.objectContaining({ country: 'DE', region: '', rate: '19.00', reverseCharge: true, name: 'VAT', isActive: true }));
    const { rule: bavaria } = await admin.createTaxRule({ terms: taxTerms({ region: ' Bavaria ', rate: '7.5', reverseCharge: false, name: ' VAT reduced ' }) });
    expect(bavaria?.terms).toEqual(expect.objectContaining({ country: 'DE', region: 'Bavaria', rate: '7.50', reverseCharge: false, name: 'VAT reduced' }));
    expect(await sql('select country, region, rate::text from tax_rules where id = $1', [bavaria?.id])).toEqual([{ country: 'DE', region: 'Bavaria', rate: '7.50' }]);
    const audit = await audits('tax_rule.create', rule?.id ?? '');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ admin_username: 'admin', details: { after: { country: 'DE', region: '', rate: '19.00' } } });
  });

  it('refuses a place that has a rule (region in any case), also when two are sent at once', async () => {
    await expectCode(admin.createTaxRule({ terms: taxTerms({ country: 'de' }) }), Code.AlreadyExists, /a tax rule for DE \(the whole country\) already exists/);
    await expectCode(admin.createTaxRule({ terms: taxTerms({ region: 'BAVARIA' }) }), Code.AlreadyExists, /a tax rule for DE region "BAVARIA" already exists/);
    const results = await Promise.allSettled([1, 2, 3].map(() => admin.createTaxRule({ terms: taxTerms({ country: 'FR', rate: '20' }) })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((entry) => entry.status === 'rejected')) {
      await expectCode(Promise.reject((result as PromiseRejectedResult).reason), Code.AlreadyExists, /FR/);
    }
  });

  it('refuses malformed terms with InvalidArgument naming the field, creating nothing', async () => {
    const before = await countOf('tax_rules');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ rate: '100.01' }, /^rate must be a percentage from 0 to 100/],
      [{ rate: '-1' }, /^rate must not be negative/],
      [{ rate: 'ten' }, /^rate must be a decimal amount/],
      [{ rate: '' }, /^rate is required/],
      [{ country: 'DEU' }, /^country must be a two-letter ISO 3166-1 country code/],
      [{ country: '' }, /^country is required/],
      [{ region: 'r'.repeat(65) }, /^region must be at most 64 characters/],
      [{ name: '  ' }, /^name is required/],
      [{ name: 'n'.repeat(101) }, /^name must be at most 100 characters/],
    ];
    for (const [overrides, message] of cases) {
      await expectCode(admin.createTaxRule({ terms: taxTerms({ country: 'IT', ...overrides }) }), Code.InvalidArgument, message);
    }
    await expectCode(admin.createTaxRule({}), Code.InvalidArgument, /^terms is required$/);
    expect(await countOf('tax_rules')).toBe(before);
  });

  it('lists by country (any case), the country-wide rule first', async () => {
    await admin.createTaxRule({ terms: taxTerms({ country: 'AT', rate: '20' }) });
    const de = await admin.listTaxRules({ country: 'de' });
    expect(de.rules.map((rule) => [rule.terms?.country, rule.terms?.region, rule.terms?.rate])).toEqual([['DE', '', '19.00'], ['DE', 'Bavaria', '7.50']]);
    expect(de.meta).toMatchObject({ total: 2n });
    const all = await admin.listTaxRules({});
    expect(all.rules.map((rule) => rule.terms?.country)).toEqual(['AT', 'DE', 'DE', 'FR']);
    await expectCode(admin.listTaxRules({ country: 'Germany' }), Code.InvalidArgument, /^country must be a two-letter/);
  });

  it('updates a rule, refusing another rule\'s place and unknown ids, audited', async () => {
    const [at] = (await admin.listTaxRules({ country: 'AT' })).rules;
    const id = at?.id ?? '';
    const { rule } = await admin.updateTaxRule({ id, terms: taxTerms({ country: 'AT', region: 'Tyrol', rate: '10', reverseCharge: false, name: 'USt' }) });
    expect(rule).toMatchObject({ id, terms: { country: 'AT', region: 'Tyrol', rate: '10.00', reverseCharge: false, name: 'USt' } });
    const audit = await audits('tax_rule.update', id);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ changes: { region: { from: '', to: 'Tyrol' }, rate: { from: '20.00', to: '10.00' } } });
    // Its own place again is no conflict; another rule's is.
    await admin.updateTaxRule({ id, terms: taxTerms({ country: 'AT', region: 'tyrol', rate: '10', reverseCharge: false, name: 'USt' }) });
    await expectCode(admin.updateTaxRule({ id, terms: taxTerms({ country: 'DE', region: 'bavaria' }) }), Code.AlreadyExists, /DE region "bavaria"/);
    await expectCode(admin.updateTaxRule({ id, terms: taxTerms({ country: 'AT', rate: '101' }) }), Code.InvalidArgument, /^rate must be a percentage/);
    await expectCode(admin.updateTaxRule({ id: newId(), terms: taxTerms({ country: 'AT' }) }), Code.NotFound, /tax rule .* does not exist/);
    await expectCode(admin.updateTaxRule({ id }), Code.InvalidArgument, /^terms is required$/);
    expect(await sql('select country, lower(region) as region, rate::text from tax_rules where id = $1', [id])).toEqual([{ country: 'AT', region: 'tyrol', rate: '10.00' }]);
  });

  it('deletes a rule, audited', async () => {
    const [fr] = (await admin.listTaxRules({ country: 'FR' })).rules;
    const id = fr?.id ?? '';
    await admin.deleteTaxRule({ id });
    expect(await sql('select id from tax_rules where id = $1', [id])).toHaveLength(0);
    const audit = await audits('tax_rule.delete', id);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ before: { country: 'FR', rate: '20.00' } });
    await expectCode(admin.deleteTaxRule({ id }), Code.NotFound, /does not exist/);
  });
});

describe('GetBillingSettings', () => {
  it('reports the configured [billing]', async () => {
    expect(await admin.getBillingSettings({})).toMatchObject({
      dueDays: 9, renewalInvoiceDaysBefore: 5, reminderDaysBefore: [4, 1], reminderDaysAfter: [2, 6], suspendAfterDays: 2,
      terminateAfterDays: 20, pricesIncludeTax: true, lifecycleIntervalSecs: 7200,
    });
  });
});

describe('who may call what', () => {
  it('lets operators list tax rules and manage promotions, not change tax rules', async () => {
    const before = await countOf('tax_rules');
    await expectCode(operator.createTaxRule({ terms: taxTerms({ country: 'NL', rate: '21' }) }), Code.PermissionDenied);
    const [de] = (await admin.listTaxRules({ country: 'DE' })).rules;
    await expectCode(operator.updateTaxRule({ id: de?.id ?? '', terms: taxTerms({ rate: '1' }) }), Code.PermissionDenied);
    await expectCode(operator.deleteTaxRule({ id: de?.id ?? '' }), Code.PermissionDenied);
    expect(await countOf('tax_rules')).toBe(before);
    expect(await sql('select rate::text from tax_rules where id = $1', [de?.id])).toEqual([{ rate: '19.00' }]);
    expect((await operator.listTaxRules({ country: 'DE' })).rules).toHaveLength(2);
    expect(await operator.getBillingSettings({})).toMatchObject({ suspendAfterDays: 2 });
    const { promotion } = await operator.createPromotionCode({ terms: promotionTerms({ code: 'OPERATOR-1' }) });
    expect(await audits('promotion_code.create', promotion?.id ?? '')).toEqual([expect.objectContaining({ admin_username: 'termsoperator' })]);
  });

  it('refuses customers everything', async () => {
    await expectCode(asCustomer.listPromotionCodes({}), Code.PermissionDenied);
    await expectCode(asCustomer.createPromotionCode({ terms: promotionTerms({ code: 'MINE-1' }) }), Code.PermissionDenied);
    await expectCode(asCustomer.listTaxRules({}), Code.PermissionDenied);
    await expectCode(asCustomer.getBillingSettings({}), Code.PermissionDenied);
    expect(await sql('select id from promotion_codes where code = $1', ['MINE-1'])).toHaveLength(0);
  });
});

describe('in process: Promotions.quote and TaxRules.taxFor (what CreateOrder uses)', () => {
  let orm: MikroORM;
  let promotions: Promotions;
  let taxRules: TaxRules;

  beforeAll(async () => {
    orm = await createOrm({ url: db.url, poolMin: 0, poolMax: 4 });
    promotions = new Promotions({ orm });
    taxRules = new TaxRules({ orm });
  });

  afterAll(async () => {
    await orm?.close(true);
  });

  it('quotes a code\'s discount and refuses what does not apply', async () => {
    const context = { customerId: customer.customerId, productId: PRODUCT, billingCycle: 'monthly', price: '80.00', now: '2026-03-15T00:00:00Z' };
    const quote = await promotions.quote(' spring-26 ', context);
    expect(quote).toMatchObject({ promotion: { code: 'SPRING-26' }, discount: '10.00', amount: '70.00' });
    await expect(promotions.quote('spring-26', { ...context, now: '2026-04-01T00:00:00Z' })).rejects.toMatchObject({ kind: 'failed_precondition', message: /expired/ });
    await expect(promotions.quote('spring-26', { ...context, billingCycle: 'quarterly' })).rejects.toMatchObject({ kind: 'failed_precondition', message: /quarterly/ });
    await expect(promotions.quote('NO-SUCH', context)).rejects.toMatchObject({ kind: 'not_found', message: 'promotion code NO-SUCH does not exist' });
    await expect(promotions.quote('x', context)).rejects.toMatchObject({ kind: 'invalid_argument', message: /^promotion_code must be/ });
    // SPRING-26 allows one use per customer: once redeemed, this customer is refused, another is not.
    await redeem(quote.promotion.id, customer.customerId);
    await expect(promotions.quote('SPRING-26', context)).rejects.toMatchObject({ kind: 'failed_precondition', message: /already used promotion code SPRING-26/ });
    await expect(promotions.quote('SPRING-26', { ...context, customerId: newId() })).resolves.toMatchObject({ discount: '10.00' });
    expect(await promotions.byCode('spring-26')).toMatchObject({ code: 'SPRING-26', uses: 1 });
    expect(await promotions.byCode('NO-SUCH')).toBeNull();
  });

  it('taxes a line by the customer\'s place and tax number', async () => {
    const id = customer.customerId;
    const setPlace = (country: string, region: string, taxNumber: string) =>
      sql('update customers set country = $2, region = $3, tax_number = $4 where id = $1', [id, country, region, taxNumber]);
    await setPlace('', '', '');
    expect(await taxRules.taxFor(id, '100.00', { pricesIncludeTax: false })).toEqual({ net: '100.00', tax: '0.00', gross: '100.00', rate: '0.00', exempt: false, ruleName: null });
    await setPlace('DE', 'bavaria', '');
    expect(await taxRules.taxFor(id, '100.00', { pricesIncludeTax: false })).toEqual({ net: '100.00', tax: '7.50', gross: '107.50', rate: '7.50', exempt: false, ruleName: 'VAT reduced' });
    await setPlace('DE', 'Saxony', '');
    expect(await taxRules.taxFor(id, '119.00', { pricesIncludeTax: true })).toEqual({ net: '100.00', tax: '19.00', gross: '119.00', rate: '19.00', exempt: false, ruleName: 'VAT' });
    await setPlace('DE', 'Saxony', 'DE123456789');
    expect(await taxRules.taxFor(id, '100.00', { pricesIncludeTax: false })).toEqual({ net: '100.00', tax: '0.00', gross: '100.00', rate: '0.00', exempt: true, ruleName: 'VAT' });
    await expect(taxRules.taxFor(newId(), '1.00', { pricesIncludeTax: false })).rejects.toMatchObject({ kind: 'not_found' });
    await setPlace('', '', '');
  });
});
