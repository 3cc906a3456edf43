/**
 * A real SMTP server (the `smtp-server` package) that requires a login and keeps every message it
 * accepts, for notifier-email tests. Given a certificate it offers STARTTLS and refuses to log in
 * before it; without one it speaks plain SMTP (and allows the login in clear text).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One accepted message. */
export interface ReceivedMail {
  /** Envelope sender. */
  from: string;
  /** Envelope recipients. */
  to: string[];
  /** The user that logged in. */
  user: string;
  /** Whether the session was encrypted (STARTTLS). */
  secure: boolean;
  /** The message as transmitted (headers and body). */
  raw: string;
  /** Header `Subject` (unfolded). */
  subject: string;
  /** The body after the header block. */
  body: string;
}

/** A running SMTP counterpart. */
export interface SmtpCounterpart {
  host: string;
  port: number;
  username: string;
  password: string;
  messages: ReceivedMail[];
  close(): Promise<void>;
}

function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((item) => item.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

/**
 * Starts the server on 127.0.0.1 (random port). Logins other than `username`/`password` and mail
 * without a login are refused.
 * @param options.tls certificate and key for STARTTLS (then required before the login)
 */
export async function startSmtpServer(options: { tls?: { cert: string; key: string } } = {}): Promise<SmtpCounterpart> {
  const tls = options.tls;
  const username = 'mailer';
  const password = 'mail-secret';
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    ...(tls ? { key: tls.key, cert: tls.cert } : { disabledCommands: ['STARTTLS'] }),
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    allowInsecureAuth: tls === undefined,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === username && auth.password === password) callback(null, { user: username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom;
        messages.push({
          from: from === false ? '' : from.address,
          to: session.envelope.rcptTo.map((item) => item.address),
          user: typeof session.user === 'string' ? session.user : '',
          secure: session.secure,
          raw,
          subject: header(raw, 'Subject'),
          body: raw.split(/\r?\n\r?\n/).slice(1).join('\n\n'),
        });
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    username,
    password,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
