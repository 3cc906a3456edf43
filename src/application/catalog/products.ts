/**
 * The product catalog (ProductService: ListProducts, GetProduct, CreateProduct, UpdateProduct,
 * DeleteProduct, BatchSetActive, BatchSetGroup, BatchDelete, BatchUpdatePrice). Reads go straight
 * to PostgreSQL; each change is one transaction holding the change and its audit rows (one per
 * product). Rules live in src/domain/catalog.
 */
import { LockMode, type EntityManager, type FilterQuery, type MikroORM } from '@mikro-orm/postgresql';
import { invalid, notFound } from '../../domain/errors.ts';
import { markedUpPrices, parseMarkupRatio } from '../../domain/catalog/markup.ts';
import { changedProductFields, isProviderType, productFields, seesInactiveProducts, type ProductChange, type ProductInput } from '../../domain/catalog/products.ts';
import type { Caller } from '../../domain/identity/principal.ts';
import type { Page } from '../../domain/pagination.ts';
import { Product, ProductGroup } from '../../persistence/entities/catalog.ts';
import { PluginInterface } from '../../persistence/entities/plugins.ts';
import { changedFields, recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';
import { assignFields, fieldsOf, storedFields, inTransaction, PRODUCT_AUDIT_FIELDS, productSnapshot, requireAdmin, requireGroup } from './store.ts';
import { likePattern } from '../../lib/like-pattern.ts';

/** ListProducts filters (all optional). */
export interface ProductFilter {
  interfaceId?: string;
  /** Matches `specs.region` exactly. */
  region?: string;
  isActive?: boolean;
  /** Matched case-insensitively against the name. */
  search?: string;
  groupId?: string;
  /** Products whose group belongs to this category. */
  categoryId?: string;
}

/** UpdateProduct: the product's own fields plus activity and group (`groupId` `''` ungroups). */
export type ProductUpdate = ProductChange & { isActive?: boolean; groupId?: string };

const BY_ID = { orderBy: { id: 'asc' } } as const;

/**
 * Refuses an `interface_id` that is not a provider interface (plugin_interfaces of type
 * first_party_provider or upstream_provider; disabled ones are fine, a product may be prepared
 * before its provider goes live).
 * @throws DomainError not_found
 */
export async function requireProviderInterface(em: EntityManager, interfaceId: string): Promise<void> {
  const row = await em.findOne(PluginInterface, { id: interfaceId }, { fields: ['id', 'pluginType', 'displayName'] });
  if (!row) throw notFound(`interface_id: plugin interface ${interfaceId} does not exist`);
  if (!isProviderType(row.pluginType)) {
    throw notFound(`interface_id: ${interfaceId} ("${row.displayName}") is a ${row.pluginType} interface, not a provider; products need a first-party or upstream provider interface`);
  }
}

/** How a product is named in messages. */
function labelOf(product: Product): string {
  return `product "${product.name}" (${product.id})`;
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class ProductCatalog {
  private readonly orm: MikroORM;

  constructor(deps: { orm: MikroORM }) {
    this.orm = deps.orm;
  }

  /**
   * A page of products, oldest first. Callers who are not admins see active products only (an
   * `isActive: false` filter then finds nothing).
   */
  async list(viewer: Caller, filter: ProductFilter, page: Page): Promise<{ products: Product[]; total: number }> {
    const em = this.orm.em.fork();
    const conditions: FilterQuery<Product>[] = [];
    if (!seesInactiveProducts(viewer)) conditions.push({ isActive: true });
    if (filter.isActive !== undefined) conditions.push({ isActive: filter.isActive });
    if (filter.interfaceId !== undefined) conditions.push({ interfaceId: filter.interfaceId });
    if (filter.groupId !== undefined) conditions.push({ groupId: filter.groupId });
    if (filter.region !== undefined) conditions.push({ specs: { region: filter.region } });
    if (filter.search !== undefined) conditions.push({ name: { $ilike: likePattern(filter.search) } });
    if (filter.categoryId !== undefined) {
      const groups = await em.find(ProductGroup, { categoryId: filter.categoryId }, { fields: ['id'] });
      conditions.push({ groupId: { $in: groups.map((group) => group.id) } });
    }
    const [products, total] = await em.findAndCount(Product, conditions.length > 0 ? { $and: conditions } : {}, {
      orderBy: { createdAt: 'asc', id: 'asc' },
      limit: page.pageSize,
      offset: page.offset,
    });
    return { products, total };
  }

  /** One product; an inactive one only for admins. @throws DomainError not_found */
  async get(viewer: Caller, id: string): Promise<Product> {
    const product = await this.orm.em.fork().findOne(Product, { id, ...(seesInactiveProducts(viewer) ? {} : { isActive: true }) });
    if (!product) throw notFound(`product ${id} does not exist`);
    return product;
  }

  /**
   * Creates a product (CreateProduct), active.
   * @throws DomainError invalid_argument (a field), not_found (interface_id not a provider
   *   interface, group_id unknown), permission_denied
   */
  async create(origin: Origin, input: ProductInput & { interfaceId: string; groupId?: string }): Promise<Product> {
    requireAdmin(origin);
    const fields = productFields(input);
    return inTransaction(this.orm, async (tx) => {
      await requireProviderInterface(tx, input.interfaceId);
      if (input.groupId !== undefined) await requireGroup(tx, 'group_id', input.groupId);
      const product = tx.create(Product, { ...storedFields(fields), interfaceId: input.interfaceId, groupId: input.groupId ?? null, externalId: null, isActive: true });
      recordAudit(tx, origin, { action: 'product.create', targetType: 'product', targetId: product.id, details: { after: productSnapshot(product) } });
      return product;
    }, 'the product\'s interface or group was deleted meanwhile; check interface_id and group_id');
  }

  /**
   * Changes a product (UpdateProduct): only the fields set.
   * @throws DomainError invalid_argument (a field), not_found (product, group), permission_denied
   */
  async update(origin: Origin, id: string, update: ProductUpdate): Promise<Product> {
    requireAdmin(origin);
    return inTransaction(this.orm, async (tx) => {
      const product = await tx.findOne(Product, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!product) throw notFound(`product ${id} does not exist`);
      const before = productSnapshot(product);
      assignFields(product, changedProductFields(fieldsOf(product), update));
      if (update.isActive !== undefined) product.isActive = update.isActive;
      if (update.groupId !== undefined) {
        if (update.groupId !== '') await requireGroup(tx, 'group_id', update.groupId);
        product.groupId = update.groupId === '' ? null : update.groupId;
      }
      recordAudit(tx, origin, {
        action: 'product.update', targetType: 'product', targetId: product.id,
        details: { changes: changedFields(before, productSnapshot(product), PRODUCT_AUDIT_FIELDS) },
      });
      return product;
    }, 'the product\'s group was deleted meanwhile; check group_id');
  }

  /** Deletes a product (DeleteProduct); its orders and instances keep their copy of its name. @throws DomainError not_found, permission_denied */
  async remove(origin: Origin, id: string): Promise<void> {
    requireAdmin(origin);
    await inTransaction(this.orm, async (tx) => {
      const product = await tx.findOne(Product, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!product) throw notFound(`product ${id} does not exist`);
      recordAudit(tx, origin, { action: 'product.delete', targetType: 'product', targetId: product.id, details: { before: productSnapshot(product) } });
      tx.remove(product);
    }, 'the product could not be deleted');
  }

  /**
   * Sets `isActive` on the products named (BatchSetActive). Returns how many of them exist (each
   * counted once, whether or not it was already in that state); ids of no product are skipped.
   * @throws DomainError invalid_argument (no ids), permission_denied
   */
  async setActive(origin: Origin, ids: readonly string[], isActive: boolean): Promise<number> {
    return this.batch(origin, 'product.batch_set_active', ids, async (_tx, product) => {
      product.isActive = isActive;
    });
  }

  /**
   * Puts the products named into a group, or takes them out of theirs (`groupId` null;
   * BatchSetGroup). Returns how many exist.
   * @throws DomainError invalid_argument (no ids), not_found (group), permission_denied
   */
  async setGroup(origin: Origin, ids: readonly string[], groupId: string | null): Promise<number> {
    return this.batch(origin, 'product.batch_set_group', ids, async (_tx, product) => {
      product.groupId = groupId;
    }, async (tx) => {
      if (groupId !== null) await requireGroup(tx, 'group_id', groupId);
    });
  }

  /**
   * Deletes the products named (BatchDelete). Returns how many existed and were deleted.
   * @throws DomainError invalid_argument (no ids), permission_denied
   */
  async removeMany(origin: Origin, ids: readonly string[]): Promise<number> {
    requireAdmin(origin);
    requireIds(ids);
    return inTransaction(this.orm, async (tx) => {
      const products = await tx.find(Product, { id: { $in: [...ids] } }, { ...BY_ID, lockMode: LockMode.PESSIMISTIC_WRITE });
      for (const product of products) {
        recordAudit(tx, origin, { action: 'product.batch_delete', targetType: 'product', targetId: product.id, details: { before: productSnapshot(product) } });
        tx.remove(product);
      }
      return products.length;
    }, 'the products could not be deleted');
  }

  /**
   * Reprices the products named (BatchUpdatePrice): price = cost price × `markupRatio`, every
   * billing cycle in proportion (src/domain/catalog/markup.ts). Products with cost price 0 are left
   * as they are. Returns how many were repriced.
   * @throws DomainError invalid_argument (ratio, no ids, a price beyond NUMERIC(12,2)), permission_denied
   */
  async reprice(origin: Origin, ids: readonly string[], markupRatio: string): Promise<number> {
    requireAdmin(origin);
    const ratio = parseMarkupRatio(markupRatio);
    requireIds(ids);
    return inTransaction(this.orm, async (tx) => {
      const products = await tx.find(Product, { id: { $in: [...ids] } }, { ...BY_ID, lockMode: LockMode.PESSIMISTIC_WRITE });
      let repriced = 0;
      for (const product of products) {
        const fields = fieldsOf(product);
        const prices = markedUpPrices({ costPrice: fields.costPrice, prices: fields.prices, label: labelOf(product) }, ratio);
        if (prices === null) continue;
        const before = productSnapshot(product);
        assignFields(product, { ...fields, prices });
        repriced += 1;
        recordAudit(tx, origin, {
          action: 'product.batch_update_price', targetType: 'product', targetId: product.id,
          details: { markupRatio: ratio.toString(), changes: changedFields(before, productSnapshot(product), PRODUCT_AUDIT_FIELDS) },
        });
      }
      return repriced;
    }, 'the products could not be repriced');
  }

  /** One batch change of the products named: `apply` to each existing one, an audit row per product. */
  private async batch(
    origin: Origin,
    action: string,
    ids: readonly string[],
    apply: (tx: EntityManager, product: Product) => Promise<void>,
    prepare?: (tx: EntityManager) => Promise<void>,
  ): Promise<number> {
    requireAdmin(origin);
    requireIds(ids);
    return inTransaction(this.orm, async (tx) => {
      if (prepare) await prepare(tx);
      const products = await tx.find(Product, { id: { $in: [...ids] } }, { ...BY_ID, lockMode: LockMode.PESSIMISTIC_WRITE });
      for (const product of products) {
        const before = productSnapshot(product);
        await apply(tx, product);
        const changes = changedFields(before, productSnapshot(product), PRODUCT_AUDIT_FIELDS);
        // A product already in the state asked for is counted, but nothing changed: no audit row.
        if (Object.keys(changes).length > 0) recordAudit(tx, origin, { action, targetType: 'product', targetId: product.id, details: { changes } });
      }
      return products.length;
    }, 'the group was deleted meanwhile; check group_id');
  }
}

/** @throws DomainError invalid_argument when a batch names no product */
function requireIds(ids: readonly string[]): void {
  if (ids.length === 0) throw invalid('product_ids is required: send at least one product id');
}
