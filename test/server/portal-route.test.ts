/**
 * The customer portal's route (issue 13, src/grpc/portal-app-route.ts): served at `[server]
 * portal_path` — `/` by default — for every GET no more specific route takes, with the same
 * caching as the admin console; gRPC-Web (POST) and the plain routes keep working beside it;
 * moved to a sub-path with `portal_path = "/shop"`; turned off with `""`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { grpcClient } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../support/server.ts';

let db: TestDatabase;
let atRoot: RunningServer;
let atShop: RunningServer;
let off: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase();
  [atRoot, atShop, off] = await Promise.all([
    startServer({ databaseUrl: db.url, workers: 1 }),
    startServer({ databaseUrl: db.url, workers: 1, config: { server: { portal_path: '/shop' } } }),
    startServer({ databaseUrl: db.url, workers: 1, config: { server: { portal_path: '' } } }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([atRoot?.stop(), atShop?.stop(), off?.stop()]);
  await db?.drop();
});

describe('the customer portal at "/" (the default)', () => {
  it('serves its page at / and at any screen path, never cached, with the base href and its settings', async () => {
    for (const path of ['/', '/services', '/orders/0199a0c0-0000-7000-8000-000000000001', '/products/x?ref=mail']) {
      const page = await fetch(`${atRoot.url}${path}`);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('cache-control'), path).toBe('no-cache');
      expect(page.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      const html = await page.text();
      expect(html, path).toContain('<base href="/">');
      expect(html, path).toContain('window.__NODEBILL__={"portalPath":"","adminPath":"/admin"}');
      expect(html, path).toContain('<title>NodeBill</title>');
    }
  });

  it('serves the hashed assets for a year and answers 404 for a missing one', async () => {
    const html = await (await fetch(`${atRoot.url}/`)).text();
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${atRoot.url}/${asset ?? ''}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${atRoot.url}/assets/missing.js`)).status).toBe(404);
  });

  it('leaves the admin console, the health checks, invoice PDFs and gRPC-Web to their own routes', async () => {
    const admin = await (await fetch(`${atRoot.url}/admin/customers`)).text();
    expect(admin).toContain('<base href="/admin/">');
    expect(admin).toContain('<title>NodeBill admin</title>');
    expect(await (await fetch(`${atRoot.url}/health`)).text()).toBe('OK');
    expect((await fetch(`${atRoot.url}/ready`)).status).toBe(200);
    expect((await fetch(`${atRoot.url}/metrics`)).headers.get('content-type')).toMatch(/^text\/plain/);
    // The PDF route, not the portal: without credentials it is refused.
    expect((await fetch(`${atRoot.url}/invoices/0199a0c0-0000-7000-8000-000000000001.pdf`)).status).toBe(401);
    // gRPC-Web is a POST: the portal never takes it.
    const identity = grpcClient(IdentityService, atRoot.url);
    const login = await identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    expect(login.accessToken).not.toBe('');
    const post = await fetch(`${atRoot.url}/`, { method: 'POST', body: 'x' });
    expect(post.headers.get('content-type')).not.toMatch(/text\/html/);
  });
});

describe('portal_path', () => {
  it('"/shop" moves the portal below /shop, and / is no longer the portal', async () => {
    const page = await fetch(`${atShop.url}/shop/services`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<base href="/shop/">');
    expect(html).toContain('"portalPath":"/shop"');
    expect((await fetch(`${atShop.url}/`)).status).toBe(404);
    expect((await fetch(`${atShop.url}/shopping`)).status).toBe(404);
  });

  it('"" turns the portal off; the admin console stays', async () => {
    expect((await fetch(`${off.url}/`)).status).toBe(404);
    expect((await fetch(`${off.url}/services`)).status).toBe(404);
    expect((await fetch(`${off.url}/admin`)).status).toBe(200);
  });
});
