/**
 * Promotion codes (BillingService CreatePromotionCode … DeletePromotionCode, and CreateOrder's
 * early check): what an admin defines, stored in `promotion_codes`. The rules — what a valid code
 * and its terms are, whether a code applies to an order, the discount — are in
 * src/domain/billing/promotion.ts; this module loads and stores, each admin change in ONE
 * transaction with its audit row (`operation_logs`).
 *
 * Uses are counted by the database: a redemption row (`promotion_redemptions`, written by the money
 * path with its order) has a trigger that counts the use on the code's row and refuses past the
 * limits. {@link Promotions.quote} is the friendly check before that; the trigger is the final one.
 * Changes lock the code's row first, so a change and a concurrent redemption are ordered.
 *
 * Money is decimal strings with 2 places; instants RFC3339 UTC.
 */
import { CheckConstraintViolationException, LockMode, UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import {
  discountOf, normalizePromotionCode, parsePromotionInput, promotionRefusal, type Promotion, type PromotionInput, type PromotionKind,
  type PromotionRecurrence,
} from '../../domain/billing/promotion.ts';
import { alreadyExists, forbidden, invalid, notFound, refused } from '../../domain/errors.ts';
import { moneyOf } from '../../domain/money.ts';
import type { Origin } from '../../domain/origin.ts';
import type { Page } from '../../domain/pagination.ts';
import { businessClock } from '../../lib/clock.ts';
import { rfc3339 } from '../../lib/time.ts';
import { PromotionCode } from '../../persistence/entities/recurring.ts';
import { changedFields, recordAudit } from '../audit.ts';

/** A stored promotion with its row's times (what ListPromotionCodes shows). */
export interface StoredPromotion extends Promotion {
  createdAt: Date;
  updatedAt: Date;
}

/** What CreateOrder offers a code for: the customer, the product and cycle, the price of one period, the current instant. */
export interface PromotionQuoteContext {
  customerId: string;
  productId: string;
  billingCycle: string;
  /** Decimal string ≥ 0 with at most 2 places. */
  price: string;
  /** RFC3339 instant. */
  now: string;
}

/** A code's discount on an order's first period: `discount + amount = price`, decimal strings with 2 places. */
export interface PromotionQuote {
  promotion: StoredPromotion;
  discount: string;
  amount: string;
}

/** The unique constraint on `promotion_codes.code`. */
const CODE_UNIQUE = 'promotion_codes_code_unique';
/** The CHECK `uses <= max_uses`. */
const USES_CHECK = 'promotion_codes_uses_check';
/** Longest `code_prefix` that can match anything (codes are at most 32 characters). */
const MAX_PREFIX = 32;

const AUDIT_FIELDS = [
  'code', 'kind', 'value', 'recurrence', 'productIds', 'billingCycles', 'validFrom', 'validUntil', 'maxUses', 'maxUsesPerCustomer', 'isActive', 'description',
] as const;

type Terms = Omit<Promotion, 'id' | 'uses'>;

/** The terms of a promotion as the audit trail records them (no times of the row, no uses). */
function snapshot(promotion: Terms): Record<(typeof AUDIT_FIELDS)[number], unknown> {
  return {
    code: promotion.code, kind: promotion.kind, value: promotion.value, recurrence: promotion.recurrence, productIds: promotion.productIds,
    billingCycles: promotion.billingCycles, validFrom: promotion.validFrom, validUntil: promotion.validUntil, maxUses: promotion.maxUses,
    maxUsesPerCustomer: promotion.maxUsesPerCustomer, isActive: promotion.isActive, description: promotion.description,
  };
}

/** A row of `promotion_codes` as the domain's Promotion (money with 2 places, instants RFC3339 UTC). */
export function promotionOf(row: PromotionCode): StoredPromotion {
  return {
    id: row.id,
    code: row.code,
    // The CHECK constraints keep kind and recurrence to the domain's values.
    kind: row.kind as PromotionKind,
    value: moneyOf(row.value),
    recurrence: row.recurrence as PromotionRecurrence,
    productIds: [...row.productIds].map((id) => String(id).toLowerCase()),
    billingCycles: [...row.billingCycles].map(String),
    validFrom: row.validFrom ? rfc3339(row.validFrom) : null,
    validUntil: row.validUntil ? rfc3339(row.validUntil) : null,
    maxUses: row.maxUses ?? null,
    maxUsesPerCustomer: row.maxUsesPerCustomer ?? null,
    uses: row.uses,
    isActive: row.isActive,
    description: row.description,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Writes parsed terms onto a managed row (the code and uses are not touched here). */
function applyTerms(row: PromotionCode, terms: Terms): void {
  row.kind = terms.kind;
  row.value = terms.value;
  row.recurrence = terms.recurrence;
  row.productIds = [...terms.productIds];
  row.billingCycles = [...terms.billingCycles];
  row.validFrom = terms.validFrom === null ? null : new Date(terms.validFrom);
  row.validUntil = terms.validUntil === null ? null : new Date(terms.validUntil);
  row.maxUses = terms.maxUses;
  row.maxUsesPerCustomer = terms.maxUsesPerCustomer;
  row.isActive = terms.isActive;
  row.description = terms.description;
}

function requireAdmin(origin: Origin): void {
  if (origin.caller.kind !== 'admin') throw forbidden('only administrators may change promotion codes');
}

function taken(code: string): Error {
  return alreadyExists(`promotion code ${code} already exists; choose another code or update the existing one`);
}

/** `text` for a LIKE pattern, its wildcards (`%`, `_`, `\`) matched literally. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** See the file comment. Methods throw DomainError for refused requests (nothing changed then). */
export class Promotions {
  private readonly orm: MikroORM;
  private readonly now: () => Date;

  /** @param deps.now the clock of `updated_at`; default the business clock (src/lib/clock.ts) */
  constructor(deps: { orm: MikroORM; now?: () => Date }) {
    this.orm = deps.orm;
    this.now = deps.now ?? (() => businessClock.now());
  }

  /**
   * A page of promotion codes, newest first; with `activeOnly` only active ones, with `codePrefix`
   * (any case, trimmed; `''` = all) only codes starting with it.
   * @throws DomainError invalid_argument naming `code_prefix` when it is longer than a code can be
   */
  async list(filter: { activeOnly: boolean; codePrefix: string }, page: Page): Promise<{ promotions: StoredPromotion[]; total: number }> {
    const prefix = filter.codePrefix.trim().toUpperCase();
    if ([...prefix].length > MAX_PREFIX) throw invalid(`code_prefix must be at most ${MAX_PREFIX} characters (got ${[...prefix].length})`);
    const where: { isActive?: boolean; code?: { $like: string } } = {};
    if (filter.activeOnly) where.isActive = true;
    if (prefix !== '') where.code = { $like: `${likeLiteral(prefix)}%` };
    const [rows, total] = await this.orm.em.fork().findAndCount(PromotionCode, where, {
      orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.pageSize, offset: page.offset,
    });
    return { promotions: rows.map(promotionOf), total };
  }

  /** The promotion with `code` (trimmed, any case), or null when there is none. */
  async byCode(code: string): Promise<StoredPromotion | null> {
    const row = await this.orm.em.fork().findOne(PromotionCode, { code: code.trim().toUpperCase() });
    return row ? promotionOf(row) : null;
  }

  /**
   * Creates a promotion code (CreatePromotionCode), audited (`promotion_code.create`).
   * @throws DomainError invalid_argument naming the field (parsePromotionInput), already_exists
   *   naming the code when it is taken, permission_denied (not an admin)
   */
  async create(origin: Origin, input: PromotionInput): Promise<StoredPromotion> {
    requireAdmin(origin);
    const terms = parsePromotionInput(input);
    try {
      return await this.orm.em.fork().transactional(async (tx) => {
        if ((await tx.count(PromotionCode, { code: terms.code })) > 0) throw taken(terms.code);
        const row = tx.create(PromotionCode, {
          code: terms.code, kind: terms.kind, value: terms.value, recurrence: terms.recurrence, productIds: [...terms.productIds],
          billingCycles: [...terms.billingCycles], validFrom: terms.validFrom === null ? null : new Date(terms.validFrom),
          validUntil: terms.validUntil === null ? null : new Date(terms.validUntil), maxUses: terms.maxUses,
          maxUsesPerCustomer: terms.maxUsesPerCustomer, uses: 0, isActive: terms.isActive, description: terms.description,
        });
        recordAudit(tx, origin, { action: 'promotion_code.create', targetType: 'promotion_code', targetId: row.id, details: { after: snapshot(terms) } });
        await tx.flush();
        return promotionOf(row);
      });
    } catch (error) {
      // Two creations of one code at once: the second one's insert meets the unique constraint.
      if (error instanceof UniqueConstraintViolationException && constraintOf(error) === CODE_UNIQUE) throw taken(terms.code);
      throw error;
    }
  }

  /**
   * Replaces a promotion code's terms (UpdatePromotionCode), audited (`promotion_code.update`,
   * the fields that changed). Its code and its uses stay.
   * @throws DomainError invalid_argument naming the field (parsePromotionInput), or `code` when it
   *   differs from the stored one; not_found; failed_precondition when the new `max_uses` is below
   *   the uses so far; permission_denied (not an admin)
   */
  async update(origin: Origin, id: string, input: PromotionInput): Promise<StoredPromotion> {
    requireAdmin(origin);
    const terms = parsePromotionInput(input);
    try {
      return await this.orm.em.fork().transactional(async (tx) => {
        const row = await this.lock(tx, id);
        if (terms.code !== row.code) {
          throw invalid(`code cannot change (promotion code ${row.code}, got "${terms.code}"); create a new code instead`);
        }
        if (terms.maxUses !== null && terms.maxUses < row.uses) {
          throw refused(`max_uses ${terms.maxUses} is below the ${row.uses} uses of promotion code ${row.code} so far; set at least ${row.uses}, or 0 for no limit`);
        }
        const before = snapshot(promotionOf(row));
        applyTerms(row, terms);
        const changes = changedFields(before, snapshot(terms), AUDIT_FIELDS);
        if (Object.keys(changes).length > 0) {
          row.updatedAt = this.now();
          recordAudit(tx, origin, { action: 'promotion_code.update', targetType: 'promotion_code', targetId: row.id, details: { changes } });
        }
        await tx.flush();
        return promotionOf(row);
      });
    } catch (error) {
      // Not expected under the row lock; kept as a refusal rather than an internal error.
      if (error instanceof CheckConstraintViolationException && constraintOf(error) === USES_CHECK) {
        throw refused(`max_uses ${terms.maxUses ?? 0} is below the uses of promotion code ${terms.code} so far`);
      }
      throw error;
    }
  }

  /**
   * Deletes a promotion code never redeemed (DeletePromotionCode), audited
   * (`promotion_code.delete`). A redeemed code stays (its redemptions refer to it) and is
   * deactivated instead (`promotion_code.deactivate`, when it was active).
   * @returns `deleted` false when it was deactivated instead
   * @throws DomainError not_found, permission_denied (not an admin)
   */
  async remove(origin: Origin, id: string): Promise<{ deleted: boolean }> {
    requireAdmin(origin);
    return this.orm.em.fork().transactional(async (tx) => {
      const row = await this.lock(tx, id);
      const [redemptions] = await tx.getConnection().execute<Array<{ count: string }>>(
        'select count(*)::text as count from promotion_redemptions where promotion_id = ?', [row.id], 'all', tx.getTransactionContext(),
      );
      const redeemed = row.uses > 0 || Number(redemptions?.count ?? '0') > 0;
      if (!redeemed) {
        recordAudit(tx, origin, { action: 'promotion_code.delete', targetType: 'promotion_code', targetId: row.id, details: { before: snapshot(promotionOf(row)) } });
        tx.remove(row);
        await tx.flush();
        return { deleted: true };
      }
      if (row.isActive) {
        row.isActive = false;
        row.updatedAt = this.now();
        recordAudit(tx, origin, {
          action: 'promotion_code.deactivate', targetType: 'promotion_code', targetId: row.id,
          details: { changes: { isActive: { from: true, to: false } }, uses: row.uses },
        });
        await tx.flush();
      }
      return { deleted: false };
    });
  }

  /**
   * What `code` takes off an order's first period (CreateOrder's early check; the redemption
   * trigger makes the final, concurrency-safe count): the code normalised, the customer's
   * redemptions of it counted, the domain's refusal applied, then the discount on `context.price`.
   * @throws DomainError invalid_argument naming `promotion_code` (malformed code) or `price`;
   *   not_found `promotion code X does not exist`; failed_precondition, reason
   *   `promotion_not_applicable`, when the code does not apply (promotionRefusal)
   */
  async quote(code: string, context: PromotionQuoteContext): Promise<PromotionQuote> {
    const normalized = normalizePromotionCode('promotion_code', code);
    const em = this.orm.em.fork();
    const row = await em.findOne(PromotionCode, { code: normalized });
    if (!row) throw notFound(`promotion code ${normalized} does not exist`);
    const promotion = promotionOf(row);
    const [counted] = await em.getConnection().execute<Array<{ count: string }>>(
      'select count(*)::text as count from promotion_redemptions where promotion_id = ? and customer_id = ?', [row.id, context.customerId],
    );
    const refusal = promotionRefusal(promotion, {
      productId: context.productId, billingCycle: context.billingCycle, now: context.now, customerUses: Number(counted?.count ?? '0'),
    });
    if (refusal) throw refusal;
    return { promotion, ...discountOf(promotion, context.price, 'first') };
  }

  /** The code's row, locked for the transaction. @throws DomainError not_found */
  private async lock(tx: EntityManager, id: string): Promise<PromotionCode> {
    const row = await tx.findOne(PromotionCode, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!row) throw notFound(`promotion code ${id} does not exist`);
    return row;
  }
}

/** The constraint a PostgreSQL constraint violation names (copied from the driver's error). */
function constraintOf(error: Error): string | undefined {
  const constraint = (error as { constraint?: unknown }).constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}
