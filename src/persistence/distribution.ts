/**
 * How NodeBill's tables are placed on a Citus cluster (issue 15; HA guide §7; README "Moving to
 * Citus"). The one list of record: migration 0015 made the schema satisfy Citus' rules for it,
 * test/persistence/citus-schema.test.ts checks those rules against the catalog for every table
 * listed here (and that every table of the schema is listed), and scripts/citus-distribute.sql
 * (checked against these lists by test/persistence/citus-script.test.ts) runs the
 * `create_reference_table` / `create_distributed_table` calls.
 *
 * Citus' rules, as checked: a distributed table's primary key and every unique constraint or
 * index contain the distribution column; a foreign key between distributed tables contains it on
 * both sides, column to column, and does not SET NULL / SET DEFAULT on delete nor change it on
 * update; a reference table has no foreign key to a distributed table.
 */

/** A table sharded by customer, and the column holding the customer's id. */
export type DistributedTable = {
  /** Table name (schema `public`). */
  table: string;
  /** Distribution column: `customer_id`, or `id` for `customers` itself. */
  column: string;
  /** Why the table is distributed (for the reader; not used by code). */
  reason: string;
};

/**
 * The tables distributed by customer, all colocated with `customers` (one customer's rows live
 * on one worker, so the money path's transaction stays on one node). `customers` comes first: the
 * others are colocated with it and reference it.
 *
 * The HA guide's ten (customers … ticket_replies), plus NodeBill's other customer-owned tables:
 * each either has a foreign key to a distributed table (which a reference table may not have)
 * or is written on a customer's money path.
 */
export const DISTRIBUTED_TABLES: readonly DistributedTable[] = [
  { table: 'customers', column: 'id', reason: 'HA guide §7.2: the customer root; its id is the distribution key' },
  { table: 'customer_users', column: 'customer_id', reason: 'HA guide §7.2: a customer’s logins' },
  { table: 'orders', column: 'customer_id', reason: 'HA guide §7.2: order actor snapshots' },
  { table: 'invoices', column: 'customer_id', reason: 'HA guide §7.2' },
  { table: 'invoice_items', column: 'customer_id', reason: 'HA guide §7.2: the lines of a customer’s invoice' },
  { table: 'payments', column: 'customer_id', reason: 'HA guide §7.2: written with the order in one transaction' },
  { table: 'instances', column: 'customer_id', reason: 'HA guide §7.2' },
  { table: 'balance_transactions', column: 'customer_id', reason: 'HA guide §7.2: the ledger, written with the customer row' },
  { table: 'tickets', column: 'customer_id', reason: 'HA guide §7.2' },
  { table: 'ticket_replies', column: 'customer_id', reason: 'HA guide §7.2' },
  {
    table: 'customer_commands',
    column: 'customer_id',
    reason: 'idempotency records of the customer actor, written in the snapshot transaction',
  },
  { table: 'customer_scores', column: 'customer_id', reason: 'CRM: one row per customer, foreign key to customers' },
  {
    table: 'refresh_tokens',
    column: 'customer_id',
    reason: 'foreign keys to customers and customer_users (deleted with the user)',
  },
  {
    table: 'api_keys',
    column: 'customer_id',
    reason:
      'the HA guide lists it as a reference table, but its foreign key to customers (a deleted customer’s keys must go with it) ' +
      'forbids that, and last_used_at is written on every use; authentication looks it up by key_hash (indexed)',
  },
  { table: 'service_renewals', column: 'customer_id', reason: 'recurring billing: foreign keys to orders and invoices' },
  {
    table: 'promotion_redemptions',
    column: 'customer_id',
    reason: 'written with the order on the money path; foreign key to orders',
  },
];

/**
 * The tables copied to every worker: no customer of their own, small, read everywhere (catalog,
 * plugins, admins, configuration, cluster coordination). None has a foreign key to a distributed
 * table; distributed tables may point at them (products, admin_users, promotion_codes).
 *
 * - `admin_users`, `sessions`, `products`, `product_categories`, `product_groups`, `plugins`,
 *   `plugin_interfaces`, `instance_heartbeat`, `leader_role`, `event_queue`: the HA guide's §7.3
 *   (its `api_keys` is distributed instead, see {@link DISTRIBUTED_TABLES}).
 * - `plugin_state`: per-interface key/value state of plugins (foreign key to plugin_interfaces).
 * - `shard_leases`: the 64 shard leases of issue 15 (cluster coordination, no customer).
 * - `operation_logs`, `customer_imports`: admin audit and import jobs, not owned by one customer.
 * - `verification_codes`: keyed by e-mail address before any customer exists.
 * - `invoice_number_counters`: the gap-free invoice number per year, shared by all customers.
 * - `promotion_codes`, `tax_rules`: billing configuration.
 * - `global_unique_keys`: the cross-customer uniqueness of usernames, e-mail addresses, customer
 *   codes and provider instance ids (migration 0015).
 *
 * `mikro_orm_migrations` (the migrator's own table) is neither: it stays a local table on the
 * coordinator, where migrations run.
 */
export const REFERENCE_TABLES: readonly string[] = [
  'admin_users',
  'sessions',
  'verification_codes',
  'plugins',
  'plugin_interfaces',
  'plugin_state',
  'product_categories',
  'product_groups',
  'products',
  'promotion_codes',
  'tax_rules',
  'invoice_number_counters',
  'event_queue',
  'operation_logs',
  'customer_imports',
  'instance_heartbeat',
  'leader_role',
  'shard_leases',
  'global_unique_keys',
];

/** The migrator's bookkeeping table, left local on the coordinator (see {@link REFERENCE_TABLES}). */
export const LOCAL_TABLES: readonly string[] = ['mikro_orm_migrations'];

/**
 * The SQL that distributes the schema on a Citus coordinator, one statement per line: first the
 * reference tables (in {@link REFERENCE_TABLES} order, parents before the tables that point at
 * them), then `customers` by `id`, then every other distributed table by `customer_id`, colocated
 * with `customers` (parents first: the order of {@link DISTRIBUTED_TABLES} respects the foreign
 * keys). scripts/citus-distribute.sql is this text; the test checks that they agree. Regenerate it with
 * `./node_modules/.bin/node -e "import('./src/persistence/distribution.ts').then(m => process.stdout.write(m.citusDistributeSql()))" > scripts/citus-distribute.sql`.
 */
export function citusDistributeSql(): string {
  const lines = [
    '-- Generated from src/persistence/distribution.ts (citusDistributeSql); test/persistence/citus-script.test.ts',
    '-- checks that this file names exactly the tables listed there. Run it once on the Citus coordinator,',
    '-- after the migrations (README "Moving to Citus"). It runs in one transaction: all or nothing.',
    '\\set ON_ERROR_STOP on',
    'begin;',
    // Citus refuses to distribute tables with triggers unless told they are safe (ours only touch
    // the row's own shard or reference tables; see the README).
    'set local citus.enable_unsafe_triggers to on;',
    "set local citus.multi_shard_modify_mode to 'sequential';",
    // The HA guide's recommendation (§7.5): 64 shards, 32 per worker on two workers.
    'set local citus.shard_count to 64;',
    ...REFERENCE_TABLES.map(table => `select create_reference_table('${table}');`),
    ...DISTRIBUTED_TABLES.map(({ table, column }) =>
      table === 'customers'
        ? `select create_distributed_table('${table}', '${column}');`
        : `select create_distributed_table('${table}', '${column}', colocate_with => 'customers');`,
    ),
    'commit;',
  ];
  return `${lines.join('\n')}\n`;
}
