/**
 * Protobuf ↔ domain mapping of the money path, one function per type: OrderInfo, ServerSpec,
 * PaymentInfo, PaymentRecord, BalanceTransactionInfo. Empty strings stand for absent values on the
 * wire (the spec's convention for proto3 strings).
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { LedgerEntry } from '../../domain/ledger/ledger.ts';
import type { OrderState } from '../../domain/orders/order.ts';
import type { PaymentState } from '../../domain/payments/payment.ts';
import type { OrderedSpec } from '../../domain/provisioning/instances.ts';
import type { BalanceTransactionInfoSchema } from '../../gen/rustbill/balance_pb.ts';
import type { OrderInfoSchema, PaymentInfoSchema, ServerSpec, ServerSpecSchema } from '../../gen/rustbill/order_pb.ts';
import type { PaymentRecordSchema } from '../../gen/rustbill/payment_pb.ts';
import type { OrderPayment } from '../../application/orders/orders.ts';

/** An order's stored spec from a request's ServerSpec (sizes as numbers, `extra_specs` as sent). */
export function orderedSpecOf(spec: ServerSpec | undefined): OrderedSpec {
  if (!spec) return {};
  return {
    cpu_cores: spec.cpuCores, memory_gb: spec.memoryGb, disk_gb: spec.diskGb, bandwidth_mbps: spec.bandwidthMbps,
    region: spec.region, os: spec.os, extra_specs: { ...spec.extraSpecs },
  };
}

/** ServerSpec of a stored spec. */
export function serverSpecInfo(spec: OrderedSpec): MessageInitShape<typeof ServerSpecSchema> {
  return {
    cpuCores: spec.cpu_cores ?? 0, memoryGb: spec.memory_gb ?? 0, diskGb: spec.disk_gb ?? 0, bandwidthMbps: spec.bandwidth_mbps ?? 0,
    region: spec.region ?? '', os: spec.os ?? '', extraSpecs: { ...(spec.extra_specs ?? {}) },
  };
}

/** OrderInfo of an order. */
export function orderInfo(order: OrderState): MessageInitShape<typeof OrderInfoSchema> {
  return {
    id: order.id, customerId: order.customerId, productId: order.productId ?? '', providerInterfaceId: order.providerInterfaceId ?? '',
    providerInstanceId: order.providerInstanceId ?? '', serverSpec: serverSpecInfo(order.serverSpec), status: order.status, amount: order.amount,
    currency: order.currency, gatewayInterfaceId: order.gatewayInterfaceId ?? '', gatewayPaymentId: order.gatewayPaymentId ?? '', notes: order.notes,
    createdAt: order.createdAt, updatedAt: order.updatedAt, productName: order.productName, billingCycle: order.billingCycle,
    // Recurring billing (issue 11): the service's period and price terms.
    periodStart: order.periodStart ?? '', periodEnd: order.periodEnd ?? '',
    nextRenewalOn: renews(order) && order.periodEnd !== null ? order.periodEnd.slice(0, 10) : '',
    cancelAtPeriodEnd: order.cancelAtPeriodEnd ? 'true' : 'false', renewalAmount: order.renewalAmount ?? order.amount,
    promotionCode: order.promotionCode ?? '', discountAmount: order.discountAmount, taxAmount: order.taxAmount, periodPrice: order.periodPrice ?? '',
  };
}

/** Whether the service will renew at the end of its period (active, not cancelled at its end). */
function renews(order: OrderState): boolean {
  return order.status === 'active' && !order.cancelAtPeriodEnd;
}

/** PaymentInfo (OrderService's short form) of a started or made payment. */
export function paymentInfo(started: OrderPayment): MessageInitShape<typeof PaymentInfoSchema> {
  return {
    paymentId: started.payment.id, gatewayInterfaceId: started.payment.gatewayInterfaceId, paymentUrl: started.paymentUrl,
    qrCode: started.qrCode, instructions: started.instructions,
  };
}

/** PaymentRecord of a payment. */
export function paymentRecord(payment: PaymentState): MessageInitShape<typeof PaymentRecordSchema> {
  return {
    id: payment.id, orderId: payment.orderId ?? '', invoiceId: payment.invoiceId ?? '', amount: payment.amount, currency: payment.currency,
    gatewayInterfaceId: payment.gatewayInterfaceId, gatewayPaymentId: payment.gatewayPaymentId ?? '', gatewayTxId: payment.gatewayTxId ?? '',
    status: payment.status, paidAt: payment.paidAt ?? '', createdAt: payment.createdAt, updatedAt: payment.updatedAt,
    refundedAmount: payment.refundedAmount,
  };
}

/** BalanceTransactionInfo of a ledger entry. */
export function ledgerEntryInfo(entry: LedgerEntry & { customerId: string; createdAt: string }): MessageInitShape<typeof BalanceTransactionInfoSchema> {
  return {
    id: entry.id, customerId: entry.customerId, amount: entry.amount, balanceAfter: entry.balanceAfter, transactionType: entry.type,
    referenceId: entry.referenceId ?? '', description: entry.description, createdAt: entry.createdAt,
  };
}
