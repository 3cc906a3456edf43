/**
 * A customer front-end's view of the API: unary gRPC-Web over plain `fetch` (HTTP/1.1,
 * `application/grpc-web+proto`), as a browser script without a gRPC library would call it.
 * Messages are encoded and decoded by protobuf-es (`create`/`toBinary`/`fromBinary`); only the
 * gRPC-Web envelope — 5-byte frames (flags, big-endian length), the trailers frame flagged 0x80,
 * `grpc-status`/`grpc-message` in the trailers or, for trailers-only answers, the HTTP headers —
 * is written here, because it is the transport.
 */
import { create, fromBinary, toBinary, type DescMethodUnary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';

/** A unary gRPC-Web call: the decoded response, or a ConnectError with the call's status. */
export type WebCall = <I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  request: MessageInitShape<I>,
  token?: string,
) => Promise<MessageShape<O>>;

/** One unary request body: a single uncompressed data frame holding `message`. */
function dataFrame(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return frame;
}

/** The frames of a gRPC-Web response body. */
function frames(body: Uint8Array): Array<{ trailer: boolean; data: Uint8Array }> {
  const found: Array<{ trailer: boolean; data: Uint8Array }> = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let offset = 0;
  while (offset + 5 <= body.length) {
    const flags = body[offset] ?? 0;
    const length = view.getUint32(offset + 1);
    if (offset + 5 + length > body.length) throw new ConnectError('truncated gRPC-Web frame', Code.Internal);
    if ((flags & 0x01) !== 0) throw new ConnectError('compressed gRPC-Web frame (none was asked for)', Code.Internal);
    found.push({ trailer: (flags & 0x80) !== 0, data: body.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  if (offset !== body.length) throw new ConnectError('trailing bytes after the last gRPC-Web frame', Code.Internal);
  return found;
}

/** `key: value` lines of a trailers frame, keys lower-cased. */
function trailerFields(data: Uint8Array): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of new TextDecoder().decode(data).split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * A {@link WebCall} against `baseUrl`: posts to `/${service.typeName}/${method.name}`, with
 * `authorization: Bearer <token>` when a token is given.
 */
export function grpcWebFetch(baseUrl: string): WebCall {
  return async (method, request, token) => {
    const headers: Record<string, string> = { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${baseUrl}/${method.parent.typeName}/${method.name}`, {
      method: 'POST',
      headers,
      body: dataFrame(toBinary(method.input, create(method.input, request))),
    });
    if (response.status !== 200) throw new ConnectError(`HTTP ${response.status} from ${method.name}`, Code.Unknown);
    const contentType = response.headers.get('content-type') ?? '';
    if (!/^application\/grpc-web(\+proto)?\b/.test(contentType)) throw new ConnectError(`${method.name}: content-type ${contentType}`, Code.Internal);
    const body = new Uint8Array(await response.arrayBuffer());
    const received = frames(body);
    const data = received.filter((frame) => !frame.trailer);
    const trailer = received.find((frame) => frame.trailer);
    // Trailers-only answers (every error before a message) carry the status in the HTTP headers.
    const status = trailer ? trailerFields(trailer.data) : new Map<string, string>();
    const code = status.get('grpc-status') ?? response.headers.get('grpc-status');
    const message = status.get('grpc-message') ?? response.headers.get('grpc-message') ?? '';
    if (code === null || code === undefined) throw new ConnectError(`${method.name}: the answer has no grpc-status`, Code.Internal);
    if (code !== '0') throw new ConnectError(decodeURIComponent(message), Number(code) as Code);
    const [first] = data;
    if (data.length !== 1 || !first) throw new ConnectError(`${method.name}: ${data.length} response messages, expected 1`, Code.Internal);
    return fromBinary(method.output, first.data);
  };
}
