/**
 * What the gateway contract functions return, read into typed shapes (plugin guide: 契约函数详解,
 * PaymentGateway — "create_payment 返回值" and "query_payment / handle_callback / refund 返回值").
 * Scripts return objects or JSON text; every reader accepts both and throws
 * `PluginError('script_error', …)` naming the function and what was expected when the result is
 * unusable. Money is a decimal string with exactly two places (`"12.30"`), never a JS number.
 * Pure functions, no I/O.
 */
import { Decimal } from 'decimal.js';
import { PluginError } from '../types.ts';
import { asData } from './results.ts';

type Json = { [key: string]: unknown };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The payment statuses of the contract (`success / pending / failed / refunded`). */
export const GATEWAY_STATUSES = ['pending', 'success', 'failed', 'refunded'] as const;

/** A payment status as a gateway reports it. */
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number];

/** What `create_payment()` answered: where (or how) the customer pays. */
export interface CreatedGatewayPayment {
  /** The gateway's id of the payment (`gateway_payment_id`, required, non-empty). */
  gatewayPaymentId: string;
  /** The page the customer is sent to, or null (e.g. a bank transfer). */
  paymentUrl: string | null;
  /** QR code content (Base64 image or URL), or null. */
  qrCode: string | null;
  /** Text telling the customer how to pay, or null. */
  instructions: string | null;
}

/** What `query_payment()`, `handle_callback()` and `refund()` report about one payment. */
export interface GatewayReport {
  /** The payment the report is about (NodeBill's payment id, as given to create_payment). */
  paymentId: string;
  /** The gateway's transaction number, or null when it gave none. */
  gatewayTxId: string | null;
  status: GatewayStatus;
  /** When the payment was paid, RFC3339 (as the gateway says, with its offset), or null. */
  paidAt: string | null;
  /**
   * The amount the gateway says was paid (or refunded, for refund()), a decimal string with two
   * places, or null when it does not say. The host compares it with the payment's own amount.
   */
  amount: string | null;
}

/** What `handle_callback()` reports: a {@link GatewayReport} plus what to answer the gateway. */
export interface GatewayCallbackReport extends GatewayReport {
  /** The body the callback endpoint answers the gateway with (`ack`, default `"success"`). */
  ack: string;
  /** True when the plugin saw this notification before (`duplicate: true` or `raw_response: "duplicate"`). */
  duplicate: boolean;
}

function bad(fn: string, expected: string, got: unknown): PluginError {
  const shown = typeof got === 'string' ? JSON.stringify(got.slice(0, 120)) : got === undefined ? 'nothing' : JSON.stringify(got)?.slice(0, 120) ?? String(got);
  return new PluginError('script_error', `${fn}() returned ${shown}; expected ${expected}`);
}

/** A text field: strings trimmed, numbers as text; null/undefined/'' → null; anything else → error. */
function optionalText(fn: string, data: Json, key: string, original: unknown): string | null {
  const value = data[key];
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw bad(fn, `"${key}" to be a string or null`, original);
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** RFC3339 date-time with an offset or `Z` (fractions allowed). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The longest `ack` a callback may answer the gateway with (EPay wants `success`; others similar words). */
export const MAX_ACK_LENGTH = 200;

/** A non-negative decimal with at most two places. */
const MONEY = /^\d{1,13}(\.\d{1,2})?$/;

/**
 * An amount a gateway reports (`"12.3"`, `"12.30"`, `12.3`) as a two-place decimal string, or
 * null when `value` is absent or `''`. Not rounded: more than two places, a sign or anything that
 * is not a decimal is refused (a gateway reporting `12.345` paid is not believed to have paid `12.35`).
 * @throws PluginError script_error naming `fn` and the field
 */
export function readReportedAmount(fn: string, value: unknown, original: unknown = value): string | null {
  if (value === undefined || value === null || value === '') return null;
  const raw = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : null;
  if (raw === null || !MONEY.test(raw)) throw bad(fn, 'an "amount" (or "money") that is a decimal ≥ 0 with at most two places', original);
  return new Decimal(raw).toFixed(2);
}

/**
 * `create_payment()`: `{gateway_payment_id, payment_url?, qr_code?, instructions?}`; the id is
 * required, the others are strings or null (`''` counts as null).
 * @throws PluginError script_error
 */
export function readCreatedPayment(value: unknown): CreatedGatewayPayment {
  const data = asData(value);
  const expected = '{"gateway_payment_id": "…", "payment_url": "…"|null, "qr_code": "…"|null, "instructions": "…"|null}';
  if (!isObject(data)) throw bad('create_payment', expected, value);
  const gatewayPaymentId = optionalText('create_payment', data, 'gateway_payment_id', value);
  if (gatewayPaymentId === null) throw bad('create_payment', `a non-empty "gateway_payment_id" in ${expected}`, value);
  return {
    gatewayPaymentId,
    paymentUrl: optionalText('create_payment', data, 'payment_url', value),
    qrCode: optionalText('create_payment', data, 'qr_code', value),
    instructions: optionalText('create_payment', data, 'instructions', value),
  };
}

function readStatus(fn: string, data: Json, original: unknown): GatewayStatus {
  const status = typeof data.status === 'string' ? data.status.trim().toLowerCase() : '';
  const known = GATEWAY_STATUSES.find((item) => item === status);
  if (known === undefined) throw bad(fn, `a "status" of ${GATEWAY_STATUSES.map((item) => `"${item}"`).join(', ')}`, original);
  return known;
}

/**
 * `query_payment()`, `handle_callback()` or `refund()` (`fn` names which): `{payment_id,
 * gateway_tx_id?, status, paid_at?, amount?|money?, raw_response?}`.
 * - `payment_id` is required, except that `expectedPaymentId` (query and refund know which payment
 *   they asked about) fills it in when missing; a report about another payment is refused.
 * - `status` is one of {@link GATEWAY_STATUSES} (case-insensitive).
 * - `paid_at`, when given, is RFC3339 (the gateway's own text is kept).
 * - `amount` (or the EPay word `money`), when given, is a decimal with at most two places.
 * @throws PluginError script_error
 */
export function readGatewayReport(fn: string, value: unknown, expectedPaymentId?: string): GatewayReport {
  const data = asData(value);
  if (!isObject(data)) throw bad(fn, '{"payment_id","gateway_tx_id","status","paid_at","amount"}', value);
  const reported = optionalText(fn, data, 'payment_id', value);
  if (reported === null && expectedPaymentId === undefined) throw bad(fn, 'a non-empty "payment_id"', value);
  if (reported !== null && expectedPaymentId !== undefined && reported !== expectedPaymentId) {
    throw new PluginError('script_error', `${fn}() reported payment ${JSON.stringify(reported.slice(0, 80))}, but was asked about ${expectedPaymentId}`);
  }
  const paidAt = optionalText(fn, data, 'paid_at', value);
  if (paidAt !== null && (!RFC3339.test(paidAt) || Number.isNaN(Date.parse(paidAt)))) {
    throw bad(fn, 'a "paid_at" in RFC3339 (e.g. "2026-01-02T03:04:05+08:00") or null', value);
  }
  return {
    paymentId: reported ?? expectedPaymentId ?? '',
    gatewayTxId: optionalText(fn, data, 'gateway_tx_id', value),
    status: readStatus(fn, data, value),
    paidAt,
    amount: readReportedAmount(fn, data.amount !== undefined && data.amount !== null && data.amount !== '' ? data.amount : data.money, value),
  };
}

/**
 * `handle_callback()`: a {@link readGatewayReport} report plus `ack` (text, default `"success"`)
 * and `duplicate` (`duplicate: true`, or the guide's `raw_response: "duplicate"`).
 * @throws PluginError script_error
 */
export function readCallbackReport(value: unknown): GatewayCallbackReport {
  const report = readGatewayReport('handle_callback', value);
  const data = asData(value) as Json;
  const ack = optionalText('handle_callback', data, 'ack', value) ?? 'success';
  if (ack.length > MAX_ACK_LENGTH || /\p{Cc}/u.test(ack)) throw bad('handle_callback', `an "ack" of at most ${MAX_ACK_LENGTH} characters without control characters`, value);
  const duplicate = data.duplicate === true || data.duplicate === 'true' || data.raw_response === 'duplicate';
  return { ...report, ack, duplicate };
}
