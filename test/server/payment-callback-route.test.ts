/**
 * The gateways' notify route, `GET|POST /callback/{interface_id}`, over a real HTTP server built
 * with `createHttpHandler` (as the worker builds it) and a small recording `PaymentCallbacks` that
 * answers what each test tells it to: how the request becomes the payload, and how each outcome is
 * answered (status, body, headers). The payment service behind the port is not part of this suite.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callbackUrl } from '../../src/domain/payments/callback-url.ts';
import { createHttpHandler } from '../../src/grpc/http.ts';
import {
  CALLBACK_RETRY_AFTER_SECS, callbackInterfaceId, MAX_CALLBACK_BODY_BYTES, type PaymentCallbackOutcome, type PaymentCallbacks,
} from '../../src/grpc/payment-callback-route.ts';
import { newId } from '../../src/lib/ids.ts';

/** A PaymentCallbacks that records every call and answers `next` (or throws it when it is an Error). */
class RecordingCallbacks implements PaymentCallbacks {
  calls: Array<{ interfaceId: string; payload: string }> = [];
  next: PaymentCallbackOutcome | Error = { kind: 'applied', ack: 'success' };
  async receive(interfaceId: string, payload: string): Promise<PaymentCallbackOutcome> {
    this.calls.push({ interfaceId, payload });
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

interface Running {
  base: string;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<Running> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const callbacks = new RecordingCallbacks();
const errors: Array<{ route: string; error: unknown }> = [];
let server: Running;
let withoutRoute: Running;

function handler(paymentCallbacks?: PaymentCallbacks): http.RequestListener {
  return createHttpHandler({
    corsAllowedOrigins: [],
    readiness: async () => true,
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    onError: (route, error) => void errors.push({ route, error }),
    next: (_request, response) => void response.writeHead(418, { 'content-type': 'text/plain' }).end('next'),
    ...(paymentCallbacks ? { paymentCallbacks } : {}),
  });
}

beforeAll(async () => {
  server = await listen(handler(callbacks));
  withoutRoute = await listen(handler());
});
afterAll(async () => {
  await server?.close();
  await withoutRoute?.close();
});
beforeEach(() => {
  callbacks.calls = [];
  callbacks.next = { kind: 'applied', ack: 'success' };
  errors.length = 0;
});

/** A raw request (node:http, so that the body can be streamed without a Content-Length). */
function rawRequest(url: string, options: { method: string; headers?: Record<string, string>; chunks?: Buffer[] }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method, headers: options.headers ?? {} }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (chunk: Buffer) => parts.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
    });
    request.on('error', reject);
    for (const chunk of options.chunks ?? []) request.write(chunk);
    request.end();
  });
}

describe('the payload', () => {
  it('of a GET is its raw query string, passed with the interface id; the ack is the body', async () => {
    const id = newId();
    const query = 'pid=1001&trade_no=2026000001&out_trade_no=abc&name=%E4%BA%91+VPS&money=12.50&trade_status=TRADE_SUCCESS&sign=0f&sign_type=MD5';
    const answer = await fetch(`${callbackUrl(server.base, id)}?${query}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await answer.text()).toBe('success');
    expect(callbacks.calls).toEqual([{ interfaceId: id, payload: query }]);
  });

  it('of a POST is its raw body, form-urlencoded or JSON', async () => {
    const id = newId();
    const form = 'out_trade_no=abc&money=1.00&sign=a%2Bb';
    const formAnswer = await fetch(callbackUrl(server.base, id), { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect([formAnswer.status, await formAnswer.text()]).toEqual([200, 'success']);
    const json = JSON.stringify({ out_trade_no: 'abc', money: '1.00', sign: 'x' });
    const jsonAnswer = await fetch(`${callbackUrl(server.base, id)}?ignored=1`, { method: 'POST', body: json, headers: { 'content-type': 'application/json' } });
    expect(jsonAnswer.status).toBe(200);
    expect(callbacks.calls).toEqual([{ interfaceId: id, payload: form }, { interfaceId: id, payload: json }]);
  });

  it('of a POST without a body is its query string', async () => {
    const id = newId();
    expect((await fetch(`${callbackUrl(server.base, id)}?a=1&b=2`, { method: 'POST' })).status).toBe(200);
    expect(callbacks.calls).toEqual([{ interfaceId: id, payload: 'a=1&b=2' }]);
  });

  it('may be exactly 64 KiB; one byte more is 413 and the port is not called, with or without Content-Length', async () => {
    const id = newId();
    const exact = `a=${'x'.repeat(MAX_CALLBACK_BODY_BYTES - 2)}`;
    expect((await fetch(callbackUrl(server.base, id), { method: 'POST', body: exact })).status).toBe(200);
    expect(callbacks.calls).toHaveLength(1);
    expect(callbacks.calls[0]?.payload).toBe(exact);

    callbacks.calls = [];
    const tooLarge = await fetch(callbackUrl(server.base, id), { method: 'POST', body: `${exact}y` });
    expect(tooLarge.status).toBe(413);
    const streamed = await rawRequest(callbackUrl(server.base, id), {
      method: 'POST', headers: { 'transfer-encoding': 'chunked' }, chunks: [Buffer.alloc(40 * 1024, 'a'), Buffer.alloc(40 * 1024, 'b')],
    });
    expect(streamed.status).toBe(413);
    expect(callbacks.calls).toEqual([]);
  });

  it('when empty is answered 400 without calling the port', async () => {
    const answer = await fetch(callbackUrl(server.base, newId()));
    expect([answer.status, await answer.text()]).toEqual([400, 'fail']);
    expect(callbacks.calls).toEqual([]);
  });
});

describe('the answer', () => {
  it('to a duplicate is 200 with the ack, so that the gateway stops repeating', async () => {
    callbacks.next = { kind: 'duplicate', ack: 'OK' };
    const answer = await fetch(`${callbackUrl(server.base, newId())}?out_trade_no=abc`);
    expect([answer.status, await answer.text()]).toEqual([200, 'OK']);
  });

  it('to a refused notification is 400 "fail", saying nothing of why', async () => {
    callbacks.next = { kind: 'refused', message: 'amount mismatch: notified 1.00, expected 12.50 (internal detail)' };
    const answer = await fetch(`${callbackUrl(server.base, newId())}?out_trade_no=abc`, { method: 'POST', body: 'out_trade_no=abc' });
    expect([answer.status, await answer.text()]).toEqual([400, 'fail']);
  });

  it('while unavailable is 503 with Retry-After', async () => {
    callbacks.next = { kind: 'unavailable' };
    const answer = await fetch(`${callbackUrl(server.base, newId())}?out_trade_no=abc`);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe(String(CALLBACK_RETRY_AFTER_SECS));
    expect(await answer.text()).toBe('fail');
  });

  it('when the port throws is 500 "fail", the error going to onError and not to the gateway', async () => {
    callbacks.next = new Error('database password is hunter2');
    const answer = await fetch(`${callbackUrl(server.base, newId())}?out_trade_no=abc`);
    expect([answer.status, await answer.text()]).toEqual([500, 'fail']);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toBe(callbacks.next);
  });
});

describe('the path and method', () => {
  it('need exactly one UUID after /callback/ (404 otherwise); an upper-case UUID is passed lower-cased', async () => {
    for (const path of ['/callback/not-a-uuid', `/callback/${newId()}/extra`, '/callback/', `/callback/${newId()}x`]) {
      const answer = await fetch(`${server.base}${path}?a=1`);
      expect(answer.status, path).toBe(404);
    }
    expect(callbacks.calls).toEqual([]);
    const id = newId();
    expect((await fetch(`${server.base}/callback/${id.toUpperCase()}?a=1`)).status).toBe(200);
    expect(callbacks.calls).toEqual([{ interfaceId: id, payload: 'a=1' }]);
  });

  it('are GET or POST: anything else is 405 with Allow', async () => {
    const answer = await fetch(`${callbackUrl(server.base, newId())}?a=1`, { method: 'PUT', body: 'a=1' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, POST');
    expect(callbacks.calls).toEqual([]);
  });

  it('leave the other routes alone; without paymentCallbacks /callback/… goes to the fallback', async () => {
    expect(await (await fetch(`${server.base}/health`)).text()).toBe('OK');
    expect((await fetch(`${server.base}/rustbill.payment.PaymentService/HandleCallback`, { method: 'POST' })).status).toBe(418);
    expect((await fetch(`${callbackUrl(withoutRoute.base, newId())}?a=1`)).status).toBe(418);
  });

  it('callbackInterfaceId reads the id of a callback path, and nothing else', () => {
    const id = newId();
    expect(callbackInterfaceId(`/callback/${id}`)).toBe(id);
    expect(callbackInterfaceId(`/callbacks/${id}`)).toBeNull();
    expect(callbackInterfaceId('/callback/%E0%A4%A')).toBeNull();
  });

  it('callbackUrl joins the public base URL and the interface id, with or without a trailing slash', () => {
    const id = newId();
    expect(callbackUrl('https://bill.example.com', id)).toBe(`https://bill.example.com/callback/${id}`);
    expect(callbackUrl('https://bill.example.com/billing/', id)).toBe(`https://bill.example.com/billing/callback/${id}`);
    expect(() => callbackUrl('', id)).toThrow(/public_url/);
  });
});
