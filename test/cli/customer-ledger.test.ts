/**
 * `npm run cli -- customer list | show`, `order show` and `ledger check` against rows written by
 * SQL: the views print what is stored, and the ledger check passes on a consistent ledger and
 * names each kind of break.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, queryRows, type MigratedTestDatabase } from '../support/db.ts';
import { runCli } from './support.ts';

describe('npm run cli -- customer | order | ledger', () => {
  let database: MigratedTestDatabase;
  const cli = (...args: string[]) => runCli(database.url, args);
  const acme = newId();
  const globex = newId();
  const order = newId();
  const payment = newId();
  const entries = [newId(), newId(), newId()];

  beforeAll(async () => {
    database = await migratedTestDatabase();
    const sql = (text: string, params: unknown[] = []) => queryRows(database.url, text, params);
    await sql(`insert into customers (id, name, email, balance, credit_limit, created_at) values ($1, 'Acme Ltd', 'billing@acme.test', '70.00', '20.00', now() - interval '1 day')`, [acme]);
    await sql(`insert into customers (id, name, email, balance, credit_limit) values ($1, 'Globex', 'ap@globex.test', '5.00', '0.00')`, [globex]);
    await sql(`insert into balance_transactions (id, customer_id, transaction_type, amount, balance_before, balance_after, description, created_at) values
      ($1, $4, 'recharge', '100.00', '0.00', '100.00', 'bank transfer', now() - interval '3 hours'),
      ($2, $4, 'payment', '-30.00', '100.00', '70.00', 'order', now() - interval '2 hours'),
      ($3, $5, 'recharge', '5.00', '0.00', '5.00', 'welcome', now() - interval '1 hour')`, [...entries, acme, globex]);
    await sql(`insert into customer_users (id, customer_id, username, email, password_hash) values ($1, $2, 'acmeuser', 'u@acme.test', 'x')`, [newId(), acme]);
    await sql(`insert into orders (id, customer_id, product_name, status, amount, currency, billing_cycle, paid_at) values ($1, $2, 'VPS Small', 'paid', '30.00', 'CNY', 'monthly', now())`, [order, acme]);
    await sql(`insert into payments (id, customer_id, kind, order_id, amount, status, paid_at) values ($1, $2, 'order', $3, '30.00', 'success', now())`, [payment, acme, order]);
    await sql(`insert into event_queue (id, event_type, customer_id, order_id, status, attempts) values ($1, 'order_paid', $2, $3, 'done', 1)`, [newId(), acme, order]);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('lists customers newest first, searches, and shows one with its users, orders and ledger', async () => {
    const listed = await cli('customer', 'list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+EMAIL\s+BALANCE\s+CREDIT LIMIT\s+STATUS\s+CREATED$/);
    expect(lines[1]).toMatch(new RegExp(`^${globex}\\s+Globex\\s+ap@globex.test\\s+5.00\\s+0.00\\s+active\\s+\\d{4}-`));
    expect(lines[2]).toMatch(new RegExp(`^${acme}\\s+Acme Ltd\\s+billing@acme.test\\s+70.00\\s+20.00\\s+active`));
    expect(lines.at(-1)).toBe('2 customer(s)');
    const searched = await cli('customer', 'list', '--search', 'ACME');
    expect(searched.stdout).toContain(acme);
    expect(searched.stdout).not.toContain(globex);
    expect((await cli('customer', 'list', '--limit', '0')).code).toBe(2);

    const shown = await cli('customer', 'show', acme);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^id:\s+.+\nname:\s+Acme Ltd\n/);
    expect(shown.stdout).toMatch(/balance:\s+70\.00\n/);
    expect(shown.stdout).toMatch(/credit limit:\s+20\.00\n/);
    expect(shown.stdout).toMatch(/users \(1\):\nID.*\n.*acmeuser\s+u@acme\.test\s+active/);
    expect(shown.stdout).toContain('orders by status: paid 1 (30.00)');
    expect(shown.stdout).toMatch(/last ledger entries \(2\):\nTIME.*\n.*payment\s+-30\.00\s+100\.00\s+70\.00\s+order\n.*recharge\s+100\.00\s+0\.00\s+100\.00\s+bank transfer/);

    const unknown = newId();
    expect(await cli('customer', 'show', unknown)).toMatchObject({ code: 1, stderr: `no customer ${unknown} (see: npm run cli -- customer list)\n` });
    expect((await cli('customer', 'show', 'acme')).code).toBe(2);
  });

  it('shows an order with its payment, instance and events', async () => {
    const shown = await cli('order', 'show', order);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`customer:\\s+Acme Ltd \\(${acme}\\)`));
    expect(shown.stdout).toMatch(/status:\s+paid\n/);
    expect(shown.stdout).toMatch(/amount:\s+30\.00 CNY\n/);
    expect(shown.stdout).toMatch(new RegExp(`payments \\(1\\):\\nID.*\\n${payment}\\s+order\\s+success\\s+30\\.00\\s+0\\.00`));
    expect(shown.stdout).toContain('instance: none');
    expect(shown.stdout).toMatch(/events \(1\):\nID.*\n.*order_paid\s+done\s+1/);
    expect((await cli('order', 'show', newId())).code).toBe(1);
  });

  it('passes on a consistent ledger and reports each broken rule with exit code 1', async () => {
    const passed = await cli('ledger', 'check');
    expect(passed).toMatchObject({ code: 0, stdout: 'ledger check passed: 2 customer(s), 3 ledger entries consistent\n', stderr: '' });
    // Batches of one customer read every customer too.
    expect((await cli('ledger', 'check', '--batch', '1')).stdout).toBe('ledger check passed: 2 customer(s), 3 ledger entries consistent\n');

    // A balance changed around the ledger.
    await queryRows(database.url, `update customers set balance = '75.00' where id = $1`, [acme]);
    const drift = await cli('ledger', 'check');
    expect(drift.code).toBe(1);
    expect(drift.stdout).toBe(
      `customer ${acme} (Acme Ltd): balance 75.00 but ledger entries sum to 70.00 (difference 5.00)\n` +
      'ledger check FAILED: 1 of 2 customer(s) inconsistent (3 ledger entries)\n',
    );

    // An entry whose arithmetic is wrong (the table's CHECK constraint has to go first) ...
    await queryRows(database.url, `update customers set balance = '70.00' where id = $1`, [acme]);
    await queryRows(database.url, 'alter table balance_transactions drop constraint balance_transactions_balance_check');
    await queryRows(database.url, `update balance_transactions set balance_after = '6.00' where id = $1`, [entries[2]]);
    // ... and a balance below the credit limit, kept consistent with its ledger.
    await queryRows(database.url, `insert into balance_transactions (id, customer_id, transaction_type, amount, balance_before, balance_after) values ($1, $2, 'payment', '-95.00', '70.00', '-25.00')`, [newId(), acme]);
    await queryRows(database.url, `update customers set balance = '-25.00' where id = $1`, [acme]);
    const broken = await cli('ledger', 'check', '--batch', '1');
    expect(broken.code).toBe(1);
    expect(broken.stdout.split('\n').sort()).toEqual([
      '',
      `customer ${acme} (Acme Ltd): balance -25.00 is below -credit_limit -20.00`,
      `customer ${globex} (Globex): 1 ledger entry has balance_after ≠ balance_before + amount: ${entries[2]}`,
      'ledger check FAILED: 2 of 2 customer(s) inconsistent (4 ledger entries)',
    ].sort());
  });
});
