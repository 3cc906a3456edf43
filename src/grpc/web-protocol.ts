import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectRouter, ContextValues } from '@connectrpc/connect';
import type { UniversalHandler } from '@connectrpc/connect/protocol';

/** Largest gRPC-Web request body accepted (bytes as received). */
const MAX_TEXT_BODY = 12 * 1024 * 1024;

/** Decodes gRPC-Web-text: base64 that may be several padded chunks one after another. */
export function decodeWebText(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  const chunks = compact.match(/[^=]+=*|=+/g) ?? [];
  return Buffer.concat(chunks.map((chunk) => Buffer.from(chunk, 'base64')));
}

/** Splits a gRPC-Web body into frames: `{ trailer, data }` (flag bit 0x80 marks the trailer frame). */
export function parseFrames(body: Uint8Array): Array<{ trailer: boolean; data: Uint8Array }> {
  const frames: Array<{ trailer: boolean; data: Uint8Array }> = [];
  let offset = 0;
  while (offset + 5 <= body.length) {
    const flags = body[offset] ?? 0;
    const length = Buffer.from(body.buffer, body.byteOffset + offset + 1, 4).readUInt32BE(0);
    frames.push({ trailer: (flags & 0x80) !== 0, data: body.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return frames;
}

/** Parses a gRPC-Web trailer frame (`key: value` lines separated by CRLF). */
export function parseTrailer(data: Uint8Array): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const line of Buffer.from(data).toString('utf8').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

/**
 * gRPC-Web for browsers and plain `fetch`, on connect's gRPC-Web universal handlers (which do the
 * framing, serialization and status codes):
 * - `application/grpc-web(+proto)` and `application/grpc-web-text(+proto)`: connect-es supports only
 *   the binary variant, so a text body is base64-decoded, served as binary, and re-encoded.
 * - An error before any response message is sent as a trailers-only response: `grpc-status` and
 *   `grpc-message` become HTTP response headers (what RustBill clients read), with an empty body.
 * Unary RPCs only, which is all the RustBill API has.
 * @returns a Node request handler that answers gRPC-Web calls and returns false for anything else
 */
export function createGrpcWebHandler(
  router: ConnectRouter,
  contextValues: (request: IncomingMessage) => ContextValues,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((handler) => [handler.requestPath, handler]));
  return (request, response) => {
    const contentType = request.headers['content-type'] ?? '';
    const match = /^application\/grpc-web(-text)?(\+proto)?\s*(;|$)/i.exec(contentType);
    if (!match) return false;
    const textMode = match[1] !== undefined;
    const path = (request.url ?? '').split('?')[0] ?? '';
    const handler = handlers.get(path);
    if (!handler || request.method !== 'POST') {
      response.writeHead(handler ? 405 : 404).end();
      return true;
    }
    const abort = new AbortController();
    request.once('close', () => {
      if (!response.writableFinished) abort.abort();
    });
    void (async () => {
      const received: Buffer[] = [];
      let size = 0;
      for await (const chunk of request as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_TEXT_BODY) {
          response.writeHead(413).end();
          return;
        }
        received.push(chunk);
      }
      const raw = Buffer.concat(received);
      const body = textMode ? decodeWebText(raw.toString('latin1')) : raw;
      const header = new Headers();
      for (const [key, value] of Object.entries(request.headers)) {
        if (value === undefined) continue;
        header.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      header.set('content-type', 'application/grpc-web+proto');
      const universal = await handler({
        httpVersion: request.httpVersion,
        url: `http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`,
        method: 'POST',
        header,
        body: (async function* () {
          yield body;
        })(),
        signal: abort.signal,
        contextValues: contextValues(request),
      });
      const parts: Uint8Array[] = [];
      if (universal.body) for await (const part of universal.body) parts.push(part);
      let payload: Uint8Array = Buffer.concat(parts);
      const headers: Record<string, string | string[]> = {};
      universal.header?.forEach((value, key) => {
        if (key !== 'set-cookie') headers[key] = value;
      });
      const setCookies = universal.header?.getSetCookie() ?? [];
      if (setCookies.length > 0) headers['set-cookie'] = setCookies;
      const frames = parseFrames(payload);
      if (frames.length === 1 && frames[0]?.trailer) {
        // Trailers-only: the status travels in the HTTP headers, readable by browser scripts.
        for (const [key, value] of parseTrailer(frames[0].data)) headers[key] = value;
        payload = new Uint8Array();
      }
      if (universal.status === 200) headers['content-type'] = textMode ? (contentType.split(';')[0]?.trim() ?? 'application/grpc-web-text') : 'application/grpc-web+proto';
      response.writeHead(universal.status, headers);
      response.end(payload.length === 0 ? undefined : textMode ? Buffer.from(payload).toString('base64') : payload);
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
    return true;
  };
}
