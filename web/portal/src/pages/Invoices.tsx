/**
 * The Invoices screens (issue 13; README "Billing and invoices"): the list at `/invoices` and one
 * invoice at `/invoices/:id` (items, totals, PDF, paying). The pieces are in ./invoices/.
 */
import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../ui/page.tsx';
import { InvoiceDetail } from './invoices/InvoiceDetail.tsx';
import { InvoiceList } from './invoices/InvoiceList.tsx';
import './invoices/strings.ts';

/** The routes under `/invoices/*`. */
export default function InvoicesPage() {
  return (
    <Routes>
      <Route index element={<InvoiceList />} />
      <Route path=":id" element={<InvoiceDetail />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
