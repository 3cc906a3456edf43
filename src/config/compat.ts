/**
 * RustBill compatibility of the configuration (issue 14): a RustBill `config.toml` and RustBill's
 * environment variables start NodeBill unchanged. Every key of the operations manual (§2), the
 * deployment guide and the HA guide is part of the schema (src/config/schema.ts); this module
 * gives RustBill's `RUST_LOG` its NodeBill meaning and produces a warning for each setting NodeBill
 * accepts but cannot honour, saying why. The server logs each warning once at start
 * (src/cluster/primary.ts); `npm run cli -- config check FILE` prints them.
 */
import { readdirSync } from 'node:fs';
import { valueAt, type ConfigLayer } from './sources.ts';
import type { AppConfig } from './schema.ts';

/** A setting NodeBill accepts but does not (fully) honour, and why. */
export type ConfigWarning = {
  /** The setting as a file spells it (`[db] test_before_acquire`) or the environment variable (`RUST_LOG`). */
  readonly key: string;
  /** Where it was set: a file's label (its absolute path) or `the environment`. */
  readonly source: string;
  /** Why, and what NodeBill does instead; `ignored: …` when the setting has no effect at all. */
  readonly message: string;
};

/** One line for a warning: `[db] test_before_acquire in /etc/nodebill/config.toml: ignored: …`. */
export function formatConfigWarning(warning: ConfigWarning): string {
  return `${warning.key} in ${warning.source}: ${warning.message}`;
}

/** The log levels of `[log] level`. */
export type LogLevel = AppConfig['log']['level'];

const RUST_LEVELS: Readonly<Record<string, LogLevel>> = { trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', error: 'error' };
const VERBOSITY: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
/** Targets that name the whole server in a RustBill `RUST_LOG` filter. */
const SERVER_TARGETS = new Set(['rustbill_server', 'nodebill']);

/** What a RustBill `RUST_LOG` filter means for NodeBill: a level for `[log] level` and/or a warning. */
export type RustLogMeaning = { level?: LogLevel; warning?: string };

/**
 * Gives RustBill's `RUST_LOG` (a tracing-subscriber EnvFilter, operations manual §7.1 and §10:
 * `info`, `rustbill_server=debug`, `rustbill_server::plugin_scanner=debug,rustbill_server::services=info`)
 * its NodeBill meaning. NodeBill has one level for the whole server, so:
 * - a level without a target (`info`) or for the whole server (`rustbill_server=debug`) is the level;
 * - when only module or dependency targets are named, the most verbose of their levels is used, so
 *   the output asked for appears (with a warning that the per-target filter is not applied);
 * - `off` becomes `fatal` (NodeBill always logs what stops it), with a warning;
 * - directives with an unknown level are ignored, with a warning.
 *
 * @param value the variable's value (not empty)
 * @returns the level (undefined when no directive gave one) and a warning when some of the filter is not applied
 */
export function rustLogMeaning(value: string): RustLogMeaning {
  let bare: LogLevel | undefined;
  let server: LogLevel | undefined;
  const targeted: Array<{ target: string; level: LogLevel }> = [];
  const invalid: string[] = [];
  let off = false;

  for (const raw of value.split(',')) {
    const directive = raw.trim();
    if (directive === '') continue;
    const eq = directive.lastIndexOf('=');
    // `target` alone enables every level of that target; `level` alone is the default level.
    const target = eq === -1 ? (levelOf(directive) === undefined && directive.toLowerCase() !== 'off' ? directive : '') : directive.slice(0, eq).trim();
    const levelText = eq === -1 ? (target === '' ? directive : 'trace') : directive.slice(eq + 1).trim();
    let level = levelOf(levelText);
    if (level === undefined) {
      if (levelText.toLowerCase() !== 'off') {
        invalid.push(directive);
        continue;
      }
      off = true;
      level = 'fatal';
    }
    // A span or field filter (`target[span{field=x}]`) narrows a target further; NodeBill keeps the target.
    const name = target.replace(/\[.*$/s, '');
    if (name === '') bare = level;
    else if (SERVER_TARGETS.has(name)) server = level;
    else targeted.push({ target: name, level });
  }

  const notes: string[] = [];
  let level = server ?? bare;
  let chosen = server !== undefined ? 'the level of the whole server' : 'the level without a target';
  if (level === undefined && targeted.length > 0) {
    level = mostVerbose(targeted.map((t) => t.level));
    chosen = 'the most verbose level named';
  }
  if (targeted.length > 0 && level !== undefined) {
    notes.push(
      `NodeBill has one log level for the whole server, not one per module: [log] level = "${level}" (${chosen}); ` +
        `the filters for ${targeted.map((t) => t.target).join(', ')} are not applied`,
    );
  }
  if (off && level === 'fatal') notes.push('"off" is taken as "fatal": NodeBill always logs the error that stops it');
  if (invalid.length > 0) {
    notes.push(`ignored ${invalid.map((d) => `"${d}"`).join(', ')}: not a level (trace, debug, info, warn, error or off)`);
  }
  const meaning: RustLogMeaning = {};
  if (level !== undefined) meaning.level = level;
  if (notes.length > 0) meaning.warning = notes.join('; ');
  return meaning;
}

function levelOf(text: string): LogLevel | undefined {
  return RUST_LEVELS[text.trim().toLowerCase()];
}

function mostVerbose(levels: readonly LogLevel[]): LogLevel {
  return levels.reduce((a, b) => (VERBOSITY.indexOf(b) > VERBOSITY.indexOf(a) ? b : a));
}

/** The highest-precedence layer that holds `at`. */
function sourceOf(at: readonly string[], layers: readonly ConfigLayer[]): ConfigLayer | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer !== undefined && valueAt(layer.data, at) !== undefined) return layer;
  }
  return undefined;
}

/**
 * The RustBill settings NodeBill accepts without honouring them. Each applies when the key is set
 * (in a file or, for none of them today, the environment) and its effective value matches.
 */
const UNHONOURED: ReadonlyArray<{ at: readonly [string, string]; applies: (value: unknown) => boolean; message: string }> = [
  {
    at: ['db', 'test_before_acquire'],
    applies: (value) => value === true,
    message:
      'ignored: NodeBill\'s PostgreSQL pools (node-postgres) cannot run "SELECT 1" before handing out a connection; ' +
      'a connection that died fails the one query that uses it and is then dropped from the pool, and /ready checks the database on every call',
  },
  {
    at: ['redis', 'max_connections'],
    applies: () => true,
    message:
      'ignored: NodeBill keeps no Redis connection pool; each worker process holds a fixed few Redis connections ' +
      '(rate limits and caches, the job queue) over which commands are pipelined',
  },
];

/**
 * The warnings for the settings of the merged layers that NodeBill accepts but cannot honour, and
 * for Rune plugin scripts (`*.rn`) in `[plugins] plugins_dir`, which NodeBill does not run.
 *
 * @param layers the sources in precedence order (lowest first), as loaded
 * @param config the validated configuration (`plugins.plugins_dir` absolute)
 */
export function unhonouredSettings(layers: readonly ConfigLayer[], config: AppConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const effective: unknown = config;
  for (const rule of UNHONOURED) {
    const layer = sourceOf(rule.at, layers);
    if (layer === undefined || !rule.applies(valueAt(effective, rule.at))) continue;
    warnings.push({ key: `[${rule.at[0]}] ${rule.at[1]}`, source: layer.envNames?.get(rule.at.join('.')) ?? layer.label, message: rule.message });
  }

  const rune = runeScripts(config.plugins.plugins_dir);
  if (rune.length > 0) {
    const layer = sourceOf(['plugins', 'plugins_dir'], layers);
    const shown = rune.length > 5 ? `${rune.slice(0, 5).join(', ')}, …` : rune.join(', ');
    warnings.push({
      key: '[plugins] plugins_dir',
      source: layer?.label ?? 'the built-in default',
      message:
        `${config.plugins.plugins_dir} holds ${rune.length} Rune script(s) (${shown}) that NodeBill does not load: ` +
        'NodeBill runs JavaScript plugins ({gateway|notifier|provider}-{id}.js; README "Writing a plugin"), so port them to JavaScript',
    });
  }
  return warnings;
}

/** The `*.rn` files directly in `dir`, sorted; none when the directory is absent or unreadable. */
function runeScripts(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.rn'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}
