/**
 * What the Catalog screens share: every category, every group and the provider interfaces (for
 * selects and for naming a product's group and provider), loaded from the server page by page.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ProviderInfo } from '../../../../../src/gen/rustbill/integration_pb.ts';
import type { ProductCategoryInfo } from '../../../../../src/gen/rustbill/product_category_pb.ts';
import type { ProductGroupInfo } from '../../../../../src/gen/rustbill/product_group_pb.ts';
import { api, problemOf } from '../../api.ts';

/** The largest page the server gives. */
const PAGE = 100;

/** Every row of a paginated list, asking page after page until the total is reached. */
async function everyPage<T>(load: (page: number) => Promise<{ rows: T[]; total: number }>): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; ; page += 1) {
    const { rows, total } = await load(page);
    out.push(...rows);
    if (rows.length === 0 || out.length >= total) return out;
  }
}

/** Every category, in the server's order. */
export function loadCategories(): Promise<ProductCategoryInfo[]> {
  return everyPage(async (page) => {
    const answer = await api.categories.listProductCategories({ pagination: { page, pageSize: PAGE } });
    return { rows: answer.categories, total: Number(answer.meta?.total ?? 0n) };
  });
}

/** Every group (of one category when `categoryId` is given), in the server's order. */
export function loadGroups(categoryId?: string): Promise<ProductGroupInfo[]> {
  return everyPage(async (page) => {
    const answer = await api.groups.listProductGroups({ pagination: { page, pageSize: PAGE }, ...(categoryId !== undefined ? { categoryId } : {}) });
    return { rows: answer.groups, total: Number(answer.meta?.total ?? 0n) };
  });
}

/** The catalog's reference data and a way to load it again. */
export interface CatalogRefs {
  categories: ProductCategoryInfo[];
  groups: ProductGroupInfo[];
  providers: ProviderInfo[];
  error: string | null;
  loaded: boolean;
  reload(): void;
}

/** Categories, groups and providers, loaded once and again on `reload()`. */
export function useCatalogRefs(): CatalogRefs {
  const [categories, setCategories] = useState<ProductCategoryInfo[]>([]);
  const [groups, setGroups] = useState<ProductGroupInfo[]>([]);
  const [providers, setProviders] = useState<ProviderInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    Promise.all([loadCategories(), loadGroups(), api.integration.listProviders({})]).then(
      ([nextCategories, nextGroups, answer]) => {
        if (!live) return;
        setCategories(nextCategories);
        setGroups(nextGroups);
        setProviders(answer.providers);
        setError(null);
        setLoaded(true);
      },
      (failure: unknown) => { if (live) { setError(problemOf(failure).message); setLoaded(true); } },
    );
    return () => { live = false; };
  }, [version]);
  return { categories, groups, providers, error, loaded, reload: useCallback(() => setVersion((v) => v + 1), []) };
}

/** "Category / Group" for selects and the product list (the group's name alone when it has no category). */
export function groupLabel(group: ProductGroupInfo, categories: readonly ProductCategoryInfo[]): string {
  const category = categories.find((candidate) => candidate.id === group.categoryId);
  return category ? `${category.name} / ${group.name}` : group.name;
}
