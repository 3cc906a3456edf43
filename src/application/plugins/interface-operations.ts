/**
 * What admins do with a configured plugin interface besides changing it (IntegrationService
 * CheckPluginHealth, CallPluginAction, CreateUpstreamInstance). The script runs first, outside any
 * transaction; then one transaction writes what came of it — the health verdict — together with
 * the `operation_logs` row. Calls that change nothing of ours (an admin-page action, a server
 * created at an upstream) write only the audit row, once the call succeeded.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ServerSpecInput } from '../../domain/provisioning/server-spec.ts';
import type { HealthResult } from '../../plugins/registry/health.ts';
import type { PluginRegistry } from '../../plugins/registry/registry.ts';
import type { ProviderInstance } from '../../plugins/registry/results.ts';
import { recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';

/** See the file comment. Refusals are DomainErrors; failing scripts PluginErrors (CheckPluginHealth never fails for them). */
export class InterfaceOperations {
  private readonly orm: MikroORM;
  private readonly registry: PluginRegistry;

  constructor(deps: { orm: MikroORM; registry: PluginRegistry }) {
    this.orm = deps.orm;
    this.registry = deps.registry;
  }

  /**
   * Runs the interface's `health_check()` and stores the verdict; audited as
   * `plugin_interface.health_check` with the verdict. A failing script is an unhealthy verdict.
   * @throws DomainError not_found
   */
  async checkHealth(origin: Origin, id: string): Promise<HealthResult> {
    const row = await this.registry.interfaces.get(id);
    const verdict = await this.registry.health.run(row);
    return this.orm.em.fork().transactional(async (tx) => {
      const result = await this.registry.health.record(tx, row.id, verdict);
      recordAudit(tx, origin, { action: 'plugin_interface.health_check', targetType: 'plugin_interface', targetId: row.id, details: { healthy: result.healthy } });
      return result;
    });
  }

  /**
   * Calls a function of the interface's script through the admin-page bridge and returns its
   * value as JSON text; audited as `plugin_interface.action` with the function's name (never the
   * arguments or the result).
   * @throws DomainError invalid_argument, not_found, failed_precondition (src/plugins/registry/admin-pages.ts); PluginError
   */
  async callAction(origin: Origin, id: string, fn: string, argsJson: string): Promise<string> {
    const resultJson = await this.registry.adminPages.callAction(id, fn, argsJson);
    await this.audit(origin, 'plugin_interface.action', id, { function: fn });
    return resultJson;
  }

  /**
   * Creates a server at a provider with `create_instance(spec)`, outside any order (admin tool of
   * the Upstream page); audited as `upstream_instance.create` with the provider's instance id.
   * Nothing is stored locally.
   * @throws DomainError not_found (missing or disabled provider), failed_precondition (not a provider); PluginError
   */
  async createUpstreamInstance(origin: Origin, id: string, spec: ServerSpecInput): Promise<ProviderInstance> {
    const created = await this.registry.providers.createInstance(id, spec);
    await this.audit(origin, 'upstream_instance.create', id, { providerInstanceId: created.instanceId });
    return created;
  }

  /** Writes one audit row about interface `id` in a transaction of its own. */
  private async audit(origin: Origin, action: string, id: string, details: Record<string, unknown>): Promise<void> {
    await this.orm.em.fork().transactional(async (tx) => {
      recordAudit(tx, origin, { action, targetType: 'plugin_interface', targetId: id, details });
    });
  }
}
