/**
 * Calls into provider plugins (plugin guide: 契约函数详解; integration-service.md ListProviders,
 * SyncProducts, QueryPrice, CreateUpstreamInstance, GetInstanceStatus, SyncUpstreamInstances,
 * ImportUpstreamInstance, GetUpstreamBalance): each runs one contract function of an enabled
 * provider interface and reads its result into a typed shape (results.ts). Nothing here writes a
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
  flattenSpecTemplate, readCreatedInstance, readImportedInstance, readInstanceStatus, readPriceQuote, readSpecTemplate, readSyncedProducts,
  readUpstreamBalance, readUpstreamInstances, type ProviderInstance, type SpecTemplateData, type SyncedProduct,
} from './results.ts';
import { describeInterface, PROVIDER_TYPES, providerRefusal } from './rules.ts';
import { scriptHash } from './scripts.ts';

/** How long a provider's spec template is reused before spec_template() runs again. */
export const SPEC_TEMPLATE_TTL_MS = 60_000;

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

  /** `create_instance(spec)` → the provider's instance (its `instance_id` required). */
  async createInstance(id: string, spec: ServerSpecInput): Promise<ProviderInstance> {
    const row = await this.provider(id, 'create_instance');
    const created = readCreatedInstance(await this.scripts.call(row, 'create_instance', specArgs(spec)));
    this.log.info({ interfaceId: row.id, providerInstanceId: created.instanceId }, 'upstream instance created');
    return created;
  }

  /** `get_instance_status(instance_id)` → `{ status, ipAddress }` as the provider words them. */
  async instanceStatus(id: string, instanceId: string): Promise<{ status: string; ipAddress: string }> {
    const row = await this.provider(id, 'get_instance_status');
    return readInstanceStatus(await this.scripts.call(row, 'get_instance_status', { instance_id: instanceId }));
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

  /** An enabled provider interface able to run `fn`. @throws PluginRegistryError (see the class comment) */
  private async provider(id: string, fn: string): Promise<PluginInterface> {
    const row = await this.orm.em.fork().findOne(PluginInterface, { id });
    if (!row || !row.enabled) throw new PluginRegistryError('not_found', `provider interface ${id} does not exist or is disabled`);
    const refusal = providerRefusal(row, fn);
    if (refusal) throw refusal;
    return row;
  }
}
