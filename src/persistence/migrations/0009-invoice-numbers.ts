import { Migration } from '@mikro-orm/migrations';

/**
 * Gap-free invoice numbers (`INV-<year>-<6 digits>`, src/domain/billing/invoice.ts).
 *
 * - `invoice_number_counters`: one row per calendar year (UTC), `last_number` the last sequence
 *   number handed out that year. An invoice takes its number when it is **issued**, in the
 *   issuing transaction: `insert … on conflict (year) do update set last_number = last_number + 1
 *   returning last_number`. The row lock serialises issuers of one year until they commit, and a
 *   transaction that rolls back gives its number back, so the numbers of a year are 1, 2, 3, …
 *   without holes and without duplicates, whatever the concurrency.
 * - `invoices.invoice_number` becomes NULL for drafts: a draft has no number yet (it may still be
 *   deleted, which must not leave a hole). Every invoice past draft has one (CHECK).
 */
export class Migration0009InvoiceNumbers extends Migration {
  override up(): void {
    this.addSql(`
      create table invoice_number_counters (
        year        integer     primary key,
        last_number integer     not null default 0,
        updated_at  timestamptz not null default now(),
        constraint invoice_number_counters_year_check check (year >= 2000 and year <= 9999),
        constraint invoice_number_counters_last_number_check check (last_number >= 0 and last_number <= 999999)
      )`);
    this.addSql(`alter table invoices alter column invoice_number drop not null`);
    this.addSql(`
      alter table invoices add constraint invoices_invoice_number_check
        check (invoice_number is not null or status = 'draft')`);
  }

  override down(): void {
    this.addSql(`alter table invoices drop constraint if exists invoices_invoice_number_check`);
    this.addSql(`update invoices set invoice_number = 'DRAFT-' || id::text where invoice_number is null`);
    this.addSql(`alter table invoices alter column invoice_number set not null`);
    this.addSql(`drop table if exists invoice_number_counters`);
  }
}
