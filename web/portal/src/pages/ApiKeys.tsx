/**
 * The API keys screen (issue 13; README "API keys") at `/api-keys`: the customer's keys, a new
 * key shown once, revocation. The pieces are in ./apikeys/.
 */
import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../ui/page.tsx';
import { ApiKeysScreen } from './apikeys/ApiKeysScreen.tsx';
import './apikeys/strings.ts';

/** The routes under `/api-keys/*`. */
export default function ApiKeysPage() {
  return (
    <Routes>
      <Route index element={<ApiKeysScreen />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
