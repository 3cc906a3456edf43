import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createHostServices, OutboundHttpError, type HostServicesHandle } from '../../../src/plugins/host/index.ts';
import { clientCertificateHash, createTlsAgents } from '../../../src/plugins/host/tls-agents.ts';
import { createOutboundGuard } from '../../../src/plugins/host/outbound-guard.ts';
import { NO_ALLOW_LIST } from '../../../src/plugins/host/outbound-policy.ts';
import { capturingLogger, CONTEXT, generatePki, LOCAL_COUNTERPARTS, listen, testPluginsConfig, type TestPki, type TestServer } from './support.ts';

const noOrm = {} as Parameters<typeof createHostServices>[0]['orm'];

describe('host http with a client certificate (mTLS)', () => {
  let pki: TestPki;
  let server: TestServer;
  let tlsConnections = 0;
  let host: HostServicesHandle;

  beforeAll(async () => {
    pki = generatePki();
    const httpsServer = https.createServer(
      { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
      (request, response) => {
        const socket = request.socket as TLSSocket;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ client: socket.getPeerCertificate().subject?.CN, authorized: socket.authorized }));
      },
    );
    httpsServer.on('secureConnection', () => {
      tlsConnections += 1;
    });
    server = await listen(httpsServer, 'https', 'localhost');
    // No retries: a refused handshake is reported at once.
    host = createHostServices({
      orm: noOrm,
      config: testPluginsConfig({ http_retries: 0, outbound_allow: LOCAL_COUNTERPARTS }),
      log: capturingLogger().log,
      registry: new Registry(),
    });
  });
  afterAll(async () => {
    await host?.close();
    await server?.close();
  });

  it('the test server refuses clients without a certificate (fixture check with a bare https request)', async () => {
    const outcome = await new Promise<string>(resolve => {
      const request = https.get(`${server.url}/`, { ca: pki.caCert, agent: false }, response => {
        response.resume();
        resolve(`status ${response.statusCode}`);
      });
      request.on('error', error => resolve(`error ${error.message}`));
    });
    expect(outcome).toMatch(/^error /);
  });

  it('succeeds with the client certificate, verifying the server against the given CA', async () => {
    const response = await host.http(
      { method: 'GET', url: `${server.url}/1.0`, headers: {}, clientCert: { cert: pki.clientCert, key: pki.clientKey, ca: pki.caCert } },
      CONTEXT,
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ client: 'nodebill-client', authorized: true });
  });

  it('reuses the cached agent and its TLS connection for the same certificate', async () => {
    const before = tlsConnections;
    const clientCert = { cert: pki.clientCert, key: pki.clientKey, ca: pki.caCert };
    for (let i = 0; i < 3; i += 1) {
      expect((await host.http({ method: 'GET', url: `${server.url}/again`, headers: {}, clientCert }, CONTEXT)).status).toBe(200);
    }
    expect(tlsConnections - before).toBe(0); // the connection of the previous test is still alive
    expect(server.hits).toBeGreaterThanOrEqual(4);
  });

  it('fails without a client certificate', async () => {
    const error = await host.http({ method: 'GET', url: `${server.url}/`, headers: {} }, CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundHttpError);
  });

  it('fails with a client certificate the server does not trust', async () => {
    const error = await host
      .http(
        { method: 'GET', url: `${server.url}/`, headers: {}, clientCert: { cert: pki.rogueClientCert, key: pki.rogueClientKey, ca: pki.caCert } },
        CONTEXT,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundHttpError);
    expect((error as Error).message).not.toContain('BEGIN');
  });

  it('fails when the server certificate is not signed by the given CA', async () => {
    const error = await host
      .http(
        { method: 'GET', url: `${server.url}/`, headers: {}, clientCert: { cert: pki.rogueClientCert, key: pki.rogueClientKey } },
        CONTEXT,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundHttpError);
    expect((error as Error).message).toMatch(/certificate/i);
  });

  it('rejects an invalid certificate or a key that does not match, without echoing the PEM', async () => {
    await expect(
      host.http({ method: 'GET', url: `${server.url}/`, headers: {}, clientCert: { cert: 'garbage', key: 'garbage' } }, CONTEXT),
    ).rejects.toThrow(/^invalid client certificate, key or CA/);
    const mismatch = await host
      .http({ method: 'GET', url: `${server.url}/`, headers: {}, clientCert: { cert: pki.clientCert, key: pki.rogueClientKey } }, CONTEXT)
      .catch((e: unknown) => e);
    expect((mismatch as Error).message).toMatch(/^invalid client certificate, key or CA/);
    expect((mismatch as Error).message).not.toContain('PRIVATE KEY');
  });

  it('caches agents by a hash of certificate, key and CA, evicting the least recently used', () => {
    const agents = createTlsAgents({ maxClientCertificates: 2, guard: createOutboundGuard(NO_ALLOW_LIST) });
    try {
      const a = { cert: pki.clientCert, key: pki.clientKey };
      const aWithCa = { ...a, ca: pki.caCert };
      const b = { cert: pki.rogueClientCert, key: pki.rogueClientKey };
      expect(clientCertificateHash(a)).not.toBe(clientCertificateHash(aWithCa));
      expect(clientCertificateHash(a)).toBe(clientCertificateHash({ ...a }));
      const agentA = agents.agentFor('https:', a);
      expect(agents.agentFor('https:', { ...a })).toBe(agentA);
      const agentAWithCa = agents.agentFor('https:', aWithCa);
      expect(agentAWithCa).not.toBe(agentA);
      agents.agentFor('https:', a); // a is now the most recently used
      agents.agentFor('https:', b); // evicts aWithCa
      expect(agents.cachedClientCertificates).toBe(2);
      expect(agents.agentFor('https:', a)).toBe(agentA);
      expect(agents.agentFor('https:', aWithCa)).not.toBe(agentAWithCa);
    } finally {
      agents.destroy();
    }
  });
});
