/**
 * The customer portal (issue 13): the single-page app built into `web/portal/dist` (Vite), served
 * at `[server] portal_path` (default `/`; `""` turns it off for operators who host their own
 * front-end) on the server's one port. Every route of the server that is more specific (`/health`,
 * `/ready`, `/metrics`, `/callback/…`, `/invoices/…`, `/crm/…`, the admin console) is matched
 * first, and only GET and HEAD reach the portal — gRPC-Web calls are POSTs, so existing RustBill
 * front-ends keep working beside it. Files and caching as web-app-files.ts says.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBelowMount, webAppFiles } from './web-app-files.ts';

/** Where `npm run build:web` puts the customer portal. */
export const PORTAL_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/portal/dist');

/** True when the portal at `portalPath` serves `urlPath` (a GET or HEAD no other route took). */
export function isPortalPath(urlPath: string, portalPath: string): boolean {
  return portalPath !== '' && isBelowMount(urlPath, portalPath);
}

/**
 * The portal's request handler; call it for GET/HEAD paths {@link isPortalPath} accepts.
 * @param options.portalPath `[server] portal_path` (`/` or e.g. `/shop`), never ''
 * @param options.adminPath `[server] admin_path`, for the portal's link to staff sign-in
 */
export function portalAppRoute(options: { portalPath: string; adminPath: string; distDir?: string }): (request: IncomingMessage, response: ServerResponse, urlPath: string) => void {
  return webAppFiles({
    mountPath: options.portalPath, distDir: options.distDir ?? PORTAL_DIST,
    settings: { portalPath: options.portalPath === '/' ? '' : options.portalPath, adminPath: options.adminPath },
    notBuilt: 'the customer portal is not built: run `npm run build:web` (npm start and npm test do)\n',
  });
}
