import { Migration } from '@mikro-orm/migrations';

/**
 * Recurring billing (issue 11; README "Recurring billing"):
 *
 * - `orders`: the service's current billing period (`period_start`, `period_end`, end exclusive;
 *   set when the order becomes active, rolled over by the lifecycle job), the day of month periods
 *   are anchored on (`anchor_day`), `cancel_at_period_end` (no further renewal), what one renewal
 *   costs as the catalog states it (`renewal_amount`; null: `amount`), what the current period
 *   cost the customer (`period_price`, the basis of proration credits), the promotion applied at CreateOrder
 *   (`promotion_code`, `discount_amount`) and the tax in `amount` (`tax_amount`).
 * - `customers.country` / `customers.region`: where tax rules apply (ISO 3166-1 alpha-2; '' none).
 * - `service_renewals`: one renewal invoice per order and period (unique `(order_id,
 *   period_start)`, so a job that runs twice or on two workers issues it once) and the dunning
 *   reminders already sent for it (`reminders_sent`, day offsets from the due date).
 * - `promotion_codes` and `promotion_redemptions`: a redemption is inserted with the order in the
 *   money path's commit; its trigger counts the use on the code's row (row lock: concurrent
 *   orders count one by one) and refuses past the total limit (CHECK `uses <= max_uses`) and the
 *   per-customer limit (`promotion_redemptions_per_customer_limit`), failing the whole commit.
 * - `tax_rules`: a rate by country and optionally region; `reverse_charge` exempts customers with
 *   a valid tax number. A statement trigger NOTIFYs `nodebill_invalidation` (`tax_rules`), so every
 *   node drops its copy of the active rules (src/application/billing/tax-rules.ts).
 * - `invoices.source` gains `renewal`.
 */
export class Migration0012RecurringBilling extends Migration {
  override up(): void {
    this.addSql(`
      alter table orders
        add column period_start timestamptz null,
        add column period_end timestamptz null,
        add column anchor_day smallint null constraint orders_anchor_day_check check (anchor_day >= 1 and anchor_day <= 31),
        add column cancel_at_period_end boolean not null default false,
        add column renewal_amount numeric(12, 2) null constraint orders_renewal_amount_check check (renewal_amount >= 0),
        add column period_price numeric(12, 2) null constraint orders_period_price_check check (period_price >= 0),
        add column promotion_code varchar(32) null,
        add column discount_amount numeric(12, 2) not null default 0 constraint orders_discount_amount_check check (discount_amount >= 0),
        add column tax_amount numeric(12, 2) not null default 0 constraint orders_tax_amount_check check (tax_amount >= 0),
        add constraint orders_period_check check (period_end > period_start)`);
    this.addSql(`create index orders_status_period_end_index on orders (status, period_end)`);

    this.addSql(`
      alter table customers
        add column country varchar(2) not null default '',
        add column region varchar(64) not null default '',
        add constraint customers_country_check check (country = '' or country ~ '^[A-Z]{2}$')`);

    this.addSql(`alter table invoices drop constraint invoices_source_check`);
    this.addSql(`alter table invoices add constraint invoices_source_check check (source in ('manual', 'generated', 'renewal'))`);

    this.addSql(`
      create table service_renewals (
        id             uuid primary key,
        customer_id    uuid          not null constraint service_renewals_customer_id_foreign references customers (id) on delete cascade,
        order_id       uuid          not null constraint service_renewals_order_id_foreign references orders (id) on delete cascade,
        period_start   timestamptz   not null,
        period_end     timestamptz   not null,
        invoice_id     uuid          not null constraint service_renewals_invoice_id_foreign references invoices (id) on delete cascade,
        amount         numeric(12, 2) not null,
        reminders_sent integer[]     not null default '{}',
        created_at     timestamptz   not null default now(),
        constraint service_renewals_order_period_unique unique (order_id, period_start),
        constraint service_renewals_invoice_id_unique unique (invoice_id),
        constraint service_renewals_period_check check (period_end > period_start),
        constraint service_renewals_amount_check check (amount >= 0)
      )`);
    this.addSql(`create index service_renewals_customer_id_index on service_renewals (customer_id)`);

    this.addSql(`
      create table promotion_codes (
        id                    uuid primary key,
        code                  varchar(32)    not null constraint promotion_codes_code_unique unique,
        kind                  text           not null constraint promotion_codes_kind_check check (kind in ('percent', 'fixed')),
        value                 numeric(12, 2) not null,
        recurrence            text           not null default 'first_period'
                              constraint promotion_codes_recurrence_check check (recurrence in ('first_period', 'every_period')),
        product_ids           uuid[]         not null default '{}',
        billing_cycles        text[]         not null default '{}',
        valid_from            timestamptz    null,
        valid_until           timestamptz    null,
        max_uses              integer        null constraint promotion_codes_max_uses_check check (max_uses > 0),
        max_uses_per_customer integer        null constraint promotion_codes_max_uses_per_customer_check check (max_uses_per_customer > 0),
        uses                  integer        not null default 0,
        is_active             boolean        not null default true,
        description           text           not null default '',
        created_at            timestamptz    not null default now(),
        updated_at            timestamptz    not null default now(),
        constraint promotion_codes_value_check check (value > 0 and (kind <> 'percent' or value <= 100)),
        constraint promotion_codes_uses_check check (uses >= 0 and (max_uses is null or uses <= max_uses)),
        constraint promotion_codes_validity_check check (valid_until > valid_from)
      )`);
    this.addSql(`
      create table promotion_redemptions (
        id              uuid primary key,
        promotion_id    uuid           not null constraint promotion_redemptions_promotion_id_foreign references promotion_codes (id),
        customer_id     uuid           not null constraint promotion_redemptions_customer_id_foreign references customers (id) on delete cascade,
        order_id        uuid           not null constraint promotion_redemptions_order_id_foreign references orders (id) on delete cascade,
        discount_amount numeric(12, 2) not null constraint promotion_redemptions_discount_amount_check check (discount_amount >= 0),
        created_at      timestamptz    not null default now(),
        constraint promotion_redemptions_order_id_unique unique (order_id)
      )`);
    this.addSql(`create index promotion_redemptions_promotion_customer_index on promotion_redemptions (promotion_id, customer_id)`);
    this.addSql(`
      create function promotion_redemptions_count_use() returns trigger language plpgsql as $$
      declare
        per_customer integer;
      begin
        update promotion_codes set uses = uses + 1, updated_at = now() where id = new.promotion_id
          returning max_uses_per_customer into per_customer;
        if per_customer is not null and
           (select count(*) from promotion_redemptions where promotion_id = new.promotion_id and customer_id = new.customer_id) > per_customer then
          raise exception 'promotion code used up for this customer'
            using errcode = 'check_violation', constraint = 'promotion_redemptions_per_customer_limit';
        end if;
        return new;
      end $$`);
    this.addSql(`create trigger promotion_redemptions_count_use after insert on promotion_redemptions for each row execute function promotion_redemptions_count_use()`);

    this.addSql(`
      create table tax_rules (
        id             uuid primary key,
        country        varchar(2)    not null constraint tax_rules_country_check check (country ~ '^[A-Z]{2}$'),
        region         varchar(64)   not null default '',
        rate           numeric(5, 2) not null constraint tax_rules_rate_check check (rate >= 0 and rate <= 100),
        reverse_charge boolean       not null default false,
        name           varchar(100)  not null,
        is_active      boolean       not null default true,
        created_at     timestamptz   not null default now(),
        updated_at     timestamptz   not null default now()
      )`);
    this.addSql(`create unique index tax_rules_country_region_unique on tax_rules (country, lower(region))`);
    // Every node's copy of the active rules is dropped when they change, whoever changes them.
    this.addSql(`
      create function tax_rules_invalidate() returns trigger language plpgsql as $$
      begin
        perform pg_notify('nodebill_invalidation', jsonb_build_object('event', jsonb_build_object('kind', 'tax_rules'))::text);
        return null;
      end $$`);
    this.addSql(`create trigger tax_rules_invalidate after insert or update or delete on tax_rules for each statement execute function tax_rules_invalidate()`);
  }

  override down(): void {
    this.addSql(`drop table if exists tax_rules`);
    this.addSql(`drop function if exists tax_rules_invalidate()`);
    this.addSql(`drop trigger if exists promotion_redemptions_count_use on promotion_redemptions`);
    this.addSql(`drop function if exists promotion_redemptions_count_use()`);
    this.addSql(`drop table if exists promotion_redemptions`);
    this.addSql(`drop table if exists promotion_codes`);
    this.addSql(`drop table if exists service_renewals`);
    this.addSql(`alter table invoices drop constraint invoices_source_check`);
    this.addSql(`alter table invoices add constraint invoices_source_check check (source in ('manual', 'generated'))`);
    this.addSql(`alter table customers drop column country, drop column region`);
    this.addSql(`drop index if exists orders_status_period_end_index`);
    this.addSql(`alter table orders drop constraint orders_period_check, drop column period_start, drop column period_end, drop column anchor_day,
      drop column cancel_at_period_end, drop column renewal_amount, drop column period_price, drop column promotion_code, drop column discount_amount, drop column tax_amount`);
  }
}
