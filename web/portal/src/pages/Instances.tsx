/**
 * "My servers" (issue 13): `/instances` lists the customer's servers, `/instances/:id` shows one
 * with its provider's details and its actions. The pieces are in ./instances/.
 */
import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../ui/page.tsx';
import { InstanceList } from './instances/InstanceList.tsx';
import { InstancePage } from './instances/InstancePage.tsx';

/** The routes below `/instances`. */
export default function InstancesPage() {
  return (
    <Routes>
      <Route index element={<InstanceList />} />
      <Route path=":id" element={<InstancePage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
