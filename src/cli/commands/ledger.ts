/**
 * `ledger check`: verifies the money invariant of every customer (deleted ones too), the rule the
 * money tests hold the server to (test/support/money-fixture.ts moneyInvariant):
 * - the sum of the customer's ledger entries (`balance_transactions.amount`) equals its balance;
 * - every entry's `balance_after` = `balance_before` + `amount`;
 * - the balance is not below −`credit_limit`.
 * Customers are read in batches by id (a progress bar on a terminal); the comparisons use
 * decimal.js on the database's NUMERIC text, never JavaScript numbers.
 */
import { Decimal } from 'decimal.js';
import { EXIT, noPositionals, out, parse, wholeNumber, withPool, type CommandGroup } from '../context.ts';
import { startProgress } from '../progress.ts';

const HELP = `npm run cli -- ledger COMMAND

  ledger check [--batch N]
      verifies for every customer: sum of ledger entries = balance; each entry's
      balance_after = balance_before + amount; balance >= -credit_limit. Prints every difference.
      --batch: customers read per query (default 1000)

Exit codes: 0 the ledger is consistent, 1 a difference was found (or the check failed), 2 bad arguments.
`;

/** One customer's figures as the check reads them. */
export interface LedgerFigures {
  id: string;
  name: string;
  balance: string;
  creditLimit: string;
  ledgerSum: string;
  badEntryIds: string[];
}

/** The differences of one customer, one sentence each (empty when it is consistent). Pure. */
export function ledgerProblems(figures: LedgerFigures): string[] {
  const problems: string[] = [];
  const balance = new Decimal(figures.balance);
  const sum = new Decimal(figures.ledgerSum);
  if (!sum.equals(balance)) problems.push(`balance ${balance.toFixed(2)} but ledger entries sum to ${sum.toFixed(2)} (difference ${balance.minus(sum).toFixed(2)})`);
  if (figures.badEntryIds.length > 0) {
    const shown = figures.badEntryIds.slice(0, 5).join(', ');
    problems.push(`${figures.badEntryIds.length} ledger entr${figures.badEntryIds.length === 1 ? 'y has' : 'ies have'} balance_after ≠ balance_before + amount: ${shown}${figures.badEntryIds.length > 5 ? ', …' : ''}`);
  }
  const floor = new Decimal(figures.creditLimit).negated();
  if (balance.lessThan(floor)) problems.push(`balance ${balance.toFixed(2)} is below -credit_limit ${floor.toFixed(2)}`);
  return problems;
}

async function check(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { batch: { type: 'string', default: '1000' } });
  noPositionals(positionals, 'npm run cli -- ledger check [--batch N]');
  const batch = wholeNumber(values.batch, '--batch');
  return withPool(async (pool) => {
    const totals = await pool.query<{ customers: string; entries: string }>(
      'select (select count(*) from customers)::text as customers, (select count(*) from balance_transactions)::text as entries');
    const customers = Number(totals.rows[0]?.customers ?? 0);
    const progress = startProgress('ledger ', customers);
    let checked = 0;
    let broken = 0;
    // Printed once the bar is gone, so the two never interleave on a terminal.
    const report: string[] = [];
    let after = '00000000-0000-0000-0000-000000000000';
    try {
      for (;;) {
        const rows = await pool.query<{ id: string; name: string; balance: string; credit_limit: string; ledger: string; bad_entries: string[] | null }>(
          `select c.id, c.name, c.balance::text, c.credit_limit::text, coalesce(l.total, 0)::text as ledger, l.bad_entries
             from customers c
             left join lateral (
               select sum(t.amount) as total,
                      array_agg(t.id::text order by t.created_at, t.id) filter (where t.balance_after <> t.balance_before + t.amount) as bad_entries
                 from balance_transactions t where t.customer_id = c.id
             ) l on true
            where c.id > $1 order by c.id limit $2`,
          [after, batch],
        );
        for (const row of rows.rows) {
          const problems = ledgerProblems({ id: row.id, name: row.name, balance: row.balance, creditLimit: row.credit_limit, ledgerSum: row.ledger, badEntryIds: row.bad_entries ?? [] });
          if (problems.length > 0) {
            broken += 1;
            for (const problem of problems) report.push(`customer ${row.id} (${row.name}): ${problem}`);
          }
        }
        checked += rows.rows.length;
        progress.tick(rows.rows.length);
        const last = rows.rows.at(-1);
        if (!last || rows.rows.length < batch) break;
        after = last.id;
      }
    } finally {
      progress.stop();
    }
    for (const line of report) out(line);
    const entries = totals.rows[0]?.entries ?? '0';
    if (broken > 0) {
      out(`ledger check FAILED: ${broken} of ${checked} customer(s) inconsistent (${entries} ledger entries)`);
      return EXIT.failed;
    }
    out(`ledger check passed: ${checked} customer(s), ${entries} ledger entries consistent`);
    return EXIT.ok;
  });
}

/** The `ledger` command group. */
export const ledgerGroup: CommandGroup = {
  name: 'ledger',
  summary: 'the money invariant of every customer (ledger check)',
  help: HELP,
  commands: ['check'],
  run: (_command, args) => check(args),
};
