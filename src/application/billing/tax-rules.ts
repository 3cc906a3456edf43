/**
 * Tax rules (BillingService CreateTaxRule … DeleteTaxRule) and the tax of a customer's line: a
 * rate per country and optionally region, stored in `tax_rules` (unique per country and region
 * whatever the region's case). The rules — a valid rule, which rule applies to a place, the taxed
 * line, the reverse charge — are in src/domain/billing/tax.ts; this module loads and stores, each
 * admin change in ONE transaction with its audit row (`operation_logs`).
 *
 * Tax rules change what every customer pays: changes are for admins with role admin (the
 * permission table says `admin_only`; this service refuses other callers too).
 */
import { LockMode, UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import {
  normalizeCountry, parseTaxRuleInput, taxLine, taxRuleFor, type TaxedLine, type TaxRule, type TaxRuleInput,
} from '../../domain/billing/tax.ts';
import { alreadyExists, forbidden, notFound } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/money.ts';
import type { Origin } from '../../domain/origin.ts';
import type { Page } from '../../domain/pagination.ts';
import { Customer } from '../../persistence/entities/customers.ts';
import { TaxRule as TaxRuleRow } from '../../persistence/entities/recurring.ts';
import { changedFields, recordAudit } from '../audit.ts';

/** A stored tax rule with its row's times (what ListTaxRules shows). */
export interface StoredTaxRule extends TaxRule {
  createdAt: Date;
  updatedAt: Date;
}

/** A customer's taxed line and the name of the rule applied (null when no rule applies). */
export type CustomerTaxedLine = TaxedLine & { ruleName: string | null };

/** The unique index on `(country, lower(region))`. */
const PLACE_UNIQUE = 'tax_rules_country_region_unique';

const AUDIT_FIELDS = ['country', 'region', 'rate', 'reverseCharge', 'name', 'isActive'] as const;

type Terms = Omit<TaxRule, 'id'>;

function snapshot(rule: Terms): Record<(typeof AUDIT_FIELDS)[number], unknown> {
  return { country: rule.country, region: rule.region, rate: rule.rate, reverseCharge: rule.reverseCharge, name: rule.name, isActive: rule.isActive };
}

/** A row of `tax_rules` as the domain's TaxRule (rate with 2 places). */
export function taxRuleOf(row: TaxRuleRow): StoredTaxRule {
  return {
    id: row.id, country: row.country, region: row.region, rate: formatMoney(row.rate), reverseCharge: row.reverseCharge, name: row.name,
    isActive: row.isActive, createdAt: row.createdAt, updatedAt: row.updatedAt,
  };
}

/** How a place reads in messages: `DE` (the whole country) or `DE region "Bavaria"`. */
function placeText(country: string, region: string): string {
  return region === '' ? `${country} (the whole country)` : `${country} region "${region}"`;
}

function duplicate(terms: Terms): Error {
  return alreadyExists(`a tax rule for ${placeText(terms.country, terms.region)} already exists; update that rule instead`);
}

function requireTaxAdmin(origin: Origin): void {
  const caller = origin.caller;
  if (caller.kind !== 'admin' || caller.role !== 'admin') throw forbidden('only administrators with the admin role may change tax rules');
}

/** Whether `error` is the unique violation of a second rule for one place. */
function isPlaceTaken(error: unknown): boolean {
  return error instanceof UniqueConstraintViolationException && (error as { constraint?: unknown }).constraint === PLACE_UNIQUE;
}

/** How long the active rules are reused (ms): a rule changed on another worker applies within it. */
export const ACTIVE_RULES_TTL_MS = 5_000;

/** See the file comment. Methods throw DomainError for refused requests (nothing changed then). */
export class TaxRules {
  private readonly orm: MikroORM;
  /** The active rules, kept for {@link ACTIVE_RULES_TTL_MS} (CreateOrder asks for every order). */
  private active: { until: number; rules: Promise<StoredTaxRule[]> } | null = null;

  private readonly changed: () => Promise<void>;

  /**
   * @param deps.changed told after a rule was created, changed or deleted, to make every worker
   *   drop its copy (the worker IPC broadcast; other nodes hear the `tax_rules` trigger's NOTIFY)
   */
  constructor(deps: { orm: MikroORM; changed?: () => Promise<void> }) {
    this.orm = deps.orm;
    this.changed = deps.changed ?? (async () => undefined);
  }

  /** Drops this process's copy of the active rules (a change here, on another worker or node). */
  forget(): void {
    this.active = null;
  }

  /** After a committed change: this process forgets at once, the others through `changed`. */
  private async announce(): Promise<void> {
    this.forget();
    await this.changed().catch(() => undefined);
  }

  /** The active rules of every country, from a copy at most {@link ACTIVE_RULES_TTL_MS} old (this process's changes drop it). */
  private activeRules(): Promise<StoredTaxRule[]> {
    const now = Date.now();
    if (this.active === null || this.active.until <= now) {
      const rules = this.orm.em.fork().find(TaxRuleRow, { isActive: true }, { orderBy: { id: 'asc' } }).then((rows) => rows.map(taxRuleOf));
      this.active = { until: now + ACTIVE_RULES_TTL_MS, rules };
      rules.catch(() => { this.active = null; });
    }
    return this.active.rules;
  }

  /**
   * A page of tax rules by country, then region (`''`, the country-wide rule, first); with
   * `country` (any case; `''` = all) only that country's.
   * @throws DomainError invalid_argument naming `country` when it is not two letters
   */
  async list(filter: { country: string }, page: Page): Promise<{ rules: StoredTaxRule[]; total: number }> {
    const country = normalizeCountry('country', filter.country);
    const [rows, total] = await this.orm.em.fork().findAndCount(TaxRuleRow, country === '' ? {} : { country }, {
      orderBy: { country: 'asc', region: 'asc', id: 'asc' }, limit: page.pageSize, offset: page.offset,
    });
    return { rules: rows.map(taxRuleOf), total };
  }

  /**
   * Creates a tax rule (CreateTaxRule), audited (`tax_rule.create`).
   * @throws DomainError invalid_argument naming `country`, `region`, `rate` or `name`
   *   (parseTaxRuleInput); already_exists naming the country and region when they have a rule;
   *   permission_denied (not an admin with role admin)
   */
  async create(origin: Origin, input: TaxRuleInput): Promise<StoredTaxRule> {
    requireTaxAdmin(origin);
    const terms = parseTaxRuleInput(input);
    return this.writePlace(terms, async (tx) => {
      await this.refuseTakenPlace(tx, terms, null);
      const row = tx.create(TaxRuleRow, { ...terms });
      recordAudit(tx, origin, { action: 'tax_rule.create', targetType: 'tax_rule', targetId: row.id, details: { after: snapshot(terms) } });
      await tx.flush();
      return taxRuleOf(row);
    });
  }

  /**
   * Replaces a tax rule's terms (UpdateTaxRule), audited (`tax_rule.update`, the fields that changed).
   * @throws DomainError invalid_argument (parseTaxRuleInput); not_found; already_exists when the
   *   new country and region have another rule; permission_denied (not an admin with role admin)
   */
  async update(origin: Origin, id: string, input: TaxRuleInput): Promise<StoredTaxRule> {
    requireTaxAdmin(origin);
    const terms = parseTaxRuleInput(input);
    return this.writePlace(terms, async (tx) => {
      const row = await this.lock(tx, id);
      await this.refuseTakenPlace(tx, terms, row.id);
      const before = snapshot(taxRuleOf(row));
      Object.assign(row, terms);
      const changes = changedFields(before, snapshot(terms), AUDIT_FIELDS);
      if (Object.keys(changes).length > 0) {
        row.updatedAt = new Date();
        recordAudit(tx, origin, { action: 'tax_rule.update', targetType: 'tax_rule', targetId: row.id, details: { changes } });
      }
      await tx.flush();
      return taxRuleOf(row);
    });
  }

  /**
   * Runs `work`, which writes the rule of `terms`' place, in one transaction, then tells every
   * worker and node; a concurrent writer of the same place is AlreadyExists naming it.
   */
  private async writePlace(terms: Terms, work: (tx: EntityManager) => Promise<StoredTaxRule>): Promise<StoredTaxRule> {
    try {
      const result = await this.orm.em.fork().transactional(work);
      await this.announce();
      return result;
    } catch (error) {
      if (isPlaceTaken(error)) throw duplicate(terms);
      throw error;
    }
  }

  /**
   * Deletes a tax rule (DeleteTaxRule), audited (`tax_rule.delete`). Invoices already issued keep
   * their tax amounts.
   * @throws DomainError not_found, permission_denied (not an admin with role admin)
   */
  async remove(origin: Origin, id: string): Promise<void> {
    requireTaxAdmin(origin);
    await this.orm.em.fork().transactional(async (tx) => {
      const row = await this.lock(tx, id);
      recordAudit(tx, origin, { action: 'tax_rule.delete', targetType: 'tax_rule', targetId: row.id, details: { before: snapshot(taxRuleOf(row)) } });
      tx.remove(row);
      await tx.flush();
    });
    await this.announce();
  }

  /**
   * The tax of one line priced `price` for a customer: its country, region and tax number, the
   * active rules of its country, the rule that applies (taxRuleFor: a region's beats the
   * country's), then taxLine (reverse charge for a valid tax number where the rule has it).
   * @param price a decimal string with at most 2 places (negative for a discount line)
   * @throws DomainError not_found for an unknown customer; invalid_argument naming `price`
   */
  async taxFor(customerId: string, price: string, options: { pricesIncludeTax: boolean }): Promise<CustomerTaxedLine> {
    const active = await this.activeRules();
    // No rule anywhere (the common case of a reseller without tax): nothing to look up.
    if (active.length === 0) return { ...taxLine(price, null, { pricesIncludeTax: options.pricesIncludeTax, customerTaxNumber: '' }), ruleName: null };
    const customer = await this.orm.em.fork().findOne(Customer, { id: customerId }, { fields: ['id', 'country', 'region', 'taxNumber'] });
    if (!customer) throw notFound(`customer ${customerId} does not exist`);
    const country = customer.country.toUpperCase();
    const rules = country === '' ? [] : active.filter((candidate) => candidate.country === country);
    const rule = taxRuleFor(rules, { country: customer.country, region: customer.region });
    return {
      ...taxLine(price, rule, { pricesIncludeTax: options.pricesIncludeTax, customerTaxNumber: customer.taxNumber }),
      ruleName: rule?.name ?? null,
    };
  }

  /** The rule's row, locked for the transaction. @throws DomainError not_found */
  private async lock(tx: EntityManager, id: string): Promise<TaxRuleRow> {
    const row = await tx.findOne(TaxRuleRow, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!row) throw notFound(`tax rule ${id} does not exist`);
    return row;
  }

  /** Refuses a place (country, region whatever its case) that another rule than `exceptId` has. */
  private async refuseTakenPlace(tx: EntityManager, terms: Terms, exceptId: string | null): Promise<void> {
    const rows = await tx.getConnection().execute<Array<{ id: string }>>(
      'select id from tax_rules where country = ? and lower(region) = lower(?) and id is distinct from ?',
      [terms.country, terms.region, exceptId], 'all', tx.getTransactionContext(),
    );
    if (rows.length > 0) throw duplicate(terms);
  }
}
