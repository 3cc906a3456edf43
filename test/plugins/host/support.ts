/**
 * Real local servers, throwaway certificates and settings for the plugin host tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { AppConfig } from '../../../cluster.config.ts';
import { COUNTERPARTS_ALLOW } from '../../support/counterparts/allow-list.ts';
import { generateTestCertificates } from '../../support/counterparts/certs.ts';
import type { PluginCallContext } from '../../../src/plugins/types.ts';

/**
 * The allow-list entry a suite adds explicitly when it talks to its local servers on 127.0.0.1
 * (the outbound policy refuses loopback by default): `testPluginsConfig({ outbound_allow: LOCAL_COUNTERPARTS })`.
 */
export const LOCAL_COUNTERPARTS: string[] = COUNTERPARTS_ALLOW;

/**
 * `[plugins]` settings for tests: fast backoff, short reset timeout, the production defaults of the
 * response cap, the state quotas and the (empty) outbound allow-list; override what a test needs.
 */
export function testPluginsConfig(overrides: Partial<AppConfig['plugins']> = {}): AppConfig['plugins'] {
  return {
    plugins_dir: '/nonexistent',
    call_timeout_ms: 5000,
    memory_limit_mb: 64,
    scan_interval_secs: 300,
    health_check_interval_secs: 300,
    breaker_failure_threshold: 5,
    breaker_reset_timeout_ms: 300,
    http_retries: 3,
    http_retry_base_ms: 10,
    http_timeout_ms: 2000,
    max_response_bytes: 4 * 1024 * 1024,
    outbound_allow: [],
    state_max_value_bytes: 64 * 1024,
    state_max_keys: 1000,
    ...overrides,
  };
}

/** The plugin a test pretends to call for. */
export const CONTEXT: PluginCallContext = {
  interfaceId: '00000000-0000-7000-8000-000000000001',
  pluginType: 'gateway',
  pluginId: 'test',
};

/** Another interface of the same plugin (for tests of per-interface breakers). */
export const OTHER_CONTEXT: PluginCallContext = { ...CONTEXT, interfaceId: '00000000-0000-7000-8000-000000000002' };

/** The breaker key of {@link CONTEXT}'s calls to `host`. */
export function keyOf(host: string, context: PluginCallContext = CONTEXT): { interfaceId: string; host: string } {
  return { interfaceId: context.interfaceId, host };
}

/** A pino logger writing parsed JSON lines into `lines`. */
export function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { log, lines };
}

/** A started local server. */
export interface TestServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** `host:port` as `new URL(url).host` gives it. */
  host: string;
  /** Requests that reached the handler. */
  hits: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (random port) with `server`; `counted` is incremented by the caller's handler. */
export async function listen(server: http.Server, protocol: 'http' | 'https', hostname = '127.0.0.1'): Promise<TestServer> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const result: TestServer = {
    url: `${protocol}://${hostname}:${port}`,
    host: `${hostname}:${port}`,
    hits: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
  server.on('request', () => {
    result.hits += 1;
  });
  return result;
}

/** Starts a node:http server whose requests are answered by `handler`. */
export function startHttpServer(handler: http.RequestListener): Promise<TestServer> {
  return listen(http.createServer(handler), 'http');
}

/** Reads the whole request body. */
export async function readBody(request: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A port on 127.0.0.1 on which nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/** PEM texts of a throwaway PKI. */
export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA the server does not trust. */
  rogueClientCert: string;
  rogueClientKey: string;
}

/**
 * A CA, a server certificate for `localhost` / 127.0.0.1, a client certificate signed by the CA and
 * one from another CA (the shared generator of test/support/counterparts/certs.ts).
 */
export function generatePki(): TestPki {
  const certificates = generateTestCertificates();
  return { ...certificates, rogueClientCert: certificates.strangerCert, rogueClientKey: certificates.strangerKey };
}

/** Waits `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
