import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { NotificationService } from '../../src/gen/rustbill/notification_pb.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { COUNTERPARTS_ALLOW } from '../support/counterparts/allow-list.ts';
import { startSmtpServer, type SmtpCounterpart } from '../support/counterparts/smtp.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/counterparts/webhook-receiver.ts';
import { createTestDatabase } from '../support/db.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };
let smtp: SmtpCounterpart;
let webhook: WebhookReceiver;
let token = '';
const channels: { webhook: string; email: string } = { webhook: '', email: '' };

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpServer();
  webhook = await startWebhookReceiver('hook-secret');
  // The server scans the shipped plugins/ directory at boot.
  // The counterparts listen on 127.0.0.1, which the outbound policy refuses unless allow-listed.
  server = await startServer({ databaseUrl: db.url, workers: 2, config: { plugins: { outbound_allow: COUNTERPARTS_ALLOW } } });
  token = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  const integration = grpcClient(IntegrationService, server.url, bearer(token));
  const plugins = (await integration.listPlugins({ pluginType: 'notifier' })).plugins;
  const definition = (id: string): string => {
    const found = plugins.find((plugin) => plugin.pluginId === id);
    if (!found) throw new Error(`notifier-${id} was not scanned: ${plugins.map((p) => p.pluginId).join(', ')}`);
    return found.id;
  };
  const hook = await integration.createPluginInterface({
    pluginDefId: definition('webhook'),
    displayName: 'Ops webhook',
    configJson: JSON.stringify({ url: webhook.url, secret: 'hook-secret' }),
  });
  const mail = await integration.createPluginInterface({
    pluginDefId: definition('email'),
    displayName: 'Customer mail',
    configJson: JSON.stringify({
      smtp_host: smtp.host, smtp_port: smtp.port, from: 'billing@nodebill.test', username: smtp.username, password: smtp.password, encryption: 'none',
    }),
  });
  channels.webhook = hook.interface?.id ?? '';
  channels.email = mail.interface?.id ?? '';
  await integration.togglePluginInterface({ interfaceId: channels.webhook, enable: true });
  await integration.togglePluginInterface({ interfaceId: channels.email, enable: true });
});

afterAll(async () => {
  await server?.stop();
  await smtp?.close();
  await webhook?.close();
  await db?.drop();
});

describe('notifications through notifier plugins', () => {
  it('lists the enabled notifier interfaces as channels', async () => {
    const list = await grpcClient(NotificationService, server.url, bearer(token)).listNotifiers({});
    expect(list.notifiers.map((channel) => channel.channelId).sort()).toEqual([channels.webhook, channels.email].sort());
    expect(list.notifiers.find((channel) => channel.channelId === channels.email)?.channelName).toBe('Customer mail');
  });

  it('delivers a notification to every channel: a signed webhook and an e-mail', async () => {
    const sent = await grpcClient(NotificationService, server.url, bearer(token)).sendNotification({
      eventType: 'order.paid',
      title: 'Order paid',
      body: 'Order 42 was paid.',
      recipient: 'ops@example.com',
    });
    expect(sent.results.map((result) => [result.channelId, result.success, result.errorMessage]).sort()).toEqual(
      [[channels.webhook, true, ''], [channels.email, true, '']].sort(),
    );
    const hook = webhook.received.at(-1);
    expect(hook?.signatureValid).toBe(true);
    expect(hook?.json).toMatchObject({ event_type: 'order.paid', title: 'Order paid', body: 'Order 42 was paid.', recipient: 'ops@example.com' });
    // The webhook interface got a circuit breaker of its own for its host, exported (closed) on the cluster's /metrics.
    const hookHost = new URL(webhook.url).host;
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`nodebill_plugin_breaker_state\\{host="${hookHost.replaceAll('.', '\\.')}",interface_id="${channels.webhook}",worker="\\d+"\\} 0`));
    expect(metrics).toMatch(new RegExp(`nodebill_plugin_outbound_requests_total\\{host="${hookHost.replaceAll('.', '\\.')}"[^}]*\\} [1-9]`));
    const mail = smtp.messages.at(-1);
    expect(mail?.to).toEqual(['ops@example.com']);
    expect(mail?.subject).toBe('Order paid');
    expect(mail?.body).toContain('Order 42 was paid.');
  });

  it('reports a channel id that is not an enabled notifier as a failed result', async () => {
    const sent = await grpcClient(NotificationService, server.url, bearer(token)).sendNotification({
      eventType: 'test', title: 'T', body: 'B', recipient: 'x@example.com', channelIds: ['01a20000-0000-7000-8000-000000000000'],
    });
    expect(sent.results).toHaveLength(1);
    expect(sent.results[0]?.success).toBe(false);
  });

  it('e-mails registration codes through the e-mail notifier, never to the webhook', async () => {
    const identity = grpcClient(IdentityService, server.url);
    const hooksBefore = webhook.received.length;
    await identity.sendVerificationCode({ email: 'newcomer@example.com', purpose: 'registration' });
    const mail = smtp.messages.find((message) => message.to.includes('newcomer@example.com'));
    expect(mail?.subject).toBe('Your verification code');
    const code = /\b(\d{6})\b/.exec(mail?.body ?? '')?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect(webhook.received.length).toBe(hooksBefore);
    // The code is no longer written to the log once a channel delivers it.
    expect(server.logs.some((line) => line.email === 'newcomer@example.com' && 'code' in line)).toBe(false);
    const registered = await identity.register({
      username: 'newcomer', email: 'newcomer@example.com', displayName: 'Newcomer', password: 'Newcomer-Pass1', verificationCode: code ?? '',
    });
    expect(registered.customerId).not.toBe('');
  });
});
