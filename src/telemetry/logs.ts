/**
 * Trace ids in log lines (HA guide §9.2): a line written while a recorded span is active carries
 * `trace_id` and `span_id`, so a log search by the id a client saw in `traceparent` finds the
 * request's lines, and a trace viewer's ids find them too.
 */
import { context, trace } from '@opentelemetry/api';
import pino from 'pino';
import { tracingEnabled } from './tracing.ts';

/** `{ trace_id, span_id }` of the active span, or `{}` when tracing is off or none is active. */
export function traceLogFields(): Record<string, string> {
  if (!tracingEnabled()) return {};
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * Makes `logger` and every child made from it (before or after) add {@link traceLogFields} to
 * their lines, through pino's mixin (set on the logger after its creation, since the logger
 * factory in src/config/logger.ts takes no mixin; a mixin the logger already had runs first).
 */
export function addTraceIdsToLogs(logger: pino.Logger): void {
  const holder = logger as unknown as Record<symbol, unknown>;
  const previous = holder[pino.symbols.mixinSym];
  holder[pino.symbols.mixinSym] = (merge: object, level: number, self: pino.Logger): object => {
    const earlier = typeof previous === 'function' ? (previous as (m: object, l: number, s: pino.Logger) => object)(merge, level, self) : {};
    return { ...earlier, ...traceLogFields() };
  };
}
