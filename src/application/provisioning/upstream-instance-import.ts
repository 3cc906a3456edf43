/**
 * Importing an upstream instance into the local instances (IntegrationService
 * ImportUpstreamInstance). Provisioning owns the `instances` table; the plugin layer only asks the
 * upstream provider's `import_upstream_instance()` what the instance is ({@link UpstreamInstanceSource}).
 * Then one transaction links it to the local instances and writes the audit row:
 * - an instance already recorded for this provider instance is refreshed (status, IP);
 * - otherwise the latest order of the interface naming the provider instance says which customer
 *   owns it: that order's instance is linked and refreshed, or a new instance is created for it;
 * - with neither, the import is refused: an instance needs an owning customer.
 * The rules (status words, terminated is final, the spec copied from the order) are
 * src/domain/provisioning/instances.ts.
 */
import { UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import { importedStatus, instanceSpec, refreshedInstance, unownedImportRefusal, type ReportedInstance } from '../../domain/provisioning/instances.ts';
import { Instance } from '../../persistence/entities/instances.ts';
import { Order } from '../../persistence/entities/orders.ts';
import { recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';

/** An instance as its provider reports it on import. */
export interface UpstreamInstance extends ReportedInstance {
  /** The provider's own id of the instance. */
  instanceId: string;
}

/** The port to provider plugins: what an upstream says about one of its instances (the registry's ProviderCalls). */
export interface UpstreamInstanceSource {
  /**
   * Runs `import_upstream_instance(instance_id)` of the upstream provider interface `interfaceId`.
   * @returns the interface (its id and how messages name it) and the instance
   * @throws DomainError (missing, disabled or non-upstream interface); PluginError (the script failed)
   */
  importUpstreamInstance(interfaceId: string, providerInstanceId: string): Promise<{ provider: { id: string; description: string }; instance: UpstreamInstance }>;
}

/** See the file comment. */
export class UpstreamInstanceImport {
  private readonly orm: MikroORM;
  private readonly source: UpstreamInstanceSource;

  constructor(deps: { orm: MikroORM; source: UpstreamInstanceSource }) {
    this.orm = deps.orm;
    this.source = deps.source;
  }

  /**
   * Imports provider instance `providerInstanceId` of upstream provider interface `interfaceId`;
   * audited as `upstream_instance.import` on the local instance. Returns the local instance.
   * @throws DomainError failed_precondition when no local order or instance names the provider
   *   instance, and the source's refusals; PluginError
   */
  async importInstance(origin: Origin, interfaceId: string, providerInstanceId: string): Promise<Instance> {
    const { provider, instance: reported } = await this.source.importUpstreamInstance(interfaceId, providerInstanceId);
    const link = (tx: EntityManager): Promise<Instance> => this.link(tx, provider, reported, origin);
    try {
      return await this.orm.em.fork().transactional(link);
    } catch (error) {
      // A concurrent import of the same instance created it first: the second attempt refreshes it.
      if (error instanceof UniqueConstraintViolationException) return this.orm.em.fork().transactional(link);
      throw error;
    }
  }

  private async link(tx: EntityManager, provider: { id: string; description: string }, reported: UpstreamInstance, origin: Origin): Promise<Instance> {
    const instance = await this.localInstance(tx, provider, reported);
    recordAudit(tx, origin, {
      action: 'upstream_instance.import', targetType: 'instance', targetId: instance.id,
      details: { interfaceId: provider.id, providerInstanceId: reported.instanceId },
    });
    return instance;
  }

  /** The local instance for `reported`, refreshed, linked or created in `tx`. */
  private async localInstance(tx: EntityManager, provider: { id: string; description: string }, reported: UpstreamInstance): Promise<Instance> {
    const existing = await tx.findOne(Instance, { providerInterfaceId: provider.id, providerInstanceId: reported.instanceId });
    if (existing) return Object.assign(existing, refreshedInstance(existing, reported));
    const order = await tx.findOne(Order, { providerInterfaceId: provider.id, providerInstanceId: reported.instanceId }, { orderBy: { createdAt: 'desc' } });
    if (!order) throw unownedImportRefusal(reported.instanceId, provider.description);
    const byOrder = await tx.findOne(Instance, { orderId: order.id });
    if (byOrder) {
      return Object.assign(byOrder, { providerInterfaceId: provider.id, providerInstanceId: reported.instanceId }, refreshedInstance(byOrder, reported));
    }
    return tx.create(Instance, {
      customerId: order.customerId,
      orderId: order.id,
      productId: order.productId ?? null,
      productName: order.productName,
      providerInterfaceId: provider.id,
      providerInstanceId: reported.instanceId,
      status: importedStatus(reported),
      ipAddress: reported.ipAddress,
      serverSpec: instanceSpec(order.serverSpec),
    });
  }
}
