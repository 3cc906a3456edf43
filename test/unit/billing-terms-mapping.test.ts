import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import type { Promotions, StoredPromotion } from '../../src/application/billing/promotions.ts';
import type { StoredTaxRule, TaxRules } from '../../src/application/billing/tax-rules.ts';
import { parsePromotionInput } from '../../src/domain/billing/promotion.ts';
import { parseTaxRuleInput } from '../../src/domain/billing/tax.ts';
import { DomainError } from '../../src/domain/errors.ts';
import {
  CreatePromotionCodeRequestSchema, CreateTaxRuleRequestSchema, PromotionTermsSchema, TaxRuleTermsSchema, UpdatePromotionCodeRequestSchema,
  UpdateTaxRuleRequestSchema,
} from '../../src/gen/rustbill/billing_pb.ts';
import type { CallContext } from '../../src/grpc/context.ts';
import {
  billingSettingsReply, billingTermsHandlers, promotionCodeInfo, promotionInputOf, promotionTermsOf, taxRuleInfo, taxRuleInputOf, taxRuleTermsOf,
} from '../../src/grpc/services/billing-terms.ts';

const PRODUCT = '0190f5a2-7c1e-7b3a-9f00-000000000001';
const CREATED = new Date('2026-01-02T03:04:05.678Z');
const UPDATED = new Date('2026-02-03T04:05:06Z');

describe('promotion terms', () => {
  it('maps every PromotionTerms field to PromotionInput', () => {
    const terms = create(PromotionTermsSchema, {
      code: 'spring', kind: 'fixed', value: '5', recurrence: 'every_period', productIds: [PRODUCT], billingCycles: ['yearly'],
      validFrom: '2026-03-01T00:00:00Z', validUntil: '2026-04-01T00:00:00Z', maxUses: 7, maxUsesPerCustomer: 2, isActive: true, description: 'd',
    });
    expect(promotionInputOf(terms)).toEqual({
      code: 'spring', kind: 'fixed', value: '5', recurrence: 'every_period', productIds: [PRODUCT], billingCycles: ['yearly'],
      validFrom: '2026-03-01T00:00:00Z', validUntil: '2026-04-01T00:00:00Z', maxUses: 7, maxUsesPerCustomer: 2, isActive: true, description: 'd',
    });
  });

  it('round-trips through the domain: no window and no limits are "" and 0 both ways', () => {
    const sent = create(PromotionTermsSchema, { code: ' spring ', kind: 'percent', value: '10', recurrence: 'first_period', isActive: false, description: ' x ' });
    const stored: StoredPromotion = { id: PRODUCT, uses: 3, createdAt: CREATED, updatedAt: UPDATED, ...parsePromotionInput(promotionInputOf(sent)) };
    expect(stored).toMatchObject({ validFrom: null, validUntil: null, maxUses: null, maxUsesPerCustomer: null });
    expect(promotionTermsOf(stored)).toEqual({
      code: 'SPRING', kind: 'percent', value: '10.00', recurrence: 'first_period', productIds: [], billingCycles: [], validFrom: '', validUntil: '',
      maxUses: 0, maxUsesPerCustomer: 0, isActive: false, description: 'x',
    });
    expect(promotionCodeInfo(stored)).toMatchObject({ id: PRODUCT, uses: 3, createdAt: '2026-01-02T03:04:05Z', updatedAt: '2026-02-03T04:05:06Z' });
  });
});

describe('tax rule terms', () => {
  it('maps every TaxRuleTerms field both ways', () => {
    const sent = create(TaxRuleTermsSchema, { country: 'de', region: ' Bavaria ', rate: '7', reverseCharge: true, name: 'VAT', isActive: false });
    expect(taxRuleInputOf(sent)).toEqual({ country: 'de', region: ' Bavaria ', rate: '7', reverseCharge: true, name: 'VAT', isActive: false });
    const stored: StoredTaxRule = { id: PRODUCT, createdAt: CREATED, updatedAt: UPDATED, ...parseTaxRuleInput(taxRuleInputOf(sent)) };
    expect(taxRuleTermsOf(stored)).toEqual({ country: 'DE', region: 'Bavaria', rate: '7.00', reverseCharge: true, name: 'VAT', isActive: false });
    expect(taxRuleInfo(stored)).toMatchObject({ id: PRODUCT, createdAt: '2026-01-02T03:04:05Z', updatedAt: '2026-02-03T04:05:06Z' });
  });
});

describe('billingSettingsReply', () => {
  it('reports each [billing] key in its own field', () => {
    expect(billingSettingsReply({
      due_days: 1, renewal_invoice_days_before: 2, reminder_days_before: [3, 4], reminder_days_after: [5], suspend_after_days: 6,
      terminate_after_days: 7, prices_include_tax: true, lifecycle_interval_secs: 8,
    })).toEqual({
      dueDays: 1, renewalInvoiceDaysBefore: 2, reminderDaysBefore: [3, 4], reminderDaysAfter: [5], suspendAfterDays: 6, terminateAfterDays: 7,
      pricesIncludeTax: true, lifecycleIntervalSecs: 8,
    });
  });
});

describe('billingTermsHandlers', () => {
  const untouchable = new Proxy({}, { get: () => () => { throw new Error('the service must not be called'); } });
  const handlers = billingTermsHandlers({
    promotions: untouchable as Promotions, taxRules: untouchable as TaxRules,
    settings: { due_days: 14, renewal_invoice_days_before: 7, reminder_days_before: [3], reminder_days_after: [1], suspend_after_days: 3, terminate_after_days: 14, prices_include_tax: false, lifecycle_interval_secs: 3600 },
  });
  const call = {} as CallContext;

  it('implements exactly the nine terms RPCs', () => {
    expect(Object.keys(handlers).sort()).toEqual([
      'createPromotionCode', 'createTaxRule', 'deletePromotionCode', 'deleteTaxRule', 'getBillingSettings', 'listPromotionCodes', 'listTaxRules',
      'updatePromotionCode', 'updateTaxRule',
    ]);
  });

  it('refuses requests without terms (and updates without a valid id) before calling the service', async () => {
    const refusals: Array<[Promise<unknown> | undefined, RegExp]> = [
      [handlers.createPromotionCode?.(create(CreatePromotionCodeRequestSchema, {}), call), /^terms is required$/],
      [handlers.updatePromotionCode?.(create(UpdatePromotionCodeRequestSchema, { id: PRODUCT }), call), /^terms is required$/],
      [handlers.updatePromotionCode?.(create(UpdatePromotionCodeRequestSchema, { id: 'x', terms: {} }), call), /^id "x" is not a UUID/],
      [handlers.createTaxRule?.(create(CreateTaxRuleRequestSchema, {}), call), /^terms is required$/],
      [handlers.updateTaxRule?.(create(UpdateTaxRuleRequestSchema, { id: PRODUCT }), call), /^terms is required$/],
      [handlers.updateTaxRule?.(create(UpdateTaxRuleRequestSchema, { id: '', terms: {} }), call), /^id is required/],
    ];
    for (const [promise, message] of refusals) {
      const error = await (promise ?? Promise.resolve(undefined)).then(() => null, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ kind: 'invalid_argument', message: expect.stringMatching(message) });
    }
  });
});
