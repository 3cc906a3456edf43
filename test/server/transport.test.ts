import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { create, type DescMessage, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetPluginRequestSchema, IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { IdentityService, LoginRequestSchema } from '../../src/gen/rustbill/identity_pb.ts';
import { ALL_SERVICES } from '../../src/grpc/service-list.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { REPO_ROOT, type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';
import { createTestDatabase } from '../support/db.ts';

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 1, redis: false });
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

type GrpcObject = grpc.GrpcObject;
function load(file: string, includeDirs: string[]): GrpcObject {
  return grpc.loadPackageDefinition(loadSync(file, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs }));
}

function lookup(root: GrpcObject, dotted: string): grpc.ServiceClientConstructor {
  let node: unknown = root;
  for (const part of dotted.split('.')) node = (node as Record<string, unknown>)[part];
  return node as grpc.ServiceClientConstructor;
}

describe('native gRPC with @grpc/grpc-js', () => {
  it('lists all 14 RustBill services (plus health and reflection) through server reflection', async () => {
    const reflectionProto = path.join(REPO_ROOT, 'node_modules', '@grpc', 'reflection', 'build', 'proto');
    const root = load(path.join(reflectionProto, 'grpc', 'reflection', 'v1', 'reflection.proto'), [reflectionProto]);
    const Reflection = lookup(root, 'grpc.reflection.v1.ServerReflection');
    const client = new Reflection(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const names = await new Promise<string[]>((resolve, reject) => {
      type ListReply = { list_services_response?: { service: Array<{ name: string }> } };
      const call = client.ServerReflectionInfo() as grpc.ClientDuplexStream<object, ListReply>;
      call.on('data', (response: ListReply) => {
        resolve((response.list_services_response?.service ?? []).map((service) => service.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
    client.close();
    for (const service of ALL_SERVICES) expect(names).toContain(service.typeName);
    expect(names.filter((name) => name.startsWith('rustbill.'))).toHaveLength(14);
    expect(names).toContain('grpc.health.v1.Health');
  });

  it('answers grpc.health.v1 Check with SERVING', async () => {
    const healthProto = path.join(REPO_ROOT, 'node_modules', 'grpc-health-check', 'proto', 'health', 'v1');
    const Health = lookup(load(path.join(healthProto, 'health.proto'), [healthProto]), 'grpc.health.v1.Health');
    const client = new Health(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const status = await new Promise<string>((resolve, reject) => {
      client.Check({ service: 'rustbill.identity.IdentityService' }, (error: grpc.ServiceError | null, response: { status: string }) =>
        error ? reject(error) : resolve(response.status),
      );
    });
    client.close();
    expect(status).toBe('SERVING');
  });

  it('logs in and calls GetMe from a grpc-js client built from the .proto files, with x-request-id in the metadata', async () => {
    const protoDir = path.join(REPO_ROOT, 'proto');
    const Identity = lookup(load(path.join(protoDir, 'rustbill', 'identity.proto'), [protoDir]), 'rustbill.identity.IdentityService');
    const client = new Identity(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const { response, metadata } = await new Promise<{ response: { access_token: string; user: { username: string } }; metadata: grpc.Metadata }>((resolve, reject) => {
      let metadata = new grpc.Metadata();
      const call = client.Login({ username: 'admin', password: TEST_ADMIN_PASSWORD, user_type: 'admin' }, (error: grpc.ServiceError | null, response: { access_token: string; user: { username: string } }) =>
        error ? reject(error) : resolve({ response, metadata }),
      );
      call.on('metadata', (received: grpc.Metadata) => {
        metadata = received;
      });
    });
    expect(response.user.username).toBe('admin');
    expect(String(metadata.get('x-request-id')[0])).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    const auth = new grpc.Metadata();
    auth.set('authorization', `Bearer ${response.access_token}`);
    const me = await new Promise<{ user: { role: string } }>((resolve, reject) => {
      client.GetMe({}, auth, (error: grpc.ServiceError | null, reply: { user: { role: string } }) => (error ? reject(error) : resolve(reply)));
    });
    expect(me.user.role).toBe('admin');
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      client.GetMe({}, (failure: grpc.ServiceError | null) => resolve(failure as grpc.ServiceError));
    });
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toMatch(/log in/);
    client.close();
  });
});

describe('without Redis', () => {
  it('starts degraded and says which features degrade', async () => {
    const line = await server.waitForLog((entry) => typeof entry.msg === 'string' && entry.msg.includes('running degraded'));
    expect(line.level).toBe('warn');
    expect(String(line.msg)).toMatch(/rate limits/);
  });
});

/** A unary gRPC-Web request body: one uncompressed data frame holding `init` as `schema`. */
function frame<S extends DescMessage>(schema: S, init: MessageInitShape<S>): Buffer {
  const message = toBinary(schema, create(schema, init));
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** POSTs `body` to `path` with a gRPC-Web content type; the raw answer. */
async function postWeb(path: string, body: Buffer | string, options: { contentType?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/grpc-web+proto', 'x-grpc-web': '1', ...options.headers },
    body,
  });
}

describe('gRPC-Web statuses as browsers read them', () => {
  it('sends grpc-message with spaces and punctuation as they are', async () => {
    const response = await postWeb('/rustbill.identity.IdentityService/Login', frame(LoginRequestSchema, { username: 'admin', password: 'wrong-password', userType: 'admin' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('grpc-status')).toBe(String(Code.InvalidArgument));
    expect(response.headers.get('grpc-message')).toBe('wrong username or password');
    const typed = await postWeb('/rustbill.identity.IdentityService/Login', frame(LoginRequestSchema, { username: 'admin', password: 'x', userType: 'robot' }));
    expect(typed.headers.get('grpc-message')).toBe('user_type must be "admin" or "customer"');
  });

  it('percent-encodes only "%" and the UTF-8 bytes outside printable ASCII, which clients decode back', async () => {
    const token = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const response = await postWeb('/rustbill.integration.IntegrationService/GetPlugin', frame(GetPluginRequestSchema, { id: 'ü 100%' }), { headers: bearer(token) });
    expect(response.headers.get('grpc-status')).toBe(String(Code.InvalidArgument));
    expect(response.headers.get('grpc-message')).toBe('id "%C3%BC 100%25" is not a UUID');
    const error = await grpcWebClient(IntegrationService, server.url, bearer(token)).getPlugin({ id: 'ü 100%' }).then(() => null, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).rawMessage).toBe('id "ü 100%" is not a UUID');
  });

  it('sends the refusals of the gRPC-Web layer itself unencoded too', async () => {
    const response = await postWeb('/rustbill.identity.IdentityService/Login', Buffer.from([0, 0]));
    expect(response.headers.get('grpc-status')).toBe(String(Code.InvalidArgument));
    expect(response.headers.get('grpc-message')).toBe('the request body is not a gRPC-Web message frame');
  });

  it('answers a path that names no method UNIMPLEMENTED, trailers-only, naming the path', async () => {
    for (const path of ['/rustbill.nothing.NoService/Nothing', '/rustbill.identity.IdentityService/NoSuchMethod']) {
      const response = await postWeb(path, frame(LoginRequestSchema, {}));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/grpc-web+proto');
      expect(response.headers.get('grpc-status')).toBe(String(Code.Unimplemented));
      expect(response.headers.get('grpc-message')).toBe(`The server does not implement the method ${path}`);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
    }
    const text = await postWeb('/rustbill.nothing.NoService/Nothing', frame(LoginRequestSchema, {}).toString('base64'), { contentType: 'application/grpc-web-text' });
    expect(text.headers.get('content-type')).toBe('application/grpc-web-text');
    expect(text.headers.get('grpc-status')).toBe(String(Code.Unimplemented));
  });
});
