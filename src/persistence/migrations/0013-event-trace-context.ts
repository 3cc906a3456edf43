import { Migration } from '@mikro-orm/migrations';

/**
 * `event_queue.trace_parent` (issue 14, HA guide §9.3): the W3C `traceparent` of the span that
 * wrote the event (the request's actor command, or the handler of the event that fanned it out),
 * so that relaying and handling it continue that trace. Null when tracing was off.
 */
export class Migration0013EventTraceContext extends Migration {
  override up(): void {
    this.addSql(`alter table event_queue add column trace_parent varchar(55) null`);
  }

  override down(): void {
    this.addSql(`alter table event_queue drop column if exists trace_parent`);
  }
}
