/**
 * The Settings screen (issue 13) at `/settings`: profile, language, password. The pieces are in
 * ./settings/.
 */
import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../ui/page.tsx';
import { SettingsScreen } from './settings/SettingsScreen.tsx';
import './settings/strings.ts';

/** The routes under `/settings/*`. */
export default function SettingsPage() {
  return (
    <Routes>
      <Route index element={<SettingsScreen />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
