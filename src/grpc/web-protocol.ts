import type { IncomingMessage, ServerResponse } from 'node:http';
import { fromBinary, type DescMethod } from '@bufbuild/protobuf';
import { Code, type ConnectRouter, type ContextValues } from '@connectrpc/connect';
import type { UniversalHandler } from '@connectrpc/connect/protocol';
import { MAX_REQUEST_BYTES } from '../domain/input-limits.ts';

/** Bytes of a gRPC-Web frame header (flags + 4-byte length). */
const FRAME_HEADER_BYTES = 5;

/**
 * Largest request body read (bytes as received): one frame of {@link MAX_REQUEST_BYTES}, base64
 * encoded in text mode (4/3 larger, plus slack for padding between chunks and whitespace).
 */
function maxBodyBytes(textMode: boolean): number {
  const binary = MAX_REQUEST_BYTES + FRAME_HEADER_BYTES;
  return textMode ? Math.ceil(binary / 3) * 4 + 4096 : binary;
}

/**
 * A `grpc-message` value as the gRPC spec (PROTOCOL-HTTP2, "Status-Message") writes it: the UTF-8
 * bytes of `message`, each byte outside printable ASCII (0x20–0x7E) and `%` itself as `%XX`;
 * spaces and punctuation as they are. Clients decode it with `decodeURIComponent`.
 */
export function encodeGrpcMessage(message: string): string {
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    encoded += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/**
 * A `grpc-message` value as connect-es writes it (`encodeURIComponent`: every character but
 * letters, digits and `-_.!~*'()` percent-encoded), re-encoded with {@link encodeGrpcMessage}. A
 * value that is not valid percent-encoding is kept as it is.
 */
export function respellGrpcMessage(value: string): string {
  try {
    return encodeGrpcMessage(decodeURIComponent(value));
  } catch {
    return value;
  }
}

/** A request refused before reaching connect: its gRPC status and message. */
interface Refusal {
  code: Code;
  message: string;
}

/**
 * Checks the body of a unary gRPC-Web call: exactly one uncompressed data frame of at most
 * {@link MAX_REQUEST_BYTES} that decodes as `method`'s input (connect would answer a message that
 * does not decode with INTERNAL, but a malformed request is the caller's fault).
 */
function checkBody(method: DescMethod, body: Uint8Array): Refusal | null {
  if (body.length < FRAME_HEADER_BYTES) return { code: Code.InvalidArgument, message: 'the request body is not a gRPC-Web message frame' };
  const flags = body[0] ?? 0;
  const length = Buffer.from(body.buffer, body.byteOffset + 1, 4).readUInt32BE(0);
  if (length > MAX_REQUEST_BYTES) {
    return { code: Code.ResourceExhausted, message: `the request message is ${length} bytes; the limit is ${MAX_REQUEST_BYTES} bytes` };
  }
  if (flags !== 0 || body.length !== FRAME_HEADER_BYTES + length) {
    return { code: Code.InvalidArgument, message: 'the request body must be exactly one uncompressed gRPC-Web message frame' };
  }
  try {
    fromBinary(method.input, body.subarray(FRAME_HEADER_BYTES));
  } catch (error) {
    return { code: Code.InvalidArgument, message: `the request is not a valid ${method.input.typeName} message: ${error instanceof Error ? error.message : String(error)}` };
  }
  return null;
}

/**
 * How much of an oversized request body is still read (and dropped) after the refusal was sent, so
 * that a client which writes its whole body before reading the answer gets to see the status.
 * Past it the connection is cut.
 */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Answers a refused call as a trailers-only gRPC-Web response (HTTP 200, `grpc-status` and
 * `grpc-message` as headers). With `unreadBody` (an oversized request whose body is still coming)
 * the connection is closed after the answer, and the rest of the body is discarded unread up to
 * {@link DISCARD_LIMIT_BYTES}.
 */
function refuse(request: IncomingMessage, response: ServerResponse, refusal: Refusal, contentType: string, unreadBody: boolean): void {
  const headers: Record<string, string> = {
    'content-type': contentType,
    'grpc-status': String(refusal.code),
    'grpc-message': encodeGrpcMessage(refusal.message),
  };
  if (unreadBody) {
    headers.connection = 'close';
    let discarded = 0;
    request.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_LIMIT_BYTES) request.socket.destroy();
    });
    request.on('error', () => undefined);
    request.resume();
  }
  response.writeHead(200, headers);
  response.end();
}

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
 *   `grpc-message` become HTTP response headers (what RustBill clients read), with an empty body;
 *   `grpc-message` percent-encodes only what the gRPC spec requires ({@link encodeGrpcMessage}).
 * - A path that names no method answers UNIMPLEMENTED (12) the same way, as native gRPC does.
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
    const answerType = textMode ? (contentType.split(';')[0]?.trim() ?? 'application/grpc-web-text') : 'application/grpc-web+proto';
    const path = (request.url ?? '').split('?')[0] ?? '';
    const handler = handlers.get(path);
    if (!handler) {
      // As native gRPC answers it (grpc-js's wording): a status, never an empty "success".
      refuse(request, response, { code: Code.Unimplemented, message: `The server does not implement the method ${path.slice(0, 200)}` }, answerType, false);
      return true;
    }
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return true;
    }
    const abort = new AbortController();
    request.once('close', () => {
      if (!response.writableFinished) abort.abort();
    });
    void (async () => {
      const received: Buffer[] = [];
      const limit = maxBodyBytes(textMode);
      const tooLarge = await new Promise<boolean>((resolve, reject) => {
        let size = 0;
        const onData = (chunk: Buffer): void => {
          size += chunk.length;
          if (size <= limit) {
            received.push(chunk);
            return;
          }
          request.off('data', onData);
          request.off('end', onEnd);
          resolve(true);
        };
        const onEnd = (): void => resolve(false);
        request.on('data', onData);
        request.once('end', onEnd);
        request.once('error', reject);
      });
      if (tooLarge) {
        const message = `the request is larger than the limit of ${MAX_REQUEST_BYTES} bytes per message`;
        refuse(request, response, { code: Code.ResourceExhausted, message }, answerType, true);
        return;
      }
      const raw = Buffer.concat(received);
      const body = textMode ? decodeWebText(raw.toString('latin1')) : raw;
      const refusal = checkBody(handler.method, body);
      if (refusal) {
        refuse(request, response, refusal, answerType, false);
        return;
      }
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
        // Trailers-only: the status travels in the HTTP headers, readable by browser scripts. A
        // unary call's error always comes before any message, so this is where errors are sent;
        // their message is re-encoded as the gRPC spec asks (connect encodes every non-alphanumeric).
        for (const [key, value] of parseTrailer(frames[0].data)) headers[key] = key === 'grpc-message' ? respellGrpcMessage(value) : value;
        payload = new Uint8Array();
      }
      if (universal.status === 200) headers['content-type'] = answerType;
      response.writeHead(universal.status, headers);
      response.end(payload.length === 0 ? undefined : textMode ? Buffer.from(payload).toString('base64') : payload);
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
    return true;
  };
}
