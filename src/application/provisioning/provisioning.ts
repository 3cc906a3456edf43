/**
 * The provisioning saga (HA guide §4.3; issue 8): `order_paid` → the order's provider plugin
 * creates the instance (`create_instance` with `order_id`, so a retry finds the instance it made
 * already instead of making a second) → the customer's actor records the instance, the order
 * becomes `active` and `order_provisioned` is written. When provisioning keeps failing, the last
 * attempt compensates: each payment goes back to its payer (through its gateway, or to the balance
 * when the gateway refuses), the order becomes `cancelled` and `order_cancelled` is written.
 * Every step is an actor command keyed by the order, so a retried or duplicated event acts once.
 */
import type { Logger } from 'pino';
import type { OutboxEvent } from '../../jobs/types.ts';
import type { RefundRoute } from '../../domain/accounts/account.ts';
import { Decimal } from 'decimal.js';
import { formatMoney } from '../../domain/money.ts';
import type { OrderState } from '../../domain/orders/order.ts';
import { BALANCE_METHOD_ID } from '../../domain/payments/balance-method.ts';
import { localStatus, instanceSpec, type OrderedSpec } from '../../domain/provisioning/instances.ts';
import type { ServerSpecInput } from '../../domain/provisioning/server-spec.ts';
import { newId } from '../../lib/ids.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import type { MoneyReads } from '../money-reads.ts';
import type { PaymentGateways } from '../payments/gateway-port.ts';

/** An outbox event as the event processing hands it over (`attempts`: earlier runs, 0 on the first). */
export type SagaEvent = OutboxEvent;

/** The provider side of provisioning (the plugin registry's ProviderCalls). */
export interface InstanceCreator {
  createInstance(interfaceId: string, spec: ServerSpecInput, options?: { orderId?: string }): Promise<{ instanceId: string; status: string; ipAddress: string }>;
}

/** The spec a provider is asked to create, from the order's stored spec. */
export function providerSpec(spec: OrderedSpec): ServerSpecInput {
  return {
    cpuCores: spec.cpu_cores ?? 1, memoryGb: spec.memory_gb ?? 1, diskGb: spec.disk_gb ?? 0, bandwidthMbps: spec.bandwidth_mbps ?? 0,
    region: spec.region ?? '', os: spec.os ?? '', extraSpecs: { ...(spec.extra_specs ?? {}) },
  };
}

/** See the file comment. */
export class Provisioning {
  private readonly deps: { accounts: AccountCommands; reads: MoneyReads; providers: InstanceCreator; gateways: PaymentGateways; maxAttempts: number; log: Pick<Logger, 'info' | 'warn' | 'error'> };

  /** @param deps.maxAttempts the event processing's `[jobs] max_attempts`: the last attempt compensates instead of failing */
  constructor(deps: Provisioning['deps']) {
    this.deps = deps;
  }

  /**
   * Handles `order_paid`. Throws to be retried (with backoff) while attempts remain.
   * @throws Error the provider's failure, on every attempt but the last
   */
  async onOrderPaid(event: SagaEvent): Promise<void> {
    const { accounts, reads, log } = this.deps;
    if (!event.orderId || !event.customerId) return;
    const order = await reads.order(event.orderId).catch(() => null);
    if (!order || (order.status !== 'paid' && order.status !== 'provisioning')) return; // done already, or refunded / cancelled
    const customerId = order.customerId;
    await accounts.run(customerId, { type: 'start_provisioning', orderId: order.id }, { origin: null, key: `provision-start:${order.id}` });
    let created;
    try {
      if (!order.providerInterfaceId) throw new Error('the order names no provider interface');
      created = await this.deps.providers.createInstance(order.providerInterfaceId, providerSpec(order.serverSpec), { orderId: order.id });
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 300) : String(error);
      if (event.attempts + 1 < this.deps.maxAttempts) {
        log.warn({ orderId: order.id, attempt: event.attempts + 1, reason }, 'provisioning failed; it will be retried');
        throw error;
      }
      log.error({ orderId: order.id, reason }, 'provisioning failed for good; refunding and cancelling the order');
      await this.compensate(order, reason);
      return;
    }
    await accounts.run(customerId, {
      type: 'complete_provisioning',
      orderId: order.id,
      instance: {
        id: newId(), providerInstanceId: created.instanceId, status: localStatus(created.status) ?? 'provisioning', ipAddress: created.ipAddress,
        serverSpec: instanceSpec(order.serverSpec),
      },
    }, { origin: null, key: `provisioned:${order.id}` });
    log.info({ orderId: order.id, providerInstanceId: created.instanceId }, 'order provisioned');
  }

  /** Gives every payment of the order back to its payer and cancels the order (one actor command). */
  private async compensate(order: OrderState, reason: string): Promise<void> {
    const { reads, gateways, accounts, log } = this.deps;
    const { items: payments } = await reads.payments({ customerId: order.customerId, orderId: order.id }, { page: 1, pageSize: 100, offset: 0 });
    const routes: Record<string, RefundRoute> = {};
    for (const payment of payments.filter((candidate) => candidate.status === 'success')) {
      const remaining = formatMoney(new Decimal(payment.amount).minus(payment.refundedAmount));
      if (payment.gatewayInterfaceId === BALANCE_METHOD_ID || remaining === '0.00') {
        routes[payment.id] = 'balance';
        continue;
      }
      try {
        await gateways.refund(payment.gatewayInterfaceId, payment.id, remaining);
        routes[payment.id] = 'gateway';
      } catch (error) {
        // The gateway would not give the money back: the customer gets it as balance instead.
        log.warn({ paymentId: payment.id, err: error }, 'gateway refund failed; refunding to the balance');
        routes[payment.id] = 'balance';
      }
    }
    await accounts.run(order.customerId, { type: 'fail_provisioning', orderId: order.id, reason, routes }, { origin: null, key: `provision-failed:${order.id}` });
  }
}
