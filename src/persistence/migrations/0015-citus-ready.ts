import { Migration } from '@mikro-orm/migrations';
import { CODE_TAKEN_IN_CUSTOMERS, customersAssignCodeFunction } from './0011-crm.ts';

/**
 * The tables distributed by customer (src/persistence/distribution.ts), with their key columns:
 * the primary key becomes `(customer_id, <key>)`. `customers` keeps `(id)` (its distribution
 * column) and `customer_scores` keeps `(customer_id)`; `customer_commands` already has
 * `(customer_id, idempotency_key)`.
 */
const REKEYED: ReadonlyArray<{ table: string; key: string }> = [
  { table: 'customer_users', key: 'id' },
  { table: 'refresh_tokens', key: 'jti' },
  { table: 'api_keys', key: 'id' },
  { table: 'orders', key: 'id' },
  { table: 'instances', key: 'id' },
  { table: 'invoices', key: 'id' },
  { table: 'invoice_items', key: 'id' },
  { table: 'payments', key: 'id' },
  { table: 'balance_transactions', key: 'id' },
  { table: 'tickets', key: 'id' },
  { table: 'ticket_replies', key: 'id' },
  { table: 'service_renewals', key: 'id' },
  { table: 'promotion_redemptions', key: 'id' },
];

/**
 * Foreign keys between two distributed tables, made composite: `(customer_id, <column>)` →
 * `<target> (customer_id, id)`. A row can then only point at a row of its own customer (a
 * stronger rule than before), and Citus can check it inside one shard group. None of them uses
 * SET NULL (Citus refuses SET NULL / SET DEFAULT when the key contains the distribution column).
 */
const COMPOSITE_FOREIGN_KEYS: ReadonlyArray<{ table: string; column: string; target: string; onDelete: 'cascade' | 'no action' }> = [
  { table: 'refresh_tokens', column: 'customer_user_id', target: 'customer_users', onDelete: 'cascade' },
  { table: 'instances', column: 'order_id', target: 'orders', onDelete: 'no action' },
  { table: 'invoice_items', column: 'invoice_id', target: 'invoices', onDelete: 'cascade' },
  { table: 'payments', column: 'order_id', target: 'orders', onDelete: 'no action' },
  { table: 'payments', column: 'invoice_id', target: 'invoices', onDelete: 'no action' },
  { table: 'ticket_replies', column: 'ticket_id', target: 'tickets', onDelete: 'cascade' },
  { table: 'service_renewals', column: 'order_id', target: 'orders', onDelete: 'cascade' },
  { table: 'service_renewals', column: 'invoice_id', target: 'invoices', onDelete: 'cascade' },
  { table: 'promotion_redemptions', column: 'order_id', target: 'orders', onDelete: 'cascade' },
];

/**
 * A Citus-ready schema (issue 15, HA guide §7; README "Moving to Citus"). Single-node PostgreSQL
 * keeps working as before; see src/persistence/distribution.ts for which table is distributed by
 * `customer_id` and which is a reference table, and test/persistence/citus-schema.test.ts for the
 * rules checked against the catalog.
 *
 * - Primary keys of the customer-owned tables become `(customer_id, id)` (`refresh_tokens`:
 *   `(customer_id, jti)`), each with a plain index on `id` (`jti`) so look-ups by id alone stay
 *   indexed. Every unique constraint/index of those tables includes `customer_id`.
 * - Foreign keys between them become composite (see {@link COMPOSITE_FOREIGN_KEYS}). Two
 *   ON DELETE SET NULL keys, which Citus cannot have with the distribution column in them, are
 *   dropped and their columns kept as history references (like `tickets.creator_user_id`):
 *   `invoice_items.order_id` (an invoice line copies its description and amounts) and
 *   `ticket_replies.customer_user_id` (a reply outlives its author).
 * - Global uniqueness that matters for security or correctness, which an index on a distributed
 *   table can no longer enforce, moves to the reference table `global_unique_keys (scope, key)`,
 *   written by row triggers in the same transaction: customer user usernames and e-mail
 *   addresses (log-in), customer e-mail addresses and customer codes, and provider instance ids
 *   (one provider server, one owner). A clash raises `unique_violation` naming the old index, so
 *   callers see the same error as before.
 * - Per customer only: `invoices.invoice_number` (numbers come from the gap-free year counter in
 *   `invoice_number_counters`, globally unique by construction), `api_keys.key_hash` (a SHA-256
 *   of 256 random bits), `instances.order_id`, `service_renewals (order_id, period_start)` and
 *   `(invoice_id)`, `promotion_redemptions.order_id` (their order/invoice belongs to one customer,
 *   which the composite foreign keys now enforce).
 */
export class Migration0015CitusReady extends Migration {
  override up(): void {
    // 1. Foreign keys that depend on the primary keys about to change.
    for (const fk of COMPOSITE_FOREIGN_KEYS) this.addSql(`alter table ${fk.table} drop constraint ${fk.table}_${fk.column}_foreign`);
    this.addSql(`alter table invoice_items drop constraint invoice_items_order_id_foreign`);
    this.addSql(`alter table ticket_replies drop constraint ticket_replies_customer_user_id_foreign`);

    // 2. Primary keys (customer_id, id), and a plain index on the old key.
    for (const { table, key } of REKEYED) {
      this.addSql(`alter table ${table} drop constraint ${table}_pkey`);
      this.addSql(`alter table ${table} add constraint ${table}_pkey primary key (customer_id, ${key})`);
      this.addSql(`create index ${table}_${key}_index on ${table} (${key})`);
    }

    // 3. Unique constraints that stay per customer.
    this.addSql(`alter table instances drop constraint instances_order_id_unique`);
    this.addSql(`alter table instances add constraint instances_order_id_unique unique (customer_id, order_id)`);
    this.addSql(`alter table invoices drop constraint invoices_invoice_number_unique`);
    this.addSql(`alter table invoices add constraint invoices_invoice_number_unique unique (customer_id, invoice_number)`);
    this.addSql(`create index invoices_invoice_number_index on invoices (invoice_number)`);
    this.addSql(`alter table api_keys drop constraint api_keys_key_hash_unique`);
    this.addSql(`alter table api_keys add constraint api_keys_key_hash_unique unique (customer_id, key_hash)`);
    this.addSql(`create index api_keys_key_hash_index on api_keys (key_hash)`);
    this.addSql(`alter table service_renewals drop constraint service_renewals_order_period_unique`);
    this.addSql(`alter table service_renewals add constraint service_renewals_order_period_unique unique (customer_id, order_id, period_start)`);
    this.addSql(`alter table service_renewals drop constraint service_renewals_invoice_id_unique`);
    this.addSql(`alter table service_renewals add constraint service_renewals_invoice_id_unique unique (customer_id, invoice_id)`);
    this.addSql(`alter table promotion_redemptions drop constraint promotion_redemptions_order_id_unique`);
    this.addSql(`alter table promotion_redemptions add constraint promotion_redemptions_order_id_unique unique (customer_id, order_id)`);

    // 4. Composite foreign keys between distributed tables.
    for (const fk of COMPOSITE_FOREIGN_KEYS) {
      this.addSql(`
        alter table ${fk.table} add constraint ${fk.table}_${fk.column}_foreign
          foreign key (customer_id, ${fk.column}) references ${fk.target} (customer_id, id) on update no action on delete ${fk.onDelete}`);
    }

    // 5. Global uniqueness through a reference table.
    this.addSql(`
      create table global_unique_keys (
        scope       varchar(63)  not null,
        key         varchar(512) not null,
        customer_id uuid         not null,
        row_id      uuid         not null,
        created_at  timestamptz  not null default now(),
        constraint global_unique_keys_pkey primary key (scope, key)
      )`);
    this.addSql(`create index global_unique_keys_customer_id_index on global_unique_keys (customer_id)`);
    // Moves one claim from old_key to new_key (either may be null: nothing to release / to take).
    // A taken key raises unique_violation naming `scope` as the constraint.
    this.addSql(`
      create function global_unique_keys_move(p_scope text, old_key text, new_key text, p_customer_id uuid, p_row_id uuid)
        returns void language plpgsql as $$
      begin
        if old_key is not distinct from new_key then
          return;
        end if;
        if old_key is not null then
          delete from global_unique_keys where scope = p_scope and key = old_key and row_id = p_row_id;
        end if;
        if new_key is not null then
          begin
            insert into global_unique_keys (scope, key, customer_id, row_id) values (p_scope, new_key, p_customer_id, p_row_id);
          exception when unique_violation then
            raise exception 'duplicate key value violates unique constraint "%"', p_scope
              using errcode = 'unique_violation', constraint = p_scope, detail = format('Key (%s)=(%s) already exists.', p_scope, new_key);
          end;
        end if;
      end $$`);
    this.addSql(`
      create function customers_claim_unique_keys() returns trigger language plpgsql as $$
      begin
        perform global_unique_keys_move('customers_email_lower_unique',
          case when tg_op <> 'INSERT' and old.email <> '' then lower(old.email) end,
          case when tg_op <> 'DELETE' and new.email <> '' then lower(new.email) end,
          coalesce(new.id, old.id), coalesce(new.id, old.id));
        perform global_unique_keys_move('customers_customer_code_lower_unique',
          case when tg_op <> 'INSERT' then lower(old.customer_code) end,
          case when tg_op <> 'DELETE' then lower(new.customer_code) end,
          coalesce(new.id, old.id), coalesce(new.id, old.id));
        return null;
      end $$`);
    this.addSql(`
      create trigger customers_claim_unique_keys after insert or update of email, customer_code or delete on customers
        for each row execute function customers_claim_unique_keys()`);
    this.addSql(`
      create function customer_users_claim_unique_keys() returns trigger language plpgsql as $$
      begin
        perform global_unique_keys_move('customer_users_username_unique',
          case when tg_op <> 'INSERT' then old.username::text end,
          case when tg_op <> 'DELETE' then new.username::text end,
          coalesce(new.customer_id, old.customer_id), coalesce(new.id, old.id));
        perform global_unique_keys_move('customer_users_email_lower_unique',
          case when tg_op <> 'INSERT' and old.email <> '' then lower(old.email) end,
          case when tg_op <> 'DELETE' and new.email <> '' then lower(new.email) end,
          coalesce(new.customer_id, old.customer_id), coalesce(new.id, old.id));
        return null;
      end $$`);
    this.addSql(`
      create trigger customer_users_claim_unique_keys after insert or update of username, email or delete on customer_users
        for each row execute function customer_users_claim_unique_keys()`);
    this.addSql(`
      create function instances_claim_unique_keys() returns trigger language plpgsql as $$
      begin
        perform global_unique_keys_move('instances_provider_interface_id_provider_instance_id_unique',
          case when tg_op <> 'INSERT' and old.provider_interface_id is not null and old.provider_instance_id is not null
               then old.provider_interface_id::text || '/' || old.provider_instance_id end,
          case when tg_op <> 'DELETE' and new.provider_interface_id is not null and new.provider_instance_id is not null
               then new.provider_interface_id::text || '/' || new.provider_instance_id end,
          coalesce(new.customer_id, old.customer_id), coalesce(new.id, old.id));
        return null;
      end $$`);
    this.addSql(`
      create trigger instances_claim_unique_keys after insert or update of provider_interface_id, provider_instance_id or delete on instances
        for each row execute function instances_claim_unique_keys()`);
    // The existing rows' keys (unique so far, by the indexes replaced below).
    this.addSql(`
      insert into global_unique_keys (scope, key, customer_id, row_id)
      select 'customers_email_lower_unique', lower(email), id, id from customers where email <> ''
      union all
      select 'customers_customer_code_lower_unique', lower(customer_code), id, id from customers
      union all
      select 'customer_users_username_unique', username, customer_id, id from customer_users
      union all
      select 'customer_users_email_lower_unique', lower(email), customer_id, id from customer_users where email <> ''
      union all
      select 'instances_provider_interface_id_provider_instance_id_unique',
             provider_interface_id::text || '/' || provider_instance_id, customer_id, id
        from instances where provider_interface_id is not null and provider_instance_id is not null`);
    this.addSql(`drop index customers_email_lower_unique`);
    this.addSql(`create index customers_email_lower_index on customers (lower(email))`);
    this.addSql(`drop index customers_customer_code_lower_unique`);
    this.addSql(`create index customers_customer_code_lower_index on customers (lower(customer_code))`);
    this.addSql(`alter table customer_users drop constraint customer_users_username_unique`);
    this.addSql(`create index customer_users_username_index on customer_users (username)`);
    this.addSql(`drop index customer_users_email_lower_unique`);
    this.addSql(`create index customer_users_email_lower_index on customer_users (lower(email))`);
    this.addSql(`alter table instances drop constraint instances_provider_interface_id_provider_instance_id_unique`);
    this.addSql(`
      create index instances_provider_interface_id_provider_instance_id_index
        on instances (provider_interface_id, provider_instance_id)`);
    // A generated customer code skips codes taken (now looked up in global_unique_keys).
    this.addSql(customersAssignCodeFunction(`exists (select 1 from global_unique_keys
                                   where scope = 'customers_customer_code_lower_unique' and key = lower(candidate))`));
  }

  override down(): void {
    this.addSql(customersAssignCodeFunction(CODE_TAKEN_IN_CUSTOMERS));
    this.addSql(`drop index instances_provider_interface_id_provider_instance_id_index`);
    this.addSql(`alter table instances add constraint instances_provider_interface_id_provider_instance_id_unique unique (provider_interface_id, provider_instance_id)`);
    this.addSql(`drop index customer_users_email_lower_index`);
    this.addSql(`create unique index customer_users_email_lower_unique on customer_users (lower(email)) where email <> ''`);
    this.addSql(`drop index customer_users_username_index`);
    this.addSql(`alter table customer_users add constraint customer_users_username_unique unique (username)`);
    this.addSql(`drop index customers_customer_code_lower_index`);
    this.addSql(`create unique index customers_customer_code_lower_unique on customers (lower(customer_code))`);
    this.addSql(`drop index customers_email_lower_index`);
    this.addSql(`create unique index customers_email_lower_unique on customers (lower(email)) where email <> ''`);
    this.addSql(`drop trigger instances_claim_unique_keys on instances`);
    this.addSql(`drop function instances_claim_unique_keys()`);
    this.addSql(`drop trigger customer_users_claim_unique_keys on customer_users`);
    this.addSql(`drop function customer_users_claim_unique_keys()`);
    this.addSql(`drop trigger customers_claim_unique_keys on customers`);
    this.addSql(`drop function customers_claim_unique_keys()`);
    this.addSql(`drop function global_unique_keys_move(text, text, text, uuid, uuid)`);
    this.addSql(`drop table global_unique_keys`);

    for (const fk of COMPOSITE_FOREIGN_KEYS) this.addSql(`alter table ${fk.table} drop constraint ${fk.table}_${fk.column}_foreign`);
    this.addSql(`alter table promotion_redemptions drop constraint promotion_redemptions_order_id_unique`);
    this.addSql(`alter table promotion_redemptions add constraint promotion_redemptions_order_id_unique unique (order_id)`);
    this.addSql(`alter table service_renewals drop constraint service_renewals_invoice_id_unique`);
    this.addSql(`alter table service_renewals add constraint service_renewals_invoice_id_unique unique (invoice_id)`);
    this.addSql(`alter table service_renewals drop constraint service_renewals_order_period_unique`);
    this.addSql(`alter table service_renewals add constraint service_renewals_order_period_unique unique (order_id, period_start)`);
    this.addSql(`drop index api_keys_key_hash_index`);
    this.addSql(`alter table api_keys drop constraint api_keys_key_hash_unique`);
    this.addSql(`alter table api_keys add constraint api_keys_key_hash_unique unique (key_hash)`);
    this.addSql(`drop index invoices_invoice_number_index`);
    this.addSql(`alter table invoices drop constraint invoices_invoice_number_unique`);
    this.addSql(`alter table invoices add constraint invoices_invoice_number_unique unique (invoice_number)`);
    this.addSql(`alter table instances drop constraint instances_order_id_unique`);
    this.addSql(`alter table instances add constraint instances_order_id_unique unique (order_id)`);
    for (const { table, key } of REKEYED) {
      this.addSql(`drop index ${table}_${key}_index`);
      this.addSql(`alter table ${table} drop constraint ${table}_pkey`);
      this.addSql(`alter table ${table} add constraint ${table}_pkey primary key (${key})`);
    }
    this.addSql(`
      alter table ticket_replies add constraint ticket_replies_customer_user_id_foreign
        foreign key (customer_user_id) references customer_users (id) on delete set null`);
    this.addSql(`
      alter table invoice_items add constraint invoice_items_order_id_foreign
        foreign key (order_id) references orders (id) on delete set null`);
    for (const fk of COMPOSITE_FOREIGN_KEYS) {
      this.addSql(`
        alter table ${fk.table} add constraint ${fk.table}_${fk.column}_foreign
          foreign key (${fk.column}) references ${fk.target} (id) on delete ${fk.onDelete}`);
    }
  }
}
