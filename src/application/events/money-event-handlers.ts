/**
 * What the outbox events do (HA guide §4.3; issues 8, 9 and 11): `order_paid` runs the provisioning
 * saga; `service_suspended` / `service_restored` / `service_terminated` make the order's instance
 * follow it through its provider (service-instances.ts); every system event is fanned out into one notification delivery per notifier channel and
 * recipient (notification-fanout.ts), each delivered — and retried — on its own. Handlers are
 * idempotent: an event delivered twice acts once.
 */
import type { OutboxEvent } from '../../jobs/types.ts';
import type { Provisioning } from '../provisioning/provisioning.ts';
import type { ServiceInstances } from '../provisioning/service-instances.ts';
import { DELIVERY_EVENT, SYSTEM_EVENTS, type NotificationFanout } from './notification-fanout.ts';

/** The handlers by event type, for the event processing (src/jobs). */
export function moneyEventHandlers(deps: { provisioning: Provisioning; fanout: NotificationFanout; serviceInstances: ServiceInstances }): Record<string, (event: OutboxEvent) => Promise<void>> {
  const handlers: Record<string, (event: OutboxEvent) => Promise<void>> = {};
  for (const type of SYSTEM_EVENTS) handlers[type] = (event) => deps.fanout.fanOut(event);
  handlers.order_paid = async (event) => {
    await deps.fanout.fanOut(event);
    await deps.provisioning.onOrderPaid(event);
  };
  // The service lifecycle (issue 11): the instance follows its order, then the customer is told.
  for (const type of ['service_suspended', 'service_restored', 'service_terminated']) {
    handlers[type] = async (event) => {
      if (event.orderId) await deps.serviceInstances.reconcile(event.orderId);
      await deps.fanout.fanOut(event);
    };
  }
  handlers[DELIVERY_EVENT] = (event) => deps.fanout.deliver(event);
  handlers.payment_received = async () => undefined;
  return handlers;
}
