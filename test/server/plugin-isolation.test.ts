/**
 * A busy plugin costs its own calls and nobody else's, through the real server (issue 6): one
 * worker, a first-party provider whose `query_price` spins forever, four customers' QueryPrice
 * calls spinning at once — and GetMe calls on the same worker are still answered before any of
 * them ends. The QuickJS sandboxes run in threads of their own, not on the worker's event loop.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { providerScript } from '../plugins/registry/scripts.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import { createTestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

const CALL_TIMEOUT_MS = 2000;
const SPINNING = 'query_price spinning';

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };
let workDir: string;
let adminToken: string;
let customerToken: string;

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'nodebill-plugin-isolation-'));
  const pluginsDir = path.join(workDir, 'plugins');
  mkdirSync(pluginsDir);
  // A complete provider whose query_price (declared last, so it wins) logs and then never yields.
  writeFileSync(
    path.join(pluginsDir, 'provider-spin.js'),
    `${providerScript()}\nfunction query_price(m, _u) { rustbill_host.log_info(${JSON.stringify(SPINNING)}); for (;;) {} }\n`,
  );

  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 1, config: { plugins: { plugins_dir: pluginsDir, call_timeout_ms: CALL_TIMEOUT_MS } } });
  const identity = grpcClient(IdentityService, server.url);
  adminToken = (await identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;

  customerToken = (await registerCustomer(server, { prefix: 'spin', displayName: 'Spin Buyer' })).accessToken;
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('a spinning provider script on a one-worker server', () => {
  it('four QueryPrice calls spin at once while GetMe calls are answered; each QueryPrice then answers Unavailable (timeout)', async () => {
    const admin = grpcClient(IntegrationService, server.url, bearer(adminToken));
    const plugin = (await admin.listPlugins({ pluginType: 'first_party_provider' })).plugins.find((entry) => entry.pluginId === 'spin');
    expect(plugin).toBeDefined();
    const created = await admin.createPluginInterface({ pluginDefId: plugin?.id ?? '', displayName: 'Spinning provider', configJson: '{}' });
    const interfaceId = created.interface?.id ?? '';
    await admin.togglePluginInterface({ interfaceId, enable: true });

    const customer = grpcClient(IntegrationService, server.url, bearer(customerToken));
    const me = grpcClient(IdentityService, server.url, bearer(customerToken));
    const events: string[] = [];
    const prices = Array.from({ length: 4 }, (_, i) =>
      customer.queryPrice({ interfaceId, cpuCores: 1 + i, memoryGb: 1, region: 'eu', os: 'debian' }).finally(() => events.push('QueryPrice ended')),
    );
    prices.forEach((price) => price.catch(() => undefined));

    // All four scripts are spinning (each logged before its endless loop), and none has ended.
    const spinning = () => server.logs.filter((line) => line.msg === SPINNING && line.interfaceId === interfaceId).length;
    await vi.waitFor(() => expect(spinning()).toBe(4), { timeout: 30_000, interval: 10 });
    expect(events).toEqual([]);

    for (let i = 0; i < 3; i++) {
      const answer = await me.getMe({});
      expect(answer.user?.displayName).toBe('Spin Buyer');
      events.push('GetMe answered');
    }

    for (const price of prices) await expectCode(price, Code.Unavailable, /did not finish within its time limit .*exceeded the time limit of 2000 ms/);
    expect(events).toEqual(['GetMe answered', 'GetMe answered', 'GetMe answered', ...Array(4).fill('QueryPrice ended')]);
  });
});
