/**
 * The portal's checkout beyond the journey (issue 13), in headless Chromium against a real cluster:
 * a promotion code at checkout (a wrong one refused under its field; a right one in the live price
 * and in the stored order), a gateway without a payment page (gateway-banktransfer: its payment
 * instructions shown on the order page, the order still awaiting payment), and a customer who uses
 * only the keyboard: the skip link, sign-in with Tab and Enter, a confirmation dialog that Escape
 * cancels without doing anything. Screenshots go to docs/screenshots/portal-checkout/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { launchBrowser, newContext, screenshot } from '../support/browser.ts';
import { queryRows } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

const FOLDER = 'portal-checkout';

let bed: MoneyBed;
let browser: Browser;
let page: Page;
let buyer: Awaited<ReturnType<MoneyBed['customer']>>;

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
  await grpcClient(BillingService, bed.server.url, bearer(bed.adminToken)).createPromotionCode({
    terms: {
      code: 'WELCOME5', kind: 'fixed', value: '5.00', recurrence: 'first_period', productIds: [], billingCycles: [], validFrom: '', validUntil: '',
      maxUses: 0, maxUsesPerCustomer: 1, isActive: true, description: '5.00 off the first month',
    },
  });
  const plugin = (await bed.admin.integration.listPlugins({ pluginType: 'gateway' })).plugins.find((entry) => entry.pluginId === 'banktransfer');
  if (!plugin) throw new Error('gateway-banktransfer was not scanned');
  const bank = await bed.admin.integration.createPluginInterface({
    pluginDefId: plugin.id, displayName: 'Bank transfer',
    configJson: JSON.stringify({ bank_name: 'Example Bank', account_name: 'NodeBill Ltd', account_number: '6222 0000 1111 2222', currency: 'CNY', confirm_secret: 'a-long-confirmation-secret-0123456789' }),
  });
  await bed.admin.integration.togglePluginInterface({ interfaceId: bank.interface?.id ?? '', enable: true });
  await bed.admin.products.updateProduct({ id: bed.productId, specs: { cpu_cores: '2', memory_gb: '4', disk_gb: '40' } });
  buyer = await bed.customer('100.00');
  page = await (await newContext(browser, { viewport: { width: 1280, height: 800 } })).newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

/** Presses Tab until the focused element matches `selector` (at most `limit` times). */
async function tabTo(target: Page, selector: string, limit = 40): Promise<void> {
  for (let presses = 0; presses < limit; presses += 1) {
    await target.keyboard.press('Tab');
    if (await target.evaluate<boolean>(`document.activeElement?.matches(${JSON.stringify(selector)}) === true`)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

describe('a customer using only the keyboard', () => {
  it('skips to the content and signs in with Tab and Enter', async () => {
    await page.goto(`${bed.server.url}/login`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement?.textContent ?? ""')).toBe('Skip to content');
    await tabTo(page, 'input[name="username"]');
    await page.keyboard.type(buyer.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(buyer.password);
    await page.keyboard.press('Enter');
    await page.getByTestId('signed-in').waitFor({ state: 'attached' });
    // The redirect to /services runs in an effect after the render that shows "signed in".
    await page.waitForURL((url) => url.pathname === '/services');
  });

  it('opens a confirmation with the keyboard and cancels it with Escape: nothing happens', async () => {
    const created = await buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
    });
    const orderId = created.order?.id ?? '';
    // Provisioning is asynchronous: the page is opened once the server is running (it does not poll).
    const instance = await eventually(async () => {
      const [row] = await queryRows<{ id: string; status: string }>(bed.db.url, 'select id, status from instances where order_id = $1', [orderId]);
      return row?.status === 'running' ? row : undefined;
    }, 'the instance running');
    await page.goto(`${bed.server.url}/instances/${instance.id}`);
    await expect.poll(() => page.getByTestId('instance-status').locator('[data-status]').getAttribute('data-status')).toBe('running');
    const before = bed.incus.requests.length;
    await page.getByTestId('power-actions').getByRole('button', { name: 'Stop', exact: true }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // Focus is inside the dialog (on its safe choice), not left on the page behind it.
    expect(await page.evaluate<string>('document.activeElement?.closest("dialog") ? document.activeElement.textContent : "outside"')).toBe('Cancel');
    await screenshot(page, FOLDER, '03-confirmation-keyboard');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(bed.incus.requests.slice(before).filter((request) => request.method === 'PUT')).toEqual([]);
    const [after] = await queryRows<{ status: string }>(bed.db.url, 'select status from instances where id = $1', [instance.id]);
    expect(after?.status).toBe('running');
  });
});

describe('checkout', () => {
  it('refuses an unknown promotion code under its field, and takes a good one into the price and the order', async () => {
    await page.goto(`${bed.server.url}/products/${bed.productId}`);
    await page.getByLabel('vCPU', { exact: true }).waitFor();
    await expect.poll(() => page.getByTestId('quote-total').getAttribute('data-amount')).toBe('20.00');
    const code = page.getByLabel('Promotion code (optional)');
    await code.fill('NOSUCHCODE');
    await expect.poll(() => page.locator('.field-error').first().textContent()).toMatch(/NOSUCHCODE|promotion code/i);
    expect(await page.locator('.field-error').first().textContent()).not.toMatch(/NotFound|\b5\b|%[0-9A-F]{2}/);
    await code.fill('WELCOME5');
    await expect.poll(() => page.getByTestId('quote-total').getAttribute('data-amount')).toBe('15.00');
    expect(await page.getByTestId('quote-discount').textContent()).toContain('5.00');
    await screenshot(page, FOLDER, '01-promotion-code');
    await page.getByRole('button', { name: 'Continue to checkout' }).click();
    await page.getByTestId('order-id').waitFor();
    const orderId = (await page.getByTestId('order-id').innerText()).trim();
    const [order] = await queryRows<{ amount: string; discount_amount: string; promotion_code: string }>(bed.db.url,
      'select amount::text, discount_amount::text, promotion_code from orders where id = $1', [orderId]);
    expect(order).toEqual({ amount: '15.00', discount_amount: '5.00', promotion_code: 'WELCOME5' });
  });

  it("shows a bank transfer's instructions instead of a payment page, and the order keeps awaiting payment", async () => {
    await page.getByRole('radio', { name: /Bank transfer/ }).check();
    await page.getByRole('button', { name: 'Pay 15.00 CNY' }).click();
    const next = page.getByTestId('payment-next');
    await next.waitFor();
    const text = (await next.textContent()) ?? '';
    expect(text).toContain('Please transfer 15.00 CNY to:');
    expect(text).toContain('Account number: 6222 0000 1111 2222');
    expect(await page.getByTestId('payment-link').count()).toBe(0);
    expect(new URL(page.url()).host).toBe(new URL(bed.server.url).host);
    await screenshot(page, FOLDER, '02-bank-transfer-instructions');
    const orderId = (await page.getByTestId('order-id').innerText()).trim();
    const [payment] = await queryRows<{ status: string; amount: string }>(bed.db.url, 'select status, amount::text from payments where order_id = $1', [orderId]);
    expect(payment).toEqual({ status: 'pending', amount: '15.00' });
    expect(await page.getByTestId('order-status').getAttribute('data-status')).toBe('pending');
  });
});
