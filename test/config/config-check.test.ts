import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/server.ts';

const run = promisify(execFile);
const FIXTURE = path.join(REPO_ROOT, 'test', 'config', 'fixtures', 'rustbill-full.toml');
/** The secrets of the fixture, none of which may be printed. */
const FIXTURE_SECRETS = ['rustbill-fixture-jwt-secret-4f9c2a7e1b8d6035c7e9a1f2', 'your-db-password', 'your-admin-password'];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nodebill-config-check-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `node src/cli/main.ts config check …` (Node 24 under vitest) in a scratch directory. */
async function configCheck(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'config', 'check', ...args],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('config check FILE', () => {
  it('prints every section and key of a RustBill config with its effective value, secrets masked, then the warnings; exit 0', async () => {
    const { code, stdout, stderr } = await configCheck([FIXTURE], { PORT: '50099', RUST_LOG: 'rustbill_server::services=debug' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`# files: ${FIXTURE}\n`);
    expect(stdout).toContain('# environment: PORT, RUST_LOG\n');
    const lines = stdout.split('\n');
    for (const line of [
      '[server]',
      'port = 50099  # from PORT',
      'max_concurrency = 100',
      'admin_path = "/manage"',
      '[db]',
      'url = "postgres://rustbill:****@localhost:5432/rustbill"',
      'max_connections = 40',
      'test_before_acquire = true',
      '[jwt]',
      'secret = "****"',
      'expiry_hours = 12',
      '[session]',
      'cookie_name = "rb_admin_session"',
      'cookie_same_site = "Strict"',
      '[bootstrap]',
      'admin_username = "root"',
      'admin_password = "****"',
      '[rate_limit]',
      'login_per_sec = 10',
      '[redis]',
      'max_connections = 16',
      'prefix = "rustbill-prod"',
      '[plugins]',
      `plugins_dir = "${path.join(dir, 'plugins')}"`,
      '[telemetry]',
      'enabled = true',
      'otlp_endpoint = "http://localhost:4317"',
      'service_name = "rustbill"',
      '[log]',
      'level = "debug"  # from RUST_LOG',
      // NodeBill's own sections, at their defaults.
      '[cluster]',
      'shards = 64',
      '[jobs]',
      '[billing]',
    ]) {
      expect(lines, line).toContain(line);
    }
    const warnings = stdout.slice(stdout.indexOf('\nwarnings (3):\n'));
    expect(warnings).toMatch(/^\nwarnings \(3\):\n {2}- RUST_LOG="rustbill_server::services=debug" in the environment: NodeBill has one log level/);
    expect(warnings).toContain(`  - [db] test_before_acquire in ${FIXTURE}: ignored: NodeBill's PostgreSQL pools`);
    expect(warnings).toContain(`  - [redis] max_connections in ${FIXTURE}: ignored: NodeBill keeps no Redis connection pool`);
    for (const secret of FIXTURE_SECRETS) expect(stdout).not.toContain(secret);
  });

  it('masks secrets that come from the environment too', async () => {
    const { code, stdout } = await configCheck([FIXTURE], {
      DATABASE_URL: 'postgres://billing:Env-Db-Pa55@db.internal:5432/billing?sslpassword=Key-Pa55',
      JWT_SECRET: 'env-jwt-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      ADMIN_PASSWORD: 'Env-Admin-Pa55',
      REDIS_URL: 'redis://:Redis-Pa55@127.0.0.1:6379',
    });
    expect(code).toBe(0);
    expect(stdout).toContain('url = "postgres://billing:****@db.internal:5432/billing?sslpassword=****"  # from DATABASE_URL');
    expect(stdout).toContain('url = "redis://:****@127.0.0.1:6379"  # from REDIS_URL');
    for (const secret of ['Env-Db-Pa55', 'Key-Pa55', 'env-jwt-secret-0123456789', 'Env-Admin-Pa55', 'Redis-Pa55', ...FIXTURE_SECRETS]) {
      expect(stdout).not.toContain(secret);
    }
  });

  it('prints "no warnings" for a NodeBill config without unhonoured keys', async () => {
    const file = path.join(dir, 'minimal.toml');
    writeFileSync(file, '[server]\nport = 50070\n');
    const { code, stdout } = await configCheck([file]);
    expect(code).toBe(0);
    expect(stdout).toContain('port = 50070\n');
    expect(stdout.trimEnd().endsWith('\nno warnings')).toBe(true);
  });

  it('an invalid config: each error with file, key and reason on stderr, secrets not echoed; exit 1', async () => {
    const file = path.join(dir, 'broken.toml');
    const text = readFileSync(FIXTURE, 'utf8')
      .replace('port = 50061', 'port = 70000')
      .replace('cookie_same_site = "Strict"', 'cookie_same_site = "Sometimes"')
      .replace('plugins_dir = "./plugins"', 'plugins_dir = "./plugins"\nplugin_dir = "./x"');
    writeFileSync(file, text);
    const { code, stdout, stderr } = await configCheck([file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`config check: ${file} is not valid`);
    expect(stderr).toContain(`[server] port = 70000 in ${file}: must be between 1 and 65535`);
    expect(stderr).toContain(`[session] cookie_same_site = "Sometimes" in ${file}: must be "Lax", "Strict" or "None"`);
    expect(stderr).toContain(`unknown key "plugin_dir" in [plugins] of ${file}. Did you mean "plugins_dir"?`);
    for (const secret of FIXTURE_SECRETS) expect(stderr).not.toContain(secret);
  });

  it('refuses the placeholder JWT secret as the server would, and reports TOML syntax errors with the line', async () => {
    const placeholder = path.join(dir, 'placeholder.toml');
    writeFileSync(placeholder, readFileSync(FIXTURE, 'utf8').replace(/secret = ".*"/, 'secret = "change-me-in-production"'));
    const refused = await configCheck([placeholder]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[jwt] secret is still the placeholder "change-me-in-production"');

    const syntax = path.join(dir, 'syntax.toml');
    writeFileSync(syntax, '[server]\nport = \n');
    const broken = await configCheck([syntax]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`${syntax.replaceAll('/', '\\/')} is not valid TOML \\(line 2, column \\d+\\)`));
  });

  it('a missing file: exit 1; no FILE or extra arguments: usage, exit 2', async () => {
    const missing = await configCheck([path.join(dir, 'nope.toml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`config check: ${path.join(dir, 'nope.toml')} does not exist or is not a file`);
    const none = await configCheck([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: npm run cli -- config check FILE');
    const extra = await configCheck([FIXTURE, 'more']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('usage: npm run cli -- config check FILE');
  });
});
