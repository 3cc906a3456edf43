/**
 * Instances for the InstanceService suites while the order and payment path is built elsewhere:
 * customers are created through the API (CustomerService/CreateCustomer as admin) and given a
 * login (a customer user inserted with SQL, as test/server/cluster.test.ts does, then
 * IdentityService/Login); the order and its instance are inserted with SQL, pointing at an instance
 * that exists at the provider (e.g. in the local Incus counterpart).
 */
import pg from 'pg';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import type { InstanceStatus } from '../../src/domain/provisioning/instance-lifecycle.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient } from './clients.ts';
import type { RunningServer } from './server.ts';

/** A customer created by an admin, with a customer user logged in. */
export interface CustomerLogin {
  customerId: string;
  username: string;
  /** A customer access token (`authorization: Bearer …`). */
  accessToken: string;
}

/**
 * Creates customer `name` with CreateCustomer (as the admin of `adminToken`), inserts a customer
 * user for it into `databaseUrl` and logs it in.
 */
export async function customerWithLogin(server: RunningServer, databaseUrl: string, adminToken: string, name: string): Promise<CustomerLogin> {
  const created = await grpcClient(CustomerService, server.url, bearer(adminToken)).createCustomer({ name, email: `${newId().slice(-10)}@example.com` });
  const customerId = created.customer?.id ?? '';
  if (customerId === '') throw new Error('CreateCustomer returned no customer');
  const username = `u${newId().slice(-10).replaceAll('-', '')}`;
  const password = 'Customer-Pass-1';
  const passwordHash = await hashPassword(password, 4);
  await withClient(databaseUrl, (client) => client.query(
    'insert into customer_users (id, customer_id, username, email, display_name, password_hash) values ($1, $2, $3, $4, $5, $6)',
    [newId(), customerId, username, `${username}@example.com`, name, passwordHash],
  ));
  const login = await grpcClient(IdentityService, server.url).login({ username, password, userType: 'customer' });
  return { customerId, username, accessToken: login.accessToken };
}

/** An order and its instance, as inserted by {@link insertInstance}. */
export interface InstanceRow {
  orderId: string;
  instanceId: string;
}

/**
 * Inserts an active order of `customerId` provisioned at provider interface `providerInterfaceId`
 * as `providerInstanceId`, and its instance with `status` (default running), `ipAddress` and a
 * small server spec.
 */
export async function insertInstance(databaseUrl: string, row: {
  customerId: string;
  providerInterfaceId: string;
  providerInstanceId: string;
  status?: InstanceStatus;
  ipAddress?: string;
  productName?: string;
}): Promise<InstanceRow> {
  const orderId = newId();
  const instanceId = newId();
  const spec = { cpu_cores: 2, memory_gb: 4, disk_gb: 40, os: 'debian-12' };
  await withClient(databaseUrl, async (client) => {
    await client.query('begin');
    await client.query(
      `insert into orders (id, customer_id, product_name, provider_interface_id, provider_instance_id, server_spec, status, amount, paid_at)
       values ($1, $2, $3, $4, $5, $6, 'active', 25.00, now())`,
      [orderId, row.customerId, row.productName ?? 'Incus M', row.providerInterfaceId, row.providerInstanceId, JSON.stringify(spec)],
    );
    await client.query(
      `insert into instances (id, customer_id, order_id, product_name, provider_interface_id, provider_instance_id, status, ip_address, server_spec)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [instanceId, row.customerId, orderId, row.productName ?? 'Incus M', row.providerInterfaceId, row.providerInstanceId, row.status ?? 'running',
        row.ipAddress ?? '', JSON.stringify(Object.fromEntries(Object.entries(spec).map(([key, value]) => [key, String(value)])))],
    );
    await client.query('commit');
  });
  return { orderId, instanceId };
}

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
