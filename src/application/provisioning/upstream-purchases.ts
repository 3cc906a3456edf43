/**
 * CreateUpstreamInstance for customers and API keys (integration-service.md: 已认证; issue 8): the
 * caller pays for the server through the money path. The provider quotes the spec (query_price),
 * the customer's actor creates an order for that amount and pays it from the balance plus credit
 * limit in one command, and the provisioning saga creates the instance (create_instance with the
 * order id). The call waits for the order to become active — or answers how it ended.
 */
import { formatMoney } from '../../domain/money.ts';
import { DomainError } from '../../domain/errors.ts';
import { isBillingCycle } from '../../domain/catalog/prices.ts';
import type { Origin } from '../../domain/origin.ts';
import { BALANCE_METHOD_ID } from '../../domain/payments/balance-method.ts';
import type { ServerSpecInput } from '../../domain/provisioning/server-spec.ts';
import { newId } from '../../lib/ids.ts';
import type pg from 'pg';
import type { AccountCommands } from '../accounts/account-commands.ts';
import { commandKey } from '../customers/customer-accounts.ts';
import type { MoneyReads } from '../money-reads.ts';

/** The provider's price of a spec (the plugin registry's ProviderCalls.queryPrice). */
export interface PriceQuotes {
  queryPrice(interfaceId: string, spec: ServerSpecInput): Promise<{ amount: string; currency: string; billingCycle: string }>;
}

/** How often the order is looked at while the call waits. */
const POLL_MS = 200;

/** See the file comment. */
export class UpstreamPurchases {
  private readonly deps: { pool: pg.Pool; accounts: AccountCommands; quotes: PriceQuotes; reads: MoneyReads; waitMs: number };

  /** @param deps.waitMs how long (ms) the call waits for provisioning before answering Unavailable with the order id */
  constructor(deps: UpstreamPurchases['deps']) {
    this.deps = deps;
  }

  /**
   * Buys one instance of `spec` from provider `interfaceId` for `customerId`.
   * @returns the provider's instance as provisioned
   * @throws DomainError failed_precondition (insufficient_funds; provisioning failed and the
   *   payment was refunded), unavailable (still provisioning after waitMs: the order id says where
   *   to look), and the provider registry's errors (not found, disabled)
   */
  async purchase(origin: Origin, customerId: string, interfaceId: string, spec: ServerSpecInput, clientKey?: string | null): Promise<{ providerInstanceId: string; status: string; ipAddress: string; orderId: string }> {
    const quote = await this.deps.quotes.queryPrice(interfaceId, spec);
    const orderId = newId();
    const outcome = await this.deps.accounts.run(customerId, {
      type: 'create_order',
      payFromBalance: true,
      order: {
        id: orderId, customerId, productId: null, productName: 'Upstream instance', providerInterfaceId: interfaceId,
        serverSpec: {
          cpu_cores: spec.cpuCores, memory_gb: spec.memoryGb, disk_gb: spec.diskGb, bandwidth_mbps: spec.bandwidthMbps, region: spec.region, os: spec.os, extra_specs: spec.extraSpecs,
        },
        amount: formatMoney(quote.amount), currency: quote.currency, billingCycle: isBillingCycle(quote.billingCycle) ? quote.billingCycle : 'monthly',
        gatewayInterfaceId: BALANCE_METHOD_ID, notes: 'CreateUpstreamInstance',
      },
    }, { origin, key: commandKey(clientKey) });
    const order = outcome.result.order;
    if (!order) throw new DomainError('unavailable', 'the order was not recorded; try again');
    const deadline = Date.now() + this.deps.waitMs;
    for (;;) {
      const current = await this.deps.reads.order(order.id);
      if (current.status === 'active') {
        const { rows } = await this.deps.pool.query<{ provider_instance_id: string; status: string; ip_address: string }>(
          'select provider_instance_id, status, ip_address from instances where order_id = $1', [order.id],
        );
        const instance = rows[0];
        return { providerInstanceId: instance?.provider_instance_id ?? current.providerInstanceId ?? '', status: instance?.status ?? 'running', ipAddress: instance?.ip_address ?? '', orderId: order.id };
      }
      if (current.status === 'cancelled' || current.status === 'refunded') {
        throw new DomainError('failed_precondition', `the provider could not create the instance; order ${order.id} was cancelled and its ${order.amount} refunded`);
      }
      if (Date.now() > deadline) throw new DomainError('unavailable', `the instance is still being provisioned; follow order ${order.id} with GetOrder`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
