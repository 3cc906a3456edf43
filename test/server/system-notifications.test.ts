/**
 * System notifications through the outbox (issue 9): a paid and provisioned order is told to every
 * enabled notifier handling the event — the customer's address and, for admin events, `[server]
 * notify_email` — each channel delivered and retried on its own, so a broken channel delays nobody
 * and ends as a dead letter, never dropped; a fan-out that runs again sends nothing twice.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../support/db.ts';
import { TicketService } from '../../src/gen/rustbill/ticket_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/counterparts/webhook-receiver.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { eventually } from '../support/eventually.ts';

let bed: MoneyBed;
let good: WebhookReceiver;
let brokenCalls = 0;
let broken: ReturnType<typeof createServer>;

beforeAll(async () => {
  good = await startWebhookReceiver();
  broken = createServer((_request, response) => {
    brokenCalls += 1;
    response.writeHead(500).end('down');
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  bed = await startMoneyBed({
    config: {
      server: { notify_email: 'ops@reseller.example' },
      jobs: { max_attempts: 3, backoff_base_ms: 200, backoff_max_ms: 500, poll_interval_ms: 200 },
      plugins: { http_retries: 0 },
    },
  });
  const plugins = (await bed.admin.integration.listPlugins({ pluginType: 'notifier' })).plugins;
  const webhook = plugins.find((plugin) => plugin.pluginId === 'webhook');
  const hooks: Array<[string, string, string[]]> = [['Good hook', good.url, []], ['Broken hook', `http://127.0.0.1:${(broken.address() as AddressInfo).port}/hook`, ['order_provisioned', 'order_paid']]];
  for (const [name, url, events] of hooks) {
    const created = await bed.admin.integration.createPluginInterface({ pluginDefId: webhook?.id ?? '', displayName: name, configJson: JSON.stringify({ url, supported_events: events }) });
    await bed.admin.integration.togglePluginInterface({ interfaceId: created.interface?.id ?? '', enable: true });
  }
}, 120_000);

afterAll(async () => {
  await bed?.stop();
  await good?.close();
  broken?.close();
});

describe('system events through the outbox', () => {
  it('reach every channel on its own; the broken one is retried and left failed, the good one is not held up', async () => {
    const buyer = await bed.customer('100.00');
    const order = (await buyer.api.orders.createOrder({
      customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: BALANCE, notes: '', billingCycle: 'monthly',
    })).order;
    const provisioned = await eventually(async () => {
      const hits = good.received.filter((hit) => (hit.json as { event_type?: string } | null)?.event_type === 'order_provisioned');
      return hits.length > 0 ? hits : undefined;
    }, 'the order_provisioned webhook');
    expect(provisioned.map((hit) => (hit.json as { recipient: string }).recipient)).toEqual([buyer.email]);
    // Each delivery is a job of its own: order_paid's two may land after order_provisioned's.
    const paidTo = (): string[] => good.received.filter((hit) => (hit.json as { event_type?: string } | null)?.event_type === 'order_paid').map((hit) => (hit.json as { recipient: string }).recipient);
    const paid = await eventually(async () => (paidTo().length >= 2 ? paidTo() : undefined), 'both order_paid webhooks');
    expect(paid.sort()).toEqual([buyer.email, 'ops@reseller.example'].sort());

    // The broken channel's deliveries end as dead letters after their attempts, each retried.
    const failed = await eventually(async () => {
      const rows = await queryRows<{ attempts: number; payload: { event_type: string; recipient: string } }>(bed.db.url,
        "select attempts, payload from event_queue where event_type = 'notification_delivery' and status = 'failed' and customer_id = $1", [buyer.customerId]);
      return rows.length === 3 ? rows : undefined;
    }, 'the broken channel\'s deliveries to fail');
    expect(failed.map((row) => row.attempts)).toEqual([3, 3, 3]);
    expect(failed.map((row) => `${row.payload.event_type} ${row.payload.recipient}`).sort()).toEqual([`order_paid ${buyer.email}`, 'order_paid ops@reseller.example', `order_provisioned ${buyer.email}`].sort());
    // The channel was really called; later attempts may be cut short by its open circuit breaker
    // (five failures to one host), and still count as failed attempts.
    expect(brokenCalls).toBeGreaterThanOrEqual(3);
    expect((await queryRows<{ status: string }>(bed.db.url, 'select status from orders where id = $1', [order?.id]))[0]?.status).toBe('active');
  });

  it('tells the new assignee of a ticket, and the ticket\'s creator of a public reply (not of an internal one)', async () => {
    const buyer = await bed.customer();
    const tickets = grpcClient(TicketService, bed.server.url, bearer(buyer.accessToken));
    const admin = grpcClient(TicketService, bed.server.url, bearer(bed.adminToken));
    const [me] = await queryRows<{ id: string }>(bed.db.url, "select id from admin_users where username = 'admin'");
    await queryRows(bed.db.url, "update admin_users set email = 'support-lead@reseller.example' where id = $1", [me?.id]);
    const ticket = (await tickets.createTicket({ title: 'Server slow', description: 'since noon', priority: 'high' })).ticket;
    await admin.updateTicket({ id: ticket?.id ?? '', assigneeUserId: me?.id ?? '' });
    await admin.createReply({ ticketId: ticket?.id ?? '', content: 'note to self', isInternal: true });
    await admin.createReply({ ticketId: ticket?.id ?? '', content: 'We are on it', isInternal: false });
    const hits = await eventually(async () => {
      const found = good.received.map((hit) => hit.json as { event_type: string; recipient: string }).filter((hit) => hit.event_type.startsWith('ticket_'));
      return found.length >= 2 ? found : undefined;
    }, 'the ticket notifications');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const all = good.received.map((hit) => hit.json as { event_type: string; recipient: string }).filter((hit) => hit.event_type.startsWith('ticket_'));
    expect(hits.length).toBeGreaterThanOrEqual(2);
    expect(all.map((hit) => `${hit.event_type} ${hit.recipient}`).sort()).toEqual([`ticket_assigned support-lead@reseller.example`, `ticket_replied ${buyer.email}`].sort());
  });

  it('sends nothing twice when a system event is handled again', async () => {
    const before = good.received.length;
    const [event] = await queryRows<{ id: string; customer_id: string }>(bed.db.url, "select id, customer_id from event_queue where event_type = 'order_provisioned' order by created_at desc limit 1");
    await queryRows(bed.db.url, "update event_queue set status = 'pending', available_at = now() where id = $1", [event?.id]);
    await eventually(async () => {
      const rows = await queryRows<{ status: string }>(bed.db.url, 'select status from event_queue where id = $1', [event?.id]);
      return rows[0]?.status === 'done' ? true : undefined;
    }, 'the event to be handled again');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(good.received.length).toBe(before);
    const deliveries = await queryRows<{ n: string }>(bed.db.url, "select count(*)::text as n from event_queue where event_type = 'notification_delivery' and payload->>'source_event_id' = $1", [event?.id]);
    expect(deliveries[0]?.n).toBe('2');
  });
});
