/**
 * The Store screens (issue 13; public, routed at `/*`): the catalog at `/`, a product's page with
 * its order form at `/products/:id`. The pieces live in pages/shop/.
 */
import { Route, Routes } from 'react-router-dom';
import { ProductPage } from './shop/ProductPage.tsx';
import { StoreHome } from './shop/StoreHome.tsx';
import { NotFound } from '../ui/page.tsx';

/** The store and the product pages; any other path under `/` is "page not found". */
export default function StorePage() {
  return (
    <Routes>
      <Route index element={<StoreHome />} />
      <Route path="products/:id" element={<ProductPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
