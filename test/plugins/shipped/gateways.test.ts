/**
 * The gateway plugins against real counterparts, through the real engine and host services:
 * gateway-yipay with a local EPay gateway (signed submit URL, query, signed async notify with
 * duplicate suppression, refund) and gateway-banktransfer (instructions, signed admin confirmation
 * with amount reconciliation and duplicate suppression, manual refunds) with its state in PostgreSQL.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginState } from '../../../src/persistence/entities/plugins.ts';
import { newId } from '../../../src/lib/ids.ts';
import { PluginError, type PluginTarget } from '../../../src/plugins/types.ts';
import { type EpayServer, epaySign, startEpayServer } from '../../support/counterparts/epay.ts';
import { failure, object, type ShippedPluginBed, shippedPluginBed } from './harness.ts';
import { COUNTERPARTS_ALLOW } from '../../support/counterparts/allow-list.ts';

let bed: ShippedPluginBed;
beforeAll(async () => {
  bed = await shippedPluginBed({ outbound_allow: COUNTERPARTS_ALLOW });
});
afterAll(async () => {
  await bed?.close();
});

/** A merchant notify endpoint as NodeBill's HTTP route would be: hands the raw query to handle_callback. */
interface NotifyEndpoint {
  url: string;
  results: Array<Record<string, unknown> | PluginError>;
  close(): Promise<void>;
}

async function startNotifyEndpoint(target: () => PluginTarget): Promise<NotifyEndpoint> {
  const results: Array<Record<string, unknown> | PluginError> = [];
  const server = http.createServer((request, response) => {
    const query = (request.url ?? '').split('?')[1] ?? '';
    bed.call(target(), 'handle_callback', { payload: query }).then(
      (value) => {
        const result = object(value);
        results.push(result);
        response.writeHead(200, { 'content-type': 'text/plain' }).end(result.status === 'success' ? 'success' : 'fail');
      },
      (error: unknown) => {
        results.push(error instanceof PluginError ? error : new PluginError('host_error', String(error)));
        response.writeHead(200, { 'content-type': 'text/plain' }).end('fail');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/notify/yipay`,
    results,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('gateway-yipay against an EPay gateway', () => {
  let epay: EpayServer;
  let notify: NotifyEndpoint;
  let yipay: PluginTarget;
  const paymentId = newId();

  beforeAll(async () => {
    epay = await startEpayServer();
    notify = await startNotifyEndpoint(() => yipay);
    yipay = await bed.install('gateway-yipay', {
      api_url: epay.url,
      pid: epay.pid,
      key: epay.key,
      notify_url: notify.url,
      return_url: 'https://shop.example.com/paid',
      pay_type: 'alipay',
      sitename: 'NodeBill',
    });
  });
  afterAll(async () => {
    await notify?.close();
    await epay?.close();
  });

  it('is healthy with valid merchant credentials and unhealthy with a wrong key', async () => {
    expect(await bed.call(yipay, 'health_check')).toBe(true);
    const wrong = await bed.install('gateway-yipay', { api_url: epay.url, pid: epay.pid, key: 'wrong', notify_url: notify.url });
    expect(object(await bed.call(wrong, 'health_check'))).toMatchObject({ healthy: false, error: expect.stringMatching(/KEY校验失败/) });
  });

  it('creates a submit.php URL carrying the EPay MD5 signature, which the gateway accepts', async () => {
    const created = object(await bed.call(yipay, 'create_payment', { payment_id: paymentId, amount: '12.5', description: '云服务器 2C4G 月付' }));
    expect(created).toMatchObject({ gateway_payment_id: paymentId, qr_code: null, instructions: null });
    const url = new URL(String(created.payment_url));
    expect(`${url.origin}/`).toBe(epay.url);
    expect(url.pathname).toBe('/submit.php');
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      pid: epay.pid, type: 'alipay', out_trade_no: paymentId, money: '12.50', name: '云服务器 2C4G 月付',
      notify_url: notify.url, return_url: 'https://shop.example.com/paid', sitename: 'NodeBill', sign_type: 'MD5',
    });
    // The gateway's own signing implementation agrees…
    expect(params.sign).toBe(epaySign(params, epay.key));
    // …and the customer's browser opening the URL creates the order.
    const page = await fetch(url);
    expect(await page.text()).toContain('Pay 12.50');
    expect(epay.rejectedSubmits).toBe(0);
    expect(epay.orders.get(paymentId)).toMatchObject({ money: '12.50', status: 0 });
  });

  it('queries the order: pending before payment; an order the gateway never saw is pending too', async () => {
    expect(object(await bed.call(yipay, 'query_payment', { payment_id: paymentId }))).toMatchObject({ payment_id: paymentId, status: 'pending', paid_at: null, amount: '12.50' });
    expect(object(await bed.call(yipay, 'query_payment', { payment_id: newId() }))).toMatchObject({ status: 'pending' });
  });

  it('verifies the async notify, answers "success", and suppresses the repeated notify', async () => {
    const delivery = await epay.pay(paymentId);
    expect(delivery.body).toBe('success');
    const first = notify.results.at(-1);
    expect(first).toMatchObject({ payment_id: paymentId, status: 'success', gateway_tx_id: epay.orders.get(paymentId)?.tradeNo, amount: '12.50', ack: 'success' });
    expect(first).not.toHaveProperty('duplicate');

    const again = await epay.notify(paymentId);
    expect(again.body).toBe('success');
    expect(notify.results.at(-1)).toMatchObject({ payment_id: paymentId, status: 'success', duplicate: true, raw_response: 'duplicate', amount: '12.50' });
    expect(bed.lines.some((line) => line.msg === `yipay notify for ${paymentId}: duplicate ignored`)).toBe(true);
  });

  it('refuses a notify with a broken signature or a different (correctly re-signed) amount', async () => {
    const forged = await epay.notify(paymentId, (params) => {
      params.money = '0.01';
    });
    expect(forged.body).toBe('fail');
    const forgedResult = notify.results.at(-1);
    expect(forgedResult).toBeInstanceOf(PluginError);
    expect(forgedResult).toMatchObject({ kind: 'script_error', message: 'invalid signature' });

    const otherAmount = await epay.notify(paymentId, (params) => {
      params.money = '1.00';
      params.sign = epaySign(params, epay.key);
    });
    expect(otherAmount.body).toBe('fail');
    expect(notify.results.at(-1)).toMatchObject({ kind: 'script_error', message: 'amount mismatch: notified 1.00, expected 12.50' });
  });

  it('reports the paid order on query, with the paid time in RFC 3339', async () => {
    const order = epay.orders.get(paymentId);
    const paid = object(await bed.call(yipay, 'query_payment', { payment_id: paymentId }));
    expect(paid).toMatchObject({ status: 'success', gateway_tx_id: order?.tradeNo, paid_at: `${order?.endtime.replace(' ', 'T')}+08:00`, amount: '12.50' });
    expect(Math.abs(Date.parse(String(paid.paid_at)) - Date.now())).toBeLessThan(60_000);
  });

  it('refunds through api.php?act=refund and surfaces the gateway refusing too much', async () => {
    expect(object(await bed.call(yipay, 'refund', { payment_id: paymentId, amount: '5.00' }))).toMatchObject({ payment_id: paymentId, status: 'refunded', amount: '5.00' });
    expect(epay.refunds).toEqual([{ outTradeNo: paymentId, money: '5.00' }]);
    const tooMuch = await failure(bed.call(yipay, 'refund', { payment_id: paymentId, amount: '8.00' }), 'script_error');
    expect(tooMuch.message).toBe('EPay refused the refund: 退款金额超过订单金额');
    expect(epay.orders.get(paymentId)?.refundedCents).toBe(500);
  });

  it('rejects a payment without a valid amount before calling the gateway', async () => {
    const bad = await failure(bed.call(yipay, 'create_payment', { payment_id: newId(), amount: '12.345' }), 'script_error');
    expect(bad.message).toMatch(/invalid amount/);
  });

  it('takes notify_url from the host when the config has none, and refuses to create a payment with neither', async () => {
    const bare = await bed.install('gateway-yipay', { api_url: epay.url, pid: epay.pid, key: epay.key });
    expect(await bed.call(bare, 'initialize')).toBe('OK');
    const missing = await failure(bed.call(bare, 'create_payment', { payment_id: newId(), amount: '1.00' }), 'script_error');
    expect(missing.message).toMatch(/^no notify_url/);
    const hostUrl = 'https://bill.example.com/callback/0195f2a0-0000-7000-8000-000000000000';
    const created = object(await bed.call(bare, 'create_payment', { payment_id: newId(), amount: '1.00', notify_url: hostUrl }));
    const params = Object.fromEntries(new URL(String(created.payment_url)).searchParams);
    expect(params.notify_url).toBe(hostUrl);
    expect(params.sign).toBe(epaySign(params, epay.key));
  });

  it('reports the notified amount of a payment this interface did not create, so the host can compare it', async () => {
    // Another interface (same merchant) created the order: this one has no expected amount in its state.
    const other = await bed.install('gateway-yipay', { api_url: epay.url, pid: epay.pid, key: epay.key, notify_url: notify.url });
    const foreignId = newId();
    const created = object(await bed.call(other, 'create_payment', { payment_id: foreignId, amount: '7.77' }));
    await fetch(String(created.payment_url));
    const order = epay.orders.get(foreignId);
    expect(order).toBeDefined();
    if (order) {
      order.status = 1;
      order.endtime = order.addtime;
    }
    const params: Record<string, string> = {
      pid: epay.pid, trade_no: order?.tradeNo ?? '', out_trade_no: foreignId, type: 'alipay', name: 'x', money: '9.99', trade_status: 'TRADE_SUCCESS',
    };
    const payload = new URLSearchParams({ ...params, sign: epaySign(params, epay.key), sign_type: 'MD5' }).toString();
    expect(object(await bed.call(yipay, 'handle_callback', { payload }))).toMatchObject({ payment_id: foreignId, status: 'success', amount: '9.99' });
  });
});

describe('gateway-banktransfer', () => {
  const secret = 'confirm-secret-for-tests';
  let bank: PluginTarget;
  const sign = (action: string, paymentId: string, amount: string, reference: string): string =>
    createHmac('sha256', secret).update(`${action}|${paymentId}|${amount}|${reference}`, 'utf8').digest('hex');
  const confirmation = (paymentId: string, amount: string, extra: Record<string, string> = {}): string =>
    JSON.stringify({ action: 'confirm', payment_id: paymentId, amount, reference: paymentId, signature: sign('confirm', paymentId, amount, paymentId), ...extra });

  beforeAll(async () => {
    bank = await bed.install('gateway-banktransfer', {
      bank_name: 'Example Bank', account_name: 'NodeBill Ltd', account_number: '6222 0000 1111 2222', branch: 'EXBKCNSH',
      currency: 'CNY', confirm_secret: secret,
    });
  });

  it('is healthy when configured', async () => {
    expect(await bed.call(bank, 'health_check')).toBe(true);
    expect(await bed.call(bank, 'initialize')).toBe('OK');
  });

  it('answers with transfer instructions and no URL, idempotently', async () => {
    const paymentId = newId();
    const created = object(await bed.call(bank, 'create_payment', { payment_id: paymentId, amount: '100', description: 'Order 42' }));
    expect(created).toMatchObject({ gateway_payment_id: paymentId, payment_url: null, qr_code: null });
    const instructions = String(created.instructions);
    for (const part of ['100.00 CNY', 'Example Bank', 'NodeBill Ltd', '6222 0000 1111 2222', 'EXBKCNSH', `Reference (required in the transfer note): ${paymentId}`]) {
      expect(instructions).toContain(part);
    }
    expect(object(await bed.call(bank, 'create_payment', { payment_id: paymentId, amount: '100.00' })).instructions).toBe(instructions);
    expect((await failure(bed.call(bank, 'create_payment', { payment_id: paymentId, amount: '99.00' }), 'script_error')).message).toMatch(/already exists/);
  });

  it('reconciles: pending → confirmed with the signed admin confirmation, amount checked, duplicates suppressed', async () => {
    const paymentId = newId();
    await bed.call(bank, 'create_payment', { payment_id: paymentId, amount: '100.00' });
    expect(object(await bed.call(bank, 'query_payment', { payment_id: paymentId }))).toMatchObject({ status: 'pending', paid_at: null });

    const unsigned = JSON.stringify({ action: 'confirm', payment_id: paymentId, amount: '100.00', reference: paymentId, signature: 'f'.repeat(64) });
    expect((await failure(bed.call(bank, 'handle_callback', { payload: unsigned }), 'script_error')).message).toBe('invalid signature');
    expect((await failure(bed.call(bank, 'handle_callback', { payload: confirmation(paymentId, '90.00') }), 'script_error')).message)
      .toBe('amount mismatch: received 90.00, expected 100.00');
    expect(object(await bed.call(bank, 'query_payment', { payment_id: paymentId })).status).toBe('pending');

    const confirmed = object(await bed.call(bank, 'handle_callback', { payload: confirmation(paymentId, '100.00', { bank_tx_id: 'STMT-778' }) }));
    expect(confirmed).toMatchObject({ payment_id: paymentId, status: 'success', gateway_tx_id: 'STMT-778', paid_at: expect.stringMatching(/^\d{4}-/) });
    const duplicate = object(await bed.call(bank, 'handle_callback', { payload: confirmation(paymentId, '100.00') }));
    expect(duplicate).toMatchObject({ status: 'success', duplicate: true, raw_response: 'duplicate', gateway_tx_id: 'STMT-778' });
    expect(object(await bed.call(bank, 'query_payment', { payment_id: paymentId }))).toMatchObject({ status: 'success', gateway_tx_id: 'STMT-778' });

    // The reconciliation state lives in plugin_state, namespaced by the interface.
    const row = await bed.orm.em.fork().findOne(PluginState, { interfaceId: bank.interfaceId, key: `payment:${paymentId}` });
    expect(JSON.parse(row?.value ?? '{}')).toMatchObject({ status: 'confirmed', amount: '100.00', bank_tx_id: 'STMT-778' });
  });

  it('records manual refund instructions up to the received amount', async () => {
    const paymentId = newId();
    await bed.call(bank, 'create_payment', { payment_id: paymentId, amount: '100.00' });
    expect((await failure(bed.call(bank, 'refund', { payment_id: paymentId, amount: '1.00' }), 'script_error')).message).toMatch(/only a confirmed transfer/);
    await bed.call(bank, 'handle_callback', { payload: confirmation(paymentId, '100.00') });

    const partial = object(await bed.call(bank, 'refund', { payment_id: paymentId, amount: '30.00' }));
    expect(partial).toMatchObject({ status: 'refunded', gateway_tx_id: `${paymentId}-R1` });
    expect(String(partial.raw_response)).toContain(`Transfer 30.00 CNY back to the payer of ${paymentId}`);
    expect((await failure(bed.call(bank, 'refund', { payment_id: paymentId, amount: '80.00' }), 'script_error')).message)
      .toBe('refund of 80.00 exceeds the refundable 70.00');
    expect(String(object(await bed.call(bank, 'refund', { payment_id: paymentId, amount: '' })).raw_response)).toContain('Transfer 70.00 CNY');
    expect(object(await bed.call(bank, 'query_payment', { payment_id: paymentId })).status).toBe('refunded');
  });

  it('marks a rejected transfer failed', async () => {
    const paymentId = newId();
    await bed.call(bank, 'create_payment', { payment_id: paymentId, amount: '10.00' });
    const payload = JSON.stringify({ action: 'reject', payment_id: paymentId, amount: '', reference: paymentId, signature: sign('reject', paymentId, '', paymentId) });
    expect(object(await bed.call(bank, 'handle_callback', { payload }))).toMatchObject({ status: 'failed' });
    expect((await failure(bed.call(bank, 'handle_callback', { payload: confirmation(paymentId, '10.00') }), 'script_error')).message).toMatch(/already rejected/);
  });
});
