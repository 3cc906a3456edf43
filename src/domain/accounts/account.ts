/**
 * The money commands of a customer's account (issue 8, "Actors and the ledger"): what the customer
 * actor applies, one at a time, to the customer and the order (the order's state comes from its
 * child order actor). Every command is plain data (it crosses cluster IPC) and carries its
 * idempotency key in the actor request around it. {@link decideAccount} (decide.ts) turns a view
 * and a command into an {@link AccountDecision}: the new states, the ledger entries, the payment
 * rows, the instance row and the outbox events to commit in one transaction. Pure types.
 */
import type { OverdueStanding } from '../crm/credit-risk.ts';
import type { CustomerState } from '../customers/customer.ts';
import type { LedgerEntry } from '../ledger/ledger.ts';
import type { OrderState, OrderStatus } from '../orders/order.ts';
import type { PaymentKind, PaymentState } from '../payments/payment.ts';
import type { OrderedSpec } from '../provisioning/instances.ts';

/** The fields a new order gets from its service's life, not from CreateOrder. */
type ServiceFields = 'periodStart' | 'periodEnd' | 'anchorDay' | 'cancelAtPeriodEnd' | 'periodPrice';
/** The price terms CreateOrder may set (a promotion, tax); absent: none. */
type PriceTerms = 'renewalAmount' | 'promotionCode' | 'discountAmount' | 'taxAmount';

/**
 * A new order as CreateOrder validated and priced it (no status, version or times yet); without
 * price terms the order has no promotion and no tax and renews at its amount.
 */
export type NewOrder = Omit<OrderState, 'status' | 'version' | 'createdAt' | 'updatedAt' | 'paidAt' | 'gatewayPaymentId' | 'providerInstanceId' | ServiceFields | PriceTerms>
  & Partial<Pick<OrderState, PriceTerms>>;

/**
 * An invoice as the money path sees it (its `invoices` row): what is due and whether it can be
 * paid. Money as decimal strings with two places.
 */
export interface InvoiceDue {
  id: string;
  customerId: string;
  invoiceNumber: string;
  /** draft, issued, paid, overdue or cancelled; only issued and overdue invoices are payable. */
  status: string;
  totalAmount: string;
  paidAmount: string;
  /** The service period this invoice renews (a `service_renewals` row), or null/absent for other invoices. */
  renewal?: { orderId: string; periodStart: string; periodEnd: string } | null;
}

/** A payment started through a gateway plugin (its create_payment answered). */
export interface NewGatewayPayment {
  id: string;
  kind: PaymentKind;
  orderId: string | null;
  invoiceId: string | null;
  amount: string;
  currency: string;
  gatewayInterfaceId: string;
  gatewayPaymentId: string;
  paymentUrl: string | null;
  qrCode: string | null;
  instructions: string | null;
  returnUrl: string | null;
}

/** The instance a provider created for an order. */
export interface ProvisionedInstance {
  id: string;
  providerInstanceId: string;
  status: string;
  ipAddress: string;
  serverSpec: Record<string, string>;
}

/** A refund route: back to the balance (a ledger credit) or through the gateway that took the money. */
export type RefundRoute = 'balance' | 'gateway';

/** The commands of a customer's account. */
export type AccountCommand =
  /** CreateOrder; with `payFromBalance` the order is paid from the balance in the same command. */
  | { type: 'create_order'; order: NewOrder; payFromBalance: boolean; promotion?: { id: string; code: string; discount: string } }
  /** PayOrder with the balance method. */
  | { type: 'pay_order'; orderId: string }
  /** Paying an invoice from the balance (CreatePayment with the balance method). */
  | { type: 'pay_invoice'; invoiceId: string }
  /** A gateway payment was created for an order or a recharge: record it pending. */
  | { type: 'start_payment'; payment: NewGatewayPayment }
  /** The gateway reports a payment paid (callback or query): settle it once. */
  | { type: 'settle_payment'; paymentId: string; gatewayTxId: string | null; reportedAmount: string | null }
  /** The gateway reports a payment failed. */
  | { type: 'fail_payment'; paymentId: string }
  /** RefundPayment (amount already checked by refundAmount against the payment's row). */
  | { type: 'refund_payment'; paymentId: string; amount: string; route: RefundRoute }
  /** AdjustBalance (admin): a signed amount. */
  | { type: 'adjust_balance'; amount: string; description: string }
  /** UpdateCustomerBalance (CRM, admin): one adjustment that brings the balance to `balance` (signed decimal string). */
  | { type: 'set_balance'; balance: string; description: string }
  /** UpdateOrder (admin): status along MANUAL_TRANSITIONS, instance id, notes. */
  | { type: 'update_order'; orderId: string; status?: OrderStatus; providerInstanceId?: string; notes?: string }
  /** DeleteOrder (admin): refused for an order that holds money. */
  | { type: 'delete_order'; orderId: string }
  /** The unpaid-order timeout: a pending order created before `createdBefore` is cancelled. */
  | { type: 'cancel_unpaid_order'; orderId: string; createdBefore: string }
  /** The provisioning saga started creating the instance. */
  | { type: 'start_provisioning'; orderId: string }
  /** The provider created the instance: order active, instance row, `order_provisioned`. */
  | { type: 'complete_provisioning'; orderId: string; instance: ProvisionedInstance }
  /**
   * Provisioning failed for good: the saga's compensation. Each successful payment of the order is
   * refunded by `routes` (a gateway refund was already made by the saga), the order cancelled.
   */
  | { type: 'fail_provisioning'; orderId: string; reason: string; routes: Record<string, RefundRoute> }
  /**
   * The lifecycle job (issue 11): the service's period ended and the renewed period (its renewal
   * invoice issued) begins; `periodPrice` is the renewal invoice's total.
   */
  | { type: 'roll_service_period'; orderId: string; periodStart: string; periodEnd: string; periodPrice: string }
  /** An active order without a period (made active by hand, or older than recurring billing) gets the one containing now. */
  | { type: 'start_service_period'; orderId: string }
  /** The lifecycle job: renewal invoice `invoiceId` is unpaid `suspend_after_days` past its due date. */
  | { type: 'suspend_service'; orderId: string; invoiceId: string }
  /**
   * The service ends (order `completed`, `service_terminated`): `unpaid` (the lifecycle job, renewal
   * invoice `invoiceId` unpaid `terminate_after_days` past due — refused silently once it is paid),
   * `period_end` (cancelled at the period end), `cancelled` (CancelService now; with `refund`, the
   * unused days of the period are credited to the balance). `invoiceId` names the renewal of the
   * next period, if one was issued: unpaid it is cancelled; paid (not for `unpaid`) its money is
   * credited back in full, since that period will never start.
   */
  | { type: 'end_service'; orderId: string; reason: ServiceEndReason; invoiceId: string | null; refund: boolean }
  /** CancelService at the end of the period: no further renewal; an unpaid renewal invoice `invoiceId` is cancelled. */
  | { type: 'cancel_at_period_end'; orderId: string; invoiceId: string | null }
  /**
   * ChangeServicePlan (issue 11): the provider resized the instance; the unused part of the
   * period's price is credited and the new plan's charged for the rest of the period (day-based
   * proration), one ledger entry each. `newPeriodPrice` is the new plan's price for a whole period,
   * tax included; `renewalAmount` its catalog price for renewals.
   */
  | {
    type: 'change_plan'; orderId: string; expectedVersion: number; productId: string; productName: string; serverSpec: OrderedSpec;
    newPeriodPrice: string; renewalAmount: string;
  };

/** Why a service ended. */
export type ServiceEndReason = 'unpaid' | 'period_end' | 'cancelled';

/** What a command needs loaded besides the customer. */
export interface AccountNeeds {
  orderId: string | null;
  paymentId: string | null;
  invoiceId: string | null;
  /** The order's payments (refunds, deletion). */
  orderPayments: boolean;
}

/** The state a command is decided on. */
export interface AccountView {
  customer: CustomerState;
  /** The order the command names (null: it names none, or it does not exist). */
  order: OrderState | null;
  /** The payment the command names. */
  payment: PaymentState | null;
  /** The payments of `order` when {@link AccountNeeds.orderPayments}. */
  orderPayments: PaymentState[];
  /** The invoice the command (or its payment) names. */
  invoice: InvoiceDue | null;
  /** The customer's overdue standing, loaded for the commands {@link needsCreditStanding} names. */
  standing?: OverdueStanding;
}

/** An outbox event written with the decision (event_queue row). */
export interface OutboxWrite {
  id: string;
  eventType: 'order_paid' | 'order_provisioned' | 'order_cancelled' | 'payment_refunded' | 'payment_received' | 'balance_recharged' | 'invoice_paid'
    | 'service_suspended' | 'service_restored' | 'service_terminated' | 'service_plan_changed' | 'service_cancellation_scheduled';
  orderId: string | null;
  payload: Record<string, unknown>;
}

/** A row write: inserted, updated (fenced by the version it had) or deleted. */
export type RowWrite<T> = { op: 'insert'; row: T } | { op: 'update'; row: T } | { op: 'delete'; row: T };

/** What the command returns to its caller. */
export interface AccountResult {
  order?: OrderState;
  invoice?: InvoiceDue;
  payment?: PaymentState;
  entry?: LedgerEntry;
  /** Entries this command wrote (a refund of several payments writes several). */
  entries?: LedgerEntry[];
  instanceId?: string;
  /** True when the command found its work done already (e.g. an order provisioned earlier). */
  alreadyDone?: boolean;
}

/** The outcome of {@link AccountCommand}: everything one transaction writes. */
export interface AccountDecision {
  /** The customer after the command (balance moved, version + 1); null: the customer row is not written. */
  customer: CustomerState | null;
  orders: Array<RowWrite<OrderState>>;
  payments: Array<RowWrite<PaymentState>>;
  /** Invoices paid by this command: fenced by the status they had. */
  invoices: Array<{ row: InvoiceDue & { paidAt: string | null }; expectedStatus: string }>;
  ledger: LedgerEntry[];
  instances: Array<ProvisionedInstance & { orderId: string; productId: string | null; productName: string; providerInterfaceId: string | null }>;
  events: OutboxWrite[];
  /** Promotion codes used by this command's new order (`promotion_redemptions` rows; their trigger counts the use). */
  redemptions: Array<{ id: string; promotionId: string; orderId: string; discountAmount: string }>;
  /** The audit row's action and details (written only for commands with an origin). */
  audit: { action: string; targetType: string; targetId: string; details: Record<string, unknown> };
  result: AccountResult;
}
