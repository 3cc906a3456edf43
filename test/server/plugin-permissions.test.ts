/**
 * Issue 6, "Operators and secrets": an operator sees `format: "password"` fields masked and must
 * not be able to read them another way — by changing the script (A) or by calling a script
 * function that returns its config (B). Operators may still change config, toggle and health-check.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Code } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { scriptHash } from '../../src/plugins/registry/scripts.ts';
import { gatewayScript } from '../plugins/registry/scripts.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: TestDatabase;
let workDir: string;
let admin: ReturnType<typeof grpcClient<typeof IntegrationService>>;
let operator: ReturnType<typeof grpcClient<typeof IntegrationService>>;
const SECRET = 'merchant-key-do-not-leak';
/** The shipped script plus a function returning its whole argument (the config merged with the args). */
const DUMPING_SCRIPT = `${gatewayScript({ version: '1.0.0' })}\nfunction dump(c) { return c; }\n`;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'nodebill-permissions-'));
  const pluginsDir = path.join(workDir, 'plugins');
  mkdirSync(pluginsDir);
  writeFileSync(path.join(pluginsDir, 'gateway-perm.js'), DUMPING_SCRIPT);
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 1, config: { plugins: { plugins_dir: pluginsDir } } });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query("insert into admin_users (id, username, password_hash, role) values ($1, 'oscar01', $2, 'operator')", [newId(), await hashPassword('Oscar-Pass-1', 4)]);
  await client.end();
  const identity = grpcClient(IdentityService, server.url);
  admin = grpcClient(IntegrationService, server.url, bearer((await identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken));
  operator = grpcClient(IntegrationService, server.url, bearer((await identity.login({ username: 'oscar01', password: 'Oscar-Pass-1', userType: 'admin' })).accessToken));
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function auditDetails(action: string, interfaceId: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query<{ details: Record<string, unknown> }>('select details from operation_logs where action = $1 and target_id = $2 order by created_at', [action, interfaceId]);
  await client.end();
  return rows.map((row) => row.details);
}

describe('operators and plugin secrets', () => {
  it('refuses script changes and script function calls to operators; admins may, and script changes are audited with their hash', async () => {
    const [plugin] = (await admin.listPlugins({ pluginType: 'gateway' })).plugins;
    const created = await admin.createPluginInterface({
      pluginDefId: plugin?.id ?? '', displayName: 'Perm pay', configJson: JSON.stringify({ api_url: 'https://pay.example', key: SECRET }),
    });
    const interfaceId = created.interface?.id ?? '';
    const masked = (await operator.getPluginInterface({ interfaceId })).interface;
    expect(JSON.parse(masked?.configJson ?? '{}')).toMatchObject({ key: '' });

    // (A) the same script without `format: "password"` would unmask the secret.
    const unmasking = DUMPING_SCRIPT.replace('"format":"password",', '');
    expect(unmasking).not.toBe(DUMPING_SCRIPT);
    await expectCode(operator.updatePluginInterface({ interfaceId, scriptSource: unmasking }), Code.PermissionDenied, /script_source may only be set by users with the admin role/);
    await expectCode(
      operator.createPluginInterface({ pluginDefId: plugin?.id ?? '', displayName: 'Own script', configJson: '{}', scriptSource: unmasking }),
      Code.PermissionDenied,
      /admin role/,
    );
    // (B) a script function returning its config.
    await expectCode(operator.callPluginAction({ interfaceId, function: 'dump', argsJson: '{}' }), Code.PermissionDenied, /admin role/);
    const after = (await operator.getPluginInterface({ interfaceId })).interface;
    expect(after?.configJson).not.toContain(SECRET);
    expect(after?.scriptSource).toBe(DUMPING_SCRIPT);

    // What operators may do still works: config (the masked secret is kept), toggle, health check.
    await operator.updatePluginInterface({ interfaceId, configJson: JSON.stringify({ api_url: 'https://pay2.example', key: '' }) });
    await operator.togglePluginInterface({ interfaceId, enable: true });
    expect((await operator.checkPluginHealth({ interfaceId })).isHealthy).toBe(true);
    expect(JSON.parse((await admin.getPluginInterface({ interfaceId })).interface?.configJson ?? '{}')).toMatchObject({ api_url: 'https://pay2.example', key: SECRET });

    // Admins may do both.
    expect(JSON.parse((await admin.callPluginAction({ interfaceId, function: 'dump', argsJson: '{}' })).resultJson)).toMatchObject({ key: SECRET });
    const newScript = `${DUMPING_SCRIPT}\nfunction extra() { return 1; }\n`;
    await admin.updatePluginInterface({ interfaceId, scriptSource: newScript });
    const updates = await auditDetails('plugin_interface.update', interfaceId);
    expect(updates.at(-1)).toMatchObject({ changes: ['script_source'], scriptSha256: scriptHash(newScript) });
    expect((await auditDetails('plugin_interface.create', interfaceId))[0]).toMatchObject({ scriptSha256: scriptHash(DUMPING_SCRIPT) });
  });
});
