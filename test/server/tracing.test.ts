/**
 * Tracing (issue 14, HA guide §9.2–9.3): with `[telemetry] enabled = true` a cluster exports its
 * spans over OTLP/gRPC to a local receiver. One paid order's trace, started by the client's
 * `traceparent`, runs from CreateOrder/PayOrder (gRPC server spans) through the customer actor's
 * commands and their database statements to the `order_paid` event and its provisioning; the
 * responses continue the client's trace and carry `x-request-id`; log lines carry the trace id.
 * With telemetry disabled the server still answers a `traceparent` but exports nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { newSpanId, newTraceId, parseTraceparent } from '../../src/telemetry/trace-context.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/counterparts/otlp.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../support/server.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FAST_JOBS = { jobs: { poll_interval_ms: 200, backoff_base_ms: 200, backoff_max_ms: 1000 } };

/** The spans of one trace received so far. */
function traceOf(receiver: OtlpReceiver, traceId: string): ReceivedSpan[] {
  return receiver.spans.filter((span) => span.traceId === traceId);
}

/** True when `span` descends from `ancestor` within `spans`. */
function descendsFrom(spans: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  const byId = new Map(spans.map((entry) => [entry.spanId, entry]));
  for (let current: ReceivedSpan | undefined = span; current !== undefined; current = byId.get(current.parentSpanId)) {
    if (current.parentSpanId === ancestor.spanId) return true;
  }
  return false;
}

/**
 * `spans` of one trace once they are all in: each span's parent has arrived too (but the client's
 * own span, which only the client knows) and every name in `names` is there. Each worker exports
 * its batch on its own schedule, so a trace arrives in pieces.
 */
function wholeTrace(spans: ReceivedSpan[], clientSpanId: string, names: readonly string[]): ReceivedSpan[] | undefined {
  const ids = new Set(spans.map((span) => span.spanId));
  const orphan = spans.some((span) => span.parentSpanId !== '' && span.parentSpanId !== clientSpanId && !ids.has(span.parentSpanId));
  return !orphan && names.every((name) => spans.some((span) => span.name === name)) ? spans : undefined;
}

describe('tracing with [telemetry] enabled (OTLP/gRPC)', () => {
  let receiver: OtlpReceiver;
  let bed: MoneyBed;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    bed = await startMoneyBed({
      config: { ...FAST_JOBS, telemetry: { enabled: true, otlp_endpoint: receiver.url, service_name: 'nodebill-trace-test' } },
      env: { LOG_LEVEL: 'debug' },
    });
  }, 120_000);

  afterAll(async () => {
    await bed?.stop();
    await receiver?.close();
  });

  it('continues the client trace of a paid order from CreateOrder and PayOrder to its provisioning', async () => {
    const buyer = await bed.customer('100.00');
    const traceId = newTraceId();
    const clientSpanId = newSpanId();
    const traceparent = `00-${traceId}-${clientSpanId}-01`;
    const seen: { headers?: Headers } = {};
    const orders = grpcClient(OrderService, bed.server.url, { ...bearer(buyer.accessToken), traceparent }, seen);

    const order = (await orders.createOrder({ customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly' })).order;
    const orderId = order?.id ?? '';
    const createAnswer = parseTraceparent(seen.headers?.get('traceparent'));
    expect(createAnswer?.traceId).toBe(traceId);
    expect(createAnswer?.spanId).not.toBe(clientSpanId);
    expect(seen.headers?.get('x-request-id')).toMatch(UUID_V7);

    await orders.payOrder({ orderId, gatewayInterfaceId: BALANCE });
    const payAnswer = parseTraceparent(seen.headers?.get('traceparent'));
    expect(payAnswer?.traceId).toBe(traceId);
    expect(payAnswer?.spanId).not.toBe(createAnswer?.spanId);

    await eventually(async () => {
      const rows = await queryRows<{ status: string }>(bed.db.url, 'select status from orders where id = $1', [orderId]);
      return rows[0]?.status === 'active' ? true : undefined;
    }, `order ${orderId} to become active`);

    // The spans arrive in batches, each worker's on its own schedule; wait until the calls' and the
    // provisioning's are all in.
    const expected = [
      'rustbill.order.OrderService/CreateOrder', 'rustbill.order.OrderService/PayOrder', 'customer.create_order', 'customer.pay_order',
      'process order_paid', 'customer.start_provisioning', 'customer.complete_provisioning',
    ];
    const spans = await eventually(async () => wholeTrace(traceOf(receiver, traceId), clientSpanId, expected), 'the whole trace of the calls and the provisioning to arrive');

    const create = spans.find((span) => span.name === 'rustbill.order.OrderService/CreateOrder');
    const pay = spans.find((span) => span.name === 'rustbill.order.OrderService/PayOrder');
    expect(create).toMatchObject({
      kind: 'SERVER',
      parentSpanId: clientSpanId,
      spanId: createAnswer?.spanId,
      attributes: expect.objectContaining({ 'rpc.system': 'grpc', 'rpc.service': 'rustbill.order.OrderService', 'rpc.method': 'CreateOrder', 'rpc.grpc.status_code': 0 }),
      resource: expect.objectContaining({ 'service.name': 'nodebill-trace-test' }),
    });
    expect(create?.attributes['nodebill.request_id']).toMatch(UUID_V7);
    expect(pay).toMatchObject({ kind: 'SERVER', parentSpanId: clientSpanId, spanId: payAnswer?.spanId, attributes: expect.objectContaining({ 'rpc.method': 'PayOrder', 'rpc.grpc.status_code': 0 }) });
    if (!create || !pay) throw new Error('server spans missing');
    expect(create.endNs).toBeGreaterThan(create.startNs);

    // The actor's commands, under the calls that asked for them (across IPC when another worker owns the customer).
    const payCommand = spans.find((span) => span.name === 'customer.pay_order');
    expect(payCommand?.attributes).toMatchObject({ 'nodebill.actor': 'customer', 'nodebill.customer_id': buyer.customerId, 'nodebill.command': 'pay_order' });
    if (!payCommand) throw new Error('the pay_order command span is missing');
    expect(descendsFrom(spans, payCommand, pay)).toBe(true);
    const createCommand = spans.find((span) => span.name === 'customer.create_order');
    if (!createCommand) throw new Error('the create_order command span is missing');
    expect(descendsFrom(spans, createCommand, create)).toBe(true);

    // Its database statements: the SQL text, no parameters.
    const commit = spans.find((span) => span.kind === 'CLIENT' && span.parentSpanId === payCommand.spanId && String(span.attributes['db.statement']).includes('insert into event_queue'));
    expect(commit?.attributes).toMatchObject({ 'db.system': 'postgresql', 'db.namespace': expect.any(String) });
    expect(String(commit?.attributes['db.statement'])).toContain('$10::jsonb');
    expect(String(commit?.attributes['db.statement'])).not.toContain(orderId);
    const ormRead = spans.find((span) => span.kind === 'CLIENT' && span.attributes['nodebill.db.pool'] === 'orm' && descendsFrom(spans, span, create));
    expect(ormRead?.attributes['db.statement']).toEqual(expect.stringMatching(/^select /i));

    // The order_paid event, handled in the same trace as a child of the command that wrote it, and its provisioning.
    const paid = spans.find((span) => span.name === 'process order_paid');
    expect(paid).toMatchObject({ kind: 'CONSUMER', parentSpanId: payCommand.spanId, attributes: expect.objectContaining({ 'nodebill.event_type': 'order_paid', 'nodebill.order_id': orderId }) });
    if (!paid) throw new Error('the order_paid span is missing');
    for (const name of ['customer.start_provisioning', 'customer.complete_provisioning']) {
      const step = spans.find((span) => span.name === name);
      if (!step) throw new Error(`${name} is missing`);
      expect(descendsFrom(spans, step, paid)).toBe(true);
    }

    // With Redis, the relay of the event is a span of its own, linked to the command that wrote it.
    const relay = await eventually(async () => receiver.spans.find((span) => span.name === 'outbox relay' && span.links.some((link) => link.spanId === payCommand.spanId)), 'the relay span linked to pay_order');
    expect(relay.kind).toBe('PRODUCER');
    expect(relay.traceId).not.toBe(traceId);

    // Log lines written inside the trace carry its id.
    const line = bed.server.logs.find((entry) => entry.trace_id === traceId);
    expect(line?.span_id).toEqual(expect.stringMatching(/^[0-9a-f]{16}$/));
  });

  it('sends the plugin calls to Incus as HTTP client spans of the order trace', async () => {
    const buyer = await bed.customer('100.00');
    const traceId = newTraceId();
    const clientSpanId = newSpanId();
    const orders = grpcClient(OrderService, bed.server.url, { ...bearer(buyer.accessToken), traceparent: `00-${traceId}-${clientSpanId}-01` });
    const order = (await orders.createOrder({ customerId: buyer.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly' })).order;
    await orders.payOrder({ orderId: order?.id ?? '', gatewayInterfaceId: BALANCE });
    const spans = await eventually(async () => {
      const found = wholeTrace(traceOf(receiver, traceId), clientSpanId, ['process order_paid', 'customer.complete_provisioning']);
      return found?.some((span) => span.kind === 'CLIENT' && String(span.attributes['url.full']).startsWith(bed.incus.url)) ? found : undefined;
    }, 'the whole trace with its calls to Incus to arrive');
    const paid = spans.find((span) => span.name === 'process order_paid');
    const incus = spans.find((span) => span.kind === 'CLIENT' && String(span.attributes['url.full']).startsWith(bed.incus.url));
    expect(incus?.attributes).toMatchObject({ 'http.request.method': expect.any(String), 'http.response.status_code': expect.any(Number), 'nodebill.plugin.interface_id': bed.providerId });
    if (!paid || !incus) throw new Error('spans missing');
    expect(descendsFrom(spans, incus, paid)).toBe(true);
  });

  it('answers gRPC-Web calls with the traceparent of their server span', async () => {
    const traceId = newTraceId();
    let answered: string | null = null;
    const web = grpcWebClient(IdentityService, bed.server.url, { traceparent: `00-${traceId}-${newSpanId()}-01` });
    const response = await fetch(`${bed.server.url}/health`, { headers: { traceparent: `00-${traceId}-${newSpanId()}-01` } });
    expect(parseTraceparent(response.headers.get('traceparent'))?.traceId).toBe(traceId);
    await web.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' }, { onHeader: (headers) => { answered = headers.get('traceparent'); } });
    const answer = parseTraceparent(answered);
    expect(answer?.traceId).toBe(traceId);
    const span = await eventually(async () => receiver.spans.find((entry) => entry.spanId === answer?.spanId), 'the Login span');
    expect(span).toMatchObject({ name: 'rustbill.identity.IdentityService/Login', kind: 'SERVER', attributes: expect.objectContaining({ 'nodebill.transport': 'grpc-web' }) });
  });
});

describe('tracing with [telemetry] disabled', () => {
  let receiver: OtlpReceiver;
  let db: TestDatabase;
  let server: RunningServer;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    db = await createTestDatabase();
    server = await startServer({ databaseUrl: db.url, workers: 1, config: { telemetry: { enabled: false, otlp_endpoint: receiver.url } } });
  }, 120_000);

  afterAll(async () => {
    if (server?.process.exitCode === null) await server.stop();
    await receiver?.close();
    await db?.drop();
  });

  it('still answers traceparent and x-request-id, and exports nothing', async () => {
    const traceId = newTraceId();
    const clientSpanId = newSpanId();
    const seen: { headers?: Headers } = {};
    const identity = grpcClient(IdentityService, server.url, { traceparent: `00-${traceId}-${clientSpanId}-01` }, seen);
    await identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    const answer = parseTraceparent(seen.headers?.get('traceparent'));
    expect(answer?.traceId).toBe(traceId);
    expect(answer?.spanId).not.toBe(clientSpanId);
    expect(seen.headers?.get('x-request-id')).toMatch(UUID_V7);

    const fresh: { headers?: Headers } = {};
    await grpcClient(IdentityService, server.url, {}, fresh).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    expect(parseTraceparent(fresh.headers?.get('traceparent'))?.traceId).toMatch(/^[0-9a-f]{32}$/);

    // A traced server exports its last spans while stopping: after the stop, nothing came.
    expect(await server.stop()).toBe(0);
    expect(receiver.requests).toBe(0);
    expect(server.logs.some((line) => 'trace_id' in line)).toBe(false);
  });
});
