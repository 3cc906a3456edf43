/**
 * InstanceService through the real server (one worker, the shipped plugins/ directory) with an
 * interface of provider-incus talking to the local Incus counterpart over mTLS. Customers are
 * created through the API; their orders and instances are inserted with SQL
 * (test/support/instance-fixture.ts), each pointing at an instance that exists in the counterpart.
 *
 * The periodic status refresh (InstanceManagement.refreshStatuses, run by a job elsewhere) is
 * driven from the test process: the same application service over the same database, with a real
 * plugin registry and engine.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfigSchema } from '../../cluster.config.ts';
import { InstanceManagement } from '../../src/application/provisioning/instances.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { InstanceService } from '../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { createOrm } from '../../src/persistence/orm.ts';
import { createPluginEngine, type SandboxedPluginEngine } from '../../src/plugins/engine/index.ts';
import { createHostServices, type HostServicesHandle } from '../../src/plugins/host/index.ts';
import { PluginRegistry } from '../../src/plugins/registry/registry.ts';
import type { MikroORM } from '@mikro-orm/postgresql';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { COUNTERPARTS_ALLOW } from '../support/counterparts/allow-list.ts';
import { generateTestCertificates } from '../support/counterparts/certs.ts';
import { type IncusInstance, type IncusServer, startIncusServer } from '../support/counterparts/incus.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { Code } from '@connectrpc/connect';
import { expectCode } from '../support/expect-code.ts';
import { customerWithLogin, insertInstance, type CustomerLogin, type InstanceRow } from '../support/instance-fixture.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: TestDatabase;
let incus: IncusServer;
let adminToken = '';
let interfaceId = '';
let alice: CustomerLogin;
let bob: CustomerLogin;
/** alice's running and stopped instances, bob's running one. */
let aliceRunning: InstanceRow;
let aliceStopped: InstanceRow;
let bobRunning: InstanceRow;

/** Puts an instance into the Incus counterpart, as if it had been created there. */
function incusInstance(name: string, status: IncusInstance['status'], ipv4: string): void {
  incus.instances.set(name, {
    name, type: 'virtual-machine', status, config: { 'limits.cpu': '2', 'limits.memory': '4GiB' },
    devices: { root: { type: 'disk', path: '/', pool: 'default', size: '40GiB' } }, source: { type: 'image', alias: 'debian/12' }, ipv4,
  });
}

/** The Incus requests about instance `name` (state changes and deletions). */
function changesAt(name: string): string[] {
  return incus.requests.filter((request) => request.method !== 'GET' && request.path.startsWith(`/1.0/instances/${name}`)).map((request) => `${request.method} ${request.path}`);
}

async function statusOf(instanceId: string): Promise<{ status: string; terminated_at: Date | null }> {
  const [row] = await queryRows<{ status: string; terminated_at: Date | null }>(db.url, 'select status, terminated_at from instances where id = $1', [instanceId]);
  if (!row) throw new Error(`instance ${instanceId} is not in the database`);
  return row;
}

const admin = (): ReturnType<typeof grpcClient<typeof InstanceService>> => grpcClient(InstanceService, server.url, bearer(adminToken));
const asCustomer = (customer: CustomerLogin): ReturnType<typeof grpcClient<typeof InstanceService>> => grpcClient(InstanceService, server.url, bearer(customer.accessToken));

beforeAll(async () => {
  const certs = generateTestCertificates();
  incus = await startIncusServer({ caCert: certs.caCert, serverCert: certs.serverCert, serverKey: certs.serverKey, operationDelayMs: 20 });
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 1, config: { plugins: { outbound_allow: COUNTERPARTS_ALLOW } } });
  adminToken = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  const integration = grpcClient(IntegrationService, server.url, bearer(adminToken));
  const plugin = (await integration.listPlugins({ pluginType: 'first_party_provider' })).plugins.find((candidate) => candidate.pluginId === 'incus');
  if (!plugin) throw new Error('provider-incus was not scanned');
  const created = await integration.createPluginInterface({
    pluginDefId: plugin.id, displayName: 'Incus',
    configJson: JSON.stringify({ api_url: incus.url, cert_pem: certs.clientCert, key_pem: certs.clientKey, ca_pem: certs.caCert, console_url: 'https://console.example.com/' }),
  });
  interfaceId = created.interface?.id ?? '';
  await integration.togglePluginInterface({ interfaceId, enable: true });

  alice = await customerWithLogin(server, db.url, adminToken, 'Alice Ltd');
  bob = await customerWithLogin(server, db.url, adminToken, 'Bob GmbH');
  incusInstance('rb-alice-1', 'Running', '10.10.0.101');
  incusInstance('rb-alice-2', 'Stopped', '10.10.0.102');
  incusInstance('rb-bob-1', 'Running', '10.10.0.103');
  aliceRunning = await insertInstance(db.url, { customerId: alice.customerId, providerInterfaceId: interfaceId, providerInstanceId: 'rb-alice-1', ipAddress: '10.10.0.101' });
  aliceStopped = await insertInstance(db.url, { customerId: alice.customerId, providerInterfaceId: interfaceId, providerInstanceId: 'rb-alice-2', status: 'stopped' });
  bobRunning = await insertInstance(db.url, { customerId: bob.customerId, providerInterfaceId: interfaceId, providerInstanceId: 'rb-bob-1', ipAddress: '10.10.0.103' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
  await incus?.close();
});

describe('ListInstances', () => {
  it('shows an admin every instance, filtered by customer, status and provider interface', async () => {
    const all = await admin().listInstances({});
    expect(all.instances.map((instance) => instance.id).sort()).toEqual([aliceRunning.instanceId, aliceStopped.instanceId, bobRunning.instanceId].sort());
    expect(all.meta).toMatchObject({ total: 3n, page: 1, pageSize: 20, totalPages: 1 });
    expect(all.instances.find((instance) => instance.id === bobRunning.instanceId)).toMatchObject({
      orderId: bobRunning.orderId, customerId: bob.customerId, providerInterfaceId: interfaceId, providerInstanceId: 'rb-bob-1', status: 'running',
      ipAddress: '10.10.0.103', productName: 'Incus M', serverSpec: { cpu_cores: '2', memory_gb: '4', disk_gb: '40', os: 'debian-12' },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect((await admin().listInstances({ customerId: bob.customerId })).instances.map((instance) => instance.id)).toEqual([bobRunning.instanceId]);
    expect((await admin().listInstances({ status: 'stopped' })).instances.map((instance) => instance.id)).toEqual([aliceStopped.instanceId]);
    expect((await admin().listInstances({ providerInterfaceId: newId() })).instances).toEqual([]);
    const paged = await admin().listInstances({ pagination: { page: 2, pageSize: 2 } });
    expect([paged.instances.length, paged.meta?.totalPages]).toEqual([1, 2]);
  });

  it('refuses malformed filters with InvalidArgument', async () => {
    await expectCode(admin().listInstances({ status: 'sleeping' }), Code.InvalidArgument, /status must be one of/);
    await expectCode(admin().listInstances({ customerId: 'nobody' }), Code.InvalidArgument, /customer_id "nobody" is not a UUID/);
  });

  it('shows a customer its own instances only, over gRPC-Web too, and refuses another customer\'s id', async () => {
    const own = await asCustomer(alice).listInstances({});
    expect(own.instances.map((instance) => instance.id).sort()).toEqual([aliceRunning.instanceId, aliceStopped.instanceId].sort());
    const web = await grpcWebClient(InstanceService, server.url, bearer(bob.accessToken)).listInstances({});
    expect(web.instances.map((instance) => instance.id)).toEqual([bobRunning.instanceId]);
    await expectCode(asCustomer(alice).listInstances({ customerId: bob.customerId }), Code.PermissionDenied);
    await expectCode(grpcClient(InstanceService, server.url).listInstances({}), Code.Unauthenticated);
  });
});

describe('GetInstance', () => {
  it('returns the instance with the sections and actions of provider-incus', async () => {
    const detail = await asCustomer(alice).getInstance({ id: aliceRunning.instanceId });
    expect(detail.instance).toMatchObject({ id: aliceRunning.instanceId, status: 'running', providerInstanceId: 'rb-alice-1' });
    expect(detail.sections.map((section) => [section.kind, section.title, section.order])).toEqual([['properties', 'Server', 1], ['iframe', 'Console', 2]]);
    expect(detail.sections[0]?.contentHtml).toContain('<td>10.10.0.101</td>');
    expect(JSON.parse(detail.sections[0]?.dataJson ?? '{}')).toMatchObject({ Name: 'rb-alice-1', Status: 'running', vCPU: '2' });
    expect(detail.sections[1]?.iframeUrl).toBe('https://console.example.com/rb-alice-1');
    expect(detail.actions.map((action) => [action.id, action.enabled])).toEqual([['start', false], ['stop', true], ['restart', true], ['force_stop', true]]);
    expect(detail.actions.find((action) => action.id === 'force_stop')).toMatchObject({ style: 'Danger', confirmation: expect.stringMatching(/Power off/) });
  });

  it('answers NotFound for another customer\'s instance, exactly as for one that does not exist', async () => {
    const other = await expectCode(asCustomer(alice).getInstance({ id: bobRunning.instanceId }), Code.NotFound);
    expect(other.rawMessage).toBe(`instance ${bobRunning.instanceId} does not exist`);
    const unknown = newId();
    expect((await expectCode(asCustomer(alice).getInstance({ id: unknown }), Code.NotFound)).rawMessage).toBe(`instance ${unknown} does not exist`);
  });

  it('still returns the instance, without sections and actions, when the plugin cannot be called', async () => {
    const integration = grpcClient(IntegrationService, server.url, bearer(adminToken));
    await integration.togglePluginInterface({ interfaceId, enable: false });
    try {
      const detail = await admin().getInstance({ id: bobRunning.instanceId });
      expect(detail.instance?.id).toBe(bobRunning.instanceId);
      expect([detail.sections, detail.actions]).toEqual([[], []]);
      // Actions need the plugin: refused, nothing changed.
      await expectCode(admin().stopInstance({ id: bobRunning.instanceId }), Code.FailedPrecondition, /provider interface .* is missing or disabled/);
      expect(incus.instances.get('rb-bob-1')?.status).toBe('Running');
    } finally {
      await integration.togglePluginInterface({ interfaceId, enable: true });
    }
  });
});

describe('power actions', () => {
  it('stops and starts an instance at Incus and records the status; an admin\'s action is audited, a customer\'s is not', async () => {
    const stopped = await admin().stopInstance({ id: aliceRunning.instanceId });
    expect(stopped.instance).toMatchObject({ id: aliceRunning.instanceId, status: 'stopped' });
    expect(incus.instances.get('rb-alice-1')?.status).toBe('Stopped');
    expect(incus.requests.filter((request) => request.method === 'PUT' && request.path === '/1.0/instances/rb-alice-1/state').at(-1)?.body).toEqual({ action: 'stop', timeout: 30 });
    expect((await statusOf(aliceRunning.instanceId)).status).toBe('stopped');

    const started = await asCustomer(alice).startInstance({ id: aliceRunning.instanceId });
    expect(started.instance?.status).toBe('running');
    expect(incus.instances.get('rb-alice-1')?.status).toBe('Running');
    expect((await statusOf(aliceRunning.instanceId)).status).toBe('running');

    const audit = await queryRows<{ action: string; admin_username: string; details: Record<string, unknown> }>(
      db.url, "select action, admin_username, details from operation_logs where target_type = 'instance' and target_id = $1 order by created_at", [aliceRunning.instanceId],
    );
    expect(audit).toEqual([{ action: 'instance.stop', admin_username: 'admin', details: { from: 'running', to: 'stopped', success: true, caller: 'admin' } }]);
  });

  it('restarts a running instance and refuses what its status does not allow, without calling Incus', async () => {
    expect((await asCustomer(alice).restartInstance({ id: aliceRunning.instanceId })).instance?.status).toBe('running');
    expect(changesAt('rb-alice-1').at(-1)).toBe('PUT /1.0/instances/rb-alice-1/state');
    const before = incus.requests.length;
    await expectCode(asCustomer(alice).startInstance({ id: aliceRunning.instanceId }), Code.FailedPrecondition, /already running/);
    await expectCode(asCustomer(alice).stopInstance({ id: aliceStopped.instanceId }), Code.FailedPrecondition, /already stopped/);
    await expectCode(asCustomer(alice).restartInstance({ id: aliceStopped.instanceId }), Code.FailedPrecondition, /start it instead/);
    expect(incus.requests.length).toBe(before);
  });

  it('answers NotFound to a customer acting on another customer\'s instance, and changes nothing', async () => {
    await expectCode(asCustomer(alice).stopInstance({ id: bobRunning.instanceId }), Code.NotFound, /does not exist/);
    await expectCode(asCustomer(alice).terminateInstance({ id: bobRunning.instanceId }), Code.NotFound, /does not exist/);
    await expectCode(asCustomer(alice).executeInstanceAction({ id: bobRunning.instanceId, action: 'force_stop' }), Code.NotFound, /does not exist/);
    expect(changesAt('rb-bob-1')).toEqual([]);
    expect(incus.instances.get('rb-bob-1')?.status).toBe('Running');
    expect((await statusOf(bobRunning.instanceId)).status).toBe('running');
  });

  it('runs a plugin action the instance offers and records the status it reports; refuses one it does not offer', async () => {
    const result = await asCustomer(alice).executeInstanceAction({ id: aliceRunning.instanceId, action: 'force_stop' });
    expect(result).toMatchObject({ success: true, data: JSON.stringify({ status: 'stopped' }) });
    expect(incus.requests.filter((request) => request.method === 'PUT').at(-1)?.body).toEqual({ action: 'stop', force: true });
    expect((await statusOf(aliceRunning.instanceId)).status).toBe('stopped');

    const before = changesAt('rb-alice-1').length;
    await expectCode(asCustomer(alice).executeInstanceAction({ id: aliceRunning.instanceId, action: 'format_disk' }), Code.FailedPrecondition, /offers no action "format_disk"/);
    await expectCode(asCustomer(alice).executeInstanceAction({ id: aliceRunning.instanceId, action: 'force_stop' }), Code.FailedPrecondition, /not available/);
    await expectCode(asCustomer(alice).executeInstanceAction({ id: aliceRunning.instanceId, action: '' }), Code.InvalidArgument, /action is required/);
    await expectCode(asCustomer(alice).executeInstanceAction({ id: aliceRunning.instanceId, action: 'rm -rf' }), Code.InvalidArgument, /may only hold/);
    expect(changesAt('rb-alice-1').length).toBe(before);

    // A power action id goes the power way.
    expect(await asCustomer(alice).executeInstanceAction({ id: aliceRunning.instanceId, action: 'start' })).toMatchObject({ success: true });
    expect((await statusOf(aliceRunning.instanceId)).status).toBe('running');
  });
});

describe('TerminateInstance', () => {
  it('deletes the instance at Incus and is final: afterwards every action is refused and Incus is not called', async () => {
    const terminated = await admin().terminateInstance({ id: aliceStopped.instanceId });
    expect(terminated.instance).toMatchObject({ id: aliceStopped.instanceId, status: 'terminated' });
    expect(incus.instances.has('rb-alice-2')).toBe(false);
    expect(changesAt('rb-alice-2')).toContain('DELETE /1.0/instances/rb-alice-2');
    const row = await statusOf(aliceStopped.instanceId);
    expect(row.status).toBe('terminated');
    expect(row.terminated_at).toBeInstanceOf(Date);

    const before = incus.requests.length;
    await expectCode(asCustomer(alice).startInstance({ id: aliceStopped.instanceId }), Code.FailedPrecondition, /terminated/);
    await expectCode(admin().startInstance({ id: aliceStopped.instanceId }), Code.FailedPrecondition, /terminated is final/);
    await expectCode(admin().terminateInstance({ id: aliceStopped.instanceId }), Code.FailedPrecondition, /terminated/);
    await expectCode(admin().executeInstanceAction({ id: aliceStopped.instanceId, action: 'force_stop' }), Code.FailedPrecondition, /terminated/);
    expect(incus.requests.length).toBe(before);
    expect((await statusOf(aliceStopped.instanceId)).status).toBe('terminated');
  });
});

describe('malformed and unknown ids', () => {
  it('answers InvalidArgument for a malformed id and NotFound for an unknown one, on every RPC', async () => {
    const client = admin();
    const calls: Array<(id: string) => Promise<unknown>> = [
      (id) => client.getInstance({ id }), (id) => client.startInstance({ id }), (id) => client.stopInstance({ id }),
      (id) => client.restartInstance({ id }), (id) => client.terminateInstance({ id }), (id) => client.executeInstanceAction({ id, action: 'reboot' }),
    ];
    for (const call of calls) {
      await expectCode(call('not-a-uuid'), Code.InvalidArgument, /id "not-a-uuid" is not a UUID/);
      await expectCode(call(''), Code.InvalidArgument, /id is required/);
      await expectCode(call(newId()), Code.NotFound, /does not exist/);
    }
  });
});

describe('refreshStatuses', () => {
  let orm: MikroORM;
  let host: HostServicesHandle;
  let engine: SandboxedPluginEngine;
  let instances: InstanceManagement;

  beforeAll(async () => {
    orm = await createOrm({ url: db.url, poolMin: 0, poolMax: 4 });
    const log = pino({ level: 'silent' });
    const config = { ...AppConfigSchema.parse({}).plugins, outbound_allow: COUNTERPARTS_ALLOW, http_retries: 0 };
    host = createHostServices({ orm, config, log, registry: new Registry() });
    engine = await createPluginEngine({ host, callTimeoutMs: 5000, memoryLimitMb: 64, log });
    const registry = new PluginRegistry({ orm, engine, log });
    instances = new InstanceManagement({ orm, provider: registry.providers, log });
  });
  afterAll(async () => {
    await host?.close();
    await orm?.close(true);
  });

  it('picks up a status changed at Incus, skips terminated instances, and checks the oldest-checked first', async () => {
    incus.instances.get('rb-bob-1')!.status = 'Stopped';
    const first = await instances.refreshStatuses({ limit: 10 });
    expect(first).toEqual({ checked: 2, changed: 1 });
    expect((await statusOf(bobRunning.instanceId)).status).toBe('stopped');
    expect((await admin().getInstance({ id: bobRunning.instanceId })).instance?.status).toBe('stopped');
    expect((await statusOf(aliceStopped.instanceId)).status).toBe('terminated');

    // Nothing changed since: nothing to record.
    expect(await instances.refreshStatuses({ limit: 10 })).toEqual({ checked: 2, changed: 0 });

    // One at a time: the instance checked longest ago goes first, so two runs check both.
    const checkedAt = async (): Promise<Record<string, string>> => Object.fromEntries((await queryRows<{ id: string; at: string }>(
      db.url, "select id, status_checked_at::text as at from instances where status <> 'terminated'",
    )).map((row) => [row.id, row.at]));
    const start = await checkedAt();
    const oldest = Object.entries(start).sort((a, b) => a[1].localeCompare(b[1]))[0]?.[0];
    await instances.refreshStatuses({ limit: 1 });
    const afterOne = await checkedAt();
    expect(Object.keys(afterOne).filter((id) => afterOne[id] !== start[id])).toEqual([oldest]);
    await instances.refreshStatuses({ limit: 1 });
    const afterTwo = await checkedAt();
    expect(Object.keys(afterTwo).every((id) => afterTwo[id] !== start[id])).toBe(true);
  });

  it('records a terminated instance when it no longer exists at Incus, and refuses a limit out of range', async () => {
    incus.instances.delete('rb-bob-1');
    expect((await instances.refreshStatuses({ limit: 10 })).changed).toBe(1);
    expect((await statusOf(bobRunning.instanceId)).status).toBe('terminated');
    await expect(instances.refreshStatuses({ limit: 0 })).rejects.toMatchObject({ kind: 'invalid_argument' });
  });
});
