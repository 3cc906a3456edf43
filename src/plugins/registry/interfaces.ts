/**
 * Plugin interfaces (`plugin_interfaces` rows; plugin guide: 双表模型, 开发工作流 steps 3-5,
 * 配置展开模式): reading them, and the changes an admin makes — create, update, enable/disable,
 * delete. Changes are written into the caller's transaction (`tx`), so the application service
 * (src/application/plugins) commits each together with its audit row; anything that runs a script
 * (inspecting a submitted one) happens before, in {@link PluginInterfaces.draft} and
 * {@link PluginInterfaces.prepareUpdate}, never while a transaction is open.
 *
 * Rules kept here:
 * - A new interface takes `config_schema()`, `version()` and `admin_page` presence from its script
 *   (the definition's, or an admin-supplied `script_source`), starts disabled and unhealthy.
 * - Config is a JSON object checked against the schema with ajv (config-schema.ts): an empty config
 *   `{}` is a draft the admin fills in later; any other config, and the config of an interface
 *   being enabled, must satisfy the whole schema, `required` included.
 * - A script change is inspected first (syntax and contract), then stored with its hash.
 * - An interface still used (orders, instances, payments: asked through {@link InterfaceUsers})
 *   cannot be deleted.
 * After a commit that changed a script or config, or deleted the interface, callers let
 * {@link InterfaceScripts.forget} drop what the engine remembers of it.
 */
import { LockMode, UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import { PluginInterface, type JsonObject } from '../../persistence/entities/plugins.ts';
import type { PluginMetadata, PluginType } from '../types.ts';
import { ConfigValidator, InvalidConfigSchemaError, keepMaskedSecrets } from './config-schema.ts';
import type { PluginDefinitions } from './definitions.ts';
import { PluginRegistryError } from './errors.ts';
import type { InterfaceScripts } from './interface-scripts.ts';
import type { InterfaceUsers } from './interface-users.ts';
import { checkDisplayName, describeInterface, duplicateNameRefusal, parseJsonObject, usageRefusal } from './rules.ts';
import { scriptHash } from './scripts.ts';

/** CreatePluginInterface's fields. */
export interface NewInterface {
  pluginDefId: string;
  displayName: string;
  /** JSON object text; '' is `{}` (a draft). */
  configJson: string;
  /** The interface's own script instead of the definition's. */
  scriptSource?: string;
}

/** A new interface, checked and with its script inspected: the row {@link PluginInterfaces.insert} writes. */
export interface InterfaceDraft {
  pluginDefId: string;
  pluginType: PluginType;
  pluginId: string;
  displayName: string;
  config: JsonObject;
  configSchema: JsonObject;
  scriptSource: string;
  scriptHash: string;
  pluginVersion: string;
  hasAdminPage: boolean;
  /** True when the script is the admin's own (`script_source`), not the definition's. */
  ownScript: boolean;
}

/** UpdatePluginInterface's fields (only those set change). */
export interface InterfaceChanges {
  configJson?: string;
  displayName?: string;
  scriptSource?: string;
  /** Secret fields sent as `""` keep their stored value (for callers who were shown them masked). */
  keepSecrets: boolean;
}

/** An update with its parts checked and a new script inspected, ready for {@link PluginInterfaces.applyUpdate}. */
export interface PreparedUpdate {
  id: string;
  displayName?: string;
  /** The config as sent (secrets not yet merged). */
  config?: JsonObject;
  keepSecrets: boolean;
  script?: { source: string; hash: string; metadata: PluginMetadata };
}

/** The names of the fields an update changed (never values). */
export type ChangedField = 'display_name' | 'script_source' | 'config_json';

/** Filters of {@link PluginInterfaces.list}. */
export interface InterfaceFilter {
  pluginTypes?: readonly PluginType[];
  enabledOnly?: boolean;
}

function notFound(id: string): PluginRegistryError {
  return new PluginRegistryError('not_found', `plugin interface ${id} does not exist`);
}

/** See the file comment. Refusals are {@link PluginRegistryError}s. */
export class PluginInterfaces {
  private readonly orm: MikroORM;
  private readonly definitions: PluginDefinitions;
  private readonly scripts: InterfaceScripts;
  private readonly users: InterfaceUsers;
  private readonly validator = new ConfigValidator();

  constructor(deps: { orm: MikroORM; definitions: PluginDefinitions; scripts: InterfaceScripts; users: InterfaceUsers }) {
    this.orm = deps.orm;
    this.definitions = deps.definitions;
    this.scripts = deps.scripts;
    this.users = deps.users;
  }

  /** Interfaces, optionally of some types and/or enabled only, ordered by type, plugin and name. */
  async list(filter: InterfaceFilter = {}): Promise<PluginInterface[]> {
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
  async get(id: string): Promise<PluginInterface> {
    const row = await this.orm.em.fork().findOne(PluginInterface, { id });
    if (!row) throw notFound(id);
    return row;
  }

  /**
   * Checks a new interface of definition `input.pluginDefId` and inspects its script (the
   * definition's unless `scriptSource` is given): its `config_schema()` becomes the interface's
   * schema, and the config must satisfy it (or be the empty draft `{}`). Writes nothing.
   * @throws PluginRegistryError not_found (definition), invalid_argument (name, config,
   *   script_source), failed_precondition (the definition's script no longer loads)
   */
  async draft(input: NewInterface): Promise<InterfaceDraft> {
    const displayName = checkDisplayName(input.displayName);
    const config = parseJsonObject('config_json', input.configJson);
    const plugin = await this.definitions.get(input.pluginDefId);
    const ownScript = input.scriptSource !== undefined;
    const source = input.scriptSource ?? plugin.scriptSource;
    const metadata = ownScript
      ? await this.scripts.inspectSubmitted(plugin.pluginType, plugin.pluginId, source)
      : await this.scripts.inspectStored(plugin.pluginType, plugin.pluginId, source);
    this.checkConfig(config, metadata.configSchema, { draftAllowed: true });
    return {
      pluginDefId: plugin.id,
      pluginType: plugin.pluginType,
      pluginId: plugin.pluginId,
      displayName,
      config,
      configSchema: metadata.configSchema,
      scriptSource: source,
      scriptHash: scriptHash(source),
      pluginVersion: metadata.version,
      hasAdminPage: metadata.hasAdminPage,
      ownScript,
    };
  }

  /**
   * Writes a drafted interface, disabled and unhealthy, into `tx` (flushed).
   * @throws PluginRegistryError already_exists (display name taken for this plugin)
   */
  async insert(tx: EntityManager, draft: InterfaceDraft): Promise<PluginInterface> {
    const row = tx.create(PluginInterface, {
      pluginDefId: draft.pluginDefId,
      pluginType: draft.pluginType,
      pluginId: draft.pluginId,
      displayName: draft.displayName,
      enabled: false,
      config: draft.config,
      configSchema: draft.configSchema,
      scriptSource: draft.scriptSource,
      scriptHash: draft.scriptHash,
      pluginVersion: draft.pluginVersion,
      hasAdminPage: draft.hasAdminPage,
      isHealthy: false,
      healthError: null,
      lastCheckAt: null,
    });
    await this.flushNamed(tx, draft.pluginType, draft.pluginId, draft.displayName);
    return row;
  }

  /**
   * Checks the parts of an update that need no lock — display name, config JSON — and inspects a
   * new script (`script_source` other than the one the interface runs). Writes nothing.
   * @throws PluginRegistryError not_found, invalid_argument (name, config JSON, script)
   */
  async prepareUpdate(id: string, changes: InterfaceChanges): Promise<PreparedUpdate> {
    const row = await this.get(id);
    const prepared: PreparedUpdate = { id: row.id, keepSecrets: changes.keepSecrets };
    if (changes.displayName !== undefined) prepared.displayName = checkDisplayName(changes.displayName);
    if (changes.configJson !== undefined) prepared.config = parseJsonObject('config_json', changes.configJson);
    if (changes.scriptSource !== undefined && scriptHash(changes.scriptSource) !== row.scriptHash) {
      const metadata = await this.scripts.inspectSubmitted(row.pluginType, row.pluginId, changes.scriptSource);
      prepared.script = { source: changes.scriptSource, hash: scriptHash(changes.scriptSource), metadata };
    }
    return prepared;
  }

  /**
   * Applies a prepared update to the interface, locked in `tx` (flushed). A new script replaces
   * config_schema, version and admin-page flag; the config (new or kept) must satisfy the schema
   * (`{}` only while disabled). Returns the row and the changed fields.
   * @throws PluginRegistryError not_found, invalid_argument (config), already_exists (display name)
   */
  async applyUpdate(tx: EntityManager, update: PreparedUpdate): Promise<{ row: PluginInterface; changed: ChangedField[] }> {
    const row = await this.lock(tx, update.id);
    const changed: ChangedField[] = [];
    if (update.displayName !== undefined && update.displayName !== row.displayName) {
      row.displayName = update.displayName;
      changed.push('display_name');
    }
    let schema = row.configSchema;
    if (update.script && update.script.hash !== row.scriptHash) {
      const { source, hash, metadata } = update.script;
      row.scriptSource = source;
      row.scriptHash = hash;
      row.pluginVersion = metadata.version;
      row.hasAdminPage = metadata.hasAdminPage;
      row.configSchema = metadata.configSchema;
      schema = metadata.configSchema;
      changed.push('script_source');
    }
    let config = row.config;
    if (update.config !== undefined) config = update.keepSecrets ? keepMaskedSecrets(update.config, row.config, schema) : update.config;
    if (update.config !== undefined || changed.includes('script_source')) {
      this.checkConfig(config, schema, { draftAllowed: !row.enabled });
      if (JSON.stringify(config) !== JSON.stringify(row.config)) {
        row.config = config;
        changed.push('config_json');
      }
    }
    if (changed.length > 0) await this.flushNamed(tx, row.pluginType, row.pluginId, row.displayName);
    return { row, changed };
  }

  /**
   * Enables or disables the interface, locked in `tx` (flushed). Enabling checks the config
   * against the whole schema first. Returns the row and whether anything changed.
   * @throws PluginRegistryError not_found, failed_precondition (enabling an incomplete config, naming the field)
   */
  async setEnabled(tx: EntityManager, id: string, enabled: boolean): Promise<{ row: PluginInterface; changed: boolean }> {
    const row = await this.lock(tx, id);
    if (row.enabled === enabled) return { row, changed: false };
    if (enabled) {
      const problem = this.configProblem(row.config, row.configSchema, true);
      if (problem) throw new PluginRegistryError('failed_precondition', `cannot enable ${describeInterface(row)}: ${problem}; complete the config first`);
    }
    row.enabled = enabled;
    await tx.flush();
    return { row, changed: true };
  }

  /**
   * Deletes the interface in `tx`; its plugin state goes with it, products lose their link (ON
   * DELETE SET NULL). The row is locked while its users are counted, so whoever creates orders or
   * payments for an interface should read it `FOR SHARE`. Returns the deleted row.
   * @throws PluginRegistryError not_found, failed_precondition while open orders, unterminated
   *   instances or pending payments use it
   */
  async delete(tx: EntityManager, id: string): Promise<PluginInterface> {
    const row = await this.lock(tx, id);
    const refusal = usageRefusal(row, await this.users.usesOf(tx, id));
    if (refusal) throw refusal;
    await tx.nativeDelete(PluginInterface, { id });
    return row;
  }

  /** The interface row, locked for update in `tx`. @throws PluginRegistryError not_found */
  private async lock(tx: EntityManager, id: string): Promise<PluginInterface> {
    const row = await tx.findOne(PluginInterface, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!row) throw notFound(id);
    return row;
  }

  /** Flushes `tx`; a taken display name is AlreadyExists. */
  private async flushNamed(tx: EntityManager, pluginType: PluginType, pluginId: string, displayName: string): Promise<void> {
    try {
      await tx.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw duplicateNameRefusal(pluginType, pluginId, displayName);
      throw error;
    }
  }

  /** The first problem of `config` against `schema`, or null. @throws PluginRegistryError failed_precondition when the schema itself is unusable */
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
}
