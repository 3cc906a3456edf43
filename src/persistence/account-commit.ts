/**
 * The commit statement of the money path (issue 8): ONE SQL statement writes the decisions of a
 * batch of customers' commands — atomic as any statement, one round trip, one WAL flush for many
 * customers ("actors can batch commits of many customers, row locks cannot").
 *
 * - `c` updates the customers whose version is still the one their command was decided on (the
 *   fence); every other write joins `c` on its customer, so a customer whose fence failed writes
 *   nothing at all, while the others of the batch commit.
 * - Order updates and deletes are fenced by the order's own version, invoice payments and
 *   cancellations by the invoice's status; a promotion redemption's trigger counts the code's use
 *   and fails the statement past its limits (issue 11); the recorded outcome
 *   (`customer_commands`, unique per customer and key) must be new. When any of these did not
 *   write for a committed customer, the closing division by zero aborts the whole statement (the
 *   batcher then commits the batch's writes one by one, to find which one it was).
 * - The statement answers the ids of the customers it committed.
 */
import type { AccountWrite } from '../actors/account-store.ts';
import type { RowWrite } from '../domain/accounts/account.ts';
import type { OrderState } from '../domain/orders/order.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import { newId } from '../lib/ids.ts';
import { leaseCurrentSql } from './shard-leases.ts';

/** The name the statement is prepared under on each connection. */
export const COMMIT_STATEMENT_NAME = 'nb_account_commit_batch_v4';

function orderColumns(order: OrderState): Record<string, unknown> {
  return {
    id: order.id, customer_id: order.customerId, product_id: order.productId, product_name: order.productName, provider_interface_id: order.providerInterfaceId,
    provider_instance_id: order.providerInstanceId, server_spec: order.serverSpec, status: order.status, amount: order.amount, currency: order.currency,
    billing_cycle: order.billingCycle, gateway_interface_id: order.gatewayInterfaceId, gateway_payment_id: order.gatewayPaymentId, notes: order.notes,
    paid_at: order.paidAt, version: order.version, created_at: order.createdAt, updated_at: order.updatedAt,
    period_start: order.periodStart, period_end: order.periodEnd, anchor_day: order.anchorDay, cancel_at_period_end: order.cancelAtPeriodEnd,
    renewal_amount: order.renewalAmount, period_price: order.periodPrice, promotion_code: order.promotionCode, discount_amount: order.discountAmount, tax_amount: order.taxAmount,
  };
}

function paymentColumns(payment: PaymentState): Record<string, unknown> {
  return {
    id: payment.id, customer_id: payment.customerId, kind: payment.kind, order_id: payment.orderId, invoice_id: payment.invoiceId, amount: payment.amount,
    refunded_amount: payment.refundedAmount, currency: payment.currency, gateway_interface_id: payment.gatewayInterfaceId, gateway_payment_id: payment.gatewayPaymentId,
    gateway_tx_id: payment.gatewayTxId, status: payment.status, payment_url: payment.paymentUrl, qr_code: payment.qrCode, instructions: payment.instructions,
    return_url: payment.returnUrl, paid_at: payment.paidAt, created_at: payment.createdAt, updated_at: payment.updatedAt,
  };
}

function rows<T>(writes: readonly AccountWrite[], pick: (write: AccountWrite) => Array<RowWrite<T>>, op: RowWrite<T>['op'], column: (row: T) => Record<string, unknown>): string {
  return JSON.stringify(writes.flatMap((write) => pick(write).filter((entry) => entry.op === op).map((entry) => ({ ...column(entry.row), customer_id: write.customerId }))));
}

/**
 * The parameters of {@link COMMIT_STATEMENT} for `writes` (each of a different customer, each
 * writing its customer row).
 * @throws Error when a write does not change its customer (those are committed on their own)
 */
export function commitValues(writes: readonly AccountWrite[]): unknown[] {
  const customers = writes.map((write) => {
    const customer = write.decision.customer;
    if (!customer) throw new Error('the commit statement needs a customer write');
    const fence = write.fence ?? null;
    return {
      id: write.customerId, balance: customer.balance, version: customer.version, updated_at: customer.updatedAt, expected: write.expectedVersion,
      shard: fence?.shard ?? null, node: fence?.node ?? null, epoch: fence?.epoch ?? null,
    };
  });
  const orders = (write: AccountWrite): Array<RowWrite<OrderState>> => write.decision.orders;
  const payments = (write: AccountWrite): Array<RowWrite<PaymentState>> => write.decision.payments;
  return [
    JSON.stringify(customers),
    rows(writes, orders, 'insert', orderColumns), rows(writes, orders, 'update', orderColumns), rows(writes, orders, 'delete', orderColumns),
    rows(writes, payments, 'insert', paymentColumns), rows(writes, payments, 'update', paymentColumns), rows(writes, payments, 'delete', paymentColumns),
    JSON.stringify(writes.flatMap((write) => write.decision.ledger.map((entry) => ({
      id: entry.id, customer_id: write.customerId, transaction_type: entry.type, amount: entry.amount, balance_before: entry.balanceBefore,
      balance_after: entry.balanceAfter, reference_id: entry.referenceId, description: entry.description,
    })))),
    JSON.stringify(writes.flatMap((write) => write.decision.instances.map((instance) => ({
      id: instance.id, customer_id: write.customerId, order_id: instance.orderId, product_id: instance.productId, product_name: instance.productName,
      provider_interface_id: instance.providerInterfaceId, provider_instance_id: instance.providerInstanceId, status: instance.status, ip_address: instance.ipAddress,
      server_spec: instance.serverSpec,
    })))),
    JSON.stringify(writes.flatMap((write) => write.decision.events.map((event) => ({
      id: event.id, event_type: event.eventType, payload: event.payload, customer_id: write.customerId, order_id: event.orderId, trace_parent: write.traceparent ?? null,
    })))),
    JSON.stringify(writes.flatMap((write) => {
      const origin = write.origin;
      if (!origin) return [];
      const caller = origin.caller;
      const audit = write.decision.audit;
      return [{
        id: newId(), customer_id: write.customerId, admin_user_id: caller.kind === 'admin' ? caller.userId : null, admin_username: caller.kind === 'admin' ? caller.username : '',
        action: audit.action, target_type: audit.targetType, target_id: audit.targetId, details: { ...audit.details, caller: caller.kind, customer_id: write.customerId },
        client_address: origin.clientAddress.slice(0, 64) || null, request_id: origin.requestId || null,
      }];
    })),
    JSON.stringify(writes.map((write) => ({
      customer_id: write.customerId, idempotency_key: write.idempotencyKey, command_type: write.commandType.slice(0, 32), outcome: { ...write.outcome, replayed: true },
    }))),
    JSON.stringify(writes.flatMap((write) => write.decision.invoices.map((entry) => ({
      id: entry.row.id, customer_id: write.customerId, status: entry.row.status, paid_amount: entry.row.paidAmount, paid_at: entry.row.paidAt, expected: entry.expectedStatus,
    })))),
    JSON.stringify(writes.flatMap((write) => write.decision.redemptions.map((redemption) => ({
      id: redemption.id, promotion_id: redemption.promotionId, customer_id: write.customerId, order_id: redemption.orderId, discount_amount: redemption.discountAmount,
    })))),
  ];
}

/** See the file comment. Parameters: {@link commitValues}. */
export const COMMIT_STATEMENT = `
with c as (
  update customers k set balance = r.balance, version = r.version, updated_at = r.updated_at
  from jsonb_to_recordset($1::jsonb) r(id uuid, balance numeric, version int, updated_at timestamptz, expected int, shard int, node uuid, epoch bigint)
  where k.id = r.id and k.version = r.expected
    and (r.node is null or exists (select 1 from shard_leases l where ${leaseCurrentSql('l', 'r.shard', 'r.node', 'r.epoch')}))
  returning k.id
), oi as (
  insert into orders (id, customer_id, product_id, product_name, provider_interface_id, provider_instance_id, server_spec, status, amount, currency,
    billing_cycle, gateway_interface_id, gateway_payment_id, notes, paid_at, version, created_at, updated_at,
    period_start, period_end, anchor_day, cancel_at_period_end, renewal_amount, period_price, promotion_code, discount_amount, tax_amount)
  select r.id, r.customer_id, r.product_id, r.product_name, r.provider_interface_id, r.provider_instance_id, r.server_spec, r.status, r.amount, r.currency,
    r.billing_cycle, r.gateway_interface_id, r.gateway_payment_id, r.notes, r.paid_at, r.version, r.created_at, r.updated_at,
    r.period_start, r.period_end, r.anchor_day, r.cancel_at_period_end, r.renewal_amount, r.period_price, r.promotion_code, r.discount_amount, r.tax_amount
  from jsonb_populate_recordset(null::orders, $2::jsonb) r join c on c.id = r.customer_id returning 1
), ou_in as (
  select r.* from jsonb_populate_recordset(null::orders, $3::jsonb) r join c on c.id = r.customer_id
), ou as (
  update orders o set status = r.status, provider_instance_id = r.provider_instance_id, gateway_interface_id = r.gateway_interface_id,
    gateway_payment_id = r.gateway_payment_id, notes = r.notes, paid_at = r.paid_at, version = r.version, updated_at = r.updated_at,
    period_start = r.period_start, period_end = r.period_end, anchor_day = r.anchor_day, cancel_at_period_end = r.cancel_at_period_end,
    product_id = r.product_id, product_name = r.product_name, server_spec = r.server_spec, amount = r.amount, renewal_amount = r.renewal_amount, period_price = r.period_price,
    tax_amount = r.tax_amount, promotion_code = r.promotion_code, discount_amount = r.discount_amount
  from ou_in r where o.id = r.id and o.customer_id = r.customer_id and o.version = r.version - 1 returning 1
), od_in as (
  select r.* from jsonb_populate_recordset(null::orders, $4::jsonb) r join c on c.id = r.customer_id
), od as (
  delete from orders o using od_in r where o.id = r.id and o.customer_id = r.customer_id and o.version = r.version returning 1
), pi as (
  insert into payments (id, customer_id, kind, order_id, invoice_id, amount, refunded_amount, currency, gateway_interface_id, gateway_payment_id,
    gateway_tx_id, status, payment_url, qr_code, instructions, return_url, paid_at, created_at, updated_at)
  select r.id, r.customer_id, r.kind, r.order_id, r.invoice_id, r.amount, r.refunded_amount, r.currency, r.gateway_interface_id, r.gateway_payment_id,
    r.gateway_tx_id, r.status, r.payment_url, r.qr_code, r.instructions, r.return_url, r.paid_at, r.created_at, r.updated_at
  from jsonb_populate_recordset(null::payments, $5::jsonb) r join c on c.id = r.customer_id returning 1
), pu as (
  update payments p set status = r.status, refunded_amount = r.refunded_amount, gateway_tx_id = r.gateway_tx_id, paid_at = r.paid_at, updated_at = r.updated_at
  from jsonb_populate_recordset(null::payments, $6::jsonb) r join c on c.id = r.customer_id where p.id = r.id and p.customer_id = r.customer_id returning 1
), pd as (
  delete from payments p using jsonb_populate_recordset(null::payments, $7::jsonb) r join c on c.id = r.customer_id
  where p.id = r.id and p.customer_id = r.customer_id and p.status in ('pending', 'failed') returning 1
), li as (
  insert into balance_transactions (id, customer_id, transaction_type, amount, balance_before, balance_after, reference_id, description)
  select r.id, r.customer_id, r.transaction_type, r.amount, r.balance_before, r.balance_after, r.reference_id, r.description
  from jsonb_populate_recordset(null::balance_transactions, $8::jsonb) r join c on c.id = r.customer_id returning 1
), ii as (
  insert into instances (id, customer_id, order_id, product_id, product_name, provider_interface_id, provider_instance_id, status, ip_address, server_spec)
  select r.id, r.customer_id, r.order_id, r.product_id, r.product_name, r.provider_interface_id, r.provider_instance_id, r.status, r.ip_address, r.server_spec
  from jsonb_populate_recordset(null::instances, $9::jsonb) r join c on c.id = r.customer_id returning 1
), ei as (
  insert into event_queue (id, event_type, payload, customer_id, order_id, trace_parent)
  select r.id, r.event_type, r.payload, r.customer_id, r.order_id, r.trace_parent from jsonb_populate_recordset(null::event_queue, $10::jsonb) r join c on c.id = r.customer_id returning 1
), ai as (
  insert into operation_logs (id, admin_user_id, admin_username, action, target_type, target_id, details, client_address, request_id)
  select r.id, r.admin_user_id, r.admin_username, r.action, r.target_type, r.target_id, r.details, r.client_address, r.request_id
  from jsonb_to_recordset($11::jsonb) r(id uuid, customer_id uuid, admin_user_id uuid, admin_username text, action text, target_type text, target_id text,
    details jsonb, client_address text, request_id text) join c on c.id = r.customer_id returning 1
), iu_in as (
  select r.* from jsonb_to_recordset($13::jsonb) r(id uuid, customer_id uuid, status text, paid_amount numeric, paid_at timestamptz, expected text)
  join c on c.id = r.customer_id
), iu as (
  update invoices i set status = r.status, paid_amount = r.paid_amount, paid_at = coalesce(r.paid_at, i.paid_at), updated_at = now()
  from iu_in r where i.id = r.id and i.customer_id = r.customer_id and i.status = r.expected returning 1
), ri as (
  insert into promotion_redemptions (id, promotion_id, customer_id, order_id, discount_amount)
  select r.id, r.promotion_id, r.customer_id, r.order_id, r.discount_amount
  from jsonb_to_recordset($14::jsonb) r(id uuid, promotion_id uuid, customer_id uuid, order_id uuid, discount_amount numeric) join c on c.id = r.customer_id returning 1
), cc as (
  insert into customer_commands (customer_id, idempotency_key, command_type, outcome)
  select r.customer_id, r.idempotency_key, r.command_type, r.outcome
  from jsonb_to_recordset($12::jsonb) r(customer_id uuid, idempotency_key text, command_type text, outcome jsonb) join c on c.id = r.customer_id
  on conflict do nothing returning 1
)
select array(select id from c)::text[] as committed,
  array(select r.id from jsonb_to_recordset($1::jsonb) r(id uuid, shard int, node uuid, epoch bigint) where r.node is not null
    and not exists (select 1 from shard_leases l where ${leaseCurrentSql('l', 'r.shard', 'r.node', 'r.epoch')}))::text[] as unleased,
  1 / (case when (select count(*) from ou) = (select count(*) from ou_in) and (select count(*) from od) = (select count(*) from od_in)
    and (select count(*) from iu) = (select count(*) from iu_in)
    and (select count(*) from cc) = (select count(*) from c) then 1 else 0 end) as fenced
`;
