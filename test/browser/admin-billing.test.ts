/**
 * The admin console's billing screens in a real browser (issue 12): headless Chromium against a
 * real server. An admin makes a draft invoice through the form — a refused one first (total ≠
 * amount + tax: the server's message beside the total, nothing stored) — issues it (it gets its
 * number), credits the customer and records the payment from the balance (paid on the page and in
 * the database); makes a promotion code and a tax rule through their forms; runs the billing run of
 * a period and the service lifecycle and sees their reports; an operator gets no tax-rule changes.
 * Screenshots go to docs/screenshots/admin-billing/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { newId } from '../../src/lib/ids.ts';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { launchBrowser, newContext, screenshot } from '../support/browser.ts';
import { queryRows } from '../support/db.ts';
import { startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

let bed: MoneyBed;
let browser: Browser;

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
  await queryRows(bed.db.url, "insert into admin_users (id, username, email, display_name, password_hash, role) values ($1, 'billingoperator', '', 'Otto Operator', $2, 'operator')", [
    newId(), await hashPassword('Operator-Pass1', 4),
  ]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

async function signIn(username: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser);
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  page.on('pageerror', (error) => console.error('PAGE ERROR', error.message));
  page.on('console', (message) => { if (message.type() === 'error') console.error('CONSOLE', message.text()); });
  await page.goto(`${bed.server.url}/admin`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in').waitFor();
  return { context, page };
}

async function invoicesOf(customerId: string) {
  return queryRows<{ id: string; status: string; invoice_number: string | null; total_amount: string; paid_at: Date | null; source: string }>(
    bed.db.url, 'select id, status, invoice_number, total_amount::text, paid_at, source from invoices where customer_id = $1', [customerId],
  );
}

describe('the billing screens of the admin console', () => {
  it('makes a draft invoice by hand (a refused one first), issues it, and records its payment from the balance', async () => {
    const buyer = await bed.customer();
    const { context, page } = await signIn('admin', TEST_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Invoices' }).click();
    await page.getByTestId('invoices-table').waitFor();
    await page.getByRole('button', { name: 'New draft invoice' }).click();
    const form = page.getByTestId('invoice-form');
    await form.getByLabel('Customer: Find a customer').fill(buyer.username);
    await expect.poll(() => form.locator(`select[name="customer_id"] option[value="${buyer.customerId}"]`).count()).toBe(1);
    await form.locator('select[name="customer_id"]').selectOption(buyer.customerId);
    await form.getByLabel('Period start').fill('2026-01-01');
    await form.getByLabel('Period end').fill('2026-01-31');
    await form.getByLabel('Due date').fill('2026-02-15');
    await form.getByLabel('Description 1').fill('VPS-1C2G monthly');
    await form.getByLabel('Quantity 1').fill('2');
    await form.getByLabel('Unit price 1').fill('50.00');
    // The line's amount follows quantity × unit price.
    expect(await form.getByLabel('Amount 1').inputValue()).toBe('100.00');
    await form.getByLabel('Subtotal', { exact: true }).fill('100.00');
    await form.getByLabel('Tax', { exact: true }).fill('13.00');
    await form.getByLabel('Total', { exact: true }).fill('120.00');
    await form.getByRole('button', { name: 'Create draft' }).click();
    const totalProblem = form.locator('[data-field="total_amount"]');
    await totalProblem.waitFor();
    expect(await totalProblem.textContent()).toBe('total_amount 120.00 disagrees with amount + tax_amount = 100.00 + 13.00 = 113.00');
    expect(await invoicesOf(buyer.customerId)).toEqual([]);
    await screenshot(page, 'admin-billing', '01-invoice-refused');

    await form.getByRole('button', { name: 'Calculate subtotal and total' }).click();
    expect(await form.getByLabel('Total', { exact: true }).inputValue()).toBe('113.00');
    await form.getByRole('button', { name: 'Create draft' }).click();
    const detail = page.getByTestId('invoice-detail');
    await detail.waitFor();
    await expect.poll(() => detail.getByTestId('invoice-status').textContent()).toBe('Draft');
    expect(await detail.getByTestId('invoice-number').textContent()).toBe('(draft: no number yet)');
    expect(await detail.getByTestId('invoice-total').textContent()).toBe('113.00');
    expect(await detail.getByTestId('invoice-source').textContent()).toBe('By hand');
    expect(await detail.getByTestId('invoice-items').locator('tbody tr').allTextContents()).toEqual(['VPS-1C2G monthly250.00100.00']);
    const [draft] = await invoicesOf(buyer.customerId);
    expect(draft).toMatchObject({ status: 'draft', invoice_number: null, total_amount: '113.00', source: 'manual' });

    await detail.getByRole('button', { name: 'Issue' }).click();
    await expect.poll(() => detail.getByTestId('invoice-number').textContent()).toMatch(/^INV-\d{4}-\d{6}$/);
    const number = await detail.getByTestId('invoice-number').textContent();
    expect(await detail.getByTestId('invoice-status').textContent()).toBe('Issued');
    expect(await invoicesOf(buyer.customerId)).toMatchObject([{ status: 'issued', invoice_number: number }]);

    // Nothing to pay with: the server's refusal is shown and nothing changes.
    await detail.getByRole('button', { name: 'Record payment from balance' }).click();
    await expect.poll(() => detail.getByRole('alert').count()).toBeGreaterThan(0);
    expect(await detail.getByRole('alert').first().textContent()).toMatch(/\S/);
    expect(await detail.getByTestId('invoice-status').textContent()).toBe('Issued');
    expect(await invoicesOf(buyer.customerId)).toMatchObject([{ status: 'issued', paid_at: null }]);

    await bed.admin.balance.adjustBalance({ customerId: buyer.customerId, amount: '113.00', description: 'bank transfer' });
    await detail.getByRole('button', { name: 'Record payment from balance' }).click();
    await expect.poll(() => detail.getByTestId('invoice-status').textContent()).toBe('Paid');
    expect(await detail.getByRole('status').textContent()).toMatch(/^Paid from the balance \(payment [0-9a-f-]{36}\)\.$/);
    expect(await detail.getByTestId('invoice-paid-at').locator('time').count()).toBe(1);
    expect(await detail.getByRole('button', { name: 'Record payment from balance' }).count()).toBe(0);
    const [paid] = await invoicesOf(buyer.customerId);
    expect(paid?.status).toBe('paid');
    expect(paid?.paid_at).not.toBeNull();
    const [customer] = await queryRows<{ balance: string }>(bed.db.url, 'select balance::text from customers where id = $1', [buyer.customerId]);
    expect(customer?.balance).toBe('0.00');
    expect(await detail.getByTestId('invoice-pdf').getAttribute('href')).toBe(`/invoices/${paid?.id ?? ''}.pdf`);
    const pdf = await context.request.get(`${bed.server.url}/invoices/${paid?.id ?? ''}.pdf`);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    await screenshot(page, 'admin-billing', '02-invoice-detail');

    // The list, filtered by the server: paid invoices of this customer.
    await detail.getByRole('button', { name: '← All invoices' }).click();
    const table = page.getByTestId('invoices-table');
    await page.getByLabel('Status').selectOption('paid');
    await page.getByLabel('Customer: Find a customer').fill(buyer.username);
    await expect.poll(() => page.locator(`select[name="customer_filter"] option[value="${buyer.customerId}"]`).count()).toBe(1);
    await page.locator('select[name="customer_filter"]').selectOption(buyer.customerId);
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    await expect.poll(() => table.locator('tbody tr').first().textContent()).toContain(number ?? 'none');
    expect(await table.locator('tbody tr').first().textContent()).toContain('113.00');
    await page.getByLabel('Status').selectOption('draft');
    await expect.poll(() => table.locator('tbody tr').first().textContent()).toBe('Nothing here yet.');
    await page.getByLabel('Status').selectOption('');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);

    // The billing run of a period with no orders makes nothing, and says so.
    await page.getByRole('button', { name: 'Generate invoices' }).click();
    const generate = page.getByTestId('generate-form');
    await generate.getByLabel('Period start').fill('2025-01-01');
    await generate.getByLabel('Period end').fill('2025-01-31');
    await generate.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(() => generate.getByTestId('generated-count').textContent()).toBe('0 invoices generated for 2025-01-01 – 2025-01-31.');
    await generate.getByLabel('Period start').fill('2025-02-01');
    await generate.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(() => generate.locator('[data-field="billing_period_end"]').textContent()).toBe('billing_period_end (2025-01-31) must not be before billing_period_start (2025-02-01)');
    await screenshot(page, 'admin-billing', '03-invoices');
    await context.close();
  });

  it('creates a promotion code with every term (a refused value first) and lists it', async () => {
    const { context, page } = await signIn('admin', TEST_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Promotions' }).click();
    await page.getByTestId('promotions-table').waitFor();
    await page.getByRole('button', { name: 'New promotion code' }).click();
    const form = page.getByTestId('promotion-form');
    await form.getByLabel('Code').fill('spring-26');
    await form.getByLabel('Kind').selectOption('percent');
    await form.getByLabel('Value').fill('150');
    await form.getByLabel('Applies to').selectOption('every_period');
    await form.getByLabel('VPS Small').check();
    await form.getByLabel('Monthly').check();
    await form.getByLabel('Valid from').fill('2026-03-01T00:00');
    await form.getByLabel('Valid until (exclusive)').fill('2026-06-01T00:00');
    await form.getByLabel('Most uses in all (0: no limit)').fill('100');
    await form.getByLabel('Most uses per customer (0: no limit)').fill('1');
    await form.getByLabel('Description').fill('Spring sale');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => form.locator('[data-field="value"]').textContent()).toBe('value must be at most 100.00 for a percent promotion (got "150")');
    expect(await queryRows(bed.db.url, 'select id from promotion_codes')).toEqual([]);
    await form.getByLabel('Value').fill('10');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Promotion code SPRING-26 created.');
    const row = page.getByTestId('promotions-table').locator('tbody tr').filter({ hasText: 'SPRING-26' });
    await expect.poll(() => row.count()).toBe(1);
    const text = await row.textContent();
    for (const part of ['10.00 %', 'Percent off', 'Every period', '1 products · Monthly', '0 / 100 in all1 per customer', 'Yes', 'Spring sale']) expect(text).toContain(part);
    const [stored] = await queryRows<{ code: string; value: string; max_uses: number; valid_from: Date; product_ids: string[] }>(
      bed.db.url, 'select code, value::text, max_uses, valid_from, product_ids from promotion_codes',
    );
    expect(stored).toMatchObject({ code: 'SPRING-26', value: '10.00', max_uses: 100, product_ids: [bed.productId] });
    // Chosen in Asia/Shanghai (the context's zone): 2026-03-01 00:00 there is 2026-02-28 16:00 UTC.
    expect(stored?.valid_from.toISOString()).toBe('2026-02-28T16:00:00.000Z');
    // The prefix filter asks the server.
    await page.getByLabel('Code starts with').fill('NOPE');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByTestId('promotions-table').locator('tbody tr').first().textContent()).toBe('Nothing here yet.');
    await page.getByLabel('Code starts with').fill('spr');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByTestId('promotions-table').locator('tbody tr').first().textContent()).toContain('SPRING-26');
    await screenshot(page, 'admin-billing', '04-promotions');
    await context.close();
  });

  it('creates a tax rule as an admin and lists it; an operator sees the rules without the changes', async () => {
    const { context, page } = await signIn('admin', TEST_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Tax rules' }).click();
    await page.getByTestId('tax-rules-table').waitFor();
    await page.getByRole('button', { name: 'New tax rule' }).click();
    const form = page.getByTestId('tax-rule-form');
    await form.getByLabel('Country').fill('Germany');
    await form.getByLabel('Rate %').fill('19.00');
    await form.getByLabel('Name on invoices').fill('MwSt');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => form.locator('[data-field="country"]').textContent()).toBe('country must be a two-letter ISO 3166-1 country code such as "DE" (got "Germany")');
    expect(await queryRows(bed.db.url, 'select id from tax_rules')).toEqual([]);
    await form.getByLabel('Country').fill('de');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Tax rule MwSt created.');
    const row = page.getByTestId('tax-rules-table').locator('tbody tr').filter({ hasText: 'MwSt' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('DE(whole country)MwSt19.00 %');
    expect(await queryRows(bed.db.url, 'select country, rate::text, name from tax_rules')).toEqual([{ country: 'DE', rate: '19.00', name: 'MwSt' }]);
    await page.getByLabel('Country (two letters)').fill('FR');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByTestId('tax-rules-table').locator('tbody tr').first().textContent()).toBe('Nothing here yet.');
    await page.getByLabel('Country (two letters)').fill('DE');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByTestId('tax-rules-table').locator('tbody tr').first().textContent()).toContain('MwSt');
    await screenshot(page, 'admin-billing', '05-tax-rules');
    await context.close();

    const operator = await signIn('billingoperator', 'Operator-Pass1');
    await operator.page.getByRole('link', { name: 'Tax rules' }).click();
    await expect.poll(() => operator.page.getByTestId('tax-rules-table').locator('tbody tr').first().textContent()).toContain('MwSt');
    expect(await operator.page.getByTestId('tax-admins-only').count()).toBe(1);
    expect(await operator.page.getByRole('button', { name: 'New tax rule' }).count()).toBe(0);
    expect(await operator.page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await operator.page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await operator.page.getByRole('link', { name: 'Billing settings' }).click();
    await operator.page.getByTestId('billing-settings').waitFor();
    expect(await operator.page.getByRole('button', { name: 'Run the lifecycle now' }).count()).toBe(0);
    await operator.context.close();
  });

  it('shows the [billing] settings read-only and runs the lifecycle, showing its report', async () => {
    const { context, page } = await signIn('admin', TEST_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Billing settings' }).click();
    const settings = page.getByTestId('billing-settings');
    await settings.waitFor();
    const expected = await grpcClient(BillingService, bed.server.url, bearer(bed.adminToken)).getBillingSettings({});
    expect(await settings.locator('[data-key="due_days"]').textContent()).toBe(`${expected.dueDays} days`);
    expect(await settings.locator('[data-key="renewal_invoice_days_before"]').textContent()).toBe(`${expected.renewalInvoiceDaysBefore} days`);
    expect(await settings.locator('[data-key="reminder_days_after"]').textContent()).toBe(`${expected.reminderDaysAfter.join(', ')} days`);
    expect(await settings.locator('[data-key="terminate_after_days"]').textContent()).toBe(`${expected.terminateAfterDays} days past due`);
    expect(await settings.locator('[data-key="prices_include_tax"]').textContent()).toBe(expected.pricesIncludeTax ? 'Yes' : 'No');
    expect(await settings.locator('[data-key="lifecycle_interval_secs"]').textContent()).toBe(`${expected.lifecycleIntervalSecs} s`);
    expect(await settings.locator('input, select, textarea').count()).toBe(0);
    await page.getByRole('button', { name: 'Run the lifecycle now' }).click();
    const report = page.getByTestId('lifecycle-report');
    await report.waitFor();
    expect(await report.locator('[data-key="periodsStarted"] .value').textContent()).toMatch(/^\d+$/);
    expect(await report.locator('[data-key]').count()).toBe(7);
    expect(await report.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await screenshot(page, 'admin-billing', '06-billing-settings');
    await context.close();
  });
});
