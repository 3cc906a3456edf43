/**
 * Calls into provider plugins (plugin guide: 契约函数详解; integration-service.md ListProviders,
 * SyncProducts, QueryPrice, CreateUpstreamInstance, GetInstanceStatus, SyncUpstreamInstances,
 * ImportUpstreamInstance, GetUpstreamBalance): each runs one contract function of an enabled
 * provider interface and reads its result into a typed shape (results.ts). Instance management
 * (InstanceService, extra-services.md) uses execute_action, terminate_instance,
 * instance_detail_sections and instance_actions; the guide has no start/stop/restart functions,
 * so those are execute_action with the action ids `start`, `stop`, `restart`. Changing a running
 * instance's spec (upgrade/downgrade) is `resize_instance`, an optional NodeBill extension of the
 * guide that only some providers define ({@link ProviderCalls.canResize}). Nothing here writes a
 * table: what to store of a result (products, instances) is the business of the catalog and of
 * provisioning, which call these.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { ServerSpecInput } from '../../domain/provisioning/server-spec.ts';
import { PluginInterface } from '../../persistence/entities/plugins.ts';
import { PluginRegistryError } from './errors.ts';
import type { InterfaceScripts } from './interface-scripts.ts';
import type { PluginInterfaces } from './interfaces.ts';
import {
  flattenSpecTemplate, readActionResult, readCreatedInstance, readDetailSections, readImportedInstance, readInstanceActions, readInstanceStatus,
  readPriceQuote, readSpecTemplate, readSyncedProducts, readUpstreamBalance, readUpstreamInstances, type ActionResult, type DetailSectionData,
  type InstanceActionData, type ProviderInstance, type SpecTemplateData, type SyncedProduct,
} from './results.ts';
import { describeInterface, PROVIDER_TYPES, providerRefusal } from './rules.ts';
import { scriptHash } from './scripts.ts';

/** How long a provider's spec template is reused before spec_template() runs again. */
export const SPEC_TEMPLATE_TTL_MS = 60_000;

/**
 * The optional provider function that changes an instance's spec (a NodeBill extension of the
 * plugin guide; {@link ProviderCalls.resizeInstance}).
 */
const RESIZE_FUNCTION = 'resize_instance';

/** How many spec templates are remembered (the cache is emptied when full). */
const SPEC_TEMPLATE_CACHE_SIZE = 200;

/** A spec template as ListProviders sends it ({@link flattenSpecTemplate}). */
export type SpecTemplate = SpecTemplateData;

/** An enabled provider interface and its spec template (empty when spec_template() failed). */
export interface ListedProvider {
  row: PluginInterface;
  specTemplate: SpecTemplate;
}

/** A provider instance `import_upstream_instance()` described, and the interface it came from. */
export interface UpstreamInstanceReport {
  /** The provider interface's id and how messages name it (`plugin interface "…" (upstream_provider/…)`). */
  provider: { id: string; description: string };
  instance: ProviderInstance;
}

/**
 * A local instance as the instance functions of a provider receive it (instance_detail_sections,
 * instance_actions): `instance_id` is the provider's own id (what every function reads), the rest
 * describes the instance as we know it.
 */
export interface InstanceContext {
  /** The provider's id of the instance (`instances.provider_instance_id`). */
  providerInstanceId: string;
  /** Our id (`instances.id`), sent as `local_instance_id`. */
  id: string;
  orderId: string;
  /** Local status word (provisioning / running / …). */
  status: string;
  ipAddress: string;
  serverSpec: Record<string, string>;
  productName: string;
}

/** The business arguments of the instance functions for `instance` (snake_case, as the guide's scripts read them). */
function instanceArgs(instance: InstanceContext): Record<string, unknown> {
  return {
    instance_id: instance.providerInstanceId,
    provider_instance_id: instance.providerInstanceId,
    local_instance_id: instance.id,
    order_id: instance.orderId,
    status: instance.status,
    ip_address: instance.ipAddress,
    server_spec: { ...instance.serverSpec },
    product_name: instance.productName,
  };
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

/**
 * See the file comment. The methods taking an interface id need an enabled provider interface able
 * to run the function: they throw {@link PluginRegistryError} not_found (missing or disabled) or
 * failed_precondition (not a provider; an upstream-only function on a first-party provider), and
 * {@link PluginError} when the script fails or returns something unusable.
 */
export class ProviderCalls {
  private readonly orm: MikroORM;
  private readonly scripts: InterfaceScripts;
  private readonly interfaces: PluginInterfaces;
  private readonly log: Logger;
  private readonly specTemplates = new Map<string, { template: SpecTemplate; expires: number }>();
  /** {@link specTemplateOf}'s answers by interface id, for SPEC_TEMPLATE_TTL_MS. */
  private readonly templatesById = new Map<string, { template: SpecTemplate; expires: number }>();

  constructor(deps: { orm: MikroORM; scripts: InterfaceScripts; interfaces: PluginInterfaces; log: Logger }) {
    this.orm = deps.orm;
    this.scripts = deps.scripts;
    this.interfaces = deps.interfaces;
    this.log = deps.log;
  }

  /**
   * The enabled provider interfaces with their spec templates (ListProviders). A provider whose
   * spec_template() fails is listed with an empty template, and the failure logged.
   */
  async listProviders(): Promise<ListedProvider[]> {
    const rows = await this.interfaces.list({ pluginTypes: PROVIDER_TYPES, enabledOnly: true });
    return Promise.all(rows.map(async (row) => {
      try {
        return { row, specTemplate: await this.specTemplate(row) };
      } catch (error) {
        this.log.warn({ interfaceId: row.id, error: error instanceof Error ? error.message : String(error) }, 'spec_template() failed; listing the provider without a template');
        return { row, specTemplate: { fields: [], groups: [] } };
      }
    }));
  }

  /**
   * `spec_template()` of a provider interface, flattened for the wire ({@link flattenSpecTemplate}:
   * every field in `fields` with its group key, `groups` kept), cached for
   * {@link SPEC_TEMPLATE_TTL_MS} per interface, script and config (customers list providers often).
   * @throws PluginError; PluginRegistryError (no script)
   */
  async specTemplate(row: PluginInterface): Promise<SpecTemplate> {
    const key = `${row.id}/${row.scriptHash}/${scriptHash(JSON.stringify(row.config))}`;
    const cached = this.specTemplates.get(key);
    if (cached && cached.expires > Date.now()) return cached.template;
    const template = flattenSpecTemplate(readSpecTemplate(await this.scripts.call(row, 'spec_template')));
    if (this.specTemplates.size >= SPEC_TEMPLATE_CACHE_SIZE) this.specTemplates.clear();
    this.specTemplates.set(key, { template, expires: Date.now() + SPEC_TEMPLATE_TTL_MS });
    return template;
  }

  /**
   * The spec template of the enabled provider interface `id` as {@link specTemplate} gives it
   * (cached for a minute by interface id, so an order does not read the interface again), for pricing and checking
   * an order's spec (issue 13, README "Spec pricing"). A provider whose script has no
   * `spec_template` function has an empty template.
   * @throws PluginRegistryError not_found (missing or disabled), failed_precondition (not a
   *   provider); PluginError (the script failed)
   */
  async specTemplateOf(id: string): Promise<SpecTemplate> {
    // Every CreateOrder prices through here: within the TTL the template is answered without
    // reading the interface's row (script source included) again.
    const known = this.templatesById.get(id);
    if (known && known.expires > Date.now()) return known.template;
    const row = await this.provider(id, 'spec_template');
    const template = (await this.defines(row, 'spec_template')) ? await this.specTemplate(row) : { fields: [], groups: [] };
    if (this.templatesById.size >= SPEC_TEMPLATE_CACHE_SIZE) this.templatesById.clear();
    this.templatesById.set(id, { template, expires: Date.now() + SPEC_TEMPLATE_TTL_MS });
    return template;
  }

  /** `sync_products(group_id)` → the provider's products in ProductInfo form (stored by nobody here). */
  async syncProducts(id: string, groupId: string): Promise<SyncedProduct[]> {
    const row = await this.provider(id, 'sync_products');
    return readSyncedProducts(await this.scripts.call(row, 'sync_products', { group_id: groupId }), row.id, groupId);
  }

  /** `query_price(spec)` → `{ amount, currency, billingCycle }` (amount a decimal with two places). */
  async queryPrice(id: string, spec: ServerSpecInput): Promise<ReturnType<typeof readPriceQuote>> {
    const row = await this.provider(id, 'query_price');
    return readPriceQuote(await this.scripts.call(row, 'query_price', specArgs(spec)));
  }

  /**
   * `create_instance(spec)` → the provider's instance (its `instance_id` required).
   * @param options.orderId the order being provisioned, sent as `order_id`: a provider names or
   *   remembers the instance by it, so that a retried provisioning of the same order gets the
   *   instance the first attempt created instead of a second one (provider-incus names the
   *   instance after it, provider-rustbill remembers it in its plugin state). Without it (an admin
   *   creating a server outside any order, CreateUpstreamInstance) nothing is sent and every call
   *   creates a new instance.
   */
  async createInstance(id: string, spec: ServerSpecInput, options: { orderId?: string } = {}): Promise<ProviderInstance> {
    const row = await this.provider(id, 'create_instance');
    const args = options.orderId === undefined || options.orderId === '' ? specArgs(spec) : { ...specArgs(spec), order_id: options.orderId };
    const created = readCreatedInstance(await this.scripts.call(row, 'create_instance', args));
    this.log.info({ interfaceId: row.id, providerInstanceId: created.instanceId, orderId: options.orderId }, 'provider instance created');
    return created;
  }

  /** `get_instance_status(instance_id)` → `{ status, ipAddress }` as the provider words them. */
  async instanceStatus(id: string, instanceId: string): Promise<{ status: string; ipAddress: string }> {
    const row = await this.provider(id, 'get_instance_status');
    return readInstanceStatus(await this.scripts.call(row, 'get_instance_status', { instance_id: instanceId }));
  }

  /**
   * Starts an instance. The plugin guide has no start/stop/restart functions: power actions are
   * `execute_action` with the action id `start` (the id provider-incus and provider-rustbill use).
   */
  startInstance(id: string, instanceId: string): Promise<ActionResult> {
    return this.executeAction(id, instanceId, 'start');
  }

  /** Stops an instance: `execute_action(instance_id, action: "stop")` (see {@link startInstance}). */
  stopInstance(id: string, instanceId: string): Promise<ActionResult> {
    return this.executeAction(id, instanceId, 'stop');
  }

  /** Restarts an instance: `execute_action(instance_id, action: "restart")` (see {@link startInstance}). */
  restartInstance(id: string, instanceId: string): Promise<ActionResult> {
    return this.executeAction(id, instanceId, 'restart');
  }

  /**
   * `terminate_instance(instance_id)` → `{ success, message, data }` (an empty result is a success).
   * A plugin that cannot terminate says `success: false` or fails (PluginError).
   */
  async terminateInstance(id: string, instanceId: string): Promise<ActionResult> {
    const row = await this.provider(id, 'terminate_instance');
    const result = readActionResult('terminate_instance', await this.scripts.call(row, 'terminate_instance', { instance_id: instanceId }));
    this.log.info({ interfaceId: row.id, providerInstanceId: instanceId, success: result.success }, 'provider instance termination');
    return result;
  }

  /**
   * Whether {@link resizeInstance} can be asked of the interface: true when it is an enabled
   * provider interface whose script defines a top-level function `resize_instance` (an optional
   * NodeBill extension of the guide: provider-incus has one, provider-rustbill has none). False for
   * a missing, disabled or non-provider interface, and for a provider without the function.
   * Detection reads the functions the engine found when it inspected the script
   * ({@link InterfaceScripts.metadataOf}, cached by script hash): nothing of the script runs.
   * @throws PluginError when the interface's script does not load; PluginRegistryError
   *   failed_precondition when the interface has no script
   */
  async canResize(id: string): Promise<boolean> {
    const row = await this.orm.em.fork().findOne(PluginInterface, { id });
    if (!row || !row.enabled || providerRefusal(row, RESIZE_FUNCTION)) return false;
    return this.defines(row, RESIZE_FUNCTION);
  }

  /**
   * `resize_instance(instance_id, spec)` → `{ success, message, data }`: changes a running
   * instance to another spec (upgrade or downgrade), with the spec sent as create_instance gets it
   * (flat `cpu_cores`, `memory_gb`, `disk_gb`, `bandwidth_mbps`, `region`, `os`, `extra_specs`, and
   * the same as `server_spec`) plus `instance_id`, the provider's id of the instance. A provider
   * that refuses the new spec says `success: false` (or fails: PluginError). Which parts of the
   * spec a provider can change is its own (provider-incus changes vCPU and memory limits only).
   * @throws PluginRegistryError not_found (missing or disabled interface), failed_precondition (not
   *   a provider, or `<interface> cannot resize instances: its plugin has no resize_instance
   *   function` — see {@link canResize}; the script is not called then); PluginError (the script
   *   failed, returned an `ERROR: …` string, or something that is not an action result)
   */
  async resizeInstance(id: string, instanceId: string, spec: ServerSpecInput): Promise<ActionResult> {
    const row = await this.provider(id, RESIZE_FUNCTION);
    if (!(await this.defines(row, RESIZE_FUNCTION))) {
      throw new PluginRegistryError('failed_precondition', `${describeInterface(row)} cannot resize instances: its plugin has no ${RESIZE_FUNCTION} function`);
    }
    const result = readActionResult(RESIZE_FUNCTION, await this.scripts.call(row, RESIZE_FUNCTION, { instance_id: instanceId, ...specArgs(spec) }));
    this.log.info(
      { interfaceId: row.id, providerInstanceId: instanceId, cpuCores: spec.cpuCores, memoryGb: spec.memoryGb, diskGb: spec.diskGb, success: result.success },
      'provider instance resize',
    );
    return result;
  }

  /** `execute_action(instance_id, action)` → `{ success, message, data }` (guide: execute_action 返回值). */
  async executeAction(id: string, instanceId: string, action: string): Promise<ActionResult> {
    const row = await this.provider(id, 'execute_action');
    const result = readActionResult('execute_action', await this.scripts.call(row, 'execute_action', { instance_id: instanceId, action }));
    this.log.info({ interfaceId: row.id, providerInstanceId: instanceId, action, success: result.success }, 'provider instance action');
    return result;
  }

  /** `instance_detail_sections(instance)` → the sections of the instance's detail page, ordered by `order`. */
  async instanceDetailSections(id: string, instance: InstanceContext): Promise<DetailSectionData[]> {
    const row = await this.provider(id, 'instance_detail_sections');
    return readDetailSections(await this.scripts.call(row, 'instance_detail_sections', instanceArgs(instance)));
  }

  /** `instance_actions(instance)` → the actions the instance's detail page offers. */
  async instanceActions(id: string, instance: InstanceContext): Promise<InstanceActionData[]> {
    const row = await this.provider(id, 'instance_actions');
    return readInstanceActions(await this.scripts.call(row, 'instance_actions', instanceArgs(instance)));
  }

  /** `sync_upstream_instances()` (upstream providers only) → the upstream's instances. */
  async upstreamInstances(id: string): Promise<ProviderInstance[]> {
    const row = await this.provider(id, 'sync_upstream_instances');
    return readUpstreamInstances(await this.scripts.call(row, 'sync_upstream_instances'));
  }

  /** `get_upstream_balance()` (upstream providers only) → `{ balance, currency }`. */
  async upstreamBalance(id: string): Promise<{ balance: string; currency: string }> {
    const row = await this.provider(id, 'get_upstream_balance');
    return readUpstreamBalance(await this.scripts.call(row, 'get_upstream_balance'));
  }

  /**
   * `import_upstream_instance(instance_id)` (upstream providers only) → the instance as the
   * upstream describes it (its id defaulting to the one asked for). Records nothing locally: that
   * is provisioning's (src/application/provisioning/upstream-instance-import.ts).
   */
  async importUpstreamInstance(id: string, instanceId: string): Promise<UpstreamInstanceReport> {
    const row = await this.provider(id, 'import_upstream_instance');
    const instance = readImportedInstance(await this.scripts.call(row, 'import_upstream_instance', { instance_id: instanceId }), instanceId);
    return { provider: { id: row.id, description: describeInterface(row) }, instance };
  }

  /**
   * Whether the script of `row` defines the top-level function `fn` (optional functions such as
   * {@link RESIZE_FUNCTION}). @throws as {@link InterfaceScripts.metadataOf}
   */
  private async defines(row: PluginInterface, fn: string): Promise<boolean> {
    return (await this.scripts.metadataOf(row)).functions.includes(fn);
  }

  /** An enabled provider interface able to run `fn`. @throws PluginRegistryError (see the class comment) */
  private async provider(id: string, fn: string): Promise<PluginInterface> {
    const row = await this.orm.em.fork().findOne(PluginInterface, { id });
    if (!row || !row.enabled) throw new PluginRegistryError('not_found', `provider interface ${id} does not exist or is disabled`);
    const refusal = providerRefusal(row, fn);
    if (refusal) throw refusal;
    return row;
  }
}
