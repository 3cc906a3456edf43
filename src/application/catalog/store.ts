/**
 * What the catalog's application services share: the transaction wrapper, counts of products per
 * group and groups per category, the products' audit snapshot, and the admin check.
 */
import { ForeignKeyConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import { Decimal } from 'decimal.js';
import { forbidden, notFound } from '../../domain/errors.ts';
import { storedCycles, storedPrices } from '../../domain/catalog/prices.ts';
import type { ProductFields } from '../../domain/catalog/products.ts';
import { formatMoney } from '../../domain/money.ts';
import { ProductGroup, type Product } from '../../persistence/entities/catalog.ts';
import type { Origin } from '../../domain/origin.ts';

/**
 * Refuses callers that are not admin users (operators included). The permission table lets only
 * admins reach the catalog's changes; this keeps them so for any other caller of the service.
 * @throws DomainError permission_denied
 */
export function requireAdmin(origin: Origin): void {
  if (origin.caller.kind !== 'admin') throw forbidden('only administrators may change the catalog');
}

/**
 * Runs `work` in one transaction (flushed once, at its end). A foreign key violation — a group,
 * category or interface deleted by someone else meanwhile — is NotFound with `missing`.
 */
export async function inTransaction<T>(orm: MikroORM, work: (tx: EntityManager) => Promise<T>, missing: string): Promise<T> {
  try {
    return await orm.em.fork().transactional(work);
  } catch (error) {
    if (error instanceof ForeignKeyConstraintViolationException) throw notFound(missing);
    throw error;
  }
}

/** Counts rows of `table` per value of `column` among `ids` (an optional extra SQL condition). */
async function countBy(em: EntityManager, table: 'products' | 'product_groups', column: 'group_id' | 'category_id', ids: readonly string[], extra = ''): Promise<Map<string, number>> {
  const counts = new Map<string, number>(ids.map((id) => [id, 0]));
  if (ids.length === 0) return counts;
  const rows = await em.getConnection().execute<Array<{ id: string; count: string }>>(
    `select ${column} as id, count(*) as count from ${table} where ${column} in (?)${extra} group by ${column}`,
    [ids],
    'all',
    em.getTransactionContext(),
  );
  for (const row of rows) counts.set(row.id, Number(row.count));
  return counts;
}

/** The number of products in each group of `groupIds` (only active ones when `activeOnly`). */
export function productCounts(em: EntityManager, groupIds: readonly string[], activeOnly: boolean): Promise<Map<string, number>> {
  return countBy(em, 'products', 'group_id', groupIds, activeOnly ? ' and is_active' : '');
}

/** The number of groups in each category of `categoryIds`. */
export function groupCounts(em: EntityManager, categoryIds: readonly string[]): Promise<Map<string, number>> {
  return countBy(em, 'product_groups', 'category_id', categoryIds);
}

/**
 * Refuses a group that does not exist.
 * @throws DomainError not_found naming `field`
 */
export async function requireGroup(em: EntityManager, field: string, groupId: string): Promise<void> {
  if ((await em.count(ProductGroup, { id: groupId })) === 0) throw notFound(`${field}: product group ${groupId} does not exist`);
}

/** A product's own fields as the domain rules see them. */
export function fieldsOf(product: Product): ProductFields {
  return {
    name: product.name,
    description: product.description,
    prices: storedPrices(product.pricePerMonth, product.billingCycles),
    costPrice: new Decimal(product.costPrice),
    specs: { ...product.specs },
  };
}

/** The columns of a product's own fields. */
export function storedFields(fields: ProductFields): Pick<Product, 'name' | 'description' | 'pricePerMonth' | 'billingCycles' | 'costPrice' | 'specs'> {
  return {
    name: fields.name,
    description: fields.description,
    pricePerMonth: formatMoney(fields.prices.pricePerMonth),
    billingCycles: storedCycles(fields.prices),
    costPrice: formatMoney(fields.costPrice),
    specs: { ...fields.specs },
  };
}

/** Writes `fields` into the managed `product`. */
export function assignFields(product: Product, fields: ProductFields): void {
  Object.assign(product, storedFields(fields));
}

/** The audited fields of a product. */
export const PRODUCT_AUDIT_FIELDS = [
  'name', 'description', 'pricePerMonth', 'costPrice', 'billingCycles', 'specs', 'interfaceId', 'groupId', 'isActive', 'externalId',
] as const;

/** A product's audited fields, as the audit row records them (money as `"10.50"`). */
export function productSnapshot(product: Product): Record<(typeof PRODUCT_AUDIT_FIELDS)[number], unknown> {
  return {
    name: product.name,
    description: product.description,
    pricePerMonth: formatMoney(product.pricePerMonth),
    costPrice: formatMoney(product.costPrice),
    billingCycles: { ...product.billingCycles },
    specs: { ...product.specs },
    interfaceId: product.interfaceId ?? null,
    groupId: product.groupId ?? null,
    isActive: product.isActive,
    externalId: product.externalId ?? null,
  };
}
