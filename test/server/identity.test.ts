import { create, toBinary, fromBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode } from '../support/expect-code.ts';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { GetMeRequestSchema, GetMeResponseSchema, IdentityService, LoginRequestSchema, LoginResponseSchema } from '../../src/gen/rustbill/identity_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { registerCustomer as register } from '../support/customers.ts';
import { createTestDatabase, queryRows } from '../support/db.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2 });
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});


async function adminLogin(): Promise<{ token: string; cookie: string }> {
  const seen: { headers?: Headers } = {};
  const identity = grpcClient(IdentityService, server.url, {}, seen);
  const response = await identity.login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
  const setCookie = seen.headers?.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  return { token: response.accessToken, cookie };
}

/** Registers (and logs in) a customer with a fixed username. */
async function registerCustomer(username: string, password = 'Customer-Pass1'): Promise<{ customerId: string; userId: string }> {
  return register(server, { username, password });
}

describe('admin authentication', () => {
  it('logs the bootstrap admin in with a session cookie and a bearer token; GetMe works with both', async () => {
    const { token, cookie } = await adminLogin();
    expect(cookie).toMatch(/^rustbill_session=.+/);
    expect(token.split('.')).toHaveLength(3);
    const viaCookie = await grpcClient(IdentityService, server.url, { cookie }).getMe({});
    expect(viaCookie.user).toMatchObject({ username: 'admin', role: 'admin', userType: 'admin', isActive: true, customerId: '' });
    const viaBearer = await grpcClient(IdentityService, server.url, bearer(token)).getMe({});
    expect(viaBearer.user?.id).toBe(viaCookie.user?.id);
    expect(viaBearer.user?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('sets an httpOnly cookie with the configured attributes', async () => {
    const seen: { headers?: Headers } = {};
    await grpcClient(IdentityService, server.url, {}, seen).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    const setCookie = seen.headers?.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\//);
  });

  it('refuses a wrong password and an unknown user alike (InvalidArgument), logging a warning', async () => {
    const identity = grpcClient(IdentityService, server.url);
    await expectCode(identity.login({ username: 'admin', password: 'wrong-password-1', userType: 'admin' }), Code.InvalidArgument, /wrong username or password/);
    await expectCode(identity.login({ username: 'nobody', password: 'whatever-1', userType: 'admin' }), Code.InvalidArgument, /wrong username or password/);
    await expectCode(identity.login({ username: 'admin', password: 'x', userType: 'root' }), Code.InvalidArgument, /user_type/);
    await server.waitForLog((line) => line.msg === 'password check failed: wrong password' && line.level === 'warn');
    await server.waitForLog((line) => line.msg === 'password check failed: no such user' && line.username === 'nobody');
  });

  it('answers malformed, forged and missing credentials with Unauthenticated and a clear reason', async () => {
    await expectCode(grpcClient(IdentityService, server.url).getMe({}), Code.Unauthenticated, /requires you to log in/);
    await expectCode(grpcClient(IdentityService, server.url, bearer('not.a.jwt')).getMe({}), Code.Unauthenticated, /malformed/);
    await expectCode(grpcClient(IdentityService, server.url, { authorization: 'Basic abc' }).getMe({}), Code.Unauthenticated, /Bearer <token>/);
    await expectCode(grpcClient(IdentityService, server.url, bearer('rk_unknown_key')).getMe({}), Code.Unauthenticated, /neither a valid JWT nor a known API key/);
    await expectCode(grpcClient(IdentityService, server.url, { cookie: 'rustbill_session=forged' }).getMe({}), Code.Unauthenticated, /session/);
    // A public RPC still works with bad credentials attached.
    await expectCode(grpcClient(IdentityService, server.url, bearer('not.a.jwt')).login({ username: 'nobody', password: 'x1234567', userType: 'admin' }), Code.InvalidArgument);
  });

  it('Logout revokes the session: cookie and bearer token stop working', async () => {
    const { token, cookie } = await adminLogin();
    const seen: { headers?: Headers } = {};
    await grpcClient(IdentityService, server.url, { cookie }, seen).logout({});
    expect(seen.headers?.get('set-cookie')).toMatch(/Max-Age=0/);
    await expectCode(grpcClient(IdentityService, server.url, { cookie }).getMe({}), Code.Unauthenticated, /session has ended/);
    await expectCode(grpcClient(IdentityService, server.url, bearer(token)).getMe({}), Code.Unauthenticated, /session has ended/);
  });

});

describe('customer registration and tokens', () => {
  it('registers with an e-mailed code, logs in, refreshes with rotation, and detects reuse', async () => {
    const { customerId, userId } = await registerCustomer('carol01');
    expect(customerId).toMatch(/^[0-9a-f-]{36}$/);
    const identity = grpcClient(IdentityService, server.url);
    const login = await identity.login({ username: 'carol01', password: 'Customer-Pass1', userType: 'customer' });
    expect(login.expiresIn).toBe(24n * 3600n);
    expect(login.refreshToken).not.toBe('');
    const me = await grpcClient(IdentityService, server.url, bearer(login.accessToken)).getMe({});
    expect(me.user).toMatchObject({ id: userId, userType: 'customer', customerId, role: '' });

    const refreshed = await identity.refreshToken({ refreshToken: login.refreshToken });
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    await grpcClient(IdentityService, server.url, bearer(refreshed.accessToken)).getMe({});

    // Reusing the first refresh token is theft: the whole family ends, including the new tokens.
    await expectCode(identity.refreshToken({ refreshToken: login.refreshToken }), Code.InvalidArgument, /already used/);
    await expectCode(identity.refreshToken({ refreshToken: refreshed.refreshToken }), Code.InvalidArgument, /revoked/);
    await expectCode(grpcClient(IdentityService, server.url, bearer(refreshed.accessToken)).getMe({}), Code.Unauthenticated, /log in again/);
  });

  it('refuses a wrong or reused verification code and a duplicate e-mail address', async () => {
    const identity = grpcClient(IdentityService, server.url);
    await identity.sendVerificationCode({ email: 'dave@example.com', purpose: 'registration' });
    await expectCode(
      identity.register({ username: 'dave01', email: 'dave@example.com', displayName: 'Dave', password: 'Dave-Pass-1', verificationCode: '000000' }),
      Code.InvalidArgument,
      /code/,
    );
    await expectCode(identity.sendVerificationCode({ email: 'dave@example.com', purpose: 'registration' }), Code.InvalidArgument, /retry in/);
    await expectCode(identity.sendVerificationCode({ email: 'bad-address', purpose: 'registration' }), Code.InvalidArgument, /valid e-mail/);
    await expectCode(identity.sendVerificationCode({ email: 'x@example.com', purpose: 'other' }), Code.InvalidArgument, /purpose/);
    await registerCustomer('erin01');
    await expectCode(identity.sendVerificationCode({ email: 'erin01@example.com', purpose: 'registration' }), Code.AlreadyExists);
  });

  it('refuses weak passwords and bad usernames at registration without creating anything', async () => {
    const identity = grpcClient(IdentityService, server.url);
    await expectCode(identity.register({ username: 'x', email: 'x@example.com', displayName: 'X', password: 'Pass-1234', verificationCode: '123456' }), Code.InvalidArgument, /username/);
    await expectCode(identity.register({ username: 'frank01', email: 'f@example.com', displayName: 'F', password: 'short', verificationCode: '123456' }), Code.InvalidArgument, /at least 8/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ n: string }>("select count(*) as n from customer_users where username in ('x', 'frank01')");
    await client.end();
    expect(rows[0]?.n).toBe('0');
  });

  it('lets a customer change its password; old tokens of other logins end, the old password stops working', async () => {
    await registerCustomer('gina01', 'Gina-Pass-1');
    const identity = grpcClient(IdentityService, server.url);
    const first = await identity.login({ username: 'gina01', password: 'Gina-Pass-1', userType: 'customer' });
    const second = await identity.login({ username: 'gina01', password: 'Gina-Pass-1', userType: 'customer' });
    await expectCode(grpcClient(IdentityService, server.url, bearer(second.accessToken)).changePassword({ oldPassword: 'wrong-one-1', newPassword: 'Gina-Pass-2' }), Code.InvalidArgument, /current password is wrong/);
    await grpcClient(IdentityService, server.url, bearer(second.accessToken)).changePassword({ oldPassword: 'Gina-Pass-1', newPassword: 'Gina-Pass-2' });
    await expectCode(grpcClient(IdentityService, server.url, bearer(first.accessToken)).getMe({}), Code.Unauthenticated);
    await grpcClient(IdentityService, server.url, bearer(second.accessToken)).getMe({});
    await expectCode(identity.login({ username: 'gina01', password: 'Gina-Pass-1', userType: 'customer' }), Code.InvalidArgument);
    await identity.login({ username: 'gina01', password: 'Gina-Pass-2', userType: 'customer' });
  });
});

describe('rate limits per client address', () => {
  it('refuses a burst of registrations beyond register_per_sec with ResourceExhausted and a retry hint', async () => {
    const identity = grpcClient(IdentityService, server.url);
    const attempts = await Promise.all(
      Array.from({ length: 24 }, (_, n) =>
        identity
          .register({ username: `burst${n}x`, email: `burst${n}@example.com`, displayName: 'B', password: 'Burst-Pass-1', verificationCode: '123456' })
          .then(() => 'ok', (error: unknown) => ConnectError.from(error)),
      ),
    );
    const limited = attempts.filter((result): result is ConnectError => result instanceof ConnectError && result.code === Code.ResourceExhausted);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.rawMessage).toMatch(/retry in \d+ s/);
    // The others got past the limiter and were refused for their (wrong) code.
    expect(attempts.every((result) => result instanceof ConnectError && [Code.ResourceExhausted, Code.InvalidArgument].includes(result.code))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  });
});

describe('user administration', () => {
  it('lists, gets and updates users with pagination and audit; customers are refused', async () => {
    const { token } = await adminLogin();
    const { userId, customerId } = await registerCustomer('hank01');
    const admin = grpcClient(IdentityService, server.url, bearer(token));
    const customers = await admin.listUsers({ pagination: { page: 1, pageSize: 2 }, userType: 'customer' });
    expect(Number(customers.meta?.total)).toBeGreaterThanOrEqual(1);
    expect(customers.users).toHaveLength(Math.min(2, Number(customers.meta?.total)));
    const filtered = await admin.listUsers({ pagination: { page: 1, pageSize: 10 }, userType: 'customer', customerId });
    expect(filtered.users.map((user) => user.id)).toEqual([userId]);
    const admins = await admin.listUsers({ pagination: { page: 1, pageSize: 10 } });
    expect(admins.users.every((user) => user.userType === 'admin')).toBe(true);
    await expectCode(admin.listUsers({ pagination: { page: 1, pageSize: 1000 } }), Code.InvalidArgument, /page_size/);

    const updated = await admin.updateUser({ id: userId, displayName: 'Hank H.', isActive: false, userType: 'customer' });
    expect(updated.user).toMatchObject({ displayName: 'Hank H.', isActive: false });
    await expectCode(grpcClient(IdentityService, server.url).login({ username: 'hank01', password: 'Customer-Pass1', userType: 'customer' }), Code.PermissionDenied, /disabled/);
    expect((await admin.getUser({ id: userId })).user?.username).toBe('hank01');
    await expectCode(admin.getUser({ id: 'not-a-uuid' }), Code.InvalidArgument, /not a UUID/);
    await expectCode(admin.getUser({ id: newId() }), Code.NotFound);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ action: string; admin_username: string }>('select action, admin_username from operation_logs where target_id = $1', [userId]);
    await client.end();
    expect(rows).toEqual([{ action: 'user.update', admin_username: 'admin' }]);

    const customerLogin = await (async () => {
      await registerCustomer('ivan01');
      return grpcClient(IdentityService, server.url).login({ username: 'ivan01', password: 'Customer-Pass1', userType: 'customer' });
    })();
    await expectCode(grpcClient(IdentityService, server.url, bearer(customerLogin.accessToken)).listUsers({}), Code.PermissionDenied, /administrators/);
  });

  it('keeps admin-only RPCs from operators, and resets passwords as admin', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const operatorId = newId();
    await client.query(
      "insert into admin_users (id, username, email, display_name, password_hash, role) values ($1, 'oscar', 'oscar@example.com', 'Oscar', $2, 'operator')",
      [operatorId, await hashPassword('Operator-Pass1', 4)],
    );
    await client.end();
    const operatorLogin = await grpcClient(IdentityService, server.url).login({ username: 'oscar', password: 'Operator-Pass1', userType: 'admin' });
    const operator = grpcClient(IdentityService, server.url, bearer(operatorLogin.accessToken));
    await operator.listUsers({ pagination: { page: 1, pageSize: 5 } });
    await expectCode(operator.deleteUser({ id: operatorId }), Code.PermissionDenied, /admin role/);
    await expectCode(operator.adminResetPassword({ userId: operatorId, newPassword: 'Another-Pass1' }), Code.PermissionDenied);

    const { token } = await adminLogin();
    const admin = grpcClient(IdentityService, server.url, bearer(token));
    await admin.adminResetPassword({ userId: operatorId, newPassword: 'Another-Pass1' });
    await expectCode(operator.getMe({}), Code.Unauthenticated);
    await grpcClient(IdentityService, server.url).login({ username: 'oscar', password: 'Another-Pass1', userType: 'admin' });
    const me = await admin.getMe({});
    await expectCode(admin.deleteUser({ id: me.user?.id ?? '' }), Code.FailedPrecondition, /own account/);
    await admin.deleteUser({ id: operatorId });
    await expectCode(admin.getUser({ id: operatorId }), Code.NotFound);
  });

  it('creates admins and operators for admins only (CreateAdminUser, a NodeBill extension), naming the field it refuses', async () => {
    const { token } = await adminLogin();
    const admin = grpcClient(IdentityService, server.url, bearer(token));
    const base = { username: 'olivia', email: 'olivia@example.com', displayName: 'Olivia', role: 'operator', password: 'Operator-Pass1' };
    await expectCode(admin.createAdminUser({ ...base, username: 'x' }), Code.InvalidArgument, /^username/);
    await expectCode(admin.createAdminUser({ ...base, role: 'owner' }), Code.InvalidArgument, /^role must be one of admin, operator/);
    await expectCode(admin.createAdminUser({ ...base, password: 'short' }), Code.InvalidArgument, /^password/);
    await expectCode(admin.createAdminUser({ ...base, email: 'not-an-address' }), Code.InvalidArgument, /not a valid e-mail/);
    const created = await admin.createAdminUser(base);
    expect(created.user).toMatchObject({ username: 'olivia', email: 'olivia@example.com', displayName: 'Olivia', role: 'operator', isActive: true, userType: 'admin' });
    await expectCode(admin.createAdminUser({ ...base, email: '' }), Code.AlreadyExists, /username "olivia" is taken/);
    const rows = await queryRows<{ n: string }>(db.url, "select count(*)::text as n from admin_users where username in ('olivia', 'x')");
    expect(rows[0]?.n).toBe('1');
    const audit = await queryRows<{ details: { after: Record<string, unknown> } }>(db.url, "select details from operation_logs where action = 'user.create' and target_id = $1", [created.user?.id ?? '']);
    expect(audit[0]?.details.after).toEqual({ username: 'olivia', email: 'olivia@example.com', displayName: 'Olivia', role: 'operator' });
    const login = await grpcClient(IdentityService, server.url).login({ username: 'olivia', password: 'Operator-Pass1', userType: 'admin' });
    const operator = grpcClient(IdentityService, server.url, bearer(login.accessToken));
    await expectCode(operator.createAdminUser({ ...base, username: 'mallory', email: '' }), Code.PermissionDenied);
  });
});

describe('HTTP routes and gRPC-Web on the same port', () => {
  it('answers /health without the database, /ready after a ping, and /metrics for the whole cluster', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('OK');
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/nodebill_grpc_requests_total\{.*method="rustbill.identity.IdentityService\/Login".*\} \d+/);
    expect(metrics).toMatch(/nodebill_grpc_request_duration_seconds_bucket/);
    expect(metrics).toMatch(/nodebill_actors_alive/);
  });

  it('serves gRPC-Web to a plain fetch (binary and text), with trailers-only errors readable as headers', async () => {
    const frame = (bytes: Uint8Array): Uint8Array => {
      const out = new Uint8Array(5 + bytes.length);
      new DataView(out.buffer).setUint32(1, bytes.length);
      out.set(bytes, 5);
      return out;
    };
    const body = frame(toBinary(LoginRequestSchema, create(LoginRequestSchema, { username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })));
    const response = await fetch(`${server.url}/rustbill.identity.IdentityService/Login`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', origin: 'http://localhost:5173' },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/grpc-web+proto');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const length = new DataView(bytes.buffer).getUint32(1);
    const login = fromBinary(LoginResponseSchema, bytes.subarray(5, 5 + length));
    expect(login.user?.username).toBe('admin');
    const trailer = new TextDecoder().decode(bytes.subarray(5 + length + 5));
    expect(trailer).toMatch(/grpc-status: ?0/);

    // Text mode (base64) with the bearer token.
    const textBody = Buffer.from(frame(toBinary(GetMeRequestSchema, create(GetMeRequestSchema, {})))).toString('base64');
    const me = await fetch(`${server.url}/rustbill.identity.IdentityService/GetMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web-text', 'x-grpc-web': '1', authorization: `Bearer ${login.accessToken}` },
      body: textBody,
    });
    expect(me.headers.get('content-type')).toBe('application/grpc-web-text');
    const decoded = Buffer.from(await me.text(), 'base64');
    const meLength = decoded.readUInt32BE(1);
    expect(fromBinary(GetMeResponseSchema, decoded.subarray(5, 5 + meLength)).user?.username).toBe('admin');

    // Error: trailers-only, status and message as response headers.
    const failed = await fetch(`${server.url}/rustbill.identity.IdentityService/GetMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
      body: frame(new Uint8Array()),
    });
    expect(failed.status).toBe(200);
    expect(failed.headers.get('grpc-status')).toBe(String(Code.Unauthenticated));
    expect(decodeURIComponent(failed.headers.get('grpc-message') ?? '')).toMatch(/log in/);
  });

  it('works through the connect gRPC-Web client as a browser SPA would use it', async () => {
    const login = await grpcWebClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    const me = await grpcWebClient(IdentityService, server.url, bearer(login.accessToken)).getMe({});
    expect(me.user?.role).toBe('admin');
  });

  it('answers CORS preflights from configured origins and exposes the gRPC headers to scripts', async () => {
    const preflight = await fetch(`${server.url}/rustbill.identity.IdentityService/Login`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-grpc-web,authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/x-grpc-web.*authorization|authorization.*x-grpc-web/);
    const call = await fetch(`${server.url}/rustbill.identity.IdentityService/GetMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', origin: 'http://localhost:5173' },
      body: new Uint8Array(5),
    });
    expect(call.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(call.headers.get('access-control-expose-headers')).toMatch(/grpc-status.*grpc-message|grpc-message.*grpc-status/i);
    expect(call.headers.get('grpc-status')).toBe('16');
  });

  it('refuses CORS preflights from origins that are not configured', async () => {
    const preflight = await fetch(`${server.url}/rustbill.identity.IdentityService/Login`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-grpc-web' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
