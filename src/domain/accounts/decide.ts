/**
 * `decideAccount(view, command)`: the pure rule behind every money change of a customer (issue 8).
 * It returns the new customer and order states, the ledger entries (with balance before and after),
 * the payment rows, the instance row and the outbox events to commit together, or throws a
 * DomainError (insufficient_funds, invalid_transition, already_settled, amount_mismatch, …) and
 * nothing is written. Ids and the time are injected (`at`), so the same inputs give the same
 * decision. No I/O.
 */
import { Decimal } from 'decimal.js';
import { DomainError, invalid, notFound, refused } from '../errors.ts';
import { post, type LedgerEntry, type LedgerType } from '../ledger/ledger.ts';
import { formatMoney } from '../money.ts';
import { checkManualTransition, holdsMoney, transition, type OrderState } from '../orders/order.ts';
import { BALANCE_METHOD_ID } from '../payments/balance-method.ts';
import { checkSettlement, refunded, type PaymentState } from '../payments/payment.ts';
import type { CustomerState } from '../customers/customer.ts';
import { newOrderRefusals, overdueOf } from '../crm/credit-risk.ts';
import { firstPeriod, nextPeriod, type ServicePeriod } from '../billing/service-period.ts';
import { planChangeAmounts, prorate } from '../billing/proration.ts';
import type { AccountCommand, AccountDecision, AccountNeeds, AccountView, InvoiceDue, OutboxWrite, ServiceEndReason } from './account.ts';

/** The time and id source of a decision. */
export interface DecisionContext {
  /** RFC3339 UTC. */
  now: string;
  /** A new UUID v7 per call. */
  newId: () => string;
}

/** What {@link decideAccount} needs loaded for `command`. */
export function accountNeeds(command: AccountCommand): AccountNeeds {
  switch (command.type) {
    case 'create_order':
    case 'adjust_balance':
    case 'set_balance':
      return { orderId: null, paymentId: null, invoiceId: null, orderPayments: false };
    case 'pay_invoice':
      return { orderId: null, paymentId: null, invoiceId: command.invoiceId, orderPayments: false };
    case 'start_payment':
      return { orderId: command.payment.orderId, paymentId: null, invoiceId: command.payment.invoiceId, orderPayments: false };
    case 'settle_payment':
    case 'fail_payment':
    case 'refund_payment':
      return { orderId: null, paymentId: command.paymentId, invoiceId: null, orderPayments: false };
    case 'delete_order':
    case 'fail_provisioning':
      return { orderId: command.orderId, paymentId: null, invoiceId: null, orderPayments: true };
    case 'pay_order':
    case 'update_order':
    case 'cancel_unpaid_order':
    case 'start_provisioning':
    case 'complete_provisioning':
    case 'roll_service_period':
    case 'start_service_period':
    case 'change_plan':
      return { orderId: command.orderId, paymentId: null, invoiceId: null, orderPayments: false };
    case 'suspend_service':
      return { orderId: command.orderId, paymentId: null, invoiceId: command.invoiceId, orderPayments: false };
    case 'end_service':
    case 'cancel_at_period_end':
      return { orderId: command.orderId, paymentId: null, invoiceId: command.invoiceId, orderPayments: false };
  }
}

/**
 * Whether `command` is decided on the customer's overdue standing (AccountView.standing): a new
 * order is refused to a customer at credit risk level red (issue 10).
 */
export function needsCreditStanding(command: AccountCommand): boolean {
  return command.type === 'create_order';
}

/**
 * Refuses a new order of a customer at credit risk level red (crm-customer-controller.md
 * "信用风险等级": over the credit limit, or more than 30 days overdue), naming the reasons.
 * @throws DomainError failed_precondition, reason `credit_risk_red`
 */
function refuseRedCustomer(view: AccountView, now: string): void {
  if (!view.standing) return;
  const overdue = overdueOf(view.standing, now);
  const reasons = newOrderRefusals({ balance: view.customer.balance, creditLimit: view.customer.creditLimit, overdueDays: overdue.days, overdueSource: overdue.source ?? 'invoice' });
  if (reasons.length > 0) {
    throw new DomainError('failed_precondition', `customer ${view.customer.id} is at credit risk level red and cannot place new orders: ${reasons.join('; ')}`, 'credit_risk_red');
  }
}

/** The order a payment pays for is loaded after the payment (its id is on the payment row). */
export function followUpOrderId(command: AccountCommand, payment: PaymentState | null): string | null {
  if (command.type !== 'settle_payment' && command.type !== 'refund_payment') return null;
  return payment?.kind === 'order' ? payment.orderId : null;
}

/** Likewise the invoice a payment pays for. */
export function followUpInvoiceId(command: AccountCommand, payment: PaymentState | null): string | null {
  if (command.type !== 'settle_payment') return null;
  return payment?.kind === 'invoice' ? payment.invoiceId : null;
}

/** What is still due on `invoice`. @throws DomainError not_found (another customer's), failed_precondition (not payable, nothing due) */
export function invoiceDue(view: AccountView, invoiceId: string): Decimal {
  const invoice = view.invoice;
  if (!invoice || invoice.id !== invoiceId || invoice.customerId !== view.customer.id) throw notFound(`invoice ${invoiceId} does not exist`);
  if (invoice.status !== 'issued' && invoice.status !== 'overdue') {
    throw new DomainError('failed_precondition', `invoice ${invoice.invoiceNumber} is ${invoice.status}; only an issued or overdue invoice can be paid`, 'invalid_transition');
  }
  const due = new Decimal(invoice.totalAmount).minus(invoice.paidAmount);
  if (due.lessThanOrEqualTo(0)) throw new DomainError('failed_precondition', `invoice ${invoice.invoiceNumber} has nothing left to pay`, 'invalid_transition');
  return due;
}

/** The invoice after `amount` was paid on it at `now`: paid once nothing is due. */
function invoicePaid(draft: Draft, invoice: InvoiceDue, amount: Decimal, now: string): InvoiceDue {
  const paidAmount = new Decimal(invoice.paidAmount).plus(amount);
  const after = { ...invoice, paidAmount: formatMoney(paidAmount), status: paidAmount.greaterThanOrEqualTo(invoice.totalAmount) ? 'paid' : invoice.status };
  draft.decision.invoices.push({ row: { ...after, paidAt: after.status === 'paid' ? now : null }, expectedStatus: invoice.status });
  if (after.status === 'paid') {
    draft.event('invoice_paid', null, { invoice_id: invoice.id, invoice_number: invoice.invoiceNumber, amount: formatMoney(amount) });
    restoreService(draft, invoice, now);
  }
  return after;
}

/**
 * A paid renewal invoice restores the service it suspended (issue 11): the order becomes active in
 * the same transaction as the payment, and `service_restored` asks the provider to resume the
 * instance. Needs the renewal's order in the view (the actor loads it with the invoice).
 */
function restoreService(draft: Draft, invoice: InvoiceDue, now: string): void {
  const order = draft.view.order;
  if (!invoice.renewal || !order || order.id !== invoice.renewal.orderId || order.status !== 'suspended') return;
  const restored = transition(order, 'active', now);
  draft.decision.orders.push({ op: 'update', row: restored });
  draft.event('service_restored', order.id, { order_id: order.id, invoice_id: invoice.id, invoice_number: invoice.invoiceNumber, product_name: order.productName });
}

/** The first period of a service that becomes active at `now`, with its anchor day. */
function servicePeriodFrom(order: OrderState, now: string): Pick<OrderState, 'periodStart' | 'periodEnd' | 'anchorDay' | 'periodPrice'> {
  const period = firstPeriod(now, order.billingCycle);
  return { periodStart: period.start, periodEnd: period.end, anchorDay: new Date(now).getUTCDate(), periodPrice: order.periodPrice ?? order.amount };
}

/** The current period of an active service. @throws DomainError failed_precondition when it has none */
function currentPeriod(order: OrderState): ServicePeriod {
  if (order.periodStart === null || order.periodEnd === null) {
    throw new DomainError('failed_precondition', `order ${order.id} has no billing period yet (it is ${order.status}); only an active service has one`, 'invalid_transition');
  }
  return { start: order.periodStart, end: order.periodEnd };
}

/** True when an invoice still waits for its money. */
function unpaid(invoice: InvoiceDue | null): invoice is InvoiceDue {
  return invoice !== null && (invoice.status === 'issued' || invoice.status === 'overdue');
}

/**
 * Cancels the unpaid renewal invoice `invoiceId` of `order` in `draft` (fenced by its status); what
 * was already paid on it (a part payment) is credited back to the balance, never kept.
 */
function cancelRenewalInvoice(draft: Draft, view: AccountView, invoiceId: string | null, orderId: string): InvoiceDue | null {
  const invoice = view.invoice;
  if (invoiceId === null || !invoice || invoice.id !== invoiceId || invoice.renewal?.orderId !== orderId || !unpaid(invoice)) return null;
  draft.decision.invoices.push({ row: { ...invoice, status: 'cancelled', paidAt: null }, expectedStatus: invoice.status });
  const paid = new Decimal(invoice.paidAmount);
  if (paid.greaterThan(0)) draft.post('refund', paid, invoice.id, `part payment of cancelled invoice ${invoice.invoiceNumber} credited back`);
  return invoice;
}

/** True when `invoice` is the unpaid renewal of `order`'s current period (the period is not paid for). */
function currentPeriodUnpaid(invoice: InvoiceDue | null, order: OrderState): boolean {
  return unpaid(invoice) && invoice.renewal?.orderId === order.id && order.periodStart !== null
    && Date.parse(invoice.renewal.periodStart) === Date.parse(order.periodStart);
}

const END_WORDS: Record<ServiceEndReason, string> = {
  unpaid: 'the renewal invoice was not paid',
  period_end: 'it was cancelled at the end of its period',
  cancelled: 'it was cancelled',
};

class Draft {
  customer: CustomerState;
  readonly decision: AccountDecision;
  readonly view: AccountView;
  private readonly at: DecisionContext;
  private balanceMoved = false;

  constructor(view: AccountView, at: DecisionContext, audit: AccountDecision['audit']) {
    this.customer = view.customer;
    this.view = view;
    this.at = at;
    this.decision = { customer: null, orders: [], payments: [], invoices: [], ledger: [], instances: [], events: [], redemptions: [], audit, result: {} };
  }

  post(type: LedgerType, amount: Decimal, referenceId: string | null, description: string): LedgerEntry {
    const { entry, balance } = post(this.customer, { id: this.at.newId(), type, amount: formatMoney(amount), referenceId, description });
    this.customer = { ...this.customer, balance };
    this.balanceMoved = true;
    this.decision.ledger.push(entry);
    return entry;
  }

  event(eventType: OutboxWrite['eventType'], orderId: string | null, payload: Record<string, unknown>): void {
    this.decision.events.push({ id: this.at.newId(), eventType, orderId, payload: { ...payload, customer_id: this.customer.id, at: this.at.now } });
  }

  finish(): AccountDecision {
    // Every command bumps the customer's version: the fence that serializes all writers of this
    // account (a stale actor elsewhere loses at commit instead of writing around this one).
    const customer = { ...this.customer, version: this.customer.version + 1, updatedAt: this.balanceMoved ? this.at.now : this.customer.updatedAt };
    return { ...this.decision, customer };
  }
}

function requireOrder(view: AccountView, orderId: string): OrderState {
  if (!view.order || view.order.id !== orderId || view.order.customerId !== view.customer.id) throw notFound(`order ${orderId} does not exist`);
  return view.order;
}

function requirePayment(view: AccountView, paymentId: string): PaymentState {
  if (!view.payment || view.payment.id !== paymentId || view.payment.customerId !== view.customer.id) throw notFound(`payment ${paymentId} does not exist`);
  return view.payment;
}

function payable(order: OrderState): void {
  if (order.status !== 'pending') {
    throw new DomainError('failed_precondition', `order ${order.id} is ${order.status}; only a pending order can be paid`, 'invalid_transition');
  }
}

/** Pays a pending order from the balance: ledger debit, successful payment row, order paid, `order_paid`. */
function payFromBalance(draft: Draft, order: OrderState, at: DecisionContext): OrderState {
  payable(order);
  const paymentId = at.newId();
  // A free order (a promotion took its whole price) is paid with no ledger entry: the ledger holds no zero amounts.
  const entry = new Decimal(order.amount).isZero() ? undefined : draft.post('payment', new Decimal(order.amount).negated(), order.id, `payment for order ${order.id} (${order.productName})`);
  const payment: PaymentState = {
    id: paymentId, customerId: order.customerId, kind: 'order', orderId: order.id, invoiceId: null, amount: order.amount, refundedAmount: '0.00',
    currency: order.currency, gatewayInterfaceId: BALANCE_METHOD_ID, gatewayPaymentId: paymentId, gatewayTxId: entry?.id ?? null, status: 'success',
    paymentUrl: null, qrCode: null, instructions: null, returnUrl: null, paidAt: at.now, createdAt: at.now, updatedAt: at.now,
  };
  draft.decision.payments.push({ op: 'insert', row: payment });
  const paid = { ...transition(order, 'paid', at.now), paidAt: at.now, gatewayInterfaceId: BALANCE_METHOD_ID, gatewayPaymentId: paymentId };
  draft.event('order_paid', order.id, { order_id: order.id, payment_id: paymentId, amount: order.amount });
  draft.decision.result = { order: paid, payment, ...(entry ? { entry } : {}) };
  return paid;
}

/**
 * Decides `command` on `view` at `at`. See the file comment.
 * @throws DomainError not_found (order or payment of another customer or missing), failed_precondition
 *   (insufficient_funds, invalid_transition, inactive customer), invalid_argument (manual
 *   transition, amount mismatch), already_exists (payment settled already)
 */
export function decideAccount(view: AccountView, command: AccountCommand, at: DecisionContext): AccountDecision {
  const customer = view.customer;
  switch (command.type) {
    case 'create_order': {
      if (!customer.isActive) throw refused(`customer ${customer.id} is inactive and cannot order`);
      refuseRedCustomer(view, at.now);
      const order: OrderState = {
        renewalAmount: null, periodPrice: null, promotionCode: null, discountAmount: '0.00', taxAmount: '0.00', periodStart: null, periodEnd: null, anchorDay: null, cancelAtPeriodEnd: false,
        ...command.order, customerId: customer.id, status: 'pending', providerInstanceId: null, gatewayPaymentId: null, paidAt: null,
        version: 1, createdAt: at.now, updatedAt: at.now,
      };
      const draft = new Draft(view, at, { action: 'order.create', targetType: 'order', targetId: order.id, details: { amount: order.amount, product_id: order.productId } });
      if (command.promotion) {
        draft.decision.redemptions.push({ id: at.newId(), promotionId: command.promotion.id, orderId: order.id, discountAmount: command.promotion.discount });
        draft.decision.audit.details.promotion_code = command.promotion.code;
      }
      const final = command.payFromBalance ? payFromBalance(draft, order, at) : order;
      draft.decision.orders.push({ op: 'insert', row: final });
      draft.decision.result = { ...draft.decision.result, order: final };
      return draft.finish();
    }
    case 'pay_order': {
      const order = requireOrder(view, command.orderId);
      const draft = new Draft(view, at, { action: 'order.pay', targetType: 'order', targetId: order.id, details: { amount: order.amount, method: 'balance' } });
      draft.decision.orders.push({ op: 'update', row: payFromBalance(draft, order, at) });
      return draft.finish();
    }
    case 'pay_invoice': {
      const due = invoiceDue(view, command.invoiceId);
      const invoice = view.invoice as InvoiceDue;
      const draft = new Draft(view, at, { action: 'invoice.pay', targetType: 'invoice', targetId: invoice.id, details: { amount: formatMoney(due), method: 'balance' } });
      const paymentId = at.newId();
      const entry = draft.post('payment', due.negated(), invoice.id, `payment of invoice ${invoice.invoiceNumber}`);
      const payment: PaymentState = {
        id: paymentId, customerId: customer.id, kind: 'invoice', orderId: null, invoiceId: invoice.id, amount: formatMoney(due), refundedAmount: '0.00',
        currency: 'CNY', gatewayInterfaceId: BALANCE_METHOD_ID, gatewayPaymentId: paymentId, gatewayTxId: entry.id, status: 'success',
        paymentUrl: null, qrCode: null, instructions: null, returnUrl: null, paidAt: at.now, createdAt: at.now, updatedAt: at.now,
      };
      draft.decision.payments.push({ op: 'insert', row: payment });
      draft.decision.result = { payment, entry, invoice: invoicePaid(draft, invoice, due, at.now) };
      return draft.finish();
    }
    case 'start_payment': {
      const input = command.payment;
      const draft = new Draft(view, at, { action: 'payment.create', targetType: 'payment', targetId: input.id, details: { amount: input.amount, kind: input.kind, gateway_interface_id: input.gatewayInterfaceId } });
      if (input.kind === 'invoice') {
        const due = invoiceDue(view, input.invoiceId ?? '');
        if (!due.equals(input.amount)) throw invalid(`the payment amount ${input.amount} differs from what the invoice has due (${formatMoney(due)})`);
      } else if (input.kind === 'order') {
        const order = requireOrder(view, input.orderId ?? '');
        payable(order);
        if (!new Decimal(input.amount).equals(order.amount)) throw invalid(`the payment amount ${input.amount} differs from the order's ${order.amount}`);
        draft.decision.orders.push({ op: 'update', row: { ...order, gatewayInterfaceId: input.gatewayInterfaceId, gatewayPaymentId: input.gatewayPaymentId, version: order.version + 1, updatedAt: at.now } });
      } else if (!customer.isActive) {
        throw refused(`customer ${customer.id} is inactive and cannot recharge`);
      }
      const payment: PaymentState = {
        ...input, customerId: customer.id, refundedAmount: '0.00', gatewayTxId: null, status: 'pending', paidAt: null, createdAt: at.now, updatedAt: at.now,
      };
      draft.decision.payments.push({ op: 'insert', row: payment });
      draft.decision.result = { payment };
      return draft.finish();
    }
    case 'settle_payment': {
      const payment = requirePayment(view, command.paymentId);
      checkSettlement(payment, command.reportedAmount);
      const draft = new Draft(view, at, { action: 'payment.settle', targetType: 'payment', targetId: payment.id, details: { amount: payment.amount, gateway_tx_id: command.gatewayTxId } });
      const paid: PaymentState = { ...payment, status: 'success', gatewayTxId: command.gatewayTxId, paidAt: at.now, updatedAt: at.now };
      draft.decision.payments.push({ op: 'update', row: paid });
      draft.decision.result = { payment: paid };
      if (payment.kind === 'recharge') {
        const entry = draft.post('recharge', new Decimal(payment.amount), payment.id, `recharge through gateway (payment ${payment.id})`);
        draft.event('balance_recharged', null, { payment_id: payment.id, amount: payment.amount });
        draft.decision.result = { payment: paid, entry };
        return draft.finish();
      }
      if (payment.kind === 'invoice') {
        const invoice = view.invoice && view.invoice.id === payment.invoiceId ? view.invoice : null;
        const payable = invoice && (invoice.status === 'issued' || invoice.status === 'overdue') && new Decimal(invoice.totalAmount).minus(invoice.paidAmount).greaterThanOrEqualTo(payment.amount);
        if (invoice && payable) {
          draft.decision.result = { payment: paid, invoice: invoicePaid(draft, invoice, new Decimal(payment.amount), at.now) };
          return draft.finish();
        }
      }
      const order = view.order && view.order.id === payment.orderId ? view.order : null;
      if (payment.kind === 'order' && order && order.status === 'pending') {
        const paidOrder = { ...transition(order, 'paid', at.now), paidAt: at.now, gatewayInterfaceId: payment.gatewayInterfaceId, gatewayPaymentId: payment.gatewayPaymentId };
        draft.decision.orders.push({ op: 'update', row: paidOrder });
        draft.event('order_paid', order.id, { order_id: order.id, payment_id: payment.id, amount: payment.amount });
        draft.decision.result = { payment: paid, order: paidOrder };
      } else {
        // The money arrived for an order that is no longer payable (cancelled by the unpaid-order
        // timeout, or paid another way meanwhile): no cent is lost — it is credited to the balance.
        // The payment is settled as refunded (to the balance) so it can never be refunded again.
        const what = payment.kind === 'invoice' ? `invoice ${payment.invoiceId ?? ''}, which has nothing due any more` : `order ${payment.orderId ?? ''} which is ${order?.status ?? 'gone'}`;
        const entry = draft.post('refund', new Decimal(payment.amount), payment.id, `payment ${payment.id} arrived for ${what}; credited to the balance`);
        const credited: PaymentState = { ...paid, status: 'refunded', refundedAmount: payment.amount };
        draft.decision.payments[draft.decision.payments.length - 1] = { op: 'update', row: credited };
        draft.event('payment_received', payment.orderId, { payment_id: payment.id, amount: payment.amount, credited_to_balance: true });
        draft.decision.result = { payment: credited, entry };
      }
      return draft.finish();
    }
    case 'fail_payment': {
      const payment = requirePayment(view, command.paymentId);
      if (payment.status !== 'pending') return noChange(view, { payment });
      const draft = new Draft(view, at, { action: 'payment.fail', targetType: 'payment', targetId: payment.id, details: {} });
      const failed: PaymentState = { ...payment, status: 'failed', updatedAt: at.now };
      draft.decision.payments.push({ op: 'update', row: failed });
      draft.decision.result = { payment: failed };
      return draft.finish();
    }
    case 'refund_payment': {
      const payment = requirePayment(view, command.paymentId);
      const amount = new Decimal(command.amount);
      const remaining = new Decimal(payment.amount).minus(payment.refundedAmount);
      if (payment.status !== 'success' || amount.greaterThan(remaining) || amount.lessThanOrEqualTo(0)) {
        throw new DomainError('failed_precondition', `payment ${payment.id} has ${formatMoney(remaining)} left to refund (status ${payment.status}); ${formatMoney(amount)} cannot be refunded`, 'invalid_transition');
      }
      const draft = new Draft(view, at, { action: 'payment.refund', targetType: 'payment', targetId: payment.id, details: { amount: formatMoney(amount), route: command.route } });
      const after = refunded(payment, formatMoney(amount), at.now);
      draft.decision.payments.push({ op: 'update', row: after });
      let entry: LedgerEntry | undefined;
      if (command.route === 'balance') {
        entry = draft.post('refund', amount, payment.id, `refund of payment ${payment.id} to the balance`);
      } else if (payment.kind === 'recharge') {
        // The recharge's money leaves through the gateway: take it off the balance it credited.
        entry = draft.post('refund', amount.negated(), payment.id, `recharge ${payment.id} refunded through the gateway`);
      }
      const order = view.order && view.order.id === payment.orderId ? view.order : null;
      let orderAfter: OrderState | undefined;
      if (order && after.status === 'refunded' && holdsMoney(order.status) && order.status !== 'refunded') {
        orderAfter = transition(order, 'refunded', at.now);
        draft.decision.orders.push({ op: 'update', row: orderAfter });
      }
      draft.event('payment_refunded', payment.orderId, { payment_id: payment.id, amount: formatMoney(amount), route: command.route, order_id: payment.orderId });
      draft.decision.result = { payment: after, ...(entry ? { entry } : {}), ...(orderAfter ? { order: orderAfter } : {}) };
      return draft.finish();
    }
    case 'set_balance': {
      if (customer.deletedAt !== null) throw refused(`customer ${customer.id} was deleted; its balance cannot be changed`);
      const target = new Decimal(command.balance);
      const floor = new Decimal(customer.creditLimit).negated();
      const amount = target.minus(customer.balance);
      // Like every debit (the ledger's floor): a credit toward the floor is fine even below it.
      if (amount.isNegative() && target.lessThan(floor)) {
        throw refused(`a balance of ${formatMoney(target)} is below what the credit limit of ${formatMoney(customer.creditLimit)} allows (${formatMoney(floor)}); raise the credit limit first`);
      }
      if (amount.isZero()) return noChange(view, {});
      const draft = new Draft(view, at, {
        action: 'balance.set', targetType: 'customer', targetId: customer.id, details: { target: formatMoney(command.balance), amount: formatMoney(amount), description: command.description },
      });
      const entry = draft.post('adjustment', amount, null, command.description);
      draft.decision.audit.details.balance_before = entry.balanceBefore;
      draft.decision.result = { entry };
      return draft.finish();
    }
    case 'adjust_balance': {
      if (customer.deletedAt !== null) throw refused(`customer ${customer.id} was deleted; its balance cannot be changed`);
      const amount = new Decimal(command.amount);
      const draft = new Draft(view, at, { action: 'balance.adjust', targetType: 'customer', targetId: customer.id, details: { amount: formatMoney(amount), description: command.description } });
      const entry = draft.post('adjustment', amount, null, command.description);
      draft.decision.audit.details.balance_after = entry.balanceAfter;
      draft.decision.result = { entry };
      return draft.finish();
    }
    case 'update_order': {
      const order = requireOrder(view, command.orderId);
      if (command.status !== undefined) checkManualTransition(order.status, command.status);
      const next: OrderState = {
        ...order,
        ...(command.status !== undefined ? { status: command.status } : {}),
        ...(command.providerInstanceId !== undefined ? { providerInstanceId: command.providerInstanceId === '' ? null : command.providerInstanceId } : {}),
        ...(command.notes !== undefined ? { notes: command.notes } : {}),
      };
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const field of ['status', 'providerInstanceId', 'notes'] as const) if (next[field] !== order[field]) changes[field] = { from: order[field], to: next[field] };
      if (Object.keys(changes).length === 0) return noChange(view, { order });
      const period = command.status === 'active' && order.status !== 'active' && next.periodStart === null ? servicePeriodFrom(next, at.now) : {};
      const updated = { ...next, ...period, version: order.version + 1, updatedAt: at.now };
      const draft = new Draft(view, at, { action: 'order.update', targetType: 'order', targetId: order.id, details: { changes } });
      draft.decision.orders.push({ op: 'update', row: updated });
      if (command.status === 'cancelled') draft.event('order_cancelled', order.id, { order_id: order.id, reason: 'cancelled by an administrator' });
      draft.decision.result = { order: updated };
      return draft.finish();
    }
    case 'delete_order': {
      const order = requireOrder(view, command.orderId);
      if (holdsMoney(order.status)) throw refused(`order ${order.id} is ${order.status}: a paid order is kept as a record of the payment; refund it or mark it completed instead`);
      const settled = view.orderPayments.filter((payment) => payment.status === 'success' || payment.status === 'refunded');
      if (settled.length > 0) throw refused(`order ${order.id} has ${settled.length} settled payment(s); it is kept as their record`);
      const draft = new Draft(view, at, { action: 'order.delete', targetType: 'order', targetId: order.id, details: { status: order.status, amount: order.amount } });
      for (const payment of view.orderPayments) draft.decision.payments.push({ op: 'delete', row: payment });
      draft.decision.orders.push({ op: 'delete', row: order });
      draft.decision.result = { order };
      return draft.finish();
    }
    case 'cancel_unpaid_order': {
      const order = requireOrder(view, command.orderId);
      if (order.status !== 'pending' || order.createdAt >= command.createdBefore) return noChange(view, { order, alreadyDone: true });
      const draft = new Draft(view, at, { action: 'order.cancel_unpaid', targetType: 'order', targetId: order.id, details: { created_at: order.createdAt } });
      const cancelled = transition(order, 'cancelled', at.now);
      draft.decision.orders.push({ op: 'update', row: cancelled });
      draft.event('order_cancelled', order.id, { order_id: order.id, reason: 'not paid in time' });
      draft.decision.result = { order: cancelled };
      return draft.finish();
    }
    case 'start_provisioning': {
      const order = requireOrder(view, command.orderId);
      if (order.status !== 'paid') return noChange(view, { order, alreadyDone: order.status !== 'pending' });
      const draft = new Draft(view, at, { action: 'order.provisioning', targetType: 'order', targetId: order.id, details: {} });
      const next = transition(order, 'provisioning', at.now);
      draft.decision.orders.push({ op: 'update', row: next });
      draft.decision.result = { order: next };
      return draft.finish();
    }
    case 'complete_provisioning': {
      const order = requireOrder(view, command.orderId);
      if (order.status !== 'paid' && order.status !== 'provisioning') return noChange(view, { order, alreadyDone: true });
      const draft = new Draft(view, at, { action: 'order.provisioned', targetType: 'order', targetId: order.id, details: { provider_instance_id: command.instance.providerInstanceId } });
      const active = { ...transition(order, 'active', at.now), providerInstanceId: command.instance.providerInstanceId, ...servicePeriodFrom(order, at.now) };
      draft.decision.orders.push({ op: 'update', row: active });
      draft.decision.instances.push({ ...command.instance, orderId: order.id, productId: order.productId, productName: order.productName, providerInterfaceId: order.providerInterfaceId });
      draft.event('order_provisioned', order.id, { order_id: order.id, instance_id: command.instance.id, provider_instance_id: command.instance.providerInstanceId, ip_address: command.instance.ipAddress });
      draft.decision.result = { order: active, instanceId: command.instance.id };
      return draft.finish();
    }
    case 'fail_provisioning': {
      const order = requireOrder(view, command.orderId);
      if (order.status !== 'paid' && order.status !== 'provisioning') return noChange(view, { order, alreadyDone: true });
      const draft = new Draft(view, at, { action: 'order.provisioning_failed', targetType: 'order', targetId: order.id, details: { reason: command.reason } });
      const entries: LedgerEntry[] = [];
      for (const payment of view.orderPayments.filter((candidate) => candidate.status === 'success')) {
        const remaining = new Decimal(payment.amount).minus(payment.refundedAmount);
        if (remaining.lessThanOrEqualTo(0)) continue;
        const route = command.routes[payment.id] ?? 'balance';
        draft.decision.payments.push({ op: 'update', row: refunded(payment, formatMoney(remaining), at.now) });
        if (route === 'balance') entries.push(draft.post('refund', remaining, payment.id, `refund of order ${order.id}: provisioning failed`));
        draft.event('payment_refunded', order.id, { payment_id: payment.id, amount: formatMoney(remaining), route, order_id: order.id });
      }
      const cancelled = transition(order, 'cancelled', at.now);
      draft.decision.orders.push({ op: 'update', row: cancelled });
      draft.event('order_cancelled', order.id, { order_id: order.id, reason: `provisioning failed: ${command.reason}`, refunded: true });
      draft.decision.result = { order: cancelled, entries };
      return draft.finish();
    }
    case 'start_service_period': {
      const order = requireOrder(view, command.orderId);
      if (order.status !== 'active' || order.periodStart !== null) return noChange(view, { order, alreadyDone: true });
      const draft = new Draft(view, at, { action: 'service.period_start', targetType: 'order', targetId: order.id, details: {} });
      const next = { ...order, ...servicePeriodFrom(order, at.now), version: order.version + 1, updatedAt: at.now };
      draft.decision.orders.push({ op: 'update', row: next });
      draft.decision.result = { order: next };
      return draft.finish();
    }
    case 'roll_service_period': {
      const order = requireOrder(view, command.orderId);
      const live = order.status === 'active' || order.status === 'suspended';
      // Only the period that follows the current one, once: a repeated or late roll changes nothing.
      if (!live || order.periodEnd === null || Date.parse(order.periodEnd) !== Date.parse(command.periodStart)) return noChange(view, { order, alreadyDone: true });
      const draft = new Draft(view, at, {
        action: 'service.period_roll', targetType: 'order', targetId: order.id, details: { period_start: command.periodStart, period_end: command.periodEnd },
      });
      const next = { ...order, periodStart: command.periodStart, periodEnd: command.periodEnd, periodPrice: command.periodPrice, version: order.version + 1, updatedAt: at.now };
      draft.decision.orders.push({ op: 'update', row: next });
      draft.decision.result = { order: next };
      return draft.finish();
    }
    case 'suspend_service': {
      const order = requireOrder(view, command.orderId);
      const invoice = view.invoice;
      // Paid (or cancelled) meanwhile, or already suspended or ended: nothing to do, whatever order the jobs ran in.
      if (!unpaid(invoice) || invoice.id !== command.invoiceId || invoice.renewal?.orderId !== order.id || order.status !== 'active') {
        return noChange(view, { order, alreadyDone: true });
      }
      const draft = new Draft(view, at, { action: 'service.suspend', targetType: 'order', targetId: order.id, details: { invoice_id: invoice.id, invoice_number: invoice.invoiceNumber } });
      const suspended = transition(order, 'suspended', at.now);
      draft.decision.orders.push({ op: 'update', row: suspended });
      draft.event('service_suspended', order.id, {
        order_id: order.id, invoice_id: invoice.id, invoice_number: invoice.invoiceNumber, total: formatMoney(new Decimal(invoice.totalAmount).minus(invoice.paidAmount)), product_name: order.productName,
      });
      draft.decision.result = { order: suspended };
      return draft.finish();
    }
    case 'end_service': {
      const order = requireOrder(view, command.orderId);
      if (order.status !== 'active' && order.status !== 'suspended') {
        if (command.reason === 'cancelled') throw refused(`order ${order.id} is ${order.status}; only an active or suspended service can be cancelled`);
        return noChange(view, { order, alreadyDone: true });
      }
      // Terminating for non-payment needs the invoice still unpaid: once it is paid, never.
      if (command.reason === 'unpaid' && (!unpaid(view.invoice) || view.invoice.id !== command.invoiceId || view.invoice.renewal?.orderId !== order.id)) {
        return noChange(view, { order, alreadyDone: true });
      }
      const draft = new Draft(view, at, { action: `service.end_${command.reason}`, targetType: 'order', targetId: order.id, details: { reason: command.reason, refund: command.refund } });
      // A period whose renewal is unpaid was never paid for: it has no unused days to credit.
      const periodUnpaid = currentPeriodUnpaid(view.invoice, order);
      const entries: LedgerEntry[] = [];
      const before = draft.decision.ledger.length;
      const cancelledInvoice = cancelRenewalInvoice(draft, view, command.invoiceId, order.id);
      entries.push(...draft.decision.ledger.slice(before));
      if (command.refund && periodUnpaid) draft.decision.audit.details.credit = '0.00';
      if (command.refund && !periodUnpaid) {
        const credit = new Decimal(prorate(order.periodPrice ?? order.amount, currentPeriod(order), at.now));
        if (credit.greaterThan(0)) entries.push(draft.post('refund', credit, order.id, `unused part of ${order.productName || 'the service'} (order ${order.id}) credited on cancellation`));
        draft.decision.audit.details.credit = formatMoney(credit);
      }
      // A renewal already paid for a period that will now never start is given back in full.
      const next = view.invoice;
      if (command.reason !== 'unpaid' && next && next.id === command.invoiceId && next.status === 'paid' && next.renewal?.orderId === order.id
        && order.periodEnd !== null && Date.parse(next.renewal.periodStart) >= Date.parse(order.periodEnd) && new Decimal(next.paidAmount).greaterThan(0)) {
        entries.push(draft.post('refund', new Decimal(next.paidAmount), next.id, `renewal ${next.invoiceNumber} was paid for a period of ${order.productName || 'the service'} that will not start`));
        draft.decision.audit.details.renewal_refunded = next.invoiceNumber;
      }
      const entry = entries.length === 1 ? entries[0] : undefined;
      const ended = transition(order, 'completed', at.now);
      draft.decision.orders.push({ op: 'update', row: ended });
      draft.event('service_terminated', order.id, {
        order_id: order.id, reason: command.reason, why: END_WORDS[command.reason], product_name: order.productName,
        ...(cancelledInvoice ? { cancelled_invoice_id: cancelledInvoice.id, cancelled_invoice_number: cancelledInvoice.invoiceNumber } : {}),
        ...(entries.length > 0 ? { credited: formatMoney(entries.reduce((sum, credit) => sum.plus(credit.amount), new Decimal(0))) } : {}),
      });
      draft.decision.result = { order: ended, entries, ...(entry ? { entry } : {}) };
      return draft.finish();
    }
    case 'cancel_at_period_end': {
      const order = requireOrder(view, command.orderId);
      if (order.status !== 'active' && order.status !== 'suspended') throw refused(`order ${order.id} is ${order.status}; only an active or suspended service can be cancelled`);
      if (order.cancelAtPeriodEnd) return noChange(view, { order, alreadyDone: true });
      const period = currentPeriod(order);
      const draft = new Draft(view, at, { action: 'service.cancel_at_period_end', targetType: 'order', targetId: order.id, details: { period_end: period.end } });
      const cancelledInvoice = cancelRenewalInvoice(draft, view, command.invoiceId, order.id);
      const next = { ...order, cancelAtPeriodEnd: true, version: order.version + 1, updatedAt: at.now };
      draft.decision.orders.push({ op: 'update', row: next });
      draft.event('service_cancellation_scheduled', order.id, {
        order_id: order.id, period_end: period.end, product_name: order.productName, ...(cancelledInvoice ? { cancelled_invoice_number: cancelledInvoice.invoiceNumber } : {}),
      });
      draft.decision.result = { order: next };
      return draft.finish();
    }
    case 'change_plan': {
      const order = requireOrder(view, command.orderId);
      if (order.version !== command.expectedVersion) {
        throw new DomainError('failed_precondition', `order ${order.id} changed while the plan change was prepared; look at it again and retry`, 'stale_order');
      }
      if (order.status !== 'active') throw refused(`order ${order.id} is ${order.status}; only an active service can change plan${order.status === 'suspended' ? ' (pay its overdue invoice first)' : ''}`);
      if (order.cancelAtPeriodEnd) throw refused(`order ${order.id} is cancelled at the end of its period; it cannot change plan`);
      const period = currentPeriod(order);
      const amounts = planChangeAmounts({ oldPrice: order.periodPrice ?? order.amount, newPrice: command.newPeriodPrice, period, at: at.now });
      const draft = new Draft(view, at, {
        action: 'service.change_plan', targetType: 'order', targetId: order.id,
        details: { from: { product_id: order.productId, server_spec: order.serverSpec }, to: { product_id: command.productId, server_spec: command.serverSpec }, ...amounts },
      });
      const days = `${amounts.remainingDays} of ${amounts.periodDays} days`;
      // The credit first: the charge is then checked against balance + credit limit with it.
      const entries: LedgerEntry[] = [];
      if (new Decimal(amounts.credit).greaterThan(0)) entries.push(draft.post('refund', new Decimal(amounts.credit), order.id, `unused ${days} of ${order.productName || 'the old plan'} (order ${order.id})`));
      if (new Decimal(amounts.charge).greaterThan(0)) entries.push(draft.post('payment', new Decimal(amounts.charge).negated(), order.id, `${days} of ${command.productName || 'the new plan'} (order ${order.id})`));
      const next: OrderState = {
        ...order, productId: command.productId, productName: command.productName, serverSpec: command.serverSpec, renewalAmount: command.renewalAmount,
        // The new plan renews at its catalog price: an every-period promotion ends with the old plan.
        promotionCode: null, discountAmount: '0.00',
        periodPrice: formatMoney(command.newPeriodPrice), version: order.version + 1, updatedAt: at.now,
      };
      draft.decision.orders.push({ op: 'update', row: next });
      draft.event('service_plan_changed', order.id, { order_id: order.id, product_name: command.productName, credit: amounts.credit, charge: amounts.charge, net: amounts.net });
      draft.decision.result = { order: next, entries };
      return draft.finish();
    }
  }
}

/** A decision that writes nothing but the command's outcome. */
function noChange(view: AccountView, result: AccountDecision['result']): AccountDecision {
  return { customer: null, orders: [], payments: [], invoices: [], ledger: [], instances: [], events: [], redemptions: [], audit: { action: 'none', targetType: 'customer', targetId: view.customer.id, details: {} }, result };
}
