/**
 * Reading plain HTTP requests of the routes beside gRPC-Web on the shared port (src/grpc/http.ts):
 * the headers as a fetch `Headers` (what the authenticator takes) and a body read up to a limit.
 */
import type { IncomingMessage } from 'node:http';

/** The request's headers as a fetch `Headers` (repeated headers appended in order). */
export function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

/**
 * The body of `request`, or `too_large` as soon as it passes `limit` bytes (the rest is left to
 * Node to discard).
 * @throws Error when the request broke off
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | 'too_large'): void => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        settle('too_large');
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => settle(Buffer.concat(chunks)));
    request.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}
