/**
 * Calls into payment gateway plugins (plugin guide: 契约函数详解, PaymentGateway — `create_payment`,
 * `query_payment`, `handle_callback`, `refund`; rustbill-docs.md PaymentService: CreatePayment,
 * QueryPaymentStatus, HandleCallback, RefundPayment): each runs one contract function of an enabled
 * gateway interface and reads its result into a typed shape (gateway-results.ts). Nothing here
 * writes a table or decides about money: whether a report changes a payment (its amount equal to
 * the payment's, the status transition allowed, the callback applied once) is the payment
 * service's business, which calls these. Money is a decimal string with two places (`"12.30"`).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { isUuid } from '../../lib/ids.ts';
import { PluginInterface } from '../../persistence/entities/plugins.ts';
import { PluginRegistryError } from './errors.ts';
import {
  readCallbackReport, readCreatedPayment, readGatewayReport, type CreatedGatewayPayment, type GatewayCallbackReport, type GatewayReport,
} from './gateway-results.ts';
import type { InterfaceScripts } from './interface-scripts.ts';
import { describeInterface } from './rules.ts';

export type { CreatedGatewayPayment, GatewayCallbackReport, GatewayReport, GatewayStatus } from './gateway-results.ts';

/** A payment to open at a gateway (`create_payment`'s business fields). */
export interface GatewayPaymentRequest {
  /** NodeBill's payment id (the gateway's `out_trade_no`); non-empty. */
  paymentId: string;
  /** The amount to pay: a decimal string with exactly two places, greater than 0 (`"12.30"`). */
  amount: string;
  /** What is being paid, shown on the payment page. */
  description: string;
  /**
   * Where the customer's browser returns after paying; `null` or `''`: the interface's configured
   * `return_url` (if any) is left to apply.
   */
  returnUrl: string | null;
  /**
   * Where the gateway sends its notification (usually `callbackUrl([server] public_url, interfaceId)`,
   * src/domain/payments/callback-url.ts); `null` or `''`: the interface's configured `notify_url`.
   */
  notifyUrl: string | null;
}

/** A two-place decimal amount > 0, e.g. `"12.30"`. */
const PAYMENT_AMOUNT = /^\d{1,10}\.\d{2}$/;

/** The longest `payload` handed to handle_callback (the callback route's body limit). */
export const MAX_CALLBACK_PAYLOAD_BYTES = 64 * 1024;

/**
 * Why `row` cannot run gateway functions, or null when it can: it must be a gateway interface.
 * (Missing or disabled interfaces are the caller's not_found.)
 */
export function gatewayRefusal(row: Pick<PluginInterface, 'displayName' | 'pluginType' | 'pluginId'>, fn: string): PluginRegistryError | null {
  if (row.pluginType === 'gateway') return null;
  return new PluginRegistryError('failed_precondition', `${describeInterface(row)} is not a payment gateway; ${fn} needs a gateway interface`);
}

function amountRefusal(field: string, amount: string): PluginRegistryError {
  return new PluginRegistryError('invalid_argument', `${field} "${amount.slice(0, 40)}" must be a decimal greater than 0 with exactly two places, e.g. "12.30"`);
}

/**
 * See the file comment. Every method needs an enabled gateway interface: it throws
 * {@link PluginRegistryError} not_found (no such interface — a malformed id included — or disabled),
 * failed_precondition (not a gateway) or invalid_argument (a malformed amount or empty payment id,
 * before any script runs), and {@link PluginError} when the script fails (an `ERROR: …` result is
 * `script_error` with the script's message; timeouts and failed outbound calls keep their kinds)
 * or returns something unusable (`script_error` saying what was expected).
 */
export class GatewayCalls {
  private readonly orm: MikroORM;
  private readonly scripts: InterfaceScripts;
  private readonly log: Logger;

  constructor(deps: { orm: MikroORM; scripts: InterfaceScripts; log: Logger }) {
    this.orm = deps.orm;
    this.scripts = deps.scripts;
    this.log = deps.log;
  }

  /**
   * `create_payment(payment_id, amount, description, return_url?, notify_url?)` → where the
   * customer pays (`gateway_payment_id` required; URL, QR code and instructions each optional).
   * The amount travels as given (`"12.30"`); `money` carries the same text for scripts written to
   * the guide's `money` parameter name.
   * @throws see the class comment
   */
  async createPayment(interfaceId: string, request: GatewayPaymentRequest): Promise<CreatedGatewayPayment> {
    if (request.paymentId.trim() === '') throw new PluginRegistryError('invalid_argument', 'payment_id is required');
    if (!PAYMENT_AMOUNT.test(request.amount) || /^0+\.00$/.test(request.amount)) throw amountRefusal('amount', request.amount);
    const row = await this.gateway(interfaceId, 'create_payment');
    const args: Record<string, unknown> = {
      payment_id: request.paymentId,
      amount: request.amount,
      money: request.amount,
      description: request.description,
      ...(request.returnUrl ? { return_url: request.returnUrl } : {}),
      ...(request.notifyUrl ? { notify_url: request.notifyUrl } : {}),
    };
    const created = readCreatedPayment(await this.scripts.call(row, 'create_payment', args));
    this.log.info({ interfaceId: row.id, paymentId: request.paymentId, gatewayPaymentId: created.gatewayPaymentId }, 'gateway payment created');
    return created;
  }

  /**
   * `query_payment(payment_id)` → the gateway's view of the payment (a report naming another
   * payment is refused; one naming none is taken to be about `paymentId`).
   * @throws see the class comment
   */
  async queryPayment(interfaceId: string, paymentId: string): Promise<GatewayReport> {
    if (paymentId.trim() === '') throw new PluginRegistryError('invalid_argument', 'payment_id is required');
    const row = await this.gateway(interfaceId, 'query_payment');
    return readGatewayReport('query_payment', await this.scripts.call(row, 'query_payment', { payment_id: paymentId }), paymentId);
  }

  /**
   * `handle_callback(payload)`: the plugin verifies one gateway notification (signature, merchant,
   * its own duplicate suppression) and reports which payment it is about, its status and — when the
   * gateway says — the amount paid, which the caller must compare with the payment's own amount.
   * `ack` is what to answer the gateway (default `"success"`); `duplicate` is true for a
   * notification the plugin already accepted once.
   * @param payload the raw notification: the query string of a GET, or the body of a POST (≤ 64 KiB)
   * @throws see the class comment; PluginRegistryError invalid_argument for a payload over 64 KiB.
   *   A forged or mismatching notification is a PluginError script_error (e.g. "invalid signature").
   */
  async handleCallback(interfaceId: string, payload: string): Promise<GatewayCallbackReport> {
    if (Buffer.byteLength(payload, 'utf8') > MAX_CALLBACK_PAYLOAD_BYTES) {
      throw new PluginRegistryError('invalid_argument', `the callback payload is larger than ${MAX_CALLBACK_PAYLOAD_BYTES} bytes`);
    }
    const row = await this.gateway(interfaceId, 'handle_callback');
    const report = readCallbackReport(await this.scripts.call(row, 'handle_callback', { payload }));
    this.log.info({ interfaceId: row.id, paymentId: report.paymentId, status: report.status, duplicate: report.duplicate }, 'gateway callback verified');
    return report;
  }

  /**
   * `refund(payment_id, amount)` → the gateway's report (`refunded` when it accepted). A refusal by
   * the gateway (too much, not paid) is the script's `ERROR: …`, a PluginError script_error.
   * @param amount a decimal > 0 with two places (`"5.00"`), or `''` for a full refund (RefundPayment:
   *   空字符串=全额退款)
   * @throws see the class comment
   */
  async refund(interfaceId: string, paymentId: string, amount: string): Promise<GatewayReport> {
    if (paymentId.trim() === '') throw new PluginRegistryError('invalid_argument', 'payment_id is required');
    if (amount !== '' && (!PAYMENT_AMOUNT.test(amount) || /^0+\.00$/.test(amount))) throw amountRefusal('refund amount', amount);
    const row = await this.gateway(interfaceId, 'refund');
    const report = readGatewayReport('refund', await this.scripts.call(row, 'refund', { payment_id: paymentId, amount }), paymentId);
    this.log.info({ interfaceId: row.id, paymentId, amount: amount === '' ? 'full' : amount, status: report.status }, 'gateway refund answered');
    return report;
  }

  /** An enabled gateway interface. @throws PluginRegistryError (see the class comment) */
  private async gateway(id: string, fn: string): Promise<PluginInterface> {
    const row = isUuid(id) ? await this.orm.em.fork().findOne(PluginInterface, { id }) : null;
    if (!row || !row.enabled) throw new PluginRegistryError('not_found', `gateway interface ${id.slice(0, 64)} does not exist or is disabled`);
    const refusal = gatewayRefusal(row, fn);
    if (refusal) throw refusal;
    return row;
  }
}
