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
 * Files are read once and kept in memory (the build is small); paths never leave the build folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Caller } from '../domain/identity/principal.ts';
import { headersOf } from './http-request.ts';

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

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};

/** The built files by their path below the folder (`/index.html`, `/assets/app-3f2a.js`). */
function loadBuild(dir: string): Map<string, Buffer> | null {
  if (!existsSync(path.join(dir, 'index.html'))) return null;
  const files = new Map<string, Buffer>();
  const walk = (folder: string, prefix: string): void => {
    for (const name of readdirSync(folder)) {
      const full = path.join(folder, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}/${name}`);
      else files.set(`${prefix}/${name}`, readFileSync(full));
    }
  };
  walk(dir, '');
  return files;
}

/** True when `urlPath` is the console's (`/admin`, `/admin/…`). */
export function isAdminAppPath(urlPath: string, adminPath: string): boolean {
  return urlPath === adminPath || urlPath.startsWith(`${adminPath}/`);
}

/**
 * The console's request handler (see the file comment); call it for paths {@link isAdminAppPath} accepts.
 */
export function adminAppRoute(options: AdminAppOptions): (request: IncomingMessage, response: ServerResponse, urlPath: string) => void {
  const build = loadBuild(options.distDir ?? ADMIN_DIST);
  const base = `${options.adminPath}/`;
  const index = build?.get('/index.html')?.toString('utf8')
    .replace('<head>', `<head><base href="${base}"><script>window.__NODEBILL__=${JSON.stringify({ adminPath: options.adminPath })}</script>`);
  return (request, response, urlPath) => {
    const rest = urlPath.slice(options.adminPath.length) || '/';
    if (rest === '/api/ops.json') {
      void serveOps(request, response, options);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (!build || index === undefined) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('the admin console is not built: run `npm run build:web` (npm start and npm test do)\n');
      return;
    }
    const file = rest.includes('..') ? undefined : build.get(rest);
    if (file && rest !== '/index.html') {
      const type = TYPES[path.extname(rest)] ?? 'application/octet-stream';
      const cache = rest.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600';
      response.writeHead(200, { 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' }).end(request.method === 'HEAD' ? undefined : file);
      return;
    }
    if (rest.startsWith('/assets/')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY',
      'referrer-policy': 'same-origin',
    }).end(request.method === 'HEAD' ? undefined : index);
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
