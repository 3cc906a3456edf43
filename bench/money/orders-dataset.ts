/**
 * The order data set of the RustBill HA guide's benchmark (§11): 1,000,000 orders over 50
 * customers, for timing ListOrders (a customer's own orders, an admin's pages) at that size.
 *
 * {@link loadOrdersDataset} fills a migrated database: the customers (ids
 * `00000000-0000-7000-9000-<n>` like bench/money/pgbench.ts, plus any existing customers given),
 * one first-party provider interface and one product, then all orders in one
 * `INSERT … SELECT generate_series`: UUID v7-shaped ids that follow created_at, created_at spread
 * evenly over the last 365 days, customers picked at random, realistic statuses (mostly active or
 * completed, some cancelled, suspended, refunded; pending, paid and provisioning only in the last
 * day, older ones having been cancelled by the payment timeout or provisioned), amounts of 5.00–500.00, paid_at for paid orders,
 * a server spec; then `ANALYZE`. The orders bypass the order actors, which is fine for a read
 * benchmark: the server under test must not hold those customers' actors while loading.
 */
import pg from 'pg';
import { benchCustomerId } from './pgbench.ts';

/** The built-in balance payment method's gateway interface id. */
export const BALANCE_GATEWAY_ID = '00000000-0000-7000-8000-000000000001';
/** The data set's provider interface and product. */
export const DATASET_PROVIDER_ID = '00000000-0000-7000-9000-200000000002';
export const DATASET_PRODUCT_ID = '00000000-0000-7000-9000-100000000002';

/** Options of {@link loadOrdersDataset}. */
export interface OrdersDatasetOptions {
  /** Orders to insert (the guide: 1,000,000). */
  orders: number;
  /** Customers the orders belong to, existing ones included (the guide: 50). */
  customers: number;
  /**
   * Customers already in the database that get orders too (e.g. one registered through the API,
   * so a customer login can list its own orders); they count against `customers`.
   */
  existingCustomerIds?: string[];
}

/** What {@link loadOrdersDataset} inserted. */
export interface OrdersDataset {
  /** Every customer that has orders (existing ones first). */
  customerIds: string[];
  productId: string;
  providerInterfaceId: string;
  /** Orders per customer id. */
  ordersByCustomer: Map<string, number>;
  /** Wall time of the load, ms (orders and ANALYZE). */
  loadMs: number;
}

/**
 * Fills the migrated database at `databaseUrl` with the data set (see the module comment) and
 * analyzes it.
 *
 * @throws Error when `existingCustomerIds` are more than `customers` or not in the database
 */
export async function loadOrdersDataset(databaseUrl: string, options: OrdersDatasetOptions): Promise<OrdersDataset> {
  const existing = options.existingCustomerIds ?? [];
  if (existing.length > options.customers) throw new Error(`${existing.length} existing customers but only ${options.customers} customers in all`);
  const created = Array.from({ length: options.customers - existing.length }, (_, i) => benchCustomerId(1001 + i));
  const customerIds = [...existing, ...created];
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'nodebill-orders-dataset' });
  client.on('error', () => {});
  await client.connect();
  const started = performance.now();
  try {
    const found = await client.query<{ n: string }>('select count(*) as n from customers where id = any($1::uuid[])', [existing]);
    if (Number(found.rows[0]?.n) !== existing.length) throw new Error('some existingCustomerIds are not in the database');
    await client.query('begin');
    await client.query(
      `insert into customers (id, name, email, balance, created_at)
       select id, 'Dataset customer ' || n, 'dataset' || n || '@example.com', 1000.00, now() - interval '400 days'
       from unnest($1::uuid[]) with ordinality as t(id, n)`,
      [created],
    );
    await client.query(
      `insert into plugin_interfaces (id, plugin_type, plugin_id, display_name, enabled, is_healthy)
       values ($1, 'first_party_provider', 'dataset', 'Dataset cloud', true, true)`,
      [DATASET_PROVIDER_ID],
    );
    await client.query(
      `insert into products (id, name, description, price_per_month, billing_cycles, interface_id, created_at)
       values ($1, 'VPS dataset', 'data set product', 20, '{"monthly":"20.00","yearly":"200.00"}', $2, now() - interval '400 days')`,
      [DATASET_PRODUCT_ID, DATASET_PROVIDER_ID],
    );
    // One statement for all orders. r1..r3 are independent random draws per row; created_at grows
    // with n, and so does the id (a UUID v7 layout: 48-bit milliseconds, version 7, variant 8).
    await client.query(
      `insert into orders (id, customer_id, product_id, product_name, provider_interface_id, provider_instance_id,
                           server_spec, status, amount, currency, billing_cycle, gateway_interface_id, gateway_payment_id,
                           notes, paid_at, version, created_at, updated_at)
       select (lpad(to_hex((extract(epoch from o.created_at) * 1000)::bigint), 12, '0') || '7'
                 || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid,
              ($1::uuid[])[1 + floor(o.r1 * $3)::int],
              $4::uuid, 'VPS dataset', $5::uuid,
              case when o.status in ('provisioning', 'active', 'suspended', 'completed') then 'vm-' || o.n end,
              jsonb_build_object('cpu_cores', 1 + (o.n % 8), 'memory_gb', 1 << (o.n % 5), 'disk_gb', 20 + 10 * (o.n % 10),
                                 'bandwidth_mbps', 100, 'region', 'region-' || (o.n % 5), 'os', 'debian-12'),
              o.status,
              round((5 + o.r2 * 495)::numeric, 2),
              'CNY',
              case when o.r3 < 0.85 then 'monthly' when o.r3 < 0.93 then 'quarterly' else 'yearly' end,
              case when o.status not in ('pending', 'cancelled') then $6::uuid end,
              null,
              '',
              case when o.status not in ('pending', 'cancelled') then o.created_at + interval '30 seconds' end,
              case when o.status in ('pending', 'paid') then 2 else 4 end,
              o.created_at,
              o.created_at + interval '1 minute'
       from (
         select n, h, r1, r2, r3, created_at,
                -- Older than a day, an order is past waiting: unpaid ones were cancelled by the
                -- payment timeout, paid ones provisioned.
                case
                  when status = 'pending' and created_at < now() - interval '1 day' then 'cancelled'
                  when status in ('paid', 'provisioning') and created_at < now() - interval '1 day' then 'active'
                  else status
                end as status
         from (
           select n, md5(n::text) as h, random() as r1, random() as r2, random() as r3,
                  now() - interval '365 days' + (interval '365 days' * n / $2::int) as created_at,
                  case
                    when s < 0.50 then 'active'
                    when s < 0.68 then 'completed'
                    when s < 0.80 then 'cancelled'
                    when s < 0.86 then 'suspended'
                    when s < 0.91 then 'refunded'
                    when s < 0.95 then 'pending'
                    when s < 0.98 then 'paid'
                    else 'provisioning'
                  end as status
           from (select n, random() as s from generate_series(1, $2::int) as n) g
         ) d
       ) o`,
      [customerIds, options.orders, customerIds.length, DATASET_PRODUCT_ID, DATASET_PROVIDER_ID, BALANCE_GATEWAY_ID],
    );
    await client.query('commit');
    await client.query('vacuum analyze orders');
    await client.query('analyze');
    const counts = await client.query<{ customer_id: string; n: string }>('select customer_id, count(*) as n from orders group by customer_id');
    return {
      customerIds,
      productId: DATASET_PRODUCT_ID,
      providerInterfaceId: DATASET_PROVIDER_ID,
      ordersByCustomer: new Map(counts.rows.map((row) => [row.customer_id, Number(row.n)])),
      loadMs: performance.now() - started,
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
