import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SHARD_COUNT } from '../../cluster.config.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nodebill-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Runs loadConfig and returns the ConfigError it throws. */
function configError(env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig({ env, cwd: dir });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig did not throw');
}

describe('loadConfig: defaults', () => {
  it('without files or environment, yields the manual defaults', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config).toEqual({
      server: {
        host: '127.0.0.1',
        port: 50051,
        max_concurrency: 30,
        notify_email: '',
        admin_path: '/admin',
        portal_path: '/',
        cors_allowed_origins: [],
        trusted_proxies: [],
        public_url: '',
      },
      db: {
        url: '',
        max_connections: 20,
        min_connections: 2,
        idle_timeout_secs: 300,
        max_lifetime_secs: 1800,
        acquire_timeout_secs: 5,
        test_before_acquire: true,
      },
      jwt: { secret: '', expiry_hours: 24, refresh_expiry_days: 30 },
      session: {
        cookie_name: 'rustbill_session',
        idle_timeout_minutes: 1440,
        absolute_timeout_hours: 168,
        cookie_secure: false,
        cookie_same_site: 'Lax',
      },
      bootstrap: { admin_username: 'admin', admin_password: '' },
      rate_limit: {
        enabled: true,
        login_per_sec: 5,
        register_per_sec: 1,
        verification_per_hour: 10,
        change_password_per_min: 5,
        login_free_failures: 5,
        login_backoff_base_secs: 1,
        login_backoff_max_secs: 900,
      },
      redis: { enabled: false, url: 'redis://127.0.0.1:6379', max_connections: 10, prefix: 'rustbill' },
      plugins: {
        plugins_dir: path.join(dir, 'plugins'),
        call_timeout_ms: 5000,
        memory_limit_mb: 64,
        scan_interval_secs: 300,
        health_check_interval_secs: 300,
        breaker_failure_threshold: 5,
        breaker_reset_timeout_ms: 30_000,
        http_retries: 3,
        http_retry_base_ms: 200,
        http_timeout_ms: 10_000,
        max_response_bytes: 4 * 1024 * 1024,
        outbound_allow: [],
        state_max_value_bytes: 64 * 1024,
        state_max_keys: 1000,
      },
      cluster: {
        workers: os.availableParallelism(), shards: SHARD_COUNT, shutdown_grace_ms: 10_000,
        node_address: '', secret: '', lease_timeout_ms: 10_000, heartbeat_interval_ms: 1_000,
      },
      orders: { unpaid_timeout_secs: 86_400, unpaid_check_interval_secs: 60, instance_refresh_interval_secs: 300 },
      billing: {
        due_days: 14, run_check_interval_secs: 3600, overdue_check_interval_secs: 3600, lifecycle_interval_secs: 3600, renewal_invoice_days_before: 7,
        reminder_days_before: [3], reminder_days_after: [1, 5], suspend_after_days: 3, terminate_after_days: 14, prices_include_tax: false,
      },
      crm: {
        scores_interval_secs: 600, rfm_recency_high_max_days: 30, rfm_recency_medium_max_days: 90, rfm_frequency_high_min_orders: 10,
        rfm_frequency_medium_min_orders: 3, rfm_monetary_high_min: '5000.00', rfm_monetary_medium_min: '1000.00', frequent_late_payments: 3,
        clv_horizon_months: 12, vip_default_limit: 10, import_max_bytes: 10_485_760, import_max_rows: 50_000, import_concurrency: 32,
      },
      jobs: {
        enabled: true,
        max_attempts: 8,
        backoff_base_ms: 1000,
        backoff_max_ms: 300_000,
        concurrency: 8,
        poll_interval_ms: 1000,
        queued_timeout_secs: 120,
      },
      log: { level: 'info', format: 'pretty' },
      telemetry: { enabled: false, otlp_endpoint: 'http://localhost:4317', service_name: 'nodebill' },
      data_dir: path.join(dir, '.data'),
    });
  });

  it('returns fresh arrays each time (defaults are not shared)', () => {
    const a = loadConfig({ env: {}, cwd: dir });
    a.server.cors_allowed_origins.push('https://x.example');
    const b = loadConfig({ env: {}, cwd: dir });
    expect(b.server.cors_allowed_origins).toEqual([]);
  });
});

describe('loadConfig: files', () => {
  it('reads ./config.toml, overlays ./config.local.toml key by key, and arrays replace', () => {
    write(
      'config.toml',
      `data_dir = "/var/lib/nodebill"
[server]
host = "0.0.0.0"
port = 6000
cors_allowed_origins = ["https://a.example", "https://b.example"]
[db]
url = "postgres://u:p@db.example:5432/rustbill"
max_connections = 40
[jwt]
secret = "from-config-toml"
[plugins]
plugins_dir = "scripts"
`,
    );
    write(
      'config.local.toml',
      `[server]
port = 7000
cors_allowed_origins = ["https://c.example"]
[jwt]
expiry_hours = 2
`,
    );
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 7000, cors_allowed_origins: ['https://c.example'] });
    expect(config.db).toMatchObject({ url: 'postgres://u:p@db.example:5432/rustbill', max_connections: 40, min_connections: 2 });
    expect(config.jwt).toEqual({ secret: 'from-config-toml', expiry_hours: 2, refresh_expiry_days: 30 });
    expect(config.data_dir).toBe('/var/lib/nodebill');
    expect(config.plugins.plugins_dir).toBe(path.join(dir, 'scripts'));
  });

  it('takes the files named by CONFIG_FILE and LOCAL_CONFIG_FILE instead of the defaults', () => {
    write('config.toml', '[server]\nport = 1111\n');
    const main = write('main.toml', '[server]\nport = 2222\nhost = "10.0.0.1"\n');
    write('local.toml', '[server]\nport = 3333\n');
    // A relative LOCAL_CONFIG_FILE is taken relative to cwd.
    const config = loadConfig({ env: { CONFIG_FILE: main, LOCAL_CONFIG_FILE: 'local.toml' }, cwd: dir });
    expect(config.server.port).toBe(3333);
    expect(config.server.host).toBe('10.0.0.1');
  });

  it('an empty array in the overlay clears the base array', () => {
    write('config.toml', '[server]\ncors_allowed_origins = ["*"]\n');
    write('config.local.toml', '[server]\ncors_allowed_origins = []\n');
    expect(loadConfig({ env: {}, cwd: dir }).server.cors_allowed_origins).toEqual([]);
  });

  it('takes trusted proxies as addresses or CIDR ranges and refuses names, naming the key', () => {
    write('config.toml', '[server]\ntrusted_proxies = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"]\n');
    expect(loadConfig({ env: {}, cwd: dir }).server.trusted_proxies).toEqual(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    write('config.toml', '[server]\ntrusted_proxies = ["proxy.lan"]\n');
    const err = configError();
    expect(err.message).toContain('trusted_proxies');
    expect(err.message).toMatch(/IP address or a CIDR range/);
  });

  it('takes the public base URL for gateway callbacks and refuses one with a query, naming the key', () => {
    write('config.toml', '[server]\npublic_url = "https://bill.example.com/billing"\n');
    expect(loadConfig({ env: {}, cwd: dir }).server.public_url).toBe('https://bill.example.com/billing');
    write('config.toml', '[server]\npublic_url = "https://bill.example.com/?a=1"\n');
    const err = configError();
    expect(err.message).toContain('public_url');
    expect(err.message).toMatch(/http\(s\) base URL/);
    write('config.toml', '[server]\npublic_url = "ftp://bill.example.com"\n');
    expect(configError().message).toContain('public_url');
  });

  it('takes the portal path "/", a sub-path or "" (off), and refuses a trailing slash or one overlapping admin_path, naming the key', () => {
    write('config.toml', '[server]\nportal_path = "/shop"\n');
    expect(loadConfig({ env: {}, cwd: dir }).server.portal_path).toBe('/shop');
    write('config.toml', '[server]\nportal_path = ""\n');
    expect(loadConfig({ env: {}, cwd: dir }).server.portal_path).toBe('');
    write('config.toml', '[server]\nportal_path = "/shop/"\n');
    expect(configError().message).toMatch(/portal_path.*does not end with "\/"/s);
    write('config.toml', '[server]\nportal_path = "/admin"\n');
    expect(configError().message).toMatch(/portal_path.*must not overlap \[server\] admin_path \(\/admin\)/s);
    write('config.toml', '[server]\nadmin_path = "/shop/admin"\nportal_path = "/shop"\n');
    expect(configError().message).toContain('portal_path');
  });

  it('takes the [crm] RFM thresholds and refuses a "high" laxer than its "medium", naming the key', () => {
    write('config.toml', '[crm]\nrfm_recency_high_max_days = 14\nrfm_monetary_high_min = "800.00"\nrfm_monetary_medium_min = "100"\n');
    expect(loadConfig({ env: {}, cwd: dir }).crm).toMatchObject({ rfm_recency_high_max_days: 14, rfm_monetary_high_min: '800.00', rfm_monetary_medium_min: '100' });
    write('config.toml', '[crm]\nrfm_frequency_high_min_orders = 2\nrfm_frequency_medium_min_orders = 5\nrfm_monetary_high_min = "10.5"\nrfm_monetary_medium_min = "10.50"\n');
    const err = configError();
    expect(err.message).toContain('[crm] rfm_frequency_high_min_orders = 2');
    expect(err.message).toContain('must be at least [crm] rfm_frequency_medium_min_orders (5)');
    expect(err.message).not.toContain('rfm_monetary_high_min');
    write('config.toml', '[crm]\nrfm_monetary_medium_min = "1.234"\n');
    expect(configError().message).toContain('[crm] rfm_monetary_medium_min = "1.234"');
  });

  it('takes the [billing] lifecycle settings and refuses a termination before the suspension or a reminder after it, naming the key', () => {
    write('config.toml', '[billing]\nsuspend_after_days = 5\nterminate_after_days = 20\nreminder_days_after = [2, 10]\nprices_include_tax = true\n');
    expect(loadConfig({ env: {}, cwd: dir }).billing).toMatchObject({ suspend_after_days: 5, terminate_after_days: 20, reminder_days_after: [2, 10], prices_include_tax: true });
    write('config.toml', '[billing]\nsuspend_after_days = 7\nterminate_after_days = 7\n');
    expect(configError().message).toMatch(/terminate_after_days.*must be greater than suspend_after_days \(7\)/);
    write('config.toml', '[billing]\nterminate_after_days = 10\nreminder_days_after = [1, 12]\n');
    expect(configError().message).toContain('reminder_days_after has day 12');
    write('config.toml', '[billing]\nrenewal_invoice_days_before = 2\nreminder_days_before = [3]\n');
    expect(configError().message).toContain('reminder_days_before has day 3');
  });

  it('fails naming the variable when CONFIG_FILE points nowhere', () => {
    const err = configError({ CONFIG_FILE: 'missing.toml' });
    expect(err.message).toContain('CONFIG_FILE');
    expect(err.message).toContain(path.join(dir, 'missing.toml'));
  });

  it('fails naming the file and line on invalid TOML', () => {
    const file = write('config.toml', '[server]\nport = = 3\n');
    const err = configError();
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/line 2/);
  });
});

describe('loadConfig: environment', () => {
  it('overrides both files', () => {
    write(
      'config.toml',
      `[server]
port = 6000
host = "0.0.0.0"
[db]
url = "postgres://file/db"
[redis]
url = "redis://file:6379"
[jwt]
secret = "file-secret"
[bootstrap]
admin_password = "file-password"
[cluster]
workers = 3
[log]
level = "warn"
`,
    );
    write('config.local.toml', '[server]\nport = 7000\n');
    const config = loadConfig({
      cwd: dir,
      env: {
        PORT: '8080',
        HOST: '::',
        DATABASE_URL: 'postgres://env/db',
        REDIS_URL: 'redis://env:6380',
        JWT_SECRET: 'env-secret',
        ADMIN_PASSWORD: 'env-password',
        WORKERS: '5',
        LOG_LEVEL: 'DEBUG',
        LOG_FORMAT: 'json',
      },
    });
    expect(config.server.port).toBe(8080);
    expect(config.server.host).toBe('::');
    expect(config.db.url).toBe('postgres://env/db');
    expect(config.redis).toMatchObject({ url: 'redis://env:6380', enabled: true });
    expect(config.jwt.secret).toBe('env-secret');
    expect(config.bootstrap.admin_password).toBe('env-password');
    expect(config.cluster.workers).toBe(5);
    expect(config.log).toEqual({ level: 'debug', format: 'json' });
  });

  it('accepts RustBill’s RUST_LOG_FORMAT=json, and LOG_FORMAT wins over it', () => {
    expect(loadConfig({ env: { RUST_LOG_FORMAT: 'json' }, cwd: dir }).log.format).toBe('json');
    expect(loadConfig({ env: { RUST_LOG_FORMAT: 'json', LOG_FORMAT: 'pretty' }, cwd: dir }).log.format).toBe('pretty');
  });

  it('treats empty variables as unset', () => {
    write('config.toml', '[server]\nport = 6000\n');
    expect(loadConfig({ env: { PORT: '', DATABASE_URL: '' }, cwd: dir }).server.port).toBe(6000);
  });

  it('names the variable when its value is invalid', () => {
    expect(configError({ PORT: 'eighty' }).message).toMatch(/PORT="eighty".*whole number/);
    expect(configError({ PORT: '70000' }).message).toMatch(/environment variable PORT = 70000 \(sets \[server\] port\).*1 and 65535/);
    expect(configError({ LOG_FORMAT: 'xml' }).message).toContain('LOG_FORMAT');
  });
});

describe('loadConfig: validation', () => {
  it('rejects an unknown key, naming file, section and a suggestion', () => {
    const file = write('config.toml', '[server]\nprot = 6000\n');
    const err = configError();
    expect(err.message).toContain('unknown key "prot" in [server]');
    expect(err.message).toContain(file);
    expect(err.message).toContain('Did you mean "port"');
  });

  it('rejects an unknown section and a key in the wrong section, in the local overlay too', () => {
    write('config.toml', '[smtp]\nhost = "x"\n');
    const local = write('config.local.toml', '[db]\nport = 5432\n');
    const err = configError();
    expect(err.message).toContain('unknown key "smtp" at the top level');
    expect(err.message).toContain(`unknown key "port" in [db] of ${local}`);
    expect(err.message).toContain('"port" belongs in [server]');
    expect(err.problems).toHaveLength(2);
  });

  it('reports wrong values with file and key', () => {
    const file = write(
      'config.toml',
      `[server]
port = 0
cors_allowed_origins = ["https://ok.example", "https://bad.example/path"]
[db]
min_connections = 30
max_connections = 10
[session]
cookie_same_site = "Sometimes"
`,
    );
    const err = configError();
    expect(err.message).toContain(`[server] port = 0 in ${file}: must be between 1 and 65535`);
    expect(err.message).toContain('[server] cors_allowed_origins[1] = "https://bad.example/path"');
    expect(err.message).toContain('[session] cookie_same_site = "Sometimes"');
    // The cross-field rule runs only once the section itself is well-formed.
    write('config.toml', '[db]\nmin_connections = 30\nmax_connections = 10\n');
    expect(configError().message).toContain('[db] min_connections = 30');
    expect(configError().message).toContain('must not exceed [db] max_connections (10)');
  });

  it('rejects a type mismatch', () => {
    write('config.toml', '[server]\nport = "50051"\n[rate_limit]\nenabled = "yes"\n');
    const err = configError();
    expect(err.message).toContain('[server] port = "50051"');
    expect(err.message).toContain('[rate_limit] enabled = "yes"');
  });

  it('accepts only 64 shards', () => {
    write('config.toml', '[cluster]\nshards = 128\n');
    expect(configError().message).toMatch(/\[cluster\] shards = 128 .*fixed at 64/);
    write('config.toml', '[cluster]\nshards = 64\n');
    expect(loadConfig({ env: {}, cwd: dir }).cluster.shards).toBe(64);
  });

  it('accepts "*" as an explicit CORS origin', () => {
    write('config.toml', '[server]\ncors_allowed_origins = ["*"]\n');
    expect(loadConfig({ env: {}, cwd: dir }).server.cors_allowed_origins).toEqual(['*']);
  });

  it('refuses SameSite=None without Secure', () => {
    write('config.toml', '[session]\ncookie_same_site = "None"\n');
    expect(configError().message).toContain('cookie_secure = true');
    write('config.toml', '[session]\ncookie_same_site = "None"\ncookie_secure = true\n');
    expect(loadConfig({ env: {}, cwd: dir }).session.cookie_same_site).toBe('None');
  });

  it('rejects a database URL that is not PostgreSQL', () => {
    expect(configError({ DATABASE_URL: 'mysql://x/y' }).message).toContain('environment variable DATABASE_URL');
  });
});
