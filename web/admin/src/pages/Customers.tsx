/**
 * The Customers screens (issue 12; README "Customers" and "Customer relationship management"): the
 * list at `customers` (server-side filters, sort, pages; new customer; Excel export and import)
 * and one customer at `customers/:id` (profile, balance and credit, ledger, orders, instances,
 * invoices, tickets, API keys). The pieces are in ./customers/.
 */
import { Route, Routes } from 'react-router-dom';
import { CustomerList } from './customers/CustomerList.tsx';
import { CustomerPage } from './customers/CustomerPage.tsx';
import './customers/strings.ts';

/** The routes under `customers/*`. */
export default function CustomersPage() {
  return (
    <Routes>
      <Route index element={<CustomerList />} />
      <Route path=":id" element={<CustomerPage />} />
    </Routes>
  );
}
