import { Migration } from '@mikro-orm/migrations';

/**
 * The CRM extension (issue 10; README "Customer relationship management"):
 *
 * - `customers.rating` becomes the *manual* rating (null: none; the computed rating applies) and
 *   `payment_terms_days` nullable (null: the `[billing] due_days` default). Before this migration
 *   no API could set either, so every existing value is the old column default and is cleared.
 * - `customers.customer_code` is required and unique whatever its case; existing customers get
 *   codes `C000001`, … from `customer_code_seq`, which the trigger `customers_assign_code` also
 *   hands out to customers inserted without one (skipping codes taken by hand).
 * - `customers.deleted_at`: soft deletion (deleted customers keep their ledger and invoices).
 * - `customer_scores`: the computed rating, credit risk level and RFM segment of each customer,
 *   as last computed (lists filter on them); customer-owned (Citus: distributed by customer_id).
 * - `customer_imports`: spreadsheet and JSON imports, their progress and per-row results.
 * - `invoices_customer_unpaid_due_index`: the money path's look-up of a customer's oldest unpaid
 *   invoice (red customers are refused new orders).
 */
/** This migration's test of whether a generated code is taken: a customer has it, whatever its case. */
export const CODE_TAKEN_IN_CUSTOMERS = `exists (select 1 from customers where lower(customer_code) = lower(candidate))`;

/**
 * The statement (re)defining the trigger function `customers_assign_code`: the next code of
 * `customer_code_seq` (`C000001`, …) for which `taken` — a SQL condition on the variable
 * `candidate` — is false. Migration 0015 redefines it with another test and its `down()` restores
 * this one.
 */
export function customersAssignCodeFunction(taken: string): string {
  return `
      create or replace function customers_assign_code() returns trigger language plpgsql as $$
      declare
        candidate varchar(50);
      begin
        if new.customer_code is null or btrim(new.customer_code) = '' then
          loop
            candidate := 'C' || lpad(nextval('customer_code_seq')::text, 6, '0');
            exit when not ${taken};
          end loop;
          new.customer_code := candidate;
        end if;
        return new;
      end $$`;
}

export class Migration0011Crm extends Migration {
  override up(): void {
    this.addSql(`alter table customers alter column rating drop not null, alter column rating drop default`);
    this.addSql(`update customers set rating = null`);
    this.addSql(`alter table customers alter column payment_terms_days drop not null, alter column payment_terms_days drop default`);
    this.addSql(`update customers set payment_terms_days = null`);
    this.addSql(`alter table customers drop constraint customers_payment_terms_days_check`);
    this.addSql(`alter table customers add constraint customers_payment_terms_days_check check (payment_terms_days >= 0 and payment_terms_days <= 3650)`);
    this.addSql(`alter table customers add column deleted_at timestamptz null`);

    this.addSql(`create sequence customer_code_seq`);
    // The next free code C000001, C000002, … (skipping codes taken by hand), for a customer
    // inserted without one: a BEFORE INSERT trigger, so every way in (the actor's snapshot
    // write, the CLI, psql) gets a code.
    this.addSql(customersAssignCodeFunction(CODE_TAKEN_IN_CUSTOMERS));
    this.addSql(`
      do $$
      declare
        customer record;
        candidate varchar(50);
      begin
        for customer in select id from customers where customer_code is null or btrim(customer_code) = '' order by created_at, id loop
          loop
            candidate := 'C' || lpad(nextval('customer_code_seq')::text, 6, '0');
            exit when not exists (select 1 from customers where lower(customer_code) = lower(candidate));
          end loop;
          update customers set customer_code = candidate where id = customer.id;
        end loop;
      end $$`);
    this.addSql(`alter table customers drop constraint customers_customer_code_unique`);
    this.addSql(`alter table customers alter column customer_code set not null, alter column customer_code set default ''`);
    this.addSql(`alter table customers add constraint customers_customer_code_check check (btrim(customer_code) <> '')`);
    this.addSql(`create trigger customers_assign_code before insert on customers for each row execute function customers_assign_code()`);
    this.addSql(`create unique index customers_customer_code_lower_unique on customers (lower(customer_code))`);
    this.addSql(`create index customers_customer_type_index on customers (customer_type)`);
    this.addSql(`create index customers_industry_lower_index on customers (lower(industry))`);

    this.addSql(`
      create table customer_scores (
        customer_id     uuid         primary key
                        constraint customer_scores_customer_id_foreign references customers (id) on delete cascade,
        computed_rating smallint     null
                        constraint customer_scores_computed_rating_check check (computed_rating >= 1 and computed_rating <= 5),
        rating_score    numeric(5, 2) null
                        constraint customer_scores_rating_score_check check (rating_score >= 0 and rating_score <= 100),
        sub_scores      jsonb        not null default '{}',
        risk_level      text         not null default 'green'
                        constraint customer_scores_risk_level_check check (risk_level in ('green', 'yellow', 'orange', 'red')),
        rfm_recency     text         not null default 'low',
        rfm_frequency   text         not null default 'low',
        rfm_monetary    text         not null default 'low',
        rfm_segment     text         not null default 'general'
                        constraint customer_scores_rfm_segment_check
                        check (rfm_segment in ('important_value', 'important_retain', 'important_develop', 'general', 'churn_warning')),
        computed_at     timestamptz  not null default now()
      )`);
    this.addSql(`create index customer_scores_risk_level_index on customer_scores (risk_level)`);
    this.addSql(`create index customer_scores_rfm_segment_index on customer_scores (rfm_segment)`);

    this.addSql(`
      create table customer_imports (
        id              uuid primary key,
        source          text         not null constraint customer_imports_source_check check (source in ('xlsx', 'json')),
        file_name       varchar(255) not null default '',
        status          text         not null default 'running'
                        constraint customer_imports_status_check check (status in ('running', 'completed', 'failed')),
        total_rows      integer      not null default 0,
        processed_rows  integer      not null default 0,
        created_count   integer      not null default 0,
        updated_count   integer      not null default 0,
        unchanged_count integer      not null default 0,
        failed_count    integer      not null default 0,
        rows            jsonb        not null default '[]',
        error           text         not null default '',
        admin_user_id   uuid         null,
        admin_username  varchar(64)  not null default '',
        created_at      timestamptz  not null default now(),
        updated_at      timestamptz  not null default now(),
        finished_at     timestamptz  null
      )`);
    this.addSql(`create index customer_imports_created_at_index on customer_imports (created_at)`);

    this.addSql(`create index invoices_customer_unpaid_due_index on invoices (customer_id, due_date) where status in ('issued', 'overdue')`);
  }

  override down(): void {
    this.addSql(`drop index if exists invoices_customer_unpaid_due_index`);
    this.addSql(`drop table if exists customer_imports`);
    this.addSql(`drop table if exists customer_scores`);
    this.addSql(`drop index if exists customers_industry_lower_index`);
    this.addSql(`drop index if exists customers_customer_type_index`);
    this.addSql(`drop index if exists customers_customer_code_lower_unique`);
    this.addSql(`drop trigger if exists customers_assign_code on customers`);
    this.addSql(`drop function if exists customers_assign_code()`);
    this.addSql(`alter table customers drop constraint if exists customers_customer_code_check`);
    this.addSql(`alter table customers alter column customer_code drop not null, alter column customer_code drop default`);
    this.addSql(`alter table customers add constraint customers_customer_code_unique unique (customer_code)`);
    this.addSql(`drop sequence if exists customer_code_seq`);
    this.addSql(`alter table customers drop column if exists deleted_at`);
    this.addSql(`alter table customers drop constraint customers_payment_terms_days_check`);
    this.addSql(`update customers set payment_terms_days = 30 where payment_terms_days is null`);
    this.addSql(`alter table customers alter column payment_terms_days set not null, alter column payment_terms_days set default 30`);
    this.addSql(`alter table customers add constraint customers_payment_terms_days_check check (payment_terms_days >= 0)`);
    this.addSql(`update customers set rating = 3 where rating is null`);
    this.addSql(`alter table customers alter column rating set not null, alter column rating set default 3`);
  }
}
