/**
 * The attacks of issue 6 ("Input limits and error hygiene", "Accounts") replayed against a real
 * cluster: oversized and NUL-carrying fields, malformed protobuf, oversized messages on both
 * transports, forged-but-signed tokens, username enumeration, brute force against one account (also
 * spread over workers without Redis), ChangePassword brute force, and X-Forwarded-For spoofing.
 */
import http2 from 'node:http2';
import { Code, ConnectError } from '@connectrpc/connect';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD, TEST_JWT_SECRET } from '../support/server.ts';

/** Server A: Redis, two workers, 127.0.0.1 a trusted proxy, a 1 s backoff after 3 free failures. */
let server: RunningServer;
let db: TestDatabase;
/** Server B: no Redis, two workers, no trusted proxies, 12 free failures. */
let degraded: RunningServer;
let degradedDb: TestDatabase;

const BACKOFF = { login_free_failures: 3, login_backoff_base_secs: 1, login_backoff_max_secs: 30 };
/** Enough free failures on server B that they cannot all land on one worker by chance (2 × 2⁻¹²). */
const DEGRADED_FREE_FAILURES = 12;

beforeAll(async () => {
  [db, degradedDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  [server, degraded] = await Promise.all([
    startServer({ databaseUrl: db.url, workers: 2, config: { rate_limit: BACKOFF, server: { trusted_proxies: ['127.0.0.1'] } } }),
    startServer({
      databaseUrl: degradedDb.url,
      workers: 2,
      redis: false,
      config: { rate_limit: { login_free_failures: DEGRADED_FREE_FAILURES, login_backoff_base_secs: 5 } },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), degraded?.stop()]);
  await Promise.all([db?.drop(), degradedDb?.drop()]);
});

async function adminToken(target = server): Promise<string> {
  return (await grpcClient(IdentityService, target.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
}

/** Creates an operator straight in the database (bcrypt cost 4, to keep the suite fast). */
async function createOperator(target: TestDatabase, username: string, password: string): Promise<string> {
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  const id = newId();
  await client.query("insert into admin_users (id, username, email, display_name, password_hash, role) values ($1, $2, '', $2, $3, 'operator')", [
    id, username, await hashPassword(password, 4),
  ]);
  await client.end();
  return id;
}

/** One unary call over a raw HTTP/2 stream with an arbitrary request body; resolves with the grpc-status and message. */
function rawGrpc(baseUrl: string, path: string, message: Buffer): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(message.length, 1);
    const fields: Record<string, string> = {};
    const collect = (headers: http2.IncomingHttpHeaders): void => {
      for (const [key, value] of Object.entries(headers)) if (typeof value === 'string') fields[key] = value;
    };
    stream.on('response', collect);
    stream.on('trailers', collect);
    stream.on('data', () => undefined);
    stream.on('error', reject);
    stream.on('end', () => {
      session.close();
      resolve({ status: fields['grpc-status'] ?? '', message: decodeURIComponent(fields['grpc-message'] ?? '') });
    });
    stream.end(Buffer.concat([header, message]));
  });
}

/** One gRPC-Web call with an arbitrary body; resolves with the HTTP status, grpc-status and message. */
async function rawWeb(baseUrl: string, path: string, body: Buffer): Promise<{ http: number; status: string; message: string }> {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto' }, body });
  await response.arrayBuffer();
  return { http: response.status, status: response.headers.get('grpc-status') ?? '', message: decodeURIComponent(response.headers.get('grpc-message') ?? '') };
}

function webFrame(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

const LOGIN = '/rustbill.identity.IdentityService/Login';
// LoginRequest field 1 (username): a length-delimited string of two bytes that are not UTF-8.
const INVALID_UTF8 = Buffer.from([0x0a, 0x02, 0xff, 0xfe]);
// Field 1 announces nine bytes but one follows.
const TRUNCATED = Buffer.from([0x0a, 0x09, 0x41]);

describe('input limits, checked before anything else', () => {
  it('refuses an oversized username with InvalidArgument naming the limit, without echoing or logging it', async () => {
    const username = 'x'.repeat(1_000_000);
    for (const client of [grpcClient(IdentityService, server.url), grpcWebClient(IdentityService, server.url)]) {
      const error = await expectCode(client.login({ username, password: 'whatever-1', userType: 'admin' }), Code.InvalidArgument, /username is too long: at most 64 characters, got 1,000,000/);
      expect(error.rawMessage.length).toBeLessThan(200);
    }
    // Checked before authentication: a bad token does not turn it into Unauthenticated.
    await expectCode(grpcClient(IdentityService, server.url, bearer('not.a.jwt')).listUsers({ search: 's'.repeat(201) }), Code.InvalidArgument, /search is too long/);
    expect(server.logs.some((line) => JSON.stringify(line).includes('x'.repeat(100)))).toBe(false);
  });

  it('refuses NUL characters in string fields with InvalidArgument, also where the database would have failed', async () => {
    const token = await adminToken();
    const admin = grpcClient(IdentityService, server.url, bearer(token));
    const anonymous = grpcClient(IdentityService, server.url);
    await expectCode(anonymous.login({ username: 'ad\u0000min', password: 'whatever-1', userType: 'admin' }), Code.InvalidArgument, /username must not contain NUL/);
    await expectCode(anonymous.sendVerificationCode({ email: 'a\u0000@example.com', purpose: 'registration' }), Code.InvalidArgument, /email must not contain NUL/);
    await expectCode(admin.listUsers({ search: 'a\u0000b' }), Code.InvalidArgument, /search must not contain NUL/);
    const me = await admin.getMe({});
    await expectCode(admin.updateUser({ id: me.user?.id ?? '', displayName: 'Ad\u0000min' }), Code.InvalidArgument, /display_name must not contain NUL/);
    expect((await admin.getMe({})).user?.displayName).toBe(me.user?.displayName);
  });

  it('answers malformed protobuf and invalid UTF-8 with InvalidArgument on both transports', async () => {
    for (const body of [INVALID_UTF8, TRUNCATED]) {
      const native = await rawGrpc(server.url, LOGIN, body);
      expect(native.status).toBe(String(Code.InvalidArgument));
      expect(native.message).toMatch(/not a valid rustbill\.identity\.LoginRequest message/);
      const web = await rawWeb(server.url, LOGIN, webFrame(body));
      expect(web.status).toBe(String(Code.InvalidArgument));
      expect(web.message).toMatch(/not a valid rustbill\.identity\.LoginRequest message/);
    }
    // A gRPC-Web body that is not one frame.
    expect((await rawWeb(server.url, LOGIN, Buffer.from([0, 0, 0]))).status).toBe(String(Code.InvalidArgument));
  });

  it('answers messages over 4 MiB with ResourceExhausted on both transports, and the connection stays usable', async () => {
    const native = grpcClient(IdentityService, server.url);
    for (const size of [5_000_000, 10_000_000]) {
      await expectCode(native.login({ username: 'x'.repeat(size), password: 'p', userType: 'admin' }), Code.ResourceExhausted, /larger than max|limit is 4194304 bytes/);
    }
    await expectCode(native.login({ username: 'x'.repeat(5_000_000), password: 'p', userType: 'admin' }), Code.ResourceExhausted, /limit is 4194304 bytes/);
    await expectCode(native.login({ username: 'nobody', password: 'whatever-1', userType: 'admin' }), Code.InvalidArgument, /wrong username or password/);
    const web = grpcWebClient(IdentityService, server.url);
    for (const size of [5_000_000, 13_000_000]) {
      await expectCode(web.login({ username: 'x'.repeat(size), password: 'p', userType: 'admin' }), Code.ResourceExhausted, /limit of 4194304 bytes/);
    }
    const raw = await rawWeb(server.url, LOGIN, Buffer.alloc(6_000_000));
    expect(raw).toMatchObject({ http: 200, status: String(Code.ResourceExhausted) });
  });
});

describe('tokens', () => {
  it('answers a signed admin token whose session id is not a UUID with Unauthenticated, not Internal', async () => {
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const forged = await new SignJWT({ kind: 'admin', sid: "x' or 1=1 --" })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(newId()).setJti(newId()).setIssuer('nodebill').setAudience('rustbill').setIssuedAt().setExpirationTime('1h')
      .sign(key);
    await expectCode(grpcClient(IdentityService, server.url, bearer(forged)).getMe({}), Code.Unauthenticated, /malformed id/);
    const badCustomer = await new SignJWT({ kind: 'access', cid: 'not-a-uuid', fam: newId() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(newId()).setJti(newId()).setIssuer('nodebill').setAudience('rustbill').setIssuedAt().setExpirationTime('1h')
      .sign(key);
    await expectCode(grpcClient(IdentityService, server.url, bearer(badCustomer)).getMe({}), Code.Unauthenticated, /malformed id/);
  });
});

describe('accounts', () => {
  it('answers an unknown username and a wrong password with the same InvalidArgument', async () => {
    const identity = grpcClient(IdentityService, server.url);
    const unknown = await expectCode(identity.login({ username: 'nobody-here', password: 'whatever-1', userType: 'admin' }), Code.InvalidArgument);
    const wrong = await expectCode(identity.login({ username: 'admin', password: 'wrong-password-1', userType: 'admin' }), Code.InvalidArgument);
    expect(unknown.rawMessage).toBe(wrong.rawMessage);
    const customer = await expectCode(identity.login({ username: 'nobody-here', password: 'whatever-1', userType: 'customer' }), Code.InvalidArgument);
    expect(customer.rawMessage).toBe(wrong.rawMessage);
  });

  it('locks an account after consecutive wrong passwords, also against the right one, and unlocks with backoff', async () => {
    await createOperator(db, 'victim01', 'Victim-Pass-1');
    const identity = grpcClient(IdentityService, server.url);
    const attempt = (password: string): Promise<unknown> => identity.login({ username: 'victim01', password, userType: 'admin' });
    for (let n = 0; n < 4; n += 1) await expectCode(attempt('guess-wrong-1'), Code.InvalidArgument, /wrong username or password/);
    // The 4th wrong password (3 are free) locked the account for 1 s: now even the right one is refused.
    await expectCode(attempt('Victim-Pass-1'), Code.ResourceExhausted, /too many wrong passwords for this account; retry in \d+ s/);
    // Another account is not affected.
    await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    // The next wrong password doubles the lock (2 s).
    await expectCode(attempt('guess-wrong-1'), Code.InvalidArgument);
    await expectCode(attempt('Victim-Pass-1'), Code.ResourceExhausted, /retry in 2 s/);
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    await attempt('Victim-Pass-1');
    // A success ends the run: three wrong passwords are free again.
    for (let n = 0; n < 3; n += 1) await expectCode(attempt('guess-wrong-1'), Code.InvalidArgument);
    await attempt('Victim-Pass-1');
  });

  it('counts failures across workers without Redis (one account, calls spread over both workers)', async () => {
    await createOperator(degradedDb, 'spread01', 'Spread-Pass-1');
    const workers = new Set<string>();
    // Each wrong password on a new connection; the kernel spreads connections over the workers.
    for (let n = 0; n < DEGRADED_FREE_FAILURES; n += 1) {
      const error = await expectCode(
        grpcClient(IdentityService, degraded.url).login({ username: 'spread01', password: 'guess-wrong-1', userType: 'admin' }),
        Code.InvalidArgument,
      );
      workers.add(error.metadata.get('x-nodebill-worker') ?? '');
    }
    expect([...workers].sort()).toEqual(['0', '1']);
    // All the free failures are used up, whichever worker counted them: the next one locks the account.
    await expectCode(grpcClient(IdentityService, degraded.url).login({ username: 'spread01', password: 'guess-wrong-1', userType: 'admin' }), Code.InvalidArgument);
    await expectCode(
      grpcClient(IdentityService, degraded.url).login({ username: 'spread01', password: 'Spread-Pass-1', userType: 'admin' }),
      Code.ResourceExhausted,
      /too many wrong passwords/,
    );
  });

  it('limits ChangePassword: wrong old passwords lock it, and a signed-in user has a per-minute budget', async () => {
    await createOperator(db, 'changer01', 'Changer-Pass-1');
    const token = (await grpcClient(IdentityService, server.url).login({ username: 'changer01', password: 'Changer-Pass-1', userType: 'admin' })).accessToken;
    const me = grpcClient(IdentityService, server.url, bearer(token));
    for (let n = 0; n < 4; n += 1) {
      await expectCode(me.changePassword({ oldPassword: 'guess-wrong-1', newPassword: 'Changer-Pass-2' }), Code.InvalidArgument, /current password is wrong/);
    }
    // Locked now (3 free failures) and then out of the per-minute budget (5 calls) as well.
    await expectCode(me.changePassword({ oldPassword: 'Changer-Pass-1', newPassword: 'Changer-Pass-2' }), Code.ResourceExhausted, /too many wrong passwords/);
    await expectCode(me.changePassword({ oldPassword: 'Changer-Pass-1', newPassword: 'Changer-Pass-2' }), Code.ResourceExhausted, /too many password changes/);
  });
});

describe('client addresses behind a proxy', () => {
  it('honours X-Forwarded-For only from [server] trusted_proxies', async () => {
    const forwarded = { 'x-forwarded-for': '198.51.100.23' };
    await expectCode(grpcClient(IdentityService, server.url, forwarded).login({ username: 'xff-probe-a', password: 'whatever-1', userType: 'admin' }), Code.InvalidArgument);
    const trusted = await server.waitForLog((line) => line.username === 'xff-probe-a');
    expect(trusted.clientAddress).toBe('198.51.100.23');
    await expectCode(grpcWebClient(IdentityService, server.url, forwarded).login({ username: 'xff-probe-b', password: 'whatever-1', userType: 'admin' }), Code.InvalidArgument);
    expect((await server.waitForLog((line) => line.username === 'xff-probe-b')).clientAddress).toBe('198.51.100.23');
    // The degraded server trusts nobody: the header is ignored.
    await expectCode(grpcClient(IdentityService, degraded.url, forwarded).login({ username: 'xff-probe-c', password: 'whatever-1', userType: 'admin' }), Code.InvalidArgument);
    expect((await degraded.waitForLog((line) => line.username === 'xff-probe-c')).clientAddress).toBe('127.0.0.1');
  });
});
