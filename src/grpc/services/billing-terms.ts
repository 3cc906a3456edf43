import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Promotions, StoredPromotion } from '../../application/billing/promotions.ts';
import type { StoredTaxRule, TaxRules } from '../../application/billing/tax-rules.ts';
import type { PromotionInput } from '../../domain/billing/promotion.ts';
import type { TaxRuleInput } from '../../domain/billing/tax.ts';
import { invalid } from '../../domain/errors.ts';
import {
  BillingService, type BillingSettingsReplySchema, type PromotionCodeInfoSchema, type PromotionTerms, type PromotionTermsSchema,
  type TaxRuleInfoSchema, type TaxRuleTerms, type TaxRuleTermsSchema,
} from '../../gen/rustbill/billing_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import { uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/**
 * The `[billing]` settings GetBillingSettings reports (src/config/schema.ts billingSchema; keys as
 * in the configuration). The configuration's `billing` table is one.
 */
export interface BillingSettings {
  due_days: number;
  renewal_invoice_days_before: number;
  reminder_days_before: number[];
  reminder_days_after: number[];
  suspend_after_days: number;
  terminate_after_days: number;
  prices_include_tax: boolean;
  lifecycle_interval_secs: number;
}

/**
 * The terms of a request, required.
 * @throws DomainError invalid_argument `terms is required` when the message lacks them
 */
function requireTerms<T>(terms: T | undefined): T {
  if (terms === undefined) throw invalid('terms is required');
  return terms;
}

/** PromotionTerms as the domain's PromotionInput (checked by parsePromotionInput; `''` instants and 0 limits mean none). */
export function promotionInputOf(terms: PromotionTerms): PromotionInput {
  return {
    code: terms.code, kind: terms.kind, value: terms.value, recurrence: terms.recurrence, productIds: terms.productIds,
    billingCycles: terms.billingCycles, validFrom: terms.validFrom, validUntil: terms.validUntil, maxUses: terms.maxUses,
    maxUsesPerCustomer: terms.maxUsesPerCustomer, isActive: terms.isActive, description: terms.description,
  };
}

/** A stored promotion's PromotionTerms (null instants and limits as `''` and 0). */
export function promotionTermsOf(promotion: StoredPromotion): MessageInitShape<typeof PromotionTermsSchema> {
  return {
    code: promotion.code, kind: promotion.kind, value: promotion.value, recurrence: promotion.recurrence, productIds: [...promotion.productIds],
    billingCycles: [...promotion.billingCycles], validFrom: promotion.validFrom ?? '', validUntil: promotion.validUntil ?? '',
    maxUses: promotion.maxUses ?? 0, maxUsesPerCustomer: promotion.maxUsesPerCustomer ?? 0, isActive: promotion.isActive,
    description: promotion.description,
  };
}

/** `PromotionCodeInfo` of a stored promotion (times RFC3339). */
export function promotionCodeInfo(promotion: StoredPromotion): MessageInitShape<typeof PromotionCodeInfoSchema> {
  return {
    id: promotion.id, terms: promotionTermsOf(promotion), uses: promotion.uses,
    createdAt: rfc3339(promotion.createdAt), updatedAt: rfc3339(promotion.updatedAt),
  };
}

/** TaxRuleTerms as the domain's TaxRuleInput (checked by parseTaxRuleInput). */
export function taxRuleInputOf(terms: TaxRuleTerms): TaxRuleInput {
  return { country: terms.country, region: terms.region, rate: terms.rate, reverseCharge: terms.reverseCharge, name: terms.name, isActive: terms.isActive };
}

/** A stored tax rule's TaxRuleTerms. */
export function taxRuleTermsOf(rule: StoredTaxRule): MessageInitShape<typeof TaxRuleTermsSchema> {
  return { country: rule.country, region: rule.region, rate: rule.rate, reverseCharge: rule.reverseCharge, name: rule.name, isActive: rule.isActive };
}

/** `TaxRuleInfo` of a stored tax rule (times RFC3339). */
export function taxRuleInfo(rule: StoredTaxRule): MessageInitShape<typeof TaxRuleInfoSchema> {
  return { id: rule.id, terms: taxRuleTermsOf(rule), createdAt: rfc3339(rule.createdAt), updatedAt: rfc3339(rule.updatedAt) };
}

/** `BillingSettingsReply` of the `[billing]` settings. */
export function billingSettingsReply(settings: BillingSettings): MessageInitShape<typeof BillingSettingsReplySchema> {
  return {
    dueDays: settings.due_days,
    renewalInvoiceDaysBefore: settings.renewal_invoice_days_before,
    reminderDaysBefore: [...settings.reminder_days_before],
    reminderDaysAfter: [...settings.reminder_days_after],
    suspendAfterDays: settings.suspend_after_days,
    terminateAfterDays: settings.terminate_after_days,
    pricesIncludeTax: settings.prices_include_tax,
    lifecycleIntervalSecs: settings.lifecycle_interval_secs,
  };
}

/**
 * BillingService's recurring-billing extension (issue 11, README "Recurring billing"): promotion
 * codes, tax rules and the `[billing]` settings in force. Who may call what is the permission
 * table's (src/grpc/authz.ts: tax rule changes are admin-only); every change is audited by the
 * application services. RunBillingLifecycle is not here.
 */
export function billingTermsHandlers(deps: { promotions: Promotions; taxRules: TaxRules; settings: BillingSettings }): ServiceHandlers<typeof BillingService> {
  const { promotions, taxRules, settings } = deps;
  return {
    async createPromotionCode(request, call) {
      const promotion = await promotions.create(call, promotionInputOf(requireTerms(request.terms)));
      return { promotion: promotionCodeInfo(promotion) };
    },

    async listPromotionCodes(request) {
      const page = resolvePage(request.pagination);
      const { promotions: found, total } = await promotions.list({ activeOnly: request.activeOnly, codePrefix: request.codePrefix }, page);
      return { promotions: found.map(promotionCodeInfo), meta: pageMeta(page, total) };
    },

    async updatePromotionCode(request, call) {
      const id = uuidField('id', request.id);
      const promotion = await promotions.update(call, id, promotionInputOf(requireTerms(request.terms)));
      return { promotion: promotionCodeInfo(promotion) };
    },

    async deletePromotionCode(request, call) {
      return promotions.remove(call, uuidField('id', request.id));
    },

    async createTaxRule(request, call) {
      const rule = await taxRules.create(call, taxRuleInputOf(requireTerms(request.terms)));
      return { rule: taxRuleInfo(rule) };
    },

    async listTaxRules(request) {
      const page = resolvePage(request.pagination);
      const { rules, total } = await taxRules.list({ country: request.country }, page);
      return { rules: rules.map(taxRuleInfo), meta: pageMeta(page, total) };
    },

    async updateTaxRule(request, call) {
      const id = uuidField('id', request.id);
      const rule = await taxRules.update(call, id, taxRuleInputOf(requireTerms(request.terms)));
      return { rule: taxRuleInfo(rule) };
    },

    async deleteTaxRule(request, call) {
      await taxRules.remove(call, uuidField('id', request.id));
      return {};
    },

    async getBillingSettings() {
      return billingSettingsReply(settings);
    },
  };
}
