-- The create-and-pay transaction of the RustBill HA guide (§4.1): a customer orders and pays from
-- its balance, the way a row-lock design writes it — order insert (pending), balance update
-- (row lock on the customer), ledger insert, payment insert, order update (paid), outbox insert,
-- one transaction. Run by bench/money/pgbench.ts with `pgbench -M prepared` (variables become
-- parameters, as in sqlx); `customers` (-D) says how many customers are picked from, at random.
-- Customer n has the id 00000000-0000-7000-9000-<n, 12 digits> (bench/money/pgbench.ts seeds them).
\set n random(1, :customers)
\set cents random(500, 5000)
BEGIN;
INSERT INTO orders (id, customer_id, product_id, product_name, provider_interface_id, status, amount, currency, billing_cycle, created_at, updated_at)
  VALUES (gen_random_uuid(), ('00000000-0000-7000-9000-' || lpad(:n::text, 12, '0'))::uuid, :product_id::uuid, 'VPS bench', :provider_id::uuid,
          'pending', :cents::numeric / 100, 'CNY', 'monthly', now(), now())
  RETURNING id AS order_id, customer_id AS customer_id, amount AS amount \gset
UPDATE customers SET balance = balance - :amount::numeric, version = version + 1, updated_at = now()
  WHERE id = :customer_id::uuid
  RETURNING balance + :amount::numeric AS balance_before, balance AS balance_after \gset
INSERT INTO balance_transactions (id, customer_id, transaction_type, amount, balance_before, balance_after, reference_id, description, created_at)
  VALUES (gen_random_uuid(), :customer_id::uuid, 'payment', -:amount::numeric, :balance_before::numeric, :balance_after::numeric, :order_id::uuid, 'order payment', now());
INSERT INTO payments (id, customer_id, kind, order_id, amount, currency, gateway_interface_id, status, paid_at, created_at, updated_at)
  VALUES (gen_random_uuid(), :customer_id::uuid, 'order', :order_id::uuid, :amount::numeric, 'CNY', '00000000-0000-7000-8000-000000000001', 'success', now(), now(), now());
UPDATE orders SET status = 'paid', paid_at = now(), gateway_interface_id = '00000000-0000-7000-8000-000000000001', version = version + 1, updated_at = now()
  WHERE id = :order_id::uuid;
INSERT INTO event_queue (id, event_type, payload, status, customer_id, order_id, created_at)
  VALUES (gen_random_uuid(), 'order_paid', jsonb_build_object('order_id', :order_id::text, 'customer_id', :customer_id::text, 'amount', :amount::text),
          'pending', :customer_id::uuid, :order_id::uuid, now());
COMMIT;
