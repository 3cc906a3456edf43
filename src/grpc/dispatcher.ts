import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Logger } from 'pino';
import { clientAddressBehindProxies, type AddressRange } from '../domain/address-ranges.ts';
import { newId } from '../lib/ids.ts';
import { metrics } from '../metrics/metrics.ts';
import { authorize } from './authz.ts';
import type { ConcurrencyLimiter } from './concurrency.ts';
import type { Caller } from '../domain/identity/principal.ts';
import type { Transport } from './context.ts';
import { Code, ConnectError, toPublicError } from './errors.ts';
import { type HandlerRegistry, procedureOf } from './handlers.ts';
import { checkRequestLimits } from './request-limits.ts';
import { context, trace, type Span } from '@opentelemetry/api';
import { contextFromTraceparent, SpanKind, SpanStatusCode, traceparentOf, tracer, tracingEnabled, untracedResponseTraceparent } from '../telemetry/index.ts';

/** Resolves the caller from request headers (cookie, bearer JWT or API key). */
export interface Authenticator {
  /**
   * Never throws for bad credentials: returns `anonymous` with `problem` saying what was wrong,
   * so that public RPCs still work and protected ones fail with that explanation.
   */
  authenticate(headers: Headers, clientAddress: string): Promise<{ caller: Caller; problem?: string }>;
}

/** A decoded call as a transport hands it over. */
export interface InboundCall {
  method: DescMethod;
  request: MessageShape<DescMessage>;
  headers: Headers;
  /** The address of the connection's peer (the client, or a reverse proxy in front of us). */
  peerAddress: string;
  transport: Transport;
  signal: AbortSignal;
}

/** What a transport sends back on success. */
export interface DispatchResult {
  response: MessageInitShape<DescMessage>;
  responseHeaders: Headers;
}

/** Status codes that mark a server span failed (OpenTelemetry gRPC conventions). */
const SERVER_FAULTS: ReadonlySet<Code> = new Set([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

/** Header naming the worker that served the call (useful to operators and to the cluster tests). */
export const WORKER_HEADER = 'x-nodebill-worker';

/**
 * The one call pipeline behind both transports (ARCHITECTURE.md, request path): request id →
 * input limits (src/domain/input-limits.ts, before any I/O) → concurrency limit (FIFO queue, never a failure) → authentication → authorization table →
 * handler → metrics and logs. Errors come out as ConnectError whose metadata carries the response
 * headers (`x-request-id`); unexpected errors become `Internal` without details.
 */
export class Dispatcher {
  private inFlight = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  private readonly deps: {
    registry: HandlerRegistry;
    authenticator: Authenticator;
    limiter: ConcurrencyLimiter;
    logger: Logger;
    workerId: string;
    /** `[server] trusted_proxies`: peers whose `X-Forwarded-For` names the client. */
    trustedProxies: readonly AddressRange[];
  };

  constructor(deps: Dispatcher['deps']) {
    this.deps = deps;
  }

  /** Calls accepted and not yet answered. */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * From now on refuses new gRPC-Web calls with UNAVAILABLE (native gRPC streams are refused by the
   * GOAWAY the transport sends); resolves once every accepted call has been answered.
   */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Runs one unary call through the pipeline. With tracing on, the call is one SERVER span named
   * after the procedure (`rustbill.order.OrderService/CreateOrder`: rpc.system, rpc.service,
   * rpc.method, rpc.grpc.status_code), child of the caller's `traceparent` when it sent one, and
   * active while the handler runs; either way the response carries `traceparent` (HA guide §9.2).
   * @throws ConnectError (with `x-request-id` and `traceparent` in metadata).
   */
  async dispatch(call: InboundCall): Promise<DispatchResult> {
    if (!tracingEnabled()) return this.run(call, untracedResponseTraceparent(call.headers.get('traceparent')));
    const procedure = procedureOf(call.method);
    const parent = contextFromTraceparent(call.headers.get('traceparent'), call.headers.get('tracestate'));
    const span = tracer().startSpan(procedure, {
      kind: SpanKind.SERVER,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': call.method.parent.typeName, 'rpc.method': call.method.name, 'nodebill.transport': call.transport },
    }, parent);
    try {
      const traceparent = traceparentOf(span.spanContext()) ?? untracedResponseTraceparent(call.headers.get('traceparent'));
      const result = await context.with(trace.setSpan(parent, span), () => this.run(call, traceparent, span));
      span.setAttribute('rpc.grpc.status_code', 0);
      return result;
    } catch (thrown) {
      const code = thrown instanceof ConnectError ? thrown.code : Code.Internal;
      span.setAttribute('rpc.grpc.status_code', code);
      // gRPC semantic conventions: a server span fails only for the server's own faults.
      if (SERVER_FAULTS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: `${Code[code]}: ${thrown instanceof ConnectError ? thrown.rawMessage : 'internal error'}` });
      throw thrown;
    } finally {
      span.end();
    }
  }

  private async run(call: InboundCall, traceparent: string, span?: Span): Promise<DispatchResult> {
    const requestId = newId();
    const procedure = procedureOf(call.method);
    const clientAddress = clientAddressBehindProxies(call.peerAddress, call.headers.get('x-forwarded-for'), this.deps.trustedProxies);
    const responseHeaders = new Headers({ 'x-request-id': requestId, traceparent, [WORKER_HEADER]: this.deps.workerId });
    span?.setAttribute('nodebill.request_id', requestId);
    // A child logger costs a serialization of its bindings: made only when a line is written.
    const log = (): Logger => this.deps.logger.child({ requestId, procedure, transport: call.transport });
    const started = performance.now();
    let code: Code | 0 = 0;
    // Draining, HTTP/2 refuses new streams itself (GOAWAY: a stream past its last id is refused
    // unprocessed, and clients retry it); a stream it handed over was sent before the GOAWAY and is
    // owed an answer. HTTP/1.1 has no such signal: a gRPC-Web request arriving now is refused here.
    if (this.draining && call.transport === 'grpc-web') {
      throw withHeaders(new ConnectError('the server is shutting down; retry on another instance', Code.Unavailable), responseHeaders);
    }
    this.inFlight += 1;
    try {
      checkRequestLimits(call.method.input, call.request);
      return await this.deps.limiter.run(async () => {
        const { caller, problem } = await this.deps.authenticator.authenticate(call.headers, clientAddress);
        if (problem) log().warn({ clientAddress, problem }, 'credentials rejected');
        authorize(call.method, caller, problem, call.request);
        const handler = this.deps.registry.lookup(call.method);
        const response = await handler(call.request, {
          requestId,
          procedure,
          caller,
          transport: call.transport,
          clientAddress,
          userAgent: call.headers.get('user-agent') ?? '',
          requestHeaders: call.headers,
          responseHeaders,
          signal: call.signal,
        });
        return { response, responseHeaders };
      });
    } catch (thrown) {
      const { error, internal } = toPublicError(thrown, requestId);
      code = error.code;
      if (internal) log().error({ err: thrown }, 'internal error');
      else if (error.code === Code.Unauthenticated || error.code === Code.PermissionDenied) {
        log().warn({ code: Code[error.code], clientAddress, reason: error.rawMessage }, 'call refused');
      }
      throw withHeaders(error, responseHeaders);
    } finally {
      this.inFlight -= 1;
      const seconds = (performance.now() - started) / 1000;
      metrics.requests.inc({ method: procedure, code: String(code), transport: call.transport });
      metrics.requestDuration.observe({ method: procedure }, seconds);
      if (this.deps.logger.isLevelEnabled('debug')) log().debug({ code, ms: Math.round(seconds * 1000) }, 'call answered');
      if (this.inFlight === 0 && this.idleWaiters.length > 0) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
    }
  }
}

function withHeaders(error: ConnectError, headers: Headers): ConnectError {
  const merged = new Headers(error.metadata);
  headers.forEach((value, key) => merged.set(key, value));
  return new ConnectError(error.rawMessage, error.code, merged, undefined, error.cause);
}
