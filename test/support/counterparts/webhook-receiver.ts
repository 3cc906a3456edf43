/**
 * A webhook receiver as a NodeBill user would run it: accepts JSON POSTs and, when it knows the
 * shared secret, checks `X-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` in constant time,
 * answering 401 to a missing or wrong signature and 204 otherwise.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received request. */
export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  /** The raw body as received. */
  body: string;
  /** The body parsed as JSON (null when it is not JSON). */
  json: unknown;
  /** Whether the signature matched (always false without a secret). */
  signatureValid: boolean;
  /** The status the receiver answered. */
  answeredStatus: number;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** The URL to post to. */
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/** Whether `header` is `sha256=<hex>` of the HMAC of `body` under `secret`. */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined): boolean {
  const match = /^sha256=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match?.[1]) return false;
  const expected = createHmac('sha256', secret).update(body, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

/**
 * Starts the receiver on 127.0.0.1 (random port), path `/hook`.
 * @param secret the shared secret; undefined accepts unsigned requests
 */
export async function startWebhookReceiver(secret?: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = null;
      }
      const header = request.headers['x-signature'];
      const signatureValid = secret !== undefined && verifyWebhookSignature(secret, body, Array.isArray(header) ? header[0] : header);
      const status = request.method !== 'POST' || request.url !== '/hook' ? 404 : secret !== undefined && !signatureValid ? 401 : 204;
      received.push({ headers: request.headers, body, json: parsed, signatureValid, answeredStatus: status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
