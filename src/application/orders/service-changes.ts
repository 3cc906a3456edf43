/**
 * Changes to a running service (issue 11, README "Recurring billing"), OrderService's
 * CancelService and ChangeServicePlan:
 *
 * - **Cancel at the period end**: the service will not renew (its unpaid renewal invoice, if one
 *   was issued, is cancelled) and ends when the period does (the lifecycle job ends it; a renewal
 *   already paid for the next period is then credited back to the balance).
 * - **Cancel now**: the service ends at once (order completed, instance terminated through the
 *   provider); with `refund` — administrators only — the unused days of the period are credited
 *   to the balance (day-based proration of what the period cost); a renewal already paid for the
 *   next period is credited back in full either way.
 * - **Change plan**: to another product of the same provider and/or another spec. The new plan's
 *   price is the product's for the order's cycle changed by the spec's price impacts (README
 *   "Spec pricing", the same code as CreateOrder), so a spec-only change has a price too. The
 *   amounts are day-based (src/domain/billing/proration.ts): credit for the unused days of what
 *   the period cost, charge for the same days of the new plan's price (tax included). The provider resizes
 *   the instance first (`resize_instance`; a provider without it is refused before anything
 *   happens); then one actor command posts the two ledger entries and changes the order. When
 *   the actor refuses (e.g. the balance no longer covers the charge), the instance is resized
 *   back. A preview computes the amounts and changes nothing.
 *
 * Customers act on their own services (another's answers NotFound); every change is an actor
 * command with the caller's idempotency key.
 */
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import type { Logger } from 'pino';
import { planChangeAmounts, type PlanChangeAmounts } from '../../domain/billing/proration.ts';
import type { TaxedLine } from '../../domain/billing/tax.ts';
import { DomainError, forbidden, invalid, refused } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/money.ts';
import type { Origin } from '../../domain/origin.ts';
import type { OrderState } from '../../domain/orders/order.ts';
import { instanceSpec, type OrderedSpec } from '../../domain/provisioning/instances.ts';
import type { ServerSpecInput } from '../../domain/provisioning/server-spec.ts';
import { businessClock } from '../../lib/clock.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { ActionResult } from '../../plugins/registry/results.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import { commandKey } from '../customers/customer-accounts.ts';
import type { MoneyReads } from '../money-reads.ts';
import { providerSpec } from '../provisioning/provisioning.ts';
import { orderCustomer, productOnSale, specListPrice, type SpecTemplates } from './orders.ts';

/**
 * The provider side of a plan change (the registry's ProviderCalls): resizing, and the provider's
 * spec template that checks and prices the new spec (README "Spec pricing").
 */
export interface ServiceResizer extends SpecTemplates {
  canResize(interfaceId: string): Promise<boolean>;
  resizeInstance(interfaceId: string, instanceId: string, spec: ServerSpecInput): Promise<ActionResult>;
}

/** The tax of the new plan's price (src/application/billing/tax-rules.ts). */
export interface PlanTaxes {
  taxFor(customerId: string, price: string, options: { pricesIncludeTax: boolean }): Promise<TaxedLine>;
}

/** What ChangeServicePlan answers: the order and the proration, money as decimal strings. */
export interface PlanChange {
  order: OrderState;
  amounts: PlanChangeAmounts;
  /** The new plan's price for a whole period, tax included. */
  newPeriodPrice: string;
  preview: boolean;
}

/** Whether two specs order the same server (key order aside: a spec read back from jsonb has its own). */
function sameSpec(a: OrderedSpec, b: OrderedSpec): boolean {
  const sorted = (spec: OrderedSpec): string => JSON.stringify(Object.entries(instanceSpec(spec)).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
}

/** See the file comment. Methods throw DomainError for refused requests (nothing changed then). */
export class ServiceChanges {
  private readonly deps: {
    pool: pg.Pool; accounts: AccountCommands; reads: MoneyReads; resizer: ServiceResizer; taxes: PlanTaxes; pricesIncludeTax: boolean;
    log: Pick<Logger, 'warn' | 'error'>;
  };

  constructor(deps: ServiceChanges['deps']) {
    this.deps = deps;
  }

  /**
   * CancelService (see the file comment).
   * @returns the order after the cancellation and what was credited ("0.00" without a refund)
   * @throws DomainError not_found (another customer's order too), permission_denied (a refund by a
   *   customer or an operator), invalid_argument (a refund at the period end), failed_precondition (not an active
   *   or suspended service)
   */
  async cancel(origin: Origin, orderId: string, options: { atPeriodEnd: boolean; refund: boolean }, clientKey?: string | null): Promise<{ order: OrderState; credited: string }> {
    if (options.refund && (origin.caller.kind !== 'admin' || origin.caller.role !== 'admin')) {
      throw forbidden('only an administrator (role admin, not operator) can credit the unused days of a cancelled service');
    }
    if (options.refund && options.atPeriodEnd) throw invalid('refund applies to a cancellation now (at_period_end = false): a service cancelled at its period end has no unused days');
    const customerId = await this.customerOf(origin, orderId);
    const invoiceId = await this.openRenewalInvoice(orderId);
    const command = options.atPeriodEnd
      ? { type: 'cancel_at_period_end' as const, orderId, invoiceId }
      : { type: 'end_service' as const, orderId, reason: 'cancelled' as const, invoiceId, refund: options.refund };
    const outcome = await this.deps.accounts.run(customerId, command, { origin, key: commandKey(clientKey) });
    const order = outcome.result.order ?? await this.deps.reads.order(orderId, customerId);
    const credited = (outcome.result.entries ?? []).reduce((sum, entry) => sum.plus(entry.amount), new Decimal(0));
    return { order, credited: formatMoney(credited) };
  }

  /**
   * ChangeServicePlan (see the file comment).
   * @param change.productId the new product ('' = the same); change.serverSpec the new spec (null:
   *   the order's, with the new product's plan — its `specs` — for the template's fields it sets)
   * @throws DomainError not_found (order, product), invalid_argument (nothing changes, a product of
   *   another provider, `server_spec.<key>` against the provider's template), failed_precondition (not active, the provider cannot resize or refused,
   *   insufficient_funds, the order changed meanwhile)
   */
  async changePlan(origin: Origin, orderId: string, change: { productId: string; serverSpec: OrderedSpec | null; preview: boolean }, clientKey?: string | null): Promise<PlanChange> {
    const customerId = await this.customerOf(origin, orderId);
    const order = await this.deps.reads.order(orderId, customerId);
    if (order.status !== 'active') throw refused(`order ${order.id} is ${order.status}; only an active service can change plan${order.status === 'suspended' ? ' (pay its overdue invoice first)' : ''}`);
    if (order.periodStart === null || order.periodEnd === null) throw refused(`order ${order.id} has no billing period yet; try again in a moment`);
    if (!order.providerInterfaceId) throw refused(`order ${order.id} names no provider; its plan cannot change`);
    const productId = change.productId === '' ? order.productId ?? '' : change.productId;
    if (productId === '') throw invalid('product_id is required: the order no longer names a product');
    const product = await productOnSale(this.deps.pool, productId, order.providerInterfaceId);
    if (product.interfaceId !== null && product.interfaceId !== order.providerInterfaceId) {
      throw invalid(`product_id: product ${product.id} is sold through provider interface ${product.interfaceId}, not the service's ${order.providerInterfaceId}`);
    }
    // The new spec is checked and priced exactly as CreateOrder prices it (README "Spec pricing").
    // Another product without a new spec: the new product's plan, the rest of the order's spec kept.
    const listed = await specListPrice(this.deps.resizer, product, order.providerInterfaceId, order.billingCycle, change.serverSpec ?? order.serverSpec, {
      productPlanWins: change.serverSpec === null && product.id !== order.productId,
    });
    const serverSpec = listed.serverSpec;
    if (product.id === order.productId && sameSpec(serverSpec, order.serverSpec)) {
      throw invalid('the new plan is the same as the current one: name another product_id or another server_spec');
    }
    const catalogPrice = listed.amount;
    const taxed = await this.deps.taxes.taxFor(customerId, catalogPrice, { pricesIncludeTax: this.deps.pricesIncludeTax });
    const period = { start: order.periodStart, end: order.periodEnd };
    const amounts = planChangeAmounts({ oldPrice: order.periodPrice ?? order.amount, newPrice: taxed.gross, period, at: rfc3339(businessClock.now()) });
    if (change.preview) return { order, amounts, newPeriodPrice: taxed.gross, preview: true };

    const instance = await this.instanceOf(order);
    const resizer = this.deps.resizer;
    if (!(await resizer.canResize(order.providerInterfaceId))) {
      throw refused(`the provider of order ${order.id} cannot resize instances, so its plan cannot change; order a new service instead`);
    }
    await this.resize(order.providerInterfaceId, instance, serverSpec, 'resize');
    const command = {
      type: 'change_plan' as const, orderId, expectedVersion: order.version, productId: product.id, productName: product.name, serverSpec,
      newPeriodPrice: taxed.gross, renewalAmount: catalogPrice,
    };
    let changed: OrderState | undefined;
    try {
      changed = (await this.deps.accounts.run(customerId, command, { origin, key: commandKey(clientKey) })).result.order;
    } catch (error) {
      // The money path refused (or failed): the instance goes back to the plan that is paid for.
      await this.resize(order.providerInterfaceId, instance, order.serverSpec, 'resize back').catch((undo: unknown) => {
        this.deps.log.error({ err: undo, orderId }, 'the instance could not be resized back after the plan change was refused; fix it by hand');
      });
      throw error;
    }
    await this.deps.pool.query(
      `update instances set server_spec = $2, product_id = $3, product_name = $4, updated_at = now() where order_id = $1 and status <> 'terminated'`,
      [orderId, instanceSpec(serverSpec), product.id, product.name],
    );
    return { order: changed ?? await this.deps.reads.order(orderId, customerId), amounts, newPeriodPrice: taxed.gross, preview: false };
  }

  /** Resizes the provider's instance to `spec`. @throws DomainError failed_precondition when the provider refused */
  private async resize(interfaceId: string, providerInstanceId: string, spec: OrderedSpec, what: string): Promise<void> {
    const result = await this.deps.resizer.resizeInstance(interfaceId, providerInstanceId, providerSpec(spec));
    if (!result.success) throw refused(`the provider could not ${what} the instance: ${result.message || 'no reason given'}`);
  }

  /** The provider's id of the order's live instance. @throws DomainError failed_precondition when it has none */
  private async instanceOf(order: OrderState): Promise<string> {
    const { rows } = await this.deps.pool.query<{ provider_instance_id: string | null }>(
      `select provider_instance_id from instances where order_id = $1 and status <> 'terminated' order by created_at desc limit 1`, [order.id],
    );
    const id = rows[0]?.provider_instance_id ?? order.providerInstanceId;
    if (!id) throw new DomainError('failed_precondition', `order ${order.id} has no instance to resize`);
    return id;
  }

  /** The customer whose order it is: the caller's own for customers (another's is not found). */
  private async customerOf(origin: Origin, orderId: string): Promise<string> {
    const caller = origin.caller;
    if (caller.kind === 'customer' || caller.kind === 'apikey') {
      await this.deps.reads.order(orderId, caller.customerId);
      return caller.customerId;
    }
    if (caller.kind !== 'admin') throw forbidden('services are changed by their customer or an administrator');
    return orderCustomer(this.deps.pool, orderId);
  }

  /**
   * The renewal a cancellation settles: the current period's when it is unpaid (it is cancelled,
   * and there are no paid days to credit), else the next period's if one was issued (unpaid: it
   * is cancelled; paid: it is credited back).
   */
  private async openRenewalInvoice(orderId: string): Promise<string | null> {
    const { rows } = await this.deps.pool.query<{ invoice_id: string }>(
      `select r.invoice_id from service_renewals r join invoices i on i.id = r.invoice_id join orders o on o.id = r.order_id
        where r.order_id = $1 and ((r.period_start = o.period_start and i.status in ('issued', 'overdue'))
                                or (r.period_start = o.period_end and i.status in ('issued', 'overdue', 'paid')))
        order by r.period_start limit 1`, [orderId],
    );
    return rows[0]?.invoice_id ?? null;
  }
}
