/**
 * The admin console's Catalog screens in a real browser (issue 12), against a real server with the
 * shipped plugins and the local Incus provider: categories and groups, a product made through the
 * form with the spec editor of the provider's template (a refused price first: the server's words
 * beside the price field, nothing stored), batch deactivation and markup pricing on chosen rows,
 * a sync of the provider's products into the group, an import of a provider's items into the group
 * (ImportUpstreamProducts — the bed has no upstream provider, so the first-party Incus interface's,
 * which the server takes as well; a refused import first, nothing stored), and a product deleted from
 * its form (its order kept; a refusal — the product already gone — shown). Screenshots go to
 * docs/screenshots/admin-catalog/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { attributeValues, launchBrowser, newContext, screenshot, signInToConsole } from '../support/browser.ts';
import { queryRows } from '../support/db.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

let bed: MoneyBed;
let browser: Browser;

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

function signIn(page: Page): Promise<void> {
  return signInToConsole(page, bed.server.url, 'admin', TEST_ADMIN_PASSWORD);
}

function productRow(page: Page, name: string) {
  return page.getByTestId('product-table').getByRole('row').filter({ hasText: name });
}

interface ProductRow { name: string; is_active: boolean; price_per_month: string; cost_price: string; billing_cycles: Record<string, string>; specs: Record<string, string>; group_id: string | null }

async function productsNamed(name: string): Promise<ProductRow[]> {
  return queryRows<ProductRow>(bed.db.url, 'select name, is_active, price_per_month::text, cost_price::text, billing_cycles, specs, group_id::text from products where name = $1', [name]);
}

describe('the Catalog screens', () => {
  it('manage categories, groups and products through the UI: form with spec editor, batch actions, markup, sync', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await signIn(page);
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.getByRole('link', { name: 'Categories & groups' }).click();

    // A refused category: the server's words beside the name, nothing stored.
    const categoryForm = page.getByTestId('category-form');
    await categoryForm.getByRole('button', { name: 'Create category' }).click();
    await expect.poll(() => categoryForm.locator('[data-field="name"]').textContent()).toMatch(/^name .*required/);
    expect((await queryRows(bed.db.url, 'select id from product_categories')).length).toBe(0);

    // A category, then a group in it.
    await categoryForm.getByLabel(/^Name/).fill('Cloud servers');
    await categoryForm.getByLabel('Description').fill('KVM virtual servers');
    await categoryForm.getByLabel('Sort order').fill('1');
    await categoryForm.getByRole('button', { name: 'Create category' }).click();
    await page.getByTestId('category-Cloud servers').waitFor();
    const groupForm = page.getByTestId('group-form');
    await expect.poll(() => groupForm.getByRole('heading').textContent()).toBe('New group in Cloud servers');
    await groupForm.getByLabel(/^Name/).fill('Hong Kong');
    await groupForm.getByLabel('Description').fill('HK data centre');
    await groupForm.getByRole('button', { name: 'Create group' }).click();
    await page.getByTestId('group-Hong Kong').waitFor();
    await expect.poll(() => page.getByTestId('category-Cloud servers').locator('td').nth(3).textContent()).toBe('1');
    const [group] = await queryRows<{ id: string; category: string }>(bed.db.url,
      "select g.id, c.name as category from product_groups g join product_categories c on c.id = g.category_id where g.name = 'Hong Kong'");
    expect(group?.category).toBe('Cloud servers');
    // Edit the group's description.
    await page.getByTestId('group-Hong Kong').getByRole('button', { name: 'Edit' }).click();
    await groupForm.getByLabel('Description').fill('Hong Kong, Tseung Kwan O');
    await groupForm.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('group-Hong Kong').locator('td').nth(1).textContent()).toBe('Hong Kong, Tseung Kwan O');
    await screenshot(page, 'admin-catalog', '01-categories-groups');

    // A product of the Incus provider through the form; first with a price the server refuses.
    await page.getByRole('link', { name: 'Products', exact: true }).click();
    await page.getByRole('button', { name: 'New product' }).click();
    const form = page.getByTestId('product-form');
    await form.getByLabel(/^Name/).fill('VPS HK 2C4G');
    await form.getByLabel('Description').fill('2 vCPU, 4 GB, Hong Kong');
    await form.getByLabel('Provider').selectOption(bed.providerId);
    await form.getByLabel('Group').selectOption({ label: 'Cloud servers / Hong Kong' });
    await form.getByLabel('Price per month').fill('12.345');
    await form.getByLabel('Cost price').fill('10.00');
    await form.getByLabel('Quarterly price').fill('33.00');
    // The spec editor is the provider's template: compute sliders with their defaults, the OS select.
    const editor = page.getByTestId('spec-editor');
    await expect.poll(() => editor.getByLabel('vCPU (cores)', { exact: true }).inputValue()).toBe('2');
    expect(await editor.getByLabel('Disk (GB)', { exact: true }).getAttribute('step')).toBe('10');
    await editor.getByLabel('vCPU (cores)', { exact: true }).fill('4');
    await editor.getByLabel('Memory (GB)', { exact: true }).fill('8');
    const os = editor.getByLabel('Operating system');
    const osValues = (await attributeValues(os.locator('option'), 'value')).map((value) => value ?? '').filter((value) => value !== '');
    expect(osValues.length).toBeGreaterThan(0);
    await os.selectOption(osValues[osValues.length - 1] ?? '');
    await editor.getByRole('button', { name: 'Add a spec value' }).click();
    await editor.getByLabel('Key').fill('region');
    await editor.getByLabel('Value').fill('hk');
    await form.getByRole('button', { name: 'Create product' }).click();
    const priceError = form.locator('[data-field="price_per_month"]');
    await expect.poll(() => priceError.textContent()).toMatch(/^price_per_month must be a decimal amount with at most 2 decimal places/);
    expect(await productsNamed('VPS HK 2C4G')).toEqual([]);
    await form.getByLabel('Price per month').fill('12.00');
    await screenshot(page, 'admin-catalog', '02-product-form');
    await form.getByRole('button', { name: 'Create product' }).click();
    await productRow(page, 'VPS HK 2C4G').waitFor();
    const created = productRow(page, 'VPS HK 2C4G');
    expect(await created.getByTestId('price-monthly').textContent()).toBe('12.00');
    expect(await created.getByTestId('price-quarterly').textContent()).toBe('33.00');
    expect(await created.getByTestId('price-cost').textContent()).toBe('10.00');
    expect(await created.textContent()).toContain('Cloud servers / Hong Kong');
    expect(await created.textContent()).toContain('Local Incus');
    const [stored] = await productsNamed('VPS HK 2C4G');
    expect(stored).toMatchObject({ is_active: true, price_per_month: '12.00', cost_price: '10.00', group_id: group?.id });
    expect(stored?.billing_cycles).toEqual({ monthly: '12.00', quarterly: '33.00' });
    expect(stored?.specs).toEqual({ cpu_cores: '4', memory_gb: '8', disk_gb: '40', os: osValues[osValues.length - 1], region: 'hk' });
    await screenshot(page, 'admin-catalog', '03-product-list');

    // Editing it: the form holds what is stored (specs in the editor, the provider fixed); a yearly price is added.
    await created.getByRole('link', { name: 'VPS HK 2C4G' }).click();
    await expect.poll(() => form.getByRole('heading', { level: 2 }).textContent()).toBe('Edit product: VPS HK 2C4G');
    expect(await editor.getByLabel('vCPU (cores)', { exact: true }).inputValue()).toBe('4');
    expect(await form.getByLabel('Provider').isDisabled()).toBe(true);
    await form.getByLabel('Yearly price').fill('120.00');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => productRow(page, 'VPS HK 2C4G').getByTestId('price-yearly').textContent()).toBe('120.00');
    expect((await productsNamed('VPS HK 2C4G'))[0]?.billing_cycles).toEqual({ monthly: '12.00', quarterly: '33.00', yearly: '120.00' });

    // Deactivate it and the bed's product in one batch.
    await page.getByLabel('Select VPS HK 2C4G').check();
    await page.getByLabel('Select VPS Small').check();
    await expect.poll(() => page.getByTestId('batch-bar').textContent()).toContain('2 selected');
    await page.getByTestId('batch-bar').getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => page.getByTestId('batch-result').textContent()).toBe('Deactivated 2 products.');
    await expect.poll(() => productRow(page, 'VPS HK 2C4G').getByTestId('product-state').textContent()).toBe('Inactive');
    await expect.poll(() => productRow(page, 'VPS Small').getByTestId('product-state').textContent()).toBe('Inactive');
    const states = await queryRows<{ name: string; is_active: boolean }>(bed.db.url, "select name, is_active from products where name in ('VPS HK 2C4G', 'VPS Small') order by name");
    expect(states).toEqual([{ name: 'VPS HK 2C4G', is_active: false }, { name: 'VPS Small', is_active: false }]);
    // The state filter is the server's.
    await page.getByLabel('State').selectOption('true');
    await expect.poll(() => productRow(page, 'VPS HK 2C4G').count()).toBe(0);
    await page.getByLabel('State').selectOption('false');
    await productRow(page, 'VPS HK 2C4G').waitFor();
    await page.getByLabel('State').selectOption('');

    // A refused markup changes nothing; then 1.3 × cost, every cycle in proportion.
    const bar = page.getByTestId('batch-bar');
    await bar.getByLabel('Markup ratio').fill('-2');
    await bar.getByRole('button', { name: 'Apply markup' }).click();
    await expect.poll(() => page.getByTestId('batch-error').textContent()).toMatch(/^markup_ratio must be/);
    expect((await productsNamed('VPS HK 2C4G'))[0]?.price_per_month).toBe('12.00');
    await bar.getByLabel('Markup ratio').fill('1.3');
    await bar.getByRole('button', { name: 'Apply markup' }).click();
    await expect.poll(() => page.getByTestId('batch-result').textContent()).toBe('Repriced 2 products (price = cost × 1.3).');
    await expect.poll(() => productRow(page, 'VPS HK 2C4G').getByTestId('price-monthly').textContent()).toBe('13.00');
    // 33.00 × 13.00 / 12.00 = 35.75; the bed's 55.00 × 13.00 / 20.00 = 35.75.
    expect(await productRow(page, 'VPS HK 2C4G').getByTestId('price-quarterly').textContent()).toBe('35.75');
    expect(await productRow(page, 'VPS Small').getByTestId('price-monthly').textContent()).toBe('13.00');
    expect(await productRow(page, 'VPS Small').getByTestId('price-quarterly').textContent()).toBe('35.75');
    // 120.00 × 13.00 / 12.00 = 130.00
    expect(await productRow(page, 'VPS HK 2C4G').getByTestId('price-yearly').textContent()).toBe('130.00');
    expect((await productsNamed('VPS HK 2C4G'))[0]?.billing_cycles).toEqual({ monthly: '13.00', quarterly: '35.75', yearly: '130.00' });

    // Sync the provider's own products into the group: the working state while it runs, then the count.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    await page.route('**/rustbill.product.ProductService/SyncProducts', async (route) => { await held; await route.continue(); });
    const sync = page.getByTestId('sync-panel');
    await sync.getByLabel('Provider').selectOption(bed.providerId);
    await sync.getByLabel('Into group').selectOption({ label: 'Cloud servers / Hong Kong' });
    await sync.getByRole('button', { name: 'Sync' }).click();
    await expect.poll(() => page.getByTestId('sync-working').textContent()).toContain('Syncing from the provider');
    expect(await sync.getByRole('button', { name: 'Sync' }).isDisabled()).toBe(true);
    release();
    await expect.poll(() => page.getByTestId('sync-result').textContent(), { timeout: 20_000 }).toBe('Synced 3 products from Local Incus: Incus S, Incus M, Incus L');
    expect(await page.getByTestId('sync-working').count()).toBe(0);
    // The list now shows that group: the synced products and the one made by hand.
    for (const [name, monthly] of [['Incus S', '25.00'], ['Incus M', '60.00'], ['Incus L', '120.00']] as const) {
      await expect.poll(() => productRow(page, name).getByTestId('price-monthly').textContent()).toBe(monthly);
    }
    await expect.poll(() => page.getByTestId('product-table').locator('tbody tr').count()).toBe(4);
    expect(await productRow(page, 'VPS Small').count()).toBe(0);
    const inGroup = await queryRows<{ name: string }>(bed.db.url, 'select name from products where group_id = $1 order by name', [group?.id]);
    expect(inGroup.map((row) => row.name)).toEqual(['Incus L', 'Incus M', 'Incus S', 'VPS HK 2C4G']);
    await screenshot(page, 'admin-catalog', '04-synced-products');
    // The screen in Chinese.
    await page.getByLabel('Language').selectOption('zh');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('产品目录');
    expect(await page.getByTestId('sync-panel').getByRole('heading').textContent()).toBe('从供应商同步');
    await screenshot(page, 'admin-catalog', '05-product-list-zh');
    await page.getByLabel('语言').selectOption('en');
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('imports a provider\'s items into a group (inactive, at their cost price); a refused import stores nothing', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await signIn(page);
    await page.getByRole('link', { name: 'Catalog' }).click();
    await page.getByRole('button', { name: 'Import upstream products' }).click();
    const form = page.getByTestId('import-form');
    await form.getByLabel('Provider').selectOption(bed.providerId);
    expect(await form.getByLabel('Provider').locator('option:checked').textContent()).toBe('Local Incus (first-party)');
    await form.getByLabel('Into group').selectOption({ label: 'Cloud servers / Hong Kong' });
    const first = page.getByTestId('import-item-0');
    await first.getByLabel('Name').fill('VPS-2C4G');
    await first.getByLabel('Cost price').fill('30.00');
    await first.getByLabel('Upstream product id').fill('up-2c4g');
    await first.getByLabel('Description').fill('2 vCPU, 4 GB');
    await first.getByLabel(/^Other spec values/).fill('cpu=2\nmemory=4');
    await form.getByRole('button', { name: 'Add an item' }).click();
    const second = page.getByTestId('import-item-1');
    await second.getByLabel('Name').fill('VPS-4C8G');
    await second.getByLabel('Cost price').fill('55.005');
    await second.getByLabel('Upstream product id').fill('up-4c8g');
    // Refused by the server: the second item's cost has three decimals. Its words beside that field; nothing stored.
    const before = await queryRows<{ count: string }>(bed.db.url, 'select count(*)::text as count from products');
    await form.getByRole('button', { name: 'Import', exact: true }).click();
    const costError = second.locator('[data-field="items[1].cost_price"]');
    await expect.poll(() => costError.textContent()).toMatch(/^items\[1\]\.cost_price /);
    expect(await first.locator('.field-error').count()).toBe(0);
    expect(await queryRows<{ count: string }>(bed.db.url, 'select count(*)::text as count from products')).toEqual(before);
    expect(await productsNamed('VPS-2C4G')).toEqual([]);
    await screenshot(page, 'admin-catalog', '06-import-refused');
    // Accepted: both created inactive, priced at their cost, in the group; the list shows that group.
    await second.getByLabel('Cost price').fill('55.00');
    await form.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.getByTestId('list-notice').textContent().catch(() => ''))
      .toBe('Imported 2 products from Local Incus into Cloud servers / Hong Kong (new ones inactive, priced at cost).');
    for (const [name, cost] of [['VPS-2C4G', '30.00'], ['VPS-4C8G', '55.00']] as const) {
      const row = productRow(page, name);
      await expect.poll(() => row.getByTestId('price-monthly').textContent()).toBe(cost);
      expect(await row.getByTestId('price-cost').textContent()).toBe(cost);
      expect(await row.getByTestId('product-state').textContent()).toBe('Inactive');
      expect(await row.textContent()).toContain('Cloud servers / Hong Kong');
    }
    expect(await page.getByRole('row').filter({ hasText: 'VPS Small' }).count()).toBe(0);
    const [group] = await queryRows<{ id: string }>(bed.db.url, "select id from product_groups where name = 'Hong Kong'");
    const [imported] = await productsNamed('VPS-2C4G');
    expect(imported).toMatchObject({ is_active: false, price_per_month: '30.00', cost_price: '30.00', group_id: group?.id });
    expect(imported?.billing_cycles).toEqual({ monthly: '30.00' });
    expect(imported?.specs).toEqual({ cpu: '2', memory: '4', upstream_product_id: 'up-2c4g' });
    expect((await productsNamed('VPS-4C8G'))[0]).toMatchObject({ is_active: false, price_per_month: '55.00', cost_price: '55.00' });
    expect((await queryRows<{ external_id: string }>(bed.db.url, "select external_id from products where name like 'VPS-%' order by name")).map((row) => row.external_id)).toEqual(['up-2c4g', 'up-4c8g']);
    await screenshot(page, 'admin-catalog', '07-imported-products');
    // The import screen in Chinese.
    await page.getByLabel('Language').selectOption('zh');
    await page.getByRole('button', { name: '导入上游产品' }).click();
    await expect.poll(() => page.getByTestId('import-form').getByRole('heading').textContent()).toBe('导入上游产品');
    await screenshot(page, 'admin-catalog', '08-import-zh');
    await page.getByLabel('语言').selectOption('en');
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('deletes a product from its form after a confirmation, keeping its order; a refusal shows the server\'s words', async () => {
    const { product } = await bed.admin.products.createProduct({ name: 'Doomed VPS', description: '', pricePerMonth: '9.00', billingCycles: {}, interfaceId: bed.providerId, costPrice: '5.00' });
    const doomedId = product?.id ?? '';
    const buyer = await bed.customer('100.00');
    const ordered = await buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: doomedId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
    });
    const orderId = ordered.order?.id ?? '';
    expect(orderId).not.toBe('');
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${bed.server.url}/admin/catalog/products/${doomedId}`);
    const form = page.getByTestId('product-form');
    await expect.poll(() => form.getByRole('heading', { level: 2 }).textContent()).toBe('Edit product: Doomed VPS');
    // The first click asks; Cancel leaves it.
    await form.getByRole('button', { name: 'Delete product' }).click();
    await form.getByRole('button', { name: 'Cancel' }).click();
    expect(await productsNamed('Doomed VPS')).toHaveLength(1);
    await form.getByRole('button', { name: 'Delete product' }).click();
    await screenshot(page, 'admin-catalog', '09-delete-confirm');
    await form.getByRole('button', { name: 'Really delete?' }).click();
    await expect.poll(() => page.getByTestId('list-notice').textContent().catch(() => '')).toBe('Deleted “Doomed VPS”.');
    await page.getByTestId('product-table').waitFor();
    expect(await productRow(page, 'Doomed VPS').count()).toBe(0);
    expect(await productsNamed('Doomed VPS')).toEqual([]);
    // Its order stays, unlinked, with the product's name.
    const orders = await queryRows<{ product_id: string | null; product_name: string }>(bed.db.url, 'select product_id::text, product_name from orders where id = $1', [orderId]);
    expect(orders).toEqual([{ product_id: null, product_name: 'Doomed VPS' }]);

    // Refused: the product was deleted meanwhile (by another admin). The server's words; the form stays.
    const [victim] = await queryRows<{ id: string }>(bed.db.url, "select id::text from products where name = 'VPS-4C8G'");
    await page.goto(`${bed.server.url}/admin/catalog/products/${victim?.id ?? ''}`);
    await expect.poll(() => form.getByRole('heading', { level: 2 }).textContent()).toBe('Edit product: VPS-4C8G');
    await bed.admin.products.deleteProduct({ id: victim?.id ?? '' });
    await form.getByRole('button', { name: 'Delete product' }).click();
    await form.getByRole('button', { name: 'Really delete?' }).click();
    await expect.poll(() => form.getByRole('alert').first().textContent()).toBe(`product ${victim?.id ?? ''} does not exist`);
    expect(await form.getByRole('heading', { level: 2 }).textContent()).toBe('Edit product: VPS-4C8G');
    expect(await page.getByTestId('list-notice').count()).toBe(0);
    await screenshot(page, 'admin-catalog', '10-delete-refused');
    await context.close();
  });
});
