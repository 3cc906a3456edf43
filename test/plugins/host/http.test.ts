import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { BreakerOpenError, createHostServices, OutboundHttpError, type HostServicesHandle } from '../../../src/plugins/host/index.ts';
import { capturingLogger, closedPort, CONTEXT, keyOf, LOCAL_COUNTERPARTS, readBody, startHttpServer, testPluginsConfig, type TestServer } from './support.ts';

// The ORM is not used by HTTP; state has its own suite against a real database.
const noOrm = {} as Parameters<typeof createHostServices>[0]['orm'];

describe('host http', () => {
  let host: HostServicesHandle;
  const servers: TestServer[] = [];

  beforeAll(() => {
    host = createHostServices({ orm: noOrm, config: testPluginsConfig({ outbound_allow: LOCAL_COUNTERPARTS }), log: capturingLogger().log, registry: new Registry() });
  });
  afterAll(async () => {
    await host.close();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(server => server.close()));
  });

  async function server(handler: Parameters<typeof startHttpServer>[0]): Promise<TestServer> {
    const started = await startHttpServer(handler);
    servers.push(started);
    return started;
  }

  it('sends method, headers and body and returns status, lower-case headers, text and bytes', async () => {
    const target = await server(async (request, response) => {
      const body = await readBody(request);
      response.setHeader('X-Echo-Method', request.method ?? '');
      response.setHeader('Set-Cookie', ['a=1', 'b=2']);
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify({ body: body.toString('utf8'), auth: request.headers.authorization, type: request.headers['content-type'] }));
    });
    const response = await host.http(
      { method: 'post', url: `${target.url}/pay?x=1`, headers: { Authorization: 'Bearer t', 'Content-Type': 'text/plain' }, body: 'grüße' },
      CONTEXT,
    );
    expect(response.status).toBe(200);
    expect(response.headers['x-echo-method']).toBe('POST');
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
    expect(Object.keys(response.headers).every(name => name === name.toLowerCase())).toBe(true);
    expect(JSON.parse(response.body)).toEqual({ body: 'grüße', auth: 'Bearer t', type: 'text/plain' });
    expect(new TextDecoder().decode(response.bodyBytes)).toBe(response.body);
    expect(response.bodyBytes.byteLength).toBe(Buffer.byteLength(response.body));
  });

  it('passes binary bodies through unchanged in both directions', async () => {
    const bytes = Uint8Array.from([0, 1, 2, 250, 255, 0x80]);
    const target = await server(async (request, response) => {
      const body = await readBody(request);
      response.end(Buffer.from(body.reverse()));
    });
    const response = await host.http({ method: 'POST', url: target.url, headers: { 'content-type': 'application/grpc-web+proto' }, body: bytes }, CONTEXT);
    expect([...response.bodyBytes]).toEqual([...bytes].reverse());
    expect(response.bodyBytes.buffer.byteLength).toBe(bytes.byteLength);
  });

  it('returns 4xx responses without retrying them', async () => {
    const target = await server((_request, response) => {
      response.statusCode = 404;
      response.end('no such payment');
    });
    const response = await host.http({ method: 'GET', url: target.url, headers: {} }, CONTEXT);
    expect(response.status).toBe(404);
    expect(response.body).toBe('no such payment');
    expect(target.hits).toBe(1);
  });

  it('retries 503 with backoff and returns the 200 that follows', async () => {
    let calls = 0;
    const arrivals: number[] = [];
    const target = await server((_request, response) => {
      arrivals.push(Date.now());
      calls += 1;
      response.statusCode = calls <= 2 ? 503 : 200;
      response.end(calls <= 2 ? 'busy' : 'ok');
    });
    const response = await host.http({ method: 'GET', url: target.url, headers: {} }, CONTEXT);
    expect(response.status).toBe(200);
    expect(response.body).toBe('ok');
    expect(target.hits).toBe(3);
    // Base 10 ms, doubling: at least 10 ms, then at least 20 ms between the attempts.
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(9);
    expect(arrivals[2] - arrivals[1]).toBeGreaterThanOrEqual(19);
  });

  it('retries 502 and 504 for GET, at most http_retries times, then returns the last answer', async () => {
    const target = await server((_request, response) => {
      response.statusCode = 504;
      response.end('gateway timeout');
    });
    const response = await host.http({ method: 'GET', url: target.url, headers: {} }, CONTEXT);
    expect(response.status).toBe(504);
    expect(target.hits).toBe(4); // 1 + 3 retries
  });

  it('does not retry 500 (not transient), but returns it', async () => {
    const target = await server((_request, response) => {
      response.statusCode = 500;
      response.end('bug');
    });
    const response = await host.http({ method: 'GET', url: target.url, headers: {} }, CONTEXT);
    expect(response.status).toBe(500);
    expect(response.body).toBe('bug');
    expect(target.hits).toBe(1);
  });

  it('retries a POST after 503 (not handled) but not after 502 (may have been handled)', async () => {
    let calls = 0;
    const unavailable = await server((_request, response) => {
      calls += 1;
      response.statusCode = calls === 1 ? 503 : 201;
      response.end();
    });
    expect((await host.http({ method: 'POST', url: unavailable.url, headers: {}, body: 'x' }, CONTEXT)).status).toBe(201);
    expect(unavailable.hits).toBe(2);

    const badGateway = await server((_request, response) => {
      response.statusCode = 502;
      response.end();
    });
    expect((await host.http({ method: 'POST', url: badGateway.url, headers: {}, body: 'x' }, CONTEXT)).status).toBe(502);
    expect(badGateway.hits).toBe(1);
  });

  it('gives up on a refused connection after 1 + http_retries attempts with a clear error', async () => {
    const port = await closedPort();
    const error = await host.http({ method: 'POST', url: `http://127.0.0.1:${port}/`, headers: {}, body: 'x' }, CONTEXT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundHttpError);
    const failure = error as OutboundHttpError;
    expect(failure.code).toBe('ECONNREFUSED');
    expect(failure.attempts).toBe(4); // refused: never delivered, so even POST is retried
    expect(failure.message).toContain(`POST 127.0.0.1:${port} failed after 4 attempts`);
  });

  it('limits each attempt to the timeout; a POST that reached the server is not repeated, a GET is', async () => {
    const target = await server(() => {
      // never answers
    });
    const started = Date.now();
    const post = await host.http({ method: 'POST', url: target.url, headers: {}, body: 'x', timeoutMs: 150 }, CONTEXT).catch((e: unknown) => e);
    expect(post).toBeInstanceOf(OutboundHttpError);
    expect((post as OutboundHttpError).code).toBe('ETIMEDOUT');
    expect((post as OutboundHttpError).attempts).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(target.hits).toBe(1);

    const get = await host.http({ method: 'GET', url: target.url, headers: {}, timeoutMs: 100 }, CONTEXT).catch((e: unknown) => e);
    expect((get as OutboundHttpError).attempts).toBe(4);
    expect(target.hits).toBe(5);
    // 1 timed-out POST + 4 timed-out GET attempts = 5 consecutive failures: the breaker opened.
    expect(host.breakers.state(keyOf(target.host))).toBe('open');
  });

  it('rejects invalid requests before sending anything', async () => {
    await expect(host.http({ method: 'GET', url: 'not a url', headers: {} }, CONTEXT)).rejects.toThrow('invalid URL');
    await expect(host.http({ method: 'GET', url: 'ftp://example.com/', headers: {} }, CONTEXT)).rejects.toThrow('unsupported URL scheme');
    await expect(host.http({ method: 'G ET', url: 'http://127.0.0.1:1/', headers: {} }, CONTEXT)).rejects.toThrow('invalid HTTP method');
    await expect(host.http({ method: 'GET', url: 'http://127.0.0.1:1/', headers: { 'x-a': 'b\r\nx-injected: 1' } }, CONTEXT)).rejects.toThrow(
      'invalid HTTP header',
    );
    await expect(
      host.http({ method: 'GET', url: 'http://127.0.0.1:1/', headers: {}, clientCert: { cert: 'x', key: 'y' } }, CONTEXT),
    ).rejects.toThrow('needs an https:// URL');
    expect(host.breakers.state(keyOf('127.0.0.1:1'))).toBe('closed');
    expect(host.breakers.states().find(status => status.host === '127.0.0.1:1')).toBeUndefined();
  });

  it('reports an open breaker as BreakerOpenError', async () => {
    const target = await server((_request, response) => {
      response.statusCode = 500;
      response.end();
    });
    for (let i = 0; i < 5; i += 1) await host.http({ method: 'GET', url: target.url, headers: {} }, CONTEXT);
    await expect(host.http({ method: 'GET', url: target.url, headers: {} }, CONTEXT)).rejects.toBeInstanceOf(BreakerOpenError);
  });
});
