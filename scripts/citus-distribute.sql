-- Generated from src/persistence/distribution.ts (citusDistributeSql); test/persistence/citus-script.test.ts
-- checks that this file names exactly the tables listed there. Run it once on the Citus coordinator,
-- after the migrations (README "Moving to Citus"). It runs in one transaction: all or nothing.
\set ON_ERROR_STOP on
begin;
set local citus.enable_unsafe_triggers to on;
set local citus.multi_shard_modify_mode to 'sequential';
set local citus.shard_count to 64;
select create_reference_table('admin_users');
select create_reference_table('sessions');
select create_reference_table('verification_codes');
select create_reference_table('plugins');
select create_reference_table('plugin_interfaces');
select create_reference_table('plugin_state');
select create_reference_table('product_categories');
select create_reference_table('product_groups');
select create_reference_table('products');
select create_reference_table('promotion_codes');
select create_reference_table('tax_rules');
select create_reference_table('invoice_number_counters');
select create_reference_table('event_queue');
select create_reference_table('operation_logs');
select create_reference_table('customer_imports');
select create_reference_table('instance_heartbeat');
select create_reference_table('leader_role');
select create_reference_table('shard_leases');
select create_reference_table('global_unique_keys');
select create_distributed_table('customers', 'id');
select create_distributed_table('customer_users', 'customer_id', colocate_with => 'customers');
select create_distributed_table('orders', 'customer_id', colocate_with => 'customers');
select create_distributed_table('invoices', 'customer_id', colocate_with => 'customers');
select create_distributed_table('invoice_items', 'customer_id', colocate_with => 'customers');
select create_distributed_table('payments', 'customer_id', colocate_with => 'customers');
select create_distributed_table('instances', 'customer_id', colocate_with => 'customers');
select create_distributed_table('balance_transactions', 'customer_id', colocate_with => 'customers');
select create_distributed_table('tickets', 'customer_id', colocate_with => 'customers');
select create_distributed_table('ticket_replies', 'customer_id', colocate_with => 'customers');
select create_distributed_table('customer_commands', 'customer_id', colocate_with => 'customers');
select create_distributed_table('customer_scores', 'customer_id', colocate_with => 'customers');
select create_distributed_table('refresh_tokens', 'customer_id', colocate_with => 'customers');
select create_distributed_table('api_keys', 'customer_id', colocate_with => 'customers');
select create_distributed_table('service_renewals', 'customer_id', colocate_with => 'customers');
select create_distributed_table('promotion_redemptions', 'customer_id', colocate_with => 'customers');
commit;
