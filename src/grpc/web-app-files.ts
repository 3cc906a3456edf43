/**
 * A built single-page app served on the server's one port (the admin console, issue 12; the
 * customer portal, issue 13): Vite's output folder, read once and kept in memory (each build is
 * small); paths never leave the folder.
 *
 * - `GET {mount}` and any path below it that is not a file: `index.html`, with
 *   `<base href="{mount}/">` and the app's settings as `window.__NODEBILL__`, `cache-control:
 *   no-cache` (a new build is picked up at once).
 * - `GET {mount}/assets/…`: the built files, whose names carry a content hash — `cache-control:
 *   public, max-age=31536000, immutable`; a missing asset is 404 (never the index); other files
 *   (favicon) `max-age=3600`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};

/** The built files by their path below the folder (`/index.html`, `/assets/app-3f2a.js`); null when not built. */
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

/** A mount path (`/admin`, `/shop`, `/`) without its trailing slash (`/` becomes ''). */
export function mountPrefix(mountPath: string): string {
  return mountPath.replace(/\/+$/, '');
}

/** True when `urlPath` is below `mountPath` (`/admin`, `/admin/…`; every path for `/`). */
export function isBelowMount(urlPath: string, mountPath: string): boolean {
  const prefix = mountPrefix(mountPath);
  return prefix === '' || urlPath === prefix || urlPath.startsWith(`${prefix}/`);
}

/**
 * The static half of an app's route: serves `urlPath` (below `mountPath`) from `distDir`.
 * @param settings the JSON the app reads as `window.__NODEBILL__` (paths, never secrets)
 * @param notBuilt the 503 text when the folder has no build (how to build it)
 */
export function webAppFiles(options: { mountPath: string; distDir: string; settings: Record<string, string>; notBuilt: string }): (request: IncomingMessage, response: ServerResponse, urlPath: string) => void {
  const build = loadBuild(options.distDir);
  const prefix = mountPrefix(options.mountPath);
  const index = build?.get('/index.html')?.toString('utf8')
    .replace('<head>', `<head><base href="${prefix}/"><script>window.__NODEBILL__=${JSON.stringify(options.settings).replace(/</g, '\\u003c')}</script>`);
  return (request, response, urlPath) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (!build || index === undefined) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(options.notBuilt);
      return;
    }
    const rest = urlPath.slice(prefix.length) || '/';
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
