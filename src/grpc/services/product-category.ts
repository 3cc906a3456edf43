import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CategoryView, ProductCategories } from '../../application/catalog/product-categories.ts';
import { ProductCategoryService, type ProductCategoryInfoSchema } from '../../gen/rustbill/product_category_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import { uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/** `ProductCategoryInfo` of a category and its group count. */
export function productCategoryInfo(view: CategoryView): MessageInitShape<typeof ProductCategoryInfoSchema> {
  const { category } = view;
  return {
    id: category.id,
    name: category.name,
    description: category.description,
    sortOrder: category.sortOrder,
    groupCount: view.groupCount,
    createdAt: rfc3339(category.createdAt),
    updatedAt: rfc3339(category.updatedAt),
  };
}

/**
 * ProductCategoryService, all 5 RPCs (extra-services.md): the catalog's categories with their group
 * counts; a category with groups cannot be deleted. Maps protobuf to
 * src/application/catalog/product-categories.ts and back.
 */
export function productCategoryHandlers(categories: ProductCategories): ServiceHandlers<typeof ProductCategoryService> {
  return {
    async createProductCategory(request, call) {
      const created = await categories.create(call, { name: request.name, description: request.description, sortOrder: request.sortOrder });
      return { category: productCategoryInfo(created) };
    },

    async listProductCategories(request) {
      const page = resolvePage(request.pagination);
      const { categories: found, total } = await categories.list(page);
      return { categories: found.map(productCategoryInfo), meta: pageMeta(page, total) };
    },

    async getProductCategory(request) {
      return { category: productCategoryInfo(await categories.get(uuidField('id', request.id))) };
    },

    async updateProductCategory(request, call) {
      const updated = await categories.update(call, uuidField('id', request.id), {
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.description !== undefined ? { description: request.description } : {}),
        ...(request.sortOrder !== undefined ? { sortOrder: request.sortOrder } : {}),
      });
      return { category: productCategoryInfo(updated) };
    },

    async deleteProductCategory(request, call) {
      await categories.remove(call, uuidField('id', request.id));
      return {};
    },
  };
}
