/**
 * Product categories (ProductCategoryService): the top level of the catalog (category → group →
 * product). `group_count` is computed. A category with groups cannot be deleted. Each change is one
 * transaction with its audit row.
 */
import { LockMode, type MikroORM } from '@mikro-orm/postgresql';
import { notFound } from '../../domain/errors.ts';
import { catalogName } from '../../domain/catalog/fields.ts';
import { categoryDeletionRefusal } from '../../domain/catalog/structure.ts';
import type { Page } from '../../domain/pagination.ts';
import { ProductCategory } from '../../persistence/entities/catalog.ts';
import { changedFields, recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';
import { groupCounts, inTransaction, requireAdmin } from './store.ts';

/** A category with the number of its groups. */
export interface CategoryView {
  category: ProductCategory;
  groupCount: number;
}

/** CreateProductCategory's input. */
export interface CategoryInput {
  name: string;
  description: string;
  sortOrder: number;
}

/** UpdateProductCategory's input: only the fields set change. */
export type CategoryUpdate = Partial<CategoryInput>;

const AUDIT_FIELDS = ['name', 'description', 'sortOrder'] as const;

function snapshot(category: ProductCategory): Record<(typeof AUDIT_FIELDS)[number], unknown> {
  return { name: category.name, description: category.description, sortOrder: category.sortOrder };
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class ProductCategories {
  private readonly orm: MikroORM;

  constructor(deps: { orm: MikroORM }) {
    this.orm = deps.orm;
  }

  /** A page of categories by sort order, then age. */
  async list(page: Page): Promise<{ categories: CategoryView[]; total: number }> {
    const em = this.orm.em.fork();
    const [categories, total] = await em.findAndCount(ProductCategory, {}, {
      orderBy: { sortOrder: 'asc', createdAt: 'asc', id: 'asc' },
      limit: page.pageSize,
      offset: page.offset,
    });
    const counts = await groupCounts(em, categories.map((category) => category.id));
    return { categories: categories.map((category) => ({ category, groupCount: counts.get(category.id) ?? 0 })), total };
  }

  /** One category. @throws DomainError not_found */
  async get(id: string): Promise<CategoryView> {
    const em = this.orm.em.fork();
    const category = await em.findOne(ProductCategory, { id });
    if (!category) throw notFound(`product category ${id} does not exist`);
    const counts = await groupCounts(em, [category.id]);
    return { category, groupCount: counts.get(category.id) ?? 0 };
  }

  /** Creates a category (CreateProductCategory). @throws DomainError invalid_argument (name), permission_denied */
  async create(origin: Origin, input: CategoryInput): Promise<CategoryView> {
    requireAdmin(origin);
    const name = catalogName('name', input.name);
    return inTransaction(this.orm, async (tx) => {
      const category = tx.create(ProductCategory, { name, description: input.description, sortOrder: input.sortOrder });
      recordAudit(tx, origin, { action: 'product_category.create', targetType: 'product_category', targetId: category.id, details: { after: snapshot(category) } });
      return { category, groupCount: 0 };
    }, 'the category could not be created');
  }

  /** Changes a category (UpdateProductCategory): only the fields set. @throws DomainError invalid_argument (name), not_found, permission_denied */
  async update(origin: Origin, id: string, update: CategoryUpdate): Promise<CategoryView> {
    requireAdmin(origin);
    const name = update.name !== undefined ? catalogName('name', update.name) : undefined;
    return inTransaction(this.orm, async (tx) => {
      const category = await tx.findOne(ProductCategory, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!category) throw notFound(`product category ${id} does not exist`);
      const before = snapshot(category);
      if (name !== undefined) category.name = name;
      if (update.description !== undefined) category.description = update.description;
      if (update.sortOrder !== undefined) category.sortOrder = update.sortOrder;
      recordAudit(tx, origin, {
        action: 'product_category.update', targetType: 'product_category', targetId: category.id,
        details: { changes: changedFields(before, snapshot(category), AUDIT_FIELDS) },
      });
      const counts = await groupCounts(tx, [category.id]);
      return { category, groupCount: counts.get(category.id) ?? 0 };
    }, 'the category could not be changed');
  }

  /**
   * Deletes a category (DeleteProductCategory), refused while groups belong to it (the category row
   * is locked first, so a group being put into it meanwhile is either counted or refused).
   * @throws DomainError not_found, failed_precondition (groups in it, naming how many), permission_denied
   */
  async remove(origin: Origin, id: string): Promise<void> {
    requireAdmin(origin);
    await inTransaction(this.orm, async (tx) => {
      const category = await tx.findOne(ProductCategory, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!category) throw notFound(`product category ${id} does not exist`);
      const counts = await groupCounts(tx, [category.id]);
      const refusal = categoryDeletionRefusal(category, counts.get(category.id) ?? 0);
      if (refusal) throw refusal;
      recordAudit(tx, origin, { action: 'product_category.delete', targetType: 'product_category', targetId: category.id, details: { before: snapshot(category) } });
      tx.remove(category);
    }, 'the category could not be deleted');
  }
}
