/**
 * The port through which the registry asks who still uses a plugin interface before deleting it.
 * The registry owns interfaces, not what refers to them: orders and payments belong to the money
 * path, instances to provisioning. src/persistence/interface-users.ts implements it over their
 * tables; whoever owns those tables later may answer it differently.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

/** Who still needs an interface. */
export interface InterfaceUses {
  /** Orders naming it as provider or gateway that are not finished (cancelled, refunded, completed). */
  openOrders: number;
  /** Instances it provides that are not terminated. */
  liveInstances: number;
  /** Payments through it that are still pending. */
  pendingPayments: number;
}

/** See the file comment. */
export interface InterfaceUsers {
  /**
   * Counts the uses of interface `interfaceId`, reading through `em` (the deleting transaction,
   * which holds the interface row locked, so the answer holds until it commits).
   */
  usesOf(em: EntityManager, interfaceId: string): Promise<InterfaceUses>;
}
