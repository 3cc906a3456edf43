/**
 * Plugin interface administration (IntegrationService CreatePluginInterface,
 * UpdatePluginInterface, TogglePluginInterface, DeletePluginInterface): each change is one
 * transaction holding the change and its `operation_logs` row. A submitted script is inspected
 * before the transaction opens (src/plugins/registry/interfaces.ts); once the change committed,
 * the engine forgets what it remembered of the interface (hot reload).
 *
 * Audit rows name changed fields, never config values (they may be secrets); a script change
 * carries the SHA-256 of the new source (`scriptSha256`).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { invalid } from '../../domain/errors.ts';
import type { PluginInterface } from '../../persistence/entities/plugins.ts';
import type { ChangedField, NewInterface } from '../../plugins/registry/interfaces.ts';
import type { PluginRegistry } from '../../plugins/registry/registry.ts';
import { scriptAuthorRefusal, seesSecrets } from '../../plugins/registry/rules.ts';
import { recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';

/** UpdatePluginInterface's fields (only those set change; at least one must be set). */
export interface InterfaceUpdate {
  configJson?: string;
  displayName?: string;
  scriptSource?: string;
}

/** See the file comment. Refusals are DomainErrors (PluginRegistryError for the registry's own). */
export class InterfaceAdministration {
  private readonly orm: MikroORM;
  private readonly registry: PluginRegistry;

  constructor(deps: { orm: MikroORM; registry: PluginRegistry }) {
    this.orm = deps.orm;
    this.registry = deps.registry;
  }

  /**
   * Creates a disabled interface of a plugin definition, its script the definition's unless
   * `scriptSource` is given; audited as `plugin_interface.create`.
   * @throws DomainError permission_denied (a script from anybody but the admin role); the
   *   registry's not_found (definition), invalid_argument (name, config, script),
   *   already_exists (name taken for this plugin), failed_precondition (the definition's script
   *   no longer loads)
   */
  async create(origin: Origin, input: NewInterface): Promise<PluginInterface> {
    if (input.scriptSource !== undefined) {
      const refusal = scriptAuthorRefusal(origin.caller);
      if (refusal) throw refusal;
    }
    const draft = await this.registry.interfaces.draft(input);
    const row = await this.orm.em.fork().transactional(async (tx) => {
      const created = await this.registry.interfaces.insert(tx, draft);
      recordAudit(tx, origin, {
        action: 'plugin_interface.create', targetType: 'plugin_interface', targetId: created.id,
        details: { pluginType: created.pluginType, pluginId: created.pluginId, displayName: created.displayName, ownScript: draft.ownScript, scriptSha256: created.scriptHash },
      });
      return created;
    });
    this.registry.log.info({ interfaceId: row.id, pluginType: row.pluginType, pluginId: row.pluginId }, 'plugin interface created');
    return row;
  }

  /**
   * Changes an interface's config, display name and/or script. Callers who may not see secrets
   * (operators) keep the stored value of every secret field they send as `""`. Audited as
   * `plugin_interface.update` with the changed field names, when anything changed. Returns the
   * row and the changed fields.
   * @throws DomainError invalid_argument (nothing to update; a field), permission_denied (a
   *   script from anybody but the admin role), not_found, already_exists (name taken)
   */
  async update(origin: Origin, id: string, update: InterfaceUpdate): Promise<{ row: PluginInterface; changed: ChangedField[] }> {
    if (update.configJson === undefined && update.displayName === undefined && update.scriptSource === undefined) {
      throw invalid('nothing to update: set config_json, display_name and/or script_source');
    }
    if (update.scriptSource !== undefined) {
      const refusal = scriptAuthorRefusal(origin.caller);
      if (refusal) throw refusal;
    }
    const prepared = await this.registry.interfaces.prepareUpdate(id, { ...update, keepSecrets: !seesSecrets(origin.caller) });
    const result = await this.orm.em.fork().transactional(async (tx) => {
      const applied = await this.registry.interfaces.applyUpdate(tx, prepared);
      if (applied.changed.length > 0) {
        const script = applied.changed.includes('script_source') ? { scriptSha256: applied.row.scriptHash } : {};
        recordAudit(tx, origin, { action: 'plugin_interface.update', targetType: 'plugin_interface', targetId: applied.row.id, details: { changes: applied.changed, ...script } });
      }
      return applied;
    });
    if (result.changed.includes('script_source') || result.changed.includes('config_json')) this.registry.scripts.forget(result.row.id);
    if (result.changed.length > 0) this.registry.log.info({ interfaceId: result.row.id, changed: result.changed }, 'plugin interface updated');
    return result;
  }

  /**
   * Enables or disables an interface; audited as `plugin_interface.enable` / `.disable` when it
   * changed. Returns the row and whether anything changed.
   * @throws DomainError not_found, failed_precondition (enabling an incomplete config, naming the field)
   */
  async setEnabled(origin: Origin, id: string, enabled: boolean): Promise<{ row: PluginInterface; changed: boolean }> {
    const result = await this.orm.em.fork().transactional(async (tx) => {
      const toggled = await this.registry.interfaces.setEnabled(tx, id, enabled);
      if (toggled.changed) {
        recordAudit(tx, origin, {
          action: enabled ? 'plugin_interface.enable' : 'plugin_interface.disable', targetType: 'plugin_interface', targetId: toggled.row.id,
          details: { displayName: toggled.row.displayName },
        });
      }
      return toggled;
    });
    if (result.changed) {
      this.registry.scripts.forget(result.row.id);
      this.registry.log.info({ interfaceId: result.row.id, enabled }, 'plugin interface toggled');
    }
    return result;
  }

  /**
   * Deletes an interface and its plugin state; audited as `plugin_interface.delete`.
   * @throws DomainError not_found, failed_precondition while open orders, unterminated instances
   *   or pending payments use it
   */
  async remove(origin: Origin, id: string): Promise<void> {
    await this.orm.em.fork().transactional(async (tx) => {
      const row = await this.registry.interfaces.delete(tx, id);
      recordAudit(tx, origin, {
        action: 'plugin_interface.delete', targetType: 'plugin_interface', targetId: row.id,
        details: { pluginType: row.pluginType, pluginId: row.pluginId, displayName: row.displayName },
      });
    });
    this.registry.scripts.forget(id);
    this.registry.log.info({ interfaceId: id }, 'plugin interface deleted');
  }
}
