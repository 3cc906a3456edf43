/**
 * The admin console's Customers screens in a real browser (issue 12), against a real server with
 * the shipped plugins: an admin creates a customer through the form (a refused one first: the
 * server's message beside the field, nothing created), finds it with the search and the filters
 * (the server's), opens its page, adjusts the balance (the ledger row, the new balance, and the
 * ledger in the database), sets the credit limit, edits the profile, creates and revokes an API
 * key, imports a small .xlsx (the per-row results) and exports the filtered list; filters by risk
 * level, RFM segment and rating (each against the database's scores); shows the statistics and
 * the paged purchase history; sets and clears the manual rating with notes; deletes customers (a
 * refusal in the server's words, a removal, a soft deletion seen with "include deleted").
 * Screenshots go to docs/screenshots/admin-customers/.
 */
import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { IMPORT_COLUMNS } from '../../src/domain/crm/customer-sheet.ts';
import { attributeValues, launchBrowser, newContext, screenshot } from '../support/browser.ts';
import { queryRows } from '../support/db.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

let bed: MoneyBed;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let buyerId: string;
let buyer: Awaited<ReturnType<MoneyBed['customer']>>;
const SHOTS = 'admin-customers';
const NAME = 'Browser Trading 有限公司';
const CODE = 'BT-0001';

beforeAll(async () => {
  // A low monetary bar, so the buyer's one paid order (20.00, today) makes it an "important to develop" customer (R, M high; F low).
  bed = await startMoneyBed({ workers: 1, config: { crm: { rfm_monetary_high_min: '10.00', rfm_monetary_medium_min: '5.00' } } });
  browser = await launchBrowser();
  // Others in the list, so the search and filters have something to leave out.
  buyer = await bed.customer('100.00');
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
  it('filters the list by risk level, RFM segment and rating, as the server scored them (the database\'s customer_scores)', async () => {
    // Customers the scores tell apart: 80 % of the credit used (orange), 1 star by hand (orange), 5 stars by hand.
    const orange = await bed.admin.customers.createCustomer({ name: 'Owing Eighty', customerCode: 'RISK-ORANGE', creditLimit: '100.00', email: '', contactPerson: '', phone: '', company: '', notes: '' });
    await bed.admin.customers.updateCustomerBalance({ id: orange.customer?.id ?? '', balance: '-80.00', description: 'debt carried over' });
    await bed.admin.customers.createCustomer({ name: 'One Star Trading', customerCode: 'RATE-ONE', rating: 1, email: '', contactPerson: '', phone: '', company: '', notes: '' });
    await bed.admin.customers.createCustomer({ name: 'Five Star Trading', customerCode: 'RATE-FIVE', rating: 5, email: '', contactPerson: '', phone: '', company: '', notes: '' });
    await bed.admin.customers.recomputeCustomerScores({});
    const levels = await queryRows<{ risk_level: string }>(bed.db.url, 'select distinct s.risk_level from customer_scores s join customers c on c.id = s.customer_id where c.deleted_at is null');
    expect(levels.length).toBeGreaterThanOrEqual(2);
    await page.goto(`${bed.server.url}/admin/customers`);
    const filters = page.getByRole('form', { name: 'Filter' });
    const list = page.getByTestId('customer-list');
    const scored = async (where: string, value: string | number): Promise<string[]> => (await queryRows<{ customer_code: string }>(bed.db.url,
      `select c.customer_code from customers c left join customer_scores s on s.customer_id = c.id where c.deleted_at is null and ${where} = $1`, [value])).map((row) => row.customer_code).sort();
    const sortedCodes = async () => (await listedCodes()).sort();

    for (const level of ['green', 'yellow', 'orange', 'red']) {
      await filters.getByLabel('Risk level').selectOption(level);
      const expected = await scored('s.risk_level', level);
      await expect.poll(sortedCodes).toEqual(expected);
      // What the rows show is that level.
      expect(new Set(await attributeValues(list.locator('tbody tr [data-risk]'), 'data-risk'))).toEqual(new Set(expected.length > 0 ? [level] : []));
    }
    expect(await scored('s.risk_level', 'orange')).toEqual(expect.arrayContaining(['RATE-ONE', 'RISK-ORANGE']));
    await filters.getByLabel('Risk level').selectOption('');

    for (const segment of ['important_value', 'important_retain', 'important_develop', 'general', 'churn_warning']) {
      await filters.getByLabel('RFM segment').selectOption(segment);
      await expect.poll(sortedCodes).toEqual(await scored('s.rfm_segment', segment));
    }
    const [buyerRow] = await queryRows<{ customer_code: string }>(bed.db.url, 'select customer_code from customers where id = $1', [buyerId]);
    expect(await scored('s.rfm_segment', 'important_develop')).toEqual([buyerRow?.customer_code]);
    expect((await scored('s.rfm_segment', 'general')).length).toBeGreaterThan(1);
    await filters.getByLabel('RFM segment').selectOption('');

    for (const stars of [1, 2, 3, 4, 5]) {
      await filters.getByLabel('Rating').selectOption(String(stars));
      const expected = await scored('coalesce(c.rating, s.computed_rating, 3)', stars);
      await expect.poll(sortedCodes).toEqual(expected);
      expect(new Set(await attributeValues(list.locator('tbody tr [data-rating]'), 'data-rating'))).toEqual(new Set(expected.length > 0 ? [String(stars)] : []));
    }
    expect(await scored('coalesce(c.rating, s.computed_rating, 3)', 5)).toContain('RATE-FIVE');
    await filters.getByRole('button', { name: 'Clear' }).click();
  });

  it('shows a customer\'s statistics and its purchase history in the server\'s pages', async () => {
    // Eleven unpaid orders more: the history has two pages of ten.
    for (let n = 0; n < 11; n += 1) {
      await buyer.api.orders.createOrder({
        customerId: buyerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly',
      });
    }
    const stats = await bed.admin.customers.getCustomerStatistics({ id: buyerId });
    const [orders] = await queryRows<{ n: number; paid: number }>(bed.db.url,
      "select count(*)::int as n, count(*) filter (where status in ('paid', 'provisioning', 'active', 'suspended', 'completed', 'refunded'))::int as paid from orders where customer_id = $1", [buyerId]);
    expect(orders?.n).toBe(12);
    expect(stats.totalOrders).toBe(12);
    expect(stats.paidOrders).toBe(orders?.paid);
    await page.goto(`${bed.server.url}/admin/customers/${buyerId}?tab=statistics`);
    const section = page.getByTestId('statistics-section');
    await expect.poll(() => section.getByTestId('stat-total-orders').textContent()).toBe('12');
    expect(await section.getByTestId('stat-paid-orders').textContent()).toBe(String(orders?.paid));
    expect(await section.getByTestId('stat-revenue').textContent()).toBe(stats.totalRevenue);
    expect(stats.totalRevenue).toBe('20.00');
    expect(await section.getByTestId('stat-avg-order').textContent()).toBe(stats.avgOrderAmount);
    expect(await section.getByTestId('stat-balance').textContent()).toBe('80.00');
    expect(await section.getByTestId('stat-products').textContent()).toBe(String(stats.totalProducts));
    const top = await section.getByTestId('stat-top-products').locator('tbody tr').first().locator('td').allTextContents();
    expect(top).toEqual(['VPS Small', '1', '20.00']);
    expect(await section.getByTestId('stat-payments-count').textContent()).toBe(String(stats.paymentStats?.payments));
    expect(await section.getByTestId('stat-risk').locator('[data-risk]').getAttribute('data-risk')).toBe(stats.creditRisk?.level);
    expect(await section.getByTestId('stat-risk-factors').locator('tbody tr').count()).toBe(stats.creditRisk?.factors.length);
    expect(stats.creditRisk?.factors.length).toBeGreaterThan(0);
    expect(await section.getByTestId('stat-segment').textContent()).toBe({
      important_value: 'Important value', important_retain: 'Important to retain', important_develop: 'Important to develop', general: 'General', churn_warning: 'Churn warning',
    }[stats.rfm?.segment ?? ''] ?? 'not a segment');
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '06-customer-statistics');

    // The purchase history: newest first, ten a page, the paid order last.
    await page.getByTestId('customer-page').getByRole('navigation').getByRole('link', { name: 'Purchase history' }).click();
    const history = page.getByTestId('purchase-history');
    const ids = async () => attributeValues(history.locator('tbody tr td:first-child a'), 'title');
    await expect.poll(() => history.locator('tbody tr').count()).toBe(10);
    expect(await history.locator('.pager').textContent()).toContain('Page 1 of 2 · 12 in all');
    const first = await ids();
    expect(await history.locator('tbody tr [data-payment]').allTextContents()).toEqual(Array(10).fill('Unpaid'));
    await history.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => history.locator('tbody tr').count()).toBe(2);
    const second = await ids();
    const all = await queryRows<{ id: string }>(bed.db.url, 'select id from orders where customer_id = $1', [buyerId]);
    expect([...first, ...second].sort()).toEqual(all.map((row) => row.id).sort());
    const [paid] = await queryRows<{ id: string }>(bed.db.url, "select id from orders where customer_id = $1 and status <> 'pending'", [buyerId]);
    expect(second.at(-1)).toBe(paid?.id);
    expect(await history.locator('tbody tr').last().locator('[data-payment]').textContent()).toBe('Paid');
    await screenshot(page, SHOTS, '07-purchase-history');
  });

  it('sets the manual rating with notes, shows a refusal beside the notes (nothing changes), and clears it', async () => {
    const id = (await customerRow(CODE))?.id ?? '';
    await page.goto(`${bed.server.url}/admin/customers/${id}?tab=statistics`);
    const form = page.getByTestId('rating-form');
    await form.locator('select[name="rating"]').selectOption('2');
    await form.getByLabel('Rating notes').fill('Paid late twice; watch the limit');
    await form.getByRole('button', { name: 'Save the rating' }).click();
    await expect.poll(() => page.getByTestId('rating-note').textContent()).toBe('Rated 2 stars by hand.');
    expect(await page.getByTestId('customer-rating').locator('[data-rating]').getAttribute('data-rating')).toBe('2');
    await expect.poll(() => page.getByTestId('stat-rating-notes').textContent()).toBe('Paid late twice; watch the limit');
    expect(await page.getByTestId('stat-rating-source').textContent()).toBe('set by hand');
    const rated = async () => (await queryRows<{ rating: number | null; rating_notes: string }>(bed.db.url, 'select rating, rating_notes from customers where id = $1', [id]))[0];
    expect(await rated()).toEqual({ rating: 2, rating_notes: 'Paid late twice; watch the limit' });
    // Notes too long: the server's words beside them, nothing changed.
    await form.locator('select[name="rating"]').selectOption('4');
    await form.getByLabel('Rating notes').fill('x'.repeat(1001));
    await form.getByRole('button', { name: 'Save the rating' }).click();
    await expect.poll(() => form.locator('[data-field="rating_notes"]').textContent()).toContain('rating_notes must be at most 1000 characters');
    expect(await rated()).toEqual({ rating: 2, rating_notes: 'Paid late twice; watch the limit' });
    expect(await page.getByTestId('customer-rating').locator('[data-rating]').getAttribute('data-rating')).toBe('2');
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '08-rating-refused');
    // Cleared (0): the computed or default rating applies again.
    await form.locator('select[name="rating"]').selectOption('0');
    await form.getByLabel('Rating notes').fill('');
    await form.getByRole('button', { name: 'Save the rating' }).click();
    await expect.poll(() => page.getByTestId('rating-note').textContent()).toMatch(/^Manual rating cleared: \d stars apply\.$/);
    expect(await rated()).toEqual({ rating: null, rating_notes: '' });
    const live = (await bed.admin.customers.getCustomer({ id })).customer;
    expect(live?.ratingSource).not.toBe('manual');
    expect(await page.getByTestId('customer-rating').locator('[data-rating]').getAttribute('data-rating')).toBe(String(live?.rating));
    await expect.poll(() => page.getByTestId('stat-rating-source').textContent()).not.toBe('set by hand');
  });

  it('deletes customers: refused in the server\'s words while orders are open; removed without history; kept as deleted with history', async () => {
    // Refused: the buyer's orders and instance are still going on (its balance settled first).
    await bed.admin.customers.updateCustomerBalance({ id: buyerId, balance: '0.00', description: 'settled before closing' });
    await page.goto(`${bed.server.url}/admin/customers/${buyerId}`);
    const del = page.getByTestId('delete-customer');
    await del.getByRole('button', { name: 'Delete customer' }).click();
    await del.getByTestId('delete-confirm').getByRole('button', { name: 'Delete', exact: true }).click();
    const [open] = await queryRows<{ orders: number }>(bed.db.url,
      "select count(*)::int as orders from orders where customer_id = $1 and status in ('pending', 'paid', 'provisioning', 'active', 'suspended')", [buyerId]);
    await expect.poll(() => del.getByTestId('delete-refused').textContent()).toContain(`the customer still has ${open?.orders} unfinished orders, 1 instance not terminated`);
    expect(await page.getByTestId('customer-deleted').count()).toBe(0);
    expect((await queryRows<{ deleted: boolean }>(bed.db.url, 'select deleted_at is not null as deleted from customers where id = $1', [buyerId]))[0]?.deleted).toBe(false);
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '09-delete-refused');

    // No history: removed, and the list says so.
    const spare = await bed.admin.customers.createCustomer({ name: 'Disposable Ltd', customerCode: 'DEL-0001', email: '', contactPerson: '', phone: '', company: '', notes: '' });
    await page.goto(`${bed.server.url}/admin/customers/${spare.customer?.id ?? ''}`);
    await del.getByRole('button', { name: 'Delete customer' }).click();
    await del.getByTestId('delete-confirm').getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(() => page.getByTestId('customer-removed').textContent()).toBe('Customer DEL-0001 (Disposable Ltd) was deleted. It had no history, so it was removed.');
    expect(await customerRow('DEL-0001')).toBeUndefined();
    expect(await listedCodes()).not.toContain('DEL-0001');

    // With history (a ledger): the balance brought to 0.00 on its page, then deleted — kept, shown deleted.
    const id = (await customerRow(CODE))?.id ?? '';
    await page.goto(`${bed.server.url}/admin/customers/${id}?tab=money`);
    const adjust = page.getByTestId('adjust-form');
    await adjust.getByLabel('Amount').fill('-50.00');
    await adjust.getByLabel('Description').fill('Closing the account');
    await adjust.getByRole('button', { name: 'Adjust' }).click();
    await expect.poll(() => page.getByTestId('customer-balance').textContent()).toBe('0.00');
    await del.getByRole('button', { name: 'Delete customer' }).click();
    // Cancel first: nothing happens.
    await del.getByTestId('delete-confirm').getByRole('button', { name: 'Cancel' }).click();
    expect(await customerRow(CODE)).toBeDefined();
    await del.getByRole('button', { name: 'Delete customer' }).click();
    await del.getByTestId('delete-confirm').getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(() => del.getByTestId('delete-kept').textContent()).toContain('it is kept, marked deleted');
    expect(await page.getByTestId('customer-deleted').textContent()).toContain('Deleted');
    expect(await del.getByRole('button', { name: 'Delete customer' }).count()).toBe(0);
    expect(await page.getByTestId('adjust-form').getByRole('button', { name: 'Adjust' }).isDisabled()).toBe(true);
    const [kept] = await queryRows<{ deleted: boolean; is_active: boolean }>(bed.db.url, 'select deleted_at is not null as deleted, is_active from customers where id = $1', [id]);
    expect(kept).toEqual({ deleted: true, is_active: false });
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '10-customer-deleted');

    // The list leaves it out, unless "include deleted" is ticked; then it shows it deleted.
    await page.getByRole('link', { name: 'Customers', exact: true }).click();
    const live = (await queryRows<{ customer_code: string }>(bed.db.url, 'select customer_code from customers where deleted_at is null')).map((row) => row.customer_code).sort();
    const every = (await queryRows<{ customer_code: string }>(bed.db.url, 'select customer_code from customers')).map((row) => row.customer_code).sort();
    await expect.poll(async () => (await listedCodes()).sort()).toEqual(live);
    expect(live).not.toContain(CODE);
    const filters = page.getByRole('form', { name: 'Filter' });
    await filters.getByLabel('Include deleted').check();
    await expect.poll(async () => (await listedCodes()).sort()).toEqual(every);
    expect(every).toContain(CODE);
    const row = page.getByTestId('customer-list').locator('tbody tr', { has: page.getByRole('link', { name: CODE }) });
    expect(await row.locator('.badge.red').textContent()).toBe('Deleted');
    expect(await page.getByTestId('customer-list').locator('tbody tr .badge.red').count()).toBe(every.length - live.length);
    await page.waitForTimeout(200);
    await screenshot(page, SHOTS, '11-list-include-deleted');
  });
});
