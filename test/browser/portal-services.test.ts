/**
 * The customer portal's "My services" and "My servers" screens in a real browser (issue 13),
 * against a real cluster with the Incus counterpart: a customer with 200.00 orders VPS Small
 * (20.00/month) paid from its balance, so an active service with a running server exists. In the
 * portal the customer sees the service with its period and next renewal; is refused an upgrade it
 * cannot afford in words with a link to add funds (nothing changes); previews an upgrade to VPS
 * Large (40.00) — the net shown is the day-based proration and the preview's own figure — confirms
 * it and sees the new product (and the database's and the ledger's); cancels at the period end
 * after a dialog naming the day and sees "Cancels on <day>" (and the database's flag); opens the
 * server, stops it after confirming and sees "Stopped" (and the Incus request and the database).
 * Desktop (1280×800) and phone (390×844) screenshots go to docs/screenshots/portal-services/.
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newContext, screenshot } from '../support/browser.ts';
import { queryRows } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

let bed: MoneyBed;
let browser: Browser;
let desktop: Page;
let phone: Page;
let buyer: Awaited<ReturnType<MoneyBed['customer']>>;
let orderId = '';
let largeId = '';
let hugeId = '';

const DAY_MS = 86_400_000;
const FOLDER = 'portal-services';

/** UTC calendar days from the date of `from` to the date of `to`. */
function daysBetween(from: Date, to: Date): number {
  const day = (at: Date) => Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return Math.round((day(to) - day(from)) / DAY_MS);
}

/** The UTC calendar day of an instant as the portal writes it in English ("Dec 6, 2026"). */
function englishDay(value: string): string {
  return new Date(value).toLocaleDateString('en-US', { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${bed.server.url}/login`);
  await page.getByLabel('User name').fill(buyer.username);
  await page.getByLabel('Password').fill(buyer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // On a phone's width the menu (and the signed-in line in it) is folded away: attached is enough.
  await page.getByTestId('signed-in').waitFor({ state: 'attached' });
}

/** No horizontal page scroll (the phone layout fits its width). */
async function fitsWidth(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')) === true;
}

async function orderRow(): Promise<{ product_id: string; cancel_at_period_end: string }> {
  const [row] = await queryRows<{ product_id: string; cancel_at_period_end: string }>(bed.db.url,
    'select product_id, cancel_at_period_end::text from orders where id = $1', [orderId]);
  if (!row) throw new Error('the order is gone');
  return row;
}

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
  const large = await bed.admin.products.createProduct({
    name: 'VPS Large', description: '4 cores, 8 GB', pricePerMonth: '40.00', billingCycles: {}, interfaceId: bed.providerId, costPrice: '20.00',
  });
  largeId = large.product?.id ?? '';
  const huge = await bed.admin.products.createProduct({
    name: 'VPS Huge', description: '64 cores, 256 GB', pricePerMonth: '90000.00', billingCycles: {}, interfaceId: bed.providerId, costPrice: '100.00',
  });
  hugeId = huge.product?.id ?? '';
  buyer = await bed.customer('200.00');
  const created = await buyer.api.orders.createOrder({
    customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY',
    gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
  });
  orderId = created.order?.id ?? '';
  await eventually(async () => {
    const rows = await queryRows<{ status: string }>(bed.db.url, 'select status from orders where id = $1', [orderId]);
    return rows[0]?.status === 'active' ? true : undefined;
  }, 'the order to become active');
  desktop = await (await newContext(browser, { viewport: { width: 1280, height: 800 } })).newPage();
  phone = await (await newContext(browser, { viewport: { width: 390, height: 844 } })).newPage();
  await signIn(desktop);
  await signIn(phone);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

describe('my services and my servers in the customer portal', () => {
  it('lists the service with its period, next renewal and renewal amount', async () => {
    const order = (await buyer.api.orders.getOrder({ id: orderId })).order;
    expect(order?.status).toBe('active');
    expect(order?.nextRenewalOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await desktop.getByRole('link', { name: 'My services', exact: true }).click();
    const card = desktop.getByTestId('service-card');
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.getAttribute('data-order-id')).toBe(orderId);
    expect(await card.getByTestId('service-product').textContent()).toBe('VPS Small');
    expect(await card.getByTestId('service-status').locator('[data-status]').getAttribute('data-status')).toBe('active');
    const period = card.getByTestId('service-period').locator('time');
    expect(await period.nth(0).getAttribute('datetime')).toBe(order?.periodStart);
    expect(await period.nth(1).getAttribute('datetime')).toBe(order?.periodEnd);
    expect(await card.getByTestId('service-period').textContent()).toBe(`${englishDay(order?.periodStart ?? '')} – ${englishDay(order?.periodEnd ?? '')}`);
    expect(await card.getByTestId('service-renewal-date').getAttribute('datetime')).toBe(order?.nextRenewalOn);
    expect(await card.getByTestId('service-renewal-amount').textContent()).toBe(`${order?.renewalAmount ?? ''} CNY`);
    expect(order?.renewalAmount).toBe('20.00');
    expect(await card.getByTestId('service-cancels').count()).toBe(0);
    await screenshot(desktop, FOLDER, '01-services');

    await phone.goto(`${bed.server.url}/services`);
    await phone.getByTestId('service-card').waitFor();
    expect(await fitsWidth(phone)).toBe(true);
    await screenshot(phone, FOLDER, '01-services-phone');
  });

  it('refuses an upgrade the balance cannot cover, in words with a way to add funds, and changes nothing', async () => {
    await desktop.getByRole('link', { name: 'Manage VPS Small' }).click();
    const panel = desktop.getByTestId('change-plan');
    await panel.waitFor();
    expect(await desktop.getByTestId('next-renewal').getAttribute('datetime')).toBe((await buyer.api.orders.getOrder({ id: orderId })).order?.nextRenewalOn);
    // The current product is not offered; both others of the same provider are.
    await expect.poll(() => panel.getByRole('radio').count()).toBe(2);
    await panel.getByRole('radio', { name: /VPS Huge/ }).check();
    await panel.getByRole('button', { name: 'See the price' }).click();
    await panel.getByTestId('plan-preview').waitFor();
    await panel.getByRole('button', { name: 'Confirm change' }).click();
    await expect.poll(() => panel.getByRole('alert').textContent()).toBe('Your balance and credit do not cover this amount. Add funds, or pay another way.');
    expect(await panel.getByRole('link', { name: 'Add funds' }).getAttribute('href')).toBe('/balance');
    expect((await orderRow()).product_id).toBe(bed.productId);
    await screenshot(desktop, FOLDER, '02-service-upgrade-refused');
    expect(hugeId).not.toBe('');
  });

  it('previews an upgrade to VPS Large with the day-based proration, confirms it and shows the new product', async () => {
    const order = (await buyer.api.orders.getOrder({ id: orderId })).order;
    const end = new Date(order?.periodEnd ?? '');
    const periodDays = daysBetween(new Date(order?.periodStart ?? ''), end);
    const remaining = daysBetween(new Date(), end);
    const credit = new Decimal('20.00').times(remaining).dividedBy(periodDays).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    const charge = new Decimal('40.00').times(remaining).dividedBy(periodDays).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    const net = charge.minus(credit);
    const asked = await buyer.api.orders.changeServicePlan({ orderId, productId: largeId, preview: true });
    expect(asked.net).toBe(net.toFixed(2));

    const panel = desktop.getByTestId('change-plan');
    await panel.getByRole('radio', { name: /VPS Large/ }).check();
    // Choosing another plan drops the earlier preview and refusal.
    expect(await panel.getByTestId('plan-preview').count()).toBe(0);
    expect(await panel.getByRole('alert').count()).toBe(0);
    await panel.getByRole('button', { name: 'See the price' }).click();
    await panel.getByTestId('plan-preview').waitFor();
    expect(await panel.getByTestId('preview-credit').textContent()).toBe(credit.toFixed(2));
    expect(await panel.getByTestId('preview-charge').textContent()).toBe(charge.toFixed(2));
    expect(await panel.getByTestId('preview-net').getAttribute('data-net')).toBe(asked.net);
    expect(await panel.getByTestId('preview-net').textContent()).toBe(`${net.toFixed(2)} CNY`);
    expect(await panel.getByTestId('preview-days').textContent()).toBe(`${remaining} of ${periodDays}`);
    expect(await panel.getByTestId('preview-period-price').textContent()).toBe(`${asked.newPeriodPrice} CNY`);
    expect((await orderRow()).product_id).toBe(bed.productId);
    await screenshot(desktop, FOLDER, '03-service-upgrade-preview');

    // The same preview on a phone's width.
    await phone.goto(`${bed.server.url}/services/${orderId}`);
    const phonePanel = phone.getByTestId('change-plan');
    await phonePanel.getByRole('radio', { name: /VPS Large/ }).check();
    await phonePanel.getByRole('button', { name: 'See the price' }).click();
    await phonePanel.getByTestId('plan-preview').waitFor();
    expect(await phonePanel.getByTestId('preview-net').getAttribute('data-net')).toBe(asked.net);
    expect(await fitsWidth(phone)).toBe(true);
    await screenshot(phone, FOLDER, '03-service-upgrade-preview-phone');

    await panel.getByRole('button', { name: 'Confirm change' }).click();
    await expect.poll(() => desktop.getByTestId('service-product').textContent()).toBe('VPS Large');
    await expect.poll(() => panel.getByRole('status').textContent()).toBe(`Your service is now VPS Large. ${net.toFixed(2)} was taken from your balance.`);
    expect((await orderRow()).product_id).toBe(largeId);
    const ledger = await queryRows<{ amount: string }>(bed.db.url,
      "select amount::text from balance_transactions where customer_id = $1 and reference_id = $2 and transaction_type = 'payment'", [buyer.customerId, orderId]);
    expect(ledger.map((entry) => entry.amount)).toContain(charge.negated().toFixed(2));
    await expect.poll(() => desktop.getByTestId('renewal-amount').textContent()).toBe(`${asked.newPeriodPrice} CNY`);
    await screenshot(desktop, FOLDER, '04-service-upgraded');
  });

  it('cancels at the end of the period after a dialog naming the day, then shows "Cancels on <day>"', async () => {
    const order = (await buyer.api.orders.getOrder({ id: orderId })).order;
    const periodEnd = order?.periodEnd ?? '';
    const day = englishDay(periodEnd);
    const panel = desktop.getByTestId('cancel-service');
    await panel.getByRole('button', { name: 'Cancel at the end of the period' }).click();
    const dialog = desktop.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain(`It keeps running until ${day}, then it ends`);
    await screenshot(desktop, FOLDER, '05-service-cancel-dialog');
    // Nothing happens before the confirmation.
    expect((await orderRow()).cancel_at_period_end).toBe('false');
    await dialog.getByRole('button', { name: 'Yes, cancel at period end' }).click();
    const marker = desktop.getByTestId('service-cancels');
    await expect.poll(() => marker.textContent()).toBe(`Cancels on ${day}`);
    expect(await marker.getAttribute('datetime')).toBe(periodEnd);
    expect(await desktop.getByRole('dialog').count()).toBe(0);
    expect((await orderRow()).cancel_at_period_end).toBe('true');
    expect((await buyer.api.orders.getOrder({ id: orderId })).order?.cancelAtPeriodEnd).toBe('true');
    // A cancelled service no longer offers a plan change or a second cancellation.
    expect(await desktop.getByRole('button', { name: 'Cancel at the end of the period' }).count()).toBe(0);
    expect(await desktop.getByRole('button', { name: 'See the price' }).count()).toBe(0);
    await screenshot(desktop, FOLDER, '06-service-cancelled');

    await desktop.getByRole('link', { name: 'My services', exact: true }).click();
    const card = desktop.getByTestId('service-card');
    await expect.poll(() => card.getByTestId('service-cancels').textContent()).toBe(`Cancels on ${day}`);
    expect(await card.getByTestId('service-product').textContent()).toBe('VPS Large');
    expect(await card.getByTestId('service-renewal').count()).toBe(0);

    await phone.goto(`${bed.server.url}/services/${orderId}`);
    await expect.poll(() => phone.getByTestId('service-cancels').textContent()).toBe(`Cancels on ${day}`);
    expect(await fitsWidth(phone)).toBe(true);
    await screenshot(phone, FOLDER, '06-service-cancelled-phone');
  });

  it('opens the server, stops it after confirming and shows it stopped', async () => {
    const [instance] = await queryRows<{ id: string; status: string; provider_instance_id: string; ip_address: string }>(bed.db.url,
      'select id, status, provider_instance_id, ip_address from instances where order_id = $1', [orderId]);
    expect(instance?.status).toBe('running');
    await desktop.getByRole('link', { name: 'My servers', exact: true }).click();
    const row = desktop.getByTestId('instance-row');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-instance-id')).toBe(instance?.id);
    expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('running');
    expect(await row.textContent()).toContain('VPS Large');
    expect(await row.textContent()).toContain(instance?.ip_address ?? '');
    await screenshot(desktop, FOLDER, '07-servers');
    await phone.goto(`${bed.server.url}/instances`);
    await phone.getByTestId('instance-row').waitFor();
    expect(await fitsWidth(phone)).toBe(true);
    await screenshot(phone, FOLDER, '07-servers-phone');

    await desktop.getByRole('link', { name: 'Open VPS Large' }).click();
    await desktop.getByTestId('instance-sections').waitFor();
    const status = desktop.getByTestId('instance-status').locator('[data-status]');
    expect(await status.getAttribute('data-status')).toBe('running');
    expect(await desktop.getByTestId('instance-ip').textContent()).toBe(instance?.ip_address);
    expect(await desktop.getByTestId('instance-spec').textContent()).toContain('CPU cores');
    // provider-incus's console section is HTML: shown inside a sandboxed frame, never in the page itself.
    const console = desktop.locator('iframe[title="Console"]');
    expect(await console.getAttribute('sandbox')).toBe('allow-scripts');
    await expect.poll(() => desktop.frameLocator('iframe[title="Console"]').locator('p').textContent()).toBe('The web console is not configured for this server.');
    expect(await desktop.locator('main p', { hasText: 'The web console is not configured' }).count()).toBe(0);
    // provider-incus's properties come as data_json: a card of its keys and values.
    const properties = desktop.getByRole('region', { name: 'Server' });
    expect(await properties.locator('dt').allTextContents()).toEqual(expect.arrayContaining(['Name', 'Status', 'IPv4']));
    expect(await properties.locator('dd').nth(0).textContent()).toBe(instance?.provider_instance_id);
    // The provider's own action (provider-incus "Power off") is offered beside the power buttons.
    expect(await desktop.getByTestId('provider-actions').getByRole('button', { name: 'Power off' }).isEnabled()).toBe(true);
    await screenshot(desktop, FOLDER, '08-server');

    const before = bed.incus.requests.length;
    await desktop.getByTestId('power-actions').getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = desktop.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('The server shuts down and stays off until you start it again.');
    expect(bed.incus.requests.slice(before).filter((request) => request.method === 'PUT')).toEqual([]);
    await dialog.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => status.getAttribute('data-status')).toBe('stopped');
    expect(await status.textContent()).toBe('Stopped');
    await expect.poll(() => desktop.locator('.ok[role="status"]').textContent()).toBe('Done. The server is now Stopped.');
    const [after] = await queryRows<{ status: string }>(bed.db.url, 'select status from instances where id = $1', [instance?.id ?? '']);
    expect(after?.status).toBe('stopped');
    const stops = bed.incus.requests.slice(before).filter((request) => request.method === 'PUT' && request.path === `/1.0/instances/${instance?.provider_instance_id ?? ''}/state`);
    expect(stops).toHaveLength(1);
    expect(stops[0]?.body).toMatchObject({ action: 'stop' });
    expect(bed.incus.instances.get(instance?.provider_instance_id ?? '')?.status).toBe('Stopped');
    expect(await desktop.getByTestId('power-actions').getByRole('button', { name: 'Stop', exact: true }).isDisabled()).toBe(true);
    expect(await desktop.getByTestId('power-actions').getByRole('button', { name: 'Start', exact: true }).isEnabled()).toBe(true);
    await screenshot(desktop, FOLDER, '09-server-stopped');

    await phone.goto(`${bed.server.url}/instances/${instance?.id ?? ''}`);
    await phone.getByTestId('instance-sections').waitFor();
    expect(await phone.getByTestId('instance-status').locator('[data-status]').getAttribute('data-status')).toBe('stopped');
    expect(await fitsWidth(phone)).toBe(true);
    await screenshot(phone, FOLDER, '09-server-stopped-phone');

    // Deleting asks in strong words first.
    await desktop.getByTestId('power-actions').getByRole('button', { name: 'Delete server' }).click();
    await expect.poll(() => desktop.getByRole('dialog').textContent()).toContain('permanently destroyed. This cannot be undone');
    await screenshot(desktop, FOLDER, '10-server-delete-dialog');
    await desktop.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await desktop.getByRole('dialog').count()).toBe(0);
    const [kept] = await queryRows<{ status: string }>(bed.db.url, 'select status from instances where id = $1', [instance?.id ?? '']);
    expect(kept?.status).toBe('stopped');
  });
});
