/**
 * GatewayCalls (registry.gateways) through a real registry — scanned definitions, interfaces
 * created and enabled through the application services, the real QuickJS engine and host services,
 * state in PostgreSQL — running the shipped gateway-yipay against the local EPay counterpart. The
 * gateway's notify travels over HTTP to the real callback route (`createHttpHandler` with a
 * `PaymentCallbacks` written here, standing in for the payment service: it compares the notified
 * amount with the payment's), whose URL the host handed to create_payment (`callbackUrl`).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationApplication } from '../../../src/application/index.ts';
import { callbackUrl } from '../../../src/domain/payments/callback-url.ts';
import { createHttpHandler } from '../../../src/grpc/http.ts';
import type { PaymentCallbackOutcome, PaymentCallbacks } from '../../../src/grpc/payment-callback-route.ts';
import { newId } from '../../../src/lib/ids.ts';
import { Plugin } from '../../../src/persistence/entities/plugins.ts';
import { PluginRegistryError } from '../../../src/plugins/registry/errors.ts';
import type { GatewayCallbackReport, GatewayCalls } from '../../../src/plugins/registry/gateways.ts';
import type { PluginRegistry } from '../../../src/plugins/registry/registry.ts';
import { PluginScanner } from '../../../src/plugins/scanner.ts';
import { PluginError } from '../../../src/plugins/types.ts';
import { COUNTERPARTS_ALLOW } from '../../support/counterparts/allow-list.ts';
import { type EpayServer, epaySign, startEpayServer } from '../../support/counterparts/epay.ts';
import { REPO_ROOT } from '../../support/server.ts';
import { adminOrigin, pluginTestBed, type PluginTestBed, providerScript, registryServices, writePlugin } from './support.ts';

/** A gateway whose answers are wrong in the ways a reader must catch (chosen by payment id). */
const ODD_GATEWAY = `
function config_schema(_c, _u) { return { type: 'object', properties: {} }; }
function version(_c, _u) { return '1.0.0'; }
function initialize(_c, _u) { return 'OK'; }
function health_check(_c, _u) { return true; }
function create_payment(m, _u) { return m.payment_id === 'error' ? 'ERROR: the gateway is closed today' : { payment_url: 'https://pay.example/x' }; }
function query_payment(m, _u) {
  if (m.payment_id === 'paid-word') return { payment_id: m.payment_id, status: 'PAID' };
  if (m.payment_id === 'bad-time') return { payment_id: m.payment_id, status: 'success', paid_at: '2026-01-02 03:04:05' };
  if (m.payment_id === 'bad-money') return JSON.stringify({ payment_id: m.payment_id, status: 'success', amount: '12.345' });
  return JSON.stringify({ status: 'Success', paid_at: '2026-01-02T03:04:05Z', money: 12.3, gateway_tx_id: '' });
}
function handle_callback(m, _u) { return m.payload === 'text' ? 'not json at all' : { payment_id: 'p-1', status: 'success', raw_response: 'duplicate', ack: 'OK' }; }
function refund(m, _u) { return { payment_id: 'someone-else', status: 'refunded' }; }
`;

let bed: PluginTestBed;
let registry: PluginRegistry;
let gateways: GatewayCalls;
let app: IntegrationApplication;
let epay: EpayServer;
const ADMIN = adminOrigin('admin');
const defs: Record<string, string> = {};

/** The payment service's part, as far as this suite needs it: payments and their amounts. */
class PaymentsStandIn implements PaymentCallbacks {
  readonly amounts = new Map<string, string>();
  readonly reports: GatewayCallbackReport[] = [];
  readonly failures: unknown[] = [];
  async receive(interfaceId: string, payload: string): Promise<PaymentCallbackOutcome> {
    try {
      const report = await gateways.handleCallback(interfaceId, payload);
      this.reports.push(report);
      const expected = this.amounts.get(report.paymentId);
      if (expected === undefined) return { kind: 'refused', message: `unknown payment ${report.paymentId}` };
      if (report.amount !== null && report.amount !== expected) return { kind: 'refused', message: `amount ${report.amount} is not ${expected}` };
      return report.duplicate ? { kind: 'duplicate', ack: report.ack } : { kind: 'applied', ack: report.ack };
    } catch (error) {
      this.failures.push(error);
      if (error instanceof PluginError && (error.kind === 'timeout' || error.kind === 'host_error')) return { kind: 'unavailable' };
      return { kind: 'refused', message: error instanceof Error ? error.message : String(error) };
    }
  }
}

const payments = new PaymentsStandIn();
let notifyServer: http.Server;
let publicUrl: string;

beforeAll(async () => {
  bed = await pluginTestBed({ outbound_allow: COUNTERPARTS_ALLOW, call_timeout_ms: 5000 });
  ({ registry, app } = registryServices(bed));
  gateways = registry.gateways;
  const dir = bed.tempDir();
  writePlugin(dir, 'gateway-yipay.js', readFileSync(path.join(REPO_ROOT, 'plugins', 'gateway-yipay.js'), 'utf8'));
  writePlugin(dir, 'gateway-odd.js', ODD_GATEWAY);
  writePlugin(dir, 'provider-local.js', providerScript());
  const summary = await new PluginScanner({ orm: bed.orm, engine: bed.engine, pluginsDir: dir, log: bed.log }).scan();
  expect(summary.failed).toEqual([]);
  for (const row of await bed.orm.em.fork().find(Plugin, {})) defs[row.pluginId] = row.id;

  epay = await startEpayServer();
  notifyServer = http.createServer(createHttpHandler({
    corsAllowedOrigins: [],
    readiness: async () => true,
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    onError: (_route, error) => void payments.failures.push(error),
    next: (_request, response) => void response.writeHead(404).end(),
    paymentCallbacks: payments,
  }));
  await new Promise<void>((resolve) => notifyServer.listen(0, '127.0.0.1', resolve));
  publicUrl = `http://127.0.0.1:${(notifyServer.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  notifyServer?.closeAllConnections();
  await new Promise<void>((resolve) => (notifyServer ? notifyServer.close(() => resolve()) : resolve()));
  await epay?.close();
  await bed?.close();
});

let counter = 0;
/** A new enabled (unless told otherwise) interface of `plugin` with `config`; its id. */
async function newInterface(plugin: string, config: Record<string, unknown>, enabled = true): Promise<string> {
  counter += 1;
  const row = await app.interfaces.create(ADMIN, { pluginDefId: defs[plugin] ?? '', displayName: `${plugin} ${counter}`, configJson: JSON.stringify(config) });
  if (enabled) await app.interfaces.setEnabled(ADMIN, row.id, true);
  return row.id;
}

/** An interface of gateway-yipay for the counterpart's merchant; no notify_url: the host gives it. */
function yipayInterface(enabled = true): Promise<string> {
  return newInterface('yipay', { api_url: epay.url, pid: epay.pid, key: epay.key, pay_type: 'alipay' }, enabled);
}

/** Opens a payment at the gateway as the customer's browser would (create_payment, then the page). */
async function openPayment(interfaceId: string, amount: string): Promise<{ paymentId: string; url: URL }> {
  const paymentId = newId();
  payments.amounts.set(paymentId, amount);
  const created = await gateways.createPayment(interfaceId, {
    paymentId, amount, description: 'VPS 2C4G monthly', returnUrl: 'https://shop.example.com/paid', notifyUrl: callbackUrl(publicUrl, interfaceId),
  });
  const url = new URL(created.paymentUrl ?? '');
  expect(await (await fetch(url)).text()).toContain(`Pay ${amount}`);
  return { paymentId, url };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then((value) => {
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  }, (error: unknown) => error);
}

async function pluginError(promise: Promise<unknown>, kind: PluginError['kind'], message: RegExp): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(PluginError);
  expect(error).toMatchObject({ kind, message: expect.stringMatching(message) });
}

async function refusal(promise: Promise<unknown>, kind: PluginRegistryError['kind'], message: RegExp): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(PluginRegistryError);
  expect(error).toMatchObject({ kind, message: expect.stringMatching(message) });
}

describe('GatewayCalls with gateway-yipay and an EPay gateway', () => {
  let interfaceId: string;
  let paymentId: string;

  beforeAll(async () => {
    interfaceId = await yipayInterface();
  });

  it('creates a payment: a submit.php URL with the EPay signature and the callback URL as notify_url', async () => {
    paymentId = newId();
    payments.amounts.set(paymentId, '12.30');
    const notifyUrl = callbackUrl(publicUrl, interfaceId);
    const created = await gateways.createPayment(interfaceId, { paymentId, amount: '12.30', description: '云服务器 月付', returnUrl: 'https://shop.example.com/paid', notifyUrl });
    expect(created).toMatchObject({ gatewayPaymentId: paymentId, qrCode: null, instructions: null });
    const url = new URL(created.paymentUrl ?? '');
    expect(`${url.origin}${url.pathname}`).toBe(`${epay.url}submit.php`);
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({ pid: epay.pid, out_trade_no: paymentId, money: '12.30', name: '云服务器 月付', notify_url: notifyUrl, return_url: 'https://shop.example.com/paid', sign_type: 'MD5' });
    expect(params.sign).toBe(epaySign(params, epay.key));
    await fetch(url);
    expect(epay.rejectedSubmits).toBe(0);
    expect(epay.orders.get(paymentId)).toMatchObject({ money: '12.30', status: 0, notifyUrl });
  });

  it('queries the payment: pending with the amount before it is paid', async () => {
    expect(await gateways.queryPayment(interfaceId, paymentId)).toEqual({ paymentId, gatewayTxId: expect.any(String), status: 'pending', paidAt: null, amount: '12.30' });
  });

  it('handles the notify the gateway sends to the callback route: success with the amount; the same payload again is a duplicate', async () => {
    const delivery = await epay.pay(paymentId);
    expect([delivery.status, delivery.body]).toEqual([200, 'success']);
    const tradeNo = epay.orders.get(paymentId)?.tradeNo ?? '';
    expect(payments.reports.at(-1)).toEqual({ paymentId, gatewayTxId: tradeNo, status: 'success', paidAt: null, amount: '12.30', ack: 'success', duplicate: false });

    const again = await gateways.handleCallback(interfaceId, delivery.payload);
    expect(again).toMatchObject({ paymentId, status: 'success', amount: '12.30', duplicate: true, ack: 'success', gatewayTxId: tradeNo });
    // The gateway repeating it by POST reads "success" too, so it stops.
    const posted = await epay.notify(paymentId, undefined, { method: 'POST' });
    expect([posted.status, posted.body]).toEqual([200, 'success']);
    expect(payments.reports.at(-1)).toMatchObject({ paymentId, duplicate: true });
  });

  it('refuses a tampered signature (PluginError; the route answers 400 "fail")', async () => {
    const forged = await epay.notify(paymentId, (params) => {
      params.money = '0.01';
    });
    expect([forged.status, forged.body]).toEqual([400, 'fail']);
    await pluginError(gateways.handleCallback(interfaceId, forged.payload), 'script_error', /^invalid signature$/);
  });

  it('refuses a correctly signed notify for a different amount: in the plugin when it knows the payment, in the host otherwise', async () => {
    const resigned = await epay.notify(paymentId, (params) => {
      params.money = '1.00';
      params.sign = epaySign(params, epay.key);
    });
    expect([resigned.status, resigned.body]).toEqual([400, 'fail']);
    await pluginError(gateways.handleCallback(interfaceId, resigned.payload), 'script_error', /^amount mismatch: notified 1\.00, expected 12\.30$/);

    // A payment another interface (same merchant) opened: this interface's state knows no amount,
    // so the plugin reports what was notified and the host, comparing, refuses it.
    const other = await yipayInterface();
    const { paymentId: foreign } = await openPayment(other, '7.70');
    const order = epay.orders.get(foreign);
    if (!order) throw new Error('the gateway has no order');
    order.status = 1;
    const params: Record<string, string> = { pid: epay.pid, trade_no: order.tradeNo, out_trade_no: foreign, type: 'alipay', name: order.name, money: '9.99', trade_status: 'TRADE_SUCCESS' };
    const payload = new URLSearchParams({ ...params, sign: epaySign(params, epay.key), sign_type: 'MD5' }).toString();
    const answer = await fetch(`${callbackUrl(publicUrl, interfaceId)}?${payload}`);
    expect([answer.status, await answer.text()]).toEqual([400, 'fail']);
    expect(payments.reports.at(-1)).toMatchObject({ paymentId: foreign, status: 'success', amount: '9.99', duplicate: false });
  });

  it('queries the paid payment: success, the trade number, the paid time in RFC3339', async () => {
    const order = epay.orders.get(paymentId);
    const report = await gateways.queryPayment(interfaceId, paymentId);
    expect(report).toEqual({ paymentId, gatewayTxId: order?.tradeNo, status: 'success', paidAt: `${order?.endtime.replace(' ', 'T')}+08:00`, amount: '12.30' });
  });

  it('refunds partially, then refuses more than was paid with the gateway\'s reason', async () => {
    expect(await gateways.refund(interfaceId, paymentId, '5.00')).toMatchObject({ paymentId, status: 'refunded', amount: '5.00' });
    expect(epay.refunds.filter((item) => item.outTradeNo === paymentId)).toEqual([{ outTradeNo: paymentId, money: '5.00' }]);
    await pluginError(gateways.refund(interfaceId, paymentId, '7.31'), 'script_error', /^EPay refused the refund: 退款金额超过订单金额$/);
    expect(await gateways.refund(interfaceId, paymentId, '7.30')).toMatchObject({ status: 'refunded', amount: '7.30' });
    expect(epay.orders.get(paymentId)?.refundedCents).toBe(1230);
  });

  it('refunds in full when the amount is ""', async () => {
    const { paymentId: full } = await openPayment(interfaceId, '20.00');
    expect((await epay.pay(full)).body).toBe('success');
    expect(await gateways.refund(interfaceId, full, '')).toMatchObject({ paymentId: full, status: 'refunded', amount: '20.00' });
    expect(epay.refunds.filter((item) => item.outTradeNo === full)).toEqual([{ outTradeNo: full, money: '20.00' }]);
  });

  it('refuses malformed amounts and payment ids before any script runs', async () => {
    const orders = epay.orders.size;
    for (const amount of ['12.3', '12', '-1.00', '0.00', '1e3', '12.300', ' 1.00']) {
      await refusal(gateways.createPayment(interfaceId, { paymentId: newId(), amount, description: '', returnUrl: null, notifyUrl: null }), 'invalid_argument', /two places/);
    }
    await refusal(gateways.createPayment(interfaceId, { paymentId: ' ', amount: '1.00', description: '', returnUrl: null, notifyUrl: null }), 'invalid_argument', /payment_id/);
    await refusal(gateways.refund(interfaceId, paymentId, '5'), 'invalid_argument', /two places/);
    expect(epay.orders.size).toBe(orders);
  });

  it('without a notifyUrl leaves the interface\'s configured notify_url (and yipay refuses when there is none)', async () => {
    await pluginError(gateways.createPayment(interfaceId, { paymentId: newId(), amount: '1.00', description: '', returnUrl: null, notifyUrl: null }), 'script_error', /^no notify_url/);
    const configured = await newInterface('yipay', { api_url: epay.url, pid: epay.pid, key: epay.key, notify_url: 'https://configured.example/notify' });
    const created = await gateways.createPayment(configured, { paymentId: newId(), amount: '1.00', description: 'x', returnUrl: '', notifyUrl: '' });
    expect(new URL(created.paymentUrl ?? '').searchParams.get('notify_url')).toBe('https://configured.example/notify');
  });
});

describe('GatewayCalls refusals', () => {
  it('a disabled, missing or malformed interface is not found', async () => {
    const disabled = await yipayInterface(false);
    await refusal(gateways.createPayment(disabled, { paymentId: newId(), amount: '1.00', description: '', returnUrl: null, notifyUrl: null }), 'not_found', /does not exist or is disabled/);
    await refusal(gateways.queryPayment(disabled, newId()), 'not_found', /does not exist or is disabled/);
    await refusal(gateways.handleCallback(disabled, 'out_trade_no=x'), 'not_found', /does not exist or is disabled/);
    await refusal(gateways.refund(disabled, newId(), ''), 'not_found', /does not exist or is disabled/);
    await refusal(gateways.queryPayment(newId(), newId()), 'not_found', /does not exist/);
    await refusal(gateways.queryPayment('not-a-uuid', newId()), 'not_found', /does not exist/);
    // Through the route a disabled interface is refused too (the stand-in answers refused).
    const answer = await fetch(`${callbackUrl(publicUrl, disabled)}?out_trade_no=x`);
    expect(answer.status).toBe(400);
  });

  it('an interface that is not a gateway is failed_precondition', async () => {
    const provider = await newInterface('local', {});
    await refusal(gateways.queryPayment(provider, newId()), 'failed_precondition', /is not a payment gateway; query_payment needs a gateway interface/);
  });

  it('a payload over 64 KiB is refused before the script runs', async () => {
    const id = await yipayInterface();
    await refusal(gateways.handleCallback(id, 'a'.repeat(64 * 1024 + 1)), 'invalid_argument', /larger than 65536 bytes/);
  });
});

describe('GatewayCalls reading what scripts return', () => {
  let odd: string;
  beforeAll(async () => {
    odd = await newInterface('odd', {});
  });

  it('turns an "ERROR: …" result into a PluginError with the script\'s message', async () => {
    await pluginError(gateways.createPayment(odd, { paymentId: 'error', amount: '1.00', description: '', returnUrl: null, notifyUrl: null }), 'script_error', /^the gateway is closed today$/);
  });

  it('refuses results missing what the contract requires, saying what was expected', async () => {
    await pluginError(gateways.createPayment(odd, { paymentId: 'p-1', amount: '1.00', description: '', returnUrl: null, notifyUrl: null }), 'script_error', /^create_payment\(\) returned .*expected a non-empty "gateway_payment_id"/);
    await pluginError(gateways.queryPayment(odd, 'paid-word'), 'script_error', /^query_payment\(\) returned .*expected a "status" of "pending", "success", "failed", "refunded"/);
    await pluginError(gateways.queryPayment(odd, 'bad-time'), 'script_error', /expected a "paid_at" in RFC3339/);
    await pluginError(gateways.queryPayment(odd, 'bad-money'), 'script_error', /expected an "amount" \(or "money"\) that is a decimal ≥ 0 with at most two places/);
    await pluginError(gateways.handleCallback(odd, 'text'), 'script_error', /^handle_callback\(\) returned "not json at all"; expected/);
    await pluginError(gateways.refund(odd, 'p-1', '1.00'), 'script_error', /^refund\(\) reported payment "someone-else", but was asked about p-1$/);
  });

  it('reads JSON text, fills the asked payment id, normalises status and money, reads duplicates from raw_response', async () => {
    expect(await gateways.queryPayment(odd, 'p-2')).toEqual({ paymentId: 'p-2', gatewayTxId: null, status: 'success', paidAt: '2026-01-02T03:04:05Z', amount: '12.30' });
    expect(await gateways.handleCallback(odd, 'a=1')).toEqual({ paymentId: 'p-1', gatewayTxId: null, status: 'success', paidAt: null, amount: null, ack: 'OK', duplicate: true });
  });
});
