import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatConfigWarning, loadConfig, loadConfigWithWarnings } from '../../cluster.config.ts';
import { rustLogMeaning } from '../../src/config/compat.ts';
import { maskSecrets, maskUrl } from '../../src/config/mask.ts';
import { REPO_ROOT } from '../support/server.ts';

/** RustBill's config.toml with every section and key of its documentation. */
const FIXTURE = path.join(REPO_ROOT, 'test', 'config', 'fixtures', 'rustbill-full.toml');

/**
 * Every section and key RustBill's documentation shows: operations manual §2.1–§2.8 (tables) and
 * the HA guide §9.3 ([telemetry]); the deployment guide and HA guide §1.3, §1.4, §6.2 show subsets.
 */
const MANUAL_KEYS: Readonly<Record<string, readonly string[]>> = {
  server: ['host', 'port', 'max_concurrency', 'notify_email', 'admin_path'],
  db: ['url', 'max_connections', 'min_connections', 'idle_timeout_secs', 'max_lifetime_secs', 'acquire_timeout_secs', 'test_before_acquire'],
  jwt: ['secret', 'expiry_hours'],
  session: ['cookie_name', 'idle_timeout_minutes', 'absolute_timeout_hours', 'cookie_secure', 'cookie_same_site'],
  bootstrap: ['admin_username', 'admin_password'],
  rate_limit: ['enabled', 'login_per_sec', 'register_per_sec'],
  redis: ['enabled', 'url', 'max_connections', 'prefix'],
  plugins: ['plugins_dir'],
  telemetry: ['enabled', 'otlp_endpoint', 'service_name'],
};

const TEST_BEFORE_ACQUIRE =
  'ignored: NodeBill\'s PostgreSQL pools (node-postgres) cannot run "SELECT 1" before handing out a connection; ' +
  'a connection that died fails the one query that uses it and is then dropped from the pool, and /ready checks the database on every call';
const REDIS_MAX_CONNECTIONS =
  'ignored: NodeBill keeps no Redis connection pool; each worker process holds a fixed few Redis connections ' +
  '(rate limits and caches, the job queue) over which commands are pipelined';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nodebill-rustbill-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a RustBill config.toml', () => {
  it('holds every section and key of the manuals, and nothing else (the fixture is what it claims)', () => {
    const raw = parseToml(readFileSync(FIXTURE, 'utf8'));
    const shape = Object.fromEntries(Object.entries(raw).map(([section, table]) => [section, Object.keys(table as object)]));
    expect(shape).toEqual(MANUAL_KEYS);
  });

  it('loads unchanged, each key giving NodeBill the setting the manual describes', () => {
    const { config, warnings, files } = loadConfigWithWarnings({ env: { CONFIG_FILE: FIXTURE }, cwd: dir });
    expect(files).toEqual([FIXTURE]);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 50061, max_concurrency: 100, notify_email: 'ops@example.com', admin_path: '/manage' });
    expect(config.db).toEqual({
      url: 'postgres://rustbill:your-db-password@localhost:5432/rustbill',
      max_connections: 40,
      min_connections: 4,
      idle_timeout_secs: 600,
      max_lifetime_secs: 3600,
      acquire_timeout_secs: 10,
      test_before_acquire: true,
    });
    expect(config.jwt).toMatchObject({ secret: 'rustbill-fixture-jwt-secret-4f9c2a7e1b8d6035c7e9a1f2', expiry_hours: 12 });
    expect(config.session).toEqual({ cookie_name: 'rb_admin_session', idle_timeout_minutes: 720, absolute_timeout_hours: 72, cookie_secure: true, cookie_same_site: 'Strict' });
    expect(config.bootstrap).toEqual({ admin_username: 'root', admin_password: 'your-admin-password' });
    expect(config.rate_limit).toMatchObject({ enabled: true, login_per_sec: 10, register_per_sec: 2 });
    expect(config.redis).toEqual({ enabled: true, url: 'redis://127.0.0.1:6379', max_connections: 16, prefix: 'rustbill-prod' });
    // Relative to the working directory, as RustBill's WorkingDirectory= makes it.
    expect(config.plugins.plugins_dir).toBe(path.join(dir, 'plugins'));
    expect(config.telemetry).toEqual({ enabled: true, otlp_endpoint: 'http://localhost:4317', service_name: 'rustbill' });
    expect(warnings.map(formatConfigWarning)).toEqual([
      `[db] test_before_acquire in ${FIXTURE}: ${TEST_BEFORE_ACQUIRE}`,
      `[redis] max_connections in ${FIXTURE}: ${REDIS_MAX_CONNECTIONS}`,
    ]);
  });

  it('warns about Rune scripts in plugins_dir, which NodeBill does not run', () => {
    mkdirSync(path.join(dir, 'plugins'));
    writeFileSync(path.join(dir, 'plugins', 'gateway-yipay.rn'), 'pub fn name() { "yipay" }\n');
    writeFileSync(path.join(dir, 'plugins', 'notifier-webhook.rn'), 'pub fn name() { "webhook" }\n');
    writeFileSync(path.join(dir, 'plugins', 'gateway-banktransfer.js'), 'export function name() { return "bank"; }\n');
    const { warnings } = loadConfigWithWarnings({ env: { CONFIG_FILE: FIXTURE }, cwd: dir });
    expect(warnings.find((w) => w.key === '[plugins] plugins_dir')).toEqual({
      key: '[plugins] plugins_dir',
      source: FIXTURE,
      message:
        `${path.join(dir, 'plugins')} holds 2 Rune script(s) (gateway-yipay.rn, notifier-webhook.rn) that NodeBill does not load: ` +
        'NodeBill runs JavaScript plugins ({gateway|notifier|provider}-{id}.js; README "Writing a plugin"), so port them to JavaScript',
    });
  });

  it('warns only about what is not honoured: test_before_acquire = false (NodeBill’s behaviour) in config.local.toml silences its warning', () => {
    const local = path.join(dir, 'config.local.toml');
    writeFileSync(local, '[db]\ntest_before_acquire = false\n');
    const { config, warnings, files } = loadConfigWithWarnings({ env: { CONFIG_FILE: FIXTURE }, cwd: dir });
    expect(files).toEqual([FIXTURE, local]);
    expect(config.db.test_before_acquire).toBe(false);
    expect(warnings.map((w) => w.key)).toEqual(['[redis] max_connections']);
  });

  it('is overridden by the environment variables of the manual (DATABASE_URL, RUST_LOG, RUST_LOG_FORMAT)', () => {
    const { config } = loadConfigWithWarnings({
      env: { CONFIG_FILE: FIXTURE, DATABASE_URL: 'postgres://other@db.internal/billing', RUST_LOG: 'rustbill_server=debug', RUST_LOG_FORMAT: 'json' },
      cwd: dir,
    });
    expect(config.db.url).toBe('postgres://other@db.internal/billing');
    expect(config.log).toEqual({ level: 'debug', format: 'json' });
  });

  it('still refuses keys that are not RustBill’s, naming them', () => {
    const file = path.join(dir, 'config.toml');
    writeFileSync(file, `${readFileSync(FIXTURE, 'utf8')}sampler = "always_on"\n\n[smtp]\nhost = "mail"\n`);
    let error: unknown;
    try {
      loadConfig({ env: {}, cwd: dir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    // `sampler` follows [telemetry] in the file, so TOML puts it into that table.
    expect(message).toContain(`unknown key "sampler" in [telemetry] of ${file}`);
    expect(message).toContain(`unknown key "smtp" at the top level of ${file}`);
  });
});

describe('RUST_LOG', () => {
  it.each([
    ['info', 'info'],
    ['warn', 'warn'],
    ['rustbill_server=info', 'info'],
    ['rustbill_server=debug', 'debug'],
    ['rustbill_server=TRACE', 'trace'],
    ['rustbill_server', 'trace'],
  ] as const)('%s sets [log] level = %s without a warning', (value, level) => {
    expect(rustLogMeaning(value)).toEqual({ level });
    const { config, warnings } = loadConfigWithWarnings({ env: { RUST_LOG: value }, cwd: dir });
    expect(config.log.level).toBe(level);
    expect(warnings).toEqual([]);
  });

  it('per-module filters: the most verbose level named, with a warning that the filters are not applied', () => {
    const value = 'rustbill_server::plugin_scanner=debug,rustbill_server::services=info';
    const { config, warnings } = loadConfigWithWarnings({ env: { RUST_LOG: value }, cwd: dir });
    expect(config.log.level).toBe('debug');
    expect(warnings.map(formatConfigWarning)).toEqual([
      `RUST_LOG="${value}" in the environment: NodeBill has one log level for the whole server, not one per module: ` +
        '[log] level = "debug" (the most verbose level named); the filters for rustbill_server::plugin_scanner, rustbill_server::services are not applied',
    ]);
  });

  it('a level without a target wins over module filters', () => {
    expect(rustLogMeaning('warn,sqlx=debug')).toEqual({
      level: 'warn',
      warning: 'NodeBill has one log level for the whole server, not one per module: [log] level = "warn" (the level without a target); the filters for sqlx are not applied',
    });
  });

  it('"off" becomes fatal, and a directive with an unknown level is ignored, each with a warning', () => {
    expect(rustLogMeaning('off')).toEqual({ level: 'fatal', warning: '"off" is taken as "fatal": NodeBill always logs the error that stops it' });
    expect(rustLogMeaning('rustbill_server=loud')).toEqual({ warning: 'ignored "rustbill_server=loud": not a level (trace, debug, info, warn, error or off)' });
    expect(loadConfig({ env: { RUST_LOG: 'rustbill_server=loud' }, cwd: dir }).log.level).toBe('info');
  });

  it('LOG_LEVEL wins over RUST_LOG, as LOG_FORMAT over RUST_LOG_FORMAT', () => {
    const { config, warnings } = loadConfigWithWarnings({ env: { RUST_LOG: 'a::b=trace', LOG_LEVEL: 'error' }, cwd: dir });
    expect(config.log.level).toBe('error');
    expect(warnings).toEqual([]);
  });
});

describe('masking secrets', () => {
  it('masks passwords inside URLs and secret query parameters, keeping the rest', () => {
    expect(maskUrl('postgres://rustbill:your-db-password@localhost:5432/rustbill')).toBe('postgres://rustbill:****@localhost:5432/rustbill');
    expect(maskUrl('postgres://u:p@ss:w@rd@db/x?sslmode=require&sslpassword=abc')).toBe('postgres://u:****@db/x?sslmode=require&sslpassword=****');
    expect(maskUrl('redis://:s3cret@127.0.0.1:6379/0')).toBe('redis://:****@127.0.0.1:6379/0');
    expect(maskUrl('postgres://nobody@localhost/nodebill')).toBe('postgres://nobody@localhost/nodebill');
    expect(maskUrl('/admin')).toBe('/admin');
  });

  it('masks secret keys, leaving empty ones empty so a missing secret shows', () => {
    expect(maskSecrets({ jwt: { secret: 'x'.repeat(40), expiry_hours: 24 }, bootstrap: { admin_username: 'admin', admin_password: '' } })).toEqual({
      jwt: { secret: '****', expiry_hours: 24 },
      bootstrap: { admin_username: 'admin', admin_password: '' },
    });
  });
});
