import type { MikroORM } from '@mikro-orm/postgresql';
import type { CustomerSnapshot } from '../actors/messages.ts';
import type { CustomerSnapshotStore } from '../actors/snapshot-store.ts';
import { Customer } from './entities/customers.ts';

/**
 * Customer actor snapshots over the `customers` table (ARCHITECTURE.md: the persisted snapshot of
 * an actor is its row, fenced by `version`). Money stays a decimal string.
 */
export class PgCustomerSnapshotStore implements CustomerSnapshotStore {
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  /** @see CustomerSnapshotStore.load */
  async load(customerId: string): Promise<CustomerSnapshot | null> {
    const row = await this.orm.em.fork().findOne(Customer, { id: customerId });
    if (!row) return null;
    return { id: row.id, balance: row.balance, creditLimit: row.creditLimit, isActive: row.isActive, version: row.version };
  }
}
