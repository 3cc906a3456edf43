/**
 * A payment (PaymentService, PaymentRecord): money the customer paid for an order or an invoice,
 * or to recharge its balance, through a gateway plugin or from its balance (the built-in method,
 * balance-method.ts). Status machine: pending → success | failed; success → refunded once the
 * refunds reach the amount (partial refunds keep it `success` with `refundedAmount` > 0). Money is
 * a decimal string with two places, times RFC3339. Pure.
 */
import { Decimal } from 'decimal.js';
import { DomainError, invalid } from '../errors.ts';
import { formatMoney, parseMoney } from '../money.ts';

/** The payment statuses of the schema. */
export const PAYMENT_STATUSES = ['pending', 'success', 'failed', 'refunded'] as const;
/** One of {@link PAYMENT_STATUSES}. */
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** What a payment pays for. */
export type PaymentKind = 'order' | 'invoice' | 'recharge';

/** A payment's state: its `payments` row. */
export interface PaymentState {
  id: string;
  customerId: string;
  kind: PaymentKind;
  orderId: string | null;
  invoiceId: string | null;
  amount: string;
  refundedAmount: string;
  currency: string;
  /** The gateway interface, or the balance method's id. */
  gatewayInterfaceId: string;
  gatewayPaymentId: string | null;
  gatewayTxId: string | null;
  status: PaymentStatus;
  paymentUrl: string | null;
  qrCode: string | null;
  instructions: string | null;
  returnUrl: string | null;
  paidAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** True when `value` is a payment status. */
export function isPaymentStatus(value: string): value is PaymentStatus {
  return (PAYMENT_STATUSES as readonly string[]).includes(value);
}

/**
 * Checks a gateway's report of a payment before it settles: the payment must be pending and the
 * reported amount (when the gateway reports one) equal to the payment's.
 * @throws DomainError already_exists (already settled: a repeated notification changes nothing),
 *   failed_precondition (failed or refunded), invalid_argument (amount differs)
 */
export function checkSettlement(payment: PaymentState, reportedAmount: string | null): void {
  if (payment.status === 'success' || payment.status === 'refunded') {
    throw new DomainError('already_exists', `payment ${payment.id} was already settled; this notification changes nothing`, 'already_settled');
  }
  if (payment.status === 'failed') throw new DomainError('failed_precondition', `payment ${payment.id} failed; it cannot be settled`, 'invalid_transition');
  if (reportedAmount !== null && !new Decimal(reportedAmount).equals(payment.amount)) {
    throw new DomainError('invalid_argument', `the gateway reports ${formatMoney(reportedAmount)} paid for payment ${payment.id}, but it is for ${payment.amount}; refused`, 'amount_mismatch');
  }
}

/**
 * The amount of a refund of `payment`: `requested` (a decimal string; empty means everything not
 * refunded yet), never more than what remains.
 * @returns the amount as a decimal string with two places
 * @throws DomainError failed_precondition (not paid, or refunded in full already), invalid_argument
 *   (malformed amount, zero, or more than remains)
 */
export function refundAmount(payment: PaymentState, requested: string): string {
  if (payment.status !== 'success') {
    throw new DomainError('failed_precondition', `payment ${payment.id} is ${payment.status}; only a successful payment can be refunded`, 'invalid_transition');
  }
  const remaining = new Decimal(payment.amount).minus(payment.refundedAmount);
  if (remaining.lessThanOrEqualTo(0)) throw new DomainError('failed_precondition', `payment ${payment.id} was refunded in full already`, 'invalid_transition');
  if (requested.trim() === '') return formatMoney(remaining);
  const amount = parseMoney('amount', requested.trim(), { allowZero: false });
  if (amount.greaterThan(remaining)) {
    throw invalid(`amount ${formatMoney(amount)} is more than what remains to refund of payment ${payment.id} (${formatMoney(remaining)} of ${payment.amount})`);
  }
  return formatMoney(amount);
}

/** `payment` after refunding `amount` at `now`: `refunded` once nothing remains. */
export function refunded(payment: PaymentState, amount: string, now: string): PaymentState {
  const total = new Decimal(payment.refundedAmount).plus(amount);
  return { ...payment, refundedAmount: formatMoney(total), status: total.greaterThanOrEqualTo(payment.amount) ? 'refunded' : 'success', updatedAt: now };
}
