/**
 * Where configuration values come from, and how a validation failure is traced back to the file
 * and key (or environment variable) that caused it.
 *
 * A layer is one source of raw values: `config.toml`, `config.local.toml` or the environment.
 * Layers are merged in order (later wins, tables merge key by key, arrays and scalars replace),
 * then validated once; each validation issue is reported against the highest-precedence layer
 * that holds the offending path, so the message names the place the person has to edit.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { rustLogMeaning, type ConfigWarning } from './compat.ts';
import { ConfigError, configErrorFromProblems } from './errors.ts';

/** A TOML table or JSON object: string keys, unknown values. */
export type RawTable = { [key: string]: unknown };

/** One source of raw configuration values. */
export type ConfigLayer = {
  /** How the source is named in messages, e.g. `config.toml (/etc/rustbill/config.toml)`. */
  readonly label: string;
  /** The raw values, shaped like the configuration (sections as nested tables). */
  readonly data: RawTable;
  /** For the environment layer: dotted config path → the variable that set it. */
  readonly envNames?: ReadonlyMap<string, string>;
  /** Settings of this source that NodeBill accepts but does not fully honour (src/config/compat.ts). */
  readonly warnings?: readonly ConfigWarning[];
};

/** True for plain objects (TOML tables, which smol-toml creates without a prototype), false for arrays, dates and everything else. */
export function isTable(value: unknown): value is RawTable {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Merges `overlay` onto `base` without modifying either: tables merge key by key (recursively);
 * any other value of the overlay, arrays included, replaces the base value entirely.
 */
export function deepMerge(base: RawTable, overlay: RawTable): RawTable {
  const out: RawTable = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    out[key] = isTable(current) && isTable(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/**
 * Reads and parses one TOML file.
 *
 * @param file absolute path
 * @param label how messages name the file
 * @throws ConfigError when the file cannot be read or is not valid TOML (with line and column)
 */
export function readTomlLayer(file: string, label: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read ${label}: ${describeError(err)}`);
  }
  try {
    // smol-toml returns plain objects for tables, so the result is a RawTable.
    const data: RawTable = parseToml(text);
    return { label, data };
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError(
        `${label} is not valid TOML (line ${err.line}, column ${err.column}): ${err.message}`,
      );
    }
    throw new ConfigError(`${label} could not be parsed: ${describeError(err)}`);
  }
}

/**
 * Finds a configuration file.
 *
 * @param envName the variable that may name the file explicitly (CONFIG_FILE, LOCAL_CONFIG_FILE)
 * @param defaultName the file looked for in `cwd` when the variable is unset
 * @returns the absolute path, or undefined when the variable is unset and the default is absent
 * @throws ConfigError when the variable names a file that does not exist
 */
export function locateFile(
  env: NodeJS.ProcessEnv,
  envName: string,
  defaultName: string,
  cwd: string,
): string | undefined {
  const explicit = env[envName];
  if (explicit !== undefined && explicit !== '') {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) {
      throw new ConfigError(
        `${envName} is set to "${explicit}", but ${file} does not exist. ` +
          `Create the file or unset ${envName} (then ./${defaultName} is used when present).`,
      );
    }
    return file;
  }
  const file = path.resolve(cwd, defaultName);
  return existsSync(file) ? file : undefined;
}

type EnvBinding = {
  readonly name: string;
  readonly path: readonly [string, string];
  readonly kind: 'string' | 'integer' | 'lowercase';
  /** Further values set whenever this variable is set. */
  readonly implies?: readonly { readonly path: readonly [string, string]; readonly value: unknown }[];
};

/** The environment variables that override configuration keys. */
export const ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'HOST', path: ['server', 'host'], kind: 'string' },
  { name: 'PORT', path: ['server', 'port'], kind: 'integer' },
  { name: 'DATABASE_URL', path: ['db', 'url'], kind: 'string' },
  {
    name: 'REDIS_URL',
    path: ['redis', 'url'],
    kind: 'string',
    implies: [{ path: ['redis', 'enabled'], value: true }],
  },
  { name: 'JWT_SECRET', path: ['jwt', 'secret'], kind: 'string' },
  { name: 'ADMIN_PASSWORD', path: ['bootstrap', 'admin_password'], kind: 'string' },
  { name: 'WORKERS', path: ['cluster', 'workers'], kind: 'integer' },
  { name: 'NODE_ADDRESS', path: ['cluster', 'node_address'], kind: 'string' },
  { name: 'CLUSTER_SECRET', path: ['cluster', 'secret'], kind: 'string' },
  { name: 'LOG_LEVEL', path: ['log', 'level'], kind: 'lowercase' },
  { name: 'LOG_FORMAT', path: ['log', 'format'], kind: 'lowercase' },
];

/**
 * Builds the environment layer. An empty variable counts as unset. RustBill's variables
 * (operations manual §10) are understood: `RUST_LOG_FORMAT=json` selects JSON logs unless
 * LOG_FORMAT is set; `RUST_LOG` (`info`, `rustbill_server=debug`, …) sets the log level unless
 * LOG_LEVEL is set — the parts NodeBill cannot honour (per-module filters, `off`) are reported as
 * warnings of the layer (see rustLogMeaning).
 *
 * @throws ConfigError naming the variable when an integer variable holds something else
 */
export function envLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  const data: RawTable = {};
  const envNames = new Map<string, string>();
  const problems: string[] = [];
  const put = (at: readonly [string, string], value: unknown, name: string): void => {
    const [section, key] = at;
    const table = isTable(data[section]) ? data[section] : {};
    table[key] = value;
    data[section] = table;
    envNames.set(`${section}.${key}`, name);
  };

  for (const binding of ENV_BINDINGS) {
    const raw = env[binding.name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (binding.kind === 'integer') {
      if (!/^\s*\d+\s*$/.test(raw)) {
        problems.push(
          `environment variable ${binding.name}="${raw}" (sets [${binding.path[0]}] ${binding.path[1]}) must be a whole number`,
        );
        continue;
      }
      value = Number(raw.trim());
    } else if (binding.kind === 'lowercase') {
      value = raw.trim().toLowerCase();
    }
    put(binding.path, value, binding.name);
    for (const extra of binding.implies ?? []) put(extra.path, extra.value, binding.name);
  }

  const rustFormat = env['RUST_LOG_FORMAT'];
  if (!envNames.has('log.format') && rustFormat !== undefined && rustFormat.trim().toLowerCase() === 'json') {
    put(['log', 'format'], 'json', 'RUST_LOG_FORMAT');
  }

  const warnings: ConfigWarning[] = [];
  const rustLog = env['RUST_LOG'];
  if (!envNames.has('log.level') && rustLog !== undefined && rustLog.trim() !== '') {
    const meaning = rustLogMeaning(rustLog);
    if (meaning.level !== undefined) put(['log', 'level'], meaning.level, 'RUST_LOG');
    if (meaning.warning !== undefined) warnings.push({ key: `RUST_LOG=${JSON.stringify(rustLog)}`, source: 'the environment', message: meaning.warning });
  }

  if (problems.length > 0) throw configErrorFromProblems('Invalid configuration in the environment:', problems);
  return { label: 'the environment', data, envNames, warnings };
}

/** The value at `at` inside `root`, or undefined when any step is missing. */
export function valueAt(root: unknown, at: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const step of at) {
    if (Array.isArray(current) && typeof step === 'number') current = current[step];
    else if (isTable(current) && typeof step === 'string') current = current[step];
    else return undefined;
  }
  return current;
}

/**
 * Names a key the way a TOML file spells it: `[server] port`, `[server] cors_allowed_origins[0]`,
 * `[db]` for a whole section, `data_dir` for a top-level value that is not a section.
 *
 * @param sections the names of the configuration's sections
 */
export function formatKey(at: readonly PropertyKey[], sections: ReadonlySet<string>): string {
  if (at.length === 0) return 'the top level';
  const [first, ...rest] = at;
  let tail = '';
  for (const step of rest) tail += typeof step === 'number' ? `[${step}]` : tail === '' ? String(step) : `.${String(step)}`;
  // A top-level scalar (data_dir) has no section.
  if (rest.length === 0 && typeof first === 'string' && !sections.has(first)) return first;
  return tail === '' ? `[${String(first)}]` : `[${String(first)}] ${tail}`;
}

/**
 * Turns schema issues into one ConfigError whose lines name the file and key, or environment
 * variable, that holds each wrong value, with suggestions for misspelled keys.
 *
 * @param issues the issues of a failed `safeParse` of the merged layers
 * @param layers the layers in precedence order (lowest first)
 * @param defaults a fully defaulted configuration, for listing the valid keys of a section
 */
export function issuesToConfigError(
  issues: readonly z.core.$ZodIssue[],
  layers: readonly ConfigLayer[],
  defaults: RawTable,
): ConfigError {
  const sections = new Set(Object.keys(defaults).filter((k) => isTable(defaults[k])));
  const problems: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(describeUnknownKey([...issue.path, key], layers, defaults, sections));
      continue;
    }
    problems.push(describeIssue(issue.path, issue.message, layers, sections));
  }
  return configErrorFromProblems('Invalid configuration:', problems);
}

function sourceOf(at: readonly PropertyKey[], layers: readonly ConfigLayer[]): ConfigLayer | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer !== undefined && valueAt(layer.data, at) !== undefined) return layer;
  }
  return undefined;
}

function describeIssue(
  at: readonly PropertyKey[],
  message: string,
  layers: readonly ConfigLayer[],
  sections: ReadonlySet<string>,
): string {
  const layer = sourceOf(at, layers);
  const key = formatKey(at, sections);
  if (layer === undefined) return `${key} (built-in default): ${message}`;
  const value = valueAt(layer.data, at);
  const shown = isTable(value) ? '' : ` = ${JSON.stringify(value)}`;
  const envName = layer.envNames?.get(at.map(String).join('.'));
  if (envName !== undefined) {
    return `environment variable ${envName}${shown} (sets ${key}): ${message}`;
  }
  return `${key}${shown} in ${layer.label}: ${message}`;
}

function describeUnknownKey(
  at: readonly PropertyKey[],
  layers: readonly ConfigLayer[],
  defaults: RawTable,
  sections: ReadonlySet<string>,
): string {
  const layer = sourceOf(at, layers);
  const parent = at.slice(0, -1);
  const key = String(at[at.length - 1]);
  const where = parent.length === 0 ? 'at the top level' : `in ${formatKey(parent, sections)}`;
  const known = valueAt(defaults, parent);
  const valid = isTable(known) ? Object.keys(known) : [];
  const hints: string[] = [];
  const close = valid.filter((k) => editDistance(k, key) <= 2);
  if (close.length > 0) hints.push(`Did you mean ${close.map((k) => `"${k}"`).join(' or ')}?`);
  // The key exists, but in another section.
  for (const [section, table] of Object.entries(defaults)) {
    if (isTable(table) && key in table && section !== parent[0]) hints.push(`"${key}" belongs in [${section}].`);
  }
  const source = layer === undefined ? '' : ` of ${layer.label}`;
  if (valid.length > 0) hints.push(`Valid keys ${where}: ${valid.join(', ')}.`);
  return [`unknown key "${key}" ${where}${source}.`, ...hints].join(' ');
}

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j] ?? 0;
      const left = prev[j - 1] ?? 0;
      prev[j] = Math.min(above + 1, left + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length] ?? 0;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
