import { NotYet } from './placeholder.tsx';

/** The Promotions screen (not built yet). */
export default function PromotionsPage() {
  return <NotYet title="promotions" />;
}
