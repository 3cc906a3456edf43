import type { MoneyPath } from '../../application/money-path.ts';
import type { RefundRoute } from '../../domain/accounts/account.ts';
import { invalid } from '../../domain/errors.ts';
import { isPaymentStatus, PAYMENT_STATUSES } from '../../domain/payments/payment.ts';
import { PaymentService } from '../../gen/rustbill/payment_pb.ts';
import { scopedCustomerId } from '../authz.ts';
import { optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';
import { IDEMPOTENCY_HEADER } from './customer.ts';
import { paymentRecord } from './money-mapping.ts';

/** Header choosing where RefundPayment sends a gateway payment's money: `balance` or `gateway` (default). */
export const REFUND_TO_HEADER = 'refund-to';

function refundRoute(value: string | null): RefundRoute | null {
  if (value === null || value === '') return null;
  if (value === 'balance' || value === 'gateway') return value;
  throw invalid(`the ${REFUND_TO_HEADER} header must be "balance" or "gateway"`);
}

function optionalId(field: string, value: string | undefined): string | undefined {
  return optionalUuidField(field, value === '' ? undefined : value);
}

/**
 * PaymentService, all 6 RPCs (rustbill-docs.md PaymentService): validates, scopes customers to
 * their own payments, and calls the payment use cases (src/application/payments).
 */
export function paymentHandlers(money: MoneyPath): ServiceHandlers<typeof PaymentService> {
  return {
    async createPayment(request, call) {
      const customerId = scopedCustomerId(call.caller, undefined);
      const started = await money.payments.create(call, {
        ...(customerId ? { customerId } : {}),
        orderId: request.orderId === '' ? '' : uuidField('order_id', request.orderId),
        invoiceId: request.invoiceId === '' ? '' : uuidField('invoice_id', request.invoiceId),
        gatewayInterfaceId: uuidField('gateway_interface_id', request.gatewayInterfaceId),
        returnUrl: request.returnUrl.trim(),
      }, call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { payment: paymentRecord(started.payment), paymentUrl: started.paymentUrl, qrCode: started.qrCode, instructions: started.instructions };
    },

    async listPayments(request, call) {
      const page = resolvePage(request.pagination);
      const customerId = scopedCustomerId(call.caller, undefined);
      const status = request.status === undefined || request.status === '' ? undefined : request.status;
      if (status !== undefined && !isPaymentStatus(status)) throw invalid(`status "${status.slice(0, 40)}" is not a payment status; the statuses are ${PAYMENT_STATUSES.join(', ')}`);
      const orderId = optionalId('order_id', request.orderId);
      const invoiceId = optionalId('invoice_id', request.invoiceId);
      const gatewayInterfaceId = optionalId('gateway_interface_id', request.gatewayInterfaceId);
      const { items, total } = await money.reads.payments({
        ...(customerId ? { customerId } : {}), ...(orderId ? { orderId } : {}), ...(invoiceId ? { invoiceId } : {}),
        ...(gatewayInterfaceId ? { gatewayInterfaceId } : {}), ...(status ? { status } : {}),
      }, page);
      return { payments: items.map(paymentRecord), meta: pageMeta(page, total) };
    },

    async getPayment(request, call) {
      return { payment: paymentRecord(await money.reads.payment(uuidField('id', request.id), scopedCustomerId(call.caller, undefined))) };
    },

    async queryPaymentStatus(request, call) {
      return { payment: paymentRecord(await money.payments.query(call, uuidField('payment_id', request.paymentId))) };
    },

    async handleCallback(request, call) {
      const { payment } = await money.payments.handleCallback(call, uuidField('gateway_interface_id', request.gatewayInterfaceId), request.payload);
      return { payment: paymentRecord(payment) };
    },

    async refundPayment(request, call) {
      const refunded = await money.payments.refund(
        call, uuidField('payment_id', request.paymentId), request.amount, refundRoute(call.requestHeaders.get(REFUND_TO_HEADER)), call.requestHeaders.get(IDEMPOTENCY_HEADER),
      );
      return { payment: paymentRecord(refunded) };
    },
  };
}
