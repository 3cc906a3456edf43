/**
 * The OpenTelemetry SDK of one process (HA guide §9.3, `[telemetry]`), and the few helpers the
 * rest of the code uses to make spans without knowing whether tracing is on.
 *
 * - {@link startTelemetry} with `enabled = true` registers a NodeTracerProvider (resource
 *   `service.name` = `service_name`), the AsyncLocalStorage context manager and the W3C
 *   trace-context propagator, and exports spans through a BatchSpanProcessor: OTLP/gRPC for an
 *   endpoint such as `http://localhost:4317` (RustBill's example), OTLP/HTTP (JSON) when the
 *   endpoint's path ends with `/v1/traces`. `stop()` flushes what is buffered.
 * - Disabled, nothing is registered: the OpenTelemetry API stays a no-op, {@link tracingEnabled}
 *   is false and every helper here calls its function straight away (one boolean test per call).
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpHttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { AppConfig } from '../config/schema.ts';
import { formatTraceparent } from './trace-context.ts';

/** The instrumentation scope of NodeBill's spans. */
export const TRACER_NAME = 'nodebill';

/** How often the batch processor exports, in ms (the SDK's default is 5 000). */
const EXPORT_EVERY_MS = 2_000;
/** Time allowed to flush the last spans at shutdown, in ms. */
const FLUSH_TIMEOUT_MS = 5_000;

let enabled = false;
const w3c = new W3CTraceContextPropagator();

/** The SDK of this process, as {@link startTelemetry} returns it. */
export interface Telemetry {
  /** True when spans are recorded and exported. */
  readonly enabled: boolean;
  /** `grpc`, `http` or null (disabled): how spans leave the process. */
  readonly protocol: 'grpc' | 'http' | null;
  /** Exports the spans still buffered and stops the SDK; never rejects. */
  stop(): Promise<void>;
}

/** True once {@link startTelemetry} started the SDK in this process (and until it is stopped). */
export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * `grpc` for an OTLP/gRPC endpoint (`http://host:4317`), `http` for an OTLP/HTTP one (a URL whose
 * path ends with `/v1/traces`, e.g. `http://host:4318/v1/traces`).
 */
export function otlpProtocolOf(endpoint: string): 'grpc' | 'http' {
  return new URL(endpoint).pathname.replace(/\/+$/, '').endsWith('/v1/traces') ? 'http' : 'grpc';
}

/**
 * Starts the SDK for this process when `config.enabled` (see the file comment). Call once, before
 * the process serves anything.
 *
 * @param config `[telemetry]`: enabled, otlp_endpoint, service_name
 * @param resource further resource attributes, e.g. `{ 'service.instance.id': 'worker-0' }`
 * @param onError told about export failures (the collector unreachable); spans are dropped then
 */
export function startTelemetry(config: AppConfig['telemetry'], resource: Attributes = {}, onError: (error: unknown) => void = () => undefined): Telemetry {
  if (!config.enabled) return { enabled: false, protocol: null, stop: async () => undefined };
  const protocol = otlpProtocolOf(config.otlp_endpoint);
  const exporter: SpanExporter = protocol === 'http'
    ? new OtlpHttpExporter({ url: config.otlp_endpoint })
    : new OtlpGrpcExporter({ url: config.otlp_endpoint });
  const reporting: SpanExporter = {
    export: (spans, done) => exporter.export(spans, (result) => {
      if (result.error) onError(result.error);
      done(result);
    }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.service_name, ...resource }),
    spanProcessors: [new BatchSpanProcessor(reporting, { scheduledDelayMillis: EXPORT_EVERY_MS })],
  });
  provider.register({ propagator: w3c });
  enabled = true;
  let stopped: Promise<void> | null = null;
  return {
    enabled: true,
    protocol,
    stop: () => {
      stopped ??= (async () => {
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, FLUSH_TIMEOUT_MS).unref());
        await Promise.race([provider.forceFlush().catch(onError), timeout]);
        await Promise.race([provider.shutdown().catch(onError), timeout]);
        enabled = false;
        trace.disable();
        context.disable();
        propagation.disable();
      })();
      return stopped;
    },
  };
}

/** The tracer of NodeBill's spans (a no-op tracer while the SDK is not started). */
export function tracer(): ReturnType<typeof trace.getTracer> {
  return trace.getTracer(TRACER_NAME);
}

/**
 * The context a W3C `traceparent` (and `tracestate`) describe, as the parent of a span; the root
 * context when the value is missing or malformed.
 */
export function contextFromTraceparent(traceparent: string | null | undefined, tracestate?: string | null): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return w3c.extract(ROOT_CONTEXT, carrier, { get: (c, key) => c[key], keys: (c) => Object.keys(c) });
}

/** `traceparent` of a span context, or null when it is not valid. */
export function traceparentOf(spanContext: SpanContext | undefined): string | null {
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return null;
  return formatTraceparent({ traceId: spanContext.traceId, spanId: spanContext.spanId, flags: (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0') });
}

/**
 * `traceparent` of the span active now (to store with work done later: an outbox event, a
 * forwarded actor command), or null when tracing is off or no span is active.
 */
export function activeTraceparent(): string | null {
  if (!enabled) return null;
  return traceparentOf(trace.getSpan(context.active())?.spanContext());
}

/** A link to the span a stored `traceparent` names, or null when there is none. */
export function linkTo(traceparent: string | null | undefined, attributes?: Attributes): Link | null {
  const spanContext = trace.getSpanContext(contextFromTraceparent(traceparent));
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return null;
  return attributes ? { context: spanContext, attributes } : { context: spanContext };
}

/** What {@link inSpan} makes. */
export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent: the active context when absent. */
  parent?: Context;
}

/**
 * Runs `work` inside a new span (active while it runs, so spans made below are its children) and
 * ends it when `work` settles; a throw marks the span as an error (exception event) and is rethrown.
 * With tracing off, runs `work` directly with `undefined`.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!enabled) return work(undefined);
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}), ...(options.links ? { links: options.links } : {}) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks `span` failed by `error` (status ERROR with its message, and an exception event). */
export function recordFailure(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

export { SpanKind, SpanStatusCode };
