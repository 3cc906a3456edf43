import { Migration } from '@mikro-orm/migrations';

/**
 * Customer-owned money tables: orders, instances, invoices, invoice_items, payments,
 * balance_transactions. Each has `customer_id NOT NULL` (the Citus distribution key). Their
 * foreign keys to customers use NO ACTION: a customer with money history cannot be deleted.
 * Plugin interface ids (provider, gateway) are kept without foreign keys, as history.
 */
export class Migration0003OrdersAndBilling extends Migration {
  override up(): void {
    // Snapshot of an order actor; version is its optimistic lock.
    this.addSql(`
      create table orders (
        id                    uuid primary key,
        customer_id           uuid           not null
                              constraint orders_customer_id_foreign references customers (id) on delete no action,
        product_id            uuid           null
                              constraint orders_product_id_foreign references products (id) on delete set null,
        product_name          varchar(255)   not null default '',
        provider_interface_id uuid           null,
        provider_instance_id  varchar(255)   null,
        server_spec           jsonb          not null default '{}',
        status                text           not null default 'pending'
                              constraint orders_status_check check (status in (
                                'pending', 'paid', 'provisioning', 'active',
                                'cancelled', 'suspended', 'refunded', 'completed')),
        amount                numeric(12, 2) not null constraint orders_amount_check check (amount >= 0),
        currency              varchar(8)     not null default 'CNY',
        billing_cycle         text           not null default 'monthly'
                              constraint orders_billing_cycle_check check (billing_cycle in ('monthly', 'quarterly', 'yearly')),
        gateway_interface_id  uuid           null,
        gateway_payment_id    varchar(255)   null,
        notes                 text           not null default '',
        paid_at               timestamptz    null,
        version               integer        not null default 1,
        created_at            timestamptz    not null default now(),
        updated_at            timestamptz    not null default now()
      )`);
    this.addSql(`create index orders_customer_id_created_at_index on orders (customer_id, created_at)`);
    // Serves status filters and the unpaid-order timeout (status = 'pending' and created_at < ...).
    this.addSql(`create index orders_status_created_at_index on orders (status, created_at)`);
    this.addSql(`create index orders_created_at_index on orders (created_at)`);
    this.addSql(`create index orders_product_id_index on orders (product_id)`);

    // One instance per order at most (order_id unique): provisioning twice cannot create two.
    this.addSql(`
      create table instances (
        id                    uuid primary key,
        customer_id           uuid         not null
                              constraint instances_customer_id_foreign references customers (id) on delete no action,
        order_id              uuid         null
                              constraint instances_order_id_unique unique
                              constraint instances_order_id_foreign references orders (id) on delete no action,
        product_id            uuid         null
                              constraint instances_product_id_foreign references products (id) on delete set null,
        product_name          varchar(255) not null default '',
        provider_interface_id uuid         null,
        provider_instance_id  varchar(255) null,
        status                text         not null default 'provisioning'
                              constraint instances_status_check check (status in (
                                'provisioning', 'running', 'stopped', 'suspended', 'terminated', 'error')),
        ip_address            varchar(255) not null default '',
        server_spec           jsonb        not null default '{}',
        terminated_at         timestamptz  null,
        created_at            timestamptz  not null default now(),
        updated_at            timestamptz  not null default now(),
        constraint instances_provider_interface_id_provider_instance_id_unique
          unique (provider_interface_id, provider_instance_id)
      )`);
    this.addSql(`create index instances_customer_id_created_at_index on instances (customer_id, created_at)`);
    this.addSql(`create index instances_status_created_at_index on instances (status, created_at)`);

    this.addSql(`
      create table invoices (
        id                   uuid primary key,
        invoice_number       varchar(64)    not null constraint invoices_invoice_number_unique unique,
        customer_id          uuid           not null
                             constraint invoices_customer_id_foreign references customers (id) on delete no action,
        billing_period_start date           not null,
        billing_period_end   date           not null,
        amount               numeric(12, 2) not null default 0,
        tax_amount           numeric(12, 2) not null default 0,
        total_amount         numeric(12, 2) not null default 0,
        paid_amount          numeric(12, 2) not null default 0,
        status               text           not null default 'draft'
                             constraint invoices_status_check
                             check (status in ('draft', 'issued', 'paid', 'overdue', 'cancelled')),
        source               text           not null default 'manual'
                             constraint invoices_source_check check (source in ('manual', 'generated')),
        issued_at            timestamptz    null,
        paid_at              timestamptz    null,
        due_date             date           null,
        notes                text           not null default '',
        created_at           timestamptz    not null default now(),
        updated_at           timestamptz    not null default now(),
        constraint invoices_billing_period_check check (billing_period_end >= billing_period_start),
        constraint invoices_amounts_check
          check (amount >= 0 and tax_amount >= 0 and total_amount = amount + tax_amount),
        constraint invoices_paid_amount_check check (paid_amount >= 0 and paid_amount <= total_amount)
      )`);
    // A billing run bills a customer's period once.
    this.addSql(`
      create unique index invoices_generated_period_unique
        on invoices (customer_id, billing_period_start, billing_period_end)
        where source = 'generated'`);
    this.addSql(`create index invoices_customer_id_created_at_index on invoices (customer_id, created_at)`);
    this.addSql(`create index invoices_status_created_at_index on invoices (status, created_at)`);
    this.addSql(`create index invoices_status_due_date_index on invoices (status, due_date)`);

    this.addSql(`
      create table invoice_items (
        id          uuid primary key,
        invoice_id  uuid           not null
                    constraint invoice_items_invoice_id_foreign references invoices (id) on delete cascade,
        customer_id uuid           not null
                    constraint invoice_items_customer_id_foreign references customers (id) on delete no action,
        order_id    uuid           null
                    constraint invoice_items_order_id_foreign references orders (id) on delete set null,
        description text           not null default '',
        quantity    integer        not null default 1 constraint invoice_items_quantity_check check (quantity >= 0),
        unit_price  numeric(12, 2) not null default 0,
        amount      numeric(12, 2) not null default 0,
        position    integer        not null default 0,
        created_at  timestamptz    not null default now(),
        constraint invoice_items_amount_check check (amount = quantity * unit_price)
      )`);
    this.addSql(`create index invoice_items_invoice_id_position_index on invoice_items (invoice_id, position)`);
    this.addSql(`create index invoice_items_customer_id_index on invoice_items (customer_id)`);
    this.addSql(`create index invoice_items_order_id_index on invoice_items (order_id)`);

    // kind says what is paid: an order, an invoice, or a balance recharge (neither).
    this.addSql(`
      create table payments (
        id                   uuid primary key,
        customer_id          uuid           not null
                             constraint payments_customer_id_foreign references customers (id) on delete no action,
        kind                 text           not null default 'order'
                             constraint payments_kind_check check (kind in ('order', 'invoice', 'recharge')),
        order_id             uuid           null
                             constraint payments_order_id_foreign references orders (id) on delete no action,
        invoice_id           uuid           null
                             constraint payments_invoice_id_foreign references invoices (id) on delete no action,
        amount               numeric(12, 2) not null constraint payments_amount_check check (amount >= 0),
        refunded_amount      numeric(12, 2) not null default 0,
        currency             varchar(8)     not null default 'CNY',
        gateway_interface_id uuid           null,
        gateway_payment_id   varchar(255)   null,
        gateway_tx_id        varchar(255)   null,
        status               text           not null default 'pending'
                             constraint payments_status_check
                             check (status in ('pending', 'success', 'failed', 'refunded')),
        payment_url          text           null,
        qr_code              text           null,
        instructions         text           null,
        return_url           text           null,
        paid_at              timestamptz    null,
        created_at           timestamptz    not null default now(),
        updated_at           timestamptz    not null default now(),
        constraint payments_refunded_amount_check check (refunded_amount >= 0 and refunded_amount <= amount),
        constraint payments_kind_reference_check check (
          (kind <> 'order' or order_id is not null)
          and (kind <> 'invoice' or invoice_id is not null)
          and (kind <> 'recharge' or (order_id is null and invoice_id is null)))
      )`);
    this.addSql(`create index payments_customer_id_created_at_index on payments (customer_id, created_at)`);
    this.addSql(`create index payments_status_created_at_index on payments (status, created_at)`);
    this.addSql(`create index payments_order_id_index on payments (order_id)`);
    this.addSql(`create index payments_invoice_id_index on payments (invoice_id)`);
    this.addSql(`create index payments_gateway_payment_index on payments (gateway_interface_id, gateway_payment_id)`);

    // The balance ledger: append-only, every row brackets its change.
    this.addSql(`
      create table balance_transactions (
        id               uuid primary key,
        customer_id      uuid           not null
                         constraint balance_transactions_customer_id_foreign references customers (id) on delete no action,
        transaction_type text           not null
                         constraint balance_transactions_transaction_type_check
                         check (transaction_type in ('recharge', 'payment', 'refund', 'adjustment')),
        amount           numeric(12, 2) not null constraint balance_transactions_amount_check check (amount <> 0),
        balance_before   numeric(12, 2) not null,
        balance_after    numeric(12, 2) not null,
        reference_id     uuid           null,
        description      text           not null default '',
        created_at       timestamptz    not null default now(),
        constraint balance_transactions_balance_check check (balance_after = balance_before + amount)
      )`);
    // A recharge payment is credited exactly once.
    this.addSql(`
      create unique index balance_transactions_recharge_once_unique
        on balance_transactions (customer_id, reference_id)
        where transaction_type = 'recharge'`);
    this.addSql(
      `create index balance_transactions_customer_id_created_at_index on balance_transactions (customer_id, created_at)`,
    );
    this.addSql(`create index balance_transactions_reference_id_index on balance_transactions (reference_id)`);
  }

  override down(): void {
    this.addSql(`drop table if exists balance_transactions`);
    this.addSql(`drop table if exists payments`);
    this.addSql(`drop table if exists invoice_items`);
    this.addSql(`drop table if exists invoices`);
    this.addSql(`drop table if exists instances`);
    this.addSql(`drop table if exists orders`);
  }
}
