/**
 * The provider side of the service lifecycle (issue 11, README "Recurring billing"): after the
 * money path suspended, restored or ended a service (`service_suspended`, `service_restored`,
 * `service_terminated` events), its instance is made to match its order:
 *
 * | order | instance becomes | provider call |
 * |---|---|---|
 * | suspended | suspended | the plugin's `suspend` action when `instance_actions()` offers one, else `stop` |
 * | active (instance suspended) | running | the plugin's `unsuspend` action when offered, else `start` |
 * | completed / cancelled / refunded | terminated | `terminate_instance` |
 *
 * The handler reads the order's status **now** rather than trusting the event, so events that
 * arrive out of order (a payment's restore racing the suspension) still leave the instance as the
 * order says. The instance row is locked (`FOR UPDATE`) around the provider call, so two handlers
 * of the same service (a repeated event, two workers) call the provider once: the second finds the
 * instance already as it should be. A provider failure rolls back and throws, and the event is
 * retried with backoff.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { InstanceStatus } from '../../domain/provisioning/instance-lifecycle.ts';
import type { InstanceContext } from '../../plugins/registry/providers.ts';
import type { ActionResult, InstanceActionData } from '../../plugins/registry/results.ts';

/** The provider calls this needs (the registry's ProviderCalls). */
export interface ServiceInstanceProvider {
  stopInstance(interfaceId: string, instanceId: string): Promise<ActionResult>;
  startInstance(interfaceId: string, instanceId: string): Promise<ActionResult>;
  terminateInstance(interfaceId: string, instanceId: string): Promise<ActionResult>;
  executeAction(interfaceId: string, instanceId: string, action: string): Promise<ActionResult>;
  instanceActions(interfaceId: string, instance: InstanceContext): Promise<InstanceActionData[]>;
}

/** What {@link ServiceInstances.reconcile} did to the order's instance. */
export type Reconciled = 'suspended' | 'restored' | 'terminated' | 'unchanged' | 'no_instance';

/** The status an order's instance should have, or null when the order leaves it alone. */
function desiredStatus(orderStatus: string, current: InstanceStatus): InstanceStatus | null {
  if (orderStatus === 'suspended') return 'suspended';
  if (orderStatus === 'active') return current === 'suspended' ? 'running' : null;
  if (orderStatus === 'completed' || orderStatus === 'cancelled' || orderStatus === 'refunded') return 'terminated';
  return null;
}

/** See the file comment. */
export class ServiceInstances {
  private readonly deps: { pool: pg.Pool; provider: ServiceInstanceProvider; log: Pick<Logger, 'info' | 'warn'> };

  constructor(deps: ServiceInstances['deps']) {
    this.deps = deps;
  }

  /**
   * Makes the instance of order `orderId` match the order (see the file comment).
   * @throws Error when the provider failed or refused (nothing changed; retried by the event processing)
   */
  async reconcile(orderId: string): Promise<Reconciled> {
    const client = await this.deps.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query<{
        id: string; status: InstanceStatus; provider_interface_id: string | null; provider_instance_id: string | null; ip_address: string;
        server_spec: Record<string, string>; product_name: string; order_status: string;
      }>(
        `select i.id, i.status, i.provider_interface_id, i.provider_instance_id, i.ip_address, i.server_spec, i.product_name, o.status as order_status
           from instances i join orders o on o.id = i.order_id
          where i.order_id = $1 and i.status <> 'terminated'
          for update of i`,
        [orderId],
      );
      const row = rows[0];
      if (!row) {
        await client.query('rollback');
        return 'no_instance';
      }
      const target = desiredStatus(row.order_status, row.status);
      if (target === null || target === row.status || !row.provider_interface_id || !row.provider_instance_id) {
        await client.query('rollback');
        return 'unchanged';
      }
      const context: InstanceContext = {
        providerInstanceId: row.provider_instance_id, id: row.id, orderId, status: row.status, ipAddress: row.ip_address,
        serverSpec: row.server_spec, productName: row.product_name,
      };
      const { result, how } = await this.call(row.provider_interface_id, context, target);
      if (!result.success) throw new Error(`the provider could not ${how} the instance of order ${orderId}: ${result.message || 'no reason given'}`);
      await client.query(`update instances set status = $2, updated_at = now() where id = $1 and status <> 'terminated'`, [row.id, target]);
      await client.query('commit');
      this.deps.log.info({ orderId, instanceId: row.id, from: row.status, to: target, how }, 'service instance reconciled');
      return target === 'suspended' ? 'suspended' : target === 'terminated' ? 'terminated' : 'restored';
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The provider call that brings an instance to `target`. */
  private async call(interfaceId: string, context: InstanceContext, target: InstanceStatus): Promise<{ result: ActionResult; how: string }> {
    const { provider } = this.deps;
    const id = context.providerInstanceId;
    if (target === 'terminated') return { result: await provider.terminateInstance(interfaceId, id), how: 'terminate' };
    const wanted = target === 'suspended' ? 'suspend' : 'unsuspend';
    const offered = await provider.instanceActions(interfaceId, context).catch(() => [] as InstanceActionData[]);
    if (offered.some((action) => action.id === wanted)) return { result: await provider.executeAction(interfaceId, id, wanted), how: wanted };
    const fallback = target === 'suspended' ? 'stop' : 'start';
    const result = fallback === 'stop' ? await provider.stopInstance(interfaceId, id) : await provider.startInstance(interfaceId, id);
    return { result, how: fallback };
  }
}
