/**
 * Reading customers with their CRM figures (CustomerService's reads and the CRM document's query
 * endpoints 1.4, 1.5, 2.1-2.4, 7.1): one customer or a page of them, filtered, searched and sorted
 * on the server, each with the fields computed on read from its real orders, payments and
 * invoices (src/domain/crm/customer-view.ts). Deleted customers are left out of lists unless asked
 * for; GetCustomer still finds them (their ledger and invoices are kept).
 *
 * Filters on the risk level and the RFM segment use the scores as last computed
 * (`customer_scores`, see customer-scores.ts); every customer's own fields are computed live.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { CustomerState } from '../../domain/customers/customer.ts';
import type { CustomerType } from '../../domain/crm/profile.ts';
import { customerCrmView, type CrmPolicy, type CustomerCrmView, type CustomerFigures } from '../../domain/crm/customer-view.ts';
import type { RiskLevel } from '../../domain/crm/credit-risk.ts';
import { starsOrNull, type Stars } from '../../domain/crm/rating.ts';
import type { RfmSegment } from '../../domain/crm/rfm.ts';
import { invalid, notFound } from '../../domain/errors.ts';
import type { Page } from '../../domain/pagination.ts';
import { CUSTOMER_COLUMNS, stateOf, type SnapshotRow } from '../../persistence/customer-snapshots.ts';
import { likePattern } from '../../lib/like-pattern.ts';
import { loadCustomerFigures } from './customer-figures.ts';
import { utcToday } from './crm-policy.ts';

/** A customer with everything the CRM shows of it. */
export interface CustomerRecord {
  customer: CustomerState;
  figures: CustomerFigures;
  view: CustomerCrmView;
  /** The last computed rating (null: never computed, or no history). */
  computedStars: Stars | null;
}

/** The columns a list may be sorted by. */
export const SORT_KEYS = ['created_at', 'name', 'customer_code', 'balance', 'credit_limit', 'rating'] as const;
/** One of {@link SORT_KEYS}. */
export type SortKey = (typeof SORT_KEYS)[number];

/** What a list asks for; every filter is optional. */
export interface CustomerQuery {
  isActive?: boolean;
  /** ListCustomers' search: name or e-mail contains it (case-insensitive). */
  search?: string;
  /** SearchCustomers' keyword: name, code, contact person or e-mail contains it; exact name or code first. */
  keyword?: string;
  customerType?: CustomerType;
  /** Exact, case-insensitive. */
  industry?: string;
  /** The rating in force. */
  rating?: Stars;
  riskLevel?: RiskLevel;
  rfmSegment?: RfmSegment;
  includeDeleted?: boolean;
  sortBy?: SortKey;
  sortOrder?: 'asc' | 'desc';
}

const SORT_SQL: Readonly<Record<SortKey, string>> = {
  created_at: 'c.created_at',
  name: 'lower(c.name)',
  customer_code: 'lower(c.customer_code)',
  balance: 'c.balance',
  credit_limit: 'c.credit_limit',
  rating: 'coalesce(c.rating, s.computed_rating, 3)',
};


/** The WHERE clause and parameters of a query (customers `c` left-joined to customer_scores `s`). */
export function whereOf(query: CustomerQuery): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (!query.includeDeleted) conditions.push('c.deleted_at is null');
  if (query.isActive !== undefined) {
    conditions.push('c.is_active = ?');
    params.push(query.isActive);
  }
  if (query.search !== undefined) {
    conditions.push('(c.name ilike ? or c.email ilike ?)');
    params.push(likePattern(query.search), likePattern(query.search));
  }
  if (query.keyword !== undefined) {
    conditions.push('(c.name ilike ? or c.customer_code ilike ? or c.contact_person ilike ? or c.email ilike ?)');
    const like = likePattern(query.keyword);
    params.push(like, like, like, like);
  }
  if (query.customerType !== undefined) {
    conditions.push('c.customer_type = ?');
    params.push(query.customerType);
  }
  if (query.industry !== undefined) {
    conditions.push('lower(c.industry) = lower(?)');
    params.push(query.industry);
  }
  if (query.rating !== undefined) {
    conditions.push('coalesce(c.rating, s.computed_rating, 3) = ?');
    params.push(query.rating);
  }
  if (query.riskLevel !== undefined) {
    conditions.push('s.risk_level = ?');
    params.push(query.riskLevel);
  }
  if (query.rfmSegment !== undefined) {
    conditions.push('s.rfm_segment = ?');
    params.push(query.rfmSegment);
  }
  return { sql: conditions.length === 0 ? 'true' : conditions.join(' and '), params };
}

/** The ORDER BY of a query: relevance first for a keyword search, then the sort key, then the id. */
function orderOf(query: CustomerQuery): { sql: string; params: unknown[] } {
  const key = query.sortBy ?? (query.keyword !== undefined ? 'name' : 'created_at');
  const direction = query.sortOrder ?? (key === 'created_at' ? 'desc' : 'asc');
  const column = SORT_SQL[key];
  const sort = `${column} ${direction}, c.id ${direction}`;
  if (query.keyword === undefined) return { sql: sort, params: [] };
  return { sql: `(lower(c.name) = lower(?)) desc, (lower(c.customer_code) = lower(?)) desc, ${sort}`, params: [query.keyword, query.keyword] };
}

/** The stored customer columns, qualified by the alias `c`. */
const QUALIFIED_COLUMNS = CUSTOMER_COLUMNS.split(',').map((column) => `c.${column.trim()}`).join(', ');

/** See the file comment. */
export class CustomerDirectory {
  private readonly orm: MikroORM;
  private readonly policy: CrmPolicy;
  private readonly now: () => Date;

  constructor(deps: { orm: MikroORM; policy: CrmPolicy; now?: () => Date }) {
    this.orm = deps.orm;
    this.policy = deps.policy;
    this.now = deps.now ?? (() => new Date());
  }

  /** The CRM policy in force (thresholds for responses that show them). */
  get crmPolicy(): CrmPolicy {
    return this.policy;
  }

  /**
   * A page of customers matching `query`, with their CRM fields.
   * @returns the page and the number of matching customers
   */
  async list(query: CustomerQuery, page: Page): Promise<{ records: CustomerRecord[]; total: number }> {
    const em = this.orm.em.fork();
    const where = whereOf(query);
    const order = orderOf(query);
    const from = 'from customers c left join customer_scores s on s.customer_id = c.id';
    const [count] = await em.getConnection().execute<Array<{ n: string }>>(`select count(*)::text as n ${from} where ${where.sql}`, where.params);
    const rows = await em.getConnection().execute<Array<SnapshotRow & { computed_rating: number | null }>>(
      `select ${QUALIFIED_COLUMNS}, s.computed_rating ${from} where ${where.sql} order by ${order.sql} limit ? offset ?`,
      [...where.params, ...order.params, page.pageSize, page.offset],
    );
    return { records: await this.enrich(rows.map((row) => ({ state: stateOf(row), computed: row.computed_rating }))), total: Number(count?.n ?? 0) };
  }

  /** One customer with its CRM fields, deleted ones included. @throws DomainError not_found */
  async get(customerId: string): Promise<CustomerRecord> {
    const [record] = await this.records([customerId]);
    if (!record) throw notFound(`customer ${customerId} does not exist`);
    return record;
  }

  /** The customers `ids` that exist, with their CRM fields, in the order given. */
  async records(ids: readonly string[]): Promise<CustomerRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.orm.em.fork().getConnection().execute<Array<SnapshotRow & { computed_rating: number | null }>>(
      `select ${QUALIFIED_COLUMNS}, s.computed_rating from customers c left join customer_scores s on s.customer_id = c.id where c.id = any(?::uuid[])`,
      [`{${ids.join(',')}}`],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const ordered = ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ state: stateOf(row), computed: row.computed_rating }] : [];
    });
    return this.enrich(ordered);
  }

  /** The CRM fields of `customer` as it is now (after a command that changed it). */
  async recordOf(customer: CustomerState): Promise<CustomerRecord> {
    const [row] = await this.orm.em.fork().getConnection().execute<Array<{ computed_rating: number | null }>>(
      'select computed_rating from customer_scores where customer_id = ?', [customer.id],
    );
    const [record] = await this.enrich([{ state: customer, computed: row?.computed_rating ?? null }]);
    if (!record) throw notFound(`customer ${customer.id} does not exist`);
    return record;
  }

  /**
   * CheckCustomerCode: whether another customer (deleted ones included) has `code`, whatever its case.
   * @throws DomainError invalid_argument for an empty code
   */
  async codeTaken(code: string, excludeId?: string): Promise<{ exists: boolean; customerId: string; deleted: boolean }> {
    const trimmed = code.trim();
    if (trimmed === '') throw invalid('customer_code is required');
    const rows = await this.orm.em.fork().getConnection().execute<Array<{ id: string; deleted: boolean }>>(
      'select id, deleted_at is not null as deleted from customers where lower(customer_code) = lower(?) and (?::uuid is null or id <> ?::uuid) limit 1',
      [trimmed, excludeId ?? null, excludeId ?? null],
    );
    const row = rows[0];
    return row ? { exists: true, customerId: row.id, deleted: row.deleted } : { exists: false, customerId: '', deleted: false };
  }

  /** Today (UTC) by the directory's clock. */
  today(): string {
    return utcToday(this.now());
  }

  private async enrich(items: ReadonlyArray<{ state: CustomerState; computed: number | null }>): Promise<CustomerRecord[]> {
    const today = this.today();
    const figures = await loadCustomerFigures(this.orm.em.fork(), items.map((item) => item.state.id), today);
    return items.map(({ state, computed }) => {
      const own = figures.get(state.id);
      if (!own) throw notFound(`customer ${state.id} does not exist`);
      const computedStars = starsOrNull(computed);
      return { customer: state, figures: own, computedStars, view: customerCrmView(state, own, computedStars, this.policy, today) };
    });
  }
}
