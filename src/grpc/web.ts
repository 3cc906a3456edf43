import type { IncomingMessage } from 'node:http';
import type { DescMessage, DescMethodUnary, DescService, MessageShape } from '@bufbuild/protobuf';
import { type ConnectRouter, type ContextValues, createContextKey, createContextValues, type HandlerContext } from '@connectrpc/connect';
import type { Dispatcher } from './dispatcher.ts';

/** The peer address of a gRPC-Web call (the HTTP/1.1 socket's remote address). */
export const peerAddressKey = createContextKey<string>('', { description: 'peer address' });

/**
 * gRPC-Web routes (`application/grpc-web+proto` and `application/grpc-web-text`) served by
 * @connectrpc/connect-node: every unary RPC of `services` goes to the shared Dispatcher. Errors
 * raised before a response message become trailers-only responses with `grpc-status` and
 * `grpc-message` as HTTP headers (connect's gRPC-Web protocol).
 */
export function grpcWebRoutes(services: readonly DescService[], dispatcher: Dispatcher): (router: ConnectRouter) => void {
  return (router) => {
    for (const service of services) {
      for (const method of service.methods) {
        if (method.methodKind !== 'unary') continue;
        const unary = method as DescMethodUnary<DescMessage, DescMessage>;
        router.rpc(unary, async (request: MessageShape<DescMessage>, context: HandlerContext) => {
          const { response, responseHeaders } = await dispatcher.dispatch({
            method,
            request,
            headers: context.requestHeader,
            peerAddress: context.values.get(peerAddressKey),
            transport: 'grpc-web',
            signal: context.signal,
          });
          copyHeaders(responseHeaders, context.responseHeader);
          return response;
        });
      }
    }
  };
}

/** The context values connect-node extracts from each HTTP request: the peer address. */
export function webContextValues(request: IncomingMessage | { socket: { remoteAddress?: string } }): ContextValues {
  return createContextValues().set(peerAddressKey, request.socket.remoteAddress ?? '');
}

function copyHeaders(from: Headers, to: Headers): void {
  for (const cookie of from.getSetCookie()) to.append('set-cookie', cookie);
  from.forEach((value, key) => {
    if (key !== 'set-cookie') to.set(key, value);
  });
}
