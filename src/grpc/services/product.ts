import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ProductSync } from '../../application/catalog/product-sync.ts';
import type { ProductCatalog } from '../../application/catalog/products.ts';
import { moneyOf } from '../../domain/money.ts';
import { ProductService, type ProductInfoSchema } from '../../gen/rustbill/product_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { Product } from '../../persistence/entities/catalog.ts';
import { optionalUuidField, uuidField, uuidListField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/** What ProductService calls. */
export interface ProductHandlerDeps {
  products: ProductCatalog;
  sync: ProductSync;
}

/** `ProductInfo` of a products row (money as `"10.50"`, absent interface or group as `""`). */
export function productInfo(product: Product): MessageInitShape<typeof ProductInfoSchema> {
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    pricePerMonth: moneyOf(product.pricePerMonth),
    interfaceId: product.interfaceId ?? '',
    isActive: product.isActive,
    createdAt: rfc3339(product.createdAt),
    updatedAt: rfc3339(product.updatedAt),
    specs: { ...product.specs },
    groupId: product.groupId ?? '',
    billingCycles: { ...product.billingCycles },
    costPrice: moneyOf(product.costPrice),
  };
}

/** An optional text filter: trimmed, `undefined` when empty. */
function textFilter(value: string | undefined): string | undefined {
  const text = value?.trim();
  return text ? text : undefined;
}

/** A group field where `''` means "no group": null, or the UUID. */
function groupOrNone(field: string, value: string): string | null {
  return value === '' ? null : uuidField(field, value);
}

/**
 * ProductService, all 11 RPCs (product-service.md): products with specs and billing cycles, public
 * listing (inactive products only for admins), batch operations, provider sync and upstream import,
 * and markup pricing. Maps protobuf to the catalog services of src/application/catalog and back;
 * the rules live there and in src/domain/catalog.
 */
export function productHandlers(deps: ProductHandlerDeps): ServiceHandlers<typeof ProductService> {
  const { products, sync } = deps;
  return {
    async createProduct(request, call) {
      const interfaceId = uuidField('interface_id', request.interfaceId);
      const groupId = optionalUuidField('group_id', request.groupId);
      const created = await products.create(call, {
        name: request.name,
        description: request.description,
        pricePerMonth: request.pricePerMonth,
        billingCycles: request.billingCycles,
        costPrice: request.costPrice,
        specs: request.specs,
        interfaceId,
        ...(groupId !== undefined ? { groupId } : {}),
      });
      return { product: productInfo(created) };
    },

    async listProducts(request, call) {
      const page = resolvePage(request.pagination);
      const interfaceId = optionalUuidField('interface_id', request.interfaceId);
      const groupId = optionalUuidField('group_id', request.groupId);
      const categoryId = optionalUuidField('category_id', request.categoryId);
      const region = textFilter(request.region);
      const search = textFilter(request.search);
      const { products: found, total } = await products.list(
        call.caller,
        {
          ...(interfaceId !== undefined ? { interfaceId } : {}),
          ...(region !== undefined ? { region } : {}),
          ...(request.isActive !== undefined ? { isActive: request.isActive } : {}),
          ...(search !== undefined ? { search } : {}),
          ...(groupId !== undefined ? { groupId } : {}),
          ...(categoryId !== undefined ? { categoryId } : {}),
        },
        page,
      );
      return { products: found.map(productInfo), meta: pageMeta(page, total) };
    },

    async getProduct(request, call) {
      return { product: productInfo(await products.get(call.caller, uuidField('id', request.id))) };
    },

    async updateProduct(request, call) {
      const id = uuidField('id', request.id);
      // '' takes the product out of its group; any other value must be a group's id.
      const groupId = request.groupId === undefined || request.groupId === '' ? request.groupId : uuidField('group_id', request.groupId);
      const updated = await products.update(call, id, {
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.description !== undefined ? { description: request.description } : {}),
        ...(request.pricePerMonth !== undefined ? { pricePerMonth: request.pricePerMonth } : {}),
        ...(request.isActive !== undefined ? { isActive: request.isActive } : {}),
        ...(request.costPrice !== undefined ? { costPrice: request.costPrice } : {}),
        ...(groupId !== undefined ? { groupId } : {}),
        specs: request.specs,
        billingCycles: request.billingCycles,
      });
      return { product: productInfo(updated) };
    },

    async deleteProduct(request, call) {
      await products.remove(call, uuidField('id', request.id));
      return {};
    },

    async syncProducts(request, call) {
      const interfaceId = uuidField('interface_id', request.interfaceId);
      const groupId = groupOrNone('group_id', request.groupId);
      const synced = await sync.sync(call, interfaceId, groupId);
      return { synced: synced.map(productInfo), count: synced.length };
    },

    async batchSetActive(request, call) {
      return { updatedCount: await products.setActive(call, uuidListField('product_ids', request.productIds), request.isActive) };
    },

    async batchSetGroup(request, call) {
      const ids = uuidListField('product_ids', request.productIds);
      return { updatedCount: await products.setGroup(call, ids, groupOrNone('group_id', request.groupId)) };
    },

    async batchDelete(request, call) {
      return { deletedCount: await products.removeMany(call, uuidListField('product_ids', request.productIds)) };
    },

    async importUpstreamProducts(request, call) {
      const interfaceId = uuidField('interface_id', request.interfaceId);
      const groupId = groupOrNone('group_id', request.groupId);
      const imported = await sync.import(call, {
        interfaceId,
        groupId,
        items: request.items.map((item) => ({ name: item.name, description: item.description, specs: item.specs, costPrice: item.costPrice })),
      });
      return { importedCount: imported.length };
    },

    async batchUpdatePrice(request, call) {
      return { updatedCount: await products.reprice(call, uuidListField('product_ids', request.productIds), request.markupRatio) };
    },
  };
}
