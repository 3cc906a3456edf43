/**
 * Who uses a plugin interface, counted over the tables that name it (orders, instances, payments):
 * the {@link InterfaceUsers} port of the plugin registry, asked before an interface is deleted.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { InterfaceUsers, InterfaceUses } from '../plugins/registry/interface-users.ts';
import { Instance } from './entities/instances.ts';
import { Order, type OrderStatus } from './entities/orders.ts';
import { Payment } from './entities/payments.ts';

/** Order states after which an order no longer needs its plugin interfaces. */
const FINISHED_ORDER_STATUSES: readonly OrderStatus[] = ['cancelled', 'refunded', 'completed'];

/** {@link InterfaceUsers} over PostgreSQL. */
export class PgInterfaceUsers implements InterfaceUsers {
  /** @see InterfaceUsers.usesOf */
  async usesOf(em: EntityManager, interfaceId: string): Promise<InterfaceUses> {
    // One after the other: inside a transaction they share its connection.
    const openOrders = await em.count(Order, {
      $or: [{ providerInterfaceId: interfaceId }, { gatewayInterfaceId: interfaceId }],
      status: { $nin: [...FINISHED_ORDER_STATUSES] },
    });
    const liveInstances = await em.count(Instance, { providerInterfaceId: interfaceId, status: { $ne: 'terminated' } });
    const pendingPayments = await em.count(Payment, { gatewayInterfaceId: interfaceId, status: 'pending' });
    return { openOrders, liveInstances, pendingPayments };
  }
}
