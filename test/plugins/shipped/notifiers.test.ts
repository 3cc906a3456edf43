/**
 * The notifier plugins against real counterparts, through the real engine and host services:
 * notifier-webhook posting to a receiver that verifies the HMAC signature, notifier-email sending
 * through a real SMTP server (login required) that collects the messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestCertificates, type TestCertificates } from '../../support/counterparts/certs.ts';
import { type SmtpCounterpart, startSmtpServer } from '../../support/counterparts/smtp.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/counterparts/webhook-receiver.ts';
import { failure, object, type ShippedPluginBed, shippedPluginBed } from './harness.ts';
import { COUNTERPARTS_ALLOW } from '../../support/counterparts/allow-list.ts';

let bed: ShippedPluginBed;
beforeAll(async () => {
  bed = await shippedPluginBed({ outbound_allow: COUNTERPARTS_ALLOW });
});
afterAll(async () => {
  await bed?.close();
});

const MESSAGE = { event_type: 'order.paid', title: 'Order paid', body: 'Order 42 was paid: 100.00 CNY. 谢谢!', recipient: 'alice@example.com' };

describe('notifier-webhook', () => {
  const secret = 'webhook-shared-secret';
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver(secret);
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('posts the JSON message with an X-Signature the receiver verifies', async () => {
    const webhook = await bed.install('notifier-webhook', { url: receiver.url, secret });
    expect(await bed.call(webhook, 'send', MESSAGE)).toBe('OK');
    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    expect(delivery?.signatureValid).toBe(true);
    expect(delivery?.answeredStatus).toBe(204);
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.headers['x-webhook-event']).toBe('order.paid');
    expect(delivery?.headers['x-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const body = object(delivery?.json);
    expect(body).toMatchObject(MESSAGE);
    expect(Date.parse(String(body.timestamp))).toBeGreaterThan(Date.now() - 60_000);
    expect(Object.keys(body).sort()).toEqual(['body', 'event_type', 'recipient', 'timestamp', 'title']);
  });

  it('signs with the configured secret: a receiver with another secret refuses the message, failing the call', async () => {
    const webhook = await bed.install('notifier-webhook', { url: receiver.url, secret: 'some-other-secret' });
    const refused = await failure(bed.call(webhook, 'send', MESSAGE), 'script_error');
    expect(refused.message).toBe(`webhook ${receiver.url} answered HTTP 401`);
    expect(receiver.received.at(-1)).toMatchObject({ signatureValid: false, answeredStatus: 401 });
  });

  it('sends no signature without a secret', async () => {
    const open = await startWebhookReceiver();
    try {
      const webhook = await bed.install('notifier-webhook', { url: open.url });
      await bed.call(webhook, 'send', MESSAGE);
      expect(open.received).toHaveLength(1);
      expect(open.received[0]?.headers['x-signature']).toBeUndefined();
      expect(object(open.received[0]?.json)).toMatchObject(MESSAGE);
    } finally {
      await open.close();
    }
  });

  it('takes supported_events from the config (default: all), has no templates, checks its URL', async () => {
    const all = await bed.install('notifier-webhook', { url: receiver.url });
    expect(await bed.call(all, 'supported_events')).toEqual([]);
    expect(await bed.call(all, 'templates')).toEqual({});
    expect(await bed.call(all, 'health_check')).toBe(true);
    const some = await bed.install('notifier-webhook', { url: receiver.url, supported_events: ['order.paid', 'instance.ready'] });
    expect(await bed.call(some, 'supported_events')).toEqual(['order.paid', 'instance.ready']);
    const broken = await bed.install('notifier-webhook', { url: 'ftp://example.com/hook' });
    expect(object(await bed.call(broken, 'health_check'))).toMatchObject({ healthy: false });
    expect((await failure(bed.call(broken, 'send', MESSAGE), 'script_error')).message).toMatch(/not an http\(s\) URL/);
  });
});

describe('notifier-email', () => {
  let certs: TestCertificates;
  let smtp: SmtpCounterpart;
  beforeAll(async () => {
    certs = generateTestCertificates();
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp?.close();
  });

  const config = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    smtp_host: smtp.host, smtp_port: smtp.port, from: 'NodeBill <billing@nodebill.test>', username: smtp.username, password: smtp.password,
    encryption: 'none', ...overrides,
  });

  it('delivers the message to the recipient through the SMTP server, logged in', async () => {
    const email = await bed.install('notifier-email', config());
    expect(await bed.call(email, 'health_check')).toBe(true);
    expect(await bed.call(email, 'send', MESSAGE)).toBe('OK');
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail).toMatchObject({ from: 'billing@nodebill.test', to: ['alice@example.com'], user: smtp.username, subject: 'Order paid' });
    expect(mail?.raw).toMatch(/^To: alice@example\.com/m);
    expect(mail?.raw).toMatch(/^Content-Type: text\/plain/m);
    expect(await bed.call(email, 'supported_events')).toEqual([]);
  });

  it('fails the call when the server refuses the login', async () => {
    const email = await bed.install('notifier-email', config({ password: 'wrong' }));
    const error = await failure(bed.call(email, 'send', MESSAGE), 'host_error');
    expect(error.message).toMatch(/Invalid username or password/);
  });

  it('refuses a recipient that is not an address before talking to the server', async () => {
    const email = await bed.install('notifier-email', config());
    expect((await failure(bed.call(email, 'send', { ...MESSAGE, recipient: 'not an address' }), 'script_error')).message).toMatch(/not an e-mail address/);
  });

  it('uses STARTTLS with a self-signed server certificate when tls_reject_unauthorized is "false"', async () => {
    const tlsSmtp = await startSmtpServer({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    try {
      const email = await bed.install('notifier-email', {
        smtp_host: tlsSmtp.host, smtp_port: tlsSmtp.port, from: 'billing@nodebill.test', username: tlsSmtp.username, password: tlsSmtp.password,
        encryption: 'starttls', tls_reject_unauthorized: 'false',
      });
      await bed.call(email, 'send', MESSAGE);
      expect(tlsSmtp.messages).toHaveLength(1);
      expect(tlsSmtp.messages[0]).toMatchObject({ secure: true, to: ['alice@example.com'] });
    } finally {
      await tlsSmtp.close();
    }
  });
});
