/**
 * Product groups (ProductGroupService): groups of products for display, each optionally in a
 * category. `product_count` is computed: all products for admins, active ones for everybody else
 * (what they can see). A group with products cannot be deleted. Each change is one transaction
 * with its audit row.
 */
import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import { notFound } from '../../domain/errors.ts';
import { catalogName, groupSortOrder } from '../../domain/catalog/fields.ts';
import { seesInactiveProducts } from '../../domain/catalog/products.ts';
import { groupDeletionRefusal } from '../../domain/catalog/structure.ts';
import type { Caller } from '../../domain/identity/principal.ts';
import type { Page } from '../../domain/pagination.ts';
import { ProductCategory, ProductGroup } from '../../persistence/entities/catalog.ts';
import { changedFields, recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';
import { inTransaction, productCounts, requireAdmin } from './store.ts';

/** A group with the number of its products the viewer can see. */
export interface GroupView {
  group: ProductGroup;
  productCount: number;
}

/** CreateProductGroup's input; `categoryId` null for none. */
export interface GroupInput {
  name: string;
  description: string;
  sortOrder: number;
  categoryId: string | null;
}

/** UpdateProductGroup's input: only the fields set change; `categoryId` `''` takes the group out of its category. */
export interface GroupUpdate {
  name?: string;
  description?: string;
  sortOrder?: number;
  categoryId?: string;
}

const AUDIT_FIELDS = ['name', 'description', 'sortOrder', 'categoryId'] as const;

function snapshot(group: ProductGroup): Record<(typeof AUDIT_FIELDS)[number], unknown> {
  return { name: group.name, description: group.description, sortOrder: group.sortOrder, categoryId: group.categoryId ?? null };
}

async function requireCategory(em: EntityManager, categoryId: string): Promise<void> {
  if ((await em.count(ProductCategory, { id: categoryId })) === 0) throw notFound(`category_id: product category ${categoryId} does not exist`);
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class ProductGroups {
  private readonly orm: MikroORM;

  constructor(deps: { orm: MikroORM }) {
    this.orm = deps.orm;
  }

  /** A page of groups (of one category, when given) by sort order, then age. */
  async list(viewer: Caller, filter: { categoryId?: string }, page: Page): Promise<{ groups: GroupView[]; total: number }> {
    const em = this.orm.em.fork();
    const [groups, total] = await em.findAndCount(ProductGroup, filter.categoryId !== undefined ? { categoryId: filter.categoryId } : {}, {
      orderBy: { sortOrder: 'asc', createdAt: 'asc', id: 'asc' },
      limit: page.pageSize,
      offset: page.offset,
    });
    return { groups: await this.views(em, viewer, groups), total };
  }

  /** One group. @throws DomainError not_found */
  async get(viewer: Caller, id: string): Promise<GroupView> {
    const em = this.orm.em.fork();
    const group = await em.findOne(ProductGroup, { id });
    if (!group) throw notFound(`product group ${id} does not exist`);
    const [view] = await this.views(em, viewer, [group]);
    if (!view) throw notFound(`product group ${id} does not exist`);
    return view;
  }

  /**
   * Creates a group (CreateProductGroup).
   * @throws DomainError invalid_argument (name, sort_order), not_found (category), permission_denied
   */
  async create(origin: Origin, input: GroupInput): Promise<GroupView> {
    requireAdmin(origin);
    const name = catalogName('name', input.name);
    const sortOrder = groupSortOrder(input.sortOrder);
    return inTransaction(this.orm, async (tx) => {
      if (input.categoryId !== null) await requireCategory(tx, input.categoryId);
      const group = tx.create(ProductGroup, { name, description: input.description, sortOrder, categoryId: input.categoryId });
      recordAudit(tx, origin, { action: 'product_group.create', targetType: 'product_group', targetId: group.id, details: { after: snapshot(group) } });
      return { group, productCount: 0 };
    }, 'category_id: the category was deleted meanwhile');
  }

  /**
   * Changes a group (UpdateProductGroup): only the fields set.
   * @throws DomainError invalid_argument (name, sort_order), not_found (group, category), permission_denied
   */
  async update(origin: Origin, id: string, update: GroupUpdate): Promise<GroupView> {
    requireAdmin(origin);
    const name = update.name !== undefined ? catalogName('name', update.name) : undefined;
    const sortOrder = update.sortOrder !== undefined ? groupSortOrder(update.sortOrder) : undefined;
    return inTransaction(this.orm, async (tx) => {
      const group = await tx.findOne(ProductGroup, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!group) throw notFound(`product group ${id} does not exist`);
      const before = snapshot(group);
      if (name !== undefined) group.name = name;
      if (update.description !== undefined) group.description = update.description;
      if (sortOrder !== undefined) group.sortOrder = sortOrder;
      if (update.categoryId !== undefined) {
        if (update.categoryId !== '') await requireCategory(tx, update.categoryId);
        group.categoryId = update.categoryId === '' ? null : update.categoryId;
      }
      recordAudit(tx, origin, {
        action: 'product_group.update', targetType: 'product_group', targetId: group.id,
        details: { changes: changedFields(before, snapshot(group), AUDIT_FIELDS) },
      });
      const counts = await productCounts(tx, [group.id], !seesInactiveProducts(origin.caller));
      return { group, productCount: counts.get(group.id) ?? 0 };
    }, 'category_id: the category was deleted meanwhile');
  }

  /**
   * Deletes a group (DeleteProductGroup), refused while it has products (the group row is locked
   * first, so a product being put into it meanwhile is either counted or refused).
   * @throws DomainError not_found, failed_precondition (products in it, naming how many), permission_denied
   */
  async remove(origin: Origin, id: string): Promise<void> {
    requireAdmin(origin);
    await inTransaction(this.orm, async (tx) => {
      const group = await tx.findOne(ProductGroup, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!group) throw notFound(`product group ${id} does not exist`);
      const counts = await productCounts(tx, [group.id], false);
      const refusal = groupDeletionRefusal(group, counts.get(group.id) ?? 0);
      if (refusal) throw refusal;
      recordAudit(tx, origin, { action: 'product_group.delete', targetType: 'product_group', targetId: group.id, details: { before: snapshot(group) } });
      tx.remove(group);
    }, 'the group could not be deleted');
  }

  private async views(em: EntityManager, viewer: Caller, groups: readonly ProductGroup[]): Promise<GroupView[]> {
    const counts = await productCounts(em, groups.map((group) => group.id), !seesInactiveProducts(viewer));
    return groups.map((group) => ({ group, productCount: counts.get(group.id) ?? 0 }));
  }
}
