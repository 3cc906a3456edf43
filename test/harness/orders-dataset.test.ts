/**
 * The order data set (bench/money/orders-dataset.ts), at a small size: every order belongs to one
 * of the customers (an existing one included), ids follow created_at, created_at spans a year,
 * statuses are the schema's and unpaid orders are recent, amounts are money, paid orders have
 * paid_at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrdersDataset, type OrdersDataset } from '../../bench/money/orders-dataset.ts';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, queryRows, type MigratedTestDatabase } from '../support/db.ts';

let database: MigratedTestDatabase;
let dataset: OrdersDataset;
const existing = newId();

beforeAll(async () => {
  database = await migratedTestDatabase();
  await queryRows(database.url, "insert into customers (id, name) values ($1, 'registered before')", [existing]);
  dataset = await loadOrdersDataset(database.url, { orders: 20_000, customers: 7, existingCustomerIds: [existing] });
});

afterAll(async () => {
  await database?.drop();
});

describe('orders data set', () => {
  it('spreads the orders over the customers, the existing one included', async () => {
    expect(dataset.customerIds).toHaveLength(7);
    expect(dataset.customerIds[0]).toBe(existing);
    expect([...dataset.ordersByCustomer.values()].reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(dataset.ordersByCustomer.size).toBe(7);
    for (const count of dataset.ordersByCustomer.values()) expect(count).toBeGreaterThan(20_000 / 7 / 2);
    const [row] = await queryRows<{ customers: string }>(database.url, 'select count(*) as customers from customers');
    expect(row?.customers).toBe('7');
  });

  it('has time-ordered ids over a year, realistic statuses and amounts', async () => {
    const [span] = await queryRows<{ days: number; disordered: string; bad_amounts: string; unpaid_old: string; paid_without_date: string; statuses: string }>(
      database.url,
      `select extract(day from max(created_at) - min(created_at))::int as days,
              (select count(*) from (select id < lead(id) over (order by created_at) as ordered from orders) t where not ordered) as disordered,
              count(*) filter (where amount < 5 or amount > 500) as bad_amounts,
              count(*) filter (where status in ('pending', 'paid', 'provisioning') and created_at < now() - interval '1 day') as unpaid_old,
              count(*) filter (where status not in ('pending', 'cancelled') and paid_at is null) as paid_without_date,
              count(distinct status) as statuses
       from orders`,
    );
    expect(span).toMatchObject({ days: 364, disordered: '0', bad_amounts: '0', unpaid_old: '0', paid_without_date: '0' });
    // active, completed, cancelled, suspended, refunded always; pending, paid, provisioning in the last day, if drawn.
    expect(Number(span?.statuses)).toBeGreaterThanOrEqual(5);
  });
});
