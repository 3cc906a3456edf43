import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { grpcClient } from '../support/clients.ts';
import { createTestDatabase } from '../support/db.ts';
import { REPO_ROOT, type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

/** RustBill's config.toml with every section and key of its documentation (issue 14). */
const FIXTURE = path.join(REPO_ROOT, 'test', 'config', 'fixtures', 'rustbill-full.toml');
const RUST_LOG = 'rustbill_server::plugin_scanner=debug,rustbill_server::services=info';

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  db = await createTestDatabase();
  // The file as RustBill's operator has it; the test's database, port and secrets come from the
  // environment, which overrides files (DATABASE_URL as in the manual's §10). Logging is set the
  // RustBill way: RUST_LOG and RUST_LOG_FORMAT=json instead of LOG_LEVEL/LOG_FORMAT.
  server = await startServer({
    databaseUrl: db.url,
    env: { CONFIG_FILE: FIXTURE, RUST_LOG, RUST_LOG_FORMAT: 'json', LOG_LEVEL: '', LOG_FORMAT: '' },
  });
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

describe('NodeBill started with a RustBill config.toml', () => {
  it('serves /health', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
  });

  it('logs each warning for what it cannot honour once, at start, as JSON (RUST_LOG_FORMAT=json)', () => {
    const warnings = server.logs.filter((line) => line.level === 'warn' && typeof line.msg === 'string' && line.msg.startsWith('configuration: '));
    expect(warnings.map((line) => line.msg)).toEqual([
      `configuration: RUST_LOG="${RUST_LOG}" in the environment: NodeBill has one log level for the whole server, not one per module: ` +
        '[log] level = "debug" (the most verbose level named); the filters for rustbill_server::plugin_scanner, rustbill_server::services are not applied',
      `configuration: [db] test_before_acquire in ${FIXTURE}: ignored: NodeBill's PostgreSQL pools (node-postgres) cannot run "SELECT 1" before handing out a connection; ` +
        'a connection that died fails the one query that uses it and is then dropped from the pool, and /ready checks the database on every call',
      `configuration: [redis] max_connections in ${FIXTURE}: ignored: NodeBill keeps no Redis connection pool; each worker process holds a fixed few Redis connections ` +
        '(rate limits and caches, the job queue) over which commands are pipelined',
    ]);
    expect(warnings.map((line) => line.config_key)).toEqual([`RUST_LOG="${RUST_LOG}"`, '[db] test_before_acquire', '[redis] max_connections']);
  });

  it('gives the file’s [bootstrap] and [session] keys their meaning: admin "root", cookie rb_admin_session, Strict, Secure, 72 h', async () => {
    const seen: { headers?: Headers } = {};
    const login = await grpcClient(IdentityService, server.url, {}, seen).login({ username: 'root', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    expect(login.accessToken).not.toBe('');
    const setCookie = seen.headers?.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^rb_admin_session=[^;]+;/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/Max-Age=259200/);
  });

  it('serves the admin console at the file’s [server] admin_path', async () => {
    const response = await fetch(`${server.url}/manage`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<base href="/manage/">');
  });
});
