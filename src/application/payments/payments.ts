/**
 * PaymentService's changes (rustbill-docs.md PaymentService; issue 8): CreatePayment for an order
 * through a gateway (or the balance method); QueryPaymentStatus asks the gateway and settles a paid
 * payment; HandleCallback (and the `/callback/{interface_id}` route) has the gateway plugin verify
 * the notification, then settles the payment once — a repeated notification answers AlreadyExists
 * and changes nothing, one whose amount differs is refused; RefundPayment gives back all or part
 * of a payment (never more than was paid) through its gateway or to the balance. Settling and
 * refunding are commands to the customer's actor, keyed so that a repeat applies nothing twice.
 */
import type pg from 'pg';
import { isUuid } from '../../lib/ids.ts';
import { DomainError, invalid, notFound } from '../../domain/errors.ts';
import type { Origin } from '../../domain/origin.ts';
import { BALANCE_METHOD_ID } from '../../domain/payments/balance-method.ts';
import { refundAmount, type PaymentState } from '../../domain/payments/payment.ts';
import type { RefundRoute } from '../../domain/accounts/account.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import { commandKey } from '../customers/customer-accounts.ts';
import type { MoneyReads } from '../money-reads.ts';
import type { Orders, OrderPayment } from '../orders/orders.ts';
import type { GatewayReport, PaymentGateways } from './gateway-port.ts';
import { requirePayment, startGatewayPayment } from './gateway-payments.ts';
import { formatMoney } from '../../domain/money.ts';

/** What the callback route answers (src/grpc/payment-callback-route.ts). */
export type CallbackOutcome =
  | { kind: 'applied'; ack: string }
  | { kind: 'duplicate'; ack: string }
  | { kind: 'refused'; message: string }
  | { kind: 'unavailable' };

/** See the file comment. Methods throw DomainError for refused requests. */
export class Payments {
  private readonly pool: pg.Pool;
  private readonly accounts: AccountCommands;
  private readonly gateways: PaymentGateways;
  private readonly reads: MoneyReads;
  private readonly orders: Orders;

  constructor(deps: { pool: pg.Pool; accounts: AccountCommands; gateways: PaymentGateways; reads: MoneyReads; orders: Orders }) {
    this.pool = deps.pool;
    this.accounts = deps.accounts;
    this.gateways = deps.gateways;
    this.reads = deps.reads;
    this.orders = deps.orders;
  }

  /**
   * CreatePayment for an order or an issued/overdue invoice (of the caller, when a customer):
   * through a gateway (a pending payment and where to pay it), or with the balance method (paid at
   * once from balance + credit limit).
   * @throws DomainError invalid_argument (neither or both of order_id / invoice_id), not_found,
   *   failed_precondition (not payable, insufficient_funds), unavailable (gateway failed)
   */
  async create(origin: Origin, input: { customerId?: string; orderId: string; invoiceId: string; gatewayInterfaceId: string; returnUrl: string }, clientKey?: string | null): Promise<OrderPayment> {
    if ((input.orderId === '') === (input.invoiceId === '')) throw invalid('exactly one of order_id and invoice_id is required');
    if (input.invoiceId !== '') return this.payInvoice(origin, { ...input, invoiceId: input.invoiceId }, clientKey);
    if (input.gatewayInterfaceId === BALANCE_METHOD_ID) {
      const paid = await this.orders.pay(origin, input.orderId, BALANCE_METHOD_ID, clientKey);
      return paid.payment;
    }
    return this.orders.payThroughGateway(origin, input.orderId, input.customerId, input.gatewayInterfaceId, input.returnUrl, commandKey(clientKey));
  }

  /** Pays what is due on an invoice, from the balance or through a gateway. */
  private async payInvoice(origin: Origin, input: { customerId?: string; invoiceId: string; gatewayInterfaceId: string; returnUrl: string }, clientKey?: string | null): Promise<OrderPayment> {
    const { rows } = await this.pool.query<{ customer_id: string; invoice_number: string; status: string; due: string }>(
      `select customer_id, invoice_number, status, (total_amount - paid_amount)::text as due from invoices where id = $1${input.customerId ? ' and customer_id = $2' : ''}`,
      input.customerId ? [input.invoiceId, input.customerId] : [input.invoiceId],
    );
    const invoice = rows[0];
    if (!invoice) throw notFound(`invoice ${input.invoiceId} does not exist`);
    const key = commandKey(clientKey);
    if (input.gatewayInterfaceId === BALANCE_METHOD_ID) {
      const outcome = await this.accounts.run(invoice.customer_id, { type: 'pay_invoice', invoiceId: input.invoiceId }, { origin, key });
      return { payment: requirePayment(outcome.result), paymentUrl: '', qrCode: '', instructions: '' };
    }
    if (invoice.status !== 'issued' && invoice.status !== 'overdue') {
      throw new DomainError('failed_precondition', `invoice ${invoice.invoice_number} is ${invoice.status}; only an issued or overdue invoice can be paid`, 'invalid_transition');
    }
    return startGatewayPayment({ gateways: this.gateways, accounts: this.accounts }, origin, {
      customerId: invoice.customer_id, kind: 'invoice', orderId: null, invoiceId: input.invoiceId, amount: formatMoney(invoice.due), currency: 'CNY',
      gatewayInterfaceId: input.gatewayInterfaceId, returnUrl: input.returnUrl, description: `Invoice ${invoice.invoice_number}`, key,
    });
  }

  /**
   * QueryPaymentStatus (admin): a pending gateway payment is asked about, and settled (or marked
   * failed) when the gateway says so.
   * @throws DomainError not_found, unavailable (gateway failed)
   */
  async query(origin: Origin, paymentId: string): Promise<PaymentState> {
    const payment = await this.reads.payment(paymentId);
    if (payment.status !== 'pending' || payment.gatewayInterfaceId === BALANCE_METHOD_ID) return payment;
    const report = await this.gatewayCall(() => this.gateways.query(payment.gatewayInterfaceId, payment.id));
    return this.apply(origin, payment, report);
  }

  /**
   * HandleCallback: the gateway plugin verifies the notification; a successful payment is settled
   * once.
   * @throws DomainError already_exists (settled before), invalid_argument (unverifiable
   *   notification, amount mismatch), not_found (unknown payment)
   */
  async handleCallback(origin: Origin, gatewayInterfaceId: string, payload: string): Promise<{ payment: PaymentState; ack: string }> {
    if (payload.length > 64 * 1024) throw invalid('payload must be at most 64 KiB');
    let report: GatewayReport & { ack: string; duplicate: boolean };
    try {
      report = await this.gateways.callback(gatewayInterfaceId, payload);
    } catch (error) {
      if (error instanceof DomainError && error.kind !== 'invalid_argument') throw error;
      throw invalid(`the gateway refused the notification: ${error instanceof Error ? error.message.slice(0, 300) : 'unverifiable'}`);
    }
    const payment = await this.paymentOfGateway(gatewayInterfaceId, report.paymentId);
    if (report.duplicate && payment.status !== 'pending') throw new DomainError('already_exists', `payment ${payment.id} was already settled; this notification changes nothing`, 'already_settled');
    return { payment: await this.apply(origin, payment, report), ack: report.ack };
  }

  /** The `/callback/{interface_id}` route: HandleCallback in HTTP terms (the body the gateway expects). */
  async callbackRoute(origin: Origin, gatewayInterfaceId: string, payload: string): Promise<CallbackOutcome> {
    try {
      const { ack } = await this.handleCallback(origin, gatewayInterfaceId, payload);
      return { kind: 'applied', ack };
    } catch (error) {
      if (!(error instanceof DomainError)) return { kind: 'unavailable' };
      if (error.kind === 'already_exists') return { kind: 'duplicate', ack: 'success' };
      if (error.kind === 'unavailable') return { kind: 'unavailable' };
      return { kind: 'refused', message: error.message };
    }
  }

  /**
   * RefundPayment (admin): `amount` empty means what remains. A balance payment is refunded to the
   * balance; a gateway payment through its gateway, or to the balance when `route` says so.
   * @throws DomainError not_found, invalid_argument (amount), failed_precondition (not paid,
   *   refunded already, insufficient funds to take back a recharge), unavailable (gateway refused)
   */
  async refund(origin: Origin, paymentId: string, requested: string, route: RefundRoute | null, clientKey?: string | null): Promise<PaymentState> {
    const payment = await this.reads.payment(paymentId);
    const amount = refundAmount(payment, requested);
    const via: RefundRoute = payment.gatewayInterfaceId === BALANCE_METHOD_ID ? 'balance' : (route ?? 'gateway');
    if (payment.kind === 'recharge' && via === 'balance') throw invalid('a recharge is refunded through its gateway (refunding it to the balance would change nothing)');
    const key = commandKey(clientKey);
    if (via === 'gateway') {
      await this.gatewayCall(() => this.gateways.refund(payment.gatewayInterfaceId, payment.id, amount));
    }
    const outcome = await this.accounts.run(payment.customerId, { type: 'refund_payment', paymentId, amount, route: via }, { origin, key });
    return requirePayment(outcome.result);
  }

  private async apply(origin: Origin, payment: PaymentState, report: GatewayReport): Promise<PaymentState> {
    if (report.status === 'success') {
      const outcome = await this.accounts.run(payment.customerId, { type: 'settle_payment', paymentId: payment.id, gatewayTxId: report.gatewayTxId, reportedAmount: report.amount }, { origin, key: `settle:${payment.id}` });
      // The same report applied before (a repeated notification racing the first): nothing changes.
      if (outcome.replayed) throw new DomainError('already_exists', `payment ${payment.id} was already settled; this notification changes nothing`, 'already_settled');
      return requirePayment(outcome.result);
    }
    if (report.status === 'failed') {
      const outcome = await this.accounts.run(payment.customerId, { type: 'fail_payment', paymentId: payment.id }, { origin, key: `fail:${payment.id}` });
      return requirePayment(outcome.result);
    }
    return payment;
  }

  private async paymentOfGateway(gatewayInterfaceId: string, paymentId: string): Promise<PaymentState> {
    const { rows } = isUuid(paymentId) ? await this.pool.query<{ id: string }>('select id from payments where id = $1 and gateway_interface_id = $2', [paymentId, gatewayInterfaceId]) : { rows: [] };
    if (!rows[0]) throw notFound(`the gateway notified payment "${paymentId.slice(0, 64)}", which this gateway interface never created`);
    return this.reads.payment(rows[0].id);
  }

  private async gatewayCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError('unavailable', `the payment gateway failed: ${error instanceof Error ? error.message.slice(0, 300) : 'unknown error'}`);
    }
  }
}
