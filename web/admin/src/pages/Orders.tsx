/**
 * The Orders screen (routed at `orders/*`): the list at `orders`, an order and its service at
 * `orders/:id` (status, notes, period, cancellation, upgrade/downgrade). The pieces live in
 * pages/orders/.
 */
import { Route, Routes } from 'react-router-dom';
import { OrderList } from './orders/OrderList.tsx';
import { OrderPage } from './orders/OrderPage.tsx';

/** The orders list and the order/service page. */
export default function OrdersPage() {
  return (
    <Routes>
      <Route index element={<OrderList />} />
      <Route path=":id" element={<OrderPage />} />
    </Routes>
  );
}
