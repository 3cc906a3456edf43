/**
 * "My services" (issue 13): `/services` lists the customer's active and suspended services,
 * `/services/:id` shows one with its server, upgrade/downgrade and cancellation at the period end.
 * The pieces are in ./services/.
 */
import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../ui/page.tsx';
import { ServiceList } from './services/ServiceList.tsx';
import { ServicePage } from './services/ServicePage.tsx';

/** The routes below `/services`. */
export default function ServicesPage() {
  return (
    <Routes>
      <Route index element={<ServiceList />} />
      <Route path=":id" element={<ServicePage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
