/**
 * The money path's consistency after a failure test (issues 8 and 15): test/server/money-crash.test.ts
 * and test/cluster/multi-node.test.ts check their beds with it once the load settled.
 */
import { expect } from 'vitest';
import { queryRows } from './db.ts';
import { moneyInvariant, type MoneyBed } from './money-fixture.ts';

/**
 * Every acknowledged payment is in the ledger exactly once, no order is charged twice, every paid
 * order ended active (or refunded and cancelled), no order has two instances in the database, the
 * Incus counterpart holds exactly one instance per active order (named after it), each customer's
 * ledger is one unbroken chain (balance_before = the previous entry's balance_after), and the money
 * invariant holds.
 */
export async function expectMoneyPathConsistent(bed: MoneyBed, acked: ReadonlyArray<{ paymentId: string; orderId: string }>): Promise<void> {
  const url = bed.db.url;
  expect(acked.length).toBeGreaterThan(10);
  const payments = await queryRows<{ id: string; order_id: string; status: string }>(url, 'select id, order_id, status from payments where id = any($1)', [acked.map((entry) => entry.paymentId)]);
  expect(payments).toHaveLength(acked.length);
  expect(payments.filter((payment) => payment.status !== 'success' && payment.status !== 'refunded')).toEqual([]);
  const paidTwice = await queryRows(url, "select order_id from payments where order_id is not null and status in ('success', 'refunded') group by order_id having count(*) > 1");
  expect(paidTwice).toEqual([]);
  const charged = await queryRows<{ reference_id: string; n: string }>(url, "select reference_id, count(*)::text as n from balance_transactions where transaction_type = 'payment' group by reference_id");
  expect(charged.filter((row) => row.n !== '1')).toEqual([]);
  const chargedOrders = new Set(charged.map((row) => row.reference_id));
  expect(acked.filter((entry) => !chargedOrders.has(entry.orderId))).toEqual([]);
  const stuck = await queryRows<{ status: string; n: string }>(url, "select status, count(*)::text as n from orders where status not in ('pending', 'active', 'cancelled') group by status");
  expect(stuck).toEqual([]);
  const cancelledPaid = await queryRows<{ id: string }>(url, `select o.id from orders o join payments p on p.order_id = o.id and p.status = 'success' where o.status = 'cancelled'`);
  expect(cancelledPaid).toEqual([]);
  const doubled = await queryRows(url, 'select order_id from instances group by order_id having count(*) > 1');
  expect(doubled).toEqual([]);
  const active = await queryRows<{ id: string }>(url, "select id::text from orders where status = 'active'");
  const [instances] = await queryRows<{ n: string }>(url, "select count(*)::text as n from instances i join orders o on o.id = i.order_id where o.status = 'active'");
  expect(Number(instances?.n)).toBe(active.length);
  // The counterpart: one instance per active order, named after it (provider-incus: `rb-<order id>`), none else.
  expect(bed.incus.instances.size).toBe(active.length);
  const atIncus = new Set(bed.incus.instances.keys());
  expect(active.filter((order) => !atIncus.has(`rb-${order.id}`))).toEqual([]);
  const brokenChains = await queryRows(url, `select customer_id, id from (
      select customer_id, id, balance_before, lag(balance_after) over (partition by customer_id order by created_at, id) as previous
      from balance_transactions) t
    where previous is not null and previous <> balance_before`);
  expect(brokenChains).toEqual([]);
  const invariant = await moneyInvariant(url);
  expect(invariant.broken).toEqual([]);
}
