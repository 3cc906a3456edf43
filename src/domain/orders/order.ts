/**
 * An order as its order actor holds it, and the order status machine (rustbill-docs.md OrderService
 * "订单状态流转", handbook §6.3): pending → paid → provisioning → active, with cancelled (unpaid
 * timeout, or provisioning failed and refunded), suspended, refunded and completed. Money is a
 * decimal string with two places, times RFC3339 strings. Pure.
 */
import { DomainError } from '../errors.ts';
import type { BillingCycle } from '../catalog/prices.ts';
import type { OrderedSpec } from '../provisioning/instances.ts';

/** Every order status of the spec. */
export const ORDER_STATUSES = ['pending', 'paid', 'provisioning', 'active', 'cancelled', 'suspended', 'refunded', 'completed'] as const;
/** One of {@link ORDER_STATUSES}. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** True when `value` is an order status. */
export function isOrderStatus(value: string): value is OrderStatus {
  return (ORDER_STATUSES as readonly string[]).includes(value);
}

/** An order's state: its `orders` row. */
export interface OrderState {
  id: string;
  customerId: string;
  productId: string | null;
  productName: string;
  providerInterfaceId: string | null;
  providerInstanceId: string | null;
  serverSpec: OrderedSpec;
  status: OrderStatus;
  /** The price of one billing cycle, `>= 0`. */
  amount: string;
  currency: string;
  billingCycle: BillingCycle;
  gatewayInterfaceId: string | null;
  gatewayPaymentId: string | null;
  notes: string;
  paidAt: string | null;
  /**
   * The current billing period of the service (issue 11): set when the order becomes active, rolled
   * over by the lifecycle job at its end; RFC3339 UTC, end exclusive; null before activation.
   */
  periodStart: string | null;
  periodEnd: string | null;
  /** The day of month (1..31) periods start on (month-end days are clamped); null before activation. */
  anchorDay: number | null;
  /** Cancelled at the end of the period: no further renewal; the service ends then. */
  cancelAtPeriodEnd: boolean;
  /**
   * One renewal's price as the catalog states it (tax-exclusive or inclusive per `[billing]
   * prices_include_tax`), after an every-period promotion; null: `amount`.
   */
  renewalAmount: string | null;
  /** What the current period cost the customer, tax included: the basis of proration credits; null before activation. */
  periodPrice: string | null;
  /** The promotion code applied at CreateOrder, or null. */
  promotionCode: string | null;
  /** What the promotion took off the first period (decimal string, "0.00" without one). */
  discountAmount: string;
  /** The tax included in `amount` (decimal string). */
  taxAmount: string;
  /** Optimistic-lock version (1 when created, +1 per change). */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Every transition the system makes, by what makes it (payments, provisioning, refunds, the
 * unpaid-order timeout, admins). Cancelled and refunded are final; completed only goes on to
 * refunded.
 */
const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['paid', 'cancelled'],
  paid: ['provisioning', 'active', 'cancelled', 'refunded'],
  provisioning: ['active', 'cancelled', 'refunded'],
  active: ['suspended', 'completed', 'refunded', 'cancelled'],
  suspended: ['active', 'completed', 'refunded', 'cancelled'],
  cancelled: [],
  refunded: [],
  // A finished service may still have its payment refunded (RefundPayment).
  completed: ['refunded'],
};

/**
 * The transitions an admin may make by hand with UpdateOrder. Those that move money (paid,
 * refunded, and cancelling a paid order) are not among them: PayOrder, RefundPayment and the
 * provisioning saga make them, with their ledger entries.
 */
export const MANUAL_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['cancelled'],
  paid: ['provisioning', 'active'],
  provisioning: ['active'],
  active: ['suspended', 'completed'],
  suspended: ['active', 'completed'],
  cancelled: [],
  refunded: [],
  completed: [],
};

/** True when the system may move an order from `from` to `to`. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Checks an admin's UpdateOrder status change.
 * @throws DomainError invalid_argument (reason `invalid_transition`) naming the transition and the
 *   allowed targets
 */
export function checkManualTransition(from: OrderStatus, to: OrderStatus): void {
  if (from === to) return;
  const allowed = MANUAL_TRANSITIONS[from];
  if (allowed.includes(to)) return;
  const hint = to === 'paid' ? ' (pay it with PayOrder)' : to === 'refunded' || (to === 'cancelled' && from !== 'pending') ? ' (refund its payment with RefundPayment)' : '';
  const targets = allowed.length === 0 ? `"${from}" is final` : `from "${from}" an order may go to ${allowed.map((s) => `"${s}"`).join(', ')}`;
  throw new DomainError('invalid_argument', `an order cannot go from "${from}" to "${to}"${hint}; ${targets}`, 'invalid_transition');
}

/**
 * Moves `order` to `to` at `now` (a system transition).
 * @throws DomainError failed_precondition (reason `invalid_transition`) when the machine has no such transition
 */
export function transition(order: OrderState, to: OrderStatus, now: string): OrderState {
  if (!canTransition(order.status, to)) {
    throw new DomainError('failed_precondition', `order ${order.id} is ${order.status}; it cannot become ${to}`, 'invalid_transition');
  }
  return { ...order, status: to, version: order.version + 1, updatedAt: now };
}

/** Statuses of an order that was paid and not given back (its payment may be refunded). */
export const PAID_STATUSES: readonly OrderStatus[] = ['paid', 'provisioning', 'active', 'suspended', 'completed'];

/** True when an order in `status` holds the customer's money (DeleteOrder refuses it). */
export function holdsMoney(status: OrderStatus): boolean {
  return PAID_STATUSES.includes(status) || status === 'refunded';
}
