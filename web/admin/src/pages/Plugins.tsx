/**
 * The Plugins screen (issue 12), routed at `plugins/*`: the definitions and interfaces
 * (plugins/PluginList.tsx), a new interface of a definition (`new/:defId`), one interface
 * (`interfaces/:id`), its edit form (`interfaces/:id/edit`, config generated from the plugin's JSON
 * Schema, script for admins) and the plugin's sandboxed admin page (`interfaces/:id/admin-page`).
 */
import { Navigate, Route, Routes } from 'react-router-dom';
import './plugins/strings.ts';
import './plugins/plugins.css';
import AdminPage from './plugins/AdminPage.tsx';
import InterfaceDetail from './plugins/InterfaceDetail.tsx';
import { CreateInterface, EditInterface } from './plugins/InterfaceForm.tsx';
import PluginList from './plugins/PluginList.tsx';

export default function PluginsPage() {
  return (
    <Routes>
      <Route index element={<PluginList />} />
      <Route path="new/:defId" element={<CreateInterface />} />
      <Route path="interfaces/:id" element={<InterfaceDetail />} />
      <Route path="interfaces/:id/edit" element={<EditInterface />} />
      <Route path="interfaces/:id/admin-page" element={<AdminPage />} />
      <Route path="*" element={<Navigate to="/plugins" replace />} />
    </Routes>
  );
}
