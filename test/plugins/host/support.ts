/**
 * Real local servers, throwaway certificates and settings for the plugin host tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { AppConfig } from '../../../cluster.config.ts';
import type { PluginCallContext } from '../../../src/plugins/types.ts';

/** `[plugins]` settings for tests: fast backoff, short reset timeout; override what a test needs. */
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
    ...overrides,
  };
}

/** The plugin a test pretends to call for. */
export const CONTEXT: PluginCallContext = {
  interfaceId: '00000000-0000-7000-8000-000000000001',
  pluginType: 'gateway',
  pluginId: 'test',
};

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
 * Generates a CA, a server certificate for `localhost` / 127.0.0.1, a client certificate signed by
 * the CA and one signed by another CA, with the `openssl` command (EC P-256, valid one day).
 */
export function generatePki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nodebill-pki-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const newKeyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const ca of ['ca', 'rogue-ca']) {
      openssl('req', '-x509', ...newKeyArgs, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '1', '-subj', `/CN=NodeBill test ${ca}`);
    }
    const issue = (name: string, ca: string, ext: string) => {
      openssl('req', ...newKeyArgs, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', ext);
    };
    issue('server', 'ca', 'server.ext');
    issue('client', 'ca', 'client.ext');
    issue('rogue-client', 'rogue-ca', 'client.ext');
    const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
    return {
      caCert: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
      rogueClientCert: read('rogue-client.crt'),
      rogueClientKey: read('rogue-client.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
