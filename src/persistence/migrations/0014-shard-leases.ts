import { Migration } from '@mikro-orm/migrations';

/**
 * Several nodes on one database (issue 15, HA guide §1/§7): each node's primary registers in
 * `instance_heartbeat` with the address other nodes forward to, and the 64 shards are owned
 * through `shard_leases`, one row per shard: the owning node and worker slot, a fencing `epoch`
 * (raised on every change of owner) and the lease's expiry. The rows are taken and renewed with
 * single-statement compare-and-set updates (src/persistence/shard-leases.ts).
 */
export class Migration0014ShardLeases extends Migration {
  override up(): void {
    this.addSql(`alter table instance_heartbeat add column address varchar(255) not null default ''`);
    this.addSql(`alter table instance_heartbeat add column workers integer not null default 0
      constraint instance_heartbeat_workers_check check (workers >= 0)`);
    this.addSql(`
      create table shard_leases (
        shard       smallint     primary key constraint shard_leases_shard_check check (shard >= 0 and shard < 64),
        owner_node  uuid         null,
        owner_slot  integer      null constraint shard_leases_owner_slot_check check (owner_slot >= 0),
        epoch       bigint       not null default 0 constraint shard_leases_epoch_check check (epoch >= 0),
        expires_at  timestamptz  not null default '-infinity',
        acquired_at timestamptz  null,
        constraint shard_leases_owner_check check ((owner_node is null) = (owner_slot is null))
      )`);
    this.addSql(`insert into shard_leases (shard) select generate_series(0, 63)`);
  }

  override down(): void {
    this.addSql(`drop table if exists shard_leases`);
    this.addSql(`alter table instance_heartbeat drop column if exists workers`);
    this.addSql(`alter table instance_heartbeat drop column if exists address`);
  }
}
