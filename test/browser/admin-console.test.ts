/**
 * The admin console in a real browser (issue 12): headless Chromium against a real cluster with the
 * shipped plugins and the local Incus server. It signs in with the printed admin, sees the
 * dashboard's figures match the server's, watches the ops page's customer-actor count rise while
 * customers are active, and checks that an operator does not see admin-only screens. Screenshots
 * go to docs/screenshots/admin/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { newId } from '../../src/lib/ids.ts';
import { launchBrowser, newContext, screenshot, signInToConsole } from '../support/browser.ts';
import { queryRows } from '../support/db.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

let bed: MoneyBed;
let browser: Browser;

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 2 });
  browser = await launchBrowser();
  await queryRows(bed.db.url, "insert into admin_users (id, username, email, display_name, password_hash, role) values ($1, 'consoleoperator', '', 'Olga Operator', $2, 'operator')", [
    newId(), await hashPassword('Operator-Pass1', 4),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

function signIn(page: Page, username: string, password: string): Promise<void> {
  return signInToConsole(page, bed.server.url, username, password);
}

describe('the admin console', () => {
  it('is served at admin_path with caching headers: the page never cached, the hashed assets for a year', async () => {
    const page = await fetch(`${bed.server.url}/admin/customers`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).toContain('<base href="/admin/">');
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${bed.server.url}/admin/${asset ?? ''}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${bed.server.url}/admin/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${bed.server.url}/admin/api/ops.json`)).status).toBe(401);
  });

  it('signs the admin in with the session cookie and shows the dashboard\'s figures as the server has them', async () => {
    const buyer = await bed.customer('100.00');
    await buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
    });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${bed.server.url}/admin`);
    await screenshot(page, 'admin', '01-login');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong');
    await signIn(page, 'admin', TEST_ADMIN_PASSWORD);
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.httpOnly);
    expect(session).toBeDefined();
    const [counts] = await queryRows<{ customers: string }>(bed.db.url, 'select count(*)::text as customers from customers where deleted_at is null');
    await expect.poll(() => page.getByTestId('dash-customers').textContent()).toBe(counts?.customers);
    // The buyer's 20.00 order, paid today: today's and this month's revenue.
    await expect.poll(() => page.getByTestId('dash-revenue-today').textContent()).toBe('20.00');
    await expect.poll(() => page.getByTestId('dash-revenue-month').textContent()).toBe('20.00');
    await page.waitForTimeout(300);
    await screenshot(page, 'admin', '02-dashboard');
    // Chinese UI text, remembered.
    await page.getByLabel('Language').selectOption('zh');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('概览');
    await page.getByLabel('语言').selectOption('en');
    await context.close();
  });

  it('shows the cluster live on the ops page: the customer actors rise while customers are active', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, 'admin', TEST_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Ops' }).click();
    await page.getByTestId('ops-workers').waitFor();
    await expect.poll(() => page.locator('[data-testid^="ops-worker-"]').count()).toBe(2);
    const actors = async (): Promise<number> => {
      const cells = await page.getByTestId('ops-actors').allTextContents();
      return cells.reduce((sum, text) => sum + Number(text), 0);
    };
    const before = await actors();
    // Ten new customers, each credited (a command to its actor): the page shows them without a reload.
    for (let index = 0; index < 10; index += 1) await bed.customer('5.00');
    await expect.poll(actors, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 10);
    await screenshot(page, 'admin', '03-ops');
    await context.close();
  });

  it('hides admin-only actions from an operator, whom the server refuses them anyway', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, 'consoleoperator', 'Operator-Pass1');
    await expect.poll(() => page.getByTestId('signed-in').textContent()).toContain('operator');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Edit' }).first().waitFor();
    // Resetting a password is admin-only (AdminResetPassword): no button for the operator.
    expect(await page.getByRole('button', { name: 'Reset password' }).count()).toBe(0);
    await context.close();
  });
});
