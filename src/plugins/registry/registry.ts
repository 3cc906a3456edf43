/**
 * The plugin registry: plugin interfaces (plugin_interfaces rows) built from plugin definitions
 * (plugins rows) and the calls the IntegrationService makes into their scripts (plugin guide:
 * 双表模型, 开发工作流 steps 3-5, 配置展开模式, 契约函数详解; integration-service.md).
 *
 * Rules kept here:
 * - A new interface takes `config_schema()`, `version()` and `admin_page` presence from its script
 *   (the definition's, or an admin-supplied `script_source`), starts disabled and unhealthy.
 * - Config is a JSON object checked against the schema with ajv (see config-schema.ts): an empty
 *   config `{}` is a draft the admin fills in later; any other config, and the config of an
 *   interface being enabled, must satisfy the whole schema, `required` included.
 * - A script change (`script_source`) is inspected first (syntax and contract), then stored with its
 *   hash, and the engine's cache of the interface is evicted (hot reload); config changes evict too.
 * - An interface used by open orders, unterminated instances or pending payments cannot be deleted.
 * - Script functions are called only by name from the script's own function list; CallPluginAction
 *   may not call the contract functions that move money or provisioned servers.
 */
import { LockMode, UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { INSTANCE_STATUSES, Instance, type InstanceStatus } from '../../persistence/entities/instances.ts';
import { Order } from '../../persistence/entities/orders.ts';
import { Payment } from '../../persistence/entities/payments.ts';
import { Plugin, PluginInterface, type JsonObject } from '../../persistence/entities/plugins.ts';
import { PluginError, type PluginEngine, type PluginMetadata, type PluginTarget, type PluginType } from '../types.ts';
import { ConfigValidator, InvalidConfigSchemaError, keepMaskedSecrets } from './config-schema.ts';
import { PluginRegistryError } from './errors.ts';
import {
  readAdminPage, readCreatedInstance, readHealth, readImportedInstance, readInstanceStatus, readPriceQuote, readSpecTemplate,
  readSyncedProducts, readUpstreamBalance, readUpstreamInstances, toResultJson, type ProviderInstance, type SyncedProduct,
} from './results.ts';
import { scriptHash } from './scripts.ts';

/** Order states after which an order no longer needs its plugin interfaces. */
const FINISHED_ORDER_STATUSES = ['cancelled', 'refunded', 'completed'] as const;

/** How long a provider's spec template is reused before spec_template() runs again. */
export const SPEC_TEMPLATE_TTL_MS = 60_000;

/** Provider plugin types. */
const PROVIDER_TYPES: readonly PluginType[] = ['first_party_provider', 'upstream_provider'];

/**
 * Contract functions CallPluginAction refuses: they move money or create/destroy servers and must
 * go through the order, payment and instance paths (ledger, idempotency), never the admin bridge.
 */
export const BRIDGE_REFUSED_FUNCTIONS: readonly string[] = [
  'create_payment', 'handle_callback', 'refund', 'create_instance', 'terminate_instance', 'execute_action', 'import_upstream_instance', 'send',
];

/** A JavaScript identifier (what a top-level script function may be called). */
const FUNCTION_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

/** A server spec as the provider functions receive it (ServerSpec / QueryPriceRequest fields). */
export interface ServerSpecInput {
  cpuCores: number;
  memoryGb: number;
  diskGb: number;
  bandwidthMbps: number;
  region: string;
  os: string;
  extraSpecs: Record<string, string>;
}

/** Result of a health check. */
export interface HealthResult {
  healthy: boolean;
  error: string | null;
  checkedAt: Date;
}

/** Options of {@link PluginRegistry}. */
export interface PluginRegistryOptions {
  orm: MikroORM;
  engine: PluginEngine;
  log: Logger;
}

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

function describeInterface(row: PluginInterface): string {
  return `plugin interface "${row.displayName}" (${row.pluginType}/${row.pluginId})`;
}

/**
 * Interface operations used by IntegrationService and the plugin schedules. Every method reads and
 * writes through its own forked entity manager; methods throw {@link PluginRegistryError} for
 * refused requests and {@link PluginError} (from the engine) for failing scripts, except health
 * checks, which record a failing script as unhealthy.
 */
export class PluginRegistry {
  private readonly orm: MikroORM;
  private readonly engine: PluginEngine;
  private readonly log: Logger;
  private readonly validator = new ConfigValidator();
  private readonly metadataCache = new Map<string, PluginMetadata>();
  private readonly specTemplates = new Map<string, { template: ReturnType<typeof readSpecTemplate>; expires: number }>();

  constructor(options: PluginRegistryOptions) {
    this.orm = options.orm;
    this.engine = options.engine;
    this.log = options.log;
  }

  // ── plugin definitions ──────────────────────────────────────────────────────────────────────────

  /** The plugin definitions, optionally of one type, ordered by type and id. */
  async listPlugins(pluginType?: PluginType): Promise<Plugin[]> {
    return this.orm.em.fork().find(Plugin, pluginType ? { pluginType } : {}, { orderBy: { pluginType: 'asc', pluginId: 'asc' } });
  }

  /** One plugin definition. @throws PluginRegistryError not_found */
  async getPlugin(id: string): Promise<Plugin> {
    const plugin = await this.orm.em.fork().findOne(Plugin, { id });
    if (!plugin) throw new PluginRegistryError('not_found', `plugin definition ${id} does not exist`);
    return plugin;
  }

  // ── interfaces ──────────────────────────────────────────────────────────────────────────────────

  /** Interfaces, optionally of some types and/or enabled only, ordered by type, plugin and name. */
  async listInterfaces(filter: { pluginTypes?: readonly PluginType[]; enabledOnly?: boolean } = {}): Promise<PluginInterface[]> {
    return this.orm.em.fork().find(
      PluginInterface,
      {
        ...(filter.pluginTypes ? { pluginType: { $in: [...filter.pluginTypes] } } : {}),
        ...(filter.enabledOnly ? { enabled: true } : {}),
      },
      { orderBy: { pluginType: 'asc', pluginId: 'asc', displayName: 'asc', id: 'asc' } },
    );
  }

  /** One interface. @throws PluginRegistryError not_found */
  async getInterface(id: string): Promise<PluginInterface> {
    const row = await this.orm.em.fork().findOne(PluginInterface, { id });
    if (!row) throw new PluginRegistryError('not_found', `plugin interface ${id} does not exist`);
    return row;
  }

  /**
   * Creates a disabled interface of plugin definition `pluginDefId` (CreatePluginInterface). The
   * script is the definition's unless `scriptSource` is given; its `config_schema()` becomes the
   * interface's schema and `configJson` is checked against it.
   * @throws PluginRegistryError not_found (definition), invalid_argument (name, config, script_source),
   *   already_exists (display name taken for this plugin), failed_precondition (the definition's
   *   script no longer loads)
   */
  async createInterface(input: { pluginDefId: string; displayName: string; configJson: string; scriptSource?: string }): Promise<PluginInterface> {
    const displayName = checkDisplayName(input.displayName);
    const config = parseJsonObject('config_json', input.configJson);
    const plugin = await this.getPlugin(input.pluginDefId);
    const own = input.scriptSource !== undefined;
    const source = own ? input.scriptSource ?? '' : plugin.scriptSource;
    const metadata = own ? await this.inspectSubmitted(plugin.pluginType, plugin.pluginId, source) : await this.inspectStored(plugin.pluginType, plugin.pluginId, source);
    this.checkConfig(config, metadata.configSchema, { draftAllowed: true });
    const em = this.orm.em.fork();
    const row = em.create(PluginInterface, {
      pluginDefId: plugin.id,
      pluginType: plugin.pluginType,
      pluginId: plugin.pluginId,
      displayName,
      enabled: false,
      config,
      configSchema: metadata.configSchema,
      scriptSource: source,
      scriptHash: scriptHash(source),
      pluginVersion: metadata.version,
      hasAdminPage: metadata.hasAdminPage,
      isHealthy: false,
      healthError: null,
      lastCheckAt: null,
    });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new PluginRegistryError('already_exists', `plugin ${plugin.pluginType}/${plugin.pluginId} already has an interface named "${displayName}"`);
      }
      throw error;
    }
    this.log.info({ interfaceId: row.id, pluginType: row.pluginType, pluginId: row.pluginId }, 'plugin interface created');
    return row;
  }

  /**
   * Changes an interface's config, display name and/or script (UpdatePluginInterface). A new
   * script is inspected and replaces config_schema, version and admin-page flag; the config (new
   * or kept) must satisfy the schema. With `keepSecrets`, secret fields sent as `""` keep their
   * stored value (for callers who were shown them masked). Evicts the engine cache on any config
   * or script change. Returns the row and the names of the changed fields (never values).
   * @throws PluginRegistryError not_found, invalid_argument, already_exists
   */
  async updateInterface(
    id: string,
    input: { configJson?: string; displayName?: string; scriptSource?: string; keepSecrets: boolean },
  ): Promise<{ row: PluginInterface; changed: string[] }> {
    const em = this.orm.em.fork();
    const row = await em.findOne(PluginInterface, { id });
    if (!row) throw new PluginRegistryError('not_found', `plugin interface ${id} does not exist`);
    const changed: string[] = [];
    if (input.displayName !== undefined) {
      const name = checkDisplayName(input.displayName);
      if (name !== row.displayName) {
        row.displayName = name;
        changed.push('display_name');
      }
    }
    let schema = row.configSchema;
    if (input.scriptSource !== undefined) {
      const hash = scriptHash(input.scriptSource);
      if (hash !== row.scriptHash) {
        const metadata = await this.inspectSubmitted(row.pluginType, row.pluginId, input.scriptSource);
        row.scriptSource = input.scriptSource;
        row.scriptHash = hash;
        row.pluginVersion = metadata.version;
        row.hasAdminPage = metadata.hasAdminPage;
        row.configSchema = metadata.configSchema;
        schema = metadata.configSchema;
        changed.push('script_source');
      }
    }
    let config = row.config;
    if (input.configJson !== undefined) {
      const sent = parseJsonObject('config_json', input.configJson);
      config = input.keepSecrets ? keepMaskedSecrets(sent, row.config, schema) : sent;
    }
    if (input.configJson !== undefined || changed.includes('script_source')) {
      this.checkConfig(config, schema, { draftAllowed: !row.enabled });
      if (JSON.stringify(config) !== JSON.stringify(row.config)) {
        row.config = config;
        changed.push('config_json');
      }
    }
    if (changed.length > 0) {
      try {
        await em.flush();
      } catch (error) {
        if (error instanceof UniqueConstraintViolationException) {
          throw new PluginRegistryError('already_exists', `plugin ${row.pluginType}/${row.pluginId} already has an interface named "${row.displayName}"`);
        }
        throw error;
      }
      if (changed.includes('script_source') || changed.includes('config_json')) this.engine.evict(row.id);
      this.log.info({ interfaceId: row.id, changed }, 'plugin interface updated');
    }
    return { row, changed };
  }

  /**
   * Enables or disables an interface (TogglePluginInterface). Enabling checks the config against
   * the whole schema first. Returns the row and whether anything changed.
   * @throws PluginRegistryError not_found, failed_precondition (enabling an incomplete config, naming the field)
   */
  async setEnabled(id: string, enabled: boolean): Promise<{ row: PluginInterface; changed: boolean }> {
    const em = this.orm.em.fork();
    const row = await em.findOne(PluginInterface, { id });
    if (!row) throw new PluginRegistryError('not_found', `plugin interface ${id} does not exist`);
    if (row.enabled === enabled) return { row, changed: false };
    if (enabled) {
      const problem = this.configProblem(row.config, row.configSchema, true);
      if (problem) throw new PluginRegistryError('failed_precondition', `cannot enable ${describeInterface(row)}: ${problem}; complete the config first`);
    }
    row.enabled = enabled;
    await em.flush();
    this.engine.evict(row.id);
    this.log.info({ interfaceId: row.id, enabled }, 'plugin interface toggled');
    return { row, changed: true };
  }

  /**
   * Deletes an interface (DeletePluginInterface); its plugin state goes with it, products lose
   * their link (ON DELETE SET NULL). The row is locked while checking, so callers creating orders
   * for an interface should read it `FOR SHARE`.
   * @throws PluginRegistryError not_found, failed_precondition while open orders, unterminated
   *   instances or pending payments use it
   */
  async deleteInterface(id: string): Promise<PluginInterface> {
    const deleted = await this.orm.em.fork().transactional(async (tx) => {
      const row = await tx.findOne(PluginInterface, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) throw new PluginRegistryError('not_found', `plugin interface ${id} does not exist`);
      const orders = await tx.count(Order, {
        $or: [{ providerInterfaceId: id }, { gatewayInterfaceId: id }],
        status: { $nin: [...FINISHED_ORDER_STATUSES] },
      });
      const instances = await tx.count(Instance, { providerInterfaceId: id, status: { $ne: 'terminated' } });
      const payments = await tx.count(Payment, { gatewayInterfaceId: id, status: 'pending' });
      const uses = [
        orders ? `${orders} open order${orders === 1 ? '' : 's'}` : '',
        instances ? `${instances} instance${instances === 1 ? '' : 's'} not terminated` : '',
        payments ? `${payments} pending payment${payments === 1 ? '' : 's'}` : '',
      ].filter((use) => use !== '');
      if (uses.length > 0) {
        throw new PluginRegistryError('failed_precondition', `${describeInterface(row)} is still used by ${uses.join(', ')}; finish or move them first, or disable the interface instead`);
      }
      await tx.nativeDelete(PluginInterface, { id });
      return row;
    });
    this.engine.evict(id);
    this.log.info({ interfaceId: id }, 'plugin interface deleted');
    return deleted;
  }

  /**
   * Runs the interface's `health_check()` and stores the verdict (`is_healthy`, `health_error`,
   * `last_check_at`). A script that returns false or throws is unhealthy with the reason; this
   * never throws for script failures.
   * @throws PluginRegistryError not_found
   */
  async checkHealth(id: string): Promise<HealthResult> {
    const row = await this.getInterface(id);
    return this.checkRowHealth(row);
  }

  /** {@link checkHealth} for a loaded row. */
  async checkRowHealth(row: PluginInterface): Promise<HealthResult> {
    let verdict: { healthy: boolean; error: string | null };
    try {
      verdict = readHealth(await this.engine.call(await this.targetOf(row), 'health_check'));
    } catch (error) {
      if (error instanceof PluginError) {
        verdict = { healthy: false, error: `${error.kind}: ${error.message}` };
      } else if (error instanceof PluginRegistryError) {
        verdict = { healthy: false, error: error.message };
      } else {
        this.log.error({ err: error, interfaceId: row.id }, 'health check failed unexpectedly');
        verdict = { healthy: false, error: 'health check failed: internal error (see the server log)' };
      }
    }
    const checkedAt = new Date();
    const error = verdict.error === null ? null : verdict.error.slice(0, 2000);
    await this.orm.em.fork().nativeUpdate(PluginInterface, { id: row.id }, { isHealthy: verdict.healthy, healthError: error, lastCheckAt: checkedAt });
    if (!verdict.healthy) this.log.warn({ interfaceId: row.id, pluginType: row.pluginType, pluginId: row.pluginId, error }, 'plugin interface unhealthy');
    return { healthy: verdict.healthy, error, checkedAt };
  }

  /** Health-checks every enabled interface, one after the other; returns how many were healthy. */
  async checkAllEnabled(): Promise<{ checked: number; healthy: number }> {
    const rows = await this.listInterfaces({ enabledOnly: true });
    let healthy = 0;
    for (const row of rows) {
      if ((await this.checkRowHealth(row)).healthy) healthy += 1;
    }
    return { checked: rows.length, healthy };
  }

  /**
   * The interface's admin page (`admin_page()` → HTML; GetPluginAdminPage).
   * @throws PluginRegistryError not_found (no interface, or its script has no admin_page); PluginError
   */
  async adminPage(id: string): Promise<{ html: string; title: string }> {
    const row = await this.getInterface(id);
    const metadata = await this.metadataOf(row);
    if (!metadata.hasAdminPage && !metadata.functions.includes('admin_page')) {
      throw new PluginRegistryError('not_found', `${describeInterface(row)} has no admin page (its script defines no admin_page function)`);
    }
    return readAdminPage(await this.engine.call(await this.targetOf(row), 'admin_page'), row.displayName);
  }

  /**
   * Calls the script function `fn` with `argsJson` merged into the config (CallPluginAction, the
   * admin-page bridge) and returns its value as JSON text. Only functions the script defines may
   * be called, and not those in {@link BRIDGE_REFUSED_FUNCTIONS}.
   * @throws PluginRegistryError invalid_argument (name, args), not_found (interface, function),
   *   failed_precondition (refused function); PluginError
   */
  async callAction(id: string, fn: string, argsJson: string): Promise<string> {
    if (fn === '') throw new PluginRegistryError('invalid_argument', 'function is required, e.g. "admin_list_instances"');
    if (!FUNCTION_NAME.test(fn)) throw new PluginRegistryError('invalid_argument', `function "${fn.slice(0, 64)}" is not a function name`);
    const args = parseJsonObject('args_json', argsJson);
    const row = await this.getInterface(id);
    const metadata = await this.metadataOf(row);
    if (!metadata.functions.includes(fn)) throw new PluginRegistryError('not_found', `the script of ${describeInterface(row)} defines no function "${fn}"`);
    if (BRIDGE_REFUSED_FUNCTIONS.includes(fn)) {
      throw new PluginRegistryError('failed_precondition', `"${fn}" moves money or servers and cannot be called from the admin page; use the order, payment or instance operations`);
    }
    return toResultJson(await this.engine.call(await this.targetOf(row), fn, args));
  }

  // ── providers ───────────────────────────────────────────────────────────────────────────────────

  /**
   * `spec_template()` of a provider interface (ListProviders), cached for
   * {@link SPEC_TEMPLATE_TTL_MS} per interface, script and config (customers list providers often).
   * @throws PluginError
   */
  async specTemplate(row: PluginInterface): Promise<ReturnType<typeof readSpecTemplate>> {
    const key = `${row.id}/${row.scriptHash}/${scriptHash(JSON.stringify(row.config))}`;
    const cached = this.specTemplates.get(key);
    if (cached && cached.expires > Date.now()) return cached.template;
    const template = readSpecTemplate(await this.engine.call(await this.targetOf(row), 'spec_template'));
    if (this.specTemplates.size >= 200) this.specTemplates.clear();
    this.specTemplates.set(key, { template, expires: Date.now() + SPEC_TEMPLATE_TTL_MS });
    return template;
  }

  /** `sync_products()` → products in ProductInfo form (not stored). @throws PluginRegistryError, PluginError */
  async syncProducts(id: string, groupId: string): Promise<SyncedProduct[]> {
    const row = await this.provider(id, 'sync_products');
    return readSyncedProducts(await this.engine.call(await this.targetOf(row), 'sync_products', { group_id: groupId }), row.id, groupId);
  }

  /** `query_price(spec)` → a quote. @throws PluginRegistryError, PluginError */
  async queryPrice(id: string, spec: ServerSpecInput): Promise<ReturnType<typeof readPriceQuote>> {
    const row = await this.provider(id, 'query_price');
    return readPriceQuote(await this.engine.call(await this.targetOf(row), 'query_price', specArgs(spec)));
  }

  /** `create_instance(spec)` → the provider's instance. @throws PluginRegistryError, PluginError */
  async createInstance(id: string, spec: ServerSpecInput): Promise<ProviderInstance> {
    const row = await this.provider(id, 'create_instance');
    const created = readCreatedInstance(await this.engine.call(await this.targetOf(row), 'create_instance', specArgs(spec)));
    this.log.info({ interfaceId: row.id, providerInstanceId: created.instanceId }, 'upstream instance created');
    return created;
  }

  /** `get_instance_status(instance_id)`. @throws PluginRegistryError, PluginError */
  async instanceStatus(id: string, instanceId: string): Promise<{ status: string; ipAddress: string }> {
    const row = await this.provider(id, 'get_instance_status');
    return readInstanceStatus(await this.engine.call(await this.targetOf(row), 'get_instance_status', { instance_id: instanceId }));
  }

  /** `sync_upstream_instances()` (upstream providers only). @throws PluginRegistryError, PluginError */
  async upstreamInstances(id: string): Promise<ProviderInstance[]> {
    const row = await this.provider(id, 'sync_upstream_instances');
    return readUpstreamInstances(await this.engine.call(await this.targetOf(row), 'sync_upstream_instances'));
  }

  /** `get_upstream_balance()` (upstream providers only). @throws PluginRegistryError, PluginError */
  async upstreamBalance(id: string): Promise<{ balance: string; currency: string }> {
    const row = await this.provider(id, 'get_upstream_balance');
    return readUpstreamBalance(await this.engine.call(await this.targetOf(row), 'get_upstream_balance'));
  }

  /**
   * `import_upstream_instance(instance_id)` (upstream providers only), then links the result to the
   * local instances: an instance already recorded for this provider instance is updated (status, IP);
   * otherwise an order of this interface naming the provider instance gives the owning customer and
   * a new instance row is created for it. Returns the local instance.
   * @throws PluginRegistryError failed_precondition when no local order or instance names the
   *   provider instance (an instance needs an owning customer); PluginError
   */
  async importUpstreamInstance(id: string, instanceId: string): Promise<Instance> {
    const row = await this.provider(id, 'import_upstream_instance');
    const imported = readImportedInstance(await this.engine.call(await this.targetOf(row), 'import_upstream_instance', { instance_id: instanceId }), instanceId);
    const status = localStatus(imported.status);
    return this.orm.em.fork().transactional(async (tx) => {
      const existing = await tx.findOne(Instance, { providerInterfaceId: row.id, providerInstanceId: imported.instanceId });
      if (existing) {
        if (status && existing.status !== 'terminated') existing.status = status;
        if (imported.ipAddress !== '') existing.ipAddress = imported.ipAddress;
        return existing;
      }
      const order = await tx.findOne(Order, { providerInterfaceId: row.id, providerInstanceId: imported.instanceId }, { orderBy: { createdAt: 'desc' } });
      if (!order) {
        throw new PluginRegistryError(
          'failed_precondition',
          `upstream instance "${imported.instanceId}" is not referenced by any order or instance of ${describeInterface(row)}; an imported instance needs an owning customer's order`,
        );
      }
      const byOrder = await tx.findOne(Instance, { orderId: order.id });
      if (byOrder) {
        byOrder.providerInterfaceId = row.id;
        byOrder.providerInstanceId = imported.instanceId;
        if (status) byOrder.status = status;
        if (imported.ipAddress !== '') byOrder.ipAddress = imported.ipAddress;
        return byOrder;
      }
      const spec = Object.fromEntries(Object.entries(order.serverSpec).filter(([key]) => key !== 'extra_specs').map(([key, value]) => [key, String(value)]));
      return tx.create(Instance, {
        customerId: order.customerId,
        orderId: order.id,
        productId: order.productId ?? null,
        productName: order.productName,
        providerInterfaceId: row.id,
        providerInstanceId: imported.instanceId,
        status: status ?? 'provisioning',
        ipAddress: imported.ipAddress,
        serverSpec: { ...spec, ...(order.serverSpec.extra_specs ?? {}) },
      });
    });
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────

  /**
   * The metadata of an interface's script (cached by type, id and source hash).
   * @throws PluginError when the stored script does not load
   */
  async metadataOf(row: PluginInterface): Promise<PluginMetadata> {
    const source = await this.sourceOf(row);
    return this.inspectCached(row.pluginType, row.pluginId, source);
  }

  private async inspectCached(pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata> {
    const key = `${pluginType}/${pluginId}/${scriptHash(source)}`;
    const cached = this.metadataCache.get(key);
    if (cached) return cached;
    const metadata = await this.engine.inspect(pluginType, pluginId, source);
    if (this.metadataCache.size >= 200) this.metadataCache.clear();
    this.metadataCache.set(key, metadata);
    return metadata;
  }

  /** Inspects a script an admin submitted: load failures are the request's fault (invalid_argument). */
  private async inspectSubmitted(pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata> {
    if (source.trim() === '') throw new PluginRegistryError('invalid_argument', 'script_source must not be empty');
    try {
      return await this.inspectCached(pluginType, pluginId, source);
    } catch (error) {
      if (error instanceof PluginError) throw new PluginRegistryError('invalid_argument', `script_source does not load (${error.kind}): ${error.message}`);
      throw error;
    }
  }

  /** Inspects a stored script: load failures are the stored state's fault (failed_precondition). */
  private async inspectStored(pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata> {
    try {
      return await this.inspectCached(pluginType, pluginId, source);
    } catch (error) {
      if (error instanceof PluginError) {
        throw new PluginRegistryError('failed_precondition', `the script of plugin ${pluginType}/${pluginId} does not load (${error.kind}): ${error.message}; fix the file and rescan`);
      }
      throw error;
    }
  }

  private configProblem(config: JsonObject, schema: JsonObject, requireAll: boolean): string | null {
    try {
      return this.validator.check(config, schema, { requireAll })?.message ?? null;
    } catch (error) {
      if (error instanceof InvalidConfigSchemaError) throw new PluginRegistryError('failed_precondition', error.message);
      throw error;
    }
  }

  /** @throws PluginRegistryError invalid_argument naming the first offending field */
  private checkConfig(config: JsonObject, schema: JsonObject, options: { draftAllowed: boolean }): void {
    const draft = options.draftAllowed && Object.keys(config).length === 0;
    const problem = this.configProblem(config, schema, !draft);
    if (problem) throw new PluginRegistryError('invalid_argument', `config_json: ${problem}`);
  }

  /**
   * Calls `fn` of an interface's script with `args` merged into its config (for services built on
   * plugins, e.g. notifications). No restrictions beyond the engine's.
   * @throws PluginError; PluginRegistryError failed_precondition (no script)
   */
  async callInterface(row: PluginInterface, fn: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.engine.call(await this.targetOf(row), fn, args);
  }

  /** The script an interface runs: its own, or (for rows without one) its definition's. */
  private async sourceOf(row: PluginInterface): Promise<string> {
    if (row.scriptSource !== '') return row.scriptSource;
    const em = this.orm.em.fork();
    const plugin = row.pluginDefId
      ? await em.findOne(Plugin, { id: row.pluginDefId })
      : await em.findOne(Plugin, { pluginType: row.pluginType, pluginId: row.pluginId });
    if (!plugin || plugin.scriptSource === '') {
      throw new PluginRegistryError('failed_precondition', `${describeInterface(row)} has no script; set script_source or rescan the plugin directory`);
    }
    return plugin.scriptSource;
  }

  private async targetOf(row: PluginInterface): Promise<PluginTarget> {
    return { interfaceId: row.id, pluginType: row.pluginType, pluginId: row.pluginId, source: await this.sourceOf(row), config: row.config };
  }

  /**
   * An enabled provider interface able to run `fn`.
   * @throws PluginRegistryError not_found (missing or disabled), failed_precondition (not a
   *   provider, or an upstream-only function on a first-party provider)
   */
  private async provider(id: string, fn: string): Promise<PluginInterface> {
    const row = await this.orm.em.fork().findOne(PluginInterface, { id });
    if (!row || !row.enabled) throw new PluginRegistryError('not_found', `provider interface ${id} does not exist or is disabled`);
    if (!PROVIDER_TYPES.includes(row.pluginType)) {
      throw new PluginRegistryError('failed_precondition', `${describeInterface(row)} is not a provider; ${fn} needs a first-party or upstream provider interface`);
    }
    const upstreamOnly = ['sync_upstream_instances', 'import_upstream_instance', 'get_upstream_balance'].includes(fn);
    if (upstreamOnly && row.pluginType !== 'upstream_provider') {
      throw new PluginRegistryError('failed_precondition', `${describeInterface(row)} is a first-party provider; ${fn} is for upstream providers only`);
    }
    return row;
  }
}

/** The business arguments of query_price / create_instance, flat (as the guide's scripts read them) and as `server_spec`. */
function specArgs(spec: ServerSpecInput): Record<string, unknown> {
  const flat = {
    cpu_cores: spec.cpuCores,
    memory_gb: spec.memoryGb,
    disk_gb: spec.diskGb,
    bandwidth_mbps: spec.bandwidthMbps,
    region: spec.region,
    os: spec.os,
    extra_specs: spec.extraSpecs,
  };
  return { ...flat, server_spec: flat };
}

/** A provider's status word as a local instance status (`pending` → provisioning), or null when unknown. */
export function localStatus(status: string): InstanceStatus | null {
  const word = status.trim().toLowerCase();
  if (word === 'pending' || word === 'creating' || word === 'starting') return 'provisioning';
  return (INSTANCE_STATUSES as readonly string[]).includes(word) ? (word as InstanceStatus) : null;
}
