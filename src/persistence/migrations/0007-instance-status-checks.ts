import { Migration } from '@mikro-orm/migrations';

/**
 * When each instance's status was last asked of its provider (`instances.status_checked_at`), so
 * the periodic status refresh (src/application/provisioning/instances.ts, refreshStatuses) asks
 * about the instances checked longest ago (never-checked ones first).
 */
export class Migration0007InstanceStatusChecks extends Migration {
  override up(): void {
    this.addSql(`alter table instances add column status_checked_at timestamptz null`);
  }

  override down(): void {
    this.addSql(`alter table instances drop column if exists status_checked_at`);
  }
}
