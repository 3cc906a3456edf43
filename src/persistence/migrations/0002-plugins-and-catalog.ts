import { Migration } from '@mikro-orm/migrations';

/**
 * Plugins and the product catalog: plugins, plugin_interfaces, plugin_state, product_categories,
 * product_groups, products. None of them is customer-owned (Citus reference tables).
 */
export class Migration0002PluginsAndCatalog extends Migration {
  override up(): void {
    // Plugin definitions found by the scanner: one per (type, id).
    this.addSql(`
      create table plugins (
        id             uuid primary key,
        plugin_type    text         not null
                       constraint plugins_plugin_type_check
                       check (plugin_type in ('first_party_provider', 'upstream_provider', 'gateway', 'notifier')),
        plugin_id      varchar(100) not null,
        version        varchar(32)  not null default '0.0.0',
        has_admin_page boolean      not null default false,
        script_source  text         not null default '',
        script_hash    varchar(128) not null default '',
        created_at     timestamptz  not null default now(),
        updated_at     timestamptz  not null default now(),
        constraint plugins_plugin_type_plugin_id_unique unique (plugin_type, plugin_id)
      )`);

    // Configured instances of a plugin; a display name is unique per plugin.
    this.addSql(`
      create table plugin_interfaces (
        id             uuid primary key,
        plugin_def_id  uuid         null
                       constraint plugin_interfaces_plugin_def_id_foreign references plugins (id) on delete set null,
        plugin_type    text         not null
                       constraint plugin_interfaces_plugin_type_check
                       check (plugin_type in ('first_party_provider', 'upstream_provider', 'gateway', 'notifier')),
        plugin_id      varchar(100) not null,
        display_name   varchar(255) not null,
        enabled        boolean      not null default false,
        config         jsonb        not null default '{}',
        config_schema  jsonb        not null default '{}',
        script_source  text         not null default '',
        script_hash    varchar(128) not null default '',
        plugin_version varchar(32)  not null default '0.0.0',
        has_admin_page boolean      not null default false,
        is_healthy     boolean      not null default false,
        health_error   text         null,
        last_check_at  timestamptz  null,
        created_at     timestamptz  not null default now(),
        updated_at     timestamptz  not null default now(),
        constraint plugin_interfaces_type_id_display_name_unique unique (plugin_type, plugin_id, display_name)
      )`);
    this.addSql(`create index plugin_interfaces_plugin_def_id_index on plugin_interfaces (plugin_def_id)`);

    // Key/value state of the plugin host API, namespaced per interface.
    this.addSql(`
      create table plugin_state (
        interface_id uuid         not null
                     constraint plugin_state_interface_id_foreign references plugin_interfaces (id) on delete cascade,
        key          varchar(255) not null,
        value        text         not null,
        created_at   timestamptz  not null default now(),
        updated_at   timestamptz  not null default now(),
        primary key (interface_id, key)
      )`);

    this.addSql(`
      create table product_categories (
        id          uuid primary key,
        name        varchar(255) not null,
        description text         not null default '',
        sort_order  integer      not null default 0,
        created_at  timestamptz  not null default now(),
        updated_at  timestamptz  not null default now()
      )`);
    this.addSql(`create index product_categories_sort_order_index on product_categories (sort_order)`);

    this.addSql(`
      create table product_groups (
        id          uuid primary key,
        name        varchar(255) not null,
        description text         not null default '',
        sort_order  integer      not null default 0
                    constraint product_groups_sort_order_check check (sort_order >= 0),
        category_id uuid         null
                    constraint product_groups_category_id_foreign references product_categories (id) on delete set null,
        created_at  timestamptz  not null default now(),
        updated_at  timestamptz  not null default now()
      )`);
    this.addSql(`create index product_groups_category_id_index on product_groups (category_id)`);
    this.addSql(`create index product_groups_sort_order_index on product_groups (sort_order)`);

    // Products. (interface_id, external_id) is unique so that re-syncing a provider's products
    // updates them instead of creating duplicates; hand-made products have external_id null.
    this.addSql(`
      create table products (
        id              uuid primary key,
        name            varchar(255)   not null,
        description     text           not null default '',
        price_per_month numeric(12, 2) not null
                        constraint products_price_per_month_check check (price_per_month >= 0),
        cost_price      numeric(12, 2) not null default 0
                        constraint products_cost_price_check check (cost_price >= 0),
        billing_cycles  jsonb          not null default '{}',
        specs           jsonb          not null default '{}',
        interface_id    uuid           null
                        constraint products_interface_id_foreign references plugin_interfaces (id) on delete set null,
        group_id        uuid           null
                        constraint products_group_id_foreign references product_groups (id) on delete set null,
        external_id     varchar(255)   null,
        is_active       boolean        not null default true,
        created_at      timestamptz    not null default now(),
        updated_at      timestamptz    not null default now(),
        constraint products_interface_id_external_id_unique unique (interface_id, external_id)
      )`);
    this.addSql(`create index products_group_id_index on products (group_id)`);
    this.addSql(`create index products_is_active_created_at_index on products (is_active, created_at)`);
  }

  override down(): void {
    this.addSql(`drop table if exists products`);
    this.addSql(`drop table if exists product_groups`);
    this.addSql(`drop table if exists product_categories`);
    this.addSql(`drop table if exists plugin_state`);
    this.addSql(`drop table if exists plugin_interfaces`);
    this.addSql(`drop table if exists plugins`);
  }
}
