import type { ServiceChanges } from '../../application/orders/service-changes.ts';
import type { ServiceLifecycle } from '../../application/billing/service-lifecycle.ts';
import { BillingService } from '../../gen/rustbill/billing_pb.ts';
import { OrderService } from '../../gen/rustbill/order_pb.ts';
import { uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { IDEMPOTENCY_HEADER } from './customer.ts';
import { orderedSpecOf, orderInfo } from './money-mapping.ts';

/**
 * OrderService's recurring-billing extension (issue 11, README "Recurring billing"):
 * CancelService and ChangeServicePlan. Validates the ids and calls one ServiceChanges method;
 * customers are scoped to their own services there.
 */
export function serviceChangeHandlers(changes: ServiceChanges): ServiceHandlers<typeof OrderService> {
  return {
    async cancelService(request, call) {
      const { order, credited } = await changes.cancel(call, uuidField('order_id', request.orderId), { atPeriodEnd: request.atPeriodEnd, refund: request.refund },
        call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { order: orderInfo(order), credited };
    },

    async changeServicePlan(request, call) {
      const productId = request.productId === '' ? '' : uuidField('product_id', request.productId);
      const change = await changes.changePlan(call, uuidField('order_id', request.orderId), {
        productId, serverSpec: request.serverSpec ? orderedSpecOf(request.serverSpec) : null, preview: request.preview,
      }, call.requestHeaders.get(IDEMPOTENCY_HEADER));
      const { amounts } = change;
      return {
        order: orderInfo(change.order), credit: amounts.credit, charge: amounts.charge, net: amounts.net, remainingDays: amounts.remainingDays,
        periodDays: amounts.periodDays, newPeriodPrice: change.newPeriodPrice, preview: change.preview,
      };
    },
  };
}

/** BillingService's RunBillingLifecycle (admin only): one run of the service lifecycle now, and what it did. */
export function lifecycleHandlers(lifecycle: ServiceLifecycle): ServiceHandlers<typeof BillingService> {
  return {
    async runBillingLifecycle(_request, call) {
      const report = await lifecycle.run(call);
      return { ...report };
    },
  };
}
