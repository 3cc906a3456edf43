/**
 * The outbound policy through the real host services: HTTP, mTLS and SMTP requests to this
 * machine's services are refused before a connection is made (the local servers count the
 * connections they accept), names are judged after DNS at connect time, and the allow-list opens
 * exactly what it names.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { SMTPServer } from 'smtp-server';
import { createHostServices, OutboundPolicyError, type HostServicesHandle } from '../../../src/plugins/host/index.ts';
import { hostMetrics } from '../../../src/plugins/host/metrics.ts';
import { capturingLogger, CONTEXT, generatePki, testPluginsConfig, type TestPki } from './support.ts';

const noOrm = {} as Parameters<typeof createHostServices>[0]['orm'];

/** A TCP server on 127.0.0.1 that counts accepted connections (stands for Redis, PostgreSQL, /metrics…). */
async function countingTcpServer(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = net.createServer(socket => {
    connections += 1;
    socket.end('-ERR not here\r\n');
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, connections: () => connections, close: () => new Promise<void>(resolve => server.close(() => resolve())) };
}

async function refusal(promise: Promise<unknown>): Promise<OutboundPolicyError> {
  const outcome = await promise.then(
    value => new Error(`expected a refusal, got ${JSON.stringify(value).slice(0, 200)}`),
    (error: unknown) => error,
  );
  if (!(outcome instanceof OutboundPolicyError)) throw outcome;
  return outcome;
}

function hostsWith(allow: string[], registry = new Registry()): HostServicesHandle {
  return createHostServices({ orm: noOrm, config: testPluginsConfig({ outbound_allow: allow }), log: capturingLogger().log, registry });
}

async function outcomeCount(registry: Registry, outcome: string): Promise<number> {
  const { values } = await hostMetrics(registry).outboundRequests.get();
  return values.filter(value => value.labels.outcome === outcome).reduce((sum, value) => sum + value.value, 0);
}

describe('outbound policy (default: no allow-list)', () => {
  let target: Awaited<ReturnType<typeof countingTcpServer>>;
  let registry: Registry;
  let host: HostServicesHandle;

  beforeAll(async () => {
    target = await countingTcpServer();
    registry = new Registry();
    host = hostsWith([], registry);
  });
  afterAll(async () => {
    await host?.close();
    await target?.close();
  });

  it('refuses every spelling of this machine, and never connects (the local server accepted nothing)', async () => {
    const port = target.port;
    const cases: Array<[string, string, string]> = [
      // [url, the refused address, its range]
      [`http://localhost:${port}/metrics`, '127.0.0.1', 'loopback'],
      [`http://127.0.0.1:${port}/key`, '127.0.0.1', 'loopback'],
      [`http://127.1:${port}/`, '127.0.0.1', 'loopback'],
      [`http://2130706433:${port}/`, '127.0.0.1', 'loopback'],
      [`http://0.0.0.0:${port}/`, '0.0.0.0', 'unspecified'],
      [`http://[::ffff:127.0.0.1]:${port}/`, '127.0.0.1', 'loopback'],
      [`http://[::1]:${port}/`, '::1', 'loopback'],
      [`https://localhost:${port}/`, '127.0.0.1', 'loopback'],
    ];
    for (const [url, address, range] of cases) {
      // Redis would execute a `SET` sent like this; here nothing may even connect.
      const error = await refusal(host.http({ method: 'SET', url, headers: {}, body: 'x' }, CONTEXT));
      expect(error.address, url).toBe(address);
      expect(error.range, url).toBe(range);
      expect(error.message, url).toContain(`is a ${range} address, which plugins may not reach`);
      expect(error.message, url).toContain('[plugins] outbound_allow');
    }
    expect(target.connections()).toBe(0);
  });

  it('names the rule for private and link-local addresses (cloud metadata included)', async () => {
    const cases: Array<[string, string]> = [
      ['http://10.0.0.1/', 'private'],
      ['http://192.168.1.1/', 'private'],
      ['http://172.16.0.1/', 'private'],
      ['http://169.254.169.254/latest/meta-data/', 'link-local'],
      ['http://[fe80::1]/', 'link-local'],
      ['http://[fd00::1]/', 'unique local (private)'],
      ['http://100.64.0.1/', 'carrier-grade NAT'],
    ];
    for (const [url, range] of cases) {
      const error = await refusal(host.http({ method: 'GET', url, headers: {} }, CONTEXT));
      expect(error.range, url).toBe(range);
      expect(error.message, url).toMatch(new RegExp(`^outbound policy: .+ is a ${range.replace(/[()]/g, '\\$&')} address`));
    }
  });

  it('judges a host name by what it resolves to, at connect time', async () => {
    const error = await refusal(host.http({ method: 'GET', url: `http://localhost:${target.port}/`, headers: {} }, CONTEXT));
    expect(error.host).toBe('localhost');
    expect(error.message).toContain('localhost (resolved to 127.0.0.1) is a loopback address');
  });

  it('does not retry a refusal and does not count it against the breaker', async () => {
    const before = await outcomeCount(registry, 'refused');
    const url = `http://localhost:${target.port}/`;
    // GET is retried on transient errors (http_retries 3): a refusal is not one. Ten refusals in a
    // row would open the breaker (threshold 5) if they counted.
    for (let i = 0; i < 10; i += 1) await refusal(host.http({ method: 'GET', url, headers: {} }, CONTEXT));
    expect((await outcomeCount(registry, 'refused')) - before).toBe(10);
    expect(host.breakers.state({ interfaceId: CONTEXT.interfaceId, host: `localhost:${target.port}` })).toBe('closed');
    expect(target.connections()).toBe(0);
  });

  it('applies to SMTP: no connection to a loopback mail server, by literal or by name', async () => {
    const email = { to: 'a@example.com', subject: 's', body: 'b' };
    for (const smtpHost of ['127.0.0.1', 'localhost']) {
      const error = await refusal(
        host.smtpSend({ smtp_host: smtpHost, smtp_port: String(target.port), from: 'b@example.com', encryption: 'none' }, email, CONTEXT),
      );
      expect(error.range).toBe('loopback');
    }
    expect(target.connections()).toBe(0);
    expect(host.breakers.state({ interfaceId: CONTEXT.interfaceId, host: `localhost:${target.port}` })).toBe('closed');
  });
});

describe('outbound allow-list', () => {
  let pki: TestPki;
  let plain: http.Server;
  let plainPort: number;
  let secure: https.Server;
  let securePort: number;
  let smtp: SMTPServer;
  let smtpPort: number;
  let mails = 0;

  beforeAll(async () => {
    pki = generatePki();
    plain = http.createServer((_request, response) => response.end('local service'));
    await new Promise<void>(resolve => plain.listen(0, '127.0.0.1', resolve));
    plainPort = (plain.address() as AddressInfo).port;
    secure = https.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true }, (_request, response) =>
      response.end('incus'),
    );
    await new Promise<void>(resolve => secure.listen(0, '127.0.0.1', resolve));
    securePort = (secure.address() as AddressInfo).port;
    smtp = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => {
          mails += 1;
          callback();
        });
      },
    });
    await new Promise<void>(resolve => smtp.listen(0, '127.0.0.1', () => resolve()));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    plain?.closeAllConnections();
    secure?.closeAllConnections();
    await new Promise<void>(resolve => (plain ? plain.close(() => resolve()) : resolve()));
    await new Promise<void>(resolve => (secure ? secure.close(() => resolve()) : resolve()));
    await new Promise<void>(resolve => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  const clientCert = () => ({ cert: pki.clientCert, key: pki.clientKey, ca: pki.caCert });

  it('a host-name entry opens that name (HTTP, mTLS, SMTP), and only that name', async () => {
    const host = hostsWith(['localhost']);
    try {
      expect((await host.http({ method: 'GET', url: `http://localhost:${plainPort}/`, headers: {} }, CONTEXT)).body).toBe('local service');
      const mtls = await host.http({ method: 'GET', url: `https://localhost:${securePort}/`, headers: {}, clientCert: clientCert() }, CONTEXT);
      expect(mtls.body).toBe('incus');
      const before = mails;
      await host.smtpSend({ smtp_host: 'localhost', smtp_port: String(smtpPort), from: 'b@example.com', encryption: 'none' }, { to: 'a@example.com', subject: 's', body: 'b' }, CONTEXT);
      expect(mails).toBe(before + 1);
      // The same address by another spelling is not the allow-listed name.
      await refusal(host.http({ method: 'GET', url: `http://127.0.0.1:${plainPort}/`, headers: {} }, CONTEXT));
      await refusal(host.http({ method: 'GET', url: `https://127.0.0.1:${securePort}/`, headers: {}, clientCert: clientCert() }, CONTEXT));
    } finally {
      await host.close();
    }
  });

  it('a CIDR entry opens the addresses in it, whichever name or spelling leads there', async () => {
    const host = hostsWith(['127.0.0.0/8']);
    try {
      for (const base of [`http://127.0.0.1:${plainPort}`, `http://localhost:${plainPort}`, `http://127.1:${plainPort}`, `http://[::ffff:127.0.0.1]:${plainPort}`]) {
        // Node connects to ::ffff:127.0.0.1 over IPv6 only where the stack maps it; the policy's part is to let it through.
        const outcome = await host.http({ method: 'GET', url: `${base}/`, headers: {} }, CONTEXT).then(
          response => response.body,
          (error: unknown) => (error instanceof OutboundPolicyError ? 'refused' : 'connection failed'),
        );
        expect(outcome, base).not.toBe('refused');
        if (!base.includes('::ffff')) expect(outcome, base).toBe('local service');
      }
      const mtls = await host.http({ method: 'GET', url: `https://localhost:${securePort}/`, headers: {}, clientCert: clientCert() }, CONTEXT);
      expect(mtls.body).toBe('incus');
      // Outside the range: still refused.
      await refusal(host.http({ method: 'GET', url: 'http://10.0.0.1/', headers: {} }, CONTEXT));
      await refusal(host.http({ method: 'GET', url: 'http://0.0.0.0/', headers: {} }, CONTEXT));
    } finally {
      await host.close();
    }
  });

  it('a single-address entry opens that address, also through a name resolving to it', async () => {
    const host = hostsWith(['127.0.0.1']);
    try {
      expect((await host.http({ method: 'GET', url: `http://127.0.0.1:${plainPort}/`, headers: {} }, CONTEXT)).body).toBe('local service');
      expect((await host.http({ method: 'GET', url: `http://localhost:${plainPort}/`, headers: {} }, CONTEXT)).body).toBe('local service');
      const error = await refusal(host.http({ method: 'GET', url: `http://[::1]:${plainPort}/`, headers: {} }, CONTEXT));
      expect(error.range).toBe('loopback');
    } finally {
      await host.close();
    }
  });

  it('refuses an invalid allow-list entry when the host services are built', () => {
    expect(() => hostsWith(['127.1'])).toThrow('"127.1" is neither a host name nor an IP address or CIDR range');
  });
});
