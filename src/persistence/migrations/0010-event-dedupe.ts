import { Migration } from '@mikro-orm/migrations';

/**
 * `event_queue.dedupe_key`: an event written by a handler (one notification delivery per channel
 * and recipient, fanned out from a system event) carries a key unique across the table, so a
 * handler that runs twice writes it once.
 */
export class Migration0010EventDedupe extends Migration {
  override up(): void {
    this.addSql(`alter table event_queue add column dedupe_key varchar(255) null`);
    this.addSql(`create unique index event_queue_dedupe_key_unique on event_queue (dedupe_key) where dedupe_key is not null`);
  }

  override down(): void {
    this.addSql(`drop index if exists event_queue_dedupe_key_unique`);
    this.addSql(`alter table event_queue drop column if exists dedupe_key`);
  }
}
