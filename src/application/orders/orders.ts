/**
 * OrderService's changes (rustbill-docs.md OrderService; issue 8): CreateOrder prices and
 * validates the order and asks the customer's actor to create it (and, with the balance method,
 * to pay it in the same command); PayOrder pays from the balance (an actor command) or starts a
 * gateway payment; UpdateOrder and DeleteOrder are admin commands along the status machine. Every
 * change is a command to the customer's actor, with the caller's idempotency key when it sent one.
 */
import type pg from 'pg';
import type { NewOrder } from '../../domain/accounts/account.ts';
import { BILLING_CYCLES, isBillingCycle, type BillingCycle } from '../../domain/catalog/prices.ts';
import { DomainError, invalid, notFound, refused } from '../../domain/errors.ts';
import { chosenSpecValues, orderedSpecWith, type SpecTemplateField } from '../../domain/catalog/spec-pricing.ts';
import type { Caller } from '../../domain/identity/principal.ts';
import { clip } from '../../domain/input-limits.ts';
import type { Origin } from '../../domain/origin.ts';
import type { OrderState, OrderStatus } from '../../domain/orders/order.ts';
import { specOrderPrice } from '../../domain/orders/pricing.ts';
import { BALANCE_METHOD_ID } from '../../domain/payments/balance-method.ts';
import type { PaymentState } from '../../domain/payments/payment.ts';
import type { OrderedSpec } from '../../domain/provisioning/instances.ts';
import type { TaxedLine } from '../../domain/billing/tax.ts';
import { businessClock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import { commandKey } from '../customers/customer-accounts.ts';
import { startGatewayPayment, type StartedPayment } from '../payments/gateway-payments.ts';
import type { PaymentGateways } from '../payments/gateway-port.ts';
import type { MoneyReads } from '../money-reads.ts';

/** CreateOrder's input, ids already checked as UUIDs (empty gateway: no payment now). */
export interface CreateOrderInput {
  customerId: string;
  productId: string;
  providerInterfaceId: string;
  serverSpec: OrderedSpec;
  currency: string;
  gatewayInterfaceId: string;
  notes: string;
  billingCycle: string;
  /** A promotion code ('' or absent: none). */
  promotionCode?: string;
}

/**
 * The spec templates of provider interfaces (the plugin registry's ProviderCalls.specTemplateOf:
 * `spec_template()` flattened, cached per interface; an empty template for a provider without
 * the function).
 * @throws PluginError when the provider's spec_template() fails; PluginRegistryError not_found
 */
export interface SpecTemplates {
  specTemplateOf(providerInterfaceId: string): Promise<{ fields: readonly SpecTemplateField[] }>;
}

/**
 * How CreateOrder prices beyond the catalog (issue 11): promotion codes (src/application/billing/
 * promotions.ts) and tax rules (tax-rules.ts), with `[billing] prices_include_tax`; and (issue 13)
 * the providers' spec templates, whose price impacts change the price (README "Spec pricing";
 * absent: the catalog price whatever the spec, and the spec is not checked).
 */
export interface OrderPricing {
  quote(code: string, context: { customerId: string; productId: string; billingCycle: string; price: string; now: string }): Promise<{
    promotion: { id: string; code: string; recurrence: 'first_period' | 'every_period' }; discount: string; amount: string;
  }>;
  taxFor(customerId: string, price: string, options: { pricesIncludeTax: boolean }): Promise<TaxedLine>;
  pricesIncludeTax: boolean;
  specTemplates?: SpecTemplates;
}

/**
 * The price terms of a new order: its amount (tax included), tax, renewal price and promotion;
 * the catalog price of the cycle (`baseAmount`) and what the spec changes of it (`specAmount`).
 */
export interface PricedOrder {
  baseAmount: string;
  specAmount: string;
  amount: string;
  taxAmount: string;
  renewalAmount: string;
  discountAmount: string;
  promotionCode: string | null;
  promotion?: { id: string; code: string; discount: string };
}

/** A payment as PayOrder / CreateOrder answer it. */
export interface OrderPayment {
  payment: PaymentState;
  paymentUrl: string;
  qrCode: string;
  instructions: string;
}

/** What starting a gateway payment needs of an order. */
export type PayableOrder = Pick<OrderState, 'id' | 'customerId' | 'status' | 'amount' | 'currency' | 'productName' | 'billingCycle'>;

const CURRENCY = /^[A-Z]{3,8}$/;
/** The currency of an order that names none. */
const DEFAULT_CURRENCY = 'CNY';
/** The customer id a quote for nobody counts promotion uses of (no customer has it). */
const NO_CUSTOMER = '00000000-0000-0000-0000-000000000000';
const PROVIDER_TYPES = ['first_party_provider', 'upstream_provider'];

/** An order's spec checked and priced for one cycle: the spec resolved, the catalog price, the spec's change of it, the list price. */
export interface SpecListPrice {
  serverSpec: OrderedSpec;
  baseAmount: string;
  specAmount: string;
  amount: string;
}

/**
 * The one way an order's spec is checked and priced (CreateOrder, QueryPrice with a product,
 * ChangeServicePlan): the provider's spec template from `templates` (cached by the registry),
 * then {@link specOrderPrice}. The resolved spec is what the order stores: the template's fields
 * filled in from the product's specs and the defaults. Without `templates`, or for a provider
 * with an empty template, the catalog price and the spec as sent.
 * @param options.productPlanWins the template's fields that the product's `specs` set take the
 *   product's values, whatever `serverSpec` says (a plan change to another product naming no spec)
 * @throws DomainError invalid_argument naming `server_spec.<key>`, failed_precondition (a template
 *   whose price impacts cannot be read); PluginError / PluginRegistryError from the template's provider
 */
export async function specListPrice(
  templates: SpecTemplates | undefined, product: OrderedProduct, providerInterfaceId: string, billingCycle: BillingCycle, serverSpec: OrderedSpec,
  options: { productPlanWins?: boolean } = {},
): Promise<SpecListPrice> {
  const fields = templates ? (await templates.specTemplateOf(providerInterfaceId)).fields : [];
  const chosen = chosenSpecValues(serverSpec);
  if (options.productPlanWins) {
    // The template's fields the product's plan sets take the plan's values (resolution fills them in).
    for (const field of fields) if (field.key && (product.specs[field.key] ?? '').trim() !== '') delete chosen[field.key];
  }
  const priced = specOrderPrice(product, billingCycle, fields, chosen);
  return { serverSpec: fields.length === 0 ? serverSpec : orderedSpecWith(serverSpec, priced.values), baseAmount: priced.baseAmount, specAmount: priced.specAmount, amount: priced.amount };
}

/** A request's billing cycle ('' = monthly). @throws DomainError invalid_argument naming the cycles */
function cycleOf(value: string): BillingCycle {
  const billingCycle = value === '' ? 'monthly' : value;
  if (!isBillingCycle(billingCycle)) throw invalid(`billing_cycle "${clip(billingCycle, 40)}" is not one of ${BILLING_CYCLES.map((cycle) => `"${cycle}"`).join(', ')}`);
  return billingCycle;
}

/** The customer an order belongs to, for admins naming only the order. @throws DomainError not_found */
export async function orderCustomer(pool: pg.Pool, orderId: string): Promise<string> {
  const { rows } = await pool.query<{ customer_id: string }>('select customer_id from orders where id = $1', [orderId]);
  if (!rows[0]) throw notFound(`order ${orderId} does not exist`);
  return rows[0].customer_id;
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class Orders {
  private readonly pool: pg.Pool;
  private readonly accounts: AccountCommands;
  private readonly gateways: PaymentGateways;
  private readonly reads: MoneyReads;
  private readonly pricing: OrderPricing | null;

  /** @param deps.pricing promotions and tax (absent: catalog prices only, no promotion codes) */
  constructor(deps: { pool: pg.Pool; accounts: AccountCommands; gateways: PaymentGateways; reads: MoneyReads; pricing?: OrderPricing }) {
    this.pool = deps.pool;
    this.accounts = deps.accounts;
    this.gateways = deps.gateways;
    this.reads = deps.reads;
    this.pricing = deps.pricing ?? null;
  }

  /**
   * The price terms of an order of `productId` at the catalog price `list` for `billingCycle`:
   * the promotion's discount (first period; every renewal too for an every-period code), then the
   * customer's tax on what is left (added to it, or taken out of it when prices include tax).
   * @throws DomainError not_found (unknown code), failed_precondition (code not applicable), invalid_argument (malformed code)
   */
  private async priced(customerId: string | null, productId: string, billingCycle: string, spec: { baseAmount: string; specAmount: string; amount: string }, code: string): Promise<PricedOrder> {
    const pricing = this.pricing;
    const list = spec.amount;
    const listed = { baseAmount: spec.baseAmount, specAmount: spec.specAmount };
    if (pricing === null) {
      if (code !== '') throw refused('promotion codes are not available on this server');
      return { ...listed, amount: list, taxAmount: '0.00', renewalAmount: list, discountAmount: '0.00', promotionCode: null };
    }
    let price = list;
    let renewalAmount = list;
    let discountAmount = '0.00';
    let promotion: PricedOrder['promotion'];
    if (code.trim() !== '') {
      const quote = await pricing.quote(code, { customerId: customerId ?? NO_CUSTOMER, productId, billingCycle, price: list, now: rfc3339(businessClock.now()) });
      price = quote.amount;
      discountAmount = quote.discount;
      if (quote.promotion.recurrence === 'every_period') renewalAmount = quote.amount;
      promotion = { id: quote.promotion.id, code: quote.promotion.code, discount: quote.discount };
    }
    const taxed = customerId === null ? { gross: price, tax: '0.00' } : await pricing.taxFor(customerId, price, { pricesIncludeTax: pricing.pricesIncludeTax });
    return { ...listed, amount: taxed.gross, taxAmount: taxed.tax, renewalAmount, discountAmount, promotionCode: promotion?.code ?? null, ...(promotion ? { promotion } : {}) };
  }

  /**
   * The spec an order of `product` from `providerInterfaceId` asks for, checked and priced for
   * `billingCycle` against the provider's spec template (README "Spec pricing"): the resolved spec
   * (the order stores it) and the list price of the cycle, before promotion and tax.
   * @throws DomainError invalid_argument naming `server_spec.<key>`, failed_precondition (a template
   *   that cannot be read); PluginError (the provider's spec_template() failed)
   */
  private async specPrice(product: OrderedProduct, providerInterfaceId: string, billingCycle: BillingCycle, serverSpec: OrderedSpec): Promise<SpecListPrice> {
    return specListPrice(this.pricing?.specTemplates, product, providerInterfaceId, billingCycle, serverSpec);
  }

  /**
   * What an order would cost, checked as CreateOrder checks it (cycle, product on sale from this
   * provider, spec against the provider's template, promotion code): the product and the cycle,
   * the resolved spec and the price terms.
   * @param customerId whose tax and promotion uses count; null for nobody (no tax; the code's
   *   per-customer limit not counted)
   * @throws DomainError as {@link create} (except gateway, currency and notes, which it does not read)
   */
  private async terms(customerId: string | null, input: Pick<CreateOrderInput, 'productId' | 'providerInterfaceId' | 'serverSpec' | 'billingCycle' | 'promotionCode'>): Promise<{
    product: OrderedProduct; billingCycle: BillingCycle; serverSpec: OrderedSpec; terms: PricedOrder;
  }> {
    const billingCycle = cycleOf(input.billingCycle);
    const product = await productOnSale(this.pool, input.productId, input.providerInterfaceId);
    if (product.interfaceId !== null && product.interfaceId !== input.providerInterfaceId) {
      throw invalid(`product ${product.id} is sold through provider interface ${product.interfaceId}, not ${input.providerInterfaceId}`);
    }
    const spec = await this.specPrice(product, input.providerInterfaceId, billingCycle, input.serverSpec);
    const terms = await this.priced(customerId, product.id, billingCycle, spec, input.promotionCode ?? '');
    return { product, billingCycle, serverSpec: spec.serverSpec, terms };
  }

  /**
   * IntegrationService/QueryPrice with a `product_id` (issue 13): exactly what CreateOrder would
   * charge the caller for this product, provider, spec, cycle and promotion code, computed by the
   * same code — the catalog price of the cycle, the spec's price impacts, the promotion's
   * discount, then the caller's tax (a customer or API key; an administrator's quote is for no
   * customer: no tax, and the code's per-customer limit is not counted). Changes nothing.
   * @returns money as decimal strings; `amount` the total (tax included), `currency` CNY (CreateOrder's default)
   * @throws DomainError as {@link create}: invalid_argument (cycle, product of another provider,
   *   `server_spec.<key>`), not_found (product, provider, promotion code), failed_precondition
   *   (inactive product, disabled provider, promotion not applicable)
   */
  async quote(caller: Caller, input: Pick<CreateOrderInput, 'productId' | 'providerInterfaceId' | 'serverSpec' | 'billingCycle' | 'promotionCode'>): Promise<{
    amount: string; currency: string; billingCycle: BillingCycle; baseAmount: string; specAmount: string; discountAmount: string; taxAmount: string; serverSpec: OrderedSpec;
  }> {
    const customerId = caller.kind === 'customer' || caller.kind === 'apikey' ? caller.customerId : null;
    const { billingCycle, serverSpec, terms } = await this.terms(customerId, input);
    return {
      amount: terms.amount, currency: DEFAULT_CURRENCY, billingCycle, baseAmount: terms.baseAmount, specAmount: terms.specAmount,
      discountAmount: terms.discountAmount, taxAmount: terms.taxAmount, serverSpec,
    };
  }

  /**
   * CreateOrder: the price is the product's for the billing cycle (`billing_cycles`, else
   * price_per_month × months), changed by the spec's price impacts in the provider's spec template
   * (issue 13, README "Spec pricing"; the order stores the spec resolved: defaults filled in),
   * less a promotion code's discount, with the customer's tax (issue 11; the code's use is counted
   * once, in the order's commit). {@link quote} answers the same amount without ordering. With the
   * balance method the order is paid at once (one command); with a gateway a payment is started
   * after the order exists.
   * @throws DomainError invalid_argument (cycle, currency, notes, product not of this provider,
   *   `server_spec.<key>` against the provider's template),
   *   not_found (product, provider, gateway, customer), failed_precondition (inactive product or
   *   customer, disabled provider, insufficient_funds)
   */
  async create(origin: Origin, input: CreateOrderInput, clientKey?: string | null): Promise<{ order: OrderState; payment: OrderPayment | null }> {
    cycleOf(input.billingCycle);
    const currency = input.currency === '' ? DEFAULT_CURRENCY : input.currency.trim().toUpperCase();
    if (!CURRENCY.test(currency)) throw invalid(`currency "${clip(input.currency, 20)}" must be a currency code such as "CNY"`);
    if (input.notes.length > 2000) throw invalid(`notes must be at most 2000 characters, got ${input.notes.length}`);
    const { product, billingCycle, serverSpec, terms } = await this.terms(input.customerId, input);
    const payFromBalance = input.gatewayInterfaceId === BALANCE_METHOD_ID;
    if (input.gatewayInterfaceId !== '' && !payFromBalance && !(await this.gateways.isGateway(input.gatewayInterfaceId))) {
      throw notFound(`gateway interface ${input.gatewayInterfaceId} does not exist or is disabled; ListGateways lists the ways to pay`);
    }
    const order: NewOrder = {
      id: newId(), customerId: input.customerId, productId: product.id, productName: product.name, providerInterfaceId: input.providerInterfaceId,
      serverSpec, amount: terms.amount, currency, billingCycle,
      gatewayInterfaceId: input.gatewayInterfaceId === '' ? null : input.gatewayInterfaceId, notes: input.notes,
      taxAmount: terms.taxAmount, renewalAmount: terms.renewalAmount, discountAmount: terms.discountAmount, promotionCode: terms.promotionCode,
    };
    const key = commandKey(clientKey);
    const command = { type: 'create_order' as const, order, payFromBalance, ...(terms.promotion ? { promotion: terms.promotion } : {}) };
    const outcome = await this.accounts.run(input.customerId, command, { origin, key });
    const created = outcome.result.order;
    if (!created) throw new DomainError('unavailable', 'the order was not recorded; try again');
    if (payFromBalance && outcome.result.payment) {
      return { order: created, payment: { payment: outcome.result.payment, paymentUrl: '', qrCode: '', instructions: '' } };
    }
    if (input.gatewayInterfaceId === '' || payFromBalance || created.status !== 'pending') return { order: created, payment: null };
    const started = await this.startGateway(origin, created, input.gatewayInterfaceId, '', `${key}:payment`);
    return { order: { ...created, gatewayInterfaceId: input.gatewayInterfaceId, gatewayPaymentId: started.payment.gatewayPaymentId }, payment: started };
  }

  /**
   * PayOrder: from the balance (the balance method: balance + credit limit must cover the amount)
   * or through a gateway (a pending payment and its payment URL). A customer pays only its own
   * orders (another's answers NotFound).
   * @throws DomainError not_found, failed_precondition (insufficient_funds, order not pending),
   *   unavailable (gateway failed)
   */
  async pay(origin: Origin & { caller: Caller }, orderId: string, gatewayInterfaceId: string, clientKey?: string | null): Promise<{ order: OrderState | null; payment: OrderPayment }> {
    const caller = origin.caller;
    const own = caller.kind === 'customer' || caller.kind === 'apikey' ? caller.customerId : undefined;
    const key = commandKey(clientKey);
    if (gatewayInterfaceId === BALANCE_METHOD_ID || gatewayInterfaceId === '') {
      // A customer's PayOrder goes to its own actor without a lookup: another customer's order is
      // simply not found there.
      const customerId = own ?? await orderCustomer(this.pool, orderId);
      const outcome = await this.accounts.run(customerId, { type: 'pay_order', orderId }, { origin, key });
      const payment = outcome.result.payment;
      if (!payment) throw new DomainError('unavailable', 'the payment was not recorded; try again');
      return { order: outcome.result.order ?? null, payment: { payment, paymentUrl: '', qrCode: '', instructions: '' } };
    }
    return { order: null, payment: await this.payThroughGateway(origin, orderId, own, gatewayInterfaceId, '', key) };
  }

  /**
   * Starts a gateway payment for a pending order (PayOrder, CreatePayment), of `customerId` when
   * given (another customer's order is NotFound).
   * @throws DomainError not_found, failed_precondition (reason invalid_transition: not pending), unavailable
   */
  async payThroughGateway(origin: Origin, orderId: string, customerId: string | undefined, gatewayInterfaceId: string, returnUrl: string, key: string): Promise<StartedPayment> {
    const order = await this.reads.order(orderId, customerId);
    if (order.status !== 'pending') throw new DomainError('failed_precondition', `order ${orderId} is ${order.status}; only a pending order can be paid`, 'invalid_transition');
    return this.startGateway(origin, order, gatewayInterfaceId, returnUrl, key);
  }

  /** Starts a gateway payment for `order` (its status already checked, or just created pending). */
  private async startGateway(origin: Origin, order: PayableOrder, gatewayInterfaceId: string, returnUrl: string, key: string): Promise<StartedPayment> {
    return startGatewayPayment({ gateways: this.gateways, accounts: this.accounts }, origin, {
      customerId: order.customerId, kind: 'order', orderId: order.id, amount: order.amount, currency: order.currency, gatewayInterfaceId, returnUrl,
      description: `${order.productName || 'Order'} (${order.billingCycle})`, key,
    });
  }

  /**
   * UpdateOrder (admin): status along the manual transitions, provider instance id, notes.
   * @throws DomainError not_found, invalid_argument (reason invalid_transition, naming it)
   */
  async update(origin: Origin, orderId: string, changes: { status?: OrderStatus; providerInstanceId?: string; notes?: string }, clientKey?: string | null): Promise<OrderState> {
    if (changes.notes !== undefined && changes.notes.length > 2000) throw invalid(`notes must be at most 2000 characters, got ${changes.notes.length}`);
    if (changes.providerInstanceId !== undefined && changes.providerInstanceId.length > 255) throw invalid('provider_instance_id must be at most 255 characters');
    const customerId = await orderCustomer(this.pool, orderId);
    const outcome = await this.accounts.run(customerId, { type: 'update_order', orderId, ...changes }, { origin, key: commandKey(clientKey) });
    if (!outcome.result.order) throw notFound(`order ${orderId} does not exist`);
    return outcome.result.order;
  }

  /**
   * DeleteOrder (admin): only an order that never held money (pending or cancelled unpaid).
   * @throws DomainError not_found, failed_precondition (paid order)
   */
  async remove(origin: Origin, orderId: string, clientKey?: string | null): Promise<void> {
    const customerId = await orderCustomer(this.pool, orderId);
    await this.accounts.run(customerId, { type: 'delete_order', orderId }, { origin, key: commandKey(clientKey) });
  }
}

/** A product on sale as orders price it: prices, its plan's `specs`, the provider interface it is sold through. */
export interface OrderedProduct {
  id: string;
  name: string;
  pricePerMonth: string;
  billingCycles: Record<string, string>;
  specs: Record<string, string>;
  interfaceId: string | null;
}

/** The product on sale and the provider it is ordered from, in one query. @throws DomainError not_found, failed_precondition */
export async function productOnSale(pool: pg.Pool, productId: string, providerInterfaceId: string): Promise<OrderedProduct> {
  const { rows } = await pool.query<{
    id: string | null; name: string; price_per_month: string; billing_cycles: Record<string, string>; specs: Record<string, unknown> | null; interface_id: string | null; is_active: boolean;
    provider_type: string | null; provider_enabled: boolean | null;
  }>(
    `select p.id, p.name, p.price_per_month::text as price_per_month, p.billing_cycles, p.specs, p.interface_id, p.is_active,
       i.plugin_type as provider_type, i.enabled as provider_enabled
     from (select 1) one
     left join products p on p.id = $1
     left join plugin_interfaces i on i.id = $2`,
    [productId, providerInterfaceId],
  );
  const row = rows[0];
  if (!row?.id) throw notFound(`product ${productId} does not exist`);
  if (!row.is_active) throw refused(`product "${row.name}" is not on sale`);
  if (!row.provider_type || !PROVIDER_TYPES.includes(row.provider_type)) throw notFound(`provider interface ${providerInterfaceId} does not exist`);
  if (!row.provider_enabled) throw refused(`provider interface ${providerInterfaceId} is disabled`);
  const specs = Object.fromEntries(Object.entries(row.specs ?? {}).filter(([, value]) => typeof value === 'string' || typeof value === 'number').map(([key, value]) => [key, String(value)]));
  return { id: row.id, name: row.name, pricePerMonth: row.price_per_month, billingCycles: row.billing_cycles, specs, interfaceId: row.interface_id };
}
