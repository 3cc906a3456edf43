/**
 * The response cap and the call's abort signal through the real HTTP client, against local servers
 * that stream endless or huge bodies and count what they sent and when the client hung up.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import {
  createHostServices,
  OutboundAbortedError,
  ResponseTooLargeError,
  type HostServicesHandle,
} from '../../../src/plugins/host/index.ts';
import { capturingLogger, CONTEXT, keyOf, listen, LOCAL_COUNTERPARTS, testPluginsConfig, type TestServer } from './support.ts';

const noOrm = {} as Parameters<typeof createHostServices>[0]['orm'];
const CAP = 1024 * 1024;
/** What a streaming server stops at even if nobody hangs up (keeps a regression from eating the machine). */
const SERVER_LIMIT = 512 * 1024 * 1024;

/** A server's view of one streamed response. */
interface Stream {
  sent: number;
  /** Set when the client closed the connection before the server ended the response. */
  hungUp: Promise<number>;
}

/** A server that streams 64 KiB chunks (`/endless`: chunked, no length; `/announced`: a 600 MiB Content-Length). */
async function streamingServer(): Promise<{ server: TestServer; streams: Stream[] }> {
  const streams: Stream[] = [];
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const httpServer = http.createServer((request, response) => {
    let resolveHangUp: (sent: number) => void = () => undefined;
    const stream: Stream = { sent: 0, hungUp: new Promise(resolve => (resolveHangUp = resolve)) };
    streams.push(stream);
    if (request.url === '/announced') response.setHeader('content-length', String(600 * 1024 * 1024));
    response.on('close', () => {
      if (!response.writableFinished) resolveHangUp(stream.sent);
    });
    const pump = (): void => {
      while (!response.destroyed && stream.sent < SERVER_LIMIT) {
        stream.sent += chunk.length;
        if (!response.write(chunk)) {
          response.once('drain', pump);
          return;
        }
      }
      if (!response.destroyed) response.end();
    };
    pump();
  });
  return { server: await listen(httpServer, 'http'), streams };
}

describe('response size cap ([plugins] max_response_bytes)', () => {
  let host: HostServicesHandle;
  let server: TestServer;
  let streams: Stream[];

  beforeAll(async () => {
    ({ server, streams } = await streamingServer());
    host = createHostServices({
      orm: noOrm,
      // A long attempt time limit: only the cap may end these transfers.
      config: testPluginsConfig({ max_response_bytes: CAP, http_timeout_ms: 60_000, outbound_allow: LOCAL_COUNTERPARTS }),
      log: capturingLogger().log,
      registry: new Registry(),
    });
  });
  afterAll(async () => {
    await host?.close();
    await server?.close();
  });

  it('cuts off an endless body as soon as it passes the cap: the error names the cap and the setting, the server sees the client hang up', async () => {
    const error = await host.http({ method: 'GET', url: `${server.url}/endless`, headers: {} }, CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as ResponseTooLargeError).limitBytes).toBe(CAP);
    expect((error as Error).message).toBe(
      `GET ${server.host}: the response body is larger than ${CAP} bytes, the limit set by [plugins] max_response_bytes; the transfer was cut off`,
    );
    const sentWhenHungUp = await streams[0]!.hungUp;
    // What the server got into the socket before the hang-up: the cap plus what the kernel buffers hold.
    expect(sentWhenHungUp).toBeLessThan(CAP + 32 * 1024 * 1024);
    expect(streams).toHaveLength(1); // a GET, but a too-large body is not retried
  });

  it('refuses a body whose Content-Length announces more than the cap without reading it', async () => {
    const before = streams.length;
    const error = await host.http({ method: 'GET', url: `${server.url}/announced`, headers: {} }, CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as Error).message).toContain(`larger than ${CAP} bytes (it announced ${600 * 1024 * 1024} bytes)`);
    expect((error as Error).message).toContain('[plugins] max_response_bytes');
    const sent = await streams[before]!.hungUp;
    expect(sent).toBeLessThan(CAP + 32 * 1024 * 1024);
  });

  it('keeps working afterwards (the process and the client survived) and counts the cut-offs as breaker failures', async () => {
    for (let i = 0; i < 3; i += 1) await host.http({ method: 'GET', url: `${server.url}/endless`, headers: {} }, CONTEXT).catch(() => undefined);
    // 2 + 3 too-large answers = 5 consecutive failures: this interface's breaker for the host is open.
    expect(host.breakers.state(keyOf(server.host))).toBe('open');
  });

  it('returns a body of exactly the cap', async () => {
    const exact = await listen(
      http.createServer((_request, response) => response.end(Buffer.alloc(CAP, 0x62))),
      'http',
    );
    try {
      const response = await host.http({ method: 'GET', url: exact.url, headers: {} }, CONTEXT);
      expect(response.bodyBytes.byteLength).toBe(CAP);
    } finally {
      await exact.close();
    }
  });
});

describe("the plugin call's abort signal", () => {
  let host: HostServicesHandle;
  const servers: TestServer[] = [];

  beforeAll(() => {
    host = createHostServices({
      orm: noOrm,
      // Long backoff (1 s, 2 s, 4 s) and attempt limit: only the signal can end these calls early.
      config: testPluginsConfig({ http_retries: 3, http_retry_base_ms: 1000, http_timeout_ms: 60_000, outbound_allow: LOCAL_COUNTERPARTS }),
      log: capturingLogger().log,
      registry: new Registry(),
    });
  });
  afterAll(async () => {
    await host?.close();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(server => server.close()));
  });

  it('interrupts the backoff wait and starts no further retry', async () => {
    let attempts = 0;
    let firstAttempt: () => void = () => undefined;
    const arrived = new Promise<void>(resolve => (firstAttempt = resolve));
    const target = await listen(
      http.createServer((_request, response) => {
        attempts += 1;
        firstAttempt();
        response.statusCode = 503; // retried by policy, even for POST
        response.end('busy');
      }),
      'http',
    );
    servers.push(target);
    const controller = new AbortController();
    const call = host.http({ method: 'GET', url: target.url, headers: {}, signal: controller.signal }, CONTEXT).catch((e: unknown) => e);
    await arrived;
    controller.abort();
    const error = await call;
    expect(error).toBeInstanceOf(OutboundAbortedError);
    expect((error as Error).message).toBe(`GET ${target.host}: cancelled because the plugin call ended (after 1 attempt)`);
    // Longer than the first backoff (1–1.2 s): a retry that had not been stopped would have arrived.
    await new Promise(resolve => setTimeout(resolve, 1500));
    expect(attempts).toBe(1);
  });

  it('cuts off the transfer in progress (the server sees the client hang up) and does not retry', async () => {
    const { server, streams } = await streamingServerSlow();
    servers.push(server);
    const controller = new AbortController();
    const call = host.http({ method: 'GET', url: `${server.url}/slow`, headers: {}, signal: controller.signal }, CONTEXT).catch((e: unknown) => e);
    await streams.started;
    controller.abort();
    const error = await call;
    expect(error).toBeInstanceOf(OutboundAbortedError);
    await streams.hungUp;
    await new Promise(resolve => setTimeout(resolve, 1500));
    expect(streams.requests()).toBe(1);
  });

  it('makes no attempt at all with a signal already aborted', async () => {
    let attempts = 0;
    const target = await listen(
      http.createServer((_request, response) => {
        attempts += 1;
        response.end('ok');
      }),
      'http',
    );
    servers.push(target);
    const error = await host.http({ method: 'GET', url: target.url, headers: {}, signal: AbortSignal.abort() }, CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundAbortedError);
    expect(attempts).toBe(0);
  });
});

/** A server that sends a byte every 50 ms and never ends; tells when the first byte went out and when the client hung up. */
async function streamingServerSlow(): Promise<{
  server: TestServer;
  streams: { started: Promise<void>; hungUp: Promise<void>; requests: () => number };
}> {
  let requests = 0;
  let onStart: () => void = () => undefined;
  let onHangUp: () => void = () => undefined;
  const started = new Promise<void>(resolve => (onStart = resolve));
  const hungUp = new Promise<void>(resolve => (onHangUp = resolve));
  const httpServer = http.createServer((_request, response) => {
    requests += 1;
    response.write('x');
    onStart();
    const timer = setInterval(() => response.write('x'), 50);
    response.on('close', () => {
      clearInterval(timer);
      onHangUp();
    });
  });
  return { server: await listen(httpServer, 'http'), streams: { started, hungUp, requests: () => requests } };
}
