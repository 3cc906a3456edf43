import type { DescService } from '@bufbuild/protobuf';
import { type Client, createClient, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';

/**
 * A typed native-gRPC (HTTP/2) client of one service, optionally sending fixed headers
 * (`authorization`, `cookie`) and collecting response headers into `seen`.
 */
export function grpcClient<S extends DescService>(
  service: S,
  baseUrl: string,
  headers: Record<string, string> = {},
  seen?: { headers?: Headers },
): Client<S> {
  const interceptor: Interceptor = (next) => async (request) => {
    for (const [key, value] of Object.entries(headers)) request.header.set(key, value);
    const response = await next(request);
    if (seen) seen.headers = response.header;
    return response;
  };
  return createClient(service, createGrpcTransport({ baseUrl, interceptors: [interceptor] }));
}

/** The same over gRPC-Web (HTTP/1.1). */
export function grpcWebClient<S extends DescService>(service: S, baseUrl: string, headers: Record<string, string> = {}): Client<S> {
  const interceptor: Interceptor = (next) => async (request) => {
    for (const [key, value] of Object.entries(headers)) request.header.set(key, value);
    return next(request);
  };
  return createClient(service, createGrpcWebTransport({ baseUrl, httpVersion: '1.1', interceptors: [interceptor] }));
}

/** `authorization: Bearer <token>`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
