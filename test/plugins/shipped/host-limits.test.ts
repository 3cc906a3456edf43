/**
 * The host's limits as a script meets them, through the real engine and host services: a huge
 * response, a request to a local service, a state_set loop and a too-large value each end as a
 * HostError in the script (catchable; uncaught a `host_error`), never as a crash, and the shipped
 * webhook notifier cannot be pointed at the cloud metadata address.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTERPARTS_ALLOW } from '../../support/counterparts/allow-list.ts';
import { failure, type ShippedPluginBed, shippedPluginBed } from './harness.ts';

const GATEWAY = `
function config_schema() { return { type: 'object', properties: { base: { type: 'string' }, port: { type: 'string' } } }; }
function version() { return '1.0.0'; }
function initialize() { return 'OK'; }
function create_payment() { return { gateway_payment_id: 'p' }; }
function query_payment() { return { status: 'pending' }; }
function handle_callback() { return { status: 'success' }; }
function refund() { return { status: 'refunded' }; }
function health_check() { return true; }
`;

describe('host limits seen from a script', () => {
  let bed: ShippedPluginBed;
  let endless: http.Server;
  let endlessUrl = '';
  /** Resolves with true when a client closed the connection before the server ended the response. */
  let hungUp: Promise<boolean> = Promise.resolve(false);
  let local: net.Server;
  let localPort = 0;
  let localConnections = 0;

  beforeAll(async () => {
    endless = http.createServer((_request, response) => {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      hungUp = new Promise(resolve => response.on('close', () => resolve(!response.writableFinished)));
      const pump = (): void => {
        while (!response.destroyed && sent < 512 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        if (!response.destroyed) response.end();
      };
      pump();
    });
    await new Promise<void>(resolve => endless.listen(0, '127.0.0.1', resolve));
    endlessUrl = `http://127.0.0.1:${(endless.address() as AddressInfo).port}/big`;
    local = net.createServer(socket => {
      localConnections += 1;
      socket.end('+OK\r\n');
    });
    // Not allow-listed below: 127.0.0.2 stands for Redis, PostgreSQL or /metrics on this machine.
    await new Promise<void>(resolve => local.listen(0, '127.0.0.2', resolve));
    localPort = (local.address() as AddressInfo).port;
    bed = await shippedPluginBed({ outbound_allow: COUNTERPARTS_ALLOW, max_response_bytes: 1024 * 1024, state_max_keys: 50, http_timeout_ms: 30_000 });
  });
  afterAll(async () => {
    await bed?.close();
    endless?.closeAllConnections();
    await new Promise<void>(resolve => (endless ? endless.close(() => resolve()) : resolve()));
    await new Promise<void>(resolve => (local ? local.close(() => resolve()) : resolve()));
  });

  it('a response over max_response_bytes is a HostError naming the limit; the transfer is cut off and the worker lives on', async () => {
    const target = await bed.installSource(
      'gateway-bigbody',
      `${GATEWAY}
      function caught(m) { try { return 'length ' + rustbill_host.http_get(m.base).length; } catch (e) { return e.name + ': ' + e.message; } }
      function uncaught(m) { return rustbill_host.http_get(m.base); }`,
      { base: endlessUrl },
    );
    const result = String(await bed.call(target, 'caught'));
    expect(result).toMatch(/^HostError: .*larger than 1048576 bytes, the limit set by \[plugins\] max_response_bytes/);
    expect(await hungUp).toBe(true);
    const error = await failure(bed.call(target, 'uncaught'), 'host_error');
    expect(error.message).toContain('[plugins] max_response_bytes');
    expect(await bed.call(target, 'health_check')).toBe(true);
  });

  it("a request to this machine's services is refused (a HostError naming the rule); nothing connects", async () => {
    const target = await bed.installSource(
      'gateway-ssrf',
      `${GATEWAY}
      function probe(m) {
        try { rustbill_host.http_request_bytes('SET', 'http://127.0.0.2:' + m.port + '/key', rustbill_host.base64_encode('x'), 'text/plain', {}); return 'sent'; }
        catch (e) { return e.name + ': ' + e.message; }
      }`,
      { port: String(localPort) },
    );
    expect(String(await bed.call(target, 'probe'))).toMatch(
      /^HostError: outbound policy: 127\.0\.0\.2 is a loopback address, which plugins may not reach; an admin can allow it with \[plugins\] outbound_allow/,
    );
    expect(localConnections).toBe(0);
  });

  it('state_set stops at state_max_keys and refuses values over state_max_value_bytes, as HostErrors', async () => {
    const target = await bed.installSource(
      'gateway-hoarder',
      `${GATEWAY}
      function fill() {
        let stored = 0;
        try { for (let i = 0; i < 10000; i += 1) { rustbill_host.state_set('k' + i, 'v'); stored += 1; } }
        catch (e) { return stored + ' stored, then ' + e.name + ': ' + e.message; }
        return stored + ' stored';
      }
      function big() {
        try { rustbill_host.state_set('big', 'x'.repeat(20 * 1024 * 1024)); return 'stored'; }
        catch (e) { return e.name + ': ' + e.message; }
      }
      function overwrite() { rustbill_host.state_set('k0', 'again'); return rustbill_host.state_get('k0'); }`,
      {},
    );
    expect(String(await bed.call(target, 'fill'))).toMatch(/^50 stored, then HostError: .*already holds 50 keys, the limit set by \[plugins\] state_max_keys/);
    expect(String(await bed.call(target, 'big'))).toMatch(/^HostError: .*more than the 65536 bytes allowed by \[plugins\] state_max_value_bytes/);
    expect(await bed.call(target, 'overwrite')).toBe('again');
  });

  it('the shipped webhook notifier pointed at the cloud metadata address fails with the policy named', async () => {
    const target = await bed.install('notifier-webhook', { url: 'http://169.254.169.254/latest/meta-data/' });
    const error = await failure(bed.call(target, 'send', { event_type: 'order.paid', title: 't', body: 'b', recipient: 'r' }), 'host_error');
    expect(error.message).toContain('169.254.169.254 is a link-local address, which plugins may not reach');
  });
});
