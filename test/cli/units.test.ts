/**
 * The CLI's pure pieces and its dispatcher: the ledger rules, URL handling for pg_dump, the
 * progress bar's TTY rule, table layout, help and exit codes.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { libpqConnection, redactUrl } from '../../src/cli/commands/db.ts';
import { ledgerProblems } from '../../src/cli/commands/ledger.ts';
import { fields, table } from '../../src/cli/context.ts';
import { startProgress } from '../../src/cli/progress.ts';
import { describePresence, serverIsRunning } from '../../src/cli/running-server.ts';
import { runCli } from './support.ts';

/** A stream that records what is written to it, claiming to be a terminal or not. */
function recorder(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  Object.assign(stream, { isTTY, columns: 100 });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => written };
}

describe('ledgerProblems', () => {
  const base = { id: 'c', name: 'n', balance: '10.00', creditLimit: '0.00', ledgerSum: '10.00', badEntryIds: [] };
  it('finds nothing in a consistent customer, also at the credit limit exactly', () => {
    expect(ledgerProblems(base)).toEqual([]);
    expect(ledgerProblems({ ...base, balance: '-50.00', ledgerSum: '-50.0', creditLimit: '50.00' })).toEqual([]);
  });
  it('names a balance that differs from the ledger sum, with the difference', () => {
    expect(ledgerProblems({ ...base, ledgerSum: '9.99' })).toEqual(['balance 10.00 but ledger entries sum to 9.99 (difference 0.01)']);
  });
  it('names entries with wrong arithmetic (at most five ids) and a balance under the credit limit', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(ledgerProblems({ ...base, badEntryIds: ids })).toEqual(['6 ledger entries have balance_after ≠ balance_before + amount: a, b, c, d, e, …']);
    expect(ledgerProblems({ ...base, balance: '-50.01', ledgerSum: '-50.01', creditLimit: '50.00' })).toEqual(['balance -50.01 is below -credit_limit -50.00']);
  });
});

describe('database URLs for pg_dump', () => {
  it('moves the password out of the command line into PGPASSWORD', () => {
    expect(libpqConnection('postgres://nb:s%40cret@db.local:5433/nodebill')).toEqual({ dbname: 'postgres://nb@db.local:5433/nodebill', env: { PGPASSWORD: 's@cret' } });
    expect(libpqConnection('postgres://postgres@127.0.0.1/x')).toEqual({ dbname: 'postgres://postgres@127.0.0.1/x', env: {} });
  });
  it('redacts passwords in messages', () => {
    expect(redactUrl('postgres://nb:secret@db.local/nodebill')).toBe('postgres://nb:***@db.local/nodebill');
    expect(redactUrl('not a url')).toBe('(unparsable database URL)');
  });
});

describe('startProgress', () => {
  it('draws on a terminal and ends at the total', () => {
    const terminal = recorder(true);
    const bar = startProgress('backup', 4, terminal.stream);
    bar.tick();
    bar.tick(10);
    bar.stop();
    bar.tick();
    expect(terminal.text()).toContain('backup [');
    expect(terminal.text()).toContain('4/4');
  });
  it('draws nothing when the stream is not a terminal, or there is nothing to count', () => {
    const pipe = recorder(false);
    const bar = startProgress('backup', 4, pipe.stream);
    bar.tick();
    bar.stop();
    expect(pipe.text()).toBe('');
    const terminal = recorder(true);
    startProgress('scan', 0, terminal.stream).stop();
    expect(terminal.text()).toBe('');
  });
});

describe('output layout', () => {
  it('pads table columns to their widest cell and field labels to one width', () => {
    expect(table(['ID', 'NAME'], [['1', 'Acme'], ['22', 'B']])).toBe('ID  NAME\n1   Acme\n22  B\n');
    expect(fields([['id', '1'], ['balance', '2.00']])).toBe('id:      1\nbalance: 2.00\n');
  });
  it('describes a running server by its connections and leases', () => {
    const presence = { listeners: [{ pid: 7, clientAddress: '10.0.0.5', since: '2026-01-01T00:00:00Z' }], leases: [{ role: 'jobs.scan', holder: 'h' }] };
    expect(serverIsRunning(presence)).toBe(true);
    expect(serverIsRunning({ listeners: [], leases: [] })).toBe(false);
    expect(describePresence(presence)).toEqual([
      'NodeBill node connected from 10.0.0.5 since 2026-01-01T00:00:00Z (PostgreSQL backend pid 7)',
      'lease "jobs.scan" held by h',
    ]);
  });
});

describe('the dispatcher', () => {
  // No database is reached by any of these.
  const cli = (...args: string[]) => runCli('postgres://nobody@127.0.0.1:1/none', args);

  it('prints help with exit 0 when asked, and exit 2 for a missing or unknown group or command', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const group of ['user', 'plugin', 'db', 'customer', 'order', 'ledger', 'events', 'config', 'tui']) expect(help.stdout).toMatch(new RegExp(`\\n {2}${group}\\s`));
    expect((await cli()).code).toBe(2);
    expect(await cli('help', 'db')).toMatchObject({ code: 0, stdout: expect.stringContaining('db restore FILE [--force]') });
    expect(await cli('ledger', '--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('Exit codes: 0 the ledger is consistent') });
    const unknownGroup = await cli('invoice', 'list');
    expect(unknownGroup.code).toBe(2);
    expect(unknownGroup.stderr).toContain('unknown command group "invoice"');
    const unknownCommand = await cli('user', 'delete', 'x');
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('user: unknown command "delete"');
    expect((await cli('user')).code).toBe(2);
  });

  it('reports an unreachable database with exit 1, without a stack trace', async () => {
    const failed = await cli('user', 'list');
    expect(failed.code).toBe(1);
    expect(failed.stderr).not.toContain('    at ');
    expect(failed.stderr.trim()).not.toBe('');
  });

  it('hands config check to its module', async () => {
    const run = await cli('config', 'check', '/nonexistent/config.toml');
    expect(run.stderr).not.toContain('unknown command group');
    expect(run.code).not.toBe(0);
  });
});
