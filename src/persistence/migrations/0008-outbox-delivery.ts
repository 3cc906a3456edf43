import { Migration } from '@mikro-orm/migrations';

/**
 * Delivery of outbox events (src/jobs/): the status `queued` (relayed into BullMQ, not yet taken
 * by a worker) and `locked_by`, the claim of the process running an event now (`<worker id>/<claim
 * uuid>`), so that only that claim may finish the event and a lost claim can be told from a live
 * one (`locked_at` is renewed while the handler runs).
 */
export class Migration0008OutboxDelivery extends Migration {
  override up(): void {
    this.addSql(`alter table event_queue drop constraint event_queue_status_check`);
    this.addSql(`
      alter table event_queue add constraint event_queue_status_check
        check (status in ('pending', 'queued', 'processing', 'done', 'failed'))`);
    this.addSql(`alter table event_queue add column locked_by varchar(128) null`);
  }

  override down(): void {
    this.addSql(`alter table event_queue drop column if exists locked_by`);
    this.addSql(`update event_queue set status = 'pending' where status = 'queued'`);
    this.addSql(`alter table event_queue drop constraint event_queue_status_check`);
    this.addSql(`
      alter table event_queue add constraint event_queue_status_check
        check (status in ('pending', 'processing', 'done', 'failed'))`);
  }
}
