/**
 * The admin console's Orders, Payments and Instances screens in a real browser (issue 12), against
 * a real cluster with the Incus counterpart: a customer with 100.00 orders VPS Small (20.00/month)
 * and pays from its balance, so an active order with a running instance exists. Through the UI the
 * admin finds the order (server-side filters), sees it active with its period and only the manual
 * status changes, previews an upgrade to VPS Large (40.00) — the net shown is the day-based
 * proration computed here — confirms it and sees the product change (and the database's); refunds
 * 5.00 of the payment after a refused 500.00 (the server's words shown, nothing changed) and sees
 * the refund (and its ledger row); stops the instance after the confirmation and sees it stopped
 * (and the Incus request). Screenshots go to docs/screenshots/admin-orders/.
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newContext, screenshot } from '../support/browser.ts';
import { queryRows } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

let bed: MoneyBed;
let browser: Browser;
let page: Page;
let customerId = '';
let orderId = '';
let largeId = '';

const DAY_MS = 86_400_000;

/** UTC calendar days from the date of `from` to the date of `to`. */
function daysBetween(from: Date, to: Date): number {
  const day = (at: Date) => Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return Math.round((day(to) - day(from)) / DAY_MS);
}

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
  const large = await bed.admin.products.createProduct({
    name: 'VPS Large', description: '4 cores, 8 GB', pricePerMonth: '40.00', billingCycles: {}, interfaceId: bed.providerId, costPrice: '20.00',
  });
  largeId = large.product?.id ?? '';
  const buyer = await bed.customer('100.00');
  customerId = buyer.customerId;
  const created = await buyer.api.orders.createOrder({
    customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
  });
  orderId = created.order?.id ?? '';
  await eventually(async () => {
    const rows = await queryRows<{ status: string }>(bed.db.url, 'select status from orders where id = $1', [orderId]);
    return rows[0]?.status === 'active' ? true : undefined;
  }, 'the order to become active');
  const context = await newContext(browser);
  page = await context.newPage();
  await page.goto(`${bed.server.url}/admin`);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(TEST_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in').waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

describe('orders, payments and instances in the admin console', () => {
  it('finds the active order with server-side filters and shows its period and only the manual status changes', async () => {
    // Another customer's pending order, which the filters must leave out.
    const other = await bed.customer();
    await other.api.orders.createOrder({
      customerId: other.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly',
    });
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    const table = page.getByTestId('orders-table');
    await expect.poll(() => table.getByTestId('order-link').count()).toBe(2);
    await page.getByLabel('Status').selectOption('active');
    await page.getByLabel('Customer id').fill(customerId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => table.getByTestId('order-link').count()).toBe(1);
    await expect.poll(() => table.textContent()).toContain('1 in all');
    expect(await table.locator('[data-status]').first().getAttribute('data-status')).toBe('active');
    await screenshot(page, 'admin-orders', '01-orders-list');

    await table.getByTestId('order-link').click();
    await page.getByTestId('service-panel').waitFor();
    const order = (await bed.admin.orders.getOrder({ id: orderId })).order;
    expect(order?.status).toBe('active');
    expect(await page.getByRole('heading', { level: 1 }).locator('[data-status]').getAttribute('data-status')).toBe('active');
    expect(await page.getByTestId('order-product').textContent()).toBe('VPS Small');
    expect(await page.getByTestId('period-start').locator('time').getAttribute('datetime')).toBe(order?.periodStart);
    expect(await page.getByTestId('period-end').locator('time').getAttribute('datetime')).toBe(order?.periodEnd);
    expect(order?.nextRenewalOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await page.getByTestId('next-renewal').textContent()).toBe(order?.nextRenewalOn);
    expect(await page.getByTestId('cancellation').textContent()).toBe('Renews automatically');
    // Only MANUAL_TRANSITIONS.active is offered.
    const options = await page.getByLabel('Change the status to').locator('option').all();
    const offered = await Promise.all(options.map((option) => option.getAttribute('value')));
    expect(offered).toEqual(['', 'suspended', 'completed']);
  });

  it('previews an upgrade with the day-based proration, confirms it and shows the new product', async () => {
    const order = (await bed.admin.orders.getOrder({ id: orderId })).order;
    const start = new Date(order?.periodStart ?? '');
    const end = new Date(order?.periodEnd ?? '');
    const periodDays = daysBetween(start, end);
    const remaining = daysBetween(new Date(), end);
    const credit = new Decimal('20.00').times(remaining).dividedBy(periodDays).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    const charge = new Decimal('40.00').times(remaining).dividedBy(periodDays).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    const net = charge.minus(credit);

    const panel = page.getByTestId('change-plan');
    await panel.getByLabel('New product').selectOption(largeId);
    await panel.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('plan-preview').waitFor();
    expect(await page.getByTestId('preview-credit').textContent()).toBe(credit.toFixed(2));
    expect(await page.getByTestId('preview-charge').textContent()).toBe(charge.toFixed(2));
    expect(await page.getByTestId('preview-net').textContent()).toBe(net.toFixed(2));
    expect(await page.getByTestId('preview-days').textContent()).toBe(`${remaining} of ${periodDays}`);
    // The preview changed nothing.
    expect((await queryRows<{ product_id: string }>(bed.db.url, 'select product_id from orders where id = $1', [orderId]))[0]?.product_id).toBe(bed.productId);
    await screenshot(page, 'admin-orders', '02-service-upgrade-preview');

    await panel.getByRole('button', { name: 'Confirm the change' }).click();
    await expect.poll(() => page.getByTestId('order-product').textContent()).toBe('VPS Large');
    await expect.poll(() => panel.getByRole('status').textContent()).toContain(`net ${net.toFixed(2)}`);
    const [row] = await queryRows<{ product_id: string }>(bed.db.url, 'select product_id from orders where id = $1', [orderId]);
    expect(row?.product_id).toBe(largeId);
    const ledger = await queryRows<{ amount: string }>(bed.db.url, "select amount::text from balance_transactions where customer_id = $1 and reference_id = $2 and transaction_type = 'payment'", [customerId, orderId]);
    expect(ledger.map((entry) => entry.amount)).toContain(charge.negated().toFixed(2));
    await screenshot(page, 'admin-orders', '03-service-upgraded');
  });

  it('refuses a refund of more than was paid with the server\'s words, then refunds 5.00 and shows it', async () => {
    const [payment] = await queryRows<{ id: string }>(bed.db.url, "select id from payments where order_id = $1 and status = 'success'", [orderId]);
    const paymentId = payment?.id ?? '';
    expect(paymentId).not.toBe('');
    const refundRows = () => queryRows<{ amount: string }>(bed.db.url, "select amount::text from balance_transactions where reference_id = $1 and transaction_type = 'refund'", [paymentId]);

    await page.getByRole('link', { name: 'Payments', exact: true }).click();
    await page.getByLabel('Order id').fill(orderId);
    await page.getByRole('button', { name: 'Filter' }).click();
    const table = page.getByTestId('payments-table');
    await expect.poll(() => table.textContent()).toContain('1 in all');
    await table.getByRole('button', { name: 'Refund' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Amount to refund').fill('500.00');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('more than what remains to refund');
    expect(await refundRows()).toEqual([]);
    // Checked as the server checks money, before sending.
    await dialog.getByLabel('Amount to refund').fill('5.001');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('at most 2 decimal places');

    await dialog.getByLabel('Amount to refund').fill('5.00');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(() => page.locator('.ok[role="status"]').textContent()).toBe(`Refunded 5.00 of payment ${paymentId.slice(0, 8)}.`);
    await expect.poll(() => page.getByTestId('refunded-so-far').textContent()).toBe('5.00 CNY');
    expect(await page.getByTestId('payment-refunds').textContent()).toContain(`refund of payment ${paymentId} to the balance`);
    expect(await refundRows()).toEqual([{ amount: '5.00' }]);
    // A partial refund keeps the payment successful (it can be refunded further).
    expect(await table.locator('[data-status]').first().getAttribute('data-status')).toBe('success');
    await screenshot(page, 'admin-orders', '04-payments-refund');
  });

  it('stops the instance from the instances screen after the confirmation', async () => {
    const before = bed.incus.requests.length;
    await page.getByRole('link', { name: 'Instances', exact: true }).click();
    await page.getByLabel('Status').selectOption('running');
    await page.getByRole('button', { name: 'Filter' }).click();
    const table = page.getByTestId('instances-table');
    await expect.poll(() => table.textContent()).toContain('1 in all');
    await table.getByTestId('instance-link').click();
    await page.getByTestId('instance-sections').waitFor();
    const status = page.getByTestId('instance-status').locator('[data-status]');
    expect(await status.getAttribute('data-status')).toBe('running');
    await screenshot(page, 'admin-orders', '05-instance-page');

    await page.getByTestId('power-actions').getByRole('button', { name: 'Stop' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('It shuts down');
    // Nothing happens before the confirmation.
    expect(bed.incus.requests.slice(before).filter((request) => request.method === 'PUT')).toEqual([]);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => status.getAttribute('data-status')).toBe('stopped');
    const [instance] = await queryRows<{ status: string; provider_instance_id: string }>(bed.db.url, 'select status, provider_instance_id from instances where order_id = $1', [orderId]);
    expect(instance?.status).toBe('stopped');
    const stops = bed.incus.requests.slice(before).filter((request) => request.method === 'PUT' && request.path === `/1.0/instances/${instance?.provider_instance_id ?? ''}/state`);
    expect(stops).toHaveLength(1);
    expect(stops[0]?.body).toMatchObject({ action: 'stop' });
    expect(bed.incus.instances.get(instance?.provider_instance_id ?? '')?.status).toBe('Stopped');
    expect(await page.getByTestId('power-actions').getByRole('button', { name: 'Stop' }).isDisabled()).toBe(true);
    await screenshot(page, 'admin-orders', '06-instance-stopped');
  });
});
