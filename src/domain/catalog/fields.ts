/**
 * Field rules shared by the catalog's products, groups and categories (ProductService,
 * ProductGroupService, ProductCategoryService). Pure: each returns the value to store or throws a
 * DomainError invalid_argument naming the protobuf field.
 */
import { invalid } from '../errors.ts';

/** Longest name of a product, group or category (the `varchar(255)` columns). */
export const MAX_NAME_CHARS = 255;
/** Largest `sort_order` a row can hold (the `integer` columns; a group's uint32 may be larger on the wire). */
export const MAX_SORT_ORDER = 2_147_483_647;

/**
 * A name as stored: trimmed, required, at most {@link MAX_NAME_CHARS} characters.
 * @param field the protobuf field, e.g. `name` or `items[2].name`
 * @throws DomainError invalid_argument naming `field`
 */
export function catalogName(field: string, value: string): string {
  const name = value.trim();
  if (name === '') throw invalid(`${field} is required`);
  if (name.length > MAX_NAME_CHARS) throw invalid(`${field} must be at most ${MAX_NAME_CHARS} characters after trimming, got ${name.length}`);
  return name;
}

/**
 * A group's `sort_order` (uint32 on the wire, a PostgreSQL `integer` in the table).
 * @throws DomainError invalid_argument when it exceeds {@link MAX_SORT_ORDER}
 */
export function groupSortOrder(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SORT_ORDER) {
    throw invalid(`sort_order must be a whole number from 0 to ${MAX_SORT_ORDER}, got ${value}`);
  }
  return value;
}

/**
 * A `specs` map as stored: every key non-empty and without surrounding blanks (values are free text;
 * their lengths are checked by the request limits before the call gets here).
 * @param field the protobuf field, e.g. `specs` or `items[0].specs`
 * @throws DomainError invalid_argument naming the field and the key
 */
export function parseSpecs(field: string, specs: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(specs)) {
    if (key.trim() === '') throw invalid(`${field} has an empty key; every spec needs a name such as "region"`);
    if (key !== key.trim()) throw invalid(`${field} key "${key.trim()}" must not start or end with blanks`);
    out[key] = value;
  }
  return out;
}
