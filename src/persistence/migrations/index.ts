/**
 * The checked-in migrations, in the order they run. They are listed here (MikroORM's
 * `migrationsList`) instead of being discovered by a file glob, so they behave the same whatever
 * the working directory, and the `name` is what `mikro_orm_migrations` records — never rename an
 * applied migration. To change the schema: add a new migration class with hand-written SQL,
 * append it here and change the entities to match (the persistence tests fail on any difference).
 */
import type { MigrationObject } from '@mikro-orm/core';
import { Migration0001IdentityAndCustomers } from './0001-identity-and-customers.ts';
import { Migration0002PluginsAndCatalog } from './0002-plugins-and-catalog.ts';
import { Migration0003OrdersAndBilling } from './0003-orders-and-billing.ts';
import { Migration0004SupportAndOperations } from './0004-support-and-operations.ts';
import { Migration0005CacheInvalidationTriggers } from './0005-cache-invalidation-triggers.ts';
import { Migration0006CustomerCommands } from './0006-customer-commands.ts';
import { Migration0007InstanceStatusChecks } from './0007-instance-status-checks.ts';
import { Migration0008OutboxDelivery } from './0008-outbox-delivery.ts';
import { Migration0009InvoiceNumbers } from './0009-invoice-numbers.ts';
import { Migration0010EventDedupe } from './0010-event-dedupe.ts';
import { Migration0011Crm } from './0011-crm.ts';
import { Migration0012RecurringBilling } from './0012-recurring-billing.ts';
import { Migration0013EventTraceContext } from './0013-event-trace-context.ts';
import { Migration0014ShardLeases } from './0014-shard-leases.ts';
import { Migration0015CitusReady } from './0015-citus-ready.ts';

/** Every migration with its stable name, oldest first. */
export const MIGRATIONS: MigrationObject[] = [
  { name: '0001-identity-and-customers', class: Migration0001IdentityAndCustomers },
  { name: '0002-plugins-and-catalog', class: Migration0002PluginsAndCatalog },
  { name: '0003-orders-and-billing', class: Migration0003OrdersAndBilling },
  { name: '0004-support-and-operations', class: Migration0004SupportAndOperations },
  { name: '0005-cache-invalidation-triggers', class: Migration0005CacheInvalidationTriggers },
  { name: '0006-customer-commands', class: Migration0006CustomerCommands },
  { name: '0007-instance-status-checks', class: Migration0007InstanceStatusChecks },
  { name: '0008-outbox-delivery', class: Migration0008OutboxDelivery },
  { name: '0009-invoice-numbers', class: Migration0009InvoiceNumbers },
  { name: '0010-event-dedupe', class: Migration0010EventDedupe },
  { name: '0011-crm', class: Migration0011Crm },
  { name: '0012-recurring-billing', class: Migration0012RecurringBilling },
  { name: '0013-event-trace-context', class: Migration0013EventTraceContext },
  { name: '0014-shard-leases', class: Migration0014ShardLeases },
  { name: '0015-citus-ready', class: Migration0015CitusReady },
];
