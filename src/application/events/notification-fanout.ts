/**
 * System notifications (issue 9, "System events"): a system event (order_paid, order_provisioned,
 * order_cancelled, payment_refunded, ticket_assigned, ticket_replied, invoice_issued,
 * invoice_overdue, …) is fanned out into one `notification_delivery` event per enabled notifier
 * channel handling it and per recipient — written to the outbox with a unique dedupe key, so a
 * fan-out that runs twice writes each delivery once. Each delivery is then a job of its own with
 * its own retries and backoff: a slow or broken channel delays nobody. Customer events go to the
 * customer's e-mail address; admin copies to `[server] notify_email` when it is set.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { newId } from '../../lib/ids.ts';
import { activeTraceparent } from '../../telemetry/index.ts';
import type { OutboxEvent } from '../../jobs/types.ts';
import type { Notification } from '../../plugins/notifications.ts';

/** The event type of one delivery to one channel. */
export const DELIVERY_EVENT = 'notification_delivery';

/** The notifier side (src/plugins/notifications.ts NotificationDispatcher). */
export interface NotifierChannels {
  channels(): Promise<Array<{ id: string; supportedEvents: string[] }>>;
  send(notification: Notification, channelIds: readonly string[]): Promise<Array<{ channelId: string; success: boolean; error: string }>>;
}

/** One message of an event: who gets it and what it says. */
interface Message {
  recipient: string;
  audience: 'customer' | 'admin' | 'staff';
  title: string;
  body: string;
}

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** Titles and bodies by event type (`payload` is the event's). */
const WORDING: Record<string, (p: Record<string, unknown>) => { title: string; body: string }> = {
  order_paid: (p) => ({ title: 'Order paid', body: `Order ${text(p.order_id)} was paid (${text(p.amount)}); the server is being set up` }),
  order_provisioned: (p) => ({ title: 'Your server is ready', body: `Order ${text(p.order_id)} is active; instance ${text(p.provider_instance_id)}${p.ip_address ? ` at ${text(p.ip_address)}` : ''}` }),
  order_cancelled: (p) => ({ title: 'Order cancelled', body: `Order ${text(p.order_id)} was cancelled: ${text(p.reason)}${p.refunded ? '; the payment was refunded' : ''}` }),
  payment_refunded: (p) => ({ title: 'Payment refunded', body: `${text(p.amount)} of payment ${text(p.payment_id)} was refunded (${p.route === 'gateway' ? 'to the payment method' : 'to the balance'})` }),
  balance_recharged: (p) => ({ title: 'Balance recharged', body: `${text(p.amount)} was added to the balance` }),
  invoice_paid: (p) => ({ title: 'Invoice paid', body: `Invoice ${text(p.invoice_number)} was paid (${text(p.amount)})` }),
  invoice_issued: (p) => ({ title: `Invoice ${text(p.invoice_number)}`, body: `Invoice ${text(p.invoice_number)} of ${text(p.total ?? p.total_amount)} is due on ${text(p.due_date)}` }),
  invoice_overdue: (p) => ({ title: `Invoice ${text(p.invoice_number)} is overdue`, body: `Invoice ${text(p.invoice_number)} of ${text(p.total ?? p.total_amount)} was due on ${text(p.due_date)}` }),
  invoice_reminder: (p) => {
    const days = Number(text(p.days));
    const when = days < 0 ? `is due in ${-days} day(s), on ${text(p.due_date)}` : days === 0 ? `is due today` : `was due on ${text(p.due_date)} (${days} day(s) ago)`;
    return { title: `Reminder: invoice ${text(p.invoice_number)}`, body: `Invoice ${text(p.invoice_number)} of ${text(p.total)} for ${text(p.product_name) || 'your service'} ${when}` };
  },
  service_suspended: (p) => ({
    title: `Service suspended: ${text(p.product_name)}`,
    body: `${text(p.product_name) || 'Your service'} (order ${text(p.order_id)}) was suspended because invoice ${text(p.invoice_number)} of ${text(p.total)} is unpaid; paying it restores the service at once`,
  }),
  service_restored: (p) => ({ title: `Service restored: ${text(p.product_name)}`, body: `Invoice ${text(p.invoice_number)} was paid; ${text(p.product_name) || 'your service'} (order ${text(p.order_id)}) is running again` }),
  service_terminated: (p) => ({ title: `Service ended: ${text(p.product_name)}`, body: `${text(p.product_name) || 'Your service'} (order ${text(p.order_id)}) has ended: ${text(p.why)}${p.credited ? `; ${text(p.credited)} was credited to the balance` : ''}` }),
  service_cancellation_scheduled: (p) => ({ title: `Cancellation scheduled: ${text(p.product_name)}`, body: `${text(p.product_name) || 'Your service'} (order ${text(p.order_id)}) ends on ${text(p.period_end)} and will not renew` }),
  service_plan_changed: (p) => ({ title: `Plan changed: ${text(p.product_name)}`, body: `Order ${text(p.order_id)} is now ${text(p.product_name)}: ${text(p.credit)} credited for the old plan, ${text(p.charge)} charged for the new one` }),
  ticket_assigned: (p) => ({ title: `Ticket assigned: ${text(p.title)}`, body: `Ticket ${text(p.ticket_id)} "${text(p.title)}" was assigned to ${text((p.new_assignee as Record<string, unknown> | null)?.username) || 'nobody'}` }),
  ticket_replied: (p) => ({ title: `New reply: ${text(p.title)}`, body: `Ticket ${text(p.ticket_id)} "${text(p.title)}" has a new reply` }),
};

/** Events the fan-out handles. */
export const SYSTEM_EVENTS = Object.keys(WORDING);

/** Events an admin copy goes to `[server] notify_email` for. */
const ADMIN_EVENTS = new Set(['order_paid', 'order_cancelled', 'payment_refunded', 'invoice_overdue', 'service_suspended', 'service_terminated']);

function emailOf(value: unknown): string {
  return value !== null && typeof value === 'object' ? text((value as Record<string, unknown>).email) : '';
}

/** See the file comment. */
export class NotificationFanout {
  private readonly deps: { pool: pg.Pool; channels: NotifierChannels; notifyEmail: string; log: Pick<Logger, 'warn'>; nudge: () => void };

  /** @param deps.nudge wakes the event processing after deliveries were written */
  constructor(deps: NotificationFanout['deps']) {
    this.deps = deps;
  }

  /** Writes the deliveries of `event` (idempotent). */
  async fanOut(event: OutboxEvent): Promise<void> {
    const wording = WORDING[event.eventType];
    if (!wording) return;
    const messages = await this.messagesOf(event, wording(event.payload));
    if (messages.length === 0) return;
    const channels = (await this.deps.channels.channels()).filter((channel) => channel.supportedEvents.length === 0 || channel.supportedEvents.includes(event.eventType));
    const rows = channels.flatMap((channel) => messages.map((message) => ({
      id: newId(),
      dedupe_key: `${event.id}:${channel.id}:${message.recipient}`.slice(0, 255),
      payload: { channel_id: channel.id, event_type: event.eventType, source_event_id: event.id, ...message, metadata: stringValues(event.payload) },
    })));
    if (rows.length === 0) return;
    await this.deps.pool.query(
      `insert into event_queue (id, event_type, payload, customer_id, dedupe_key, trace_parent)
       select r.id, $2, r.payload, $3, r.dedupe_key, $4 from jsonb_to_recordset($1::jsonb) r(id uuid, payload jsonb, dedupe_key text)
       on conflict (dedupe_key) where dedupe_key is not null do nothing`,
      // The deliveries continue the trace of the event being fanned out (its handler's span).
      [JSON.stringify(rows), DELIVERY_EVENT, event.customerId, activeTraceparent()],
    );
    this.deps.nudge();
  }

  /**
   * Sends one delivery through its channel.
   * @throws Error when the channel failed (the delivery is retried with backoff)
   */
  async deliver(event: OutboxEvent): Promise<void> {
    const p = event.payload;
    const notification: Notification = { eventType: text(p.event_type), title: text(p.title), body: text(p.body), recipient: text(p.recipient), metadata: stringValues((p.metadata ?? {}) as Record<string, unknown>) };
    const [result] = await this.deps.channels.send(notification, [text(p.channel_id)]);
    if (result && !result.success) {
      // A channel that no longer exists or no longer handles the event will not get better.
      if (/no enabled notifier interface|does not handle/.test(result.error)) {
        this.deps.log.warn({ eventId: event.id, channelId: result.channelId, error: result.error }, 'notification dropped');
        return;
      }
      throw new Error(`notifier ${result.channelId} failed: ${result.error}`);
    }
  }

  private async messagesOf(event: OutboxEvent, words: { title: string; body: string }): Promise<Message[]> {
    const messages: Message[] = [];
    if (event.eventType === 'ticket_assigned') {
      for (const who of [event.payload.old_assignee, event.payload.new_assignee]) {
        const email = emailOf(who);
        if (email !== '') messages.push({ recipient: email, audience: 'staff', ...words });
      }
    } else if (event.eventType === 'ticket_replied') {
      const email = text(event.payload.recipient_email) || emailOf(event.payload.recipient) || emailOf(event.payload.creator);
      if (email !== '') messages.push({ recipient: email, audience: 'customer', ...words });
    } else if (event.customerId) {
      const { rows } = await this.deps.pool.query<{ email: string }>('select email from customers where id = $1', [event.customerId]);
      const email = rows[0]?.email ?? '';
      if (email !== '') messages.push({ recipient: email, audience: 'customer', ...words });
    }
    if (this.deps.notifyEmail !== '' && ADMIN_EVENTS.has(event.eventType)) messages.push({ recipient: this.deps.notifyEmail, audience: 'admin', ...words });
    // One message per recipient.
    return messages.filter((message, index) => messages.findIndex((other) => other.recipient === message.recipient) === index);
  }
}

function stringValues(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
}
