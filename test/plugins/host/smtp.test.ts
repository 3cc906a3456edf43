import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { BreakerOpenError, createHostServices, type HostServicesHandle, type SmtpSettings } from '../../../src/plugins/host/index.ts';
import { smtpTransportOptions } from '../../../src/plugins/host/smtp.ts';
import { capturingLogger, closedPort, CONTEXT, generatePki, keyOf, LOCAL_COUNTERPARTS, testPluginsConfig, type TestPki } from './support.ts';

const noOrm = {} as Parameters<typeof createHostServices>[0]['orm'];

/** A message as the local SMTP server received it. */
interface Received {
  mailFrom: string;
  rcptTo: string[];
  raw: string;
  user: string | undefined;
  secure: boolean;
}

describe('host smtpSend (nodemailer) against a local smtp-server', () => {
  let pki: TestPki;
  let host: HostServicesHandle;
  const servers: SMTPServer[] = [];

  beforeAll(() => {
    pki = generatePki();
    host = createHostServices({ orm: noOrm, config: testPluginsConfig({ outbound_allow: LOCAL_COUNTERPARTS }), log: capturingLogger().log, registry: new Registry() });
  });
  afterAll(async () => {
    await host.close();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(server => new Promise<void>(resolve => server.close(() => resolve()))));
  });

  async function smtpServer(options: SMTPServerOptions): Promise<{ port: string; received: Received[] }> {
    const received: Received[] = [];
    const server = new SMTPServer({
      key: pki.serverKey,
      cert: pki.serverCert,
      logger: false,
      ...options,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            mailFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            rcptTo: session.envelope.rcptTo.map(address => address.address),
            raw: Buffer.concat(chunks).toString('utf8'),
            user: typeof session.user === 'string' ? session.user : undefined,
            secure: session.secure,
          });
          callback();
        });
      },
    });
    servers.push(server);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
    return { port: String((server.server.address() as AddressInfo).port), received };
  }

  const email = { to: 'customer@example.com', subject: 'Order confirmed', body: 'Your order 42 is confirmed.', content_type: 'text/plain' };

  it('delivers a plain-text mail without TLS and without login', async () => {
    const { port, received } = await smtpServer({ authOptional: true, disabledCommands: ['STARTTLS'] });
    await host.smtpSend({ smtp_host: '127.0.0.1', smtp_port: port, from: 'NodeBill <billing@example.com>', encryption: 'none' }, email, CONTEXT);
    expect(received).toHaveLength(1);
    const [mail] = received;
    expect(mail.mailFrom).toBe('billing@example.com');
    expect(mail.rcptTo).toEqual(['customer@example.com']);
    expect(mail.secure).toBe(false);
    expect(mail.raw).toContain('Subject: Order confirmed');
    expect(mail.raw).toContain('From: NodeBill <billing@example.com>');
    expect(mail.raw).toMatch(/Content-Type: text\/plain/i);
    expect(mail.raw).toContain('Your order 42 is confirmed.');
  });

  it('sends text/html bodies as HTML', async () => {
    const { port, received } = await smtpServer({ authOptional: true, disabledCommands: ['STARTTLS'] });
    await host.smtpSend(
      { smtp_host: '127.0.0.1', smtp_port: port, from: 'billing@example.com', encryption: 'none' },
      { ...email, body: '<p>Paid</p>', content_type: 'text/html' },
      CONTEXT,
    );
    expect(received[0].raw).toMatch(/Content-Type: text\/html/i);
    expect(received[0].raw).toContain('<p>Paid</p>');
  });

  it('logs in over STARTTLS (self-signed server certificate allowed by tls_reject_unauthorized=false)', async () => {
    const { port, received } = await smtpServer({
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 's3cret') callback(null, { user: 'mailer' });
        else callback(new Error('Invalid username or password'));
      },
    });
    const config = {
      smtp_host: '127.0.0.1',
      smtp_port: port,
      from: 'billing@example.com',
      username: 'mailer',
      password: 's3cret',
      encryption: 'starttls',
      tls_reject_unauthorized: 'false',
    };
    await host.smtpSend(config, email, CONTEXT);
    expect(received).toHaveLength(1);
    expect(received[0].user).toBe('mailer');
    expect(received[0].secure).toBe(true);

    // Wrong password: the server answered, so the error is clear and the breaker stays closed.
    for (let i = 0; i < 6; i += 1) {
      const error = await host.smtpSend({ ...config, password: 'wrong' }, email, CONTEXT).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(new RegExp(`^SMTP 127\\.0\\.0\\.1:${port}: Invalid login`));
      expect((error as Error).message).not.toContain('wrong');
    }
    expect(host.breakers.state(keyOf(`127.0.0.1:${port}`))).toBe('closed');
    expect(received).toHaveLength(1);
  });

  it('verifies the server certificate by default', async () => {
    const { port, received } = await smtpServer({ authOptional: true });
    await expect(
      host.smtpSend({ smtp_host: '127.0.0.1', smtp_port: port, from: 'billing@example.com', encryption: 'starttls' }, email, CONTEXT),
    ).rejects.toThrow(/certificate/i);
    expect(received).toHaveLength(0);
  });

  it('speaks implicit TLS for encryption "ssl", with login', async () => {
    const { port, received } = await smtpServer({
      secure: true,
      onAuth(auth, _session, callback) {
        callback(auth.password === 'pw' ? null : new Error('no'), { user: auth.username });
      },
    });
    // `tls_reject_unauthorized` is not part of the guide's SmtpConfig type; scripts pass it in their JSON.
    const config: SmtpSettings = {
      smtp_host: '127.0.0.1',
      smtp_port: port,
      from: 'billing@example.com',
      username: 'u',
      password: 'pw',
      encryption: 'ssl',
      tls_reject_unauthorized: false,
    };
    await host.smtpSend(config, email, CONTEXT);
    expect(received).toHaveLength(1);
    expect(received[0].secure).toBe(true);
    expect(received[0].user).toBe('u');
  });

  it('an unreachable mail server opens its breaker after 5 failures', async () => {
    const port = String(await closedPort());
    const config = { smtp_host: '127.0.0.1', smtp_port: port, from: 'billing@example.com', encryption: 'none' };
    for (let i = 0; i < 5; i += 1) await expect(host.smtpSend(config, email, CONTEXT)).rejects.toThrow(/ECONNREFUSED/);
    await expect(host.smtpSend(config, email, CONTEXT)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(host.breakers.state(keyOf(`127.0.0.1:${port}`))).toBe('open');
  });

  it('maps the guide config to nodemailer options and rejects invalid configs', () => {
    const base = { smtp_host: 'smtp.example.com', from: 'a@example.com' };
    expect(smtpTransportOptions({ ...base, smtp_port: '465' }, 1000)).toMatchObject({ port: 465, secure: true, requireTLS: false, ignoreTLS: false });
    expect(smtpTransportOptions({ ...base, smtp_port: '587' }, 1000)).toMatchObject({ secure: false, requireTLS: false, ignoreTLS: false });
    expect(smtpTransportOptions({ ...base, smtp_port: '587', encryption: 'starttls' }, 1000)).toMatchObject({ secure: false, requireTLS: true });
    expect(smtpTransportOptions({ ...base, smtp_port: '25', encryption: 'none' }, 1000)).toMatchObject({ secure: false, ignoreTLS: true });
    expect(smtpTransportOptions({ ...base, smtp_port: '25', username: '' }, 1000).auth).toBeUndefined();
    expect(smtpTransportOptions({ ...base, smtp_port: '25' }, 1000).tls).toEqual({ rejectUnauthorized: true });
    expect(() => smtpTransportOptions({ ...base, smtp_port: 'abc' }, 1000)).toThrow('smtp_port must be a port number');
    expect(() => smtpTransportOptions({ ...base, smtp_port: '70000' }, 1000)).toThrow('smtp_port');
    expect(() => smtpTransportOptions({ ...base, smtp_port: '25', encryption: 'tls' }, 1000)).toThrow('encryption must be');
    expect(() => smtpTransportOptions({ ...base, smtp_host: '', smtp_port: '25' }, 1000)).toThrow('smtp_host is required');
    expect(() => smtpTransportOptions({ ...base, smtp_port: '25', tls_reject_unauthorized: 'no' }, 1000)).toThrow('tls_reject_unauthorized');
  });
});
