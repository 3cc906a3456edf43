/**
 * What the money path's outbox events do (HA guide §4.3; issue 8): `order_paid` runs the
 * provisioning saga; `order_provisioned`, `order_cancelled`, `payment_refunded` and
 * `balance_recharged` tell the customer through every enabled notifier that handles the event
 * (a channel failing is logged and delays nobody: per-channel retries come with system
 * notifications). Handlers are idempotent: an event delivered twice acts once.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Notification } from '../../plugins/notifications.ts';
import type { Provisioning, SagaEvent } from '../provisioning/provisioning.ts';

/** The notifier side (src/plugins/notifications.ts NotificationDispatcher). */
export interface Notifier {
  send(notification: Notification): Promise<Array<{ channelId: string; success: boolean; error: string }>>;
}

/** Texts of the customer notifications, by event. */
const MESSAGES: Record<string, (payload: Record<string, unknown>) => { title: string; body: string }> = {
  order_provisioned: (p) => ({ title: 'Your server is ready', body: `Order ${String(p.order_id)} is active; instance ${String(p.provider_instance_id ?? '')} ${p.ip_address ? `at ${String(p.ip_address)}` : ''}`.trim() }),
  order_cancelled: (p) => ({ title: 'Your order was cancelled', body: `Order ${String(p.order_id)} was cancelled: ${String(p.reason ?? '')}${p.refunded ? '; the payment was refunded' : ''}` }),
  payment_refunded: (p) => ({ title: 'Payment refunded', body: `${String(p.amount)} of payment ${String(p.payment_id)} was refunded (${p.route === 'gateway' ? 'to your payment method' : 'to your balance'})` }),
  balance_recharged: (p) => ({ title: 'Balance recharged', body: `${String(p.amount)} was added to your balance` }),
};

/**
 * The handlers by event type, for the event processing (src/jobs).
 * @param deps.pool reads the customer's e-mail address for notifications
 */
export function moneyEventHandlers(deps: { provisioning: Provisioning; notifier: Notifier; pool: pg.Pool; log: Pick<Logger, 'warn'> }): Record<string, (event: SagaEvent) => Promise<void>> {
  const notify = async (event: SagaEvent): Promise<void> => {
    const message = MESSAGES[event.eventType];
    if (!message || !event.customerId) return;
    const { rows } = await deps.pool.query<{ email: string }>('select email from customers where id = $1', [event.customerId]);
    const { title, body } = message(event.payload);
    const metadata = Object.fromEntries(Object.entries(event.payload).map(([key, value]) => [key, String(value)]));
    const results = await deps.notifier.send({ eventType: event.eventType, title, body, recipient: rows[0]?.email ?? '', metadata: { ...metadata, event_id: event.id } });
    for (const failed of results.filter((result) => !result.success)) deps.log.warn({ eventId: event.id, channelId: failed.channelId, error: failed.error }, 'notification not delivered');
  };
  return {
    order_paid: (event) => deps.provisioning.onOrderPaid(event),
    order_provisioned: notify,
    order_cancelled: notify,
    payment_refunded: notify,
    balance_recharged: notify,
    payment_received: async () => undefined,
  };
}
