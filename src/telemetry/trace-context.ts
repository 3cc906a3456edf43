/**
 * W3C Trace Context (`traceparent`, https://www.w3.org/TR/trace-context/) without the SDK: parsing,
 * formatting and fresh ids. The HA guide §9.2 says every response carries `traceparent` next to
 * `X-Request-Id`; with `[telemetry] enabled = false` the server still answers one (the caller's
 * trace id continued, or a new one, with a fresh span id) at the cost of a few random bytes.
 */
import { randomBytes } from 'node:crypto';

/** The parts of a valid `traceparent` header (lower-case hex). */
export interface TraceParent {
  /** 32 hex digits, not all zero. */
  traceId: string;
  /** 16 hex digits, not all zero. */
  spanId: string;
  /** 2 hex digits; `01` = sampled. */
  flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a `traceparent` header value (version 00, or a later version read as 00 as the
 * specification asks). Returns null for a missing or malformed value, version `ff`, or all-zero ids.
 */
export function parseTraceparent(value: string | null | undefined): TraceParent | null {
  if (!value) return null;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match) return null;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined) return null;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, flags };
}

/** `00-{trace_id}-{span_id}-{flags}`. */
export function formatTraceparent(parts: TraceParent): string {
  return `00-${parts.traceId}-${parts.spanId}-${parts.flags}`;
}

/** A random span id (16 hex digits, never all zero). */
export function newSpanId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}

/** A random trace id (32 hex digits, never all zero). */
export function newTraceId(): string {
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}

/**
 * The `traceparent` a response carries when no span is recorded (telemetry disabled): the
 * caller's trace id and flags continued with a new span id, or a new trace id with flags `00`
 * (nothing was sampled) when the caller sent none.
 */
export function untracedResponseTraceparent(incoming: string | null | undefined): string {
  const parent = parseTraceparent(incoming);
  return formatTraceparent({ traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId(), flags: parent?.flags ?? '00' });
}
