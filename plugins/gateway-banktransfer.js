// gateway-banktransfer.js — manual bank transfer (银行转账) payment gateway.
//
// No external payment service is involved: the customer transfers the amount to the bank account
// from the config, quoting a reference code (the payment id). An administrator who sees the money
// arrive confirms it through handle_callback with a signed confirmation payload:
//
//   {"action":"confirm","payment_id":"…","amount":"100.00","reference":"…",
//    "bank_tx_id":"(optional bank statement id)","signature":"<hex>"}
//
//   signature = hmac_sha256_hex(confirm_secret, "confirm|<payment_id>|<amount>|<reference>")
//
// (action "reject" — signed the same way with "reject|…" — marks a payment that will not arrive as
// failed). The secret matters because HandleCallback is a public RPC: without the signature anybody
// could confirm a payment.
//
// Reconciliation state (per interface, through state_get/state_set), key `payment:<payment_id>`:
//   {"payment_id","reference","amount","status":"pending"|"confirmed"|"rejected",
//    "created_at","confirmed_at","bank_tx_id","refunded":"0.00","refunds":[…]}
// Transitions: pending → confirmed (amount must equal the expected amount) and pending → rejected.
// A second confirmation of a confirmed payment is reported as a duplicate and changes nothing.
// refund() records a manual refund instruction (the admin sends the money back by hand) and is
// limited to what was received minus what was already refunded.
//
// Money is kept as decimal strings and computed in integer cents; a JavaScript number never holds
// a fractional amount.

// ── Contract: metadata ──────────────────────────────────────────────────────────────────────────

function config_schema(_config, _unused) {
  return {
    type: 'object',
    required: ['bank_name', 'account_name', 'account_number', 'confirm_secret'],
    properties: {
      bank_name: { type: 'string', description: 'Bank name (开户行)' },
      account_name: { type: 'string', description: 'Account holder (户名)' },
      account_number: { type: 'string', description: 'Account number / IBAN (账号)' },
      branch: { type: 'string', description: 'Branch, SWIFT/BIC or routing code (optional)' },
      currency: { type: 'string', description: 'Currency of the account', default_value: 'CNY' },
      note: { type: 'string', description: 'Extra text appended to the payment instructions (optional)' },
      confirm_secret: {
        type: 'string',
        format: 'password',
        description: 'Secret for signing admin confirmations: hmac_sha256_hex(secret, "confirm|id|amount|reference")',
      },
    },
  };
}

function version(_config, _unused) {
  return '1.0.0';
}

function initialize(config, _unused) {
  const missing = missingSettings(config);
  if (missing.length > 0) return `ERROR: bank transfer is not configured: missing ${missing.join(', ')}`;
  return 'OK';
}

function health_check(config, _unused) {
  // Nothing remote to reach: healthy when the account details are complete.
  const missing = missingSettings(config);
  if (missing.length > 0) return { healthy: false, error: `missing config: ${missing.join(', ')}` };
  return true;
}

function admin_page(config, _unused) {
  return `<!doctype html><html><body style="font-family:sans-serif">
<h2>Bank transfer</h2>
<p>Account: ${escapeHtml(config.bank_name)} / ${escapeHtml(config.account_name)} / ${escapeHtml(config.account_number)}</p>
<p>To confirm a received transfer, call <code>PaymentService/HandleCallback</code> with this interface id and the payload
<code>{"action":"confirm","payment_id":"…","amount":"…","reference":"…","signature":"…"}</code>, where
<code>signature = HMAC-SHA256(confirm_secret, "confirm|payment_id|amount|reference")</code> in lowercase hex.</p>
</body></html>`;
}

// ── Contract: payments ──────────────────────────────────────────────────────────────────────────

// create_payment(config + {payment_id, amount|money, description}) → instructions, no URL.
async function create_payment(merged, _unused) {
  const paymentId = text(merged.payment_id);
  if (paymentId === '') return 'ERROR: payment_id is required';
  const cents = toCents(merged.amount !== undefined ? merged.amount : merged.money);
  if (cents === null || cents <= 0) return `ERROR: invalid amount ${JSON.stringify(merged.amount !== undefined ? merged.amount : merged.money)}`;

  const host = rustbill_host;
  let record = await loadPayment(paymentId);
  if (record === null) {
    record = {
      payment_id: paymentId,
      reference: paymentId,
      amount: fromCents(cents),
      status: 'pending',
      description: text(merged.description),
      created_at: new Date().toISOString(),
      confirmed_at: '',
      bank_tx_id: '',
      refunded: '0.00',
      refunds: [],
    };
    await savePayment(record);
    host.log_info(`bank transfer ${paymentId}: awaiting ${record.amount} ${currencyOf(merged)}`);
  } else if (toCents(record.amount) !== cents) {
    return `ERROR: payment ${paymentId} already exists with amount ${record.amount}`;
  }

  return {
    gateway_payment_id: paymentId,
    payment_url: null,
    qr_code: null,
    instructions: instructionsFor(merged, record),
  };
}

// query_payment(config + {payment_id}) → pending until an admin confirmed the transfer.
async function query_payment(merged, _unused) {
  const paymentId = text(merged.payment_id);
  const record = await loadPayment(paymentId);
  if (record === null) return `ERROR: payment ${paymentId} is unknown to this bank transfer interface`;
  return paymentResult(record, JSON.stringify(record));
}

// handle_callback(config + {payload}) — the admin's signed confirmation (or rejection).
async function handle_callback(merged, _unused) {
  const host = rustbill_host;
  const payload = parsePayload(merged.payload);
  if (payload === null) return 'ERROR: the payload is not a JSON object';

  const action = text(payload.action);
  const paymentId = text(payload.payment_id);
  const amountText = text(payload.amount);
  const reference = text(payload.reference);
  if (action !== 'confirm' && action !== 'reject') return `ERROR: unknown action ${JSON.stringify(action)} (expected "confirm" or "reject")`;
  if (paymentId === '') return 'ERROR: payment_id is required';

  // 1. Authenticity: only holders of confirm_secret may confirm or reject.
  const expected = host.hmac_sha256_hex(text(merged.confirm_secret), `${action}|${paymentId}|${amountText}|${reference}`);
  if (text(merged.confirm_secret) === '' || text(payload.signature).toLowerCase() !== expected) {
    host.log_warn(`bank transfer ${paymentId}: ${action} with an invalid signature refused`);
    return 'ERROR: invalid signature';
  }

  const record = await loadPayment(paymentId);
  if (record === null) return `ERROR: payment ${paymentId} is unknown to this bank transfer interface`;

  // 2. Duplicate suppression: a payment is confirmed (or rejected) once.
  if (record.status !== 'pending') {
    if ((action === 'confirm' && record.status === 'confirmed') || (action === 'reject' && record.status === 'rejected')) {
      host.log_info(`bank transfer ${paymentId}: duplicate ${action} ignored`);
      return { ...paymentResult(record, 'duplicate'), duplicate: true };
    }
    return `ERROR: payment ${paymentId} is already ${record.status}; cannot ${action} it`;
  }

  // 3. Reconciliation: the reference and the amount must match what the customer was asked for.
  if (reference !== record.reference) return `ERROR: reference ${JSON.stringify(reference)} does not match payment ${paymentId}`;
  if (action === 'reject') {
    record.status = 'rejected';
    record.confirmed_at = new Date().toISOString();
    await savePayment(record);
    host.log_info(`bank transfer ${paymentId}: rejected`);
    return paymentResult(record, JSON.stringify(payload));
  }
  const received = toCents(amountText);
  if (received === null) return `ERROR: invalid amount ${JSON.stringify(amountText)}`;
  if (received !== toCents(record.amount)) {
    host.log_warn(`bank transfer ${paymentId}: received ${fromCents(received)}, expected ${record.amount}`);
    return `ERROR: amount mismatch: received ${fromCents(received)}, expected ${record.amount}`;
  }
  record.status = 'confirmed';
  record.confirmed_at = new Date().toISOString();
  record.bank_tx_id = text(payload.bank_tx_id);
  await savePayment(record);
  host.log_info(`bank transfer ${paymentId}: confirmed ${record.amount}`);
  return paymentResult(record, JSON.stringify(payload));
}

// refund(config + {payment_id, amount}) — records a manual refund instruction (empty amount = rest).
async function refund(merged, _unused) {
  const host = rustbill_host;
  const paymentId = text(merged.payment_id);
  const record = await loadPayment(paymentId);
  if (record === null) return `ERROR: payment ${paymentId} is unknown to this bank transfer interface`;
  if (record.status !== 'confirmed') return `ERROR: payment ${paymentId} is ${record.status}; only a confirmed transfer can be refunded`;

  const paid = toCents(record.amount);
  const alreadyRefunded = toCents(record.refunded) || 0;
  const remaining = paid - alreadyRefunded;
  const requested = text(merged.amount) === '' ? remaining : toCents(merged.amount);
  if (requested === null || requested <= 0) return `ERROR: invalid refund amount ${JSON.stringify(merged.amount)}`;
  if (requested > remaining) return `ERROR: refund of ${fromCents(requested)} exceeds the refundable ${fromCents(remaining)}`;

  const refundId = `${paymentId}-R${record.refunds.length + 1}`;
  const instruction = `Transfer ${fromCents(requested)} ${currencyOf(merged)} back to the payer of ${record.reference}` +
    (record.bank_tx_id ? ` (bank transaction ${record.bank_tx_id})` : '') + `, quoting refund reference ${refundId}.`;
  record.refunds.push({ refund_id: refundId, amount: fromCents(requested), instruction, recorded_at: new Date().toISOString() });
  record.refunded = fromCents(alreadyRefunded + requested);
  await savePayment(record);
  host.log_info(`bank transfer ${paymentId}: refund ${refundId} of ${fromCents(requested)} recorded`);
  return {
    payment_id: paymentId,
    gateway_tx_id: refundId,
    status: 'refunded',
    paid_at: record.confirmed_at || null,
    raw_response: instruction,
  };
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

function missingSettings(config) {
  return ['bank_name', 'account_name', 'account_number', 'confirm_secret'].filter((key) => text(config[key]) === '');
}

function currencyOf(config) {
  return text(config.currency) || 'CNY';
}

function instructionsFor(config, record) {
  const lines = [
    `Please transfer ${record.amount} ${currencyOf(config)} to:`,
    `Bank: ${text(config.bank_name)}`,
    `Account name: ${text(config.account_name)}`,
    `Account number: ${text(config.account_number)}`,
  ];
  if (text(config.branch) !== '') lines.push(`Branch / SWIFT: ${text(config.branch)}`);
  lines.push(`Reference (required in the transfer note): ${record.reference}`);
  if (text(config.note) !== '') lines.push(text(config.note));
  lines.push('The payment is credited after the transfer has been confirmed.');
  return lines.join('\n');
}

// The guide's query_payment / handle_callback result for a stored record.
function paymentResult(record, raw) {
  const status = record.status === 'confirmed' ? (record.refunds.length > 0 && record.refunded === record.amount ? 'refunded' : 'success')
    : record.status === 'rejected' ? 'failed' : 'pending';
  return {
    payment_id: record.payment_id,
    gateway_tx_id: record.bank_tx_id || null,
    status,
    paid_at: record.confirmed_at && record.status === 'confirmed' ? record.confirmed_at : null,
    raw_response: raw,
  };
}

async function loadPayment(paymentId) {
  if (paymentId === '') return null;
  const stored = await rustbill_host.state_get(`payment:${paymentId}`);
  if (stored === '') return null;
  return JSON.parse(stored);
}

async function savePayment(record) {
  await rustbill_host.state_set(`payment:${record.payment_id}`, JSON.stringify(record));
}

// The callback payload: a JSON string or an object.
function parsePayload(payload) {
  if (payload !== null && typeof payload === 'object') return payload;
  try {
    const parsed = JSON.parse(text(payload));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : null;
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

// 1230 → "12.30"
function fromCents(cents) {
  const rest = cents % 100;
  return `${(cents - rest) / 100}.${rest < 10 ? '0' : ''}${rest}`;
}

function escapeHtml(value) {
  return text(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
