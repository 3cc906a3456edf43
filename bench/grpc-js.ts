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
