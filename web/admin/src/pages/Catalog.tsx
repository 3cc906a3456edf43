import { NotYet } from './placeholder.tsx';

/** The Catalog screen (not built yet). */
export default function CatalogPage() {
  return <NotYet title="catalog" />;
}
