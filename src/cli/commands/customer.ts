/**
 * `customer list | show ID` and `order show ID`: read-only views of customers and orders straight
 * from the database (money as the database's NUMERIC text, times RFC3339 UTC). Nothing here
 * writes: customers' and orders' rows belong to their actors (ARCHITECTURE.md, Actors).
 */
import type pg from 'pg';
import { CommandError, EXIT, fields, noPositionals, onePositional, out, parse, requireUuid, table, wholeNumber, withPool, type CommandGroup } from '../context.ts';

/** SQL rendering a timestamptz column as RFC3339 UTC (seconds), or null. */
function ts(column: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
}

const CUSTOMER_HELP = `npm run cli -- customer COMMAND

  customer list [--search TEXT] [--limit N] [--deleted]
      id, name, e-mail, balance, credit limit, status, created — newest first (default 100);
      --search matches name, e-mail, contact and customer code; --deleted includes deleted customers
  customer show ID
      the customer's fields, its users, its orders by status, and its last 10 ledger entries

Exit codes: 0 done, 1 no such customer, 2 bad arguments.
`;

const ORDER_HELP = `npm run cli -- order COMMAND

  order show ID   the order's fields, its payments, its instance and its events

Exit codes: 0 done, 1 no such order, 2 bad arguments.
`;

async function listCustomers(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { search: { type: 'string' }, limit: { type: 'string', default: '100' }, deleted: { type: 'boolean', default: false } });
  noPositionals(positionals, 'npm run cli -- customer list [--search TEXT] [--limit N] [--deleted]');
  const limit = wholeNumber(values.limit, '--limit');
  const search = values.search?.trim() ?? '';
  return withPool(async (pool) => {
    const params: unknown[] = [limit];
    const conditions: string[] = [];
    if (!values.deleted) conditions.push('deleted_at is null');
    if (search !== '') {
      params.push(`%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      conditions.push('(name ilike $2 or email ilike $2 or contact_person ilike $2 or customer_code ilike $2)');
    }
    const rows = await pool.query<{ id: string; name: string; email: string; balance: string; credit_limit: string; is_active: boolean; deleted: boolean; created: string }>(
      `select id, name, email, balance::text, credit_limit::text, is_active, deleted_at is not null as deleted, ${ts('created_at')} as created
         from customers ${conditions.length > 0 ? `where ${conditions.join(' and ')}` : ''}
        order by created_at desc, id desc limit $1`,
      params,
    );
    out(table(['ID', 'NAME', 'EMAIL', 'BALANCE', 'CREDIT LIMIT', 'STATUS', 'CREATED'], rows.rows.map((row) => [
      row.id, row.name, row.email, row.balance, row.credit_limit, row.deleted ? 'deleted' : row.is_active ? 'active' : 'disabled', row.created,
    ])));
    out(`${rows.rows.length} customer(s)${rows.rows.length === limit ? ` (the first ${limit}; --limit shows more)` : ''}`);
    return EXIT.ok;
  });
}

async function customerRow(pool: pg.Pool, id: string): Promise<Record<string, string | null>> {
  const rows = await pool.query<Record<string, string | null>>(
    `select id::text, name, contact_person, email, phone, company, customer_code, customer_type, country, balance::text, credit_limit::text,
            case when deleted_at is not null then 'deleted' when is_active then 'active' else 'disabled' end as status,
            can_create_api_keys::text, payment_terms_days::text, version::text, ${ts('created_at')} as created_at, ${ts('updated_at')} as updated_at
       from customers where id = $1`,
    [id],
  );
  const row = rows.rows[0];
  if (!row) throw new CommandError(`no customer ${id} (see: npm run cli -- customer list)`);
  return row;
}

async function showCustomer(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  const id = requireUuid(onePositional(positionals, 'ID', 'npm run cli -- customer show ID'), 'the customer ID');
  return withPool(async (pool) => {
    const c = await customerRow(pool, id);
    const v = (key: string): string => c[key] ?? '';
    out(fields([
      ['id', v('id')], ['name', v('name')], ['contact', v('contact_person')], ['email', v('email')], ['phone', v('phone')], ['company', v('company')],
      ['code', v('customer_code')], ['type', v('customer_type')], ['country', v('country')], ['status', v('status')],
      ['balance', v('balance')], ['credit limit', v('credit_limit')], ['api keys allowed', v('can_create_api_keys')],
      ['payment terms (days)', c.payment_terms_days ?? '-'], ['version', v('version')], ['created', v('created_at')], ['updated', v('updated_at')],
    ]));
    const users = await pool.query<{ id: string; username: string; email: string; is_active: boolean }>(
      'select id, username, email, is_active from customer_users where customer_id = $1 order by created_at, id', [id]);
    out(`users (${users.rows.length}):`);
    if (users.rows.length > 0) out(table(['ID', 'USERNAME', 'EMAIL', 'STATUS'], users.rows.map((u) => [u.id, u.username, u.email, u.is_active ? 'active' : 'disabled'])));
    const orders = await pool.query<{ status: string; count: string; amount: string }>(
      'select status, count(*)::text as count, sum(amount)::text as amount from orders where customer_id = $1 group by status order by status', [id]);
    out(`orders by status: ${orders.rows.length === 0 ? 'none' : orders.rows.map((o) => `${o.status} ${o.count} (${o.amount})`).join(', ')}`);
    const ledger = await pool.query<{ created: string; transaction_type: string; amount: string; balance_before: string; balance_after: string; description: string }>(
      `select ${ts('created_at')} as created, transaction_type, amount::text, balance_before::text, balance_after::text, description
         from balance_transactions where customer_id = $1 order by created_at desc, id desc limit 10`, [id]);
    out(`last ledger entries (${ledger.rows.length}):`);
    if (ledger.rows.length > 0) {
      out(table(['TIME', 'TYPE', 'AMOUNT', 'BEFORE', 'AFTER', 'DESCRIPTION'], ledger.rows.map((e) => [e.created, e.transaction_type, e.amount, e.balance_before, e.balance_after, e.description])));
    }
    return EXIT.ok;
  });
}

async function showOrder(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  const id = requireUuid(onePositional(positionals, 'ID', 'npm run cli -- order show ID'), 'the order ID');
  return withPool(async (pool) => {
    const rows = await pool.query<Record<string, string | null>>(
      `select o.id::text, o.customer_id::text, c.name as customer_name, o.product_id::text, o.product_name, o.status, o.amount::text, o.currency,
              o.billing_cycle, o.discount_amount::text, o.tax_amount::text, o.promotion_code, o.gateway_interface_id::text, o.gateway_payment_id,
              o.provider_interface_id::text, o.provider_instance_id, ${ts('o.paid_at')} as paid_at, ${ts('o.period_start')} as period_start,
              ${ts('o.period_end')} as period_end, o.cancel_at_period_end::text, o.notes, o.version::text,
              ${ts('o.created_at')} as created_at, ${ts('o.updated_at')} as updated_at
         from orders o join customers c on c.id = o.customer_id where o.id = $1`,
      [id],
    );
    const o = rows.rows[0];
    if (!o) throw new CommandError(`no order ${id}`);
    const v = (key: string): string => o[key] ?? '-';
    out(fields([
      ['id', v('id')], ['customer', `${v('customer_name')} (${v('customer_id')})`], ['product', `${v('product_name')} (${v('product_id')})`],
      ['status', v('status')], ['amount', `${v('amount')} ${v('currency')}`], ['billing cycle', v('billing_cycle')], ['discount', v('discount_amount')],
      ['tax', v('tax_amount')], ['promotion code', v('promotion_code')], ['gateway interface', v('gateway_interface_id')], ['gateway payment', v('gateway_payment_id')],
      ['provider interface', v('provider_interface_id')], ['provider instance', v('provider_instance_id')], ['paid', v('paid_at')],
      ['period', `${v('period_start')} – ${v('period_end')}`], ['cancel at period end', v('cancel_at_period_end')], ['notes', v('notes')],
      ['version', v('version')], ['created', v('created_at')], ['updated', v('updated_at')],
    ]));
    const payments = await pool.query<{ id: string; kind: string; status: string; amount: string; refunded: string; gateway: string | null; paid: string | null }>(
      `select id, kind, status, amount::text, refunded_amount::text as refunded, gateway_interface_id::text as gateway, ${ts('paid_at')} as paid
         from payments where order_id = $1 order by created_at, id`, [id]);
    out(`payments (${payments.rows.length}):`);
    if (payments.rows.length > 0) {
      out(table(['ID', 'KIND', 'STATUS', 'AMOUNT', 'REFUNDED', 'GATEWAY', 'PAID'], payments.rows.map((p) => [p.id, p.kind, p.status, p.amount, p.refunded, p.gateway ?? '-', p.paid ?? '-'])));
    }
    const instances = await pool.query<{ id: string; status: string; ip_address: string; provider_instance_id: string | null }>(
      'select id, status, ip_address, provider_instance_id from instances where order_id = $1', [id]);
    const instance = instances.rows[0];
    out(`instance: ${instance ? `${instance.id} ${instance.status}${instance.ip_address ? ` ${instance.ip_address}` : ''} (provider id ${instance.provider_instance_id ?? '-'})` : 'none'}`);
    const events = await pool.query<{ id: string; event_type: string; status: string; attempts: number; created: string; last_error: string | null }>(
      `select id, event_type, status, attempts, ${ts('created_at')} as created, last_error from event_queue where order_id = $1 order by created_at, id`, [id]);
    out(`events (${events.rows.length}):`);
    if (events.rows.length > 0) {
      out(table(['ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST ERROR'], events.rows.map((e) => [e.id, e.event_type, e.status, String(e.attempts), e.created, (e.last_error ?? '').replace(/\s+/g, ' ').slice(0, 80)])));
    }
    return EXIT.ok;
  });
}

/** The `customer` command group. */
export const customerGroup: CommandGroup = {
  name: 'customer',
  summary: 'customers, read only (customer list | show ID)',
  help: CUSTOMER_HELP,
  commands: ['list', 'show'],
  run: (command, args) => (command === 'list' ? listCustomers(args) : showCustomer(args)),
};

/** The `order` command group. */
export const orderGroup: CommandGroup = {
  name: 'order',
  summary: 'orders, read only (order show ID)',
  help: ORDER_HELP,
  commands: ['show'],
  run: (_command, args) => showOrder(args),
};
