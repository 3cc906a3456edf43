/**
 * The portal's shell (issue 13): a header with the store, the customer's screens (a menu button on
 * a phone's width), language and sign-in; a skip link; focus on each screen's heading after
 * navigation. The store and product pages are public; every other screen asks to sign in first
 * and comes back after.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { setLanguage } from './i18n.ts';
import ApiKeysPage from './pages/ApiKeys.tsx';
import BalancePage from './pages/Balance.tsx';
import InstancesPage from './pages/Instances.tsx';
import InvoicesPage from './pages/Invoices.tsx';
import LoginPage from './pages/Login.tsx';
import OrdersPage from './pages/Orders.tsx';
import RegisterPage from './pages/Register.tsx';
import ServicesPage from './pages/Services.tsx';
import SettingsPage from './pages/Settings.tsx';
import StorePage from './pages/Store.tsx';
import TicketsPage from './pages/Tickets.tsx';
import { useSession } from './session.tsx';
import { Loading } from './ui/page.tsx';

/** The signed-in screens, in the menu's order. */
const ACCOUNT_SCREENS = [
  { path: 'services', title: 'services', element: <ServicesPage /> },
  { path: 'instances', title: 'instances', element: <InstancesPage /> },
  { path: 'orders', title: 'orders', element: <OrdersPage /> },
  { path: 'invoices', title: 'invoices', element: <InvoicesPage /> },
  { path: 'balance', title: 'balance', element: <BalancePage /> },
  { path: 'tickets', title: 'tickets', element: <TicketsPage /> },
  { path: 'api-keys', title: 'apiKeys', element: <ApiKeysPage /> },
  { path: 'settings', title: 'settings', element: <SettingsPage /> },
] as const;

export function App() {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const firstScreen = useRef(true);
  useEffect(() => {
    setMenuOpen(false);
    // The page as loaded starts at the top (Tab reaches the skip link first); after each
    // navigation, focus moves to the new screen's heading (keyboard and screen-reader users start there).
    if (firstScreen.current) {
      firstScreen.current = false;
      return;
    }
    const timer = window.setTimeout(() => document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true }), 50);
    return () => window.clearTimeout(timer);
  }, [location.pathname]);
  return (
    <div className="portal">
      <a className="skip" href="#content">{t('skipToContent')}</a>
      <header className="header">
        <Link to="/" className="brand">{t('appName')}</Link>
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="portal-nav" onClick={() => setMenuOpen((open) => !open)}>
          {menuOpen ? t('closeMenu') : t('menu')}
        </button>
        <nav id="portal-nav" className={menuOpen ? 'nav open' : 'nav'} aria-label={t('menu')}>
          <NavLink to="/" end>{t('store')}</NavLink>
          {session.user && ACCOUNT_SCREENS.map((screen) => <NavLink key={screen.path} to={`/${screen.path}`}>{t(screen.title)}</NavLink>)}
          <div className="nav-end">
            <select aria-label={t('language')} value={i18n.language} onChange={(event) => setLanguage(event.target.value === 'zh' ? 'zh' : 'en')}>
              <option value="en">English</option>
              <option value="zh">中文</option>
            </select>
            {session.user
              ? <>
                  <span className="who" data-testid="signed-in">{t('signedInAs', { name: session.user.displayName || session.user.username })}</span>
                  <button type="button" onClick={() => void session.logout()}>{t('signOut')}</button>
                </>
              : !session.loading && <>
                  <NavLink to="/login">{t('signIn')}</NavLink>
                  <NavLink to="/register" className="button primary">{t('register')}</NavLink>
                </>}
          </div>
        </nav>
      </header>
      <main id="content">
        <Routes>
          <Route path="/*" element={<StorePage />} />
          <Route path="/login" element={<LoginPage />} />
          <Route path="/register" element={<RegisterPage />} />
          {ACCOUNT_SCREENS.map((screen) => (
            <Route key={screen.path} path={`/${screen.path}/*`} element={<RequireSignIn>{screen.element}</RequireSignIn>} />
          ))}
        </Routes>
      </main>
    </div>
  );
}

/** The screen when signed in; else the sign-in page, which comes back here after. */
function RequireSignIn({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.loading) return <Loading />;
  if (!session.user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}
