// gateway-yipay.js — 易支付 (EPay, the widely deployed "彩虹易支付" merchant protocol).
//
// Protocol (common variant):
// - Signing: take every parameter except `sign` and `sign_type` whose value is not empty, sort by
//   key (ASCII), join as `k=v` with `&` (raw values, not URL-encoded), append the merchant key,
//   MD5 → lowercase hex. `sign_type=MD5` travels alongside.
// - Payment page: `{api_url}/submit.php?pid&type&out_trade_no&notify_url&return_url&name&money
//   [&sitename]&sign&sign_type=MD5` — the customer's browser is sent there.
// - Async notify: the gateway calls `notify_url` (GET) with pid, trade_no, out_trade_no, type, name,
//   money, trade_status, sign, sign_type; the merchant answers the text `success`. NodeBill hands the
//   raw query string to handle_callback as `payload`.
// - Order query: `GET {api_url}/api.php?act=order&pid&key&out_trade_no` → JSON
//   `{"code":1,"trade_no","out_trade_no","money","status":1|0,"endtime",…}` (status 1 = paid).
// - Refund: `POST {api_url}/api.php?act=refund` form `pid&key&out_trade_no|trade_no&money` →
//   `{"code":1,"msg":…}`.
// - Merchant info (health check): `GET {api_url}/api.php?act=query&pid&key` → `{"code":1,…}`.
//
// State (per interface): `order:<payment_id>` = expected amount (checked against the notify),
// `notify:<payment_id>` = the gateway's trade_no once a notify was accepted (duplicate suppression).
//
// Reports (query_payment, handle_callback) carry `amount`: the money the gateway says was paid, so
// that the host can refuse a notify whose amount differs from the payment's even when this
// interface's state does not know the order. `notify_url` comes from the host (NodeBill's
// `/callback/{interface_id}` when `[server] public_url` is set) or else from the config.

// ── Contract: metadata ──────────────────────────────────────────────────────────────────────────

function config_schema(_config, _unused) {
  return {
    type: 'object',
    required: ['api_url', 'pid', 'key'],
    properties: {
      api_url: { type: 'string', description: 'EPay base URL, e.g. https://pay.example.com/' },
      pid: { type: 'string', description: 'Merchant id (商户ID)' },
      key: { type: 'string', format: 'password', description: 'Merchant key (商户密钥)' },
      notify_url: { type: 'string', description: "Async notify URL the gateway calls (异步通知地址); empty: NodeBill's /callback/{interface_id} under [server] public_url" },
      return_url: { type: 'string', description: 'Where the customer returns after paying (同步跳转地址)' },
      pay_type: { type: 'string', enum: ['alipay', 'wxpay', 'qqpay', 'bank'], default_value: 'alipay', description: 'Payment channel' },
      sitename: { type: 'string', description: 'Site name shown on the payment page (optional)' },
      utc_offset: { type: 'string', pattern: '^[+-]\\d{2}:\\d{2}$', default_value: '+08:00', description: "UTC offset of the gateway's times (endtime)" },
    },
  };
}

function version(_config, _unused) {
  return '1.1.0';
}

function initialize(config, _unused) {
  for (const key of ['api_url', 'pid', 'key']) {
    if (text(config[key]) === '') return `ERROR: yipay is not configured: ${key} is missing`;
  }
  return 'OK';
}

// Healthy when the gateway accepts our merchant id and key (merchant info query).
async function health_check(config, _unused) {
  const body = await rustbill_host.http_get(`${apiBase(config)}api.php?act=query&pid=${enc(config.pid)}&key=${enc(config.key)}`);
  const answer = parseJson(body);
  if (answer === null) return { healthy: false, error: `EPay answered something that is not JSON: ${body.slice(0, 120)}` };
  if (Number(answer.code) !== 1) return { healthy: false, error: `EPay refused the merchant credentials: ${text(answer.msg) || body.slice(0, 120)}` };
  return true;
}

// ── Contract: payments ──────────────────────────────────────────────────────────────────────────

// create_payment(config + {payment_id, amount|money, description, return_url?}) → submit.php URL.
async function create_payment(merged, _unused) {
  const paymentId = text(merged.payment_id);
  if (paymentId === '') return 'ERROR: payment_id is required';
  const cents = toCents(merged.amount !== undefined ? merged.amount : merged.money);
  if (cents === null || cents <= 0) return `ERROR: invalid amount ${JSON.stringify(merged.amount !== undefined ? merged.amount : merged.money)}`;
  if (text(merged.notify_url) === '') return 'ERROR: no notify_url: set it in the interface config, or set [server] public_url so that NodeBill passes its callback URL';

  const params = {
    pid: text(merged.pid),
    type: text(merged.pay_type) || 'alipay',
    out_trade_no: paymentId,
    notify_url: text(merged.notify_url),
    return_url: text(merged.return_url),
    name: text(merged.description) || `Payment ${paymentId}`,
    money: fromCents(cents),
    sitename: text(merged.sitename),
  };
  const sign = signParams(params, text(merged.key));
  const query = Object.keys(params)
    .filter((name) => params[name] !== '')
    .map((name) => `${name}=${enc(params[name])}`)
    .join('&');
  const paymentUrl = `${apiBase(merged)}submit.php?${query}&sign=${sign}&sign_type=MD5`;

  // Remember the amount so that a notify for a different amount is refused.
  await rustbill_host.state_set(`order:${paymentId}`, params.money);
  rustbill_host.log_info(`yipay payment ${paymentId} created: ${params.money} via ${params.type}`);
  return { gateway_payment_id: paymentId, payment_url: paymentUrl, qr_code: null, instructions: null };
}

// query_payment(config + {payment_id}) → the gateway's order status.
async function query_payment(merged, _unused) {
  const paymentId = text(merged.payment_id);
  const url = `${apiBase(merged)}api.php?act=order&pid=${enc(merged.pid)}&key=${enc(merged.key)}&out_trade_no=${enc(paymentId)}`;
  const body = await rustbill_host.http_get(url);
  const answer = parseJson(body);
  if (answer === null) return `ERROR: EPay order query answered something that is not JSON: ${body.slice(0, 200)}`;
  if (Number(answer.code) !== 1) {
    // The gateway only knows an order once the customer opened the payment page: still pending.
    if (/不存在|not exist|not found/i.test(text(answer.msg))) {
      return { payment_id: paymentId, gateway_tx_id: null, status: 'pending', paid_at: null, raw_response: body };
    }
    return `ERROR: EPay order query failed: ${text(answer.msg) || body.slice(0, 200)}`;
  }
  const paid = Number(answer.status) === 1;
  return {
    payment_id: paymentId,
    gateway_tx_id: text(answer.trade_no) || null,
    status: paid ? 'success' : 'pending',
    paid_at: paid ? isoTime(text(answer.endtime), text(merged.utc_offset) || '+08:00') : null,
    amount: amountText(answer.money),
    raw_response: body,
  };
}

// handle_callback(config + {payload}) — the async notify (query string or JSON object).
async function handle_callback(merged, _unused) {
  const host = rustbill_host;
  const params = parseNotify(merged.payload);
  if (params === null) return 'ERROR: the notify payload is neither a query string nor a JSON object';
  const paymentId = text(params.out_trade_no);
  if (paymentId === '') return 'ERROR: the notify carries no out_trade_no';

  // 1. Signature and merchant.
  const expected = signParams(params, text(merged.key));
  if (text(params.sign).toLowerCase() !== expected) {
    host.log_error(`yipay notify for ${paymentId}: signature mismatch`);
    return 'ERROR: invalid signature';
  }
  if (text(params.pid) !== text(merged.pid)) return `ERROR: the notify is for merchant ${text(params.pid)}, not ${text(merged.pid)}`;

  // 2. Only TRADE_SUCCESS means paid.
  if (text(params.trade_status) !== 'TRADE_SUCCESS') {
    return { payment_id: paymentId, gateway_tx_id: text(params.trade_no) || null, status: 'pending', paid_at: null, amount: amountText(params.money), raw_response: text(merged.payload) };
  }

  // 3. The amount must be the one the payment was created with (when this interface created it).
  const expectedMoney = await host.state_get(`order:${paymentId}`);
  if (expectedMoney !== '' && toCents(params.money) !== toCents(expectedMoney)) {
    host.log_error(`yipay notify for ${paymentId}: money ${text(params.money)} differs from ${expectedMoney}`);
    return `ERROR: amount mismatch: notified ${text(params.money)}, expected ${expectedMoney}`;
  }

  // 4. Duplicate suppression: the gateway repeats notifies until it reads "success".
  const seen = await host.state_get(`notify:${paymentId}`);
  const result = {
    payment_id: paymentId,
    gateway_tx_id: text(params.trade_no) || null,
    status: 'success',
    paid_at: null,
    // The amount the gateway notified (the host compares it with the payment's).
    amount: amountText(params.money),
    raw_response: typeof merged.payload === 'string' ? merged.payload : JSON.stringify(merged.payload),
    // What the notify endpoint must answer the gateway.
    ack: 'success',
  };
  if (seen !== '') {
    host.log_info(`yipay notify for ${paymentId}: duplicate ignored`);
    return { ...result, gateway_tx_id: seen, raw_response: 'duplicate', duplicate: true };
  }
  await host.state_set(`notify:${paymentId}`, text(params.trade_no) || '1');
  host.log_info(`yipay payment ${paymentId} paid (trade ${text(params.trade_no)})`);
  return result;
}

// refund(config + {payment_id, amount}) — api.php?act=refund.
async function refund(merged, _unused) {
  const paymentId = text(merged.payment_id);
  let amount = text(merged.amount);
  if (amount === '') amount = await rustbill_host.state_get(`order:${paymentId}`); // full refund
  const cents = toCents(amount);
  if (cents === null || cents <= 0) return `ERROR: invalid refund amount ${JSON.stringify(amount)}`;

  const tradeNo = await rustbill_host.state_get(`notify:${paymentId}`);
  const form = [
    `pid=${enc(merged.pid)}`,
    `key=${enc(merged.key)}`,
    tradeNo !== '' && tradeNo !== '1' ? `trade_no=${enc(tradeNo)}` : `out_trade_no=${enc(paymentId)}`,
    `money=${fromCents(cents)}`,
  ].join('&');
  const body = await rustbill_host.http_post(`${apiBase(merged)}api.php?act=refund`, form, 'application/x-www-form-urlencoded');
  const answer = parseJson(body);
  if (answer === null) return `ERROR: EPay refund answered something that is not JSON: ${body.slice(0, 200)}`;
  if (Number(answer.code) !== 1) return `ERROR: EPay refused the refund: ${text(answer.msg) || body.slice(0, 200)}`;
  rustbill_host.log_info(`yipay refund of ${fromCents(cents)} for ${paymentId} accepted`);
  return {
    payment_id: paymentId, gateway_tx_id: tradeNo !== '' && tradeNo !== '1' ? tradeNo : null, status: 'refunded', paid_at: null, amount: fromCents(cents), raw_response: body,
  };
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

// The EPay signature of a parameter map (see the header comment).
function signParams(params, key) {
  const base = Object.keys(params)
    .filter((name) => name !== 'sign' && name !== 'sign_type' && text(params[name]) !== '')
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join('&');
  return rustbill_host.md5_hex(`${base}${key}`);
}

// `api_url` with exactly one trailing slash.
function apiBase(config) {
  return `${text(config.api_url).replace(/\/+$/, '')}/`;
}

// A notify payload as a parameter map: `a=1&b=2` (form-encoded) or a JSON object.
function parseNotify(payload) {
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) return stringValues(payload);
  const raw = text(payload);
  if (raw.startsWith('{')) {
    const parsed = parseJson(raw);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? stringValues(parsed) : null;
  }
  if (!raw.includes('=')) return null;
  const params = {};
  for (const pair of raw.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decode(at < 0 ? pair : pair.slice(0, at));
    params[name] = decode(at < 0 ? '' : pair.slice(at + 1));
  }
  return params;
}

// "2026-01-02 03:04:05" (the gateway's local time) → "2026-01-02T03:04:05+08:00"; null when empty.
function isoTime(value, offset) {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(value);
  if (match) return `${match[1]}T${match[2]}${offset}`;
  return value === '' ? null : value;
}

function stringValues(object) {
  const out = {};
  for (const name of Object.keys(object)) out[name] = object[name] === null || object[name] === undefined ? '' : String(object[name]);
  return out;
}

function decode(value) {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch (_error) {
    return value;
  }
}

function enc(value) {
  return encodeURIComponent(text(value));
}

function parseJson(body) {
  try {
    const parsed = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' ? parsed : null;
  } catch (_error) {
    return null;
  }
}

function text(value) {
  if (value === undefined || value === null) return '';
  return String(value).trim();
}

// "12.3" → 1230; null for anything that is not a non-negative amount with at most two decimals.
function toCents(value) {
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text(value));
  if (!match) return null;
  const fraction = match[2] === undefined ? '00' : match[2].length === 1 ? `${match[2]}0` : match[2];
  return Number(match[1]) * 100 + Number(fraction);
}

// A gateway amount as "12.30", or null when it is missing or not an amount.
function amountText(value) {
  const cents = toCents(value);
  return cents === null ? null : fromCents(cents);
}

// 1230 → "12.30"
function fromCents(cents) {
  const rest = cents % 100;
  return `${(cents - rest) / 100}.${rest < 10 ? '0' : ''}${rest}`;
}
