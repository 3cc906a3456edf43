import type { IncomingMessage, ServerResponse } from 'node:http';
import { cors as connectCors } from '@connectrpc/connect';
import { context, trace } from '@opentelemetry/api';
import { newId } from '../lib/ids.ts';
import { contextFromTraceparent, SpanKind, SpanStatusCode, traceparentOf, tracer, tracingEnabled, untracedResponseTraceparent } from '../telemetry/index.ts';
import { isInvoicePdfPath, serveInvoicePdf, type InvoicePdfs } from './invoice-pdf-route.ts';
import { isCallbackPath, servePaymentCallback, type PaymentCallbacks } from './payment-callback-route.ts';
import { isCrmFilesPath, serveCrmFiles, type CustomerFiles } from './crm-files-route.ts';
import { isAdminAppPath } from './admin-app-route.ts';
import { isPortalPath } from './portal-app-route.ts';

/** Response headers browser scripts must be able to read (gRPC-Web status and our request id). */
export const EXPOSED_HEADERS = [...connectCors.exposedHeaders, 'x-request-id', 'traceparent', 'x-nodebill-worker'];
const ALLOWED_HEADERS = [...connectCors.allowedHeaders, 'Authorization', 'X-Request-Id', 'traceparent', 'tracestate'];

/** Plain HTTP routes beside gRPC-Web on the same port. */
export interface HttpRoutesOptions {
  /** `[server].cors_allowed_origins`: exact origins, or `*` for any. Empty: no cross-origin access. */
  corsAllowedOrigins: readonly string[];
  /** DB ping for `GET /ready`; resolves true when the database answers. */
  readiness: () => Promise<boolean>;
  /** Prometheus text of the whole cluster for `GET /metrics`. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /**
   * The payment gateways' notify endpoint, `GET|POST /callback/{interface_id}`
   * (payment-callback-route.ts); without it those paths go to `next` like any other.
   */
  paymentCallbacks?: PaymentCallbacks;
  /**
   * Invoice PDFs, `GET /invoices/{id}.pdf` (invoice-pdf-route.ts), authenticated like gRPC; without
   * it those paths go to `next` like any other.
   */
  invoicePdfs?: InvoicePdfs;
  /**
   * The CRM's customer files, `/crm/customers/…` (crm-files-route.ts: export, import template,
   * imports), authenticated like gRPC; without it those paths go to `next` like any other.
   */
  customerFiles?: CustomerFiles;
  /** The admin console at `adminPath` (admin-app-route.ts); without it those paths go to `next`. */
  adminApp?: (request: IncomingMessage, response: ServerResponse, urlPath: string) => void;
  /** `[server] admin_path`, e.g. `/admin`. */
  adminPath?: string;
  /**
   * The customer portal at `portalPath` (portal-app-route.ts): GET and HEAD requests no other
   * route took; without it (or with `portalPath` '') those go to `next`.
   */
  portalApp?: (request: IncomingMessage, response: ServerResponse, urlPath: string) => void;
  /** `[server] portal_path`, e.g. `/` ('' = off). */
  portalPath?: string;
  /** Called with failures of the routes above (logged by the caller; never sent to the client). */
  onError: (route: string, error: unknown) => void;
  /** Everything else (gRPC-Web): connect-node's handler. */
  next: (request: IncomingMessage, response: ServerResponse) => void;
}

/**
 * The HTTP/1.1 request handler: CORS (preflight and response headers), `GET /health` (200 `OK`
 * without touching the database), `GET /ready` (200 or 503 after a database ping), `GET /metrics`
 * (Prometheus text aggregated from all workers), `GET|POST /callback/{interface_id}` (gateway
 * notifications, when `paymentCallbacks` is given), `GET /invoices/{id}.pdf` (when `invoicePdfs` is
 * given), `/crm/customers/…` (customer files, when `customerFiles` is given), the customer portal
 * for any other GET (when `portalApp` is given), then gRPC-Web. Every response carries
 * `x-request-id` (UUID v7) and `traceparent` (HA guide §9.2: the caller's trace continued; a
 * gRPC-Web call's are those of its dispatcher span). With tracing on, the callback, invoice PDF and
 * CRM file routes are SERVER spans of their own (`POST /callback/{interface_id}`…).
 * Spec: operations manual 7.2; extra-services.md (gRPC-Web and CORS).
 */
export function createHttpHandler(options: HttpRoutesOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const anyOrigin = options.corsAllowedOrigins.includes('*');
  const allowed = new Set(options.corsAllowedOrigins);
  return (request, response) => {
    const requestId = newId();
    response.setHeader('x-request-id', requestId);
    const incomingTrace = typeof request.headers.traceparent === 'string' ? request.headers.traceparent : null;
    response.setHeader('traceparent', untracedResponseTraceparent(incomingTrace));
    const origin = request.headers.origin;
    const originAllowed = origin !== undefined && (anyOrigin || allowed.has(origin));
    if (origin !== undefined) {
      response.setHeader('Vary', 'Origin');
      if (originAllowed) {
        response.setHeader('Access-Control-Allow-Origin', origin);
        response.setHeader('Access-Control-Allow-Credentials', 'true');
        response.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
      }
    }
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      if (!originAllowed) {
        response.writeHead(403, { 'content-type': 'text/plain' }).end('origin not allowed by [server].cors_allowed_origins\n');
        return;
      }
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS.join(', '),
        'Access-Control-Max-Age': '7200',
      });
      response.end();
      return;
    }
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (options.paymentCallbacks && isCallbackPath(path)) {
      const callbacks = options.paymentCallbacks;
      inRouteSpan('/callback/{interface_id}', request, response, () => servePaymentCallback(request, response, callbacks, options.onError));
      return;
    }
    if (options.invoicePdfs && isInvoicePdfPath(path)) {
      const pdfs = options.invoicePdfs;
      inRouteSpan('/invoices/{id}.pdf', request, response, () => serveInvoicePdf(request, response, pdfs, options.onError));
      return;
    }
    if (options.adminApp && options.adminPath && isAdminAppPath(path, options.adminPath)) {
      options.adminApp(request, response, path);
      return;
    }
    if (options.customerFiles && isCrmFilesPath(path)) {
      const files = options.customerFiles;
      inRouteSpan('/crm/customers', request, response, () => serveCrmFiles(request, response, files, options.onError));
      return;
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (path === '/health') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
        return;
      }
      if (path === '/ready') {
        options.readiness().then(
          (ready) => response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'READY' : 'NOT READY: database unreachable'),
          (error: unknown) => {
            options.onError('/ready', error);
            response.writeHead(503, { 'content-type': 'text/plain' }).end('NOT READY: database unreachable');
          },
        );
        return;
      }
      if (path === '/metrics') {
        options.metrics().then(
          ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
          (error: unknown) => {
            options.onError('/metrics', error);
            response.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable');
          },
        );
        return;
      }
      if (options.portalApp && options.portalPath && isPortalPath(path, options.portalPath)) {
        options.portalApp(request, response, path);
        return;
      }
    }
    options.next(request, response);
  };
}

/**
 * Runs a plain HTTP route inside a SERVER span (child of the request's `traceparent`), ended when
 * the response is finished or the connection closes; the response's `traceparent` names the span.
 * With tracing off, runs `serve` as it is.
 */
function inRouteSpan(route: string, request: IncomingMessage, response: ServerResponse, serve: () => void): void {
  if (!tracingEnabled()) {
    serve();
    return;
  }
  const method = request.method ?? 'GET';
  const incoming = request.headers.traceparent;
  const parent = contextFromTraceparent(typeof incoming === 'string' ? incoming : null, typeof request.headers.tracestate === 'string' ? request.headers.tracestate : null);
  const span = tracer().startSpan(`${method} ${route}`, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': method, 'http.route': route, 'url.path': (request.url ?? '/').split('?')[0] ?? '/', 'nodebill.request_id': String(response.getHeader('x-request-id') ?? '') },
  }, parent);
  const traceparent = traceparentOf(span.spanContext());
  if (traceparent) response.setHeader('traceparent', traceparent);
  response.once('close', () => {
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 500 || !response.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: response.writableFinished ? `HTTP ${response.statusCode}` : 'the connection closed before the response was complete' });
    span.end();
  });
  context.with(trace.setSpan(parent, span), serve);
}
