/**
 * The admin console's Plugins screen in a real browser (issue 12), against a cluster with the
 * shipped plugins, an Incus provider and an EPay gateway interface (money fixture) and a local
 * webhook receiver. Through the UI an admin sees the definitions (with their scripts' functions) and
 * the interfaces (type filter), creates the first webhook notifier with the form generated from the
 * definition's own config_schema (refusals shown beside their field, nothing created), enables it, checks its health, edits it leaving the secret empty
 * (kept) and changes its script; sees the EPay key masked; opens the bank-transfer plugin's admin
 * page in a sandboxed iframe; deletes an interface. An operator sees no script. Screenshots go to
 * docs/screenshots/admin-plugins/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { newId } from '../../src/lib/ids.ts';
import { launchBrowser, newContext, screenshot, signInToConsole } from '../support/browser.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/counterparts/webhook-receiver.ts';
import { queryRows } from '../support/db.ts';
import { startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

const SHOTS = 'admin-plugins';
const SECRET = 'hook-secret-41d7';

let bed: MoneyBed;
let browser: Browser;
let receiver: WebhookReceiver;
let context: BrowserContext;
let page: Page;
/** The webhook interface created through the UI. */
let webhookId = '';

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  receiver = await startWebhookReceiver(SECRET);
  browser = await launchBrowser();
  await queryRows(bed.db.url, "insert into admin_users (id, username, email, display_name, password_hash, role) values ($1, 'pluginoperator', '', 'Otto Operator', $2, 'operator')", [
    newId(), await hashPassword('Operator-Pass1', 4),
  ]);
  context = await newContext(browser);
  page = await context.newPage();
  await signIn(page, 'admin', TEST_ADMIN_PASSWORD);
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await receiver?.close();
  await bed?.stop();
});

function signIn(target: Page, username: string, password: string): Promise<void> {
  return signInToConsole(target, bed.server.url, username, password);
}

async function openPlugins(target: Page): Promise<void> {
  await target.getByRole('link', { name: 'Plugins', exact: true }).click();
  await target.getByTestId('plugin-interfaces').locator('tbody tr').first().waitFor();
}

/** The interface as the server has it (the admin token sees secrets). */
async function stored(id: string) {
  const answer = await bed.admin.integration.getPluginInterface({ interfaceId: id });
  if (!answer.interface) throw new Error(`no interface ${id}`);
  return { ...answer.interface, config: JSON.parse(answer.interface.configJson) as Record<string, unknown> };
}

async function webhookInterfaces() {
  return (await bed.admin.integration.listPluginInterfaces({ pluginType: 'notifier' })).interfaces.filter((row) => row.pluginId === 'webhook');
}

describe('the Plugins screen', () => {
  it('lists the plugin definitions and the interfaces, filtered by type on the server', async () => {
    await openPlugins(page);
    const plugins = (await bed.admin.integration.listPlugins({})).plugins;
    const definitions = page.getByTestId('plugin-definitions');
    await expect.poll(() => definitions.locator('tbody tr').count()).toBe(plugins.length);
    const webhook = plugins.find((plugin) => plugin.pluginId === 'webhook');
    expect(webhook).toBeDefined();
    const webhookRow = definitions.locator('tr[data-plugin="webhook"]');
    expect(await webhookRow.textContent()).toContain(webhook?.version ?? 'missing');
    expect(await webhookRow.textContent()).toContain('Notifier');
    expect(await definitions.locator('tr[data-plugin="banktransfer"]').textContent()).toContain('yes');
    // Each definition's functions, as the server lists them.
    const shownFunctions = await webhookRow.getByTestId('plugin-functions').locator('code').allTextContents();
    expect(shownFunctions).toEqual((webhook?.functions ?? '').split(','));
    expect(shownFunctions).toEqual(expect.arrayContaining(['config_schema', 'health_check', 'send']));
    const incus = plugins.find((plugin) => plugin.pluginId === 'incus');
    expect(await definitions.locator('tr[data-plugin="incus"]').getByTestId('plugin-functions').locator('code').allTextContents()).toEqual((incus?.functions ?? 'missing').split(','));
    const interfaces = page.getByTestId('plugin-interfaces');
    await expect.poll(() => interfaces.locator('tbody tr').count()).toBe(2);
    expect(await interfaces.locator('tr[data-name="Local EPay"]').textContent()).toContain('Enabled');
    await screenshot(page, SHOTS, '01-definitions-and-interfaces');
    await page.locator('select[name="plugin_type"]').selectOption('gateway');
    await expect.poll(() => interfaces.locator('tbody tr').count()).toBe(1);
    expect(await interfaces.locator('tbody tr').first().getAttribute('data-name')).toBe('Local EPay');
    await screenshot(page, SHOTS, '02-interfaces-gateways');
    await page.locator('select[name="plugin_type"]').selectOption('');
    await expect.poll(() => interfaces.locator('tbody tr').count()).toBe(2);
  });

  it('creates the first webhook notifier with the form generated from the definition\'s config_schema; a refused create shows the server\'s words beside the field and creates nothing', async () => {
    expect(await webhookInterfaces()).toEqual([]);
    const before = (await bed.admin.integration.listPluginInterfaces({})).interfaces.length;
    await openPlugins(page);
    await page.getByTestId('plugin-definitions').locator('tr[data-plugin="webhook"]').getByRole('link', { name: 'New interface' }).click();
    // No webhook interface exists: the whole form comes from the definition's schema at once.
    await page.locator('input[name="config.url"]').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('New notifier/webhook interface');
    // The generated inputs: url (required, text), secret (password), supported_events (list).
    expect(await page.locator('input[name="config.secret"]').getAttribute('type')).toBe('password');
    expect(await page.locator('textarea[name="config.supported_events"]').count()).toBe(1);
    expect(await page.getByTestId('config-fields').textContent()).toContain('url *');
    // Refused: a secret but no url. Nothing is created.
    await page.locator('input[name="display_name"]').fill('Ops webhook');
    await page.locator('input[name="config.secret"]').fill(SECRET);
    await page.getByRole('button', { name: 'Create' }).click();
    const urlError = page.locator('.field-error[data-field="config.url"]');
    await urlError.waitFor();
    expect(await urlError.textContent()).toContain('config field "url" is required');
    expect(await webhookInterfaces()).toEqual([]);
    expect((await bed.admin.integration.listPluginInterfaces({})).interfaces.length).toBe(before);
    expect(await page.getByTestId('interface-form').count()).toBe(1);
    await screenshot(page, SHOTS, '03-config-form-refused');
    // Accepted: created at once with its configuration, disabled.
    await page.locator('input[name="config.url"]').fill(receiver.url);
    await page.locator('textarea[name="config.supported_events"]').fill('order.paid\ninvoice.created');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('interface-detail').waitFor();
    expect(await page.getByTestId('notice').textContent()).toBe('Created (disabled: enable it when the configuration is complete).');
    const created = await webhookInterfaces();
    expect(created.map((row) => row.displayName)).toEqual(['Ops webhook']);
    webhookId = created[0]?.id ?? '';
    expect(await page.getByTestId('interface-detail').getAttribute('data-interface')).toBe(webhookId);
    const saved = await stored(webhookId);
    expect(saved.config).toEqual({ url: receiver.url, secret: SECRET, supported_events: ['order.paid', 'invoice.created'] });
    expect(saved.enabled).toBe(false);
    expect((await bed.admin.integration.listPluginInterfaces({})).interfaces.length).toBe(before + 1);
    // Shown masked, never the secret itself.
    expect(await page.getByTestId('config-secret').textContent()).toBe('••••••••');
    expect(await page.getByTestId('interface-detail').textContent()).not.toContain(SECRET);

    // The list shows the one interface created, no row of the refused attempt.
    await openPlugins(page);
    await expect.poll(() => page.getByTestId('plugin-interfaces').locator('tbody tr').count()).toBe(before + 1);
    expect(await page.getByTestId('plugin-interfaces').locator('tr[data-name="Ops webhook"]').count()).toBe(1);
    // A second webhook interface: a refused one creates nothing.
    await page.getByTestId('plugin-definitions').locator('tr[data-plugin="webhook"]').getByRole('link', { name: 'New interface' }).click();
    await page.locator('input[name="config.url"]').waitFor();
    await page.locator('input[name="display_name"]').fill('Backup webhook');
    await page.locator('input[name="config.secret"]').fill('other-secret');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('.field-error[data-field="config.url"]').waitFor();
    expect(await page.locator('.field-error[data-field="config.url"]').textContent()).toContain('config field "url" is required');
    expect((await webhookInterfaces()).length).toBe(1);
    // The same display name as the first: refused beside the name, nothing created.
    await page.locator('input[name="display_name"]').fill('Ops webhook');
    await page.locator('input[name="config.url"]').fill(receiver.url);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('.field-error[data-field="display_name"]').waitFor();
    expect(await page.locator('.field-error[data-field="display_name"]').textContent()).toContain('already has an interface named "Ops webhook"');
    expect((await webhookInterfaces()).length).toBe(1);
    await screenshot(page, SHOTS, '04-create-form-refused');
  });

  it('enables the interface and checks its health, showing the result', async () => {
    await page.goto(`${bed.server.url}/admin/plugins/interfaces/${webhookId}`);
    await page.getByTestId('interface-detail').waitFor();
    expect(await page.getByTestId('detail-health').textContent()).toBe('Not checked');
    await page.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => page.getByTestId('notice').textContent().catch(() => '')).toBe('"Ops webhook" is enabled.');
    await expect.poll(() => page.getByTestId('detail-enabled').textContent()).toBe('Enabled');
    expect((await stored(webhookId)).enabled).toBe(true);
    await page.getByRole('button', { name: 'Check health' }).click();
    const result = page.getByTestId('health-result');
    await result.waitFor();
    expect(await result.getAttribute('data-healthy')).toBe('true');
    expect(await result.textContent()).toContain('Healthy');
    const checked = await stored(webhookId);
    expect(checked.isHealthy).toBe(true);
    expect(checked.lastCheckAt).toBeTruthy();
    await expect.poll(() => page.getByTestId('detail-health').textContent()).toBe('Healthy');
    expect(await page.getByTestId('detail-last-check').locator('time').getAttribute('datetime')).toBe(checked.lastCheckAt);
    await screenshot(page, SHOTS, '05-health-result');
    // The list shows the same.
    await openPlugins(page);
    const row = page.getByTestId('plugin-interfaces').locator(`tr[data-interface="${webhookId}"]`);
    expect(await row.locator('[data-health]').getAttribute('data-health')).toBe('healthy');
    expect(await row.locator('time').getAttribute('datetime')).toBe(checked.lastCheckAt);
  });

  it('edits the interface leaving the secret empty: the secret is kept; a changed script is stored', async () => {
    await page.goto(`${bed.server.url}/admin/plugins/interfaces/${webhookId}/edit`);
    const secret = page.locator('input[name="config.secret"]');
    await secret.waitFor();
    expect(await secret.inputValue()).toBe('');
    expect(await secret.getAttribute('placeholder')).toBe('Leave empty to keep the stored value');
    expect(await page.getByTestId('secret-state-secret').textContent()).toContain('set');
    expect(await page.locator('input[name="config.url"]').inputValue()).toBe(receiver.url);
    await page.locator('input[name="display_name"]').fill('Ops webhook (main)');
    await page.locator('textarea[name="config.supported_events"]').fill('order.paid');
    // The script, for admins: a new version.
    const script = page.locator('textarea[name="script_source"]');
    const source = await script.inputValue();
    expect(source).toContain("return '1.0.0';");
    await script.fill(source.replace("return '1.0.0';", "return '1.0.1';"));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('interface-detail').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Ops webhook (main)');
    const after = await stored(webhookId);
    expect(after.config).toEqual({ url: receiver.url, secret: SECRET, supported_events: ['order.paid'] });
    expect(after.displayName).toBe('Ops webhook (main)');
    expect(after.pluginVersion).toBe('1.0.1');
    expect(after.scriptSource).toContain("return '1.0.1';");
    expect(await page.getByTestId('script-source').textContent()).toContain("return '1.0.1';");
  });

  it('shows the EPay gateway\'s config with its key masked', async () => {
    const epay = await stored(bed.gatewayId);
    const key = String(epay.config.key);
    expect(key.length).toBeGreaterThan(0);
    await page.goto(`${bed.server.url}/admin/plugins/interfaces/${bed.gatewayId}`);
    await page.getByTestId('config-view').waitFor();
    expect(await page.getByTestId('config-key').textContent()).toBe('••••••••');
    expect(await page.getByTestId('config-pid').textContent()).toBe(String(epay.config.pid));
    expect(await page.locator('body').textContent()).not.toContain(key);
    await screenshot(page, SHOTS, '06-epay-config-masked');
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.locator('input[name="config.key"]').waitFor();
    expect(await page.locator('input[name="config.key"]').inputValue()).toBe('');
    expect(await page.locator('select[name="config.pay_type"]').count()).toBe(1);
  });

  it('opens the bank-transfer plugin\'s admin page in a sandboxed iframe without allow-same-origin, and deletes the interface', async () => {
    const plugin = (await bed.admin.integration.listPlugins({ pluginType: 'gateway' })).plugins.find((entry) => entry.pluginId === 'banktransfer');
    expect(plugin?.hasAdminPage).toBe(true);
    const created = await bed.admin.integration.createPluginInterface({
      pluginDefId: plugin?.id ?? '', displayName: 'Bank transfer', configJson: JSON.stringify({ bank_name: 'Test Bank', account_name: 'NodeBill Ltd', account_number: '6222 0000 1111', confirm_secret: 'confirm-secret-1' }),
    });
    const id = created.interface?.id ?? '';
    await page.goto(`${bed.server.url}/admin/plugins/interfaces/${id}`);
    await page.getByRole('link', { name: 'Open admin page' }).click();
    const frame = page.getByTestId('plugin-admin-page');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).toBe('allow-scripts');
    expect(await frame.getAttribute('sandbox')).not.toContain('allow-same-origin');
    await expect.poll(() => page.frameLocator('iframe[data-testid="plugin-admin-page"]').locator('body').textContent()).toContain('Test Bank / NodeBill Ltd / 6222 0000 1111');
    // An opaque origin: the page cannot read the console.
    const origin = await page.frames().find((candidate) => candidate !== page.mainFrame())?.evaluate('window.origin');
    expect(origin).toBe('null');
    await screenshot(page, SHOTS, '07-admin-page');

    await page.getByRole('link', { name: 'Back to plugins' }).click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('plugin-interfaces').waitFor();
    expect(await page.getByTestId('notice').textContent()).toBe('Deleted "Bank transfer".');
    await expect.poll(() => page.getByTestId('plugin-interfaces').locator(`tr[data-interface="${id}"]`).count()).toBe(0);
    await expect(bed.admin.integration.getPluginInterface({ interfaceId: id })).rejects.toThrow(/does not exist/);
  });

  it('shows an operator no script and no secrets', async () => {
    const operatorContext = await newContext(browser);
    const operator = await operatorContext.newPage();
    await signIn(operator, 'pluginoperator', 'Operator-Pass1');
    await operator.goto(`${bed.server.url}/admin/plugins/interfaces/${webhookId}`);
    await operator.getByTestId('config-view').waitFor();
    expect(await operator.getByTestId('script-source').count()).toBe(0);
    expect(await operator.getByTestId('config-secret').textContent()).toBe('hidden');
    await operator.getByRole('link', { name: 'Edit' }).click();
    await operator.locator('input[name="config.url"]').waitFor();
    expect(await operator.locator('textarea[name="script_source"]').count()).toBe(0);
    expect(await operator.locator('body').textContent()).toContain('Only administrators may see and change plugin scripts.');
    // Saving the form as an operator keeps the secret the operator never saw.
    await operator.locator('textarea[name="config.supported_events"]').fill('order.paid\nticket.replied');
    await operator.getByRole('button', { name: 'Save' }).click();
    await operator.getByTestId('interface-detail').waitFor();
    expect((await stored(webhookId)).config).toEqual({ url: receiver.url, secret: SECRET, supported_events: ['order.paid', 'ticket.replied'] });
    await operatorContext.close();
  });
});
