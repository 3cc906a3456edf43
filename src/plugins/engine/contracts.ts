/**
 * The contract check run when a script is loaded (the guide's 编译时验证): required functions per
 * plugin type, `version()` (default "0.0.0"), `config_schema()` as an object.
 */
import { CONTRACT_FUNCTIONS, OPTIONAL_FUNCTIONS, PluginError, type PluginMetadata, type PluginType } from '../types.ts';
import type { Session } from './sandbox.ts';

/** The script file's base name for a type and id, as the guide names files: `gateway-x`, `provider-x`. */
export function scriptBaseName(pluginType: PluginType, pluginId: string): string {
  const prefix = pluginType === 'gateway' ? 'gateway' : pluginType === 'notifier' ? 'notifier' : 'provider';
  return `${prefix}-${pluginId}`;
}

/** How messages name a script: `gateway script gateway-x`. */
export function scriptLabel(pluginType: PluginType, pluginId: string): string {
  return `${pluginType} script ${scriptBaseName(pluginType, pluginId)}`;
}

/**
 * The contract error for the missing required functions, or null when none is missing.
 * @returns e.g. PluginError('contract', 'gateway script gateway-x is missing function create_payment'),
 *   or `… is missing functions refund, health_check` naming all of them.
 */
export function missingFunctionsError(pluginType: PluginType, pluginId: string, defined: readonly string[]): PluginError | null {
  const have = new Set(defined);
  const missing = CONTRACT_FUNCTIONS[pluginType].filter(name => !have.has(name));
  if (missing.length === 0) return null;
  const noun = missing.length === 1 ? 'function' : 'functions';
  return new PluginError('contract', `${scriptLabel(pluginType, pluginId)} is missing ${noun} ${missing.join(', ')}`);
}

/**
 * `config_schema()`'s result as an object: an object as it is, a string parsed as JSON.
 * @throws PluginError `contract` when it is neither an object nor a JSON object string
 */
export function normalizeConfigSchema(value: unknown, label: string): Record<string, unknown> {
  let schema = value;
  if (typeof schema === 'string') {
    try {
      schema = JSON.parse(schema);
    } catch {
      throw new PluginError('contract', `config_schema() of ${label} returned a string that is not JSON`);
    }
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new PluginError('contract', `config_schema() of ${label} must return an object or a JSON object string`);
  }
  return schema as Record<string, unknown>;
}

/** A returned `"ERROR: …"` string as a script error. */
export function errorFromResult(value: unknown): PluginError | null {
  if (typeof value === 'string' && value.startsWith('ERROR:')) return new PluginError('script_error', value.slice('ERROR:'.length).trim());
  return null;
}

/**
 * Loads `source` in `session` and checks its contract.
 * @throws PluginError `syntax`, `contract`, or whatever the top level, `version()` or
 *   `config_schema()` fail with (`script_error`, `timeout`, `memory`, `forbidden`, `host_error`)
 */
export async function inspectInSession(session: Session, pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata> {
  const label = scriptLabel(pluginType, pluginId);
  await session.checkSyntax(source);
  await session.loadScript(source);
  const functions = await session.definedFunctions([...CONTRACT_FUNCTIONS[pluginType], ...OPTIONAL_FUNCTIONS]);
  const missing = missingFunctionsError(pluginType, pluginId, functions);
  if (missing) throw missing;

  let version = '0.0.0';
  if (functions.includes('version')) {
    const value = await session.invoke('version', '{}');
    const failed = errorFromResult(value);
    if (failed) throw failed;
    if (typeof value === 'string' && value.trim() !== '') version = value.trim();
    else if (typeof value === 'number') version = String(value);
    else throw new PluginError('contract', `version() of ${label} must return a version string`);
  }
  const schemaValue = await session.invoke('config_schema', '{}');
  const failed = errorFromResult(schemaValue);
  if (failed) throw failed;
  return {
    pluginType,
    pluginId,
    version,
    hasAdminPage: functions.includes('admin_page'),
    functions,
    configSchema: normalizeConfigSchema(schemaValue, label),
  };
}
