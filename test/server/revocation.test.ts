/**
 * Issue 6, "The request path": authentication is served from an in-process cache in each worker,
 * so revocation must reach every worker before the revoking call answers, and every node soon
 * after (PostgreSQL NOTIFY). Two nodes (separate clusters) share one database here.
 */
import { Code, type Client } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

let db: TestDatabase;
let node1: RunningServer;
let node2: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase();
  node1 = await startServer({ databaseUrl: db.url, workers: 2 });
  node2 = await startServer({ databaseUrl: db.url, workers: 1, redis: false });
});

afterAll(async () => {
  await Promise.all([node1?.stop(), node2?.stop()]);
  await db?.drop();
});

type Identity = Client<typeof IdentityService>;

/** A client whose (single) connection is served by worker `slot` of `server`: new connections are opened until one lands there. */
async function clientOnWorker(server: RunningServer, slot: string, headers: Record<string, string>): Promise<Identity> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const seen: { headers?: Headers } = {};
    const client = grpcClient(IdentityService, server.url, headers, seen);
    await client.getMe({});
    if (seen.headers?.get('x-nodebill-worker') === slot) return client;
  }
  throw new Error(`40 connections never reached worker ${slot}`);
}

async function createOperator(username: string, password: string): Promise<string> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const id = newId();
  await client.query("insert into admin_users (id, username, password_hash, role) values ($1, $2, $3, 'operator')", [id, username, await hashPassword(password, 4)]);
  await client.end();
  return id;
}

async function login(server: RunningServer, username: string, password: string): Promise<string> {
  return (await grpcClient(IdentityService, server.url).login({ username, password, userType: 'admin' })).accessToken;
}

/** Calls `call` until it fails with `code`, for at most `ms`; returns how many calls succeeded first. */
async function untilRefused(call: () => Promise<unknown>, code: Code, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let succeeded = 0;
  for (;;) {
    try {
      await call();
      succeeded += 1;
    } catch (error) {
      await expectCode(Promise.reject(error), code);
      return succeeded;
    }
    if (Date.now() > deadline) throw new Error(`still answered after ${ms} ms (${succeeded} calls)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('revocation with cached authentication', () => {
  it('ends a session on every worker before Logout answers', async () => {
    const token = await login(node1, 'admin', TEST_ADMIN_PASSWORD);
    const onZero = await clientOnWorker(node1, '0', bearer(token));
    const onOne = await clientOnWorker(node1, '1', bearer(token));
    // Both workers have the session cached now.
    await onZero.getMe({});
    await onOne.getMe({});
    await onZero.logout({});
    await expectCode(onOne.getMe({}), Code.Unauthenticated, /session has ended/);
    await expectCode(onZero.getMe({}), Code.Unauthenticated, /session has ended/);
  });

  it('applies deactivation, role and profile changes on the other worker at once', async () => {
    const operatorId = await createOperator('rev-op01', 'Rev-Op-Pass-1');
    const adminToken = await login(node1, 'admin', TEST_ADMIN_PASSWORD);
    const operatorToken = await login(node1, 'rev-op01', 'Rev-Op-Pass-1');
    const admin = await clientOnWorker(node1, '0', bearer(adminToken));
    const operator = await clientOnWorker(node1, '1', bearer(operatorToken));
    expect((await operator.getMe({})).user).toMatchObject({ role: 'operator', displayName: '' });
    // Admin-only for an operator.
    await expectCode(operator.adminResetPassword({ userId: operatorId, newPassword: 'Other-Pass-9' }), Code.PermissionDenied);

    await admin.updateUser({ id: operatorId, role: 'admin', displayName: 'Promoted' });
    expect((await operator.getMe({})).user).toMatchObject({ role: 'admin', displayName: 'Promoted' });
    await admin.updateUser({ id: operatorId, role: 'operator' });
    await expectCode(operator.adminResetPassword({ userId: operatorId, newPassword: 'Other-Pass-9' }), Code.PermissionDenied);

    await admin.updateUser({ id: operatorId, isActive: false });
    await expectCode(operator.getMe({}), Code.Unauthenticated);
  });

  it('ends the other sessions on every worker when the password changes', async () => {
    await createOperator('rev-op02', 'Rev-Op-Pass-2');
    const first = await login(node1, 'rev-op02', 'Rev-Op-Pass-2');
    const second = await login(node1, 'rev-op02', 'Rev-Op-Pass-2');
    const firstOnOne = await clientOnWorker(node1, '1', bearer(first));
    const secondOnZero = await clientOnWorker(node1, '0', bearer(second));
    await secondOnZero.changePassword({ oldPassword: 'Rev-Op-Pass-2', newPassword: 'Rev-Op-Pass-3' });
    await expectCode(firstOnOne.getMe({}), Code.Unauthenticated, /session has ended/);
    await secondOnZero.getMe({});
  });

  it('reaches the other node through PostgreSQL well within the cache lifetime', async () => {
    const token = await login(node1, 'admin', TEST_ADMIN_PASSWORD);
    const elsewhere = grpcClient(IdentityService, node2.url, bearer(token));
    await elsewhere.getMe({});
    await elsewhere.getMe({});
    await grpcClient(IdentityService, node1.url, bearer(token)).logout({});
    // The cache would keep the session for 30 s; the notification ends it in milliseconds.
    await untilRefused(() => elsewhere.getMe({}), Code.Unauthenticated, 3_000);
  });

  it('ends customer tokens of a logged-out family on every worker at once', async () => {
    const pair = await registerCustomer(node1, { prefix: 'rev' });
    const onZero = await clientOnWorker(node1, '0', bearer(pair.accessToken));
    const onOne = await clientOnWorker(node1, '1', bearer(pair.accessToken));
    await onOne.getMe({});
    await onZero.logout({});
    await expectCode(onOne.getMe({}), Code.Unauthenticated, /log in again/);
  });
});
