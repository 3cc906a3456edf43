/**
 * Trace ids in log lines (HA guide §9.2): a line written while a recorded span is active carries
 * `trace_id` and `span_id`, so a log search by the id a client saw in `traceparent` finds the
 * request's lines, and a trace viewer's ids find them too. The worker's logger takes
 * {@link traceLogFields} as its pino mixin (src/config/logger.ts createLogger), so its children do too.
 */
import { context, trace } from '@opentelemetry/api';
import { tracingEnabled } from './tracing.ts';

/** `{ trace_id, span_id }` of the active span, or `{}` when tracing is off or none is active. */
export function traceLogFields(): Record<string, string> {
  if (!tracingEnabled()) return {};
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
