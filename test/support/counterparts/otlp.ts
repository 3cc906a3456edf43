/**
 * A local OTLP trace receiver (what Jaeger or an OpenTelemetry Collector offers on port 4317):
 * the gRPC service `opentelemetry.proto.collector.trace.v1.TraceService/Export` served by
 * @grpc/grpc-js, decoding the requests with the subset of the OTLP protobuf schema spans need.
 * It also accepts OTLP/HTTP JSON on `POST /v1/traces` (what @opentelemetry/exporter-trace-otlp-http
 * sends) at `httpUrl`. Every span received is kept in `spans`, flattened with its resource.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** An attribute value as the receiver keeps it (int64 values as numbers). */
export type AttributeValue = string | number | boolean | AttributeValue[] | null;

/** One received span. Ids are lower-case hex; times are nanoseconds since the epoch. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, AttributeValue> }>;
  events: Array<{ name: string; attributes: Record<string, AttributeValue> }>;
  /** The resource's attributes (`service.name`…). */
  resource: Record<string, AttributeValue>;
  /** How it arrived. */
  via: 'grpc' | 'http';
}

/** A running receiver. */
export interface OtlpReceiver {
  /** OTLP/gRPC endpoint, e.g. `http://127.0.0.1:43170` (the `[telemetry] otlp_endpoint` form). */
  url: string;
  /** OTLP/HTTP endpoint, e.g. `http://127.0.0.1:43180/v1/traces`. */
  httpUrl: string;
  /** Every span received so far, in arrival order. */
  spans: ReceivedSpan[];
  /** Export requests received (gRPC and HTTP). */
  requests: number;
  close(): Promise<void>;
}

const SCHEMA = `
syntax = "proto3";
package opentelemetry.proto.collector.trace.v1;
service TraceService { rpc Export(ExportTraceServiceRequest) returns (ExportTraceServiceResponse); }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  repeated Event events = 11; uint32 dropped_events_count = 12;
  repeated Link links = 13; uint32 dropped_links_count = 14; Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const KINDS: ReadonlyArray<ReceivedSpan['kind']> = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** The decoded message shapes (proto-loader: keepCase, longs and enums as given below). */
interface WireAnyValue {
  string_value?: string; bool_value?: boolean; int_value?: string | number; double_value?: number;
  array_value?: { values?: WireAnyValue[] }; kvlist_value?: { values?: WireKeyValue[] }; bytes_value?: Buffer | string;
  stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: WireAnyValue[] };
}
interface WireKeyValue { key: string; value?: WireAnyValue }
interface WireSpan {
  trace_id?: Buffer | string; span_id?: Buffer | string; parent_span_id?: Buffer | string; name?: string; kind?: number;
  start_time_unix_nano?: string | number; end_time_unix_nano?: string | number; attributes?: WireKeyValue[];
  events?: Array<{ name?: string; attributes?: WireKeyValue[] }>;
  links?: Array<{ trace_id?: Buffer | string; span_id?: Buffer | string; attributes?: WireKeyValue[] }>;
  status?: { code?: number; message?: string };
  // OTLP/JSON (camelCase, hex ids)
  traceId?: string; spanId?: string; parentSpanId?: string; startTimeUnixNano?: string | number; endTimeUnixNano?: string | number;
}
interface WireRequest {
  resource_spans?: Array<{ resource?: { attributes?: WireKeyValue[] }; scope_spans?: Array<{ spans?: WireSpan[] }>; scopeSpans?: Array<{ spans?: WireSpan[] }> }>;
  resourceSpans?: WireRequest['resource_spans'];
}

function valueOf(value: WireAnyValue | undefined): AttributeValue {
  if (!value) return null;
  const stringValue = value.string_value ?? value.stringValue;
  if (stringValue !== undefined) return stringValue;
  const boolValue = value.bool_value ?? value.boolValue;
  if (boolValue !== undefined) return boolValue;
  const intValue = value.int_value ?? value.intValue;
  if (intValue !== undefined) return Number(intValue);
  const doubleValue = value.double_value ?? value.doubleValue;
  if (doubleValue !== undefined) return doubleValue;
  const arrayValue = value.array_value ?? value.arrayValue;
  if (arrayValue !== undefined) return (arrayValue.values ?? []).map(valueOf);
  return null;
}

function attributesOf(list: WireKeyValue[] | undefined): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const entry of list ?? []) attributes[entry.key] = valueOf(entry.value);
  return attributes;
}

function hexOf(id: Buffer | string | undefined): string {
  if (id === undefined) return '';
  return typeof id === 'string' ? id.toLowerCase() : id.toString('hex');
}

function spansOf(request: WireRequest, via: 'grpc' | 'http'): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of request.resource_spans ?? request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scope_spans ?? resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        out.push({
          traceId: hexOf(span.trace_id ?? span.traceId),
          spanId: hexOf(span.span_id ?? span.spanId),
          parentSpanId: hexOf(span.parent_span_id ?? span.parentSpanId),
          name: span.name ?? '',
          kind: KINDS[span.kind ?? 0] ?? 'UNSPECIFIED',
          startNs: BigInt(span.start_time_unix_nano ?? span.startTimeUnixNano ?? 0),
          endNs: BigInt(span.end_time_unix_nano ?? span.endTimeUnixNano ?? 0),
          attributes: attributesOf(span.attributes),
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
          links: (span.links ?? []).map((link) => ({ traceId: hexOf(link.trace_id ?? (link as { traceId?: string }).traceId), spanId: hexOf(link.span_id ?? (link as { spanId?: string }).spanId), attributes: attributesOf(link.attributes) })),
          events: (span.events ?? []).map((event) => ({ name: event.name ?? '', attributes: attributesOf(event.attributes) })),
          resource,
          via,
        });
      }
    }
  }
  return out;
}

/** Starts the receiver on loopback (free ports). */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nodebill-otlp-'));
  const protoFile = path.join(dir, 'trace_service.proto');
  writeFileSync(protoFile, SCHEMA);
  const definition = loadSync(protoFile, { keepCase: true, longs: String, enums: Number, defaults: false, oneofs: true });
  const service = definition['opentelemetry.proto.collector.trace.v1.TraceService'];
  if (!service || !('Export' in service)) throw new Error('the OTLP schema did not load');
  const receiver: OtlpReceiver = { url: '', httpUrl: '', spans: [], requests: 0, close: async () => undefined };

  const server = new grpc.Server();
  server.addService(service as grpc.ServiceDefinition, {
    Export: (call: grpc.ServerUnaryCall<WireRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      receiver.requests += 1;
      receiver.spans.push(...spansOf(call.request, 'grpc'));
      callback(null, {});
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
  });

  const httpServer = http.createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WireRequest;
        receiver.requests += 1;
        receiver.spans.push(...spansOf(body, 'http'));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (error) {
        response.writeHead(400, { 'content-type': 'text/plain' }).end(`only OTLP/JSON is understood here: ${String(error)}`);
      }
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const httpPort = (httpServer.address() as AddressInfo).port;

  receiver.url = `http://127.0.0.1:${grpcPort}`;
  receiver.httpUrl = `http://127.0.0.1:${httpPort}/v1/traces`;
  receiver.close = async () => {
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  };
  return receiver;
}
