import { create, fromBinary, toBinary, type DescFile, type DescMessage, type DescMethod, type DescService, type MessageShape } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import path from 'node:path';
import { MAX_REQUEST_BYTES } from '../domain/input-limits.ts';
import type { Dispatcher } from './dispatcher.ts';
import { Code, ConnectError } from './errors.ts';

/**
 * What `requestDeserialize` hands on instead of throwing when the bytes are not a valid message of
 * the method's input type (truncated, wrong wire types, invalid UTF-8 in a string): grpc-js would
 * answer a throwing deserializer with INTERNAL, but a malformed request is the caller's fault.
 */
class UndecodableRequest {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/**
 * A request above {@link MAX_REQUEST_BYTES}: answered RESOURCE_EXHAUSTED by unaryHandler, after
 * grpc-js has read it whole (see {@link SERVER_OPTIONS}).
 */
class OversizedRequest {
  readonly bytes: number;
  constructor(bytes: number) {
    this.bytes = bytes;
  }
}

/**
 * grpc-js server options. The documented limit ({@link MAX_REQUEST_BYTES}) is enforced by
 * `requestDeserialize`, not by grpc-js: when grpc-js refuses a message early, while the client is
 * still sending it, later streams on that connection are reset with ENHANCE_YOUR_CALM behind the
 * one-port listener (seen with connect-node clients). grpc-js reads messages up to twice the limit,
 * so those get a clean RESOURCE_EXHAUSTED and the connection stays usable; beyond that its own
 * check answers RESOURCE_EXHAUSTED for the call. Streams per connection are bounded so that the
 * buffered bytes stay bounded too.
 */
const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 2 * MAX_REQUEST_BYTES,
  'grpc.max_concurrent_streams': 64,
};

/**
 * Native gRPC (HTTP/2) through @grpc/grpc-js, with server reflection and `grpc.health.v1`.
 * Every unary RPC of `services` is routed into the shared Dispatcher; the service definitions are
 * built from the protobuf-es descriptors, so the wire format is exactly the generated one.
 * Connections are injected by the one-port listener (`injector.injectConnection(socket)`).
 */
export function createNativeServer(options: {
  services: readonly DescService[];
  files: readonly DescFile[];
  dispatcher: Dispatcher;
  /** Services outside the RustBill contract with their own handling (the node link of issue 15). */
  extraServices?: ReadonlyArray<{ definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }>;
}): { server: grpc.Server; injector: grpc.ConnectionInjector; health: HealthImplementation } {
  const server = new grpc.Server(SERVER_OPTIONS);
  for (const extra of options.extraServices ?? []) server.addService(extra.definition, extra.implementation);
  for (const service of options.services) {
    const definition: Record<string, grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const method of service.methods) {
      if (method.methodKind !== 'unary') continue;
      definition[method.localName] = methodDefinition(method);
      implementation[method.localName] = unaryHandler(method, options.dispatcher);
    }
    server.addService(definition as grpc.ServiceDefinition, implementation);
  }
  new ReflectionService({ ...reflectionPackage(options.files), ...loadSync(healthProtoPath, { includeDirs: [path.dirname(healthProtoPath)] }) }).addToServer(server);
  const statusMap: Record<string, 'SERVING'> = { '': 'SERVING' };
  for (const service of options.services) statusMap[service.typeName] = 'SERVING';
  const health = new HealthImplementation(statusMap);
  health.addToServer(server);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return { server, injector, health };
}

function methodDefinition(method: DescMethod): grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>> {
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    requestStream: false,
    responseStream: false,
    originalName: method.localName,
    requestSerialize: (message) => Buffer.from(toBinary(method.input, message)),
    requestDeserialize: (bytes) => {
      if (bytes.length > MAX_REQUEST_BYTES) return new OversizedRequest(bytes.length) as unknown as MessageShape<DescMessage>;
      try {
        return fromBinary(method.input, bytes);
      } catch (error) {
        // The typed slot carries the marker; unaryHandler checks for it before anything else.
        return new UndecodableRequest(error instanceof Error ? error.message : String(error)) as unknown as MessageShape<DescMessage>;
      }
    },
    responseSerialize: (message) => Buffer.from(toBinary(method.output, message)),
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
  };
}

function unaryHandler(
  method: DescMethod,
  dispatcher: Dispatcher,
): grpc.handleUnaryCall<MessageShape<DescMessage>, MessageShape<DescMessage>> {
  return (call, callback) => {
    const decoded: unknown = call.request;
    if (decoded instanceof OversizedRequest) {
      callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `the request message is ${decoded.bytes} bytes; the limit is ${MAX_REQUEST_BYTES} bytes`, metadata: new grpc.Metadata() });
      return;
    }
    if (decoded instanceof UndecodableRequest) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `the request is not a valid ${method.input.typeName} message: ${decoded.reason}`, metadata: new grpc.Metadata() });
      return;
    }
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort(new Error('client cancelled the call')));
    dispatcher
      .dispatch({
        method,
        request: call.request,
        headers: metadataToHeaders(call.metadata),
        peerAddress: peerAddress(call.getPeer()),
        transport: 'grpc',
        signal: abort.signal,
      })
      .then(
        ({ response, responseHeaders }) => {
          call.sendMetadata(headersToMetadata(responseHeaders));
          callback(null, create(method.output, response));
        },
        (thrown: unknown) => {
          const error = thrown instanceof ConnectError ? thrown : new ConnectError('internal error', Code.Internal);
          call.sendMetadata(headersToMetadata(error.metadata));
          callback({ code: error.code as number as grpc.status, details: error.rawMessage, metadata: new grpc.Metadata() });
        },
      );
  };
}

/** gRPC metadata → fetch Headers (binary `-bin` values are base64 encoded, as on the wire). */
export function metadataToHeaders(metadata: grpc.Metadata): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(metadata.getMap())) {
    headers.set(key, typeof value === 'string' ? value : value.toString('base64'));
  }
  return headers;
}

function headersToMetadata(headers: Headers): grpc.Metadata {
  const metadata = new grpc.Metadata();
  headers.forEach((value, key) => {
    if (key === 'set-cookie') return;
    metadata.set(key, value);
  });
  for (const cookie of headers.getSetCookie()) metadata.add('set-cookie', cookie);
  return metadata;
}

/** `ipv4:127.0.0.1:5000` / `ipv6:[::1]:5000` / `127.0.0.1:5000` → the address alone. */
export function peerAddress(peer: string): string {
  const stripped = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(stripped);
  if (bracketed) return bracketed[1] ?? stripped;
  const lastColon = stripped.lastIndexOf(':');
  return lastColon > 0 && stripped.indexOf(':') === lastColon ? stripped.slice(0, lastColon) : stripped;
}

function reflectionPackage(files: readonly DescFile[]): ReturnType<typeof loadFileDescriptorSetFromBuffer> {
  const seen = new Set<string>();
  const ordered: DescFile[] = [];
  const visit = (file: DescFile): void => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const dependency of file.dependencies) visit(dependency);
    ordered.push(file);
  };
  for (const file of files) visit(file);
  const set = create(FileDescriptorSetSchema, { file: ordered.map((file) => file.proto) });
  return loadFileDescriptorSetFromBuffer(Buffer.from(toBinary(FileDescriptorSetSchema, set)));
}
