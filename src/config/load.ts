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
import { AppConfigSchema, type AppConfig } from './schema.ts';

/** Options of {@link loadConfig}. */
export type LoadConfigOptions = {
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Directory where `config.toml`/`config.local.toml` are looked for and relative paths start (default `process.cwd()`). */
  cwd?: string;
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
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());

  const layers: ConfigLayer[] = [];
  const mainFile = locateFile(env, 'CONFIG_FILE', 'config.toml', cwd);
  if (mainFile !== undefined) layers.push(readTomlLayer(mainFile, mainFile));
  const localFile = locateFile(env, 'LOCAL_CONFIG_FILE', 'config.local.toml', cwd);
  if (localFile !== undefined) layers.push(readTomlLayer(localFile, localFile));
  layers.push(envLayer(env));

  const merged = layers.reduce<RawTable>((acc, layer) => deepMerge(acc, layer.data), {});
  const result = AppConfigSchema.safeParse(merged);
  if (!result.success) {
    throw issuesToConfigError(result.error.issues, layers, AppConfigSchema.parse({}));
  }
  const config = result.data;
  return {
    ...config,
    data_dir: path.resolve(cwd, config.data_dir),
    plugins: { ...config.plugins, plugins_dir: path.resolve(cwd, config.plugins.plugins_dir) },
  };
}
