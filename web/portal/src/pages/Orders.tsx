/**
 * The Orders screens (issue 13; signed in, routed at `/orders/*`): my orders at `/orders`, an
 * order's page — checkout while pending, then following it until active — at `/orders/:id`. The
 * pieces live in pages/orders/.
 */
import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../ui/page.tsx';
import { OrderList } from './orders/OrderList.tsx';
import { OrderPage } from './orders/OrderPage.tsx';

/** The orders list and the order page. */
export default function OrdersPage() {
  return (
    <Routes>
      <Route index element={<OrderList />} />
      <Route path=":id" element={<OrderPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
