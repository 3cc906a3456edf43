/**
 * The admin console's Customers screens in a real browser (issue 12), against a real server with
 * the shipped plugins: an admin creates a customer through the form (a refused one first: the
 * server's message beside the field, nothing created), finds it with the search and the filters
 * (the server's), opens its page, adjusts the balance (the ledger row, the new balance, and the
 * ledger in the database), sets the credit limit, edits the profile, creates and revokes an API
 * key, imports a small .xlsx (the per-row results) and exports the filtered list. Screenshots go to
 * docs/screenshots/admin-customers/.
 */
import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { IMPORT_COLUMNS } from '../../src/domain/crm/customer-sheet.ts';
import { launchBrowser, newContext, screenshot } from '../support/browser.ts';
import { queryRows } from '../support/db.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

let bed: MoneyBed;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let buyerId: string;
const SHOTS = 'admin-customers';
const NAME = 'Browser Trading 有限公司';
const CODE = 'BT-0001';

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
  // Others in the list, so the search and filters have something to leave out.
  const buyer = await bed.customer('100.00');
  buyerId = buyer.customerId;
  await buyer.api.orders.createOrder({
    customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
  });
  await bed.customer();
  await bed.admin.customers.createCustomer({ name: 'Other Enterprise', customerCode: 'OT-0001', customerType: 'enterprise', industry: 'retail', creditLimit: '100.00', email: '', contactPerson: '', phone: '', company: '', notes: '' });
  context = await newContext(browser);
  page = await context.newPage();
  await page.goto(`${bed.server.url}/admin`);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(TEST_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in').waitFor();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await bed?.stop();
});

/** The codes the customer list shows, in its order. */
async function listedCodes(): Promise<string[]> {
  const list = page.getByTestId('customer-list');
  await expect.poll(() => list.locator('.pager .muted').count()).toBe(0);
  return list.locator('tbody tr td:first-child a').allTextContents();
}

async function customerRow(code: string): Promise<{ id: string; balance: string; credit_limit: string; industry: string; customer_type: string } | undefined> {
  const [row] = await queryRows<{ id: string; balance: string; credit_limit: string; industry: string; customer_type: string }>(bed.db.url,
    'select id, balance::text, credit_limit::text, industry, customer_type from customers where customer_code = $1', [code]);
  return row;
}

describe('the Customers screens', () => {
  it('creates a customer through the form: a refused one shows the server\'s message beside the field and creates nothing', async () => {
    await page.getByRole('link', { name: 'Customers', exact: true }).click();
    await page.getByTestId('customer-list').waitFor();
    await page.getByRole('button', { name: 'New customer' }).click();
    const form = page.getByTestId('create-customer');
    await form.getByLabel('Name').fill(NAME);
    await form.getByLabel('Code', { exact: true }).fill(CODE);
    await form.getByLabel('Type').selectOption('enterprise');
    await form.getByLabel('Industry').fill('hosting');
    await form.getByLabel('Contact person').fill('Li Lei');
    await form.getByLabel('E-mail').fill('not-an-address');
    await form.getByLabel('Credit limit').fill('1000');
    await form.getByRole('button', { name: 'Create customer' }).click();
    // The server's words, beside the e-mail field.
    const emailProblem = form.locator('[data-field="email"]');
    await expect.poll(() => emailProblem.textContent()).toContain('is not a valid e-mail address');
    expect(await emailProblem.textContent()).toContain('not-an-address');
    expect(await customerRow(CODE)).toBeUndefined();
    // A negative credit limit is refused before it is sent, in the server's words.
    await form.getByLabel('E-mail').fill('li.lei@browser.example');
    await form.getByLabel('Credit limit').fill('-5');
    await form.getByRole('button', { name: 'Create customer' }).click();
    await expect.poll(() => form.locator('[data-field="credit_limit"]').textContent()).toContain('credit_limit must not be negative');
    expect(await form.locator('[data-field="email"]').count()).toBe(0);
    expect(await customerRow(CODE)).toBeUndefined();
    // Fixed: created.
    await form.getByLabel('Credit limit').fill('1000');
    await form.getByRole('button', { name: 'Create customer' }).click();
    await expect.poll(() => page.getByTestId('created-customer').textContent()).toContain(CODE);
    const row = await customerRow(CODE);
    expect(row).toMatchObject({ credit_limit: '1000.00', industry: 'hosting', customer_type: 'enterprise', balance: '0.00' });
  });

  it('finds it with the search and the filters, which the server applies, and sorts by the server', async () => {
    const filters = page.getByRole('form', { name: 'Filter' });
    await filters.getByLabel('Search').fill('browser trading');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(listedCodes).toEqual([CODE]);
    await filters.getByLabel('Search').fill('');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await filters.getByLabel('Type').selectOption('enterprise');
    await expect.poll(listedCodes).toEqual(expect.arrayContaining([CODE, 'OT-0001']));
    expect((await listedCodes()).length).toBe(2);
    await filters.getByLabel('Industry').fill('HOSTING');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(listedCodes).toEqual([CODE]);
    await filters.getByLabel('Type').selectOption('individual');
    await expect.poll(listedCodes).toEqual([]);
    await filters.getByRole('button', { name: 'Clear' }).click();
    const [all] = await queryRows<{ n: number }>(bed.db.url, 'select count(*)::int as n from customers where deleted_at is null');
    await expect.poll(async () => (await listedCodes()).length).toBe(all?.n);
    // Sorted by the server: by code, ascending then descending.
    const list = page.getByTestId('customer-list');
    await list.getByRole('button', { name: 'Code' }).click();
    const [server] = await queryRows<{ codes: string[] }>(bed.db.url, 'select array_agg(customer_code order by lower(customer_code) desc, id desc) as codes from customers where deleted_at is null');
    await expect.poll(listedCodes).toEqual(server?.codes);
    await list.getByRole('button', { name: /Code/ }).click();
    await expect.poll(listedCodes).toEqual([...(server?.codes ?? [])].reverse());
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '01-list');
  });

  it('opens its page, adjusts the balance by +50.00 (ledger row, new balance, the database\'s ledger) and sets the credit limit', async () => {
    await page.getByTestId('customer-list').getByRole('link', { name: CODE }).click();
    await page.getByTestId('customer-page').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(NAME);
    const id = (await customerRow(CODE))?.id ?? '';
    expect(await page.getByTestId('customer-page').getAttribute('data-customer-id')).toBe(id);
    await page.getByRole('link', { name: 'Balance and credit' }).click();
    const adjust = page.getByTestId('adjust-form');
    // Three decimals: refused before it is sent.
    await adjust.getByLabel('Amount').fill('50.005');
    await adjust.getByLabel('Description').fill('Welcome credit');
    await adjust.getByRole('button', { name: 'Adjust' }).click();
    await expect.poll(() => adjust.locator('[data-field="amount"]').textContent()).toContain('at most 2 decimal places');
    // No description: the server's words beside the field.
    await adjust.getByLabel('Amount').fill('50.00');
    await adjust.getByLabel('Description').fill('');
    await adjust.getByRole('button', { name: 'Adjust' }).click();
    await expect.poll(() => adjust.locator('[data-field="description"]').textContent()).toContain('description is required');
    expect((await queryRows(bed.db.url, 'select 1 from balance_transactions where customer_id = $1', [id])).length).toBe(0);
    await adjust.getByLabel('Description').fill('Welcome credit');
    await adjust.getByRole('button', { name: 'Adjust' }).click();
    await expect.poll(() => page.getByTestId('customer-balance').textContent()).toBe('50.00');
    const ledger = page.getByTestId('ledger');
    await expect.poll(() => ledger.locator('tbody tr').first().textContent()).toContain('Welcome credit');
    const cells = await ledger.locator('tbody tr').first().locator('td').allTextContents();
    expect(cells[1]).toBe('Adjustment');
    expect(cells[2]).toBe('50.00');
    expect(cells[3]).toBe('50.00');
    const entries = await queryRows<{ amount: string; balance_after: string; transaction_type: string; description: string }>(bed.db.url,
      'select amount::text, balance_after::text, transaction_type, description from balance_transactions where customer_id = $1', [id]);
    expect(entries).toEqual([{ amount: '50.00', balance_after: '50.00', transaction_type: 'adjustment', description: 'Welcome credit' }]);
    expect((await customerRow(CODE))?.balance).toBe('50.00');
    // The credit limit.
    const credit = page.getByTestId('credit-form');
    await credit.getByLabel('Credit limit').fill('2500.5');
    await credit.getByRole('button', { name: 'Set the credit limit' }).click();
    await expect.poll(() => page.getByTestId('customer-credit-limit').textContent()).toBe('2,500.50');
    expect((await customerRow(CODE))?.credit_limit).toBe('2500.50');
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '02-customer-money');
  });

  it('edits the profile, sending only what changed', async () => {
    await page.getByRole('link', { name: 'Profile' }).click();
    const form = page.getByTestId('profile-form');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.getByTestId('profile-note').textContent()).toBe('Nothing changed.');
    // A refused change names its field and changes nothing.
    await form.getByLabel('Phone').fill('call me maybe');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => form.locator('[data-field="phone"]').textContent()).toContain('phone may hold digits');
    await form.getByLabel('Phone').fill('+86 138 0000 0000');
    await form.getByLabel('Industry').fill('cloud hosting');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.getByTestId('profile-note').textContent()).toBe('Saved (2 changed).');
    const [row] = await queryRows<{ industry: string; phone: string; email: string }>(bed.db.url, 'select industry, phone, email from customers where customer_code = $1', [CODE]);
    expect(row).toEqual({ industry: 'cloud hosting', phone: '+86 138 0000 0000', email: 'li.lei@browser.example' });
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '03-customer-profile');
  });

  it('creates an API key for the customer and revokes it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Key name').fill('billing sync');
    await page.getByRole('button', { name: 'Create an API key' }).click();
    await expect.poll(() => page.getByTestId('new-api-key').textContent()).toContain('rk_live_');
    const keys = page.getByTestId('api-keys');
    await expect.poll(() => keys.locator('tbody tr').first().textContent()).toContain('billing sync');
    await keys.getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('revoke-confirm').getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => keys.locator('tbody tr').first().textContent()).toContain('Revoked');
    const [key] = await queryRows<{ enabled: boolean; revoked: boolean }>(bed.db.url,
      "select enabled, revoked_at is not null as revoked from api_keys where name = 'billing sync'");
    expect(key?.enabled === false || key?.revoked === true).toBe(true);
  });

  it('imports a small .xlsx and shows every row\'s result', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Customers');
    const headers = ['customerCode', 'name', 'customerType', 'industry', 'creditLimit'] as const;
    sheet.addRow(headers.map((key) => IMPORT_COLUMNS.find((column) => column.key === key)?.header ?? key));
    sheet.addRow(['IMP-0001', 'Imported One', 'retail', 'food', 300]);
    sheet.addRow(['IMP-0002', 'Imported Two', 'spaceship', 'food', 10]);
    sheet.addRow([CODE, NAME, 'enterprise', 'hosting', null]);
    const bytes = Buffer.from(await book.xlsx.writeBuffer());
    await page.getByRole('link', { name: 'Customers', exact: true }).click();
    const panel = page.getByTestId('customer-import');
    await panel.getByLabel('Excel file (.xlsx)').setInputFiles({ name: 'customers.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: bytes });
    await panel.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => panel.getByTestId('import-summary').textContent(), { timeout: 20_000 }).toContain('1 created, 1 updated, 0 unchanged, 1 refused (3 rows)');
    expect(await panel.getByTestId('import-progress').getAttribute('data-status')).toBe('completed');
    expect(await panel.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    const rows = panel.getByTestId('import-rows');
    expect(await rows.locator('tr[data-row="2"]').getAttribute('data-result')).toBe('created');
    expect(await rows.locator('tr[data-row="3"]').getAttribute('data-result')).toBe('error');
    expect(await rows.locator('tr[data-row="3"] td').nth(3).textContent()).toBe('customer_type');
    expect(await rows.locator('tr[data-row="3"] td').nth(4).textContent()).toContain('spaceship');
    expect(await rows.locator('tr[data-row="4"]').getAttribute('data-result')).toBe('updated');
    expect(await customerRow('IMP-0001')).toMatchObject({ customer_type: 'retail', industry: 'food', credit_limit: '300.00' });
    expect(await customerRow('IMP-0002')).toBeUndefined();
    expect((await customerRow(CODE))?.industry).toBe('hosting');
    // The list reloaded with the new customer.
    await expect.poll(listedCodes).toContain('IMP-0001');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, SHOTS, '04-import-results');
  });

  it('exports the filtered list as an .xlsx download', async () => {
    const filters = page.getByRole('form', { name: 'Filter' });
    await filters.getByLabel('Type').selectOption('enterprise');
    await expect.poll(async () => (await listedCodes()).sort()).toEqual([CODE, 'OT-0001']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-customers').click()]);
    const file = await download.path();
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(new Uint8Array(bytes).buffer);
    const codes: string[] = [];
    book.worksheets[0]?.eachRow((row, number) => { if (number > 1) codes.push(String(row.getCell(1).value)); });
    expect(codes.sort()).toEqual([CODE, 'OT-0001']);
    // The template link downloads the server's template.
    const [template] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-template').click()]);
    expect((await readFile(await template.path())).subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('shows the screens in Chinese', async () => {
    await page.getByLabel('Language').selectOption('zh');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('客户');
    const headers = await page.getByTestId('customer-list').locator('thead th').allTextContents();
    expect(headers.slice(0, 3)).toEqual(['客户代码', '客户名称', '类型']);
    await page.getByTestId('customer-list').getByRole('link', { name: CODE }).click();
    await page.getByRole('link', { name: '余额与信用' }).click();
    await expect.poll(() => page.getByTestId('ledger').locator('tbody tr').first().textContent()).toContain('调整');
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '05-customer-zh');
    await page.getByLabel('语言').selectOption('en');
  });

  it('lists a customer\'s orders, instances and ledger on its page, as the server has them', async () => {
    await page.goto(`${bed.server.url}/admin/customers/${buyerId}?tab=orders`);
    const orders = page.getByTestId('customer-orders');
    const [order] = await queryRows<{ id: string; amount: string }>(bed.db.url, 'select id, amount::text from orders where customer_id = $1', [buyerId]);
    await expect.poll(() => orders.locator('tbody tr').count()).toBe(1);
    expect(await orders.locator('tbody tr td a').first().getAttribute('title')).toBe(order?.id);
    expect(await orders.locator('tbody tr').first().textContent()).toContain(order?.amount ?? '-');
    await page.getByTestId('customer-page').getByRole('navigation').getByRole('link', { name: 'Instances' }).click();
    const [instances] = await queryRows<{ n: number }>(bed.db.url, 'select count(*)::int as n from instances where customer_id = $1', [buyerId]);
    const rows = page.getByTestId('customer-instances').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(Math.max(1, instances?.n ?? 0));
    await page.getByRole('link', { name: 'Balance and credit' }).click();
    const [ledger] = await queryRows<{ n: number }>(bed.db.url, 'select count(*)::int as n from balance_transactions where customer_id = $1', [buyerId]);
    expect(ledger?.n).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.getByTestId('ledger').locator('tbody tr').count()).toBe(ledger?.n);
  });
});
