import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, jsonColumn, money, updatedAt, uuidPrimaryKey } from './columns.ts';
import { PluginInterface } from './plugins.ts';

/**
 * Table `product_categories` (`ProductCategoryInfo`): the top level of the catalog; groups belong
 * to a category. `sortOrder` orders them (ascending).
 */
export const ProductCategory = defineEntity({
  name: 'ProductCategory',
  tableName: 'product_categories',
  properties: {
    id: uuidPrimaryKey(),
    name: p.string().length(255),
    description: p.text().default(''),
    sortOrder: p.integer().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  indexes: [{ name: 'product_categories_sort_order_index', properties: ['sortOrder'] }],
});
/** A row of `product_categories`. */
export type ProductCategory = InferEntity<typeof ProductCategory>;

/**
 * Table `product_groups` (`ProductGroupInfo`): products are grouped for display. `categoryId` is
 * optional (ON DELETE SET NULL). `sortOrder` is a uint32 on the wire (CHECK >= 0).
 */
export const ProductGroup = defineEntity({
  name: 'ProductGroup',
  tableName: 'product_groups',
  properties: {
    id: uuidPrimaryKey(),
    name: p.string().length(255),
    description: p.text().default(''),
    sortOrder: p.integer().default(0),
    categoryId: p
      .manyToOne(ProductCategory)
      .mapToPk()
      .fieldName('category_id')
      .nullable()
      .deleteRule('set null'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  indexes: [
    { name: 'product_groups_category_id_index', properties: ['categoryId'] },
    { name: 'product_groups_sort_order_index', properties: ['sortOrder'] },
  ],
  checks: [{ name: 'product_groups_sort_order_check', expression: 'sort_order >= 0' }],
});
/** A row of `product_groups`. */
export type ProductGroup = InferEntity<typeof ProductGroup>;

/**
 * Table `products` (`ProductInfo`): what customers can order.
 *
 * Money (decimal strings): `pricePerMonth` and `costPrice`, both `>= 0`. `billingCycles` maps a
 * cycle (`monthly`/`quarterly`/`yearly`) to its price string, `specs` maps spec keys to values.
 *
 * - `interfaceId`: the provider plugin interface that provisions it (nullable, ON DELETE SET NULL:
 *   a product whose interface was deleted cannot be ordered).
 * - `groupId`: optional product group (ON DELETE SET NULL).
 * - `externalId`: the provider's product id for synced/imported products; UNIQUE together with
 *   `interfaceId` so re-syncing updates instead of duplicating (null for hand-made products).
 */
export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    id: uuidPrimaryKey(),
    name: p.string().length(255),
    description: p.text().default(''),
    pricePerMonth: money(),
    costPrice: money().default('0.00'),
    billingCycles: jsonColumn<Record<string, string>>(() => ({})),
    specs: jsonColumn<Record<string, string>>(() => ({})),
    interfaceId: p
      .manyToOne(PluginInterface)
      .mapToPk()
      .fieldName('interface_id')
      .nullable()
      .deleteRule('set null'),
    groupId: p.manyToOne(ProductGroup).mapToPk().fieldName('group_id').nullable().deleteRule('set null'),
    externalId: p.string().length(255).nullable(),
    isActive: p.boolean().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  uniques: [{ name: 'products_interface_id_external_id_unique', properties: ['interfaceId', 'externalId'] }],
  indexes: [
    { name: 'products_group_id_index', properties: ['groupId'] },
    { name: 'products_is_active_created_at_index', properties: ['isActive', 'createdAt'] },
  ],
  checks: [
    { name: 'products_price_per_month_check', expression: 'price_per_month >= 0' },
    { name: 'products_cost_price_check', expression: 'cost_price >= 0' },
  ],
});
/** A row of `products`. */
export type Product = InferEntity<typeof Product>;
