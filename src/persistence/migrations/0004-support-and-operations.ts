import { Migration } from '@mikro-orm/migrations';

/**
 * Support tickets, the transactional outbox, the admin audit log and the cluster tables:
 * tickets, ticket_replies, event_queue, operation_logs, instance_heartbeat, leader_role.
 */
export class Migration0004SupportAndOperations extends Migration {
  override up(): void {
    this.addSql(`
      create table tickets (
        id                uuid primary key,
        customer_id       uuid         not null
                          constraint tickets_customer_id_foreign references customers (id) on delete cascade,
        title             varchar(255) not null,
        description       text         not null default '',
        status            text         not null default 'pending'
                          constraint tickets_status_check check (status in ('pending', 'processing', 'resolved', 'closed')),
        priority          text         not null default 'medium'
                          constraint tickets_priority_check check (priority in ('low', 'medium', 'high', 'urgent')),
        assignee_user_id  uuid         null
                          constraint tickets_assignee_user_id_foreign references admin_users (id) on delete set null,
        -- an admin_users id or a customer_users id, as creator_user_type says
        creator_user_id   uuid         null,
        creator_user_type text         null
                          constraint tickets_creator_user_type_check check (creator_user_type in ('admin', 'customer')),
        created_at        timestamptz  not null default now(),
        updated_at        timestamptz  not null default now()
      )`);
    this.addSql(`create index tickets_customer_id_created_at_index on tickets (customer_id, created_at)`);
    this.addSql(`create index tickets_status_created_at_index on tickets (status, created_at)`);
    this.addSql(`create index tickets_assignee_user_id_index on tickets (assignee_user_id)`);

    // customer_id is always the ticket's customer (distribution key), whoever wrote the reply.
    this.addSql(`
      create table ticket_replies (
        id               uuid primary key,
        ticket_id        uuid        not null
                         constraint ticket_replies_ticket_id_foreign references tickets (id) on delete cascade,
        customer_id      uuid        not null
                         constraint ticket_replies_customer_id_foreign references customers (id) on delete cascade,
        author_type      text        not null
                         constraint ticket_replies_author_type_check check (author_type in ('admin', 'customer')),
        user_id          uuid        null
                         constraint ticket_replies_user_id_foreign references admin_users (id) on delete set null,
        customer_user_id uuid        null
                         constraint ticket_replies_customer_user_id_foreign references customer_users (id) on delete set null,
        content          text        not null,
        is_internal      boolean     not null default false,
        created_at       timestamptz not null default now(),
        -- internal notes are written by admins only
        constraint ticket_replies_internal_check check (not is_internal or author_type = 'admin')
      )`);
    this.addSql(`create index ticket_replies_ticket_id_created_at_index on ticket_replies (ticket_id, created_at)`);
    this.addSql(`create index ticket_replies_customer_id_index on ticket_replies (customer_id)`);

    // The outbox. customer_id is null only for events that belong to no customer; an order's
    // event always names its customer. No foreign keys: an event must never block a delete.
    this.addSql(`
      create table event_queue (
        id           uuid primary key,
        event_type   varchar(64) not null,
        payload      jsonb       not null default '{}',
        status       text        not null default 'pending'
                     constraint event_queue_status_check check (status in ('pending', 'processing', 'done', 'failed')),
        customer_id  uuid        null,
        order_id     uuid        null,
        attempts     integer     not null default 0 constraint event_queue_attempts_check check (attempts >= 0),
        last_error   text        null,
        available_at timestamptz not null default now(),
        locked_at    timestamptz null,
        processed_at timestamptz null,
        created_at   timestamptz not null default now(),
        constraint event_queue_order_customer_check check (order_id is null or customer_id is not null)
      )`);
    // Serves the consumer's "status = 'pending' and available_at <= now()" scan.
    this.addSql(`create index event_queue_status_available_at_index on event_queue (status, available_at)`);
    this.addSql(`create index event_queue_customer_id_created_at_index on event_queue (customer_id, created_at)`);
    this.addSql(`create index event_queue_order_id_index on event_queue (order_id)`);

    // Audit of admin changes; no foreign keys so that entries outlive what they mention.
    this.addSql(`
      create table operation_logs (
        id             uuid primary key,
        admin_user_id  uuid         null,
        admin_username varchar(64)  not null default '',
        action         varchar(128) not null,
        target_type    varchar(64)  not null default '',
        target_id      varchar(255) null,
        details        jsonb        not null default '{}',
        client_address varchar(64)  null,
        request_id     varchar(64)  null,
        created_at     timestamptz  not null default now()
      )`);
    this.addSql(`create index operation_logs_created_at_index on operation_logs (created_at)`);
    this.addSql(`create index operation_logs_target_index on operation_logs (target_type, target_id)`);
    this.addSql(`create index operation_logs_admin_user_id_created_at_index on operation_logs (admin_user_id, created_at)`);

    // Cluster membership (handbook: instance_heartbeat) ...
    this.addSql(`
      create table instance_heartbeat (
        instance_id   uuid primary key,
        hostname      varchar(255) not null default '',
        pid           integer      not null default 0,
        registered_at timestamptz  not null default now(),
        heartbeat_at  timestamptz  not null default now(),
        pool_idle     integer      not null default 0,
        pool_active   integer      not null default 0,
        pool_max      integer      not null default 0,
        constraint instance_heartbeat_pool_check check (pool_idle >= 0 and pool_active >= 0 and pool_max >= 0)
      )`);
    this.addSql(`create index instance_heartbeat_heartbeat_at_index on instance_heartbeat (heartbeat_at)`);

    // ... and leases for cluster-wide singleton roles (handbook: leader_role).
    this.addSql(`
      create table leader_role (
        role         varchar(64) primary key,
        holder       uuid        null,
        heartbeat_at timestamptz not null default now(),
        ttl_secs     integer     not null default 30 constraint leader_role_ttl_secs_check check (ttl_secs > 0)
      )`);
  }

  override down(): void {
    this.addSql(`drop table if exists leader_role`);
    this.addSql(`drop table if exists instance_heartbeat`);
    this.addSql(`drop table if exists operation_logs`);
    this.addSql(`drop table if exists event_queue`);
    this.addSql(`drop table if exists ticket_replies`);
    this.addSql(`drop table if exists tickets`);
  }
}
