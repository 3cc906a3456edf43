/**
 * `GET /invoices/{id}.pdf`: an invoice as a PDF document, a plain HTTP route on the shared port
 * (beside /health, /ready, /metrics and /callback; src/grpc/http.ts), for browsers and scripts
 * that want a file rather than a gRPC message.
 *
 * It takes the same credentials as gRPC — `authorization: Bearer <access token | API key>` or the
 * admin session cookie — resolved by the same authenticator. Admins (admin or operator) get any
 * invoice; a customer or API key only its own customer's.
 *
 * Answers:
 * - 200 `application/pdf` (`content-disposition: inline; filename="<number or id>.pdf"`, no caching);
 * - 401 with `WWW-Authenticate: Bearer` when no credentials came, or they were rejected;
 * - 404 for an id that is not a UUID, a missing invoice, or another customer's (the same answer,
 *   so that ids cannot be probed);
 * - 405 for a method other than GET or HEAD; 500 `internal error` when rendering failed (reported
 *   through `onError`, never sent).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../domain/identity/principal.ts';
import { DomainError } from '../domain/errors.ts';
import { isUuid } from '../lib/ids.ts';
import { headersOf } from './http-request.ts';

/** The port the route calls (wired in the worker from the identity module and the billing service). */
export interface InvoicePdfs {
  /** Resolves the caller of a request (the gRPC authenticator: `identity.authenticator`). */
  authenticate(headers: Headers, clientAddress: string): Promise<{ caller: Caller; problem?: string }>;
  /**
   * The PDF of invoice `id`, limited to `customerId`'s invoices when given.
   * @throws DomainError not_found when there is no such invoice (of that customer)
   */
  pdf(id: string, customerId?: string): Promise<Buffer>;
}

const PATH = /^\/invoices\/([^/]+)\.pdf$/;

/** Whether `path` (without the query string) belongs to this route. */
export function isInvoicePdfPath(path: string): boolean {
  return path.startsWith('/invoices/') && path.endsWith('.pdf');
}

/** The invoice id of a route path (lowercased), or null when it is not `/invoices/<uuid>.pdf`. */
export function invoicePdfId(path: string): string | null {
  const match = PATH.exec(path);
  if (!match?.[1]) return null;
  let id: string;
  try {
    id = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  return isUuid(id) ? id.toLowerCase() : null;
}

function answer(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(body);
}

/** Serves one request whose path {@link isInvoicePdfPath} (see the file comment). */
export function serveInvoicePdf(request: IncomingMessage, response: ServerResponse, pdfs: InvoicePdfs, onError: (route: string, error: unknown) => void): void {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    answer(response, 405, 'method not allowed', { allow: 'GET, HEAD' });
    return;
  }
  const id = invoicePdfId(path);
  void (async () => {
    const { caller, problem } = await pdfs.authenticate(headersOf(request), request.socket.remoteAddress ?? '');
    if (caller.kind === 'anonymous') {
      answer(response, 401, problem ?? 'log in: send "authorization: Bearer <token>" or the admin session cookie', { 'www-authenticate': 'Bearer' });
      return;
    }
    if (id === null) {
      answer(response, 404, 'not found');
      return;
    }
    const customerId = caller.kind === 'admin' ? undefined : caller.customerId;
    let pdf: Buffer;
    try {
      pdf = await pdfs.pdf(id, customerId);
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') {
        answer(response, 404, 'not found');
        return;
      }
      throw error;
    }
    response.writeHead(200, {
      'content-type': 'application/pdf',
      'content-length': String(pdf.length),
      'content-disposition': `inline; filename="invoice-${id}.pdf"`,
      'cache-control': 'private, no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : pdf);
  })().catch((error: unknown) => {
    onError('/invoices/{id}.pdf', error);
    if (!response.headersSent) answer(response, 500, 'internal error');
    else response.destroy();
  });
}
