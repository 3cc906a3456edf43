import type { MoneyPath } from '../../application/money-path.ts';
import { invalid } from '../../domain/errors.ts';
import { isOrderStatus, ORDER_STATUSES, type OrderStatus } from '../../domain/orders/order.ts';
import { OrderService } from '../../gen/rustbill/order_pb.ts';
import { scopedCustomerId } from '../authz.ts';
import { optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';
import { IDEMPOTENCY_HEADER } from './customer.ts';
import { orderedSpecOf, orderInfo, paymentInfo } from './money-mapping.ts';

function statusField(field: string, value: string | undefined): OrderStatus | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isOrderStatus(value)) throw invalid(`${field} "${value.slice(0, 40)}" is not an order status; the statuses are ${ORDER_STATUSES.join(', ')}`);
  return value;
}

/** A gateway id field: a UUID, or empty (no payment now). */
function gatewayField(field: string, value: string): string {
  return value === '' ? '' : uuidField(field, value);
}

/**
 * OrderService, all 6 RPCs (rustbill-docs.md OrderService): validates ids, scopes customers to
 * their own orders, and calls the order use cases (src/application/orders), whose changes are
 * commands to the customer's actor.
 */
export function orderHandlers(money: MoneyPath): ServiceHandlers<typeof OrderService> {
  return {
    async createOrder(request, call) {
      const customerId = uuidField('customer_id', scopedCustomerId(call.caller, request.customerId) ?? '');
      const created = await money.orders.create(call, {
        customerId, productId: uuidField('product_id', request.productId), providerInterfaceId: uuidField('provider_interface_id', request.providerInterfaceId),
        serverSpec: orderedSpecOf(request.serverSpec), currency: request.currency, gatewayInterfaceId: gatewayField('gateway_interface_id', request.gatewayInterfaceId),
        notes: request.notes, billingCycle: request.billingCycle, promotionCode: request.promotionCode ?? '',
      }, call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { order: orderInfo(created.order), ...(created.payment ? { payment: paymentInfo(created.payment) } : {}) };
    },

    async listOrders(request, call) {
      const page = resolvePage(request.pagination);
      const customerId = optionalUuidField('customer_id', scopedCustomerId(call.caller, request.customerId));
      const providerInterfaceId = optionalUuidField('provider_interface_id', request.providerInterfaceId === '' ? undefined : request.providerInterfaceId);
      const status = statusField('status', request.status);
      const search = request.search?.trim().slice(0, 100);
      const { items, total } = await money.reads.orders({
        ...(customerId ? { customerId } : {}), ...(status ? { status } : {}), ...(providerInterfaceId ? { providerInterfaceId } : {}), ...(search ? { search } : {}),
      }, page);
      return { orders: items.map(orderInfo), meta: pageMeta(page, total) };
    },

    async getOrder(request, call) {
      return { order: orderInfo(await money.reads.order(uuidField('id', request.id), scopedCustomerId(call.caller, undefined))) };
    },

    async updateOrder(request, call) {
      const status = statusField('status', request.status);
      const updated = await money.orders.update(call, uuidField('id', request.id), {
        ...(status ? { status } : {}),
        ...(request.providerInstanceId !== undefined ? { providerInstanceId: request.providerInstanceId.trim() } : {}),
        ...(request.notes !== undefined ? { notes: request.notes } : {}),
      }, call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { order: orderInfo(updated) };
    },

    async deleteOrder(request, call) {
      await money.orders.remove(call, uuidField('id', request.id), call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return {};
    },

    async payOrder(request, call) {
      const paid = await money.orders.pay(call, uuidField('order_id', request.orderId), uuidField('gateway_interface_id', request.gatewayInterfaceId), call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { payment: paymentInfo(paid.payment) };
    },
  };
}
