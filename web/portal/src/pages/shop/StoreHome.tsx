/**
 * The store (`/`, issue 13; public — no sign-in): the catalog as categories → groups → product
 * cards (ProductCategoryService/ListProductCategories, ProductGroupService/ListProductGroups,
 * ProductService/ListProducts — active products only for customers), each card with its name,
 * description, "from <monthly price>" and a "Configure" link to `/products/<id>`. Groups of no
 * category come after the categories ("More products"), products of no group last ("Other
 * products"); with no categories and no groups the products are one list. A category choice and a
 * region choice (the products' `specs.region` values; hidden when no product names a region) are
 * kept in the address (`?category=…&region=…`), so a filtered store can be linked.
 */
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import type { ProductCategoryInfo } from '../../../../../src/gen/rustbill/product_category_pb.ts';
import type { ProductGroupInfo } from '../../../../../src/gen/rustbill/product_group_pb.ts';
import type { ProductInfo } from '../../../../../src/gen/rustbill/product_pb.ts';
import { api } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { ErrorBox, Loading, PageTitle } from '../../ui/page.tsx';
import { Money } from '../../../../shared/format.tsx';
import { monthlyPrice } from './spec.ts';
import './strings.ts';
import './shop.css';

/** The largest page the server gives (MAX_PAGE_SIZE) and how many pages the store reads at most. */
const PAGE_SIZE = 100;
const MAX_PAGES = 10;

/** The whole public catalog: categories, groups and active products. */
interface Catalog {
  categories: ProductCategoryInfo[];
  groups: ProductGroupInfo[];
  products: ProductInfo[];
}

/** Reads every page of a list (at most {@link MAX_PAGES}). */
async function allPages<T>(load: (page: number) => Promise<{ rows: T[]; totalPages: number }>): Promise<T[]> {
  const rows: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const answer = await load(page);
    rows.push(...answer.rows);
    if (page >= answer.totalPages) break;
  }
  return rows;
}

/** Loads the catalog (three listings, each paged to the end). */
async function loadCatalog(): Promise<Catalog> {
  const [categories, groups, products] = await Promise.all([
    allPages(async (page) => {
      const answer = await api.categories.listProductCategories({ pagination: { page, pageSize: PAGE_SIZE } });
      return { rows: answer.categories, totalPages: answer.meta?.totalPages ?? 1 };
    }),
    allPages(async (page) => {
      const answer = await api.groups.listProductGroups({ pagination: { page, pageSize: PAGE_SIZE } });
      return { rows: answer.groups, totalPages: answer.meta?.totalPages ?? 1 };
    }),
    allPages(async (page) => {
      const answer = await api.products.listProducts({ pagination: { page, pageSize: PAGE_SIZE }, isActive: true });
      return { rows: answer.products, totalPages: answer.meta?.totalPages ?? 1 };
    }),
  ]);
  return { categories, groups, products };
}

/** The region a product is in ('' when it names none). */
function regionOf(product: ProductInfo): string {
  return (product.specs.region ?? '').trim();
}

/** One section of product cards under a heading. */
interface Shelf {
  key: string;
  title: string;
  description: string;
  products: ProductInfo[];
}

/** A category with its groups' shelves. */
interface Aisle {
  key: string;
  title: string;
  description: string;
  shelves: Shelf[];
}

/**
 * The catalog laid out: each category (by sort order, then name) with its groups (by sort order,
 * then name), then the groups of no (known) category, then the products of no (known) group.
 * Empty shelves and aisles are left out.
 */
function layOut(catalog: Catalog, products: ProductInfo[], words: { more: string; other: string }): Aisle[] {
  const sortBy = <T extends { sortOrder: number; name: string }>(list: T[]) => [...list].sort((a, b) => a.sortOrder - b.sortOrder || a.name.localeCompare(b.name));
  const shelfOf = (group: ProductGroupInfo): Shelf => ({
    key: group.id, title: group.name, description: group.description, products: products.filter((product) => product.groupId === group.id),
  });
  const categoryIds = new Set(catalog.categories.map((category) => category.id));
  const groupIds = new Set(catalog.groups.map((group) => group.id));
  const aisles: Aisle[] = sortBy(catalog.categories).map((category) => ({
    key: category.id, title: category.name, description: category.description,
    shelves: sortBy(catalog.groups.filter((group) => group.categoryId === category.id)).map(shelfOf),
  }));
  const loose = sortBy(catalog.groups.filter((group) => !categoryIds.has(group.categoryId))).map(shelfOf);
  if (loose.length > 0) aisles.push({ key: 'more', title: aisles.length > 0 ? words.more : '', description: '', shelves: loose });
  const ungrouped = products.filter((product) => !groupIds.has(product.groupId));
  if (ungrouped.length > 0) {
    const titled = aisles.some((aisle) => aisle.shelves.some((shelf) => shelf.products.length > 0));
    aisles.push({ key: 'other', title: '', description: '', shelves: [{ key: 'other', title: titled ? words.other : '', description: '', products: ungrouped }] });
  }
  return aisles
    .map((aisle) => ({ ...aisle, shelves: aisle.shelves.filter((shelf) => shelf.products.length > 0) }))
    .filter((aisle) => aisle.shelves.length > 0);
}

/** The store screen. */
export function StoreHome() {
  const { t } = useTranslation('shop');
  const friendly = useFriendly();
  const [params, setParams] = useSearchParams();
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const category = params.get('category') ?? '';
  const region = params.get('region') ?? '';

  useEffect(() => {
    let live = true;
    setError(null);
    loadCatalog().then((loaded) => { if (live) setCatalog(loaded); }, (failure: unknown) => { if (live) setError(friendly(failure).message); });
    return () => { live = false; };
  }, [friendly, version]);

  const regions = useMemo(() => [...new Set((catalog?.products ?? []).map(regionOf).filter((name) => name !== ''))].sort(), [catalog]);
  const aisles = useMemo(() => {
    if (!catalog) return [];
    const inRegion = region === '' ? catalog.products : catalog.products.filter((product) => regionOf(product) === region);
    const all = layOut(catalog, inRegion, { more: t('moreProducts'), other: t('otherProducts') });
    return category === '' ? all : all.filter((aisle) => aisle.key === category);
  }, [catalog, region, category, t]);

  const choose = (name: 'category' | 'region', value: string) => {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(name);
    else next.set(name, value);
    setParams(next, { replace: true });
  };

  return (
    <section className="store">
      <PageTitle>{t('storeTitle')}</PageTitle>
      <p className="muted store-intro">{t('storeIntro')}</p>
      <ErrorBox message={error} onRetry={() => setVersion((v) => v + 1)} />
      {!catalog && !error && <Loading />}
      {catalog && (
        <>
          {(catalog.categories.length > 0 || regions.length > 0) && (
            <div className="store-filters">
              {catalog.categories.length > 0 && (
                <label className="field">
                  <span>{t('category')}</span>
                  <select value={category} onChange={(event) => choose('category', event.target.value)}>
                    <option value="">{t('allCategories')}</option>
                    {[...catalog.categories].sort((a, b) => a.sortOrder - b.sortOrder || a.name.localeCompare(b.name))
                      .map((entry) => <option key={entry.id} value={entry.id}>{entry.name}</option>)}
                  </select>
                </label>
              )}
              {regions.length > 0 && (
                <label className="field">
                  <span>{t('region')}</span>
                  <select value={region} onChange={(event) => choose('region', event.target.value)}>
                    <option value="">{t('allRegions')}</option>
                    {regions.map((name) => <option key={name} value={name}>{name}</option>)}
                  </select>
                </label>
              )}
            </div>
          )}
          {aisles.length === 0 && <p className="muted empty" role="status">{region !== '' ? t('noProductsInRegion') : t('noProducts')}</p>}
          {aisles.map((aisle) => (
            <section key={aisle.key} className="aisle" aria-labelledby={aisle.title ? `aisle-${aisle.key}` : undefined}>
              {aisle.title && <h2 id={`aisle-${aisle.key}`}>{aisle.title}</h2>}
              {aisle.description && <p className="muted">{aisle.description}</p>}
              {aisle.shelves.map((shelf) => (
                <div key={shelf.key} className="shelf">
                  {shelf.title && (aisle.title ? <h3>{shelf.title}</h3> : <h2>{shelf.title}</h2>)}
                  {shelf.description && <p className="muted">{shelf.description}</p>}
                  <ul className="cards product-cards">
                    {shelf.products.map((product) => <ProductCard key={product.id} product={product} />)}
                  </ul>
                </div>
              ))}
            </section>
          ))}
        </>
      )}
    </section>
  );
}

/** A product's card: name, description, region, "from <monthly price>", a Configure link. */
function ProductCard({ product }: { product: ProductInfo }) {
  const { t } = useTranslation('shop');
  const region = regionOf(product);
  return (
    <li className="card product-card" data-testid="product-card">
      <h3 className="product-name">{product.name}</h3>
      {product.description && <p className="product-description">{product.description}</p>}
      {region && <p><span className="badge blue">{t('regionBadge', { region })}</span></p>}
      <p className="price-from">
        <span className="muted">{t('from')} </span>
        <span className="price"><Money value={monthlyPrice(product)} /></span>
        <span className="muted">{t('perMonth')}</span>
      </p>
      <Link className="button primary" to={`/products/${product.id}`} aria-label={t('configureNamed', { name: product.name })}>{t('configure')}</Link>
    </li>
  );
}
