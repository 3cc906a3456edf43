/**
 * The Catalog screens (README "Catalog"): products (list, filters, batch actions, sync from a
 * provider, the form with its spec editor and its delete) and categories with their groups, as tabs
 * with nested routes: catalog/products, catalog/products/new, catalog/products/import (importing a
 * provider's items, ImportUpstreamProducts), catalog/products/<id>, catalog/categories.
 * Catalog changes are for admins and operators alike (src/grpc/authz.ts: `admin`), so nothing here
 * is hidden from operators.
 */
import { useTranslation } from 'react-i18next';
import { NavLink, Navigate, Route, Routes, useParams } from 'react-router-dom';
import CategoriesScreen from './catalog/Categories.tsx';
import { useCatalogRefs, type CatalogRefs } from './catalog/data.ts';
import { ImportUpstream } from './catalog/ImportUpstream.tsx';
import { ProductForm } from './catalog/ProductForm.tsx';
import { ProductList } from './catalog/Products.tsx';
import './catalog/strings.ts';

function EditProduct({ refs }: { refs: CatalogRefs }) {
  const { id = '' } = useParams();
  return <ProductForm key={id} productId={id} refs={refs} />;
}

const TAB = { padding: '0.4rem 0.9rem', borderRadius: 6, textDecoration: 'none' } as const;

/** The Catalog screen: tabs for products and for categories & groups. */
export default function CatalogPage() {
  const { t } = useTranslation('catalog');
  const refs = useCatalogRefs();
  const tab = ({ isActive }: { isActive: boolean }) => (isActive ? { ...TAB, background: '#2a5bd7', color: '#fff' } : { ...TAB, background: '#fff', border: '1px solid #dde3ee' });
  return (
    <section>
      <h1>{t('title')}</h1>
      <nav className="toolbar" aria-label={t('title')}>
        <NavLink to="/catalog/products" style={tab}>{t('tabProducts')}</NavLink>
        <NavLink to="/catalog/categories" style={tab}>{t('tabCategories')}</NavLink>
      </nav>
      {refs.error && <div className="error" role="alert">{refs.error}</div>}
      <Routes>
        <Route index element={<Navigate to="/catalog/products" replace />} />
        <Route path="products" element={<ProductList refs={refs} />} />
        <Route path="products/new" element={<ProductForm productId={null} refs={refs} />} />
        <Route path="products/import" element={<ImportUpstream refs={refs} />} />
        <Route path="products/:id" element={<EditProduct refs={refs} />} />
        <Route path="categories" element={<CategoriesScreen onChanged={refs.reload} />} />
        <Route path="*" element={<Navigate to="/catalog/products" replace />} />
      </Routes>
    </section>
  );
}
