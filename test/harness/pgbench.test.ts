/**
 * The pgbench anchor (bench/money/pgbench.ts): a short run of create-and-pay.sql writes what the
 * spec's transaction writes — per paid order one payment, one ledger row bracketing the balance
 * change, one order_paid event — and the balances fall by exactly the orders' amounts. Figures are
 * only checked to be figures (never timings).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAndPayDatabase, runPgbench, type CreateAndPayDatabase } from '../../bench/money/pgbench.ts';
import { queryRows } from '../support/db.ts';

let database: CreateAndPayDatabase;

beforeAll(async () => {
  database = await createAndPayDatabase(5);
});

afterAll(async () => {
  await database?.drop();
});

describe('pgbench create-and-pay', () => {
  it('pays orders from the balance with a payment, a ledger row and an outbox event each', async () => {
    const figures = await runPgbench({ clients: 2, seconds: 1, customers: 5, database });
    expect(figures.transactions).toBeGreaterThan(0);
    expect(figures.tps).toBeGreaterThan(0);
    expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms);

    const [counts] = await queryRows<{ orders: string; unpaid: string; payments: string; ledger: string; events: string; customers: string }>(
      database.url,
      `select (select count(*) from orders) as orders,
              (select count(*) from orders where status <> 'paid' or paid_at is null) as unpaid,
              (select count(*) from payments p join orders o on o.id = p.order_id and o.amount = p.amount and p.status = 'success') as payments,
              (select count(*) from balance_transactions b join orders o on o.id = b.reference_id and b.amount = -o.amount) as ledger,
              (select count(*) from event_queue e join orders o on o.id = e.order_id and e.event_type = 'order_paid') as events,
              (select count(distinct customer_id) from orders) as customers`,
    );
    // pgbench may end a run while clients are between transactions, never inside one (-T waits for COMMIT).
    expect(Number(counts?.orders)).toBeGreaterThanOrEqual(figures.transactions);
    expect(counts).toMatchObject({ unpaid: '0', payments: counts?.orders, ledger: counts?.orders, events: counts?.orders });
    expect(Number(counts?.customers)).toBeLessThanOrEqual(5);

    const mismatched = await queryRows(
      database.url,
      `select c.id from customers c
       left join (select customer_id, sum(amount) as spent from orders group by customer_id) o on o.customer_id = c.id
       where c.balance <> 1000000000.00 - coalesce(o.spent, 0)
          or (select count(*) from balance_transactions b where b.customer_id = c.id)
             <> (select count(*) from orders x where x.customer_id = c.id)`,
    );
    expect(mismatched).toEqual([]);
    // Every ledger row brackets its change and the chain of one customer is gapless.
    const broken = await queryRows(
      database.url,
      `select customer_id from (
         select customer_id, balance_before, lag(balance_after) over (partition by customer_id order by balance_before desc) as previous_after
         from balance_transactions) t
       where previous_after is not null and previous_after <> balance_before`,
    );
    expect(broken).toEqual([]);
  });
});
