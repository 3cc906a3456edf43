import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ALL_ENTITIES } from '../../src/persistence/entities/index.ts';
import { createOrm } from '../../src/persistence/orm.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';

/** The customer-owned tables: each must carry `customer_id NOT NULL` (Citus distribution key). */
const CUSTOMER_OWNED_TABLES = [
  'customer_users',
  'customer_commands',
  'customer_scores',
  'refresh_tokens',
  'api_keys',
  'orders',
  'instances',
  'invoices',
  'invoice_items',
  'payments',
  'balance_transactions',
  'tickets',
  'ticket_replies',
  'service_renewals',
  'promotion_redemptions',
];

describe('schema', () => {
  let database: MigratedTestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    database = await migratedTestDatabase();
    orm = await createOrm({ url: database.url, poolMin: 0, poolMax: 4 });
  });
  afterAll(async () => {
    await orm?.close();
    await database?.drop();
  });

  it('of the migrated database matches the entities (MikroORM finds nothing to change)', async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.replace(/set names 'utf8';/g, '').trim()).toBe('');
    const migrationDiff = await orm.schema.getUpdateSchemaMigrationSQL({ wrap: false });
    expect(migrationDiff.up.replace(/set names 'utf8';/g, '').trim()).toBe('');
  });

  it('has no pending migrations after migrating', async () => {
    expect(await orm.migrator.getPending()).toEqual([]);
  });

  it('has customer_id NOT NULL on every customer-owned table', async () => {
    const rows = await orm.em.getConnection().execute<{ table_name: string; is_nullable: string }[]>(
      `select table_name, is_nullable from information_schema.columns
        where table_schema = 'public' and column_name = 'customer_id' and table_name in (?)
        order by table_name`,
      [CUSTOMER_OWNED_TABLES],
    );
    expect(rows.map(row => row.table_name)).toEqual([...CUSTOMER_OWNED_TABLES].sort());
    expect(rows.every(row => row.is_nullable === 'NO')).toBe(true);
  });

  it('stores every money column as numeric(12,2)', async () => {
    const rows = await orm.em.getConnection().execute<{ column: string; type: string }[]>(
      `select table_name || '.' || column_name as column, format_type(a.atttypid, a.atttypmod) as type
         from information_schema.columns c
         join pg_attribute a on a.attrelid = (quote_ident(c.table_name))::regclass and a.attname = c.column_name
        where c.table_schema = 'public' and c.data_type = 'numeric'
        order by 1`,
    );
    const moneyColumns = [
      'balance_transactions.amount',
      'balance_transactions.balance_after',
      'balance_transactions.balance_before',
      'customers.balance',
      'customers.credit_limit',
      'invoice_items.amount',
      'invoice_items.unit_price',
      'invoices.amount',
      'invoices.paid_amount',
      'invoices.tax_amount',
      'invoices.total_amount',
      'orders.amount',
      'orders.discount_amount',
      'orders.period_price',
      'orders.renewal_amount',
      'orders.tax_amount',
      'payments.amount',
      'payments.refunded_amount',
      'products.cost_price',
      'products.price_per_month',
      'promotion_codes.value',
      'promotion_redemptions.discount_amount',
      'service_renewals.amount',
    ];
    // Not money: the CRM's rating score (0-100 points) and tax rates (0-100 percent), two decimals.
    const notMoney = ['customer_scores.rating_score', 'tax_rules.rate'];
    const scores = rows.filter(row => notMoney.includes(row.column));
    expect(scores.map(row => row.type)).toEqual(['numeric(5,2)', 'numeric(5,2)']);
    const money = rows.filter(row => !notMoney.includes(row.column));
    expect(money.map(row => row.column)).toEqual(moneyColumns);
    expect(new Set(money.map(row => row.type))).toEqual(new Set(['numeric(12,2)']));
  });

  it('uses timestamptz for every point in time', async () => {
    const rows = await orm.em.getConnection().execute<{ column: string }[]>(
      `select table_name || '.' || column_name as column from information_schema.columns
        where table_schema = 'public' and data_type = 'timestamp without time zone'`,
    );
    expect(rows).toEqual([]);
  });

  it('declares a table for every entity', () => {
    const tables = ALL_ENTITIES.map(entity => entity.meta.tableName);
    expect(new Set(tables).size).toBe(tables.length);
    expect(tables).toEqual(
      expect.arrayContaining([
        'admin_users',
        'customer_users',
        'sessions',
        'verification_codes',
        'customers',
        'products',
        'product_groups',
        'product_categories',
        'orders',
        'instances',
        'payments',
        'invoices',
        'invoice_items',
        'balance_transactions',
        'tickets',
        'ticket_replies',
        'plugins',
        'plugin_interfaces',
        'plugin_state',
        'api_keys',
        'event_queue',
        'operation_logs',
        'instance_heartbeat',
        'refresh_tokens',
      ]),
    );
  });
});
