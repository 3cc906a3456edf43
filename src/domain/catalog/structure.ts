/**
 * The catalog's structure (category → group → product): what may be deleted. Pure.
 */
import { type DomainError, refused } from '../errors.ts';

/**
 * Why a category may not be deleted, or null: not while groups belong to it (deleting it would
 * silently take them out of the category).
 */
export function categoryDeletionRefusal(category: { id: string; name: string }, groupCount: number): DomainError | null {
  if (groupCount === 0) return null;
  return refused(
    `category "${category.name}" (${category.id}) still has ${groupCount} product group${groupCount === 1 ? '' : 's'}; move them to another category or delete them first`,
  );
}

/**
 * Why a group may not be deleted, or null: not while products are in it, active or not (deleting
 * it would silently ungroup them).
 */
export function groupDeletionRefusal(group: { id: string; name: string }, productCount: number): DomainError | null {
  if (productCount === 0) return null;
  return refused(
    `product group "${group.name}" (${group.id}) still has ${productCount} product${productCount === 1 ? '' : 's'}; move them to another group (BatchSetGroup) or delete them first`,
  );
}
