/**
 * Loading the configuration: defaults → config.toml → config.local.toml → environment (see
 * cluster.config.ts for the sources and their precedence).
 */
import path from 'node:path';
import {
  deepMerge,
  envLayer,
  issuesToConfigError,
  locateFile,
  readTomlLayer,
  type ConfigLayer,
  type RawTable,
} from './sources.ts';
import { unhonouredSettings, type ConfigWarning } from './compat.ts';
import { AppConfigSchema, type AppConfig } from './schema.ts';

/** Options of {@link loadConfig}. */
export type LoadConfigOptions = {
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Directory where `config.toml`/`config.local.toml` are looked for and relative paths start (default `process.cwd()`). */
  cwd?: string;
};

/** What {@link loadConfigWithWarnings} yields. */
export type LoadedConfig = {
  /** The configuration with every default filled in and paths made absolute. */
  config: AppConfig;
  /**
   * Settings accepted but not (fully) honoured, each with the reason (src/config/compat.ts):
   * RustBill keys NodeBill has no use for, the parts of RUST_LOG it cannot apply, Rune plugin
   * scripts. The server logs each once at start.
   */
  warnings: ConfigWarning[];
  /** The files read, lowest precedence first (absolute paths). */
  files: string[];
  /** Dotted key (`db.url`) → the environment variable that set it. */
  envNames: ReadonlyMap<string, string>;
};

/**
 * Loads, merges and validates the configuration (defaults → config.toml → config.local.toml →
 * environment; see the top of this file).
 *
 * @returns the configuration with every default filled in and paths made absolute
 * @throws ConfigError when a file named by CONFIG_FILE/LOCAL_CONFIG_FILE is missing, a file is not
 *   valid TOML, a key is unknown, or a value is invalid; the message lists every problem with the
 *   file and `[section] key`, or the environment variable, that holds it
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  return loadConfigWithWarnings(options).config;
}

/**
 * {@link loadConfig}, also returning the warnings for settings NodeBill accepts without honouring
 * them (a RustBill config.toml loads unchanged; issue 14), the files read and the environment
 * variables used.
 *
 * @throws ConfigError as loadConfig
 */
export function loadConfigWithWarnings(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());

  const layers: ConfigLayer[] = [];
  const files: string[] = [];
  const mainFile = locateFile(env, 'CONFIG_FILE', 'config.toml', cwd);
  if (mainFile !== undefined) {
    layers.push(readTomlLayer(mainFile, mainFile));
    files.push(mainFile);
  }
  const localFile = locateFile(env, 'LOCAL_CONFIG_FILE', 'config.local.toml', cwd);
  if (localFile !== undefined) {
    layers.push(readTomlLayer(localFile, localFile));
    files.push(localFile);
  }
  const environment = envLayer(env);
  layers.push(environment);

  const merged = layers.reduce<RawTable>((acc, layer) => deepMerge(acc, layer.data), {});
  const result = AppConfigSchema.safeParse(merged);
  if (!result.success) {
    throw issuesToConfigError(result.error.issues, layers, AppConfigSchema.parse({}));
  }
  const parsed = result.data;
  const config: AppConfig = {
    ...parsed,
    data_dir: path.resolve(cwd, parsed.data_dir),
    plugins: { ...parsed.plugins, plugins_dir: path.resolve(cwd, parsed.plugins.plugins_dir) },
  };
  const warnings = [...layers.flatMap((layer) => layer.warnings ?? []), ...unhonouredSettings(layers, config)];
  return { config, warnings, files, envNames: environment.envNames ?? new Map() };
}
