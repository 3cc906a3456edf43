/**
 * Products from providers (ProductService SyncProducts and ImportUpstreamProducts; IntegrationService
 * SyncProducts is to call {@link ProductSync.sync} too). Both store products of one provider
 * interface, recognised by their identity (src/domain/catalog/upstream.ts, kept in `external_id`),
 * so doing it again updates them instead of adding copies. One transaction per call, under a lock
 * per interface (two syncs of one interface take turns), with an audit row per product.
 *
 * - Sync stores what the provider's `sync_products()` returns: name, description, prices, cost
 *   price, specs and activity are the provider's on every sync. Products the provider no longer
 *   returns are left as they are.
 * - Import stores the items given: a new item becomes an **inactive** product priced at its cost
 *   (set the selling price with BatchUpdatePrice, then enable it with BatchSetActive); an item seen
 *   before updates the product's name, description, specs and cost price, and keeps the price and
 *   activity the admin set.
 * - With a group, every product stored is put into it; without one, new products are ungrouped and
 *   known ones keep their group.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { importedPrices, importedProducts, syncedProducts, type ImportItem, type ProviderProduct } from '../../domain/catalog/upstream.ts';
import type { ProductFields } from '../../domain/catalog/products.ts';
import { Product } from '../../persistence/entities/catalog.ts';
import { changedFields, recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';
import { requireProviderInterface } from './products.ts';
import { providerFailure, type ProviderProducts } from './provider-products.ts';
import { assignFields, fieldsOf, inTransaction, PRODUCT_AUDIT_FIELDS, productSnapshot, requireAdmin, requireGroup, storedFields } from './store.ts';

/** ImportUpstreamProducts' input. */
export interface ImportRequest {
  interfaceId: string;
  /** null: no group. */
  groupId: string | null;
  items: readonly ImportItem[];
}

/** What is stored for one provider product. */
interface Incoming {
  externalId: string;
  /** Fields for a new product. */
  fields: ProductFields;
  isActive: boolean;
  /** The fields of a known product after this sync or import. */
  refresh(current: ProductFields): ProductFields;
  /** Activity of a known product after this sync or import. */
  refreshActive(current: boolean): boolean;
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class ProductSync {
  private readonly orm: MikroORM;
  private readonly providers: ProviderProducts;

  constructor(deps: { orm: MikroORM; providers: ProviderProducts }) {
    this.orm = deps.orm;
    this.providers = deps.providers;
  }

  /**
   * Stores the products the provider interface's `sync_products()` returns and returns them as
   * stored, in the provider's order.
   * @param groupId the group to put them into, or null
   * @throws DomainError not_found (interface unknown, disabled or deleted; group unknown),
   *   failed_precondition (not a provider; the plugin failed or returned products that cannot be
   *   stored), unavailable (the plugin timed out or its upstream failed), permission_denied
   */
  async sync(origin: Origin, interfaceId: string, groupId: string | null): Promise<Product[]> {
    requireAdmin(origin);
    if (groupId !== null) await requireGroup(this.orm.em.fork(), 'group_id', groupId);
    let provided: readonly ProviderProduct[];
    try {
      provided = await this.providers.syncProducts(interfaceId, groupId ?? '');
    } catch (error) {
      throw providerFailure(error);
    }
    const incoming = syncedProducts(provided).map((product): Incoming => {
      const fields: ProductFields = { name: product.name, description: product.description, prices: product.prices, costPrice: product.costPrice, specs: product.specs };
      return { externalId: product.externalId, fields, isActive: product.isActive, refresh: () => fields, refreshActive: () => product.isActive };
    });
    return this.store(origin, 'product.sync', interfaceId, groupId, incoming);
  }

  /**
   * Stores the items given as products of the interface (see the file comment) and returns them.
   * @throws DomainError invalid_argument (items empty or malformed), not_found (interface not a
   *   provider interface, group unknown), permission_denied
   */
  async import(origin: Origin, request: ImportRequest): Promise<Product[]> {
    requireAdmin(origin);
    const incoming = importedProducts(request.items).map((item): Incoming => ({
      externalId: item.externalId,
      fields: { name: item.name, description: item.description, prices: importedPrices(item.costPrice), costPrice: item.costPrice, specs: item.specs },
      isActive: false,
      refresh: (current) => ({ ...current, name: item.name, description: item.description, specs: item.specs, costPrice: item.costPrice }),
      refreshActive: (current) => current,
    }));
    return this.store(origin, 'product.import', request.interfaceId, request.groupId, incoming, requireProviderInterface);
  }

  private async store(
    origin: Origin,
    action: string,
    interfaceId: string,
    groupId: string | null,
    incoming: readonly Incoming[],
    check?: (tx: EntityManager, interfaceId: string) => Promise<void>,
  ): Promise<Product[]> {
    return inTransaction(this.orm, async (tx) => {
      await tx.getConnection().execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`products.upstream:${interfaceId}`], 'all', tx.getTransactionContext());
      if (check) await check(tx, interfaceId);
      if (groupId !== null) await requireGroup(tx, 'group_id', groupId);
      const known = incoming.length === 0 ? [] : await tx.find(Product, { interfaceId, externalId: { $in: incoming.map((item) => item.externalId) } });
      const byIdentity = new Map(known.map((product) => [product.externalId ?? '', product]));
      return incoming.map((item) => {
        const product = byIdentity.get(item.externalId);
        if (!product) {
          const created = tx.create(Product, { ...storedFields(item.fields), interfaceId, groupId, externalId: item.externalId, isActive: item.isActive });
          recordAudit(tx, origin, { action, targetType: 'product', targetId: created.id, details: { created: true, after: productSnapshot(created) } });
          return created;
        }
        const before = productSnapshot(product);
        assignFields(product, item.refresh(fieldsOf(product)));
        product.isActive = item.refreshActive(product.isActive);
        if (groupId !== null) product.groupId = groupId;
        recordAudit(tx, origin, {
          action, targetType: 'product', targetId: product.id,
          details: { created: false, changes: changedFields(before, productSnapshot(product), PRODUCT_AUDIT_FIELDS) },
        });
        return product;
      });
    }, 'the provider interface or the group was deleted meanwhile; nothing was stored');
  }
}
