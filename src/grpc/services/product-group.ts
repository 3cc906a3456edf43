import type { MessageInitShape } from '@bufbuild/protobuf';
import type { GroupView, ProductGroups } from '../../application/catalog/product-groups.ts';
import { ProductGroupService, type ProductGroupInfoSchema } from '../../gen/rustbill/product_group_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import { optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/** `ProductGroupInfo` of a group and its product count (no category as `""`). */
export function productGroupInfo(view: GroupView): MessageInitShape<typeof ProductGroupInfoSchema> {
  const { group } = view;
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    sortOrder: group.sortOrder,
    productCount: view.productCount,
    createdAt: rfc3339(group.createdAt),
    updatedAt: rfc3339(group.updatedAt),
    categoryId: group.categoryId ?? '',
  };
}

/**
 * ProductGroupService, all 5 RPCs (extra-services.md): groups of products, optionally in a
 * category, with their product counts; a group with products cannot be deleted. Maps protobuf to
 * src/application/catalog/product-groups.ts and back.
 */
export function productGroupHandlers(groups: ProductGroups): ServiceHandlers<typeof ProductGroupService> {
  return {
    async listProductGroups(request, call) {
      const page = resolvePage(request.pagination);
      const categoryId = optionalUuidField('category_id', request.categoryId);
      const { groups: found, total } = await groups.list(call.caller, categoryId !== undefined ? { categoryId } : {}, page);
      return { groups: found.map(productGroupInfo), meta: pageMeta(page, total) };
    },

    async createProductGroup(request, call) {
      const categoryId = optionalUuidField('category_id', request.categoryId) ?? null;
      const created = await groups.create(call, { name: request.name, description: request.description, sortOrder: request.sortOrder, categoryId });
      return { group: productGroupInfo(created) };
    },

    async getProductGroup(request, call) {
      return { group: productGroupInfo(await groups.get(call.caller, uuidField('id', request.id))) };
    },

    async updateProductGroup(request, call) {
      const id = uuidField('id', request.id);
      // '' takes the group out of its category; any other value must be a category's id.
      const categoryId = request.categoryId === undefined || request.categoryId === '' ? request.categoryId : uuidField('category_id', request.categoryId);
      const updated = await groups.update(call, id, {
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.description !== undefined ? { description: request.description } : {}),
        ...(request.sortOrder !== undefined ? { sortOrder: request.sortOrder } : {}),
        ...(categoryId !== undefined ? { categoryId } : {}),
      });
      return { group: productGroupInfo(updated) };
    },

    async deleteProductGroup(request, call) {
      await groups.remove(call, uuidField('id', request.id));
      return {};
    },
  };
}
