import { Migration } from '@mikro-orm/migrations';

/**
 * The outcomes of customer-actor commands by idempotency key (see entities/customer-commands.ts),
 * and an index for CreateCustomer's "another customer has this name" check (trimmed, any case).
 */
export class Migration0006CustomerCommands extends Migration {
  override up(): void {
    this.addSql(`
      create table customer_commands (
        customer_id     uuid         not null,
        idempotency_key varchar(128) not null,
        command_type    varchar(32)  not null,
        outcome         jsonb        not null default '{}',
        created_at      timestamptz  not null default now(),
        constraint customer_commands_pkey primary key (customer_id, idempotency_key)
      )`);
    this.addSql(`create index customer_commands_idempotency_key_index on customer_commands (idempotency_key)`);
    this.addSql(`create index customers_name_lower_index on customers (lower(btrim(name)))`);
  }

  override down(): void {
    this.addSql(`drop index if exists customers_name_lower_index`);
    this.addSql(`drop table if exists customer_commands`);
  }
}
