import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePki, listen, type TestPki, type TestServer } from '../host/support.ts';
import { engineBed, gateway, pluginFailure, type EngineBed } from './support.ts';

describe('rustbill_host inside scripts (real host services)', () => {
  let bed: EngineBed;
  beforeAll(async () => {
    bed = await engineBed();
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('log_info/log_warn/log_error log through the host with the interface context', async () => {
    const source = gateway(`
      function health_check() {
        rustbill_host.log_info('Webhook sent to x');
        rustbill_host.log_warn({ not: 'a string' });
        rustbill_host.log_error('Payment signature mismatch for p1');
        return true;
      }`);
    const target = await bed.target(source);
    await bed.engine.call(target, 'health_check');
    const mine = bed.lines.filter(line => line.interfaceId === target.interfaceId && line.component === 'plugin');
    expect(mine.map(line => [line.level, line.msg])).toEqual([
      [30, 'Webhook sent to x'],
      [40, '[object Object]'],
      [50, 'Payment signature mismatch for p1'],
    ]);
    expect(mine[0]).toMatchObject({ pluginType: 'gateway', pluginId: 'test' });
  });

  it('http_get, http_post and http_post_with_headers (headers as JSON or object) return the body', async () => {
    const source = gateway(`
      function probe(m) {
        return {
          get: rustbill_host.http_get(m.base + '/echo/get?x=1'),
          post: rustbill_host.http_post(m.base + '/echo/post', 'a=1&b=2', 'application/x-www-form-urlencoded'),
          json: rustbill_host.http_post_with_headers(m.base + '/echo/h1', '{}', 'application/json', '{"Authorization":"Bearer t1","X-Num":7}'),
          obj: rustbill_host.http_post_with_headers(m.base + '/echo/h2', 'x', 'text/plain', { authorization: 'Bearer t2' }),
          notFound: rustbill_host.http_get(m.base + '/status/404'),
        };
      }`);
    const result = (await bed.engine.call(await bed.target(source, { base: bed.url }), 'probe')) as Record<string, string>;
    const parsed = (key: string) => JSON.parse(result[key] ?? '') as { method: string; path: string; contentType: string; headers: Record<string, string>; body: string };
    expect(parsed('get')).toMatchObject({ method: 'GET', path: '/echo/get?x=1', body: '' });
    expect(parsed('post')).toMatchObject({ method: 'POST', body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' });
    expect(parsed('json').headers).toMatchObject({ authorization: 'Bearer t1', 'x-num': '7', 'content-type': 'application/json' });
    expect(parsed('obj').headers).toMatchObject({ authorization: 'Bearer t2', 'content-type': 'text/plain' });
    expect(result.notFound).toBe('status 404');
  });

  it('http_post_bytes sends base64 (or bytes) and returns the response body as base64; http_request_bytes adds status and headers', async () => {
    const source = gateway(`
      function probe(m) {
        const frame = rustbill_host.base64_encode(new Uint8Array([0, 0, 0, 0, 2, 8, 1]));
        const fromBase64 = rustbill_host.http_post_bytes(m.base + '/bytes', frame, 'application/grpc-web+proto', { 'x-grpc-web': '1' });
        const fromBytes = rustbill_host.http_post_bytes(m.base + '/bytes', new Uint8Array([9, 8]));
        const full = JSON.parse(rustbill_host.http_request_bytes('POST', m.base + '/bytes', [7], 'application/grpc-web+proto', '{}'));
        return { frame, fromBase64, fromBytes, bytes: Array.from(rustbill_host.base64_decode_bytes(fromBytes)), full };
      }`);
    const before = bed.requests.length;
    const result = (await bed.engine.call(await bed.target(source, { base: bed.url }), 'probe')) as Record<string, unknown>;
    expect(result.frame).toBe(Buffer.from([0, 0, 0, 0, 2, 8, 1]).toString('base64'));
    expect(result.fromBase64).toBe(Buffer.from([0, 1, 2, 255, 0, 0, 0, 0, 2, 8, 1]).toString('base64'));
    expect(result.bytes).toEqual([0, 1, 2, 255, 9, 8]);
    expect(result.full).toMatchObject({ status: 200, body_base64: Buffer.from([0, 1, 2, 255, 7]).toString('base64') });
    expect((result.full as { headers: Record<string, string> }).headers['grpc-status']).toBe('0');
    const [first, second] = bed.requests.slice(before);
    expect(first?.headers['content-type']).toBe('application/grpc-web+proto');
    expect(first?.headers['x-grpc-web']).toBe('1');
    expect([...(first?.body ?? [])]).toEqual([0, 0, 0, 0, 2, 8, 1]);
    expect(second?.headers['content-type']).toBe('application/grpc-web+proto');
  });

  it('md5_hex, sha256_hex and hmac_sha256_hex hash the UTF-8 text', async () => {
    const source = gateway(`
      function probe(m) {
        return [rustbill_host.md5_hex(m.text), rustbill_host.sha256_hex(m.text), rustbill_host.hmac_sha256_hex(m.key, m.text)];
      }`);
    const text = 'pid=1001&type=alipay&out_trade_no=支付-1';
    const result = await bed.engine.call(await bed.target(source), 'probe', { text, key: 'sk-secret' });
    expect(result).toEqual([
      createHash('md5').update(text).digest('hex'),
      createHash('sha256').update(text).digest('hex'),
      createHmac('sha256', 'sk-secret').update(text).digest('hex'),
    ]);
  });

  it('base64_encode/base64_decode (UTF-8 text and bytes) and url_encode; text with NUL is refused', async () => {
    const source = gateway(`
      function probe(m) {
        const encoded = rustbill_host.base64_encode(m.text);
        let invalid = '';
        try { rustbill_host.base64_decode('@@not base64@@'); } catch (e) { invalid = e.name + ': ' + e.message; }
        let nul = '';
        try { rustbill_host.md5_hex('a\u0000b'); } catch (e) { nul = e.name; }
        const zeros = rustbill_host.base64_encode(new Uint8Array([0, 0, 65, 0]));
        return { encoded, decoded: rustbill_host.base64_decode(encoded), url: rustbill_host.url_encode(m.text), invalid, nul, zeros,
          back: Array.from(rustbill_host.base64_decode_bytes(zeros)) };
      }`);
    const text = 'héllo wörld & €/?=';
    expect(await bed.engine.call(await bed.target(source), 'probe', { text })).toEqual({
      encoded: Buffer.from(text).toString('base64'),
      decoded: text,
      url: encodeURIComponent(text),
      invalid: 'TypeError: base64_decode: invalid base64 input',
      nul: 'TypeError',
      zeros: 'AABBAA==',
      back: [0, 0, 65, 0],
    });
  });

  it('state_get/state_set store strings per interface in PostgreSQL', async () => {
    const source = gateway(`
      async function handle_callback(m) {
        const cached = rustbill_host.state_get('cb:' + m.payment_id);
        if (cached !== '') return { status: 'duplicate', cached };
        rustbill_host.state_set('cb:' + m.payment_id, '1');
        rustbill_host.state_set('last', { payment_id: m.payment_id });
        return { status: 'success', last: rustbill_host.state_get('last') };
      }`);
    const one = await bed.target(source);
    const two = await bed.target(source);
    expect(await bed.engine.call(one, 'handle_callback', { payment_id: 'p1' })).toEqual({ status: 'success', last: '{"payment_id":"p1"}' });
    expect(await bed.engine.call(one, 'handle_callback', { payment_id: 'p1' })).toEqual({ status: 'duplicate', cached: '1' });
    expect(await bed.engine.call(two, 'handle_callback', { payment_id: 'p1' })).toEqual({ status: 'success', last: '{"payment_id":"p1"}' });
    expect(await bed.host.stateGet(one.interfaceId, 'cb:p1')).toBe('1');
  });

  it('state is not available while inspecting (no interface)', async () => {
    const source = gateway("function config_schema() { rustbill_host.state_get('x'); return {}; }");
    const error = await pluginFailure(bed.engine.inspect('gateway', 'stateful', source), 'host_error');
    expect(error.message).toContain('only available in calls made for an interface');
  });

  it('smtp_send delivers through the host (config and email as JSON text or objects)', async () => {
    const source = gateway(`
      function probe(m) {
        const config = rustbill_host.json_stringify({ smtp_host: '127.0.0.1', smtp_port: String(m.port), from: 'billing@example.com', encryption: 'none' });
        rustbill_host.smtp_send(config, { to: 'alice@example.com', subject: 'Order confirmed', body: 'Your order is confirmed', content_type: 'text/plain' });
        return 'sent';
      }`);
    expect(await bed.engine.call(await bed.target(source), 'probe', { port: bed.smtpPort })).toBe('sent');
    const mail = bed.mails.at(-1);
    expect(mail).toMatchObject({ from: 'billing@example.com', to: ['alice@example.com'] });
    expect(mail?.raw).toContain('Subject: Order confirmed');
    const missing = gateway("function probe() { rustbill_host.smtp_send('{\"smtp_host\":\"127.0.0.1\"}', '{}'); }");
    expect((await pluginFailure(bed.engine.call(await bed.target(missing), 'probe'), 'host_error')).message).toContain('missing "smtp_port"');
  });

  it('a failed host call is a catchable HostError in the script, and host_error when uncaught', async () => {
    const source = gateway(`
      function caught(m) {
        try { rustbill_host.http_get('http://127.0.0.1:1/unreachable'); return 'no error'; }
        catch (e) { return e.name + ' caught'; }
      }
      async function uncaught(m) { await null; return rustbill_host.http_get('http://127.0.0.1:1/unreachable'); }`);
    const target = await bed.target(source);
    expect(await bed.engine.call(target, 'caught')).toBe('HostError caught');
    const error = await pluginFailure(bed.engine.call(target, 'uncaught'), 'host_error');
    expect(error.message).not.toMatch(/\n\s+at /);
  });
});

describe('http_request_with_cert (mTLS through the host)', () => {
  let bed: EngineBed;
  let pki: TestPki;
  let server: TestServer;
  beforeAll(async () => {
    pki = generatePki();
    const httpsServer = https.createServer(
      { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
      (request, response) => {
        const socket = request.socket as TLSSocket;
        response.setHeader('content-type', 'application/json');
        response.setHeader('x-served-by', 'incus');
        response.end(JSON.stringify({ method: request.method, client: socket.getPeerCertificate().subject?.CN }));
      },
    );
    server = await listen(httpsServer, 'https', 'localhost');
    bed = await engineBed();
  });
  afterAll(async () => {
    await bed?.close();
    await server?.close();
  });

  it('returns {"status","headers","body"} as a JSON string', async () => {
    const source = gateway(`
      function health_check(m) {
        const cert = { cert: m.cert_pem, key: m.key_pem, ca: m.ca_pem };
        const resp = rustbill_host.http_request_with_cert('GET', m.api_url + '/1.0', '', '', rustbill_host.json_stringify(cert));
        const status = rustbill_host.json_get(resp, 'status');
        return { status, served: rustbill_host.json_get(resp, 'headers.x-served-by'), body: rustbill_host.json_get(resp, 'body'), raw: resp };
      }`);
    const target = await bed.target(source, { api_url: server.url, cert_pem: pki.clientCert, key_pem: pki.clientKey, ca_pem: pki.caCert });
    const result = (await bed.engine.call(target, 'health_check')) as Record<string, string>;
    expect(result.status).toBe('200');
    expect(result.served).toBe('incus');
    expect(JSON.parse(result.body ?? '')).toEqual({ method: 'GET', client: 'nodebill-client' });
    expect(typeof result.raw).toBe('string');
  });

  it('refuses a cert_json without cert or key', async () => {
    const source = gateway("function health_check(m) { return rustbill_host.http_request_with_cert('GET', m.api_url, '', '', '{\"cert\":\"x\"}'); }");
    const error = await pluginFailure(bed.engine.call(await bed.target(source, { api_url: server.url }), 'health_check'), 'host_error');
    expect(error.message).toContain('missing "key"');
  });
});
