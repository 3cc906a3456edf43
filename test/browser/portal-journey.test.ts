/**
 * A new customer's whole journey through the customer portal in headless Chromium (issue 13),
 * against a real cluster with the shipped plugins configured against local counterparts: SMTP
 * (notifier-email: the registration code), EPay (gateway-yipay: its cashier page calls back and
 * sends the payer back) and Incus (provider-incus). The customer registers with the code from the
 * e-mail, browses the store, orders VPS Small with 4 vCPU instead of 2 (the quote and the order
 * 40.00 instead of 20.00, and Incus gets 4 CPUs), pays on the EPay page, follows the order until
 * it is active, stops its server, opens a ticket and reads the admin's public reply (never the
 * internal note), pays an invoice from its balance, creates an API key that works, survives an
 * access token that stopped working (silent refresh) and signs out. The same journey runs at a
 * desktop width and at a phone's (where the screens are reached through the menu button; the
 * phone run ends in Chinese). Screenshots of each step go to docs/screenshots/portal-journey/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { ProductCategoryService } from '../../src/gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../../src/gen/rustbill/product_group_pb.ts';
import { TicketService } from '../../src/gen/rustbill/ticket_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { launchBrowser, newContext, screenshot } from '../support/browser.ts';
import { startSmtpServer, type SmtpCounterpart } from '../support/counterparts/smtp.ts';
import { queryRows } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { moneyInvariant, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

const FOLDER = 'portal-journey';
const TOKENS_KEY = 'nodebill.portal.tokens';

let bed: MoneyBed;
let smtp: SmtpCounterpart;
let browser: Browser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
  // The admin's setup: the e-mail notifier (registration codes) and the catalog: VPS Small (its
  // plan is 2 vCPU / 4 GB / 40 GB) in Cloud servers → Local region.
  const email = (await bed.admin.integration.listPlugins({ pluginType: 'notifier' })).plugins.find((plugin) => plugin.pluginId === 'email');
  if (!email) throw new Error('notifier-email was not scanned');
  const mail = await bed.admin.integration.createPluginInterface({
    pluginDefId: email.id, displayName: 'Customer mail',
    configJson: JSON.stringify({ smtp_host: smtp.host, smtp_port: smtp.port, from: 'billing@nodebill.test', username: smtp.username, password: smtp.password, encryption: 'none' }),
  });
  await bed.admin.integration.togglePluginInterface({ interfaceId: mail.interface?.id ?? '', enable: true });
  const category = await grpcClient(ProductCategoryService, bed.server.url, bearer(bed.adminToken)).createProductCategory({ name: 'Cloud servers', description: 'Virtual servers on Incus', sortOrder: 1 });
  const group = await grpcClient(ProductGroupService, bed.server.url, bearer(bed.adminToken)).createProductGroup({
    name: 'Local region', description: 'Next to you', sortOrder: 1, categoryId: category.category?.id ?? '',
  });
  await bed.admin.products.updateProduct({ id: bed.productId, groupId: group.group?.id ?? '', specs: { cpu_cores: '2', memory_gb: '4', disk_gb: '40', region: 'local' } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
  await smtp?.close();
});

/** The journey's viewport and how it reaches a screen. */
interface Device {
  name: 'desktop' | 'phone';
  viewport: { width: number; height: number };
}

/** Opens a screen from the header: on a phone through the menu button first, as a person would. */
async function open(page: Page, device: Device, link: string): Promise<void> {
  if (device.name === 'phone') await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
}

/** True when nothing on the page is wider than the viewport (no sideways scrolling on a phone). */
async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
}

/** The portal's stored token pair as JSON text, or null when signed out. */
function storedTokens(page: Page): Promise<string | null> {
  return page.evaluate<string | null>(`window.localStorage.getItem('${TOKENS_KEY}')`);
}

async function shot(page: Page, device: Device, name: string): Promise<void> {
  await screenshot(page, FOLDER, `${device.name}-${name}`);
}

function journey(device: Device): void {
  const me = { username: `journey${device.name}`, email: `journey-${device.name}@example.com`, password: 'Journey-Pass1', name: `Journey ${device.name}`, customerId: '', orderId: '' };
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await newContext(browser, { viewport: device.viewport });
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
  });

  it('registers with the code from the e-mail and is signed in', async () => {
    await page.goto(`${bed.server.url}/`);
    await page.getByRole('heading', { level: 1, name: 'Store' }).waitFor();
    await page.getByRole('region', { name: 'Cloud servers' }).getByTestId('product-card').waitFor();
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, device, '01-store');

    if (device.name === 'phone') await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('E-mail address').fill(me.email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    const mail = await eventually(async () => smtp.messages.find((message) => message.to.includes(me.email)), 'the verification e-mail');
    expect(mail.subject).toBe('Your verification code');
    const code = /\b(\d{6})\b/.exec(mail.body)?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    // A wrong code first: the server's refusal shows in words, and nothing is created.
    await page.getByLabel('Code from the e-mail').fill(code === '000000' ? '111111' : '000000');
    await page.getByLabel('User name').fill(me.username);
    await page.getByLabel('Your name or company').fill(me.name);
    await page.getByLabel('Choose a password').fill(me.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    const refusal = page.locator('[role="alert"]');
    await refusal.first().waitFor();
    expect(await refusal.first().textContent()).toMatch(/code/i);
    expect(await refusal.first().textContent()).not.toMatch(/\b(3|InvalidArgument|%[0-9A-F]{2})\b/);
    expect(await queryRows(bed.db.url, 'select 1 from customer_users where username = $1', [me.username])).toEqual([]);
    await page.getByLabel('Code from the e-mail').fill(code);
    await shot(page, device, '02-register');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByTestId('signed-in').waitFor({ state: 'attached' });
    expect(await page.getByTestId('signed-in').textContent()).toBe(`Signed in as ${me.name}`);
    const [row] = await queryRows<{ customer_id: string }>(bed.db.url, 'select customer_id from customer_users where username = $1', [me.username]);
    me.customerId = row?.customer_id ?? '';
    expect(me.customerId).not.toBe('');
  });

  it('configures 4 vCPU instead of 2: the live price and the order are 40.00 instead of 20.00', async () => {
    await open(page, device, 'Store');
    await page.getByRole('link', { name: 'Configure VPS Small' }).click();
    const cpu = page.getByLabel('vCPU', { exact: true });
    await cpu.waitFor();
    expect(await cpu.inputValue()).toBe('2');
    await expect.poll(() => page.getByTestId('quote-total').getAttribute('data-amount')).toBe('20.00');
    await cpu.fill('4');
    await expect.poll(() => page.getByTestId('quote-total').getAttribute('data-amount')).toBe('40.00');
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, device, '03-product-4-vcpu');
    await page.getByRole('button', { name: 'Continue to checkout' }).click();
    await page.getByTestId('order-id').waitFor();
    me.orderId = (await page.getByTestId('order-id').innerText()).trim();
    const [order] = await queryRows<{ amount: string; status: string; cpu: string }>(bed.db.url,
      "select amount::text, status, server_spec->>'cpu_cores' as cpu from orders where id = $1", [me.orderId]);
    expect(order).toEqual({ amount: '40.00', status: 'pending', cpu: '4' });
  });

  it('pays on the EPay page, comes back and follows the order until its server is running with 4 CPUs', async () => {
    await page.getByRole('radio', { name: /Local EPay/ }).check();
    await shot(page, device, '04-checkout');
    await page.getByRole('button', { name: 'Pay 40.00 CNY' }).click();
    await page.waitForURL((url) => url.href.startsWith(bed.epay.url));
    expect(await page.locator('#amount').textContent()).toContain('Pay 40.00');
    await shot(page, device, '05-epay-cashier');
    await page.getByRole('button', { name: /Pay/ }).click();
    await page.waitForURL((url) => url.href.startsWith(`${bed.server.url}/orders/${me.orderId}`));
    await expect.poll(() => page.getByTestId('order-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('active');
    await page.getByTestId('instance-link').waitFor({ timeout: 30_000 });
    await shot(page, device, '06-order-active');
    const [payment] = await queryRows<{ status: string; amount: string }>(bed.db.url, 'select status, amount::text from payments where order_id = $1', [me.orderId]);
    expect(payment).toEqual({ status: 'success', amount: '40.00' });
    const [instance] = await queryRows<{ provider_instance_id: string }>(bed.db.url, 'select provider_instance_id from instances where order_id = $1', [me.orderId]);
    expect(bed.incus.instances.get(instance?.provider_instance_id ?? '')?.config['limits.cpu']).toBe('4');
  });

  it('stops its server after confirming', async () => {
    await page.getByTestId('instance-link').click();
    const status = page.getByTestId('instance-status').locator('[data-status]');
    await expect.poll(() => status.getAttribute('data-status')).toBe('running');
    await page.getByTestId('power-actions').getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 30_000 }).toBe('stopped');
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, device, '07-server-stopped');
    const [instance] = await queryRows<{ status: string; provider_instance_id: string }>(bed.db.url, 'select status, provider_instance_id from instances where order_id = $1', [me.orderId]);
    expect(instance?.status).toBe('stopped');
    expect(bed.incus.instances.get(instance?.provider_instance_id ?? '')?.status).toBe('Stopped');
  });

  it("opens a ticket and reads the admin's reply, never the internal note", async () => {
    await open(page, device, 'Support');
    await page.getByRole('link', { name: 'New ticket' }).click();
    await page.getByLabel('Subject').fill('Where is my root password?');
    await page.getByLabel('Describe the problem').fill('I cannot log in to my new server.');
    await page.getByRole('button', { name: 'Send ticket' }).click();
    await page.getByTestId('conversation').waitFor();
    const [ticket] = await queryRows<{ id: string }>(bed.db.url, 'select id from tickets where customer_id = $1', [me.customerId]);
    const tickets = grpcClient(TicketService, bed.server.url, bearer(bed.adminToken));
    await tickets.createReply({ ticketId: ticket?.id ?? '', content: 'Customer asked twice already', isInternal: true });
    await tickets.createReply({ ticketId: ticket?.id ?? '', content: 'It is on the server page, under Details from the provider.', isInternal: false });
    await page.reload();
    const replies = page.getByTestId('conversation').getByTestId('reply');
    await expect.poll(() => replies.count()).toBe(1);
    expect(await replies.first().textContent()).toContain('It is on the server page, under Details from the provider.');
    expect(await page.locator('main').textContent()).not.toContain('asked twice');
    await shot(page, device, '08-ticket-reply');
  });

  it('pays an invoice from its balance', async () => {
    await bed.admin.balance.adjustBalance({ customerId: me.customerId, amount: '10.00', description: 'goodwill credit' });
    const billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
    const draft = await billing.createInvoice({
      customerId: me.customerId, billingPeriodStart: '2026-12-01', billingPeriodEnd: '2026-12-31', amount: '5.00', taxAmount: '0.00', totalAmount: '5.00',
      dueDate: '2099-01-15', notes: 'Extra IPv4 address', items: [{ description: 'Extra IPv4 address', quantity: 1, unitPrice: '5.00', amount: '5.00' }],
    });
    const issued = await billing.updateInvoice({ id: draft.invoice?.id ?? '', status: 'issued' });
    const number = issued.invoice?.invoiceNumber ?? '';
    await open(page, device, 'Invoices');
    await page.getByTestId('invoices').getByRole('link', { name: number }).click();
    await page.getByTestId('invoice-total').waitFor();
    await page.getByRole('radio', { name: /Balance/ }).check();
    await page.getByRole('button', { name: 'Pay 5.00' }).click();
    await page.getByTestId('paid-notice').waitFor();
    await expect.poll(() => page.getByTestId('invoice-status').locator('[data-status]').getAttribute('data-status')).toBe('paid');
    await shot(page, device, '09-invoice-paid');
    const [invoice] = await queryRows<{ status: string }>(bed.db.url, 'select status from invoices where id = $1', [draft.invoice?.id ?? '']);
    expect(invoice?.status).toBe('paid');
    const [customer] = await queryRows<{ balance: string }>(bed.db.url, 'select balance::text from customers where id = $1', [me.customerId]);
    expect(customer?.balance).toBe('5.00');
  });

  it('creates an API key, shown once, that works as the customer', async () => {
    await bed.admin.customers.updateCustomer({ id: me.customerId, canCreateApiKeys: true });
    await open(page, device, 'API keys');
    await page.getByLabel('Key name').fill('deploy script');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByTestId('fresh-key').waitFor();
    const key = ((await page.getByTestId('new-api-key').textContent()) ?? '').trim();
    expect(key).toMatch(/^rk_live_/);
    await shot(page, device, '10-api-key');
    const balance = await grpcClient(BalanceService, bed.server.url, bearer(key)).getBalance({});
    expect(balance).toMatchObject({ customerId: me.customerId, balance: '5.00' });
  });

  it('keeps working when its access token stops working (silent refresh), then signs out', async () => {
    const before = JSON.parse((await storedTokens(page)) ?? '{}') as { refreshToken?: string };
    expect(before.refreshToken).toBeTruthy();
    // The stored access token is no longer accepted (as when it expires): the next call is refused,
    // the portal refreshes the pair once and repeats the call; the customer sees the screen.
    await page.evaluate(`(() => {
      const pair = JSON.parse(window.localStorage.getItem('${TOKENS_KEY}') ?? '{}');
      window.localStorage.setItem('${TOKENS_KEY}', JSON.stringify({ ...pair, accessToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.invalid-signature' }));
    })()`);
    await open(page, device, 'Balance');
    await page.getByTestId('balance-figures').waitFor();
    expect(await page.getByTestId('balance-figures').textContent()).toContain('5.00');
    const after = JSON.parse((await storedTokens(page)) ?? '{}') as { accessToken?: string; refreshToken?: string };
    expect(after.refreshToken).toBeTruthy();
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await page.getByTestId('signed-in').count()).toBe(1);
    // An access token about to expire is refreshed before the call, not after a refusal.
    await page.evaluate(`(() => {
      const pair = JSON.parse(window.localStorage.getItem('${TOKENS_KEY}') ?? '{}');
      window.localStorage.setItem('${TOKENS_KEY}', JSON.stringify({ ...pair, expiresAt: Date.now() }));
    })()`);
    await open(page, device, 'Invoices');
    await page.getByTestId('invoices').getByTestId('invoice-row').first().waitFor();
    const renewed = JSON.parse((await storedTokens(page)) ?? '{}') as { refreshToken?: string; expiresAt?: number };
    expect(renewed.refreshToken).not.toBe(after.refreshToken);
    expect(renewed.expiresAt ?? 0).toBeGreaterThan(Date.now() + 60_000);

    if (device.name === 'phone') {
      // The phone run ends in Chinese: the menu and the screen in the other language.
      await page.getByRole('button', { name: 'Menu' }).click();
      await page.getByLabel('Language').selectOption('zh');
      await page.getByRole('navigation').getByRole('link', { name: '我的服务', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: '我的服务' }).waitFor();
      await shot(page, device, '11-services-zh');
      await page.getByRole('button', { name: '菜单' }).click();
      await page.getByLabel('语言').selectOption('en');
      // The menu stays open: Sign out is in it.
    }
    // The tokens are revoked on the server, not just forgotten by the browser: the access token that
    // worked a moment ago is refused now.
    const last = JSON.parse((await storedTokens(page)) ?? '{}') as { accessToken?: string };
    expect((await grpcClient(BalanceService, bed.server.url, bearer(last.accessToken ?? '')).getBalance({})).balance).toBe('5.00');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => storedTokens(page)).toBeNull();
    // The session forgets the user one render after the tokens are cleared.
    await expect.poll(() => page.getByTestId('signed-in').count()).toBe(0);
    await expect(grpcClient(BalanceService, bed.server.url, bearer(last.accessToken ?? '')).getBalance({})).rejects.toThrow(/log in again|logged out/);
  });

  it('leaves every customer ledger consistent', async () => {
    const invariant = await moneyInvariant(bed.db.url);
    expect(invariant.broken).toEqual([]);
    expect(invariant.checked).toBeGreaterThan(0);
  });
}

describe('a new customer in the portal at a desktop width (1280×800)', () => {
  journey({ name: 'desktop', viewport: { width: 1280, height: 800 } });
});

describe("a new customer in the portal at a phone's width (390×844)", () => {
  journey({ name: 'phone', viewport: { width: 390, height: 844 } });
});
