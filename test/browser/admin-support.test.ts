/**
 * The admin console's support screens in a real browser (issue 12): a customer opens a ticket
 * through the API; the admin finds it in the queue, assigns it to themself, is refused a status
 * jump (the server's words, nothing changed), moves it along, replies publicly and adds an
 * internal note — the customer's GetTicket shows the reply but never the note; the audit log
 * (IntegrationService/ListOperationLogs) shows the ticket's actions, filtered by target; the users
 * screen lists the admin, and an operator sees no reset/delete actions. Screenshots go to
 * docs/screenshots/admin-support/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { TicketService } from '../../src/gen/rustbill/ticket_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { launchBrowser, newContext, screenshot, signInToConsole } from '../support/browser.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { queryRows } from '../support/db.ts';
import { startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

const FOLDER = 'admin-support';

let bed: MoneyBed;
let browser: Browser;
let adminId: string;

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  browser = await launchBrowser();
  await queryRows(bed.db.url, "insert into admin_users (id, username, email, display_name, password_hash, role) values ($1, 'supportoperator', 'ops@example.com', 'Sam Support', $2, 'operator')", [
    newId(), await hashPassword('Operator-Pass1', 4),
  ]);
  const [admin] = await queryRows<{ id: string }>(bed.db.url, "select id from admin_users where username = 'admin'");
  adminId = admin?.id ?? '';
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bed?.stop();
});

function signIn(page: Page, username: string, password: string): Promise<void> {
  return signInToConsole(page, bed.server.url, username, password);
}

describe('the support screens of the admin console', () => {
  it('handles a customer\'s ticket: queue, assignment, a refused jump, public reply and internal note; the audit log shows it', async () => {
    const customer = await bed.customer();
    const asCustomer = grpcClient(TicketService, bed.server.url, bearer(customer.accessToken));
    const asAdmin = grpcClient(TicketService, bed.server.url, bearer(bed.adminToken));
    const title = `Cannot reach my VPS ${newId().slice(-6)}`;
    const opened = (await asCustomer.createTicket({ title, description: 'SSH times out since this morning.', priority: 'high' })).ticket;
    const ticketId = opened?.id ?? '';
    expect(ticketId).not.toBe('');

    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, 'admin', TEST_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Tickets' }).click();
    await page.getByTestId('ticket-queue').waitFor();
    // Filtered on the server: pending + high shows the ticket; urgent does not.
    const queue = page.getByTestId('ticket-queue');
    await page.locator('select[name="priority"]').selectOption('urgent');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => queue.getByText(title).count()).toBe(0);
    await page.locator('select[name="status"]').selectOption('pending');
    await page.locator('select[name="priority"]').selectOption('high');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => queue.getByRole('link', { name: title }).count()).toBe(1);
    expect(await queue.locator('tr', { hasText: title }).getByTestId('ticket-status').textContent()).toBe('Pending');
    await screenshot(page, FOLDER, '01-ticket-queue');

    await queue.getByRole('link', { name: title }).click();
    await expect.poll(() => page.getByTestId('ticket-title').textContent()).toBe(title);
    await page.getByRole('button', { name: 'Assign to me' }).click();
    await expect.poll(() => page.getByTestId('ticket-assignee').textContent()).toContain('admin');
    expect((await asAdmin.getTicket({ id: ticketId })).ticket?.assigneeUserId).toBe(adminId);

    // A jump the status machine does not allow: the server's words under the field, nothing changed.
    await page.locator('select[name="status"]').selectOption('closed');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.locator('[data-field="status"]').textContent()).toContain('a ticket cannot go from "pending" to "closed"');
    expect(await page.getByTestId('ticket-status').textContent()).toBe('Pending');
    expect((await asAdmin.getTicket({ id: ticketId })).ticket?.status).toBe('pending');

    await page.locator('select[name="status"]').selectOption('processing');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.getByTestId('ticket-status').textContent()).toBe('Processing');
    expect((await asAdmin.getTicket({ id: ticketId })).ticket?.status).toBe('processing');

    const publicText = 'We restarted the network of your VPS; please try again.';
    const noteText = 'Host node 3 had a flapping uplink — watch it.';
    await page.getByRole('textbox', { name: 'Your reply' }).fill(publicText);
    await page.getByRole('button', { name: 'Reply to the customer' }).click();
    await expect.poll(() => page.getByTestId('reply-public').count()).toBe(1);
    await page.getByRole('textbox', { name: 'Your reply' }).fill(noteText);
    await page.getByRole('button', { name: 'Add internal note' }).click();
    await expect.poll(() => page.getByTestId('reply-internal').count()).toBe(1);
    expect(await page.getByTestId('reply-public').textContent()).toContain(publicText);
    const note = page.getByTestId('reply-internal');
    expect(await note.textContent()).toContain(noteText);
    expect(await note.textContent()).toContain('Internal note — not shown to the customer');
    expect(await page.getByRole('textbox', { name: 'Your reply' }).inputValue()).toBe('');
    await screenshot(page, FOLDER, '02-ticket-page');

    // The customer sees the public reply, never the note; the admin sees both, the note marked.
    const seen = (await asCustomer.getTicket({ id: ticketId })).ticket;
    expect(seen?.replies.map((reply) => reply.content)).toEqual([publicText]);
    expect(seen?.replies.every((reply) => !reply.isInternal)).toBe(true);
    const all = (await asAdmin.getTicket({ id: ticketId })).ticket;
    expect(all?.replies.map((reply) => [reply.content, reply.isInternal])).toEqual([[publicText, false], [noteText, true]]);

    // The audit log, filtered by target type and id: the four admin actions, newest first.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit-list').waitFor();
    await page.locator('input[name="targetType"]').fill('ticket');
    await page.locator('input[name="targetId"]').fill(ticketId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const actions = () => page.getByTestId('audit-action').allTextContents();
    await expect.poll(actions).toEqual(['ticket.reply', 'ticket.reply', 'ticket.update', 'ticket.update']);
    expect(await page.getByTestId('audit-target-type').allTextContents()).toEqual(['ticket', 'ticket', 'ticket', 'ticket']);
    const [newest] = await queryRows<{ details: { isInternal: boolean } }>(bed.db.url, 'select details from operation_logs where target_id = $1 order by created_at desc, id desc limit 1', [ticketId]);
    expect(newest?.details.isInternal).toBe(true);
    await page.getByTestId('audit-details').first().locator('summary').click();
    expect(await page.getByTestId('audit-details').first().locator('pre').textContent()).toContain('"isInternal": true');
    await screenshot(page, FOLDER, '04-audit-log');
    // A filter the server refuses: its words, above the table.
    await page.locator('input[name="from"]').fill('2026-03-02T10:00');
    await page.locator('input[name="to"]').fill('2026-03-01T10:00');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.getByTestId('audit-list').getByRole('alert').textContent()).toContain('to must be after from');
    await context.close();
  });

  it('lists admins and operators; only an admin sees password reset and delete', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, 'admin', TEST_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Users' }).click();
    const list = page.getByTestId('user-list');
    await expect.poll(() => list.getByTestId('user-name').allTextContents()).toEqual(expect.arrayContaining(['admin', 'supportoperator']));
    const [count] = await queryRows<{ n: string }>(bed.db.url, 'select count(*)::text as n from admin_users');
    expect(await list.getByTestId('user-name').count()).toBe(Number(count?.n));
    const adminRow = page.getByTestId('user-actions-admin');
    expect(await adminRow.getByRole('button', { name: 'Reset password' }).count()).toBe(1);
    expect(await adminRow.getByRole('button', { name: 'Delete' }).count()).toBe(1);
    // Editing the operator's display name goes to the server.
    await page.getByTestId('user-actions-supportoperator').getByRole('button', { name: 'Edit' }).click();
    await page.locator('input[name="displayName"]').fill('Samantha Support');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Samantha Support saved.');
    const [operator] = await queryRows<{ display_name: string }>(bed.db.url, "select display_name from admin_users where username = 'supportoperator'");
    expect(operator?.display_name).toBe('Samantha Support');
    // A new operator through the form: a refused one first (the server's words beside the field), then created.
    await page.getByRole('button', { name: 'New admin or operator' }).click();
    const form = page.getByRole('form', { name: 'New admin or operator' });
    await form.locator('input[name="username"]').fill('newoperator');
    await form.locator('input[name="displayName"]').fill('Nina New');
    await form.locator('input[name="password"]').fill('short');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => form.locator('[data-field="password"]').textContent()).toMatch(/^password must be at least 8 characters/);
    const [none] = await queryRows<{ n: string }>(bed.db.url, "select count(*)::text as n from admin_users where username = 'newoperator'");
    expect(none?.n).toBe('0');
    await form.locator('input[name="password"]').fill('Operator-Pass2');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Nina New was created.');
    const [made] = await queryRows<{ role: string; is_active: boolean }>(bed.db.url, "select role, is_active from admin_users where username = 'newoperator'");
    expect(made).toEqual({ role: 'operator', is_active: true });
    await expect.poll(() => list.getByTestId('user-name').allTextContents()).toContain('newoperator');
    await screenshot(page, FOLDER, '03-users');
    await context.close();

    const operatorContext = await newContext(browser);
    const operatorPage = await operatorContext.newPage();
    await signIn(operatorPage, 'supportoperator', 'Operator-Pass1');
    await operatorPage.getByRole('link', { name: 'Users' }).click();
    await expect.poll(() => operatorPage.getByTestId('user-name').allTextContents()).toEqual(expect.arrayContaining(['admin', 'supportoperator']));
    expect(await operatorPage.getByTestId('user-actions-admin').getByRole('button', { name: 'Edit' }).count()).toBe(1);
    expect(await operatorPage.getByRole('button', { name: 'Reset password' }).count()).toBe(0);
    expect(await operatorPage.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await operatorPage.getByRole('button', { name: 'New admin or operator' }).count()).toBe(0);
    // RestartServer is `admin` in the spec (operators too): the operator has the System screen.
    expect(await operatorPage.getByRole('link', { name: 'System' }).count()).toBe(1);
    await operatorContext.close();
  });
});
