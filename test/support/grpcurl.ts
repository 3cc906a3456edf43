/**
 * Running documented `grpcurl` examples (README, spec pages) against a test server, as grpcurl
 * would send them: the JSON body of `-d '…'` read as the request message (proto field names),
 * `-H "$AUTH"` (or `-H "authorization: Bearer <token>"`) as the given bearer header, the method
 * from `localhost:50051 <package.Service>/<Method>`. Placeholders are the caller's to replace.
 */
import { fromJson, toJson, type DescMethod, type DescMethodUnary, type DescService, type JsonValue } from '@bufbuild/protobuf';
import { createGrpcTransport } from '@connectrpc/connect-node';

/** One documented call. */
export interface GrpcurlCommand {
  /** `rustbill.product.ProductService/CreateProduct`. */
  path: string;
  /** The port of `localhost:<port>` (50051 unless an example addresses a second server). */
  port: number;
  /** The text of `-d '…'` (`'{}'` when the command has none). */
  body: string;
  /** Whether the command sends an authorization header. */
  authorized: boolean;
  /** The values of its `-H "…"` options, as written (e.g. `$AUTH`, `idempotency-key: k1`). */
  headers: string[];
}

/**
 * The `grpcurl` commands of `markdown` in order (each spanning lines joined by `\`, or a `-d`
 * body over several lines), optionally only those calling a method of `service`.
 */
export function grpcurlCommands(markdown: string, service?: string): GrpcurlCommand[] {
  const commands: GrpcurlCommand[] = [];
  // Parts are separated by blanks and line continuations (`\` at the end of a line).
  const pattern = /grpcurl[\s\\]+-plaintext((?:[\s\\]+-H\s+"[^"]*")*)(?:[\s\\]+-d\s+'([^']*)')?[\s\\]+localhost:(\d+)\s+([\w.]+\/\w+)/g;
  for (const match of markdown.matchAll(pattern)) {
    const [, headers = '', body = '{}', port = '50051', path = ''] = match;
    if (service !== undefined && !path.startsWith(`${service}/`)) continue;
    const values = [...headers.matchAll(/-H\s+"([^"]*)"/g)].map((header) => header[1] ?? '');
    commands.push({ path, port: Number(port), body, authorized: /authorization|\$[A-Z_]*AUTH/i.test(headers), headers: values });
  }
  return commands;
}

/**
 * Sends `body` (JSON, proto or JSON field names) to `path` over native gRPC and returns the
 * response as JSON (proto field names, like grpcurl prints them).
 * @throws ConnectError as the server answered; Error for a path of none of `services`
 */
export async function callJson(baseUrl: string, services: readonly DescService[], path: string, body: JsonValue, headers: Record<string, string>): Promise<JsonValue> {
  const [serviceName, methodName] = path.split('/');
  const method = services.find((service) => service.typeName === serviceName)?.methods.find((candidate) => candidate.name === methodName);
  if (!method || !isUnary(method)) throw new Error(`no unary method ${path} among the services given`);
  const transport = createGrpcTransport({ baseUrl });
  const response = await transport.unary(method, undefined, 15_000, headers, fromJson(method.input, body));
  return toJson(method.output, response.message, { useProtoFieldName: true });
}

function isUnary(method: DescMethod): method is DescMethodUnary {
  return method.methodKind === 'unary';
}
