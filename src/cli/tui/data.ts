/**
 * What the TUI (`npm run cli -- tui`, operations manual §5.2) reads and changes, straight in
 * PostgreSQL over one connection (the RustBill TUI uses the server's database connection too).
 *
 * Everything here is read-only except the actions behind `d`, `e` and `x`, which do what the
 * server's own use case does, in one transaction with its `operation_logs` row:
 * - Admin Users `d`: disable the user (UpdateUser is_active=false): never the last active admin
 *   (src/domain/identity/user-policy.ts), its sessions revoked; audited `user.update`.
 * - Cust Users `d`: disable the user, its refresh-token families revoked; audited `user.update`.
 * - Products `d`: delete the product (DeleteProduct); audited `product.delete` with the row before.
 * - Plugins `e` / `x`: enable / disable the interface (TogglePluginInterface; enabling needs a
 *   complete config); audited `plugin_interface.enable` / `.disable`. `d`: delete the interface
 *   (DeletePluginInterface), refused while open orders, live instances or pending payments use it;
 *   audited `plugin_interface.delete`.
 * The database's triggers tell every running server node about the users and sessions changed
 * (migration 0005), so their caches do not serve the old state.
 *
 * Customers and instances are not changed here: a customer row belongs to its customer actor
 * (ARCHITECTURE.md, "No code path writes a customer or order row around its actor") and an
 * instance is terminated through its provider plugin; `d` there says where to do it instead.
 *
 * Audit rows name the actor as the other CLI commands do (src/cli/audit.ts): `admin_username`
 * `cli`, `details.caller` `cli`, `details.osUser` the operating-system user, `details.via` `tui`.
 */
import { userInfo } from 'node:os';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { CLI_ACTOR } from '../audit.ts';
import { DomainError } from '../../domain/errors.ts';
import { adminChangeRefusal } from '../../domain/identity/user-policy.ts';
import type { AdminRole } from '../../domain/identity/principal.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { JsonObject } from '../../persistence/entities/plugins.ts';
import { ConfigValidator, InvalidConfigSchemaError } from '../../plugins/registry/config-schema.ts';
import { usageRefusal } from '../../plugins/registry/rules.ts';
import type { PluginType } from '../../plugins/types.ts';

/** The eight tabs, in the order of the spec's TUI section (keys 1–8). */
export const TAB_KEYS = ['dashboard', 'admin_users', 'customer_users', 'customers', 'products', 'plugins', 'instances', 'db_status'] as const;
/** One tab. */
export type TabKey = (typeof TAB_KEYS)[number];

/** One row of a tab's list: its record id (for details and actions; a metric name on Dashboard/DB Status) and its cells. */
export interface ListRow {
  id: string;
  cells: string[];
}

/** What a tab's list shows: column headers and rows (at most {@link LIST_LIMIT}, oldest first). */
export interface TabList {
  columns: string[];
  rows: ListRow[];
}

/** One record in full, as label/value lines (secrets and password hashes left out). */
export type Details = Array<[label: string, value: string]>;

/** The changes the TUI can make. */
export type ActionKind = 'delete' | 'enable' | 'disable';

/** What an action did: `ok` false when it was refused (the message says why and what to do). */
export interface ActionOutcome {
  ok: boolean;
  message: string;
}

/** How an action is offered on a tab: the confirmation question's verb, or why it is not offered. */
export type ActionOffer = { available: true; verb: string } | { available: false; reason: string };

/** Rows a list reads at most. */
export const LIST_LIMIT = 1000;

/** Tables whose size DB Status shows. */
const STATUS_TABLES = ['customers', 'customer_users', 'admin_users', 'products', 'plugin_interfaces', 'orders', 'instances', 'payments', 'invoices', 'balance_transactions', 'event_queue', 'operation_logs'];

/** `timestamptz` as shown in a list: `YYYY-MM-DD HH:MM` UTC, `-` for none. */
function shortTime(value: Date | null): string {
  return value === null ? '-' : rfc3339(value).slice(0, 16).replace('T', ' ');
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** A value of a database row as a details line: RFC3339 times, JSON for objects, `-` for null/empty. */
function detailValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (value instanceof Date) return rfc3339(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Refusal raised inside an action's transaction (rolled back, reported as `ok: false`). */
class Refusal extends Error {}

/** The error of a refused action (a DomainError, a registry error) as a message line. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The TUI's database access: one `pg` connection pool of size 1 to `databaseUrl`. Call
 * {@link TuiData.close} when done. Reads throw the PostgreSQL error when the database is unreachable.
 */
export class TuiData {
  private readonly pool: pg.Pool;
  private readonly validator = new ConfigValidator();
  private readonly osUser: string;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'nodebill-tui' });
    // An idle connection that dies (server restart) is reported at the next query, not as a crash.
    this.pool.on('error', () => undefined);
    let osUser = '';
    try {
      osUser = userInfo().username;
    } catch {
      // No passwd entry: left empty, as src/cli/audit.ts does.
    }
    this.osUser = osUser;
  }

  /** Ends the pool. */
  async close(): Promise<void> {
    await this.pool.end();
  }

  /** The database as `user@host:port/name` (no password), for the title line. */
  static describeUrl(databaseUrl: string): string {
    try {
      const url = new URL(databaseUrl);
      return `${decodeURIComponent(url.username) || 'postgres'}@${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
    } catch {
      return 'database';
    }
  }

  private async rows<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query<T>(text, params)).rows;
  }

  /** The list of `tab`. */
  async list(tab: TabKey): Promise<TabList> {
    switch (tab) {
      case 'dashboard':
        return this.dashboard();
      case 'admin_users': {
        const rows = await this.rows<{ id: string; username: string; role: string; is_active: boolean; email: string; last_login_at: Date | null; created_at: Date }>(
          `select id, username, role, is_active, email, last_login_at, created_at from admin_users order by created_at, id limit ${LIST_LIMIT}`,
        );
        return {
          columns: ['Username', 'Role', 'Status', 'Email', 'Last login', 'Created'],
          rows: rows.map((r) => ({ id: r.id, cells: [r.username, r.role, r.is_active ? 'active' : 'disabled', r.email || '-', shortTime(r.last_login_at), shortTime(r.created_at)] })),
        };
      }
      case 'customer_users': {
        const rows = await this.rows<{ id: string; username: string; customer: string; email: string; is_active: boolean; email_verified_at: Date | null; last_login_at: Date | null }>(
          `select u.id, u.username, c.name as customer, u.email, u.is_active, u.email_verified_at, u.last_login_at
             from customer_users u join customers c on c.id = u.customer_id order by u.created_at, u.id limit ${LIST_LIMIT}`,
        );
        return {
          columns: ['Username', 'Customer', 'Email', 'Status', 'Verified', 'Last login'],
          rows: rows.map((r) => ({ id: r.id, cells: [r.username, r.customer, r.email || '-', r.is_active ? 'active' : 'disabled', yesNo(r.email_verified_at !== null), shortTime(r.last_login_at)] })),
        };
      }
      case 'customers': {
        const rows = await this.rows<{ id: string; name: string; email: string; balance: string; credit_limit: string; is_active: boolean; users: string; created_at: Date }>(
          `select c.id, c.name, c.email, c.balance::text as balance, c.credit_limit::text as credit_limit, c.is_active,
                  (select count(*) from customer_users u where u.customer_id = c.id)::text as users, c.created_at
             from customers c order by c.created_at, c.id limit ${LIST_LIMIT}`,
        );
        return {
          columns: ['Name', 'Email', 'Balance', 'Credit limit', 'Status', 'Users', 'Created'],
          rows: rows.map((r) => ({ id: r.id, cells: [r.name, r.email || '-', r.balance, r.credit_limit, r.is_active ? 'active' : 'inactive', r.users, shortTime(r.created_at)] })),
        };
      }
      case 'products': {
        const rows = await this.rows<{ id: string; name: string; price_per_month: string; cost_price: string; is_active: boolean; provider: string | null; grp: string | null; created_at: Date }>(
          `select p.id, p.name, p.price_per_month::text as price_per_month, p.cost_price::text as cost_price, p.is_active,
                  i.display_name as provider, g.name as grp, p.created_at
             from products p left join plugin_interfaces i on i.id = p.interface_id left join product_groups g on g.id = p.group_id
            order by p.created_at, p.id limit ${LIST_LIMIT}`,
        );
        return {
          columns: ['Name', 'Price/month', 'Cost', 'Status', 'Provider', 'Group', 'Created'],
          rows: rows.map((r) => ({ id: r.id, cells: [r.name, r.price_per_month, r.cost_price, r.is_active ? 'active' : 'inactive', r.provider ?? '-', r.grp ?? '-', shortTime(r.created_at)] })),
        };
      }
      case 'plugins': {
        const rows = await this.rows<{ id: string; display_name: string; plugin_type: string; plugin_id: string; plugin_version: string; enabled: boolean; is_healthy: boolean; last_check_at: Date | null }>(
          `select id, display_name, plugin_type, plugin_id, plugin_version, enabled, is_healthy, last_check_at
             from plugin_interfaces order by plugin_type, display_name, id limit ${LIST_LIMIT}`,
        );
        return {
          columns: ['Interface', 'Type', 'Plugin', 'Version', 'Enabled', 'Health', 'Last check'],
          rows: rows.map((r) => ({
            id: r.id,
            cells: [r.display_name, r.plugin_type, r.plugin_id, r.plugin_version, yesNo(r.enabled), r.last_check_at === null ? 'unchecked' : r.is_healthy ? 'healthy' : 'unhealthy', shortTime(r.last_check_at)],
          })),
        };
      }
      case 'instances': {
        const rows = await this.rows<{ id: string; customer: string; product_name: string; status: string; ip_address: string; provider: string | null; created_at: Date }>(
          `select n.id, c.name as customer, n.product_name, n.status, n.ip_address, i.display_name as provider, n.created_at
             from instances n join customers c on c.id = n.customer_id left join plugin_interfaces i on i.id = n.provider_interface_id
            order by n.created_at, n.id limit ${LIST_LIMIT}`,
        );
        return {
          columns: ['Customer', 'Product', 'Status', 'IP address', 'Provider', 'Created'],
          rows: rows.map((r) => ({ id: r.id, cells: [r.customer, r.product_name || '-', r.status, r.ip_address || '-', r.provider ?? '-', shortTime(r.created_at)] })),
        };
      }
      case 'db_status':
        return this.dbStatus();
    }
  }

  private async dashboard(): Promise<TabList> {
    const [c] = await this.rows<Record<string, string>>(`
      select
        (select count(*) from customers)::text as customers,
        (select count(*) from customers where is_active)::text as active_customers,
        (select coalesce(sum(balance), 0)::numeric(14, 2)::text from customers) as balances,
        (select count(*) from admin_users)::text as admins,
        (select count(*) from admin_users where is_active)::text as active_admins,
        (select count(*) from customer_users)::text as users,
        (select count(*) from customer_users where is_active)::text as active_users,
        (select count(*) from products)::text as products,
        (select count(*) from products where is_active)::text as active_products,
        (select count(*) from plugin_interfaces)::text as interfaces,
        (select count(*) from plugin_interfaces where enabled)::text as enabled_interfaces,
        (select count(*) from plugin_interfaces where enabled and not is_healthy and last_check_at is not null)::text as unhealthy_interfaces,
        (select count(*) from orders)::text as orders,
        (select count(*) from orders where status = 'pending')::text as pending_orders,
        (select coalesce(sum(amount - refunded_amount), 0)::numeric(14, 2)::text from payments where status in ('success', 'refunded')) as revenue,
        (select count(*) from tickets where status in ('pending', 'processing'))::text as open_tickets,
        (select count(*) from event_queue where status = 'failed')::text as failed_events`);
    const byStatus = await this.rows<{ status: string; n: string }>(`select status, count(*)::text as n from instances group by status order by status`);
    const s = c ?? {};
    const v = (key: string): string => s[key] ?? '0';
    const rows: ListRow[] = [
      { id: 'customers', cells: ['Customers', `${v('customers')} (${v('active_customers')} active)`] },
      { id: 'balances', cells: ['Customer balances, total', v('balances')] },
      { id: 'admins', cells: ['Admin users', `${v('admins')} (${v('active_admins')} active)`] },
      { id: 'users', cells: ['Customer users', `${v('users')} (${v('active_users')} active)`] },
      { id: 'products', cells: ['Products', `${v('products')} (${v('active_products')} active)`] },
      { id: 'interfaces', cells: ['Plugin interfaces', `${v('interfaces')} (${v('enabled_interfaces')} enabled, ${v('unhealthy_interfaces')} unhealthy)`] },
      { id: 'orders', cells: ['Orders', `${v('orders')} (${v('pending_orders')} pending)`] },
      { id: 'revenue', cells: ['Payments received, net of refunds', v('revenue')] },
      { id: 'instances', cells: ['Instances', byStatus.length === 0 ? '0' : byStatus.map((r) => `${r.status} ${r.n}`).join(', ')] },
      { id: 'tickets', cells: ['Open tickets', v('open_tickets')] },
      { id: 'failed_events', cells: ['Failed events (npm run cli -- events failed)', v('failed_events')] },
    ];
    return { columns: ['Metric', 'Value'], rows };
  }

  private async dbStatus(): Promise<TabList> {
    const [server] = await this.rows<{ version: string; db: string; size: string; connections: string; max_connections: string; uptime: string }>(`
      select split_part(version(), ' on ', 1) as version, current_database() as db,
             pg_size_pretty(pg_database_size(current_database())) as size,
             (select count(*) from pg_stat_activity where datname = current_database())::text as connections,
             current_setting('max_connections') as max_connections,
             date_trunc('second', now() - pg_postmaster_start_time())::text as uptime`);
    const migrations = await this.rows<{ applied: string; last: string | null }>(
      `select count(*)::text as applied, max(name) as last from mikro_orm_migrations`,
    ).catch(() => [{ applied: 'no migrations table', last: null }]);
    const tables = await this.rows<{ relname: string; rows: string; size: string }>(
      `select c.relname, coalesce(s.n_live_tup, 0)::text as rows, pg_size_pretty(pg_total_relation_size(c.oid)) as size
         from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
        where c.relkind = 'r' and c.relnamespace = 'public'::regnamespace and c.relname = any($1)
        order by array_position($1, c.relname::text)`,
      [STATUS_TABLES],
    );
    const m = migrations[0];
    const rows: ListRow[] = [
      { id: 'server', cells: ['Server', server?.version ?? '-'] },
      { id: 'database', cells: ['Database', `${server?.db ?? '-'} (${server?.size ?? '-'})`] },
      { id: 'connections', cells: ['Connections to this database', `${server?.connections ?? '-'} of max_connections ${server?.max_connections ?? '-'}`] },
      { id: 'uptime', cells: ['Server uptime', server?.uptime ?? '-'] },
      { id: 'migrations', cells: ['Migrations applied', m ? `${m.applied}${m.last ? ` (last ${m.last})` : ''}` : '-'] },
      ...tables.map((t) => ({ id: `table:${t.relname}`, cells: [`Table ${t.relname}`, `~${t.rows} rows, ${t.size}`] })),
    ];
    return { columns: ['Item', 'Value'], rows };
  }

  /** The record `id` of `tab` in full, or null when it no longer exists (or the tab has no records). */
  async details(tab: TabKey, id: string): Promise<Details | null> {
    const one = async (text: string): Promise<Record<string, unknown> | null> => (await this.rows<Record<string, unknown>>(text, [id]))[0] ?? null;
    let row: Record<string, unknown> | null;
    switch (tab) {
      case 'admin_users':
        row = await one(`select id, username, email, display_name, role, is_active, last_login_at, created_at, updated_at,
                                (select count(*) from sessions s where s.admin_user_id = a.id and s.revoked_at is null and s.expires_at > now())::int as live_sessions
                           from admin_users a where id = $1`);
        break;
      case 'customer_users':
        row = await one(`select u.id, u.username, u.email, u.display_name, u.is_active, u.customer_id, c.name as customer_name,
                                u.email_verified_at, u.last_login_at, u.created_at, u.updated_at
                           from customer_users u join customers c on c.id = u.customer_id where u.id = $1`);
        break;
      case 'customers':
        row = await one(`select id, name, customer_code, contact_person, email, phone, company, address, balance::text as balance,
                                credit_limit::text as credit_limit, is_active, can_create_api_keys, customer_type, industry, payment_terms_days,
                                tax_number, rating, notes, created_at, updated_at,
                                (select count(*) from customer_users u where u.customer_id = c.id)::int as users,
                                (select count(*) from orders o where o.customer_id = c.id)::int as orders,
                                (select count(*) from instances n where n.customer_id = c.id and n.status <> 'terminated')::int as live_instances
                           from customers c where id = $1`);
        break;
      case 'products':
        row = await one(`select p.id, p.name, p.description, p.price_per_month::text as price_per_month, p.cost_price::text as cost_price,
                                p.billing_cycles, p.specs, p.is_active, p.interface_id, i.display_name as provider, p.group_id, g.name as group_name,
                                p.external_id, p.created_at, p.updated_at
                           from products p left join plugin_interfaces i on i.id = p.interface_id left join product_groups g on g.id = p.group_id
                          where p.id = $1`);
        break;
      case 'plugins':
        // Config values may be secrets: only the keys are shown.
        row = await one(`select id, display_name, plugin_type, plugin_id, plugin_version, enabled, is_healthy, health_error, last_check_at,
                                (select string_agg(k, ', ' order by k) from jsonb_object_keys(config) as k) as config_keys,
                                script_hash, length(script_source) as script_chars, has_admin_page, plugin_def_id, created_at, updated_at
                           from plugin_interfaces where id = $1`);
        break;
      case 'instances':
        row = await one(`select n.id, n.customer_id, c.name as customer_name, n.order_id, n.product_id, n.product_name, n.status, n.ip_address,
                                n.provider_interface_id, i.display_name as provider, n.provider_instance_id, n.server_spec,
                                n.status_checked_at, n.terminated_at, n.created_at, n.updated_at
                           from instances n join customers c on c.id = n.customer_id left join plugin_interfaces i on i.id = n.provider_interface_id
                          where n.id = $1`);
        break;
      case 'dashboard':
      case 'db_status':
        return null;
    }
    if (row === null) return null;
    return Object.entries(row).map(([label, value]) => [label, detailValue(value)]);
  }

  /** Whether `kind` is offered on `tab` (see the file comment), with the confirmation's verb. */
  static offer(tab: TabKey, kind: ActionKind): ActionOffer {
    if (kind === 'delete') {
      switch (tab) {
        case 'admin_users':
        case 'customer_users':
          return { available: true, verb: 'Disable' };
        case 'products':
        case 'plugins':
          return { available: true, verb: 'Delete' };
        case 'customers':
          return { available: false, reason: 'customers change only through their account (admin console, or DeleteCustomer/UpdateCustomer over the API)' };
        case 'instances':
          return { available: false, reason: 'an instance is terminated through its provider plugin: use the admin console or TerminateInstance' };
        case 'dashboard':
        case 'db_status':
          return { available: false, reason: 'nothing to delete on this tab' };
      }
    }
    if (tab === 'plugins') return { available: true, verb: kind === 'enable' ? 'Enable' : 'Disable' };
    return { available: false, reason: 'e / x enable and disable plugin interfaces (tab 6)' };
  }

  /**
   * Runs `kind` on record `id` of `tab` (one transaction with its audit row; see the file comment).
   * Refusals (a rule, a record gone, a state that does not allow it) come back as `ok: false`;
   * a database failure throws.
   */
  async act(tab: TabKey, kind: ActionKind, id: string): Promise<ActionOutcome> {
    const offer = TuiData.offer(tab, kind);
    if (!offer.available) return { ok: false, message: offer.reason };
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      let message: string;
      try {
        message = await this.actIn(client, tab, kind, id);
      } catch (error) {
        await client.query('rollback');
        if (error instanceof Refusal || error instanceof DomainError) return { ok: false, message: messageOf(error) };
        throw error;
      }
      await client.query('commit');
      return { ok: true, message };
    } finally {
      client.release();
    }
  }

  private async actIn(client: pg.PoolClient, tab: TabKey, kind: ActionKind, id: string): Promise<string> {
    const audit = async (action: string, targetType: string, details: Record<string, unknown>): Promise<void> => {
      await client.query(
        `insert into operation_logs (id, admin_user_id, admin_username, action, target_type, target_id, details, client_address, request_id)
         values ($1, null, $2, $3, $4, $5, $6, null, null)`,
        [uuidv7(), CLI_ACTOR, action, targetType, id, JSON.stringify({ ...details, caller: CLI_ACTOR, osUser: this.osUser, via: 'tui' })],
      );
    };
    if (tab === 'admin_users') {
      const target = (await client.query<{ username: string; role: AdminRole; is_active: boolean }>(
        'select username, role, is_active from admin_users where id = $1 for update', [id])).rows[0];
      if (!target) throw new Refusal('that admin user no longer exists (press r to refresh)');
      if (!target.is_active) throw new Refusal(`admin user ${target.username} is already disabled`);
      const activeAdmins = target.role === 'admin'
        ? (await client.query("select id from admin_users where role = 'admin' and is_active for update")).rowCount ?? 0
        : 0;
      // The TUI acts with the CLI's full rights: as an admin who is none of the users.
      const refusal = adminChangeRefusal({ userId: '', role: 'admin' }, { id, role: target.role, isActive: true }, { isActive: false }, activeAdmins);
      if (refusal) throw refusal;
      await client.query('update admin_users set is_active = false, updated_at = now() where id = $1', [id]);
      const revoked = await client.query('update sessions set revoked_at = now() where admin_user_id = $1 and revoked_at is null', [id]);
      await audit('user.update', 'admin_user', { changes: { isActive: { from: true, to: false } } });
      return `disabled admin user ${target.username} (${revoked.rowCount ?? 0} session(s) ended)`;
    }
    if (tab === 'customer_users') {
      const target = (await client.query<{ username: string; is_active: boolean }>('select username, is_active from customer_users where id = $1 for update', [id])).rows[0];
      if (!target) throw new Refusal('that customer user no longer exists (press r to refresh)');
      if (!target.is_active) throw new Refusal(`customer user ${target.username} is already disabled`);
      await client.query('update customer_users set is_active = false, updated_at = now() where id = $1', [id]);
      await client.query(
        `update refresh_tokens set revoked_at = now()
          where revoked_at is null and family_id in (select family_id from refresh_tokens where customer_user_id = $1 and revoked_at is null)`,
        [id],
      );
      await audit('user.update', 'customer_user', { changes: { isActive: { from: true, to: false } } });
      return `disabled customer user ${target.username} (its sign-ins ended)`;
    }
    if (tab === 'products') {
      const p = (await client.query<{ name: string; description: string; price_per_month: string; cost_price: string; billing_cycles: JsonObject; specs: JsonObject; interface_id: string | null; group_id: string | null; is_active: boolean; external_id: string | null }>(
        `select name, description, price_per_month::text as price_per_month, cost_price::text as cost_price, billing_cycles, specs,
                interface_id, group_id, is_active, external_id
           from products where id = $1 for update`, [id])).rows[0];
      if (!p) throw new Refusal('that product no longer exists (press r to refresh)');
      await audit('product.delete', 'product', {
        before: {
          name: p.name, description: p.description, pricePerMonth: p.price_per_month, costPrice: p.cost_price, billingCycles: p.billing_cycles,
          specs: p.specs, interfaceId: p.interface_id, groupId: p.group_id, isActive: p.is_active, externalId: p.external_id,
        },
      });
      await client.query('delete from products where id = $1', [id]);
      return `deleted product ${p.name}`;
    }
    // Plugins.
    const row = (await client.query<{ display_name: string; plugin_type: PluginType; plugin_id: string; enabled: boolean; config: JsonObject; config_schema: JsonObject }>(
      'select display_name, plugin_type, plugin_id, enabled, config, config_schema from plugin_interfaces where id = $1 for update', [id])).rows[0];
    if (!row) throw new Refusal('that plugin interface no longer exists (press r to refresh)');
    const named = `${row.plugin_type}/${row.plugin_id} "${row.display_name}"`;
    if (kind === 'delete') {
      const [uses] = (await client.query<{ open_orders: number; live_instances: number; pending_payments: number }>(
        `select (select count(*) from orders where (provider_interface_id = $1 or gateway_interface_id = $1)
                   and status not in ('cancelled', 'refunded', 'completed'))::int as open_orders,
                (select count(*) from instances where provider_interface_id = $1 and status <> 'terminated')::int as live_instances,
                (select count(*) from payments where gateway_interface_id = $1 and status = 'pending')::int as pending_payments`, [id])).rows;
      const refusal = usageRefusal(
        { displayName: row.display_name, pluginType: row.plugin_type, pluginId: row.plugin_id },
        { openOrders: uses?.open_orders ?? 0, liveInstances: uses?.live_instances ?? 0, pendingPayments: uses?.pending_payments ?? 0 },
      );
      if (refusal) throw refusal;
      await client.query('delete from plugin_interfaces where id = $1', [id]);
      await audit('plugin_interface.delete', 'plugin_interface', { pluginType: row.plugin_type, pluginId: row.plugin_id, displayName: row.display_name });
      return `deleted plugin interface ${named}`;
    }
    const enable = kind === 'enable';
    if (row.enabled === enable) throw new Refusal(`plugin interface ${named} is already ${enable ? 'enabled' : 'disabled'}`);
    if (enable) {
      let problem: string | null;
      try {
        problem = this.validator.check(row.config, row.config_schema, { requireAll: true })?.message ?? null;
      } catch (error) {
        if (error instanceof InvalidConfigSchemaError) throw new Refusal(error.message);
        throw error;
      }
      if (problem) throw new Refusal(`cannot enable ${named}: ${problem}; complete the config first (admin console)`);
    }
    await client.query('update plugin_interfaces set enabled = $2, updated_at = now() where id = $1', [id, enable]);
    await audit(enable ? 'plugin_interface.enable' : 'plugin_interface.disable', 'plugin_interface', { displayName: row.display_name });
    return `${enable ? 'enabled' : 'disabled'} plugin interface ${named}`;
  }
}
