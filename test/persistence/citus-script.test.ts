/**
 * scripts/citus-distribute.sql (README "Moving to Citus") names exactly the tables of
 * src/persistence/distribution.ts, each with the right Citus call, in an order Citus accepts (a
 * table after every table it has a foreign key to). Citus is not installed here: the script's
 * text is checked, and the order against the foreign keys of a migrated database.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTRIBUTED_TABLES, REFERENCE_TABLES, citusDistributeSql } from '../../src/persistence/distribution.ts';
import { migratedTestDatabase, queryRows, type MigratedTestDatabase } from '../support/db.ts';

const SCRIPT = new URL('../../scripts/citus-distribute.sql', import.meta.url);

type Call = { fn: 'create_reference_table' | 'create_distributed_table'; table: string; column?: string; colocateWith?: string };

/** The `select create_…_table(…)` calls of `sql`, in order. */
function callsOf(sql: string): Call[] {
  const calls: Call[] = [];
  for (const line of sql.split('\n')) {
    const reference = /^select create_reference_table\('(\w+)'\);$/.exec(line);
    if (reference) calls.push({ fn: 'create_reference_table', table: reference[1]! });
    const distributed = /^select create_distributed_table\('(\w+)', '(\w+)'(?:, colocate_with => '(\w+)')?\);$/.exec(line);
    if (distributed) calls.push({ fn: 'create_distributed_table', table: distributed[1]!, column: distributed[2]!, ...(distributed[3] ? { colocateWith: distributed[3] } : {}) });
  }
  return calls;
}

describe('scripts/citus-distribute.sql', () => {
  let script: string;
  let database: MigratedTestDatabase;

  beforeAll(async () => {
    script = await readFile(SCRIPT, 'utf8');
    database = await migratedTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('is the text citusDistributeSql() generates (regenerate it as distribution.ts says)', () => {
    expect(script).toBe(citusDistributeSql());
  });

  it('has no statement but the settings, the calls and the transaction', () => {
    const statements = script.split('\n').filter(line => line !== '' && !line.startsWith('--'));
    const other = statements.filter(line => !/^select create_(reference|distributed)_table\(/.test(line));
    expect(other).toEqual([
      '\\set ON_ERROR_STOP on',
      'begin;',
      'set local citus.enable_unsafe_triggers to on;',
      "set local citus.multi_shard_modify_mode to 'sequential';",
      'set local citus.shard_count to 64;',
      'commit;',
    ]);
    expect(callsOf(script)).toHaveLength(statements.length - other.length);
  });

  it('makes exactly REFERENCE_TABLES reference tables', () => {
    const tables = callsOf(script).filter(call => call.fn === 'create_reference_table').map(call => call.table);
    expect(tables).toEqual([...REFERENCE_TABLES]);
  });

  it('distributes exactly DISTRIBUTED_TABLES by their column, customers first and the rest colocated with it', () => {
    const calls = callsOf(script).filter(call => call.fn === 'create_distributed_table');
    expect(calls).toEqual(
      DISTRIBUTED_TABLES.map(({ table, column }) =>
        table === 'customers' ? { fn: 'create_distributed_table', table, column } : { fn: 'create_distributed_table', table, column, colocateWith: 'customers' },
      ),
    );
    expect(calls[0]?.table).toBe('customers');
  });

  it('creates every table after the tables its foreign keys point at', async () => {
    const order = callsOf(script).map(call => call.table);
    const foreignKeys = await queryRows<{ table: string; name: string; target: string }>(
      database.url,
      `select conrelid::regclass::text as table, conname as name, confrelid::regclass::text as target
         from pg_constraint where connamespace = 'public'::regnamespace and contype = 'f' and conrelid <> confrelid`,
    );
    expect(foreignKeys.length).toBeGreaterThan(0);
    const early = foreignKeys
      .filter(fk => order.indexOf(fk.target) < 0 || order.indexOf(fk.target) > order.indexOf(fk.table))
      .map(fk => `${fk.table} (${fk.name}) comes before ${fk.target}`);
    expect(early).toEqual([]);
  });
});
