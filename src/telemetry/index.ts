/**
 * Tracing through the OpenTelemetry SDK (HA guide §9.2–9.3; issue 14): the SDK per process
 * (tracing.ts), `traceparent` without the SDK (trace-context.ts), database spans for `pg` pools
 * (pg.ts) and trace ids in log lines (logs.ts). See README "Tracing".
 */
export { activeTraceparent, contextFromTraceparent, inSpan, linkTo, otlpProtocolOf, recordFailure, SpanKind, SpanStatusCode, startTelemetry, traceparentOf, tracer, tracingEnabled, type SpanOptions, type Telemetry } from './tracing.ts';
export { formatTraceparent, newSpanId, newTraceId, parseTraceparent, untracedResponseTraceparent, type TraceParent } from './trace-context.ts';
export { operationOf, tracePool } from './pg.ts';
export { traceLogFields } from './logs.ts';
