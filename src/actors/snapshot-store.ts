import type { CustomerSnapshot } from './messages.ts';

/** Where customer actors load (and later write) their snapshot. Implemented over PostgreSQL in src/persistence. */
export interface CustomerSnapshotStore {
  /** The customer's row, or null when no such customer exists. */
  load(customerId: string): Promise<CustomerSnapshot | null>;
}
