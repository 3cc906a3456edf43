import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { BreakerOpenError, createHostServices, type HostServicesHandle } from '../../../src/plugins/host/index.ts';
import { hostMetrics } from '../../../src/plugins/host/metrics.ts';
import { capturingLogger, closedPort, CONTEXT, delay, keyOf, LOCAL_COUNTERPARTS, OTHER_CONTEXT, startHttpServer, testPluginsConfig, type TestServer } from './support.ts';

const noOrm = {} as Parameters<typeof createHostServices>[0]['orm'];
const RESET_MS = 300;

describe('circuit breakers per interface and host', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const registry = new Registry();
    const { log, lines } = capturingLogger();
    const host = createHostServices({ orm: noOrm, config: testPluginsConfig({ breaker_reset_timeout_ms: RESET_MS, outbound_allow: LOCAL_COUNTERPARTS }), log, registry });
    cleanups.push(() => host.close());
    return { host, registry, lines, metrics: hostMetrics(registry) };
  }

  /** A server answering `status()` (after `delayMs()`), both changeable during the test. */
  async function controllable(initial: number) {
    const control = { status: initial, delayMs: 0 };
    const server = await startHttpServer((_request, response) => {
      setTimeout(() => {
        response.statusCode = control.status;
        response.end(String(control.status));
      }, control.delayMs);
    });
    cleanups.push(() => server.close());
    return { server, control };
  }

  const get = (host: HostServicesHandle, server: TestServer) => host.http({ method: 'GET', url: `${server.url}/x`, headers: {} }, CONTEXT);

  async function gauge(registry: Registry, hostName: string): Promise<number | undefined> {
    const { values } = await hostMetrics(registry).breakerState.get();
    return values.find(value => value.labels.host === hostName && value.labels.interface_id === CONTEXT.interfaceId)?.value;
  }

  async function outcomes(registry: Registry, hostName: string): Promise<Record<string, number>> {
    const { values } = await hostMetrics(registry).outboundRequests.get();
    const result: Record<string, number> = {};
    for (const value of values) if (value.labels.host === hostName) result[String(value.labels.outcome)] = value.value;
    return result;
  }

  it('opens after 5 consecutive failures: the 6th call fails fast without reaching the server, another host is unaffected', async () => {
    const { host, registry, lines } = await setup();
    const failing = await controllable(500);
    const healthy = await controllable(200);

    for (let i = 1; i <= 5; i += 1) {
      expect((await get(host, failing.server)).status).toBe(500);
      expect((await get(host, healthy.server)).status).toBe(200);
    }
    expect(failing.server.hits).toBe(5);
    expect(host.breakers.state(keyOf(failing.server.host))).toBe('open');

    const started = Date.now();
    const error = await get(host, failing.server).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(50);
    expect(error).toBeInstanceOf(BreakerOpenError);
    expect((error as BreakerOpenError).message).toMatch(new RegExp(`^circuit breaker for ${failing.server.host} is open; retry after 0\\.[0-3] s$`));
    expect(failing.server.hits).toBe(5);

    // The other host keeps working while the first one is open.
    for (let i = 0; i < 3; i += 1) expect((await get(host, healthy.server)).status).toBe(200);
    expect(host.breakers.states()).toEqual(
      [
        { interfaceId: CONTEXT.interfaceId, host: failing.server.host, state: 'open' },
        { interfaceId: CONTEXT.interfaceId, host: healthy.server.host, state: 'closed' },
      ].sort((a, b) => a.host.localeCompare(b.host)),
    );

    expect(await gauge(registry, failing.server.host)).toBe(2);
    expect(await gauge(registry, healthy.server.host)).toBe(0);
    expect(await outcomes(registry, failing.server.host)).toEqual({ server_error: 5, rejected: 1 });
    expect(await outcomes(registry, healthy.server.host)).toEqual({ response: 8 });

    const opened = lines.filter(line => line.msg === `circuit breaker for ${failing.server.host} opened (interface ${CONTEXT.interfaceId})`);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ level: 40, host: failing.server.host, interfaceId: CONTEXT.interfaceId });
  });

  it("is kept per interface: one interface's failures against a host do not open another interface's breaker for it", async () => {
    const { host, registry, lines } = await setup();
    const failing = await controllable(500);
    // Interface A fails against the host five times; interface B has called it once, successfully.
    failing.control.status = 200;
    expect((await host.http({ method: 'GET', url: `${failing.server.url}/x`, headers: {} }, OTHER_CONTEXT)).status).toBe(200);
    failing.control.status = 500;
    for (let i = 0; i < 5; i += 1) expect((await get(host, failing.server)).status).toBe(500);
    expect(host.breakers.state(keyOf(failing.server.host))).toBe('open');
    await expect(get(host, failing.server)).rejects.toBeInstanceOf(BreakerOpenError);

    // B still reaches the host (and sees its answer) through its own, closed breaker.
    expect(host.breakers.state(keyOf(failing.server.host, OTHER_CONTEXT))).toBe('closed');
    failing.control.status = 200;
    expect((await host.http({ method: 'GET', url: `${failing.server.url}/x`, headers: {} }, OTHER_CONTEXT)).status).toBe(200);
    expect(failing.server.hits).toBe(7);
    await expect(get(host, failing.server)).rejects.toBeInstanceOf(BreakerOpenError);

    expect(host.breakers.states()).toEqual([
      { interfaceId: CONTEXT.interfaceId, host: failing.server.host, state: 'open' },
      { interfaceId: OTHER_CONTEXT.interfaceId, host: failing.server.host, state: 'closed' },
    ]);
    const { values } = await hostMetrics(registry).breakerState.get();
    const byInterface = Object.fromEntries(values.filter(value => value.labels.host === failing.server.host).map(value => [value.labels.interface_id, value.value]));
    expect(byInterface).toEqual({ [CONTEXT.interfaceId]: 2, [OTHER_CONTEXT.interfaceId]: 0 });
    expect((await registry.metrics())).toContain(`nodebill_plugin_breaker_state{host="${failing.server.host}",interface_id="${OTHER_CONTEXT.interfaceId}"} 0`);
    const opened = lines.filter(line => typeof line.msg === 'string' && line.msg.startsWith(`circuit breaker for ${failing.server.host} opened`));
    expect(opened.map(line => line.interfaceId)).toEqual([CONTEXT.interfaceId]);
  });

  it('counts consecutive failures only: a success in between resets the count', async () => {
    const { host } = await setup();
    const { server, control } = await controllable(500);
    for (let i = 0; i < 4; i += 1) await get(host, server);
    control.status = 200;
    await get(host, server);
    control.status = 500;
    for (let i = 0; i < 4; i += 1) await get(host, server);
    expect(host.breakers.state(keyOf(server.host))).toBe('closed');
    await get(host, server);
    expect(host.breakers.state(keyOf(server.host))).toBe('open');
    expect(server.hits).toBe(10);
  });

  it('after the reset timeout lets exactly one probe through; its success closes the breaker', async () => {
    const { host, registry, lines } = await setup();
    const { server, control } = await controllable(500);
    for (let i = 0; i < 5; i += 1) await get(host, server);
    expect(host.breakers.state(keyOf(server.host))).toBe('open');

    await delay(RESET_MS + 50);
    expect(host.breakers.state(keyOf(server.host))).toBe('half_open');
    expect(await gauge(registry, server.host)).toBe(1);

    control.status = 200;
    control.delayMs = 150;
    const probe = get(host, server);
    await delay(20);
    // While the probe is in flight, everything else still fails fast.
    const second = await get(host, server).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(BreakerOpenError);
    expect((second as BreakerOpenError).message).toContain('half-open and its probe request is in flight');
    expect((await probe).status).toBe(200);
    expect(server.hits).toBe(6);

    expect(host.breakers.state(keyOf(server.host))).toBe('closed');
    expect(await gauge(registry, server.host)).toBe(0);
    control.delayMs = 0;
    expect((await get(host, server)).status).toBe(200);

    const transitions = lines.filter(line => typeof line.msg === 'string' && line.msg.startsWith(`circuit breaker for ${server.host}`));
    const of = `(interface ${CONTEXT.interfaceId})`;
    expect(transitions.map(line => [line.level, line.msg])).toEqual([
      [40, `circuit breaker for ${server.host} opened ${of}`],
      [30, `circuit breaker for ${server.host} is half-open; letting one probe request through ${of}`],
      [30, `circuit breaker for ${server.host} closed ${of}`],
    ]);
  });

  it('a failed probe opens the breaker again for another reset timeout', async () => {
    const { host, registry } = await setup();
    const { server, control } = await controllable(500);
    for (let i = 0; i < 5; i += 1) await get(host, server);
    await delay(RESET_MS + 50);

    expect((await get(host, server)).status).toBe(500); // the probe: one attempt (500 is not retried)
    expect(server.hits).toBe(6);
    expect(host.breakers.state(keyOf(server.host))).toBe('open');
    expect(await gauge(registry, server.host)).toBe(2);
    await expect(get(host, server)).rejects.toBeInstanceOf(BreakerOpenError);

    control.status = 200;
    await delay(RESET_MS + 50);
    expect((await get(host, server)).status).toBe(200);
    expect(host.breakers.state(keyOf(server.host))).toBe('closed');
  });

  it('a transient probe failure is not retried through the re-opened breaker', async () => {
    const { host } = await setup();
    const { server } = await controllable(503);
    // 503 is retried: 4 attempts for the first call, the second call's first attempt is the 5th failure.
    await get(host, server);
    const error = await get(host, server).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BreakerOpenError); // retrying stopped at once
    expect(server.hits).toBe(5);
    await delay(RESET_MS + 50);
    await expect(get(host, server)).rejects.toBeInstanceOf(BreakerOpenError); // probe 503, re-opened, retry rejected
    expect(server.hits).toBe(6);
  });

  it('opens on refused connections as well and stops retrying at once', async () => {
    const { host, registry } = await setup();
    const port = await closedPort();
    const target = `127.0.0.1:${port}`;
    const call = () => host.http({ method: 'GET', url: `http://${target}/`, headers: {} }, CONTEXT);
    await expect(call()).rejects.toThrow(/ECONNREFUSED/); // 4 failed attempts
    await expect(call()).rejects.toBeInstanceOf(BreakerOpenError); // 5th attempt opened it, the retry was rejected
    expect(await outcomes(registry, target)).toEqual({ network_error: 5, rejected: 1 });
  });

  it('4xx answers are not failures: the host is up', async () => {
    const { host } = await setup();
    const { server } = await controllable(403);
    for (let i = 0; i < 8; i += 1) expect((await get(host, server)).status).toBe(403);
    expect(host.breakers.state(keyOf(server.host))).toBe('closed');
  });
});
