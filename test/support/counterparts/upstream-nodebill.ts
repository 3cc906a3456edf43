/**
 * A second, real NodeBill server acting as the upstream of provider-rustbill: its own database,
 * a customer with a known balance and credit limit inserted directly, and an API key row for that
 * customer (`key_hash` = SHA-256 hex of the key, as the authenticator looks keys up).
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { newId } from '../../../src/lib/ids.ts';
import { createTestDatabase, type TestDatabase } from '../db.ts';
import { type RunningServer, startServer } from '../server.ts';

/** The running upstream and what was inserted into it. */
export interface UpstreamNodeBill {
  /** Base URL (gRPC-Web and native gRPC on the same port). */
  url: string;
  server: RunningServer;
  /** Its database (to insert what a test needs, e.g. products). */
  databaseUrl: string;
  customerId: string;
  /** The full API key (`authorization: Bearer <apiKey>`). */
  apiKey: string;
  balance: string;
  creditLimit: string;
  /** Disables the API key in the database (its next use is refused). */
  disableKey(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the upstream (one worker, no Redis needed) and inserts the customer and the key.
 * @param options.balance / options.creditLimit decimal strings with two places
 */
export async function startUpstreamNodeBill(options: { balance: string; creditLimit: string }): Promise<UpstreamNodeBill> {
  const database: TestDatabase = await createTestDatabase();
  let server: RunningServer | undefined;
  try {
    server = await startServer({ databaseUrl: database.url, workers: 1 });
    const customerId = newId();
    const apiKey = `rk_test_${randomBytes(24).toString('hex')}`;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        `insert into customers (id, name, email, balance, credit_limit, can_create_api_keys) values ($1, $2, $3, $4, $5, true)`,
        [customerId, 'Downstream Reseller Ltd', `reseller-${customerId.slice(-6)}@example.com`, options.balance, options.creditLimit],
      );
      await client.query(
        `insert into api_keys (id, customer_id, name, key_prefix, key_hash, permissions) values ($1, $2, $3, $4, $5, '[]')`,
        [newId(), customerId, 'downstream NodeBill', apiKey.slice(0, 14), createHash('sha256').update(apiKey, 'utf8').digest('hex')],
      );
    } finally {
      await client.end();
    }
    const running = server;
    return {
      url: running.url,
      server: running,
      databaseUrl: database.url,
      customerId,
      apiKey,
      balance: options.balance,
      creditLimit: options.creditLimit,
      async disableKey() {
        const admin = new pg.Client({ connectionString: database.url });
        await admin.connect();
        try {
          await admin.query('update api_keys set enabled = false where customer_id = $1', [customerId]);
        } finally {
          await admin.end();
        }
      },
      async stop() {
        await running.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await database.drop().catch(() => undefined);
    throw error;
  }
}
