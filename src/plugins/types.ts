/**
 * The plugin system's shared vocabulary (plugin guide of rustbill-docs.md, translated from Rune to
 * JavaScript). Engine, host API, scanner, registry and the IntegrationService all speak these types.
 */

/** `plugins.plugin_type` / `plugin_interfaces.plugin_type` values (the guide's 四种插件类型 table). */
export const PLUGIN_TYPES = ['gateway', 'notifier', 'first_party_provider', 'upstream_provider'] as const;
/** One of {@link PLUGIN_TYPES}. */
export type PluginType = (typeof PLUGIN_TYPES)[number];

const FIRST_PARTY = [
  'config_schema', 'spec_template', 'sync_products', 'initialize', 'query_price', 'create_instance',
  'get_instance_status', 'terminate_instance', 'execute_action', 'health_check', 'instance_detail_sections', 'instance_actions',
] as const;

/** The functions every script of a type must define (gateway 7, notifier 6, first-party provider 12, upstream provider 15). */
export const CONTRACT_FUNCTIONS: Readonly<Record<PluginType, readonly string[]>> = {
  gateway: ['config_schema', 'initialize', 'create_payment', 'query_payment', 'handle_callback', 'refund', 'health_check'],
  notifier: ['config_schema', 'initialize', 'send', 'supported_events', 'templates', 'health_check'],
  first_party_provider: FIRST_PARTY,
  upstream_provider: [...FIRST_PARTY, 'sync_upstream_instances', 'import_upstream_instance', 'get_upstream_balance'],
};

/** Functions any script may define. */
export const OPTIONAL_FUNCTIONS = ['admin_page', 'version'] as const;

/**
 * A script file's identity from its name `{type}-{id}.js` (the guide's naming table):
 * `gateway-*` → gateway, `notifier-*` → notifier, `provider-rustbill` → upstream_provider,
 * other `provider-*` → first_party_provider. Returns null for any other name.
 */
export function identifyScriptFile(fileName: string): { pluginType: PluginType; pluginId: string } | null {
  const match = /^(gateway|notifier|provider)-([a-z0-9][a-z0-9_-]*)\.js$/.exec(fileName);
  if (!match?.[1] || !match[2]) return null;
  const [, prefix, pluginId] = match;
  if (prefix === 'gateway') return { pluginType: 'gateway', pluginId };
  if (prefix === 'notifier') return { pluginType: 'notifier', pluginId };
  return { pluginType: pluginId === 'rustbill' ? 'upstream_provider' : 'first_party_provider', pluginId };
}

/** An outbound HTTP request made for a plugin (host API `http_*`). */
export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** PEM client certificate and key for mTLS (`http_request_with_cert`); optional CA to trust. */
  clientCert?: { cert: string; key: string; ca?: string };
  /** Time limit of each attempt in ms (the plugin call's remaining time). */
  timeoutMs?: number;
  /**
   * Aborted when the plugin call that made the request ends (its deadline passed, or it finished
   * or failed): the transfer in progress is cut off and no further retry is started.
   */
  signal?: AbortSignal;
}

/** Its response; `body` is the UTF-8 text, `bodyBytes` the raw bytes. */
export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  bodyBytes: Uint8Array;
}

/** `smtp_send(config_json, email_json)` arguments (the guide's formats). */
export interface SmtpConfig {
  smtp_host: string;
  smtp_port: string;
  from: string;
  username?: string;
  password?: string;
  /** "ssl" (implicit TLS), "starttls", or "none". */
  encryption?: string;
  /** Verify the server's certificate (default true); "false"/false accepts self-signed servers. */
  tls_reject_unauthorized?: boolean | string;
}
export interface EmailMessage {
  to: string;
  subject: string;
  body: string;
  content_type?: string;
}

/** Where a plugin call comes from (for logs, state namespaces and breaker metrics). */
export interface PluginCallContext {
  interfaceId: string;
  pluginType: PluginType;
  pluginId: string;
}

/**
 * What the host API gives scripts, implemented in src/plugins/host (HTTP behind per-host circuit
 * breakers, SMTP through nodemailer, PostgreSQL-backed state, pino logs). The engine binds these to
 * the script-visible `rustbill_host.*` functions.
 */
export interface HostServices {
  log(level: 'info' | 'warn' | 'error', message: string, context: PluginCallContext): void;
  /** @throws Error when the host's breaker is open or the request failed after retries. */
  http(request: OutboundRequest, context: PluginCallContext): Promise<OutboundResponse>;
  /** @throws Error when the mail could not be delivered. */
  smtpSend(config: SmtpConfig, email: EmailMessage, context: PluginCallContext): Promise<void>;
  /** The stored value, or '' when the key was never set. Namespaced by interface id. */
  stateGet(interfaceId: string, key: string): Promise<string>;
  stateSet(interfaceId: string, key: string, value: string): Promise<void>;
}

/** What loading a script tells about it (used by the scanner and interface creation). */
export interface PluginMetadata {
  pluginType: PluginType;
  pluginId: string;
  /** `version()` result, or "0.0.0" when the script has none. */
  version: string;
  /** True when the script defines `admin_page`. */
  hasAdminPage: boolean;
  /** Names of the top-level functions the script defines. */
  functions: string[];
  /** `config_schema({})` as an object (a JSON string result is parsed). */
  configSchema: Record<string, unknown>;
}

/** A call's target: the interface (for caching, state and logs), its script and its config. */
export interface PluginTarget extends PluginCallContext {
  source: string;
  config: Record<string, unknown>;
}

/** Why a plugin call or load failed. */
export type PluginErrorKind =
  | 'syntax' // the script does not compile
  | 'contract' // a required function is missing (message names it)
  | 'timeout' // the per-call time limit was hit (endless loop)
  | 'memory' // the memory or stack limit was hit
  | 'forbidden' // the script tried require/process/import()/fetch or another unavailable global
  | 'script_error' // the script threw, or returned an "ERROR: …" string (message is the script's)
  | 'host_error'; // a host API call failed (HTTP after retries, open breaker, SMTP, state)

/** A plugin failure; `message` is safe to show to an admin (no host stack traces). */
export class PluginError extends Error {
  readonly kind: PluginErrorKind;
  constructor(kind: PluginErrorKind, message: string) {
    super(message);
    this.name = 'PluginError';
    this.kind = kind;
  }
}

/**
 * The sandboxed script engine (src/plugins/engine): QuickJS, a fresh context per call, time and
 * memory limits, no Node/file system/network except through HostServices. Compiled/inspected
 * scripts are cached per interface and evicted when the source or config changes.
 */
export interface PluginEngine {
  /**
   * Loads a script and checks its contract.
   * @throws PluginError `syntax`, `contract` (names the missing function), `timeout`, `memory`, `forbidden`
   */
  inspect(pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata>;
  /**
   * Calls `fn` of the target's script with one argument: the interface config merged with `args`
   * (args win), as the guide's 配置展开模式 describes; awaits async functions. Returns the script's
   * value as plain JavaScript data (a string that is JSON is returned as the string; callers parse).
   * @throws PluginError (any kind); a returned string starting with "ERROR:" becomes `script_error`
   */
  call(target: PluginTarget, fn: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Drops cached state of an interface (hot reload after a source or config change). */
  evict(interfaceId: string): void;
}
