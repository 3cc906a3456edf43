/**
 * The Balance screens (issue 13; README "Orders, payments and provisioning"): `/balance` shows
 * the balance, credit limit and ledger and adds funds through a gateway. The pieces are in
 * ./balance/.
 */
import { Route, Routes } from 'react-router-dom';
import { NotFound } from '../ui/page.tsx';
import { BalanceScreen } from './balance/BalanceScreen.tsx';
import './balance/strings.ts';

/** The routes under `/balance/*`. */
export default function BalancePage() {
  return (
    <Routes>
      <Route index element={<BalanceScreen />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
