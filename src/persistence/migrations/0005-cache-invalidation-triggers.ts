import { Migration } from '@mikro-orm/migrations';

/**
 * Triggers that announce, through `NOTIFY nodebill_invalidation`, every change that makes the
 * workers' principal caches stale (src/identity/principal-cache.ts): a session revoked or deleted,
 * an admin or customer user changed in what authentication reads or deleted, a refresh-token family
 * revoked, an API key disabled, revoked, expired or deleted. Whoever writes — NodeBill itself, the
 * CLI, an operator with psql — every node hears it once the transaction commits
 * (src/cluster/node-invalidations.ts). The payload is `{"event": Invalidation}`; the `WHEN`
 * clauses keep bookkeeping writes (`last_seen_at`, `last_login_at`, `last_used_at`) silent.
 */
export class Migration0005CacheInvalidationTriggers extends Migration {
  override up(): void {
    this.addSql(`
      create function sessions_invalidate() returns trigger language plpgsql as $$
      begin
        perform pg_notify('nodebill_invalidation', jsonb_build_object('event', jsonb_build_object('kind', 'sessions', 'sessionIds', jsonb_build_array(old.id)))::text);
        return null;
      end $$`);
    this.addSql(`
      create trigger sessions_invalidate_update after update on sessions for each row
        when (old.revoked_at is distinct from new.revoked_at or old.expires_at is distinct from new.expires_at)
        execute function sessions_invalidate()`);
    this.addSql(`create trigger sessions_invalidate_delete after delete on sessions for each row execute function sessions_invalidate()`);

    this.addSql(`
      create function admin_users_invalidate() returns trigger language plpgsql as $$
      begin
        perform pg_notify('nodebill_invalidation', jsonb_build_object('event', jsonb_build_object('kind', 'admin_user', 'userId', old.id))::text);
        return null;
      end $$`);
    this.addSql(`
      create trigger admin_users_invalidate_update after update on admin_users for each row
        when ((old.username, old.email, old.display_name, old.role, old.is_active, old.password_hash)
              is distinct from (new.username, new.email, new.display_name, new.role, new.is_active, new.password_hash))
        execute function admin_users_invalidate()`);
    this.addSql(`create trigger admin_users_invalidate_delete after delete on admin_users for each row execute function admin_users_invalidate()`);

    this.addSql(`
      create function customer_users_invalidate() returns trigger language plpgsql as $$
      begin
        perform pg_notify('nodebill_invalidation', jsonb_build_object('event', jsonb_build_object('kind', 'customer_user', 'userId', old.id))::text);
        return null;
      end $$`);
    this.addSql(`
      create trigger customer_users_invalidate_update after update on customer_users for each row
        when ((old.customer_id, old.username, old.email, old.display_name, old.is_active, old.password_hash)
              is distinct from (new.customer_id, new.username, new.email, new.display_name, new.is_active, new.password_hash))
        execute function customer_users_invalidate()`);
    this.addSql(`create trigger customer_users_invalidate_delete after delete on customer_users for each row execute function customer_users_invalidate()`);

    this.addSql(`
      create function refresh_tokens_invalidate() returns trigger language plpgsql as $$
      begin
        perform pg_notify('nodebill_invalidation', jsonb_build_object('event', jsonb_build_object('kind', 'token_families', 'familyIds', jsonb_build_array(old.family_id)))::text);
        return null;
      end $$`);
    this.addSql(`
      create trigger refresh_tokens_invalidate_update after update on refresh_tokens for each row
        when (old.revoked_at is distinct from new.revoked_at)
        execute function refresh_tokens_invalidate()`);
    this.addSql(`create trigger refresh_tokens_invalidate_delete after delete on refresh_tokens for each row execute function refresh_tokens_invalidate()`);

    this.addSql(`
      create function api_keys_invalidate() returns trigger language plpgsql as $$
      begin
        perform pg_notify('nodebill_invalidation', jsonb_build_object('event', jsonb_build_object('kind', 'api_key', 'keyHash', old.key_hash))::text);
        return null;
      end $$`);
    this.addSql(`
      create trigger api_keys_invalidate_update after update on api_keys for each row
        when ((old.key_hash, old.enabled, old.revoked_at, old.expires_at, old.customer_id)
              is distinct from (new.key_hash, new.enabled, new.revoked_at, new.expires_at, new.customer_id))
        execute function api_keys_invalidate()`);
    this.addSql(`create trigger api_keys_invalidate_delete after delete on api_keys for each row execute function api_keys_invalidate()`);
  }

  override down(): void {
    for (const table of ['sessions', 'admin_users', 'customer_users', 'refresh_tokens', 'api_keys']) {
      this.addSql(`drop trigger if exists ${table}_invalidate_update on ${table}`);
      this.addSql(`drop trigger if exists ${table}_invalidate_delete on ${table}`);
      this.addSql(`drop function if exists ${table}_invalidate()`);
    }
  }
}
