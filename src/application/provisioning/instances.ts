/**
 * Instance management (extra-services.md, rustbill.instance.InstanceService): listing and reading
 * instances, power actions, termination and the provider plugin's own actions, and the periodic
 * status refresh. The rules — which action from which status, the status it leads to, provider
 * status words — are src/domain/provisioning/instance-lifecycle.ts; the provider plugin is reached
 * through {@link InstanceProvider} (the registry's ProviderCalls).
 *
 * Every action goes the same way: the instance is loaded and checked (a customer's call on another
 * customer's instance is NotFound, as if it did not exist), the provider plugin carries it out —
 * outside any transaction —, then one transaction writes the new status with a guarded update
 * (`… WHERE id = ? AND status <> 'terminated'`: terminated stays final even when a termination
 * raced the action) and, for an admin, the `operation_logs` row. A refused action changes nothing
 * and calls no plugin.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { DomainError, forbidden, invalid, notFound, refused } from '../../domain/errors.ts';
import type { Origin } from '../../domain/origin.ts';
import type { Page } from '../../domain/pagination.ts';
import {
  checkAction, checkActionId, powerActionOf, refreshedStatus, statusAfterAction, type InstanceStatus, type LifecycleAction, type PowerAction,
} from '../../domain/provisioning/instance-lifecycle.ts';
import { rfc3339 } from '../../lib/time.ts';
import { Instance } from '../../persistence/entities/instances.ts';
import { PluginRegistryError } from '../../plugins/registry/errors.ts';
import type { InstanceContext } from '../../plugins/registry/providers.ts';
import { reportedActionStatus, type ActionResult, type DetailSectionData, type InstanceActionData } from '../../plugins/registry/results.ts';
import { PluginError } from '../../plugins/types.ts';
import { recordAudit } from '../audit.ts';

/**
 * The port to provider plugins (the registry's ProviderCalls). Each method runs one contract
 * function of provider interface `interfaceId` on the provider's instance `instanceId`.
 * They throw PluginRegistryError (interface missing, disabled or not a provider) and PluginError
 * (the script failed).
 */
export interface InstanceProvider {
  startInstance(interfaceId: string, instanceId: string): Promise<ActionResult>;
  stopInstance(interfaceId: string, instanceId: string): Promise<ActionResult>;
  restartInstance(interfaceId: string, instanceId: string): Promise<ActionResult>;
  terminateInstance(interfaceId: string, instanceId: string): Promise<ActionResult>;
  executeAction(interfaceId: string, instanceId: string, action: string): Promise<ActionResult>;
  instanceDetailSections(interfaceId: string, instance: InstanceContext): Promise<DetailSectionData[]>;
  instanceActions(interfaceId: string, instance: InstanceContext): Promise<InstanceActionData[]>;
  instanceStatus(interfaceId: string, instanceId: string): Promise<{ status: string; ipAddress: string }>;
}

/** An instance as InstanceService shows it (`InstanceInfo`); times are RFC3339, absent ids ''. */
export interface InstanceView {
  id: string;
  orderId: string;
  customerId: string;
  productId: string;
  providerInterfaceId: string;
  providerInstanceId: string;
  status: InstanceStatus;
  ipAddress: string;
  serverSpec: Record<string, string>;
  productName: string;
  createdAt: string;
  updatedAt: string;
}

/** An instance with what its provider plugin shows on the detail page (GetInstance). */
export interface InstanceDetail {
  instance: InstanceView;
  /** `instance_detail_sections()`; empty when the plugin failed (the failure is logged). */
  sections: DetailSectionData[];
  /** `instance_actions()`; empty when the plugin failed (the failure is logged). */
  actions: InstanceActionData[];
}

/** Filters of ListInstances; `customerId` is honoured for admins only (customers always see their own). */
export interface InstanceFilter {
  customerId?: string;
  status?: InstanceStatus;
  providerInterfaceId?: string;
}

/** What {@link InstanceManagement.refreshStatuses} did. */
export interface StatusRefresh {
  /** Instances whose provider was asked (answered or not; failures are logged). */
  checked: number;
  /** Instances whose status or IP address changed. */
  changed: number;
}

/** How many provider status calls a refresh runs at once. */
const REFRESH_CONCURRENCY = 4;

/** Most instances one refresh may check. */
export const MAX_REFRESH_LIMIT = 1000;

/** The instance's fields as the response shows them. */
export function instanceView(row: Instance): InstanceView {
  return {
    id: row.id,
    orderId: row.orderId ?? '',
    customerId: row.customerId,
    productId: row.productId ?? '',
    providerInterfaceId: row.providerInterfaceId ?? '',
    providerInstanceId: row.providerInstanceId ?? '',
    status: row.status,
    ipAddress: row.ipAddress,
    serverSpec: { ...row.serverSpec },
    productName: row.productName,
    createdAt: rfc3339(row.createdAt),
    updatedAt: rfc3339(row.updatedAt),
  };
}

/** The customer whose instances `origin`'s caller may see, or undefined for admins (all). */
function ownerOf(origin: Origin): string | undefined {
  const caller = origin.caller;
  if (caller.kind === 'customer' || caller.kind === 'apikey') return caller.customerId;
  if (caller.kind === 'admin') return undefined;
  throw forbidden('instances are shown to their customer and to administrators only');
}

/** The audit action name of a lifecycle action. */
function auditAction(action: LifecycleAction): string {
  return action === 'custom' ? 'instance.action' : `instance.${action}`;
}

/** See the file comment. Refusals are DomainErrors (mapped to gRPC statuses by the call pipeline). */
export class InstanceManagement {
  private readonly orm: MikroORM;
  private readonly provider: InstanceProvider;
  private readonly log: Logger;

  constructor(deps: { orm: MikroORM; provider: InstanceProvider; log: Logger }) {
    this.orm = deps.orm;
    this.provider = deps.provider;
    this.log = deps.log;
  }

  /**
   * A page of instances, newest first. Customers and API keys see their own customer's only
   * (`filter.customerId` is ignored for them); admins see all, optionally of one customer.
   */
  async list(origin: Origin, filter: InstanceFilter, page: Page): Promise<{ instances: InstanceView[]; total: number }> {
    const owner = ownerOf(origin) ?? filter.customerId;
    const [rows, total] = await this.orm.em.fork().findAndCount(
      Instance,
      {
        ...(owner !== undefined ? { customerId: owner } : {}),
        ...(filter.status !== undefined ? { status: filter.status } : {}),
        ...(filter.providerInterfaceId !== undefined ? { providerInterfaceId: filter.providerInterfaceId } : {}),
      },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: page.pageSize, offset: page.offset },
    );
    return { instances: rows.map(instanceView), total };
  }

  /**
   * One instance with its provider plugin's detail sections and actions (called at the same time).
   * When the plugin fails (or the instance has no provider instance yet) the instance comes with
   * empty sections and actions, and the failure is logged.
   * @throws DomainError not_found (also for another customer's instance)
   */
  async get(origin: Origin, id: string): Promise<InstanceDetail> {
    const row = await this.load(this.orm.em.fork(), origin, id);
    const instance = instanceView(row);
    const target = this.target(row);
    if (target === null) return { instance, sections: [], actions: [] };
    const context = this.context(row, target.instanceId);
    const [sections, actions] = await Promise.all([
      this.provider.instanceDetailSections(target.interfaceId, context).catch((error: unknown) => this.shown(row, 'instance_detail_sections', error, [])),
      this.provider.instanceActions(target.interfaceId, context).catch((error: unknown) => this.shown(row, 'instance_actions', error, [])),
    ]);
    return { instance, sections, actions };
  }

  /**
   * Starts, stops or restarts an instance through its provider plugin (execute_action with the
   * action id) and records the status it leads to. Audited for admins as `instance.<action>`.
   * @throws DomainError not_found; failed_precondition (the status does not allow it, no provider
   *   instance, the provider interface is missing or disabled, the provider refused: nothing
   *   changed); PluginError (the script failed: nothing changed)
   */
  async power(origin: Origin, id: string, action: PowerAction): Promise<InstanceView> {
    const { row, result } = await this.act(origin, id, action, null);
    if (!result.success) throw refused(`the provider could not ${action} the instance: ${result.message || 'no reason given'}`);
    return this.finish(origin, row, action, null, result);
  }

  /**
   * Terminates an instance through its provider plugin (terminate_instance); terminated is final.
   * Audited for admins as `instance.terminate`.
   * @throws as {@link power}
   */
  async terminate(origin: Origin, id: string): Promise<InstanceView> {
    const { row, result } = await this.act(origin, id, 'terminate', null);
    if (!result.success) throw refused(`the provider could not terminate the instance: ${result.message || 'no reason given'}`);
    return this.finish(origin, row, 'terminate', null, result);
  }

  /**
   * Runs one of the instance's actions (execute_action). `start`, `stop`, `restart` (and `reboot`)
   * are the power actions (their status rules and status changes); `terminate` is refused (use
   * TerminateInstance); any other id must be one of the plugin's `instance_actions()` for the
   * instance, enabled. A successful action's result may report the status it led to
   * (`data: {"status": …}`), which is recorded. A result with `success: false` changes nothing and
   * is returned as it is. Audited for admins as `instance.action` (with the action id and success).
   * @throws DomainError invalid_argument (malformed action id), not_found, failed_precondition
   *   (status, action not offered or disabled, see {@link power}); PluginError
   */
  async execute(origin: Origin, id: string, actionId: string): Promise<ActionResult> {
    const action = checkActionId(actionId);
    if (action === 'terminate') throw invalid('action "terminate" is not an instance action: call TerminateInstance');
    const power = powerActionOf(action);
    const kind: LifecycleAction = power ?? 'custom';
    const { row, result } = await this.act(origin, id, kind, action);
    if (result.success || kind === 'custom') await this.finish(origin, row, kind, action, result);
    return result;
  }

  /**
   * Asks the providers for the status of up to `options.limit` non-terminated instances that have
   * a provider instance, those checked longest ago first (never-checked ones before all), and
   * records what changed: the status (src/domain rules: terminated is final, unknown and
   * transitional words change nothing) and a reported non-empty IP address. The instances are
   * claimed by stamping `status_checked_at` first (`FOR UPDATE SKIP LOCKED`), so concurrent
   * refreshes check different instances; a status changed meanwhile by an action is not
   * overwritten. A provider that fails is logged and its instance is checked again in a later run.
   * Meant for a periodic job; writes no audit rows (nobody acted).
   * @param options.limit how many instances to check, 1 to {@link MAX_REFRESH_LIMIT}
   * @throws DomainError invalid_argument for a limit out of range
   */
  async refreshStatuses(options: { limit: number }): Promise<StatusRefresh> {
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REFRESH_LIMIT) throw invalid(`limit must be an integer from 1 to ${MAX_REFRESH_LIMIT}, got ${limit}`);
    const claimed = await this.orm.em.fork().getConnection().execute<Array<{
      id: string; status: InstanceStatus; ip_address: string; provider_interface_id: string; provider_instance_id: string;
    }>>(
      `update instances set status_checked_at = now()
       where id in (
         select id from instances
         where status <> 'terminated' and provider_interface_id is not null and provider_instance_id is not null and provider_instance_id <> ''
         order by status_checked_at asc nulls first, created_at asc, id asc
         limit ? for update skip locked)
       returning id, status, ip_address, provider_interface_id, provider_instance_id`,
      [limit],
    );
    let changed = 0;
    let next = 0;
    const work = async (): Promise<void> => {
      while (next < claimed.length) {
        const item = claimed[next++];
        if (item === undefined) return;
        try {
          const reported = await this.provider.instanceStatus(item.provider_interface_id, item.provider_instance_id);
          const status = refreshedStatus(item.status, reported.status);
          const ipAddress = reported.ipAddress !== '' ? reported.ipAddress : item.ip_address;
          if (status === item.status && ipAddress === item.ip_address) continue;
          const rows = await this.orm.em.fork().getConnection().execute<Array<{ id: string }>>(
            `update instances set status = ?, ip_address = ?, updated_at = now(),
               terminated_at = case when ? = 'terminated' then now() else terminated_at end
             where id = ? and status = ? returning id`,
            [status, ipAddress, status, item.id, item.status],
          );
          if (rows.length > 0) {
            changed += 1;
            this.log.info({ instanceId: item.id, from: item.status, to: status, ipAddress }, 'instance status refreshed from its provider');
          }
        } catch (error) {
          this.log.warn({ instanceId: item.id, interfaceId: item.provider_interface_id, error: error instanceof Error ? error.message : String(error) }, 'instance status check failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(REFRESH_CONCURRENCY, claimed.length) }, work));
    return { checked: claimed.length, changed };
  }

  /**
   * Loads and checks an instance, then runs `kind` through its provider. Nothing is written here.
   * @param actionId the plugin's action id (custom and ExecuteInstanceAction power actions)
   */
  private async act(origin: Origin, id: string, kind: LifecycleAction, actionId: string | null): Promise<{ row: Instance; result: ActionResult }> {
    const row = await this.load(this.orm.em.fork(), origin, id);
    checkAction(row.status, kind, actionId ?? undefined);
    const target = this.target(row);
    if (target === null) throw refused('the instance has no instance at its provider yet (provisioning has not finished); try again later');
    try {
      if (kind === 'custom') await this.checkOffered(row, target, actionId ?? '');
      const result = await this.run(target, kind, actionId);
      return { row, result };
    } catch (error) {
      if (error instanceof PluginRegistryError && error.kind === 'not_found') {
        throw refused(`the instance's provider interface ${target.interfaceId} is missing or disabled; an administrator must enable it first`);
      }
      throw error;
    }
  }

  /** Calls the provider function of `kind`. */
  private run(target: { interfaceId: string; instanceId: string }, kind: LifecycleAction, actionId: string | null): Promise<ActionResult> {
    switch (kind) {
      case 'start':
        return this.provider.startInstance(target.interfaceId, target.instanceId);
      case 'stop':
        return this.provider.stopInstance(target.interfaceId, target.instanceId);
      case 'restart':
        return this.provider.restartInstance(target.interfaceId, target.instanceId);
      case 'terminate':
        return this.provider.terminateInstance(target.interfaceId, target.instanceId);
      case 'custom':
        return this.provider.executeAction(target.interfaceId, target.instanceId, actionId ?? '');
    }
  }

  /**
   * Refuses a custom action the plugin does not offer for the instance, or offers disabled.
   * @throws DomainError failed_precondition
   */
  private async checkOffered(row: Instance, target: { interfaceId: string; instanceId: string }, actionId: string): Promise<void> {
    const offered = await this.provider.instanceActions(target.interfaceId, this.context(row, target.instanceId));
    const action = offered.find((candidate) => candidate.id === actionId);
    if (!action) {
      const ids = offered.map((candidate) => `"${candidate.id}"`).join(', ');
      throw refused(`the instance's provider offers no action "${actionId}"${ids === '' ? '' : `; it offers ${ids}`}`);
    }
    if (!action.enabled) throw refused(`action "${actionId}" is not available for the instance now (status ${row.status})`);
  }

  /**
   * Records the outcome of an action: the status it led to (guarded: a terminated instance stays
   * terminated) and, for an admin, the audit row — one transaction. Returns the instance as stored.
   */
  private async finish(origin: Origin, row: Instance, kind: LifecycleAction, actionId: string | null, result: ActionResult): Promise<InstanceView> {
    const status = result.success ? statusAfterAction(row.status, kind, reportedActionStatus(result)) : row.status;
    return this.orm.em.fork().transactional(async (tx) => {
      if (status !== row.status) {
        await tx.execute(
          `update instances set status = ?, updated_at = now(),
             terminated_at = case when ? = 'terminated' then now() else terminated_at end
           where id = ? and status <> 'terminated'`,
          [status, status, row.id],
        );
      }
      if (origin.caller.kind === 'admin') {
        recordAudit(tx, origin, {
          action: auditAction(kind), targetType: 'instance', targetId: row.id,
          details: { from: row.status, to: status, success: result.success, ...(actionId !== null ? { actionId } : {}) },
        });
      }
      const stored = await tx.findOneOrFail(Instance, { id: row.id }, { refresh: true });
      return instanceView(stored);
    });
  }

  /**
   * The instance `id` as `origin`'s caller may see it.
   * @throws DomainError not_found when it does not exist or belongs to another customer (same message)
   */
  private async load(em: EntityManager, origin: Origin, id: string): Promise<Instance> {
    const owner = ownerOf(origin);
    const row = await em.findOne(Instance, { id });
    if (!row || (owner !== undefined && row.customerId !== owner)) throw notFound(`instance ${id} does not exist`);
    return row;
  }

  /** The provider interface and the provider's instance id, or null when provisioning has not recorded them yet. */
  private target(row: Instance): { interfaceId: string; instanceId: string } | null {
    if (!row.providerInterfaceId || !row.providerInstanceId) return null;
    return { interfaceId: row.providerInterfaceId, instanceId: row.providerInstanceId };
  }

  /** The instance as the detail functions receive it. */
  private context(row: Instance, providerInstanceId: string): InstanceContext {
    return {
      providerInstanceId, id: row.id, orderId: row.orderId ?? '', status: row.status, ipAddress: row.ipAddress,
      serverSpec: { ...row.serverSpec }, productName: row.productName,
    };
  }

  /** Logs a failed detail function and returns `fallback` (GetInstance shows the instance anyway). */
  private shown<T>(row: Instance, fn: string, error: unknown, fallback: T): T {
    if (!(error instanceof PluginError || error instanceof DomainError)) {
      this.log.error({ instanceId: row.id, fn, err: error }, `${fn}() failed unexpectedly; showing the instance without it`);
    } else {
      this.log.warn({ instanceId: row.id, interfaceId: row.providerInterfaceId, fn, error: error.message }, `${fn}() failed; showing the instance without it`);
    }
    return fallback;
  }
}
