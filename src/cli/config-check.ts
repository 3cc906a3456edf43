/**
 * `npm run cli -- config check FILE` (issue 14; operations manual §2): validates a configuration
 * file the way the server loads it — FILE as config.toml, then config.local.toml (LOCAL_CONFIG_FILE,
 * else ./config.local.toml when present), then the environment — and prints the effective value of
 * every section and key with secrets masked, then the warnings for settings NodeBill accepts but
 * cannot honour (src/config/compat.ts).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, checkStartupRules, formatConfigWarning, loadConfigWithWarnings, type LoadedConfig } from '../../cluster.config.ts';
import { isTable } from '../config/sources.ts';
import { maskSecrets } from '../config/mask.ts';

const USAGE = `usage: npm run cli -- config check FILE

Validates FILE as the server's config.toml (then config.local.toml and the environment, as at
start) and prints the effective configuration, secrets masked, and the settings NodeBill accepts
without honouring them. Exit code: 0 valid, 1 invalid, 2 bad arguments.
`;

/**
 * Runs `config check FILE`.
 *
 * Output (standard output, exit 0): a header naming the files and environment variables read, the
 * effective configuration as TOML (`[section]` then `key = value`; values set by an environment
 * variable carry `# from NAME`), secrets shown as `****` and passwords inside URLs as
 * `user:****@host`, then `warnings (N):` with one line each (or `no warnings`).
 * Failure (standard error, exit 1): `config check: FILE is not valid`, then each problem with its
 * file, key and reason — schema violations, TOML syntax errors, and, when a database is configured,
 * the server's JWT secret rule. No FILE or extra arguments: usage, exit 2.
 *
 * @param args the arguments after `config check`
 * @param env the environment to read (default `process.env`)
 * @returns the process exit code
 */
export async function configCheckCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [file, ...extra] = args;
  if (file === undefined || file === '' || extra.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  // Under `npm run`, the working directory is the package's; INIT_CWD is where the command was typed.
  const absolute = path.resolve(env['INIT_CWD'] ?? process.cwd(), file);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    process.stderr.write(`config check: ${absolute} does not exist or is not a file\n`);
    return 1;
  }

  let loaded: LoadedConfig;
  try {
    loaded = loadConfigWithWarnings({ env: { ...env, CONFIG_FILE: absolute } });
    // The server's secret rule; on the embedded path (no database URL) the secret is generated.
    if (loaded.config.db.url !== '') checkStartupRules(loaded.config, { adminExists: true });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`config check: ${absolute} is not valid\n${error.message}\n`);
    return 1;
  }

  process.stdout.write(renderEffectiveConfig(loaded));
  const notes: string[] = [];
  if (loaded.config.db.url !== '' && loaded.config.bootstrap.admin_password === '') {
    notes.push('[bootstrap] admin_password is empty: the server starts only if an admin account already exists in the database (the first admin is created with this password)');
  }
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
  if (loaded.warnings.length === 0) {
    process.stdout.write('\nno warnings\n');
  } else {
    process.stdout.write(`\nwarnings (${loaded.warnings.length}):\n`);
    for (const warning of loaded.warnings) process.stdout.write(`  - ${formatConfigWarning(warning)}\n`);
  }
  return 0;
}

/**
 * The effective configuration as TOML with a header comment, secrets masked (see
 * {@link configCheckCommand} for the shape).
 */
export function renderEffectiveConfig(loaded: LoadedConfig): string {
  const masked = maskSecrets(loaded.config);
  const root: Record<string, unknown> = isTable(masked) ? masked : {};
  const lines: string[] = ['# NodeBill effective configuration (secrets masked)'];
  lines.push(`# files: ${loaded.files.length > 0 ? loaded.files.join(', ') : '(none)'}`);
  const variables = [...new Set(loaded.envNames.values())];
  lines.push(`# environment: ${variables.length > 0 ? variables.join(', ') : '(none)'}`);
  const from = (at: string): string => {
    const name = loaded.envNames.get(at);
    return name === undefined ? '' : `  # from ${name}`;
  };
  const sections: Array<[string, Record<string, unknown>]> = [];
  for (const [key, value] of Object.entries(root)) {
    if (isTable(value)) sections.push([key, value]);
    else lines.push(`${key} = ${tomlValue(value)}${from(key)}`);
  }
  for (const [section, table] of sections) {
    lines.push('', `[${section}]`);
    for (const [key, value] of Object.entries(table)) lines.push(`${key} = ${tomlValue(value)}${from(`${section}.${key}`)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A TOML rendering of a configuration value (strings, numbers, booleans and arrays of them). */
function tomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  return JSON.stringify(value) ?? '""';
}
