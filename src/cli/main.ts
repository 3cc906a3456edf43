/**
 * `npm run cli -- GROUP COMMAND …`: NodeBill's administration CLI, RustBill's `rustbill-cli`
 * (operations manual §4–§5): direct database access with every right, no server needed (except
 * where a command says so). This file only dispatches: one module per command group under
 * src/cli/commands/, each with its own help (`npm run cli -- GROUP --help`).
 *
 * Exit codes, for every command: 0 done; 1 refused or failed (unknown id, a rule, a broken ledger,
 * an unreachable database — the reason on stderr); 2 bad arguments (the usage on stderr).
 */
import { customerGroup, orderGroup } from './commands/customer.ts';
import { dbGroup } from './commands/db.ts';
import { eventsGroup } from './commands/events.ts';
import { ledgerGroup } from './commands/ledger.ts';
import { pluginGroup } from './commands/plugin.ts';
import { userGroup } from './commands/user.ts';
import { EXIT, UsageError, databaseUrl, err, out, type CommandGroup } from './context.ts';

const GROUPS: readonly CommandGroup[] = [userGroup, pluginGroup, dbGroup, customerGroup, orderGroup, ledgerGroup, eventsGroup];

const HELP = `NodeBill administration CLI (RustBill's rustbill-cli): direct database access

Usage: npm run cli -- GROUP COMMAND [OPTIONS]      npm run cli -- GROUP --help for a group's commands

${GROUPS.map((group) => `  ${group.name.padEnd(9)} ${group.summary}`).join('\n')}
  config    config check FILE: validates a config file and prints the effective values
  tui       the interactive terminal UI (eight tabs)

The database is [db] url / DATABASE_URL (config.toml and config.local.toml as the server reads
them, CONFIG_FILE / LOCAL_CONFIG_FILE to point elsewhere), or else the embedded PostgreSQL the
server under data_dir is running now.

Exit codes: 0 done, 1 refused or failed (reason on stderr), 2 bad arguments.
`;

const HELP_WORDS = new Set(['help', '--help', '-h']);

async function runGroup(group: CommandGroup, command: string | undefined, rest: string[]): Promise<number> {
  if (command !== undefined && HELP_WORDS.has(command)) {
    out(group.help);
    return EXIT.ok;
  }
  if (command === undefined || !group.commands.includes(command)) {
    err(`${command === undefined ? `${group.name}: a command is missing` : `${group.name}: unknown command "${command}"`}\n\n${group.help}`);
    return EXIT.usage;
  }
  if (rest.some((arg) => arg === '--help' || arg === '-h')) {
    out(group.help);
    return EXIT.ok;
  }
  try {
    return await group.run(command, rest);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`${error.message}\n(npm run cli -- ${group.name} --help shows the usage)`);
      return EXIT.usage;
    }
    throw error;
  }
}

/** Runs one command line (without `node main.ts`); resolves with the exit code. */
async function main(argv: string[]): Promise<number> {
  const [name, command, ...rest] = argv;
  if (name === undefined || HELP_WORDS.has(name)) {
    if (name === 'help' && command !== undefined) {
      const group = GROUPS.find((candidate) => candidate.name === command);
      if (group) {
        out(group.help);
        return EXIT.ok;
      }
    }
    out(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  // The two seams whose modules others build (issue 14): keep these dispatches as they are.
  if (name === 'config' && command === 'check') return (await import('./config-check.ts')).configCheckCommand(rest);
  if (name === 'tui') return (await import('./tui/index.ts')).runTui({ databaseUrl: databaseUrl() });
  const group = GROUPS.find((candidate) => candidate.name === name);
  if (!group) {
    err(`unknown command group "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  return runGroup(group, command, rest);
}

/** The message of an unexpected error: its text, or its code (an AggregateError of a refused connection has none). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const inner = error instanceof AggregateError ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ') : '';
  return error.message || inner || (typeof code === 'string' ? code : error.name);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${describe(error)}\n`);
    process.exit(EXIT.failed);
  },
);
