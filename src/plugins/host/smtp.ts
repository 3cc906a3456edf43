/**
 * `smtp_send(config_json, email_json)` through nodemailer, behind the circuit breaker of the calling
 * interface and the mail server (`smtp_host:smtp_port`). No retries here: a notification that could
 * not be sent fails its plugin call, and the event queue decides about trying again.
 *
 * The connection obeys the outbound policy: nodemailer resolves names itself and connects to the
 * addresses it found, so instead of its own connect it is handed a socket opened by the guard
 * (`getSocket`, nodemailer's hook for proxies), judged after DNS at connect time; nodemailer then
 * runs SMTP — and implicit TLS or STARTTLS, verifying the certificate against `smtp_host` — over it.
 */
import type net from 'node:net';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { EmailMessage, PluginCallContext, SmtpConfig } from '../types.ts';
import type { FailureKind, HostBreakers } from './breakers.ts';
import type { HostMetrics } from './metrics.ts';
import { OutboundPolicyError, type OutboundGuard } from './outbound-guard.ts';

/**
 * The guide's SMTP config plus `tls_reject_unauthorized` (boolean, or the strings "true"/"false"
 * as `json_get` yields them; default true): false accepts a self-signed or otherwise unverifiable
 * server certificate (a local relay, tests).
 */
export type SmtpSettings = SmtpConfig & { tls_reject_unauthorized?: boolean | string };

/** Errors of the mail, the envelope or the login: the server answered, so they are not breaker failures. */
const ANSWERED_ERROR_CODES: ReadonlySet<string> = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE']);

function flag(value: boolean | string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`tls_reject_unauthorized must be true or false, not ${JSON.stringify(value.slice(0, 20))}`);
}

/**
 * The nodemailer SMTP transport options for `config` (pure). `encryption`:
 * - `ssl`: implicit TLS from the first byte (usually port 465);
 * - `starttls`: plain connection upgraded with STARTTLS, which the server must offer (usually 587);
 * - `none`: no TLS at all, even if the server offers STARTTLS;
 * - missing or empty: `ssl` on port 465, otherwise STARTTLS when the server offers it.
 * The username, when not empty, is sent with the password (AUTH PLAIN/LOGIN).
 *
 * @param timeoutMs limit of connecting, of the greeting and of socket inactivity, in ms
 * @throws Error for a missing host or sender, a port that is not 1–65535, or an unknown encryption.
 */
export function smtpTransportOptions(config: SmtpSettings, timeoutMs: number): SMTPTransport.Options {
  const host = config.smtp_host?.trim();
  if (!host) throw new Error('smtp_host is required');
  if (!config.from?.trim()) throw new Error('from is required');
  const port = Number(String(config.smtp_port ?? '').trim());
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`smtp_port must be a port number (1-65535), not ${JSON.stringify(String(config.smtp_port).slice(0, 20))}`);
  }
  const encryption = (config.encryption ?? '').trim().toLowerCase();
  if (!['', 'ssl', 'starttls', 'none'].includes(encryption)) {
    throw new Error(`encryption must be "ssl", "starttls" or "none", not ${JSON.stringify(encryption.slice(0, 20))}`);
  }
  const username = config.username ?? '';
  return {
    host,
    port,
    secure: encryption === 'ssl' || (encryption === '' && port === 465),
    requireTLS: encryption === 'starttls',
    ignoreTLS: encryption === 'none',
    auth: username === '' ? undefined : { user: username, pass: config.password ?? '' },
    tls: { rejectUnauthorized: flag(config.tls_reject_unauthorized, true) },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
  };
}

/** Options of {@link createSmtpSender}. */
export interface SmtpSenderOptions {
  breakers: HostBreakers;
  metrics: HostMetrics;
  /** The outbound policy the connection to the mail server obeys. */
  guard: OutboundGuard;
  /** Limit of connecting, of the greeting and of socket inactivity, in ms. */
  timeoutMs: number;
}

/**
 * Sends one mail; `email.content_type` `text/html` sends `body` as HTML, anything else as plain text.
 * `context.interfaceId` selects the breaker (with the mail server).
 *
 * @throws Error for an invalid config or message, or "SMTP host:port: …" when the server could not be
 *   reached or refused the login, sender, recipient or message; BreakerOpenError when the breaker
 *   is open; OutboundPolicyError when the outbound policy refuses the server's address (not a
 *   breaker failure: nothing was sent). Messages never contain the password.
 */
export type SmtpSender = (config: SmtpSettings, email: EmailMessage, context?: PluginCallContext) => Promise<void>;

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function classify(error: unknown): FailureKind {
  if (error instanceof OutboundPolicyError) return 'neutral';
  return ANSWERED_ERROR_CODES.has(errorCode(error) ?? '') ? 'answered' : 'failure';
}

/** Creates the SMTP sender of the host services; see {@link SmtpSender}. */
export function createSmtpSender(options: SmtpSenderOptions): SmtpSender {
  const { breakers, metrics, guard, timeoutMs } = options;
  return async (config, email, context) => {
    const transportOptions = smtpTransportOptions(config, timeoutMs);
    if (!email.to?.trim()) throw new Error('the mail has no recipient ("to")');
    const html = (email.content_type ?? '').trim().toLowerCase().startsWith('text/html');
    const host = transportOptions.host ?? '';
    const port = Number(transportOptions.port);
    const server = `${host}:${port}`;
    const refusal = guard.literalRefusal(host);
    if (refusal !== undefined) {
      metrics.outboundRequests.inc({ host: server, outcome: 'refused' });
      throw refusal;
    }
    const transport = nodemailer.createTransport({
      ...transportOptions,
      getSocket(_options, callback: (error: Error | null, socketOptions?: { connection: net.Socket }) => void) {
        guard.connect(host, port, timeoutMs).then(
          connection => callback(null, { connection }),
          (error: Error) => callback(error),
        );
      },
    });
    try {
      await breakers.fire(
        { interfaceId: context?.interfaceId ?? '', host: server },
        async () => {
          await transport.sendMail({
            from: config.from,
            to: email.to,
            subject: email.subject ?? '',
            ...(html ? { html: email.body ?? '' } : { text: email.body ?? '' }),
          });
        },
        classify,
      );
      metrics.outboundRequests.inc({ host: server, outcome: 'response' });
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EOPENBREAKER') {
        metrics.outboundRequests.inc({ host: server, outcome: 'rejected' });
        throw error;
      }
      if (error instanceof OutboundPolicyError) {
        metrics.outboundRequests.inc({ host: server, outcome: 'refused' });
        throw error;
      }
      if (code !== undefined && ANSWERED_ERROR_CODES.has(code)) metrics.outboundRequests.inc({ host: server, outcome: 'response' });
      else metrics.outboundRequests.inc({ host: server, outcome: code === 'ETIMEDOUT' ? 'timeout' : 'network_error' });
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`SMTP ${server}: ${reason}`, { cause: error });
    } finally {
      transport.close();
    }
  };
}
