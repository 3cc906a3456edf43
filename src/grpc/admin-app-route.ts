/**
 * The admin console (issue 12): the single-page app built into `web/admin/dist` (Vite), served at
 * `[server] admin_path` on the server's one port, and its ops feed.
 *
 * - `GET {admin_path}` and any path below it that is not a file: `index.html`, with
 *   `<base href="{admin_path}/">` and the path given to the app, `cache-control: no-cache` (a new
 *   build is picked up at once).
 * - `GET {admin_path}/assets/…`: the built files, whose names carry a content hash —
 *   `cache-control: public, max-age=31536000, immutable`; other files (favicon) `max-age=3600`.
 * - `GET {admin_path}/api/ops.json`: the live figures of every worker for the ops dashboard (the
 *   same prom-client registries `/metrics` aggregates), for admins only (session cookie or bearer):
 *   401 without credentials, 403 for customers.
 *
 * The files are served by web-app-files.ts (shared with the customer portal).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Caller } from '../domain/identity/principal.ts';
import { headersOf } from './http-request.ts';
import { webAppFiles } from './web-app-files.ts';

/** Where `npm run build:web` puts the admin console. */
export const ADMIN_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/admin/dist');

/** What the ops feed needs: who is asking, and the workers' figures. */
export interface AdminAppOptions {
  /** `[server] admin_path`, e.g. `/admin` (no trailing slash). */
  adminPath: string;
  /** The built app's folder (default {@link ADMIN_DIST}). */
  distDir?: string;
  authenticate: (headers: Headers, clientAddress: string) => Promise<{ caller: Caller; problem?: string }>;
  /** Every worker's figures (src/cluster: collected by the primary). */
  ops: () => Promise<unknown>;
  onError: (route: string, error: unknown) => void;
}

/** True when `urlPath` is the console's (`/admin`, `/admin/…`). */
export function isAdminAppPath(urlPath: string, adminPath: string): boolean {
  return urlPath === adminPath || urlPath.startsWith(`${adminPath}/`);
}

/**
 * The console's request handler (see the file comment); call it for paths {@link isAdminAppPath} accepts.
 */
export function adminAppRoute(options: AdminAppOptions): (request: IncomingMessage, response: ServerResponse, urlPath: string) => void {
  const files = webAppFiles({
    mountPath: options.adminPath, distDir: options.distDir ?? ADMIN_DIST, settings: { adminPath: options.adminPath },
    notBuilt: 'the admin console is not built: run `npm run build:web` (npm start and npm test do)\n',
  });
  return (request, response, urlPath) => {
    if (urlPath.slice(options.adminPath.length) === '/api/ops.json') {
      void serveOps(request, response, options);
      return;
    }
    files(request, response, urlPath);
  };
}

async function serveOps(request: IncomingMessage, response: ServerResponse, options: AdminAppOptions): Promise<void> {
  try {
    const { caller, problem } = await options.authenticate(headersOf(request), request.socket.remoteAddress ?? '');
    if (caller.kind === 'anonymous') {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: problem ?? 'log in as an administrator' }));
      return;
    }
    if (caller.kind !== 'admin') {
      response.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the ops dashboard is for administrators' }));
      return;
    }
    const figures = await options.ops();
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(figures));
  } catch (error) {
    options.onError('ops.json', error);
    if (!response.headersSent) response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the figures are unavailable; try again' }));
  }
}
