/**
 * Database spans (HA guide §9.3, "DB query spans") for `pg` pools: the money path's, the
 * customer commands', the background work's and MikroORM's (handed over by its `onPoolCreated`
 * driver option). Each query run while a recorded span is active becomes a CLIENT span child of
 * it, named after the statement's first keyword and the database (`SELECT nodebill`), with the SQL
 * text in `db.statement` / `db.query.text` (never the parameters). Queries outside any span
 * (background polling, pool housekeeping) make no span: they would only be noise.
 *
 * The pool is wrapped per instance (no module hooks, so this works under plain ESM): every new
 * connection's `query` is wrapped, and the callback `pool.query` passes to `pool.connect` is bound
 * to the caller's context (a client released by another request would otherwise run it in that
 * request's context).
 */
import { context, SpanKind, trace, type Attributes, type Span } from '@opentelemetry/api';
import type pg from 'pg';
import { recordFailure, tracer, tracingEnabled } from './tracing.ts';

const WRAPPED = Symbol('nodebill.telemetry.pg');

type QueryFunction = (...args: unknown[]) => unknown;
type Wrappable = { [WRAPPED]?: true };

/** The statement's first keyword in capitals (`SELECT`, `INSERT`, `WITH`, `BEGIN`…), or `QUERY`. */
export function operationOf(sql: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([a-zA-Z]+)/.exec(sql);
  return match?.[1]?.toUpperCase() ?? 'QUERY';
}

function sqlText(first: unknown): string {
  if (typeof first === 'string') return first;
  if (typeof first === 'object' && first !== null && 'text' in first && typeof first.text === 'string') return first.text;
  return '';
}

function finish(span: Span, error: unknown, result?: unknown): void {
  if (error) recordFailure(span, error);
  else if (typeof result === 'object' && result !== null && 'rowCount' in result && typeof result.rowCount === 'number') {
    span.setAttribute('db.response.returned_rows', result.rowCount);
  }
  span.end();
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && 'then' in value && typeof value.then === 'function';
}

function isEmitter(value: unknown): value is { once(event: string, listener: (arg?: unknown) => void): unknown } {
  return typeof value === 'object' && value !== null && 'once' in value && typeof value.once === 'function';
}

/**
 * Wraps `client.query` (once per client) so that it makes a span under an active recorded one.
 * @param base attributes of every span of this pool (database, server, pool name)
 */
function traceClient(client: pg.PoolClient, base: Attributes): void {
  const target = client as unknown as Wrappable & { query: QueryFunction };
  if (target[WRAPPED]) return;
  target[WRAPPED] = true;
  const original = target.query;
  target.query = function tracedQuery(this: unknown, ...args: unknown[]): unknown {
    const parent = context.active();
    if (!tracingEnabled() || trace.getSpan(parent)?.isRecording() !== true) return original.apply(this, args);
    const text = sqlText(args[0]);
    const operation = operationOf(text);
    const span = tracer().startSpan(`${operation} ${String(base['db.namespace'] ?? 'postgresql')}`, {
      kind: SpanKind.CLIENT,
      attributes: { ...base, 'db.operation.name': operation, 'db.statement': text, 'db.query.text': text },
    }, parent);
    const last = args.length - 1;
    const callback = args[last];
    if (last > 0 && typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => {
        finish(span, error, result);
        return (callback as (error: unknown, result: unknown) => unknown)(error, result);
      };
      return context.with(trace.setSpan(parent, span), () => original.apply(this, args));
    }
    let result: unknown;
    try {
      result = context.with(trace.setSpan(parent, span), () => original.apply(this, args));
    } catch (error) {
      finish(span, error);
      throw error;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => { finish(span, null, value); return value; },
        (error: unknown) => { finish(span, error); throw error; },
      );
    }
    if (isEmitter(result)) {
      result.once('end', () => finish(span, null));
      result.once('error', (error) => finish(span, error ?? new Error('query failed')));
      return result;
    }
    finish(span, null);
    return result;
  };
}

/**
 * Makes the queries of `pool` traced (see the file comment). Does nothing while tracing is off,
 * so call it after the SDK was started and before the pool is used.
 *
 * @param name the pool's name in the `nodebill.db.pool` attribute (`money`, `jobs`, `orm`…)
 */
export function tracePool(pool: pg.Pool, name: string): void {
  if (!tracingEnabled()) return;
  const target = pool as unknown as Wrappable & { connect: QueryFunction; options?: { database?: string; host?: string; port?: number; connectionString?: string } };
  if (target[WRAPPED]) return;
  target[WRAPPED] = true;
  pool.on('connect', (client) => {
    const details = client as unknown as { database?: string; host?: string; port?: number };
    const base: Attributes = { 'db.system': 'postgresql', 'db.system.name': 'postgresql', 'nodebill.db.pool': name };
    if (details.database) {
      base['db.namespace'] = details.database;
      base['db.name'] = details.database;
    }
    if (details.host) base['server.address'] = details.host;
    if (typeof details.port === 'number') base['server.port'] = details.port;
    traceClient(client, base);
  });
  const connect = target.connect;
  target.connect = function tracedConnect(this: unknown, ...args: unknown[]): unknown {
    const callback = args[0];
    if (typeof callback === 'function') return connect.call(this, context.bind(context.active(), callback as QueryFunction));
    return connect.apply(this, args);
  };
}
