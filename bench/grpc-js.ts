/**
 * Plain `@grpc/grpc-js` service definitions and clients built from protobuf-es descriptors, for the
 * benchmark: the bare yardstick server and the load generator. (NodeBill's own definitions, in
 * src/grpc/native.ts, add request checks the yardstick must not have.)
 */
import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';

type AnyMessage = MessageShape<DescMessage>;

/** Every unary method of `service`, serialized with the generated protobuf-es code. */
export function serviceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<AnyMessage, AnyMessage>> = {};
  for (const method of service.methods) {
    if (method.methodKind !== 'unary') continue;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      originalName: method.localName,
      requestSerialize: (message) => Buffer.from(toBinary(method.input, message)),
      requestDeserialize: (bytes) => fromBinary(method.input, bytes),
      responseSerialize: (message) => Buffer.from(toBinary(method.output, message)),
      responseDeserialize: (bytes) => fromBinary(method.output, bytes),
    };
  }
  return definition as grpc.ServiceDefinition;
}

/** A unary call of a grpc-js client: request in, response out (rejects with the grpc-js error). */
export type UnaryCall = (request: AnyMessage) => Promise<AnyMessage>;

/**
 * A grpc-js client of one method on its own HTTP/2 connection (`grpc.use_local_subchannel_pool`),
 * sending `metadata` with every call.
 */
export function unaryClient(service: DescService, methodName: string, address: string, metadata: Record<string, string> = {}): UnaryCall {
  const Client = grpc.makeGenericClientConstructor(serviceDefinition(service), service.typeName);
  const client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const headers = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) headers.set(key, value);
  const method = Reflect.get(client, methodName);
  if (typeof method !== 'function') throw new Error(`${service.typeName} has no method ${methodName}`);
  return (request) =>
    new Promise((resolve, reject) => {
      Reflect.apply(method, client, [request, headers, (error: grpc.ServiceError | null, response: AnyMessage) => (error ? reject(error) : resolve(response))]);
    });
}

/** A unary call of any method of a service, with metadata chosen per call (e.g. the caller's credential). */
export type ServiceCall = (methodName: string, request: AnyMessage, metadata: grpc.Metadata) => Promise<AnyMessage>;

/** grpc-js metadata holding `headers`; build it once per caller, not once per call. */
export function metadataOf(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
}

/**
 * A grpc-js client of every unary method of `service` on its own HTTP/2 connection
 * (`grpc.use_local_subchannel_pool`); unlike {@link unaryClient}, the metadata is given per call,
 * so callers with different credentials can share connections.
 */
export function serviceClient(service: DescService, address: string): ServiceCall {
  const Client = grpc.makeGenericClientConstructor(serviceDefinition(service), service.typeName);
  const client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  return (methodName, request, metadata) => {
    const method = Reflect.get(client, methodName);
    if (typeof method !== 'function') return Promise.reject(new Error(`${service.typeName} has no method ${methodName}`));
    return new Promise((resolve, reject) => {
      Reflect.apply(method, client, [request, metadata, (error: grpc.ServiceError | null, response: AnyMessage) => (error ? reject(error) : resolve(response))]);
    });
  };
}
