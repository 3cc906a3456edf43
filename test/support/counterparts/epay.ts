/**
 * A local 易支付 (EPay) merchant gateway speaking the common protocol the yipay plugin targets:
 * `submit.php` (signed payment page: the cashier, whose "Pay" button posts to `pay.php`, which
 * marks the order paid, sends the notify and redirects the payer to `return_url` with the signed
 * result), `api.php?act=order` (order query), `api.php?act=query`
 * (merchant info), `api.php?act=refund` (POST) and the async notify to the order's `notify_url`
 * (GET with the query string, or POST form-urlencoded or JSON).
 * Signatures are checked with its own implementation of the EPay rule, so a plugin that signs
 * differently is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One order the gateway knows (created by a valid submit.php request). */
export interface EpayOrder {
  tradeNo: string;
  outTradeNo: string;
  pid: string;
  type: string;
  name: string;
  money: string;
  notifyUrl: string;
  returnUrl: string;
  /** 0 unpaid, 1 paid. */
  status: 0 | 1;
  addtime: string;
  endtime: string;
  /** Refunded so far, in cents. */
  refundedCents: number;
}

/** What a notify delivery got back from the merchant. */
export interface NotifyDelivery {
  url: string;
  /** How the notify was sent: the query string of the URL (GET) or the request body (POST). */
  method: 'GET' | 'POST';
  /** The notification exactly as sent: the query string (GET) or the body (POST). */
  payload: string;
  status: number;
  body: string;
}

/**
 * How a notify is delivered. EPay installations send GET with the parameters in the query string
 * (the default); some POST them, form-urlencoded or as JSON.
 */
export interface NotifyOptions {
  method?: 'GET' | 'POST';
  /** The POST body's encoding (default `form`). */
  encoding?: 'form' | 'json';
}

/** A running EPay counterpart. */
export interface EpayServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:40123/`. */
  url: string;
  pid: string;
  key: string;
  orders: Map<string, EpayOrder>;
  /** Every refund the gateway accepted. */
  refunds: Array<{ outTradeNo: string; money: string }>;
  /** submit.php requests refused for their signature. */
  rejectedSubmits: number;
  /** The notifies sent when a payer clicked "Pay" on the cashier page (pay.php), with the merchant's answers. */
  payerDeliveries: NotifyDelivery[];
  /** Marks an order paid (as if the customer paid) and sends the async notify; resolves with the merchant's answer. */
  pay(outTradeNo: string, options?: NotifyOptions): Promise<NotifyDelivery>;
  /** Sends the notify of an order again (gateways repeat it until they read "success"). */
  notify(outTradeNo: string, tamper?: (params: Record<string, string>) => void, options?: NotifyOptions): Promise<NotifyDelivery>;
  close(): Promise<void>;
}

/** The EPay signature: non-empty params except sign/sign_type, sorted by key, `k=v&…` + key, MD5 hex. */
export function epaySign(params: Record<string, string>, key: string): string {
  const base = Object.keys(params)
    .filter((name) => name !== 'sign' && name !== 'sign_type' && params[name] !== '')
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
  return createHash('md5').update(`${base}${key}`, 'utf8').digest('hex');
}

/** The gateway's local time (China Standard Time, as EPay installations report it): `YYYY-MM-DD HH:MM:SS`. */
function now(): string {
  return new Date(Date.now() + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
}

function cents(money: string): number | null {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(money);
  if (!match?.[1]) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** The cashier page of submit.php: what is paid for, and a "Pay" button (a form POST to pay.php). */
function cashierPage(order: EpayOrder | undefined): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  if (!order) return '<p>订单号不存在</p>';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>收银台 Cashier</title></head><body style="font-family:sans-serif;max-width:420px;margin:2rem auto;padding:0 1rem">
<h1>收银台 · Cashier</h1><p style="font-size:1.4rem" id="amount">Pay ${escape(order.money)} for ${escape(order.name)}</p>
<form method="post" action="pay.php"><input type="hidden" name="out_trade_no" value="${escape(order.outTradeNo)}">
<button type="submit" style="font-size:1.1rem;padding:.6rem 2rem">Pay 支付</button></form></body></html>`;
}

function json(response: http.ServerResponse, body: Record<string, unknown>): void {
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

/**
 * Starts the gateway on 127.0.0.1 (random port) with one merchant (`pid` 1001 and a random key).
 */
export async function startEpayServer(): Promise<EpayServer> {
  const pid = '1001';
  const key = randomBytes(16).toString('hex');
  const orders = new Map<string, EpayOrder>();
  const refunds: Array<{ outTradeNo: string; money: string }> = [];
  let rejectedSubmits = 0;
  let sequence = 0;
  const payerDeliveries: NotifyDelivery[] = [];

  const server = http.createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const form = request.method === 'POST' ? new URLSearchParams(await readBody(request)) : new URLSearchParams();
      const params: Record<string, string> = {};
      for (const [name, value] of url.searchParams) params[name] = value;
      for (const [name, value] of form) params[name] = value;

      if (url.pathname === '/submit.php') {
        if (params.pid !== pid) {
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p>商户不存在</p>');
          return;
        }
        if (params.sign_type !== 'MD5' || params.sign !== epaySign(params, key)) {
          rejectedSubmits += 1;
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p>签名校验失败！</p>');
          return;
        }
        const outTradeNo = params.out_trade_no ?? '';
        if (!orders.has(outTradeNo)) {
          sequence += 1;
          orders.set(outTradeNo, {
            tradeNo: `2026${String(sequence).padStart(10, '0')}`,
            outTradeNo,
            pid,
            type: params.type ?? '',
            name: params.name ?? '',
            money: params.money ?? '',
            notifyUrl: params.notify_url ?? '',
            returnUrl: params.return_url ?? '',
            status: 0,
            addtime: now(),
            endtime: '',
            refundedCents: 0,
          });
        }
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(cashierPage(orders.get(outTradeNo)));
        return;
      }

      // The cashier's "Pay" button (a person paying in the browser): the order is paid, the async
      // notify is sent, and the payer is sent back to return_url with the signed result (EPay's
      // synchronous return), or shown the result when there is none.
      if (url.pathname === '/pay.php' && request.method === 'POST') {
        const order = orders.get(params.out_trade_no ?? '');
        if (!order) {
          response.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<p>订单号不存在</p>');
          return;
        }
        order.status = 1;
        order.endtime = now();
        payerDeliveries.push(await notify(order.outTradeNo));
        if (order.returnUrl === '') {
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p id="paid">支付成功 Paid</p>');
          return;
        }
        const back = new URL(order.returnUrl);
        const result: Record<string, string> = {
          pid, trade_no: order.tradeNo, out_trade_no: order.outTradeNo, type: order.type, name: order.name, money: order.money, trade_status: 'TRADE_SUCCESS',
        };
        for (const [name, value] of Object.entries(result)) back.searchParams.set(name, value);
        back.searchParams.set('sign', epaySign(result, key));
        back.searchParams.set('sign_type', 'MD5');
        response.writeHead(302, { location: back.toString() }).end();
        return;
      }

      if (url.pathname === '/api.php') {
        if (params.pid !== pid || params.key !== key) {
          json(response, { code: -1, msg: 'KEY校验失败' });
          return;
        }
        const act = params.act;
        if (act === 'query') {
          json(response, { code: 1, pid, key, active: 1, money: '0.00', type: 1, settle_id: '', account: '', username: '', orders: orders.size });
          return;
        }
        const order = params.trade_no
          ? [...orders.values()].find((item) => item.tradeNo === params.trade_no)
          : orders.get(params.out_trade_no ?? '');
        if (act === 'order') {
          if (!order) {
            json(response, { code: -1, msg: '订单号不存在' });
            return;
          }
          json(response, {
            code: 1, msg: '查询订单号成功！', trade_no: order.tradeNo, out_trade_no: order.outTradeNo, type: order.type, pid,
            addtime: order.addtime, endtime: order.endtime, name: order.name, money: order.money, status: order.status, param: '', buyer: '',
          });
          return;
        }
        if (act === 'refund' && request.method === 'POST') {
          const amount = cents(params.money ?? '');
          if (!order) json(response, { code: -1, msg: '订单号不存在' });
          else if (order.status !== 1) json(response, { code: -1, msg: '订单未支付' });
          else if (amount === null || amount <= 0) json(response, { code: -1, msg: '退款金额不正确' });
          else if (order.refundedCents + amount > (cents(order.money) ?? 0)) json(response, { code: -1, msg: '退款金额超过订单金额' });
          else {
            order.refundedCents += amount;
            refunds.push({ outTradeNo: order.outTradeNo, money: params.money ?? '' });
            json(response, { code: 1, msg: '退款成功' });
          }
          return;
        }
        json(response, { code: -1, msg: `unknown act ${act ?? ''}` });
        return;
      }
      response.writeHead(404).end();
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const notify = async (outTradeNo: string, tamper?: (params: Record<string, string>) => void, options: NotifyOptions = {}): Promise<NotifyDelivery> => {
    const order = orders.get(outTradeNo);
    if (!order) throw new Error(`no order ${outTradeNo}`);
    const params: Record<string, string> = {
      pid, trade_no: order.tradeNo, out_trade_no: order.outTradeNo, type: order.type, name: order.name, money: order.money,
      trade_status: order.status === 1 ? 'TRADE_SUCCESS' : 'WAIT_BUYER_PAY',
    };
    params.sign = epaySign(params, key);
    params.sign_type = 'MD5';
    tamper?.(params);
    const target = new URL(order.notifyUrl);
    if (options.method === 'POST') {
      const json = options.encoding === 'json';
      const payload = json ? JSON.stringify(params) : new URLSearchParams(params).toString();
      const answer = await fetch(target, {
        method: 'POST', body: payload, headers: { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
      });
      return { url: target.toString(), method: 'POST', payload, status: answer.status, body: await answer.text() };
    }
    for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
    const answer = await fetch(target, { method: 'GET' });
    return { url: target.toString(), method: 'GET', payload: target.search.slice(1), status: answer.status, body: await answer.text() };
  };

  return {
    url: `http://127.0.0.1:${port}/`,
    pid,
    key,
    orders,
    refunds,
    get rejectedSubmits() {
      return rejectedSubmits;
    },
    payerDeliveries,
    async pay(outTradeNo, options) {
      const order = orders.get(outTradeNo);
      if (!order) throw new Error(`no order ${outTradeNo}`);
      order.status = 1;
      order.endtime = now();
      return notify(outTradeNo, undefined, options);
    },
    notify,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
