/**
 * The registry's rules that need no I/O (plugin guide: 双表模型, 配置展开模式, admin page bridge;
 * integration-service.md): request fields of interfaces, who may see secrets and set scripts,
 * which interfaces may run which provider functions, which functions the admin bridge refuses, and
 * the refusal of deleting an interface still in use. Every refusal is a
 * {@link PluginRegistryError} whose message says what is wrong and what to do.
 */
import type { Caller } from '../../domain/identity/principal.ts';
import { forbidden, type DomainError } from '../../domain/errors.ts';
import type { JsonObject, PluginInterface } from '../../persistence/entities/plugins.ts';
import type { PluginType } from '../types.ts';
import { PluginRegistryError } from './errors.ts';
import type { InterfaceUses } from './interface-users.ts';

/** Provider plugin types. */
export const PROVIDER_TYPES: readonly PluginType[] = ['first_party_provider', 'upstream_provider'];

/** Provider functions only upstream providers define. */
export const UPSTREAM_ONLY_FUNCTIONS: readonly string[] = ['sync_upstream_instances', 'import_upstream_instance', 'get_upstream_balance'];

/**
 * Contract functions CallPluginAction refuses: they move money or create/destroy servers and must
 * go through the order, payment and instance paths (ledger, idempotency), never the admin bridge.
 */
export const BRIDGE_REFUSED_FUNCTIONS: readonly string[] = [
  'create_payment', 'handle_callback', 'refund', 'create_instance', 'terminate_instance', 'execute_action', 'import_upstream_instance', 'send',
];

/** A JavaScript identifier (what a top-level script function may be called). */
const FUNCTION_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a `config_json` / `args_json` request field into a JSON object ('' counts as `{}`).
 * @throws PluginRegistryError invalid_argument naming `field` when it is not JSON or not an object
 */
export function parseJsonObject(field: string, text: string): JsonObject {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new PluginRegistryError('invalid_argument', `${field} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(parsed)) throw new PluginRegistryError('invalid_argument', `${field} must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  return parsed;
}

/**
 * A display name as stored (trimmed).
 * @throws PluginRegistryError invalid_argument when empty, longer than 255 characters or containing control characters
 */
export function checkDisplayName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new PluginRegistryError('invalid_argument', 'display_name is required');
  if (trimmed.length > 255) throw new PluginRegistryError('invalid_argument', `display_name must be at most 255 characters, got ${trimmed.length}`);
  if (/\p{Cc}/u.test(trimmed)) throw new PluginRegistryError('invalid_argument', 'display_name must not contain control characters');
  return trimmed;
}

/** How messages name an interface: `plugin interface "Main pay" (gateway/yipay)`. */
export function describeInterface(row: Pick<PluginInterface, 'displayName' | 'pluginType' | 'pluginId'>): string {
  return `plugin interface "${row.displayName}" (${row.pluginType}/${row.pluginId})`;
}

/** The refusal of a second interface named `displayName` for one plugin. */
export function duplicateNameRefusal(pluginType: PluginType, pluginId: string, displayName: string): PluginRegistryError {
  return new PluginRegistryError('already_exists', `plugin ${pluginType}/${pluginId} already has an interface named "${displayName}"`);
}

/**
 * Why `row` cannot run the provider function `fn`, or null when it can: it must be a provider, and
 * the {@link UPSTREAM_ONLY_FUNCTIONS} need an upstream provider. (Missing or disabled interfaces
 * are the caller's not_found.)
 */
export function providerRefusal(row: Pick<PluginInterface, 'displayName' | 'pluginType' | 'pluginId'>, fn: string): PluginRegistryError | null {
  if (!PROVIDER_TYPES.includes(row.pluginType)) {
    return new PluginRegistryError('failed_precondition', `${describeInterface(row)} is not a provider; ${fn} needs a first-party or upstream provider interface`);
  }
  if (UPSTREAM_ONLY_FUNCTIONS.includes(fn) && row.pluginType !== 'upstream_provider') {
    return new PluginRegistryError('failed_precondition', `${describeInterface(row)} is a first-party provider; ${fn} is for upstream providers only`);
  }
  return null;
}

/**
 * A function name CallPluginAction may be asked for, before looking at the script.
 * @throws PluginRegistryError invalid_argument when empty or not an identifier
 */
export function checkFunctionName(fn: string): string {
  if (fn === '') throw new PluginRegistryError('invalid_argument', 'function is required, e.g. "admin_list_instances"');
  if (!FUNCTION_NAME.test(fn)) throw new PluginRegistryError('invalid_argument', `function "${fn.slice(0, 64)}" is not a function name`);
  return fn;
}

/**
 * Why the admin bridge may not call `fn` of a script defining `functions`, or null when it may:
 * only functions the script defines, and none of {@link BRIDGE_REFUSED_FUNCTIONS}.
 */
export function bridgeRefusal(row: Pick<PluginInterface, 'displayName' | 'pluginType' | 'pluginId'>, functions: readonly string[], fn: string): PluginRegistryError | null {
  if (!functions.includes(fn)) return new PluginRegistryError('not_found', `the script of ${describeInterface(row)} defines no function "${fn}"`);
  if (BRIDGE_REFUSED_FUNCTIONS.includes(fn)) {
    return new PluginRegistryError('failed_precondition', `"${fn}" moves money or servers and cannot be called from the admin page; use the order, payment or instance operations`);
  }
  return null;
}

/** Why `row` cannot be deleted while `uses` need it, or null when nothing does. */
export function usageRefusal(row: Pick<PluginInterface, 'displayName' | 'pluginType' | 'pluginId'>, uses: InterfaceUses): PluginRegistryError | null {
  const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  const listed = [
    uses.openOrders ? plural(uses.openOrders, 'open order') : '',
    uses.liveInstances ? `${plural(uses.liveInstances, 'instance')} not terminated` : '',
    uses.pendingPayments ? plural(uses.pendingPayments, 'pending payment') : '',
  ].filter((use) => use !== '');
  if (listed.length === 0) return null;
  return new PluginRegistryError('failed_precondition', `${describeInterface(row)} is still used by ${listed.join(', ')}; finish or move them first, or disable the interface instead`);
}

/** Whether `caller` may read secret config fields (`format: "password"`): admins with role admin. */
export function seesSecrets(caller: Caller): boolean {
  return caller.kind === 'admin' && caller.role === 'admin';
}

/**
 * Why `caller` may not set a script (`script_source`), or null when it may. A script decides what
 * happens to the config, secrets included (it could drop `format: "password"` from its schema, or
 * return its config), so only the admin role, who may read the secrets anyway, may set one.
 */
export function scriptAuthorRefusal(caller: Caller): DomainError | null {
  if (seesSecrets(caller)) return null;
  return forbidden('script_source may only be set by users with the admin role (operators may change config_json, enable, disable and health-check)');
}
