/**
 * The shell: the login page until an administrator is signed in, then the navigation and the
 * screens. Operators do not see the admin-only entries (the server refuses them anyway).
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Navigate, Route, Routes } from 'react-router-dom';
import { problemOf } from './api.ts';
import { setLanguage } from './i18n.ts';
import AuditPage from './pages/Audit.tsx';
import BillingSettingsPage from './pages/BillingSettings.tsx';
import CatalogPage from './pages/Catalog.tsx';
import CustomersPage from './pages/Customers.tsx';
import DashboardPage from './pages/Dashboard.tsx';
import InstancesPage from './pages/Instances.tsx';
import InvoicesPage from './pages/Invoices.tsx';
import OpsPage from './pages/Ops.tsx';
import OrdersPage from './pages/Orders.tsx';
import PaymentsPage from './pages/Payments.tsx';
import PluginsPage from './pages/Plugins.tsx';
import PromotionsPage from './pages/Promotions.tsx';
import SystemPage from './pages/System.tsx';
import TaxRulesPage from './pages/TaxRules.tsx';
import TicketsPage from './pages/Tickets.tsx';
import UsersPage from './pages/Users.tsx';
import { useSession } from './session.tsx';

/** The screens, in the navigation's order (admin-only actions are hidden inside them for operators). */
const SCREENS = [
  { path: 'dashboard', title: 'dashboard', element: <DashboardPage /> },
  { path: 'customers/*', link: 'customers', title: 'customers', element: <CustomersPage /> },
  { path: 'catalog/*', link: 'catalog', title: 'catalog', element: <CatalogPage /> },
  { path: 'orders/*', link: 'orders', title: 'orders', element: <OrdersPage /> },
  { path: 'payments', title: 'payments', element: <PaymentsPage /> },
  { path: 'invoices', title: 'invoices', element: <InvoicesPage /> },
  { path: 'instances/*', link: 'instances', title: 'instances', element: <InstancesPage /> },
  { path: 'promotions', title: 'promotions', element: <PromotionsPage /> },
  { path: 'tax-rules', title: 'taxRules', element: <TaxRulesPage /> },
  { path: 'billing-settings', title: 'billingSettings', element: <BillingSettingsPage /> },
  { path: 'tickets/*', link: 'tickets', title: 'tickets', element: <TicketsPage /> },
  { path: 'plugins/*', link: 'plugins', title: 'plugins', element: <PluginsPage /> },
  { path: 'users', title: 'users', element: <UsersPage /> },
  { path: 'audit', title: 'audit', element: <AuditPage /> },
  { path: 'ops', title: 'ops', element: <OpsPage /> },
  // RestartServer is `admin` in the spec (admins and operators), so operators see it too.
  { path: 'system', title: 'system', element: <SystemPage /> },
] as const;

export function App() {
  const session = useSession();
  const { t, i18n } = useTranslation();
  if (session.loading) return <p className="muted center">{t('loading')}</p>;
  if (!session.user) return <Login />;
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="main">
        <div className="brand">NodeBill</div>
        {SCREENS.map((screen) => (
          <NavLink key={screen.path} to={'link' in screen ? screen.link : screen.path}>{t(screen.title)}</NavLink>
        ))}
      </nav>
      <div className="main">
        <header className="topbar">
          <span data-testid="signed-in">{t('signedInAs', { name: session.user.displayName || session.user.username, role: session.user.role })}</span>
          <select aria-label={t('language')} value={i18n.language} onChange={(event) => setLanguage(event.target.value === 'zh' ? 'zh' : 'en')}>
            <option value="en">English</option>
            <option value="zh">中文</option>
          </select>
          <button type="button" onClick={() => void session.logout()}>{t('signOut')}</button>
        </header>
        <main>
          <Routes>
            {SCREENS.map((screen) => <Route key={screen.path} path={screen.path} element={screen.element} />)}
            <Route path="*" element={<Navigate to="dashboard" replace />} />
          </Routes>
        </main>
      </div>
    </div>
  );
}

function Login() {
  const { t } = useTranslation();
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    session.login(username, password).catch((error: unknown) => {
      const answer = problemOf(error);
      setProblem(answer.code === 16 ? t('badLogin') : answer.message);
    }).finally(() => setBusy(false));
  };
  return (
    <form className="login" onSubmit={submit}>
      <h1>{t('appName')}</h1>
      <label className="field"><span>{t('username')}</span><input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} /></label>
      <label className="field"><span>{t('password')}</span><input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      {problem && <div className="error" role="alert">{problem}</div>}
      <button type="submit" disabled={busy}>{t('signIn')}</button>
    </form>
  );
}
