/** The customer portal's entry (issue 13): session, language, routes under `[server] portal_path`. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import './i18n.ts';
import './styles.css';
import { App } from './app.tsx';
import { SessionProvider } from './session.tsx';

declare global {
  interface Window { __NODEBILL__?: { portalPath?: string; adminPath?: string } }
}

const basename = window.__NODEBILL__?.portalPath || '/';
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
