/**
 * The customer portal's account screens in a real browser (issue 13): Balance, Invoices, Support,
 * API keys and Settings, against a real cluster with the EPay counterpart. A customer with 50.00
 * sees its balance and ledger, refuses a malformed amount, adds 10.00 through EPay (the browser
 * goes to the cashier, pays, comes back and sees 60.00 — and the database's payment and ledger);
 * pays an invoice the admin issued from its balance and sees it paid (and the database's), and
 * downloads its PDF; opens a ticket, sees the admin's public reply but never the internal note,
 * and answers; is told to ask support while API keys are off, then — allowed — creates a key,
 * sees it once, and revokes it (the key then fails); changes its password (refusals beside their
 * fields) and signs in with the new one. Every screen is photographed at desktop and phone widths
 * into docs/screenshots/portal-account/.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { TicketService } from '../../src/gen/rustbill/ticket_pb.ts';
import { launchBrowser, newContext, screenshot } from '../support/browser.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { queryRows } from '../support/db.ts';
import { startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';

const SHOTS = 'portal-account';
const NEW_PASSWORD = 'Fresh-Pass2024';

let bed: MoneyBed;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let customer: Awaited<ReturnType<MoneyBed['customer']>>;
let invoiceId = '';
let invoiceNumber = '';
let ticketId = '';

/** Signs `target` in to the portal through its form. */
async function signIn(target: Page, username: string, password: string): Promise<void> {
  await target.goto(`${bed.server.url}/login`);
  await target.getByLabel('User name').fill(username);
  await target.getByLabel('Password').fill(password);
  await target.getByRole('button', { name: 'Sign in' }).click();
  // On a phone the header's menu (with "Signed in as …") is folded away: attached, not visible.
  await target.getByTestId('signed-in').waitFor({ state: 'attached' });
}

/** The text of a test id, trimmed. */
async function text(target: Page, testId: string): Promise<string> {
  return ((await target.getByTestId(testId).first().textContent()) ?? '').trim();
}

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
  customer = await bed.customer('50.00');
  const billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
  const draft = await billing.createInvoice({
    customerId: customer.customerId, billingPeriodStart: '2026-01-01', billingPeriodEnd: '2026-01-31',
    amount: '30.00', taxAmount: '3.90', totalAmount: '33.90', dueDate: '2099-02-15', notes: 'January backups',
    items: [{ description: 'Backup storage 100 GB', quantity: 2, unitPrice: '15.00', amount: '30.00' }],
  });
  invoiceId = draft.invoice?.id ?? '';
  const issued = await billing.updateInvoice({ id: invoiceId, status: 'issued' });
  invoiceNumber = issued.invoice?.invoiceNumber ?? '';
  context = await newContext(browser, { viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  await signIn(page, customer.username, customer.password);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

describe('the customer portal: balance, invoices, support, API keys, settings', () => {
  it('shows the balance, credit, what is available and the ledger, with a type filter', async () => {
    await page.getByRole('link', { name: 'Balance', exact: true }).click();
    await page.getByTestId('balance-figures').waitFor();
    const [row] = await queryRows<{ balance: string; credit_limit: string }>(bed.db.url, 'select balance::text, credit_limit::text from customers where id = $1', [customer.customerId]);
    expect(row?.balance).toBe('50.00');
    expect(await text(page, 'balance-amount')).toBe('50.00');
    expect(await text(page, 'credit-limit')).toBe(row?.credit_limit);
    expect(await text(page, 'available-amount')).toBe((50 + Number(row?.credit_limit ?? 'NaN')).toFixed(2));
    const ledger = page.getByTestId('ledger');
    await expect.poll(() => ledger.getByTestId('ledger-row').count()).toBe(1);
    expect(await ledger.getByTestId('ledger-row').getAttribute('data-type')).toBe('adjustment');
    expect(await ledger.getByTestId('ledger-row').locator('td').nth(1).textContent()).toBe('Adjustment');
    expect(await ledger.getByTestId('ledger-row').locator('td').nth(2).textContent()).toBe('opening credit');
    expect(await text(page, 'ledger-amount')).toBe('+50.00');
    expect(await text(page, 'ledger-balance-after')).toBe('50.00');
    await page.getByLabel('Type').selectOption('recharge');
    await expect.poll(() => ledger.getByTestId('ledger-row').count()).toBe(0);
    await expect.poll(() => ledger.textContent()).toContain('No balance changes yet.');
    await page.getByLabel('Type').selectOption('');
    await expect.poll(() => ledger.getByTestId('ledger-row').count()).toBe(1);
    await screenshot(page, SHOTS, '01-balance');
  });

  it('refuses a malformed amount, then adds 10.00 through EPay and shows the balance grown', async () => {
    const amount = page.getByLabel('Amount to add');
    await amount.fill('10.555');
    await page.getByRole('button', { name: 'Add funds' }).click();
    await expect.poll(() => page.locator('.field-error').textContent()).toContain('at most 2 decimal places');
    await amount.fill('0');
    await page.getByRole('button', { name: 'Add funds' }).click();
    await expect.poll(() => page.locator('.field-error').textContent()).toContain('more than 0');
    expect(await queryRows(bed.db.url, 'select id from payments where customer_id = $1', [customer.customerId])).toEqual([]);

    await amount.fill('10');
    // The gateway is the only way to pay a recharge (no balance method) and is chosen already.
    await expect.poll(() => page.getByRole('radio').count()).toBe(1);
    expect(await page.getByRole('radio', { name: 'Local EPay' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Add 10.00' }).click();
    await page.waitForURL((url) => url.toString().startsWith(bed.epay.url));
    const [payment] = await queryRows<{ id: string; kind: string; amount: string; status: string; return_url: string }>(bed.db.url,
      'select id, kind, amount::text, status, return_url from payments where customer_id = $1', [customer.customerId]);
    expect(payment).toMatchObject({ kind: 'recharge', amount: '10.00', status: 'pending', return_url: `${bed.server.url}/balance?returned=1` });
    expect(bed.epay.orders.get(payment?.id ?? '')?.money).toBe('10.00');
    await screenshot(page, SHOTS, '02-epay-cashier');
    // The payer pays on the gateway's page: EPay notifies the server and sends the browser back.
    await page.getByRole('button', { name: /Pay/ }).click();
    await page.waitForURL((url) => url.pathname === '/balance');
    await expect.poll(() => page.getByTestId('recharge-outcome').getAttribute('data-outcome')).toBe('success');
    await expect.poll(() => text(page, 'balance-amount')).toBe('60.00');
    expect(await text(page, 'recharge-outcome')).toBe('10.00 was added to your balance.');
    const ledger = page.getByTestId('ledger');
    await expect.poll(() => ledger.getByTestId('ledger-row').count()).toBe(2);
    expect(await ledger.getByTestId('ledger-row').first().getAttribute('data-type')).toBe('recharge');
    expect(await text(page, 'ledger-amount')).toBe('+10.00');
    expect(await text(page, 'ledger-balance-after')).toBe('60.00');
    const [paid] = await queryRows<{ status: string; balance: string }>(bed.db.url,
      'select p.status, c.balance::text from payments p join customers c on c.id = p.customer_id where p.id = $1', [payment?.id]);
    expect(paid).toEqual({ status: 'success', balance: '60.00' });
    // The gateway's query parameters are gone from the address.
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, SHOTS, '03-balance-recharged');
  });

  it('lists the issued invoice, pays it from the balance, shows it paid and downloads its PDF', async () => {
    await page.getByRole('link', { name: 'Invoices', exact: true }).click();
    const list = page.getByTestId('invoices');
    await expect.poll(() => list.getByTestId('invoice-row').count()).toBe(1);
    expect(await list.getByTestId('invoice-row').locator('[data-status]').getAttribute('data-status')).toBe('issued');
    expect(await list.getByTestId('invoice-row').textContent()).toContain(invoiceNumber);
    await page.getByLabel('Status').selectOption('paid');
    await expect.poll(() => list.textContent()).toContain('You have no invoices yet.');
    expect(await list.getByTestId('invoice-row').count()).toBe(0);
    await page.getByLabel('Status').selectOption('');
    await expect.poll(() => list.getByTestId('invoice-row').count()).toBe(1);
    await screenshot(page, SHOTS, '04-invoices');

    await list.getByRole('link', { name: invoiceNumber }).click();
    await page.getByTestId('invoice-total').waitFor();
    expect(invoiceNumber).toMatch(/^INV-\d{4}-\d{6}$/);
    expect(await text(page, 'invoice-number')).toBe(invoiceNumber);
    expect(await text(page, 'invoice-subtotal')).toBe('30.00');
    expect(await text(page, 'invoice-tax')).toBe('3.90');
    expect(await text(page, 'invoice-total')).toBe('33.90');
    expect(await page.getByTestId('invoice-items').textContent()).toContain('Backup storage 100 GB');
    expect(await page.getByTestId('invoice-status').locator('[data-status]').getAttribute('data-status')).toBe('issued');
    // The balance method shows what is available (60.00 balance, no credit).
    await page.getByRole('radio', { name: /Balance/ }).check();
    expect(await text(page, 'balance-line')).toContain('available 60.00');
    await screenshot(page, SHOTS, '05-invoice-to-pay');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download PDF' }).click();
    expect((await download).suggestedFilename()).toBe(`${invoiceNumber}.pdf`);

    await page.getByRole('button', { name: 'Pay 33.90' }).click();
    await page.getByTestId('paid-notice').waitFor();
    await expect.poll(() => page.getByTestId('invoice-status').locator('[data-status]').getAttribute('data-status')).toBe('paid');
    expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0);
    const [invoice] = await queryRows<{ status: string; paid_amount: string; balance: string }>(bed.db.url,
      'select i.status, i.paid_amount::text, c.balance::text from invoices i join customers c on c.id = i.customer_id where i.id = $1', [invoiceId]);
    expect(invoice).toEqual({ status: 'paid', paid_amount: '33.90', balance: '26.10' });
    const payments = await queryRows<{ kind: string; status: string; amount: string }>(bed.db.url,
      'select kind, status, amount::text from payments where invoice_id = $1', [invoiceId]);
    expect(payments).toEqual([{ kind: 'invoice', status: 'success', amount: '33.90' }]);
    await screenshot(page, SHOTS, '06-invoice-paid');
  });

  it('opens a ticket, shows the public reply but never the internal note, and takes an answer', async () => {
    await page.getByRole('link', { name: 'Support', exact: true }).click();
    await expect.poll(() => page.getByTestId('tickets').textContent()).toContain('You have no support tickets');
    await page.getByRole('link', { name: 'New ticket' }).click();
    await page.getByRole('button', { name: 'Send ticket' }).click();
    await expect.poll(() => page.locator('.field-error[data-field="title"]').textContent()).toBe('Please fill this in.');
    await page.getByLabel('Subject').fill('Server unreachable');
    await page.getByLabel('Priority').selectOption('high');
    await page.getByLabel('Describe the problem').fill('SSH to my VPS times out since 10:00.');
    await screenshot(page, SHOTS, '07-ticket-new');
    await page.getByRole('button', { name: 'Send ticket' }).click();
    await page.getByTestId('conversation').waitFor();
    ticketId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    const [stored] = await queryRows<{ title: string; priority: string; status: string; customer_id: string }>(bed.db.url,
      'select title, priority, status, customer_id from tickets where id = $1', [ticketId]);
    expect(stored).toEqual({ title: 'Server unreachable', priority: 'high', status: 'pending', customer_id: customer.customerId });
    expect(await page.getByTestId('ticket-status').locator('[data-status]').getAttribute('data-status')).toBe('pending');

    const admin = grpcClient(TicketService, bed.server.url, bearer(bed.adminToken));
    await admin.createReply({ ticketId, content: 'Host node 7 overloaded, migrating', isInternal: true });
    await admin.createReply({ ticketId, content: 'We found the cause and are fixing it.', isInternal: false });
    await page.reload();
    const conversation = page.getByTestId('conversation');
    await expect.poll(() => conversation.getByTestId('reply').count()).toBe(1);
    expect(await conversation.getByTestId('reply').getAttribute('data-author')).toBe('support');
    expect(await conversation.getByTestId('reply').textContent()).toContain('We found the cause and are fixing it.');
    expect(await page.locator('body').textContent()).not.toContain('Host node 7');
    expect(await page.getByTestId('ticket-status').textContent()).toBe('Waiting for your reply');
    await screenshot(page, SHOTS, '08-ticket-reply');

    await page.getByLabel('Your reply').fill('Thank you, it works again.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => conversation.getByTestId('reply').count()).toBe(2);
    expect(await conversation.getByTestId('reply').nth(1).getAttribute('data-author')).toBe('customer');
    expect(await page.getByTestId('ticket-status').locator('[data-status]').getAttribute('data-status')).toBe('pending');
    const replies = await queryRows<{ content: string; is_internal: boolean }>(bed.db.url,
      'select content, is_internal from ticket_replies where ticket_id = $1 order by id', [ticketId]);
    expect(replies.map((reply) => reply.content)).toEqual(['Host node 7 overloaded, migrating', 'We found the cause and are fixing it.', 'Thank you, it works again.']);

    await page.getByRole('link', { name: 'All tickets' }).click();
    await expect.poll(() => page.getByTestId('ticket-row').count()).toBe(1);
    await page.getByLabel('Status').selectOption('closed');
    await expect.poll(() => page.getByTestId('ticket-row').count()).toBe(0);
    await page.getByLabel('Status').selectOption('');
    await expect.poll(() => page.getByTestId('ticket-row').count()).toBe(1);
    await screenshot(page, SHOTS, '09-tickets');
  });

  it('tells a customer without API keys to ask support, then creates a key shown once and revokes it', async () => {
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByTestId('api-keys-not-allowed').waitFor();
    expect(await text(page, 'api-keys-not-allowed')).toContain('Ask support to enable API keys');
    await screenshot(page, SHOTS, '10-api-keys-not-allowed');

    await bed.admin.customers.updateCustomer({ id: customer.customerId, canCreateApiKeys: true });
    await page.reload();
    await expect.poll(() => page.getByTestId('api-keys').textContent()).toContain('You have no API keys yet.');
    await page.getByLabel('Key name').fill('ci deploy');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByTestId('fresh-key').waitFor();
    const key = await text(page, 'new-api-key');
    expect(key).toMatch(/^rk_live_[0-9A-Za-z]{43}$/);
    expect(await text(page, 'fresh-key')).toContain('it will not be shown again');
    await expect.poll(() => page.getByTestId('api-key-row').count()).toBe(1);
    expect(await text(page, 'api-key-prefix')).toBe(`${key.slice(0, 14)}…`);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: bed.server.url });
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe(key);
    await screenshot(page, SHOTS, '11-api-key-created');
    // The key works as the customer.
    const asKey = grpcClient(BalanceService, bed.server.url, bearer(key));
    expect((await asKey.getBalance({})).customerId).toBe(customer.customerId);

    await page.getByRole('button', { name: 'I have saved it' }).click();
    expect(await page.getByTestId('fresh-key').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain(key);

    await page.getByRole('button', { name: 'Revoke ci deploy' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(key.slice(0, 14));
    await screenshot(page, SHOTS, '12-api-key-revoke');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByTestId('api-key-status').locator('[data-status]').getAttribute('data-status')).toBe('revoked');
    expect(await page.getByRole('button', { name: 'Revoke ci deploy' }).count()).toBe(0);
    const [stored] = await queryRows<{ enabled: boolean; revoked: boolean }>(bed.db.url,
      'select enabled, revoked_at is not null as revoked from api_keys where customer_id = $1', [customer.customerId]);
    expect(stored).toEqual({ enabled: false, revoked: true });
    const refused = await asKey.getBalance({}).then(() => null, (error: unknown) => ConnectError.from(error).code);
    expect(refused).toBe(Code.Unauthenticated);
    await screenshot(page, SHOTS, '13-api-keys');
  });

  it('shows the profile, refuses bad password changes beside their fields, changes it and signs in with the new one', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByTestId('profile').waitFor();
    /** Waits for the refusal beside `field` (the server checks passwords with bcrypt: slower than a poll's second). */
    const fieldError = async (field: string, message: string) => {
      const error = page.locator(`.field-error[data-field="${field}"]`);
      await error.waitFor();
      expect(await error.textContent()).toBe(message);
      expect(await page.locator('.field-error').count()).toBe(1);
    };
    expect(await text(page, 'profile-username')).toBe(customer.username);
    expect(await text(page, 'profile-customer-id')).toBe(customer.customerId);
    await screenshot(page, SHOTS, '14-settings');

    await page.getByLabel('Current password').fill(customer.password);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(`${NEW_PASSWORD}x`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await fieldError('repeat', 'The two new passwords are not the same.');

    await page.getByLabel('Current password').fill('Not-The-Password1');
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await fieldError('old_password', 'The current password is not right.');

    await page.getByLabel('Current password').fill(customer.password);
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Repeat the new password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await fieldError('new_password', 'Choose a stronger password: 8 to 72 characters, with a letter and a digit or symbol.');
    await screenshot(page, SHOTS, '15-settings-refused');

    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByTestId('password-changed').waitFor();
    // Still signed in here: another screen loads.
    await page.getByRole('link', { name: 'Balance', exact: true }).click();
    await expect.poll(() => text(page, 'balance-amount')).toBe('26.10');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${bed.server.url}/login`);
    await page.getByLabel('User name').fill(customer.username);
    await page.getByLabel('Password').fill(customer.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The old password no longer opens the account. (The words are the sign-in page's, not this screen's.)
    await page.getByRole('alert').waitFor();
    expect(await page.getByTestId('signed-in').count()).toBe(0);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in').waitFor();
  });

  it('fits every account screen on a phone (390 px) without sideways scrolling, in English and Chinese', async () => {
    const phoneContext = await newContext(browser, { viewport: { width: 390, height: 844 } });
    const phone = await phoneContext.newPage();
    await signIn(phone, customer.username, NEW_PASSWORD);
    const screens: Array<[string, string, string]> = [
      ['/balance', 'ledger', 'phone-01-balance'],
      ['/invoices', 'invoices', 'phone-02-invoices'],
      [`/invoices/${invoiceId}`, 'invoice-total', 'phone-03-invoice'],
      ['/tickets', 'tickets', 'phone-04-tickets'],
      ['/tickets/new', '', 'phone-05-ticket-new'],
      [`/tickets/${ticketId}`, 'conversation', 'phone-06-ticket'],
      ['/api-keys', 'api-keys', 'phone-07-api-keys'],
      ['/settings', 'profile', 'phone-08-settings'],
    ];
    for (const [path, ready, name] of screens) {
      await phone.goto(`${bed.server.url}${path}`);
      if (ready) await phone.getByTestId(ready).first().waitFor();
      else await phone.getByRole('heading', { level: 1 }).waitFor();
      const overflow = await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
      await screenshot(phone, SHOTS, name);
    }
    // A ledger row is a card on a phone: its labels come from data-label.
    await phone.goto(`${bed.server.url}/balance`);
    await phone.getByTestId('ledger-row').first().waitFor();
    expect(await phone.evaluate("getComputedStyle(document.querySelector('[data-testid=ledger-row] td'), '::before').content")).toBe('"Date"');

    await phone.getByRole('button', { name: 'Menu' }).click();
    await phone.getByLabel('Language').selectOption('zh');
    await expect.poll(() => phone.getByRole('heading', { level: 1 }).textContent()).toBe('余额');
    expect(await phone.getByTestId('ledger-row').first().locator('td').nth(1).textContent()).toBe('支付');
    await screenshot(phone, SHOTS, 'phone-09-balance-zh');
    await phoneContext.close();
  });
});
