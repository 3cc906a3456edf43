/**
 * The schema is Citus-ready (issue 15, HA guide §7): on a freshly migrated database, the catalog
 * is read and every rule Citus imposes is checked for every table of src/persistence/distribution.ts,
 * and the lists are checked to cover the whole schema. Each violation names the table and the
 * constraint or index that breaks the rule, so a failure says what to fix.
 *
 * The last test runs the same checker on deliberately broken tables, so the checker itself is
 * shown to find each kind of violation (and the suite fails on the schema before migration 0015).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { newId } from '../../src/lib/ids.ts';
import { DISTRIBUTED_TABLES, LOCAL_TABLES, REFERENCE_TABLES, type DistributedTable } from '../../src/persistence/distribution.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';

type Queryable = Pick<Client, 'query'>;

type ConstraintRow = { table: string; name: string; type: 'p' | 'u' | 'f' | 'x'; columns: string[] };
type IndexRow = { table: string; name: string; columns: (string | null)[] };
type ForeignKeyRow = {
  table: string;
  name: string;
  columns: string[];
  target: string;
  targetColumns: string[];
  onDelete: string;
  onUpdate: string;
};

/** Every base table of schema `public`. */
async function tablesOf(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ table: string }>(
    `select c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`,
  );
  return rows.map(row => row.table);
}

/**
 * Checks Citus' rules on the schema `db` holds, for the given placement, and returns one message
 * per violation (empty: ready). Rules (Citus 12 docs, "Distributing by tenant ID"; citus
 * foreign_constraint.c):
 * 1. every table of the schema but `local` is listed exactly once (distributed or reference);
 * 2. a distributed table has its distribution column, NOT NULL;
 * 3. its primary key, unique/exclusion constraints and unique indexes contain that column;
 * 4. a foreign key between distributed tables maps the distribution column to the distribution
 *    column, at the same position;
 * 5. a foreign key containing the distribution column does not SET NULL / SET DEFAULT on delete
 *    nor CASCADE / SET NULL / SET DEFAULT on update;
 * 6. a reference table has no foreign key to a distributed table.
 */
async function citusViolations(
  db: Queryable,
  distributed: readonly DistributedTable[],
  reference: readonly string[],
  local: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  const distColumn = new Map(distributed.map(entry => [entry.table, entry.column]));
  const referenceSet = new Set(reference);

  // 1. coverage
  const tables = await tablesOf(db);
  const listed = [...distributed.map(entry => entry.table), ...reference];
  for (const table of tables) {
    if (!listed.includes(table) && !local.includes(table)) problems.push(`${table}: in the schema but in neither DISTRIBUTED_TABLES nor REFERENCE_TABLES`);
  }
  for (const table of listed) {
    if (!tables.includes(table)) problems.push(`${table}: listed but not in the schema`);
    if (listed.filter(name => name === table).length > 1) problems.push(`${table}: listed more than once`);
  }

  // 2. the distribution column
  const { rows: columns } = await db.query<{ table: string; column: string; not_null: boolean }>(
    `select c.relname as table, a.attname as column, a.attnotnull as not_null
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and a.attnum > 0 and not a.attisdropped`,
  );
  for (const { table, column } of distributed) {
    const found = columns.find(row => row.table === table && row.column === column);
    if (!found) problems.push(`${table}: has no distribution column ${column}`);
    else if (!found.not_null) problems.push(`${table}.${column}: the distribution column is nullable`);
  }

  // 3. keys and unique indexes
  const { rows: constraints } = await db.query<ConstraintRow>(
    `select c.conrelid::regclass::text as table, c.conname as name, c.contype as type,
            array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, i)
                  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.i) as columns
       from pg_constraint c where c.connamespace = 'public'::regnamespace and c.contype in ('p', 'u', 'x')`,
  );
  const { rows: uniqueIndexes } = await db.query<IndexRow>(
    `select i.indrelid::regclass::text as table, i.indexrelid::regclass::text as name,
            array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality k(attnum, n)
                  left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.n) as columns
       from pg_index i join pg_class c on c.oid = i.indrelid
      where c.relnamespace = 'public'::regnamespace and i.indisunique`,
  );
  for (const { table, column } of distributed) {
    const primary = constraints.find(row => row.table === table && row.type === 'p');
    if (!primary) problems.push(`${table}: has no primary key`);
    for (const constraint of constraints.filter(row => row.table === table)) {
      if (!constraint.columns.includes(column)) {
        const kind = constraint.type === 'p' ? 'primary key' : constraint.type === 'u' ? 'unique constraint' : 'exclusion constraint';
        problems.push(`${table}: ${kind} ${constraint.name} (${constraint.columns.join(', ')}) does not contain ${column}`);
      }
    }
    for (const index of uniqueIndexes.filter(row => row.table === table)) {
      if (!index.columns.includes(column)) {
        const shown = index.columns.map(name => name ?? '<expression>').join(', ');
        problems.push(`${table}: unique index ${index.name} (${shown}) does not contain ${column}`);
      }
    }
  }

  // 4.-6. foreign keys
  const { rows: foreignKeys } = await db.query<ForeignKeyRow>(
    `select c.conrelid::regclass::text as table, c.conname as name, c.confrelid::regclass::text as target,
            array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, i)
                  join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.i) as columns,
            array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, i)
                  join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.i) as "targetColumns",
            c.confdeltype as "onDelete", c.confupdtype as "onUpdate"
       from pg_constraint c where c.connamespace = 'public'::regnamespace and c.contype = 'f'`,
  );
  const actionName: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
  for (const fk of foreignKeys) {
    const shown = `${fk.table}: foreign key ${fk.name} (${fk.columns.join(', ')}) -> ${fk.target} (${fk.targetColumns.join(', ')})`;
    const sourceColumn = distColumn.get(fk.table);
    const targetColumn = distColumn.get(fk.target);
    if (referenceSet.has(fk.table) && targetColumn !== undefined) {
      problems.push(`${shown}: a reference table points at a distributed table`);
    }
    if (sourceColumn !== undefined && targetColumn !== undefined) {
      const at = fk.columns.indexOf(sourceColumn);
      if (at < 0) problems.push(`${shown}: does not contain the distribution column ${sourceColumn}`);
      else if (fk.targetColumns[at] !== targetColumn) {
        problems.push(`${shown}: maps ${sourceColumn} to ${fk.targetColumns[at]}, not to the distribution column ${targetColumn}`);
      }
    }
    if (sourceColumn !== undefined && fk.columns.includes(sourceColumn)) {
      if (fk.onDelete === 'n' || fk.onDelete === 'd') problems.push(`${shown}: ON DELETE ${actionName[fk.onDelete]} with the distribution column in the key`);
      if (fk.onUpdate === 'c' || fk.onUpdate === 'n' || fk.onUpdate === 'd') {
        problems.push(`${shown}: ON UPDATE ${actionName[fk.onUpdate]} with the distribution column in the key`);
      }
    }
  }
  return problems;
}

describe('the Citus-ready schema (src/persistence/distribution.ts)', () => {
  let database: MigratedTestDatabase;
  let client: Client;

  beforeAll(async () => {
    database = await migratedTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('lists every table of the schema once, as distributed or reference (the migrations table stays local)', async () => {
    const tables = await tablesOf(client);
    const listed = [...DISTRIBUTED_TABLES.map(entry => entry.table), ...REFERENCE_TABLES, ...LOCAL_TABLES];
    expect([...listed].sort()).toEqual(tables);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('distributes the HA guide’s ten tables by customer (customers by its id)', () => {
    const guide = ['customers', 'customer_users', 'orders', 'invoices', 'invoice_items', 'payments', 'instances', 'balance_transactions', 'tickets', 'ticket_replies'];
    const byTable = new Map(DISTRIBUTED_TABLES.map(entry => [entry.table, entry.column]));
    expect(guide.map(table => [table, byTable.get(table)])).toEqual(guide.map(table => [table, table === 'customers' ? 'id' : 'customer_id']));
    expect(DISTRIBUTED_TABLES[0]?.table).toBe('customers');
  });

  it('breaks none of Citus’ rules on any listed table', async () => {
    expect(await citusViolations(client, DISTRIBUTED_TABLES, REFERENCE_TABLES, LOCAL_TABLES)).toEqual([]);
  });

  it('keeps single-node look-ups by id indexed: a plain index leads with the old key of every re-keyed table', async () => {
    const { rows } = await client.query<{ table: string; first: string }>(
      `select i.indrelid::regclass::text as table, a.attname::text as first
         from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
         join pg_class c on c.oid = i.indrelid where c.relnamespace = 'public'::regnamespace`,
    );
    const missing = DISTRIBUTED_TABLES.filter(({ table }) => !['customers', 'customer_scores', 'customer_commands'].includes(table))
      .map(({ table }) => ({ table, key: table === 'refresh_tokens' ? 'jti' : 'id' }))
      .filter(({ table, key }) => !rows.some(row => row.table === table && row.first === key))
      .map(({ table, key }) => `${table}.${key}`);
    expect(missing).toEqual([]);
  });

  it('keeps usernames, e-mail addresses, customer codes and provider instance ids unique across customers', async () => {
    await client.query('begin');
    try {
      const [a, b] = [newId(), newId()];
      const customer = (id: string, email: string, code: string) =>
        client.query(`insert into customers (id, name, email, customer_code) values ($1, 'c', $2, $3)`, [id, email, code]);
      const user = (customerId: string, username: string, email: string) =>
        client.query(`insert into customer_users (id, customer_id, username, email, password_hash) values ($1, $2, $3, $4, 'x')`, [newId(), customerId, username, email]);
      const duplicate = async (work: () => Promise<unknown>, constraint: string) => {
        await client.query('savepoint probe');
        await expect(work()).rejects.toMatchObject({ code: '23505', constraint });
        await client.query('rollback to savepoint probe');
      };
      await customer(a, 'Shared@Example.com', 'A-1');
      await duplicate(() => customer(b, 'shared@example.COM', 'B-1'), 'customers_email_lower_unique');
      await duplicate(() => customer(b, 'b@example.com', 'a-1'), 'customers_customer_code_lower_unique');
      await customer(b, 'b@example.com', 'B-1');
      // Empty e-mail addresses are not claimed.
      await client.query(`insert into customers (id, name, email, customer_code) values ($1, 'c', '', 'E-1'), ($2, 'c', '', 'E-2')`, [newId(), newId()]);

      await user(a, 'alice', 'alice@example.com');
      await duplicate(() => user(b, 'alice', 'other@example.com'), 'customer_users_username_unique');
      await duplicate(() => user(b, 'alice2', 'ALICE@example.com'), 'customer_users_email_lower_unique');
      // A changed or deleted value is free again; the new one is taken.
      await client.query(`update customer_users set username = 'alice-renamed', email = 'new@example.com' where username = 'alice'`);
      await user(b, 'alice', 'alice@example.com');
      await duplicate(() => user(b, 'alice-renamed', 'x@example.com'), 'customer_users_username_unique');
      await client.query(`delete from customer_users where username = 'alice-renamed'`);
      await user(b, 'alice-renamed', 'new@example.com');
      await client.query(`update customers set email = 'moved@example.com' where id = $1`, [a]);
      await client.query(`update customers set email = 'shared@example.com' where id = $1`, [b]);

      const instance = (customerId: string, providerInstanceId: string) =>
        client.query(`insert into instances (id, customer_id, provider_interface_id, provider_instance_id) values ($1, $2, $3, $4)`, [
          newId(), customerId, '00000000-0000-7000-8000-000000000001', providerInstanceId]);
      await instance(a, 'vm-1');
      await duplicate(() => instance(b, 'vm-1'), 'instances_provider_interface_id_provider_instance_id_unique');
      await instance(b, 'vm-2');

      const { rows } = await client.query<{ scope: string; count: string }>('select scope, count(*)::text as count from global_unique_keys group by scope order by scope');
      expect(rows).toEqual([
        { scope: 'customer_users_email_lower_unique', count: '2' },
        { scope: 'customer_users_username_unique', count: '2' },
        { scope: 'customers_customer_code_lower_unique', count: '4' },
        { scope: 'customers_email_lower_unique', count: '2' },
        { scope: 'instances_provider_interface_id_provider_instance_id_unique', count: '2' },
      ]);
    } finally {
      await client.query('rollback');
    }
  });

  it('finds each kind of violation (the checker can fail)', async () => {
    await client.query('begin');
    try {
      await client.query(`
        create table probe_parent (customer_id uuid not null, id uuid not null, code text, constraint probe_parent_pkey primary key (id),
          constraint probe_parent_code_unique unique (code));
        create unique index probe_parent_code_lower_unique on probe_parent (lower(code));
        create table probe_child (customer_id uuid null, id uuid primary key, parent_id uuid,
          other_customer uuid,
          constraint probe_child_parent_foreign foreign key (parent_id) references probe_parent (id),
          constraint probe_child_customer_unique unique (customer_id, id));
        alter table probe_parent add constraint probe_parent_customer_id_id_unique unique (customer_id, id);
        create table probe_wrong (customer_id uuid not null, id uuid not null, parent_customer uuid, parent_id uuid,
          constraint probe_wrong_pkey primary key (customer_id, id),
          constraint probe_wrong_parent_foreign foreign key (parent_customer, customer_id) references probe_parent (customer_id, id) on delete set null);
        create table probe_reference (id uuid primary key, parent_customer uuid, parent_id uuid,
          constraint probe_reference_parent_foreign foreign key (parent_customer, parent_id) references probe_parent (customer_id, id));
        create table probe_unlisted (id uuid primary key)`);
      const distributed = [
        ...DISTRIBUTED_TABLES,
        { table: 'probe_parent', column: 'customer_id', reason: 'probe' },
        { table: 'probe_child', column: 'customer_id', reason: 'probe' },
        { table: 'probe_wrong', column: 'customer_id', reason: 'probe' },
        { table: 'probe_missing', column: 'customer_id', reason: 'probe' },
      ];
      const problems = await citusViolations(client, distributed, [...REFERENCE_TABLES, 'probe_reference'], LOCAL_TABLES);
      expect(problems.sort()).toEqual(
        [
          'probe_unlisted: in the schema but in neither DISTRIBUTED_TABLES nor REFERENCE_TABLES',
          'probe_missing: listed but not in the schema',
          'probe_missing: has no distribution column customer_id',
          'probe_missing: has no primary key',
          'probe_child.customer_id: the distribution column is nullable',
          'probe_parent: primary key probe_parent_pkey (id) does not contain customer_id',
          'probe_parent: unique constraint probe_parent_code_unique (code) does not contain customer_id',
          'probe_parent: unique index probe_parent_pkey (id) does not contain customer_id',
          'probe_parent: unique index probe_parent_code_unique (code) does not contain customer_id',
          'probe_parent: unique index probe_parent_code_lower_unique (<expression>) does not contain customer_id',
          'probe_child: primary key probe_child_pkey (id) does not contain customer_id',
          'probe_child: unique index probe_child_pkey (id) does not contain customer_id',
          'probe_child: foreign key probe_child_parent_foreign (parent_id) -> probe_parent (id): does not contain the distribution column customer_id',
          'probe_wrong: foreign key probe_wrong_parent_foreign (parent_customer, customer_id) -> probe_parent (customer_id, id): maps customer_id to id, not to the distribution column customer_id',
          'probe_wrong: foreign key probe_wrong_parent_foreign (parent_customer, customer_id) -> probe_parent (customer_id, id): ON DELETE SET NULL with the distribution column in the key',
          'probe_reference: foreign key probe_reference_parent_foreign (parent_customer, parent_id) -> probe_parent (customer_id, id): a reference table points at a distributed table',
        ].sort(),
      );
    } finally {
      await client.query('rollback');
    }
  });
});
