/** The admin console's entry (issue 12): session, language, routes under `[server] admin_path`. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import './i18n.ts';
import './styles.css';
import { App } from './app.tsx';
import { SessionProvider } from './session.tsx';

declare global {
  interface Window { __NODEBILL__?: { adminPath: string } }
}

const basename = window.__NODEBILL__?.adminPath ?? '/admin';
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <SessionProvider>
        <BrowserRouter basename={basename}>
          <App />
        </BrowserRouter>
      </SessionProvider>
    </StrictMode>,
  );
}
