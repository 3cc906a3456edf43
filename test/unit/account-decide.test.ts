import { describe, expect, it } from 'vitest';
import { expectMoneyInvariants as expectInvariants, expectNoChange } from '../support/decide-expectations.ts';
import { refusal } from '../support/refusal.ts';
import { accountNeeds, decideAccount, followUpOrderId, type DecisionContext } from '../../src/domain/accounts/decide.ts';
import { firstPeriod } from '../../src/domain/billing/service-period.ts';
import type { AccountCommand, AccountDecision, AccountView, InvoiceDue, NewGatewayPayment, NewOrder, ProvisionedInstance } from '../../src/domain/accounts/account.ts';
import type { CustomerState } from '../../src/domain/customers/customer.ts';
import type { OrderState, OrderStatus } from '../../src/domain/orders/order.ts';
import type { PaymentState } from '../../src/domain/payments/payment.ts';
import { BALANCE_METHOD_ID } from '../../src/domain/payments/balance-method.ts';

const NOW = '2026-12-01T10:00:00Z';
const EARLIER = '2026-11-01T00:00:00Z';

/** A deterministic decision context: ids id-1, id-2, … in the order they are asked for. */
function context(): DecisionContext {
  let next = 0;
  return { now: NOW, newId: () => `id-${++next}` };
}

function customer(overrides: Partial<CustomerState> = {}): CustomerState {
  return {
    id: 'c1', name: 'ACME', contactPerson: '', email: 'a@acme.example', phone: '', company: '', notes: '', balance: '50.00', creditLimit: '0.00',
    isActive: true, canCreateApiKeys: false, customerCode: 'C000001', customerType: '', industry: '', address: '', paymentTermsDays: null, taxNumber: '',
    country: '', region: '', rating: null, ratingNotes: '', deletedAt: null, version: 7, createdAt: EARLIER, updatedAt: EARLIER, ...overrides,
  };
}

/** What a new order has before its service starts (no period, no promotion, no tax). */
const NO_SERVICE_YET = {
  periodStart: null, periodEnd: null, anchorDay: null, cancelAtPeriodEnd: false, renewalAmount: null, periodPrice: null, promotionCode: null, discountAmount: '0.00', taxAmount: '0.00',
};

/** The first billing period of `o` when it becomes active at NOW: the quarter from NOW, anchored on NOW's day, at its amount. */
function firstServicePeriod(o: OrderState): Partial<OrderState> {
  const period = firstPeriod(NOW, o.billingCycle);
  return { periodStart: period.start, periodEnd: period.end, anchorDay: new Date(NOW).getUTCDate(), periodPrice: o.amount };
}

function order(overrides: Partial<OrderState> = {}): OrderState {
  return {
    id: 'o1', customerId: 'c1', productId: 'prod1', productName: 'VPS S', providerInterfaceId: 'prov1', providerInstanceId: null,
    serverSpec: { cpu_cores: 2, region: 'eu' }, status: 'pending', amount: '29.97', currency: 'USD', billingCycle: 'quarterly',
    gatewayInterfaceId: null, gatewayPaymentId: null, notes: '', paidAt: null,
    periodStart: null, periodEnd: null, anchorDay: null, cancelAtPeriodEnd: false, renewalAmount: null, periodPrice: null, promotionCode: null, discountAmount: '0.00', taxAmount: '0.00', version: 1, createdAt: EARLIER, updatedAt: EARLIER, ...overrides,
  };
}

function payment(overrides: Partial<PaymentState> = {}): PaymentState {
  return {
    id: 'pay1', customerId: 'c1', kind: 'order', orderId: 'o1', invoiceId: null, amount: '29.97', refundedAmount: '0.00', currency: 'USD',
    gatewayInterfaceId: 'gw1', gatewayPaymentId: 'gwp1', gatewayTxId: null, status: 'pending', paymentUrl: 'https://pay.example/1', qrCode: null,
    instructions: null, returnUrl: null, paidAt: null, createdAt: EARLIER, updatedAt: EARLIER, ...overrides,
  };
}

function view(overrides: Partial<AccountView> = {}): AccountView {
  return { customer: customer(), order: null, payment: null, orderPayments: [], invoice: null, ...overrides };
}

const newOrder: NewOrder = {
  id: 'o1', customerId: 'c1', productId: 'prod1', productName: 'VPS S', providerInterfaceId: 'prov1', serverSpec: { cpu_cores: 2, region: 'eu' },
  amount: '29.97', currency: 'USD', billingCycle: 'quarterly', gatewayInterfaceId: null, notes: 'first order',
};

/** The money invariants of `decision` (test/support/decide-expectations.ts) at this file's time. */
function expectMoneyInvariants(state: AccountView, decision: AccountDecision, now: string = NOW): void {
  expectInvariants(state, decision, now);
}

function decide(state: AccountView, command: AccountCommand): AccountDecision {
  return decideAccount(state, command, context());
}



/** The order in a decision's single order write. */
function onlyOrder(decision: AccountDecision, op: 'insert' | 'update' | 'delete'): OrderState {
  expect(decision.orders).toHaveLength(1);
  expect(decision.orders[0]?.op).toBe(op);
  return decision.orders[0]!.row;
}

function onlyPayment(decision: AccountDecision, op: 'insert' | 'update' | 'delete'): PaymentState {
  expect(decision.payments).toHaveLength(1);
  expect(decision.payments[0]?.op).toBe(op);
  return decision.payments[0]!.row;
}

const ALL_STATUSES: OrderStatus[] = ['pending', 'paid', 'provisioning', 'active', 'cancelled', 'suspended', 'refunded', 'completed'];

describe('accountNeeds and followUpOrderId', () => {
  const instance: ProvisionedInstance = { id: 'i1', providerInstanceId: 'srv-1', status: 'running', ipAddress: '10.0.0.1', serverSpec: {} };
  const gateway: NewGatewayPayment = {
    id: 'pay1', kind: 'order', orderId: 'o9', invoiceId: null, amount: '1.00', currency: 'USD', gatewayInterfaceId: 'gw1', gatewayPaymentId: 'g', paymentUrl: null, qrCode: null, instructions: null, returnUrl: null,
  };

  it('names what each command needs loaded', () => {
    const none = { orderId: null, paymentId: null, invoiceId: null, orderPayments: false };
    expect(accountNeeds({ type: 'create_order', order: newOrder, payFromBalance: true })).toEqual(none);
    expect(accountNeeds({ type: 'adjust_balance', amount: '1', description: 'x' })).toEqual(none);
    expect(accountNeeds({ type: 'start_payment', payment: gateway })).toEqual({ orderId: 'o9', paymentId: null, invoiceId: null, orderPayments: false });
    expect(accountNeeds({ type: 'start_payment', payment: { ...gateway, kind: 'recharge', orderId: null } })).toEqual(none);
    expect(accountNeeds({ type: 'settle_payment', paymentId: 'p', gatewayTxId: null, reportedAmount: null })).toEqual({ orderId: null, paymentId: 'p', invoiceId: null, orderPayments: false });
    expect(accountNeeds({ type: 'fail_payment', paymentId: 'p' })).toEqual({ orderId: null, paymentId: 'p', invoiceId: null, orderPayments: false });
    expect(accountNeeds({ type: 'refund_payment', paymentId: 'p', amount: '1', route: 'balance' })).toEqual({ orderId: null, paymentId: 'p', invoiceId: null, orderPayments: false });
    expect(accountNeeds({ type: 'delete_order', orderId: 'o' })).toEqual({ orderId: 'o', paymentId: null, invoiceId: null, orderPayments: true });
    expect(accountNeeds({ type: 'fail_provisioning', orderId: 'o', reason: 'r', routes: {} })).toEqual({ orderId: 'o', paymentId: null, invoiceId: null, orderPayments: true });
    expect(accountNeeds({ type: 'pay_invoice', invoiceId: 'inv1' })).toEqual({ orderId: null, paymentId: null, invoiceId: 'inv1', orderPayments: false });
    expect(accountNeeds({ type: 'start_payment', payment: { ...gateway, kind: 'invoice', orderId: null, invoiceId: 'inv1' } })).toEqual({ orderId: null, paymentId: null, invoiceId: 'inv1', orderPayments: false });
    for (const command of [
      { type: 'pay_order', orderId: 'o' },
      { type: 'update_order', orderId: 'o', notes: 'n' },
      { type: 'cancel_unpaid_order', orderId: 'o', createdBefore: NOW },
      { type: 'start_provisioning', orderId: 'o' },
      { type: 'complete_provisioning', orderId: 'o', instance },
    ] as AccountCommand[]) {
      expect(accountNeeds(command)).toEqual({ orderId: 'o', paymentId: null, invoiceId: null, orderPayments: false });
    }
  });

  it('follows a settled or refunded order payment to its order, and nothing else', () => {
    const settle: AccountCommand = { type: 'settle_payment', paymentId: 'pay1', gatewayTxId: null, reportedAmount: null };
    const refund: AccountCommand = { type: 'refund_payment', paymentId: 'pay1', amount: '1', route: 'balance' };
    expect(followUpOrderId(settle, payment())).toBe('o1');
    expect(followUpOrderId(refund, payment())).toBe('o1');
    expect(followUpOrderId(settle, payment({ kind: 'recharge', orderId: null }))).toBeNull();
    expect(followUpOrderId(settle, payment({ kind: 'invoice', orderId: 'o1' }))).toBeNull();
    expect(followUpOrderId(settle, null)).toBeNull();
    expect(followUpOrderId({ type: 'fail_payment', paymentId: 'pay1' }, payment())).toBeNull();
    expect(followUpOrderId({ type: 'pay_order', orderId: 'o1' }, payment())).toBeNull();
  });
});

describe('create_order', () => {
  it('refuses an inactive customer, with or without paying', () => {
    for (const payFromBalance of [false, true]) {
      const error = refusal(() => decide(view({ customer: customer({ isActive: false }) }), { type: 'create_order', order: newOrder, payFromBalance }));
      expect(error.kind).toBe('failed_precondition');
      expect(error.message).toBe('customer c1 is inactive and cannot order');
    }
  });

  it('creates a pending order at version 1 owned by the deciding customer, moving no money', () => {
    const state = view();
    const decision = decide(state, { type: 'create_order', order: { ...newOrder, customerId: 'someone-else' }, payFromBalance: false });
    const created = onlyOrder(decision, 'insert');
    expect(created).toEqual({
      ...NO_SERVICE_YET, ...newOrder, customerId: 'c1', status: 'pending', providerInstanceId: null, gatewayPaymentId: null, paidAt: null, version: 1, createdAt: NOW, updatedAt: NOW,
    });
    expect(decision.ledger).toEqual([]);
    expect(decision.payments).toEqual([]);
    expect(decision.events).toEqual([]);
    expect(decision.customer?.balance).toBe('50.00');
    expect(decision.result).toEqual({ order: created });
    expect(decision.audit).toEqual({ action: 'order.create', targetType: 'order', targetId: 'o1', details: { amount: '29.97', product_id: 'prod1' } });
    expectMoneyInvariants(state, decision);
  });

  it('pays from the balance: a debit, a successful balance payment, the order paid and order_paid', () => {
    const state = view();
    const decision = decide(state, { type: 'create_order', order: newOrder, payFromBalance: true });
    // id-1: the payment, id-2: the ledger entry, id-3: the event.
    expect(decision.ledger).toEqual([
      { id: 'id-2', type: 'payment', amount: '-29.97', balanceBefore: '50.00', balanceAfter: '20.03', referenceId: 'o1', description: 'payment for order o1 (VPS S)' },
    ]);
    const paid = onlyPayment(decision, 'insert');
    expect(paid).toEqual({
      id: 'id-1', customerId: 'c1', kind: 'order', orderId: 'o1', invoiceId: null, amount: '29.97', refundedAmount: '0.00', currency: 'USD',
      gatewayInterfaceId: BALANCE_METHOD_ID, gatewayPaymentId: 'id-1', gatewayTxId: 'id-2', status: 'success', paymentUrl: null, qrCode: null,
      instructions: null, returnUrl: null, paidAt: NOW, createdAt: NOW, updatedAt: NOW,
    });
    const created = onlyOrder(decision, 'insert');
    expect(created).toMatchObject({ status: 'paid', paidAt: NOW, gatewayInterfaceId: BALANCE_METHOD_ID, gatewayPaymentId: 'id-1', version: 2, createdAt: NOW, updatedAt: NOW });
    expect(decision.events).toEqual([
      { id: 'id-3', eventType: 'order_paid', orderId: 'o1', payload: { order_id: 'o1', payment_id: 'id-1', amount: '29.97', customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.customer?.balance).toBe('20.03');
    expect(decision.result).toEqual({ order: created, payment: paid, entry: decision.ledger[0] });
    expectMoneyInvariants(state, decision);
  });

  it('refuses a balance that does not cover the order when there is no credit limit, and writes nothing', () => {
    const error = refusal(() => decide(view({ customer: customer({ balance: '10.00' }) }), { type: 'create_order', order: newOrder, payFromBalance: true }));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBe('insufficient_funds');
    expect(error.message).toBe('insufficient funds: 29.97 is needed but balance 10.00 plus credit limit 0.00 leaves 10.00');
  });

  it('pays into the credit limit, and refuses past it', () => {
    const covered = view({ customer: customer({ balance: '10.00', creditLimit: '25.00' }) });
    const decision = decide(covered, { type: 'create_order', order: newOrder, payFromBalance: true });
    expect(decision.customer?.balance).toBe('-19.97');
    expectMoneyInvariants(covered, decision);

    const error = refusal(() => decide(view({ customer: customer({ balance: '10.00', creditLimit: '15.00' }) }), { type: 'create_order', order: newOrder, payFromBalance: true }));
    expect(error.reason).toBe('insufficient_funds');
    expect(error.message).toContain('leaves 25.00');
  });

  it('allows a debit to exactly -credit_limit, and not a cent more', () => {
    const exact = view({ customer: customer({ balance: '4.97', creditLimit: '25.00' }) });
    const decision = decide(exact, { type: 'create_order', order: newOrder, payFromBalance: true });
    expect(decision.customer?.balance).toBe('-25.00');
    expect(decision.ledger[0]?.balanceAfter).toBe('-25.00');
    expectMoneyInvariants(exact, decision);

    const short = view({ customer: customer({ balance: '4.96', creditLimit: '25.00' }) });
    expect(refusal(() => decide(short, { type: 'create_order', order: newOrder, payFromBalance: true })).reason).toBe('insufficient_funds');
  });

  it('pays a free order (a promotion took its whole price) from the balance with a 0.00 payment and no ledger entry', () => {
    const state = view();
    const decision = decide(state, { type: 'create_order', order: { ...newOrder, amount: '0.00' }, payFromBalance: true });
    expect(decision.ledger).toEqual([]);
    expect(decision.payments.map((write) => [write.op, write.row.amount, write.row.status, write.row.gatewayTxId])).toEqual([['insert', '0.00', 'success', null]]);
    expect(onlyOrder(decision, 'insert').status).toBe('paid');
    expect(decision.events.map((event) => event.eventType)).toEqual(['order_paid']);
    expect(decision.customer?.balance).toBe('50.00');
    expect(decision.result.entry).toBeUndefined();
    expectMoneyInvariants(state, decision);
  });
});

describe('pay_order', () => {
  it('pays a pending order from the balance and updates it', () => {
    const state = view({ order: order() });
    const decision = decide(state, { type: 'pay_order', orderId: 'o1' });
    const paid = onlyOrder(decision, 'update');
    expect(paid).toEqual({ ...order(), status: 'paid', paidAt: NOW, gatewayInterfaceId: BALANCE_METHOD_ID, gatewayPaymentId: 'id-1', version: 2, updatedAt: NOW });
    expect(onlyPayment(decision, 'insert')).toMatchObject({ id: 'id-1', status: 'success', gatewayInterfaceId: BALANCE_METHOD_ID, gatewayTxId: 'id-2', amount: '29.97' });
    expect(decision.ledger).toMatchObject([{ id: 'id-2', type: 'payment', amount: '-29.97', referenceId: 'o1' }]);
    expect(decision.events.map((event) => event.eventType)).toEqual(['order_paid']);
    expect(decision.audit).toEqual({ action: 'order.pay', targetType: 'order', targetId: 'o1', details: { amount: '29.97', method: 'balance' } });
    expect(decision.result.order).toEqual(paid);
    expectMoneyInvariants(state, decision);
  });

  it('refuses an order that is not pending: failed_precondition / invalid_transition', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'pending')) {
      const error = refusal(() => decide(view({ order: order({ status }) }), { type: 'pay_order', orderId: 'o1' }));
      expect(error.kind).toBe('failed_precondition');
      expect(error.reason).toBe('invalid_transition');
      expect(error.message).toBe(`order o1 is ${status}; only a pending order can be paid`);
    }
  });

  it("answers not_found for another customer's order, a missing one or a different id", () => {
    for (const state of [view({ order: order({ customerId: 'c2' }) }), view({ order: null }), view({ order: order({ id: 'o2' }) })]) {
      const error = refusal(() => decide(state, { type: 'pay_order', orderId: 'o1' }));
      expect(error.kind).toBe('not_found');
      expect(error.message).toBe('order o1 does not exist');
    }
  });

  it('refuses insufficient funds', () => {
    expect(refusal(() => decide(view({ customer: customer({ balance: '29.96' }), order: order() }), { type: 'pay_order', orderId: 'o1' })).reason).toBe('insufficient_funds');
  });
});

describe('start_payment', () => {
  const gateway: NewGatewayPayment = {
    id: 'pay1', kind: 'order', orderId: 'o1', invoiceId: null, amount: '29.97', currency: 'USD', gatewayInterfaceId: 'gw1', gatewayPaymentId: 'gwp1',
    paymentUrl: 'https://pay.example/1', qrCode: 'qr', instructions: 'scan', returnUrl: 'https://shop.example/back',
  };

  it('records an order payment pending and gives the order the gateway ids; no money moves', () => {
    const state = view({ order: order() });
    const decision = decide(state, { type: 'start_payment', payment: gateway });
    expect(onlyOrder(decision, 'update')).toEqual({ ...order(), gatewayInterfaceId: 'gw1', gatewayPaymentId: 'gwp1', version: 2, updatedAt: NOW });
    const pending = onlyPayment(decision, 'insert');
    expect(pending).toEqual({ ...gateway, customerId: 'c1', invoiceId: null, refundedAmount: '0.00', gatewayTxId: null, status: 'pending', paidAt: null, createdAt: NOW, updatedAt: NOW });
    expect(decision.ledger).toEqual([]);
    expect(decision.events).toEqual([]);
    expect(decision.result).toEqual({ payment: pending });
    expect(decision.audit).toEqual({ action: 'payment.create', targetType: 'payment', targetId: 'pay1', details: { amount: '29.97', kind: 'order', gateway_interface_id: 'gw1' } });
    expectMoneyInvariants(state, decision);
  });

  it("refuses an amount that differs from the order's: invalid_argument", () => {
    for (const amount of ['29.96', '29.98', '0.00', '59.94']) {
      const error = refusal(() => decide(view({ order: order() }), { type: 'start_payment', payment: { ...gateway, amount } }));
      expect(error.kind).toBe('invalid_argument');
      expect(error.message).toBe(`the payment amount ${amount} differs from the order's 29.97`);
    }
  });

  it('refuses an order that is not pending, and one that is not there', () => {
    expect(refusal(() => decide(view({ order: order({ status: 'paid' }) }), { type: 'start_payment', payment: gateway })).reason).toBe('invalid_transition');
    expect(refusal(() => decide(view({ order: order({ customerId: 'c2' }) }), { type: 'start_payment', payment: gateway })).kind).toBe('not_found');
    expect(refusal(() => decide(view({ order: order() }), { type: 'start_payment', payment: { ...gateway, orderId: null } })).kind).toBe('not_found');
  });

  it('records a recharge pending without touching any order', () => {
    const state = view({ order: order() });
    const decision = decide(state, { type: 'start_payment', payment: { ...gateway, kind: 'recharge', orderId: null, amount: '100.00' } });
    expect(decision.orders).toEqual([]);
    expect(onlyPayment(decision, 'insert')).toMatchObject({ kind: 'recharge', orderId: null, amount: '100.00', status: 'pending', customerId: 'c1' });
    expectMoneyInvariants(state, decision);
  });

  it('refuses a recharge for an inactive customer', () => {
    const error = refusal(() => decide(view({ customer: customer({ isActive: false }) }), { type: 'start_payment', payment: { ...gateway, kind: 'recharge', orderId: null } }));
    expect(error.kind).toBe('failed_precondition');
    expect(error.message).toBe('customer c1 is inactive and cannot recharge');
  });
});

describe('settle_payment', () => {
  const settle = (reportedAmount: string | null = null): AccountCommand => ({ type: 'settle_payment', paymentId: 'pay1', gatewayTxId: 'tx-1', reportedAmount });
  const recharge = payment({ kind: 'recharge', orderId: null, amount: '100.00' });

  it('credits a recharge once, with a recharge entry and balance_recharged', () => {
    const state = view({ payment: recharge });
    const decision = decide(state, settle('100'));
    const paid = onlyPayment(decision, 'update');
    expect(paid).toEqual({ ...recharge, status: 'success', gatewayTxId: 'tx-1', paidAt: NOW, updatedAt: NOW });
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'recharge', amount: '100.00', balanceBefore: '50.00', balanceAfter: '150.00', referenceId: 'pay1', description: 'recharge through gateway (payment pay1)' },
    ]);
    expect(decision.events).toEqual([
      { id: 'id-2', eventType: 'balance_recharged', orderId: null, payload: { payment_id: 'pay1', amount: '100.00', customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.orders).toEqual([]);
    expect(decision.customer?.balance).toBe('150.00');
    expect(decision.result).toEqual({ payment: paid, entry: decision.ledger[0] });
    expect(decision.audit).toEqual({ action: 'payment.settle', targetType: 'payment', targetId: 'pay1', details: { amount: '100.00', gateway_tx_id: 'tx-1' } });
    expectMoneyInvariants(state, decision);

    // The same notification again, on the settled row: refused, so the money is credited once.
    const again = refusal(() => decide(view({ customer: decision.customer!, payment: paid }), settle('100')));
    expect(again.kind).toBe('already_exists');
    expect(again.reason).toBe('already_settled');
  });

  it('pays a pending order: order paid with the gateway ids, order_paid, no ledger entry', () => {
    const state = view({ payment: payment(), order: order({ gatewayInterfaceId: 'gw1', gatewayPaymentId: 'gwp1' }) });
    const decision = decide(state, settle());
    const paidOrder = onlyOrder(decision, 'update');
    expect(paidOrder).toEqual({ ...order(), status: 'paid', paidAt: NOW, gatewayInterfaceId: 'gw1', gatewayPaymentId: 'gwp1', version: 2, updatedAt: NOW });
    expect(onlyPayment(decision, 'update')).toMatchObject({ status: 'success', gatewayTxId: 'tx-1', paidAt: NOW });
    expect(decision.ledger).toEqual([]);
    expect(decision.events).toEqual([
      { id: 'id-1', eventType: 'order_paid', orderId: 'o1', payload: { order_id: 'o1', payment_id: 'pay1', amount: '29.97', customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.customer?.balance).toBe('50.00');
    expect(decision.result.order).toEqual(paidOrder);
    expectMoneyInvariants(state, decision);
  });

  it('credits money that arrives for a cancelled order to the balance, with a refund entry and payment_received', () => {
    const state = view({ payment: payment(), order: order({ status: 'cancelled' }) });
    const decision = decide(state, settle('29.97'));
    expect(decision.orders).toEqual([]);
    // Settled as refunded (to the balance): it can never be refunded a second time.
    expect(onlyPayment(decision, 'update')).toMatchObject({ status: 'refunded', refundedAmount: '29.97', gatewayTxId: 'tx-1' });
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'refund', amount: '29.97', balanceBefore: '50.00', balanceAfter: '79.97', referenceId: 'pay1', description: 'payment pay1 arrived for order o1 which is cancelled; credited to the balance' },
    ]);
    expect(decision.events).toEqual([
      { id: 'id-2', eventType: 'payment_received', orderId: 'o1', payload: { payment_id: 'pay1', amount: '29.97', credited_to_balance: true, customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.result.entry).toEqual(decision.ledger[0]);
    expect(decision.result.order).toBeUndefined();
    expectMoneyInvariants(state, decision);
  });

  it('credits the balance too when the order was paid another way meanwhile, or is gone', () => {
    for (const state of [view({ payment: payment(), order: order({ status: 'paid' }) }), view({ payment: payment(), order: null })]) {
      const decision = decide(state, settle());
      expect(decision.orders).toEqual([]);
      expect(decision.ledger).toHaveLength(1);
      expect(decision.ledger[0]).toMatchObject({ type: 'refund', amount: '29.97' });
      expect(decision.events.map((event) => event.eventType)).toEqual(['payment_received']);
      expectMoneyInvariants(state, decision);
    }
    expect(decide(view({ payment: payment(), order: null }), settle()).ledger[0]?.description).toContain('which is gone');
  });

  it('answers already_exists / already_settled for a settled or refunded payment', () => {
    for (const status of ['success', 'refunded'] as const) {
      const error = refusal(() => decide(view({ payment: payment({ status }), order: order() }), settle()));
      expect(error.kind).toBe('already_exists');
      expect(error.reason).toBe('already_settled');
    }
  });

  it('refuses a reported amount that differs: invalid_argument / amount_mismatch', () => {
    const error = refusal(() => decide(view({ payment: recharge }), settle('99.99')));
    expect(error.kind).toBe('invalid_argument');
    expect(error.reason).toBe('amount_mismatch');
    expect(error.message).toContain('99.99');
    expect(error.message).toContain('100.00');
  });

  it('refuses a failed payment: failed_precondition', () => {
    const error = refusal(() => decide(view({ payment: payment({ status: 'failed' }), order: order() }), settle()));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBe('invalid_transition');
  });

  it("answers not_found for another customer's payment or a missing one", () => {
    expect(refusal(() => decide(view({ payment: payment({ customerId: 'c2' }) }), settle())).kind).toBe('not_found');
    expect(refusal(() => decide(view({ payment: null }), settle())).message).toBe('payment pay1 does not exist');
  });
});

describe('fail_payment', () => {
  it('marks a pending payment failed and moves no money', () => {
    const state = view({ payment: payment() });
    const decision = decide(state, { type: 'fail_payment', paymentId: 'pay1' });
    const failed = onlyPayment(decision, 'update');
    expect(failed).toEqual({ ...payment(), status: 'failed', updatedAt: NOW });
    expect(decision.ledger).toEqual([]);
    expect(decision.orders).toEqual([]);
    expect(decision.events).toEqual([]);
    expect(decision.result).toEqual({ payment: failed });
    expectMoneyInvariants(state, decision);
  });

  it('changes nothing for a payment that is no longer pending', () => {
    for (const status of ['success', 'failed', 'refunded'] as const) {
      const state = view({ payment: payment({ status }) });
      const decision = decide(state, { type: 'fail_payment', paymentId: 'pay1' });
      expectNoChange(state, decision);
      expect(decision.result).toEqual({ payment: payment({ status }) });
    }
  });

  it("answers not_found for another customer's payment", () => {
    expect(refusal(() => decide(view({ payment: payment({ customerId: 'c2' }) }), { type: 'fail_payment', paymentId: 'pay1' })).kind).toBe('not_found');
  });
});

describe('refund_payment', () => {
  const balancePaid = payment({ status: 'success', gatewayInterfaceId: BALANCE_METHOD_ID, gatewayPaymentId: 'pay1', gatewayTxId: 'e0', paidAt: EARLIER });
  const gatewayPaid = payment({ status: 'success', gatewayTxId: 'tx-0', paidAt: EARLIER });
  const recharge = payment({ kind: 'recharge', orderId: null, amount: '100.00', status: 'success', gatewayTxId: 'tx-0', paidAt: EARLIER });
  const refund = (amount: string, route: 'balance' | 'gateway'): AccountCommand => ({ type: 'refund_payment', paymentId: 'pay1', amount, route });

  it('refunds part of a payment to the balance: a refund credit; the order keeps its status', () => {
    const state = view({ payment: balancePaid, order: order({ status: 'active' }) });
    const decision = decide(state, refund('10.00', 'balance'));
    const after = onlyPayment(decision, 'update');
    expect(after).toEqual({ ...balancePaid, refundedAmount: '10.00', status: 'success', updatedAt: NOW });
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'refund', amount: '10.00', balanceBefore: '50.00', balanceAfter: '60.00', referenceId: 'pay1', description: 'refund of payment pay1 to the balance' },
    ]);
    expect(decision.orders).toEqual([]);
    expect(decision.events).toEqual([
      { id: 'id-2', eventType: 'payment_refunded', orderId: 'o1', payload: { payment_id: 'pay1', amount: '10.00', route: 'balance', order_id: 'o1', customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.result).toEqual({ payment: after, entry: decision.ledger[0] });
    expect(decision.audit).toEqual({ action: 'payment.refund', targetType: 'payment', targetId: 'pay1', details: { amount: '10.00', route: 'balance' } });
    expectMoneyInvariants(state, decision);
  });

  it('moves a paid order to refunded on a full refund, from every status that may be refunded', () => {
    for (const status of ['paid', 'provisioning', 'active', 'suspended'] as const) {
      const state = view({ payment: balancePaid, order: order({ status, version: 3 }) });
      const decision = decide(state, refund('29.97', 'balance'));
      expect(onlyPayment(decision, 'update')).toMatchObject({ status: 'refunded', refundedAmount: '29.97' });
      const refundedOrder = onlyOrder(decision, 'update');
      expect(refundedOrder).toEqual({ ...order({ status, version: 3 }), status: 'refunded', version: 4, updatedAt: NOW });
      expect(decision.result.order).toEqual(refundedOrder);
      expect(decision.customer?.balance).toBe('79.97');
      expectMoneyInvariants(state, decision);
    }
  });

  it('completes a partial refund: the rest refunds the payment in full and the order', () => {
    const state = view({ payment: { ...balancePaid, refundedAmount: '10.00' }, order: order({ status: 'active' }) });
    const decision = decide(state, refund('19.97', 'balance'));
    expect(onlyPayment(decision, 'update')).toMatchObject({ status: 'refunded', refundedAmount: '29.97' });
    expect(onlyOrder(decision, 'update').status).toBe('refunded');
    expectMoneyInvariants(state, decision);
  });

  it('refunds an order payment through its gateway without a ledger entry', () => {
    const state = view({ payment: gatewayPaid, order: order({ status: 'paid' }) });
    const decision = decide(state, refund('29.97', 'gateway'));
    expect(decision.ledger).toEqual([]);
    expect(decision.customer?.balance).toBe('50.00');
    expect(onlyPayment(decision, 'update')).toMatchObject({ status: 'refunded', refundedAmount: '29.97' });
    expect(onlyOrder(decision, 'update').status).toBe('refunded');
    expect(decision.events[0]?.payload).toMatchObject({ route: 'gateway', amount: '29.97' });
    expect(decision.result.entry).toBeUndefined();
    expectMoneyInvariants(state, decision);
  });

  it('takes a recharge refunded through the gateway off the balance', () => {
    const state = view({ customer: customer({ balance: '120.00' }), payment: recharge });
    const decision = decide(state, refund('100.00', 'gateway'));
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'refund', amount: '-100.00', balanceBefore: '120.00', balanceAfter: '20.00', referenceId: 'pay1', description: 'recharge pay1 refunded through the gateway' },
    ]);
    expect(decision.orders).toEqual([]);
    expect(decision.events[0]).toMatchObject({ eventType: 'payment_refunded', orderId: null });
    expectMoneyInvariants(state, decision);
  });

  it('refuses a recharge refund through the gateway that the balance no longer covers', () => {
    const error = refusal(() => decide(view({ customer: customer({ balance: '30.00', creditLimit: '20.00' }), payment: recharge }), refund('100.00', 'gateway')));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBe('insufficient_funds');
    expect(error.message).toContain('100.00 is needed');
    // Within the credit limit it is allowed: 30.00 + 20.00 covers 50.00.
    const state = view({ customer: customer({ balance: '30.00', creditLimit: '20.00' }), payment: recharge });
    expect(decide(state, refund('50.00', 'gateway')).customer?.balance).toBe('-20.00');
  });

  it('refuses more than remains, zero, negative, and a payment that is not successful', () => {
    const partly = { ...balancePaid, refundedAmount: '10.00' };
    const over = refusal(() => decide(view({ payment: partly, order: order({ status: 'active' }) }), refund('19.98', 'balance')));
    expect(over.kind).toBe('failed_precondition');
    expect(over.reason).toBe('invalid_transition');
    expect(over.message).toBe('payment pay1 has 19.97 left to refund (status success); 19.98 cannot be refunded');
    for (const amount of ['0.00', '-5.00']) expect(refusal(() => decide(view({ payment: balancePaid }), refund(amount, 'balance'))).reason).toBe('invalid_transition');
    for (const status of ['pending', 'failed', 'refunded'] as const) {
      expect(refusal(() => decide(view({ payment: { ...balancePaid, status } }), refund('1.00', 'balance'))).message).toContain(`(status ${status})`);
    }
    expect(refusal(() => decide(view({ payment: { ...balancePaid, customerId: 'c2' } }), refund('1.00', 'balance'))).kind).toBe('not_found');
  });

  it('leaves an order that is not the payment’s alone', () => {
    const state = view({ payment: balancePaid, order: order({ id: 'o2', status: 'active' }) });
    const decision = decide(state, refund('29.97', 'balance'));
    expect(decision.orders).toEqual([]);
    expectMoneyInvariants(state, decision);
  });

  // Found by this suite: the full refund of a completed order's payment used to be refused
  // (completed → refunded was missing), after the gateway had already refunded.
  it('refunds the payment of a completed order in full (the order becomes refunded)', () => {
    const state = view({ payment: gatewayPaid, order: order({ status: 'completed' }) });
    const decision = decide(state, refund('29.97', 'gateway'));
    expect(onlyPayment(decision, 'update')).toMatchObject({ status: 'refunded', refundedAmount: '29.97' });
  });

  it('refunds part of the payment of a completed order (the order stays completed)', () => {
    const state = view({ payment: balancePaid, order: order({ status: 'completed' }) });
    const decision = decide(state, refund('29.96', 'balance'));
    expect(decision.orders).toEqual([]);
    expectMoneyInvariants(state, decision);
  });

  // Found by this suite: a late payment credited to the balance stayed `success` and could be
  // refunded a second time; it is now settled as refunded.
  it('does not refund a second time a late payment already credited to the balance', () => {
    const settled = decide(view({ payment: payment(), order: order({ status: 'cancelled' }) }), { type: 'settle_payment', paymentId: 'pay1', gatewayTxId: 'tx-1', reportedAmount: null });
    expect(settled.customer?.balance).toBe('79.97');
    const paid = onlyPayment(settled, 'update');
    const again = view({ customer: settled.customer!, payment: paid, order: order({ status: 'cancelled' }) });
    for (const route of ['balance', 'gateway'] as const) {
      expect(refusal(() => decide(again, refund('29.97', route))).kind).toBe('failed_precondition');
    }
  });
});

describe('adjust_balance', () => {
  const adjust = (amount: string): AccountCommand => ({ type: 'adjust_balance', amount, description: 'goodwill' });

  it('credits a positive adjustment with an adjustment entry and the balance after in the audit', () => {
    const state = view();
    const decision = decide(state, adjust('25'));
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'adjustment', amount: '25.00', balanceBefore: '50.00', balanceAfter: '75.00', referenceId: null, description: 'goodwill' },
    ]);
    expect(decision.audit).toEqual({ action: 'balance.adjust', targetType: 'customer', targetId: 'c1', details: { amount: '25.00', description: 'goodwill', balance_after: '75.00' } });
    expect(decision.result).toEqual({ entry: decision.ledger[0] });
    expect(decision.orders).toEqual([]);
    expect(decision.payments).toEqual([]);
    expect(decision.events).toEqual([]);
    expectMoneyInvariants(state, decision);
  });

  it('debits a negative adjustment into the credit limit, down to the floor', () => {
    const state = view({ customer: customer({ creditLimit: '20.00' }) });
    const decision = decide(state, adjust('-70.00'));
    expect(decision.customer?.balance).toBe('-20.00');
    expect(decision.ledger[0]).toMatchObject({ amount: '-70.00', balanceBefore: '50.00', balanceAfter: '-20.00' });
    expectMoneyInvariants(state, decision);
  });

  it('refuses a debit below the floor and a zero adjustment', () => {
    const below = refusal(() => decide(view({ customer: customer({ creditLimit: '20.00' }) }), adjust('-70.01')));
    expect(below.kind).toBe('failed_precondition');
    expect(below.reason).toBe('insufficient_funds');
    expect(below.message).toBe('insufficient funds: 70.01 is needed but balance 50.00 plus credit limit 20.00 leaves 70.00');
    expect(refusal(() => decide(view(), adjust('0'))).kind).toBe('invalid_argument');
  });
});

describe('update_order', () => {
  const MANUAL: Record<OrderStatus, OrderStatus[]> = {
    pending: ['cancelled'], paid: ['provisioning', 'active'], provisioning: ['active'], active: ['suspended', 'completed'],
    suspended: ['active', 'completed'], cancelled: [], refunded: [], completed: [],
  };

  it('makes every manual transition: version + 1, the change audited, no money', () => {
    for (const from of ALL_STATUSES) {
      for (const to of MANUAL[from]) {
        const state = view({ order: order({ status: from, version: 5 }) });
        const decision = decide(state, { type: 'update_order', orderId: 'o1', status: to });
        const updated = onlyOrder(decision, 'update');
        // Becoming active starts the service's first billing period (issue 11).
        const period = to === 'active' ? firstServicePeriod(order({ status: from })) : {};
        expect(updated).toEqual({ ...order({ status: from, version: 5 }), status: to, ...period, version: 6, updatedAt: NOW });
        expect(decision.audit).toEqual({ action: 'order.update', targetType: 'order', targetId: 'o1', details: { changes: { status: { from, to } } } });
        expect(decision.ledger).toEqual([]);
        expect(decision.payments).toEqual([]);
        expect(decision.events.map((event) => event.eventType)).toEqual(to === 'cancelled' ? ['order_cancelled'] : []);
        expectMoneyInvariants(state, decision);
      }
    }
  });

  it('sends order_cancelled when an admin cancels a pending order', () => {
    const decision = decide(view({ order: order() }), { type: 'update_order', orderId: 'o1', status: 'cancelled' });
    expect(decision.events).toEqual([
      { id: 'id-1', eventType: 'order_cancelled', orderId: 'o1', payload: { order_id: 'o1', reason: 'cancelled by an administrator', customer_id: 'c1', at: NOW } },
    ]);
  });

  it('refuses every other status change with invalid_argument / invalid_transition', () => {
    for (const from of ALL_STATUSES) {
      for (const to of ALL_STATUSES.filter((candidate) => candidate !== from && !MANUAL[from].includes(candidate))) {
        const error = refusal(() => decide(view({ order: order({ status: from }) }), { type: 'update_order', orderId: 'o1', status: to }));
        expect({ from, to, kind: error.kind, reason: error.reason }).toEqual({ from, to, kind: 'invalid_argument', reason: 'invalid_transition' });
      }
    }
  });

  it('changes the notes only', () => {
    const state = view({ order: order({ status: 'active', notes: 'old' }) });
    const decision = decide(state, { type: 'update_order', orderId: 'o1', notes: 'new' });
    expect(onlyOrder(decision, 'update')).toEqual({ ...order({ status: 'active', notes: 'old' }), notes: 'new', version: 2, updatedAt: NOW });
    expect(decision.audit.details).toEqual({ changes: { notes: { from: 'old', to: 'new' } } });
    expect(decision.events).toEqual([]);
    expectMoneyInvariants(state, decision);
  });

  it('sets and clears the provider instance id', () => {
    const set = decide(view({ order: order({ status: 'active' }) }), { type: 'update_order', orderId: 'o1', providerInstanceId: 'srv-9' });
    expect(onlyOrder(set, 'update').providerInstanceId).toBe('srv-9');
    const cleared = decide(view({ order: order({ status: 'active', providerInstanceId: 'srv-9' }) }), { type: 'update_order', orderId: 'o1', providerInstanceId: '' });
    expect(onlyOrder(cleared, 'update').providerInstanceId).toBeNull();
    expect(cleared.audit.details).toEqual({ changes: { providerInstanceId: { from: 'srv-9', to: null } } });
  });

  it('writes nothing when nothing changes (customer null)', () => {
    for (const command of [
      { type: 'update_order', orderId: 'o1' },
      { type: 'update_order', orderId: 'o1', status: 'active', notes: 'same', providerInstanceId: 'srv-1' },
      { type: 'update_order', orderId: 'o1', status: 'active' },
    ] as AccountCommand[]) {
      const state = view({ order: order({ status: 'active', notes: 'same', providerInstanceId: 'srv-1' }) });
      const decision = decide(state, command);
      expectNoChange(state, decision);
      expect(decision.result).toEqual({ order: state.order });
    }
    const cleared = view({ order: order({ providerInstanceId: null }) });
    expectNoChange(cleared, decide(cleared, { type: 'update_order', orderId: 'o1', providerInstanceId: '' }));
  });

  it("answers not_found for another customer's order", () => {
    expect(refusal(() => decide(view({ order: order({ customerId: 'c2' }) }), { type: 'update_order', orderId: 'o1', notes: 'x' })).kind).toBe('not_found');
  });
});

describe('delete_order', () => {
  it('deletes a pending order and its pending and failed payments', () => {
    const pendingPayment = payment({ id: 'pay1' });
    const failedPayment = payment({ id: 'pay2', status: 'failed' });
    const state = view({ order: order(), orderPayments: [pendingPayment, failedPayment] });
    const decision = decide(state, { type: 'delete_order', orderId: 'o1' });
    expect(decision.payments).toEqual([{ op: 'delete', row: pendingPayment }, { op: 'delete', row: failedPayment }]);
    expect(decision.orders).toEqual([{ op: 'delete', row: order() }]);
    expect(decision.ledger).toEqual([]);
    expect(decision.audit).toEqual({ action: 'order.delete', targetType: 'order', targetId: 'o1', details: { status: 'pending', amount: '29.97' } });
    expect(decision.result).toEqual({ order: order() });
    expectMoneyInvariants(state, decision);
  });

  it('deletes a cancelled order that holds no money', () => {
    const state = view({ order: order({ status: 'cancelled' }) });
    const decision = decide(state, { type: 'delete_order', orderId: 'o1' });
    expect(decision.orders).toEqual([{ op: 'delete', row: order({ status: 'cancelled' }) }]);
    expectMoneyInvariants(state, decision);
  });

  it('refuses an order that holds money', () => {
    for (const status of ['paid', 'provisioning', 'active', 'suspended', 'completed', 'refunded'] as const) {
      const error = refusal(() => decide(view({ order: order({ status }) }), { type: 'delete_order', orderId: 'o1' }));
      expect(error.kind).toBe('failed_precondition');
      expect(error.message).toContain(`order o1 is ${status}: a paid order is kept as a record of the payment`);
    }
  });

  it('refuses an order with settled payments (money that arrived late)', () => {
    for (const status of ['success', 'refunded'] as const) {
      const error = refusal(() => decide(view({ order: order({ status: 'cancelled' }), orderPayments: [payment({ status: 'failed', id: 'p0' }), payment({ status })] }), { type: 'delete_order', orderId: 'o1' }));
      expect(error.kind).toBe('failed_precondition');
      expect(error.message).toBe('order o1 has 1 settled payment(s); it is kept as their record');
    }
  });

  it("answers not_found for another customer's order", () => {
    expect(refusal(() => decide(view({ order: order({ customerId: 'c2' }) }), { type: 'delete_order', orderId: 'o1' })).kind).toBe('not_found');
  });
});

describe('cancel_unpaid_order', () => {
  const cancel = (createdBefore: string): AccountCommand => ({ type: 'cancel_unpaid_order', orderId: 'o1', createdBefore });

  it('cancels a pending order created before the cut-off, with order_cancelled', () => {
    const state = view({ order: order({ createdAt: '2026-12-01T08:59:59Z' }) });
    const decision = decide(state, cancel('2026-12-01T09:00:00Z'));
    const cancelled = onlyOrder(decision, 'update');
    expect(cancelled).toEqual({ ...order({ createdAt: '2026-12-01T08:59:59Z' }), status: 'cancelled', version: 2, updatedAt: NOW });
    expect(decision.events).toEqual([
      { id: 'id-1', eventType: 'order_cancelled', orderId: 'o1', payload: { order_id: 'o1', reason: 'not paid in time', customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.ledger).toEqual([]);
    expect(decision.result).toEqual({ order: cancelled });
    expect(decision.audit).toEqual({ action: 'order.cancel_unpaid', targetType: 'order', targetId: 'o1', details: { created_at: '2026-12-01T08:59:59Z' } });
    expectMoneyInvariants(state, decision);
  });

  it('changes nothing for an order created at or after the cut-off', () => {
    for (const createdAt of ['2026-12-01T09:00:00Z', '2026-12-01T09:00:01Z']) {
      const state = view({ order: order({ createdAt }) });
      const decision = decide(state, cancel('2026-12-01T09:00:00Z'));
      expectNoChange(state, decision);
      expect(decision.result).toEqual({ order: state.order, alreadyDone: true });
    }
  });

  it('changes nothing for an order that is not pending', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'pending')) {
      const state = view({ order: order({ status }) });
      expectNoChange(state, decide(state, cancel(NOW)));
    }
  });
});

describe('start_provisioning', () => {
  it('moves a paid order to provisioning', () => {
    const state = view({ order: order({ status: 'paid', version: 2 }) });
    const decision = decide(state, { type: 'start_provisioning', orderId: 'o1' });
    expect(onlyOrder(decision, 'update')).toEqual({ ...order({ status: 'paid', version: 2 }), status: 'provisioning', version: 3, updatedAt: NOW });
    expect(decision.events).toEqual([]);
    expect(decision.ledger).toEqual([]);
    expectMoneyInvariants(state, decision);
  });

  it('changes nothing otherwise: not done for a pending order, done for any other', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'paid')) {
      const state = view({ order: order({ status }) });
      const decision = decide(state, { type: 'start_provisioning', orderId: 'o1' });
      expectNoChange(state, decision);
      expect(decision.result).toEqual({ order: state.order, alreadyDone: status !== 'pending' });
    }
  });
});

describe('complete_provisioning', () => {
  const instance: ProvisionedInstance = { id: 'inst1', providerInstanceId: 'srv-42', status: 'running', ipAddress: '203.0.113.7', serverSpec: { cpu_cores: '2' } };
  const complete: AccountCommand = { type: 'complete_provisioning', orderId: 'o1', instance };

  it('writes the instance with the order’s product and provider, activates the order and sends order_provisioned', () => {
    for (const status of ['paid', 'provisioning'] as const) {
      const state = view({ order: order({ status, version: 3 }) });
      const decision = decide(state, complete);
      expect(decision.instances).toEqual([{ ...instance, orderId: 'o1', productId: 'prod1', productName: 'VPS S', providerInterfaceId: 'prov1' }]);
      const active = onlyOrder(decision, 'update');
      expect(active).toEqual({ ...order({ status, version: 3 }), status: 'active', providerInstanceId: 'srv-42', ...firstServicePeriod(order()), version: 4, updatedAt: NOW });
      expect(decision.events).toEqual([
        {
          id: 'id-1', eventType: 'order_provisioned', orderId: 'o1',
          payload: { order_id: 'o1', instance_id: 'inst1', provider_instance_id: 'srv-42', ip_address: '203.0.113.7', customer_id: 'c1', at: NOW },
        },
      ]);
      expect(decision.result).toEqual({ order: active, instanceId: 'inst1' });
      expect(decision.audit).toEqual({ action: 'order.provisioned', targetType: 'order', targetId: 'o1', details: { provider_instance_id: 'srv-42' } });
      expect(decision.ledger).toEqual([]);
      expectMoneyInvariants(state, decision);
    }
  });

  it('changes nothing on a repeat for an order that is active already (alreadyDone)', () => {
    const state = view({ order: order({ status: 'active', providerInstanceId: 'srv-42' }) });
    const decision = decide(state, complete);
    expectNoChange(state, decision);
    expect(decision.result).toEqual({ order: state.order, alreadyDone: true });
  });

  it("answers not_found for another customer's order", () => {
    expect(refusal(() => decide(view({ order: order({ customerId: 'c2', status: 'paid' }) }), complete)).kind).toBe('not_found');
  });
});

describe('fail_provisioning', () => {
  const balancePaid = payment({ id: 'pb', status: 'success', gatewayInterfaceId: BALANCE_METHOD_ID, gatewayPaymentId: 'pb', amount: '29.97', paidAt: EARLIER });
  const gatewayPaid = payment({ id: 'pg', status: 'success', gatewayInterfaceId: 'gw1', amount: '20.00', refundedAmount: '5.00', paidAt: EARLIER });
  const failed = payment({ id: 'pf', status: 'failed' });
  const alreadyRefunded = payment({ id: 'pr', status: 'refunded', refundedAmount: '29.97' });
  const command: AccountCommand = { type: 'fail_provisioning', orderId: 'o1', reason: 'no capacity', routes: { pg: 'gateway' } };

  it('refunds balance payments to the balance, gateway ones without a ledger entry, and cancels the order', () => {
    const state = view({ order: order({ status: 'provisioning', version: 3 }), orderPayments: [balancePaid, failed, gatewayPaid, alreadyRefunded] });
    const decision = decide(state, command);
    expect(decision.payments).toEqual([
      { op: 'update', row: { ...balancePaid, refundedAmount: '29.97', status: 'refunded', updatedAt: NOW } },
      { op: 'update', row: { ...gatewayPaid, refundedAmount: '20.00', status: 'refunded', updatedAt: NOW } },
    ]);
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'refund', amount: '29.97', balanceBefore: '50.00', balanceAfter: '79.97', referenceId: 'pb', description: 'refund of order o1: provisioning failed' },
    ]);
    const cancelled = onlyOrder(decision, 'update');
    expect(cancelled).toEqual({ ...order({ status: 'provisioning', version: 3 }), status: 'cancelled', version: 4, updatedAt: NOW });
    expect(decision.events).toEqual([
      { id: 'id-2', eventType: 'payment_refunded', orderId: 'o1', payload: { payment_id: 'pb', amount: '29.97', route: 'balance', order_id: 'o1', customer_id: 'c1', at: NOW } },
      { id: 'id-3', eventType: 'payment_refunded', orderId: 'o1', payload: { payment_id: 'pg', amount: '15.00', route: 'gateway', order_id: 'o1', customer_id: 'c1', at: NOW } },
      { id: 'id-4', eventType: 'order_cancelled', orderId: 'o1', payload: { order_id: 'o1', reason: 'provisioning failed: no capacity', refunded: true, customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.result).toEqual({ order: cancelled, entries: decision.ledger });
    expect(decision.customer?.balance).toBe('79.97');
    expect(decision.audit).toEqual({ action: 'order.provisioning_failed', targetType: 'order', targetId: 'o1', details: { reason: 'no capacity' } });
    expectMoneyInvariants(state, decision);
  });

  it('refunds to the balance what remains of a partly refunded payment, for a paid order', () => {
    const partly = { ...balancePaid, refundedAmount: '9.97' };
    const state = view({ order: order({ status: 'paid' }), orderPayments: [partly] });
    const decision = decide(state, { ...command, routes: {} } as AccountCommand);
    expect(decision.ledger).toMatchObject([{ amount: '20.00' }]);
    expect(onlyPayment(decision, 'update')).toMatchObject({ refundedAmount: '29.97', status: 'refunded' });
    expect(onlyOrder(decision, 'update').status).toBe('cancelled');
    expectMoneyInvariants(state, decision);
  });

  it('cancels an order with no payments to refund, moving no money', () => {
    const state = view({ order: order({ status: 'paid' }), orderPayments: [failed] });
    const decision = decide(state, command);
    expect(decision.payments).toEqual([]);
    expect(decision.ledger).toEqual([]);
    expect(decision.events.map((event) => event.eventType)).toEqual(['order_cancelled']);
    expectMoneyInvariants(state, decision);
  });

  it('changes nothing on a repeat (the order is cancelled already), or for an order not being provisioned', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'paid' && candidate !== 'provisioning')) {
      const state = view({ order: order({ status }), orderPayments: [balancePaid] });
      const decision = decide(state, command);
      expectNoChange(state, decision);
      expect(decision.result).toEqual({ order: state.order, alreadyDone: true });
    }
  });

  it("answers not_found for another customer's order", () => {
    expect(refusal(() => decide(view({ order: order({ customerId: 'c2', status: 'paid' }) }), command)).kind).toBe('not_found');
  });
});

describe('determinism', () => {
  it('gives the same decision for the same inputs and does not change the view', () => {
    const state = view({ order: order() });
    const snapshot = structuredClone(state);
    const first = decide(state, { type: 'pay_order', orderId: 'o1' });
    const second = decide(state, { type: 'pay_order', orderId: 'o1' });
    expect(first).toEqual(second);
    expect(state).toEqual(snapshot);
  });
});

function gatewayInput(): NewGatewayPayment {
  return {
    id: 'payi', kind: 'order', orderId: 'o1', invoiceId: null, amount: '29.97', currency: 'CNY', gatewayInterfaceId: 'gw1', gatewayPaymentId: 'gwpi',
    paymentUrl: 'https://pay.example/i', qrCode: null, instructions: null, returnUrl: null,
  };
}

describe('pay_invoice and invoice payments', () => {
  const due = (overrides: Partial<InvoiceDue> = {}): InvoiceDue => ({ id: 'inv1', customerId: 'c1', invoiceNumber: 'INV-2026-000001', status: 'issued', totalAmount: '30.00', paidAmount: '0.00', ...overrides });

  it('pays what is due from the balance: a payment entry, a successful invoice payment, the invoice paid and invoice_paid', () => {
    const state = view({ invoice: due() });
    const decision = decide(state, { type: 'pay_invoice', invoiceId: 'inv1' });
    expect(decision.ledger.map((entry) => [entry.type, entry.amount, entry.referenceId])).toEqual([['payment', '-30.00', 'inv1']]);
    expect(onlyPayment(decision, 'insert')).toMatchObject({ kind: 'invoice', invoiceId: 'inv1', orderId: null, status: 'success', amount: '30.00' });
    expect(decision.invoices).toEqual([{ row: { ...due(), status: 'paid', paidAmount: '30.00', paidAt: NOW }, expectedStatus: 'issued' }]);
    expect(decision.events.map((event) => event.eventType)).toEqual(['invoice_paid']);
    expectMoneyInvariants(state, decision);
  });

  it('pays only what is left on a partly paid overdue invoice', () => {
    const decision = decide(view({ invoice: due({ status: 'overdue', paidAmount: '10.00' }) }), { type: 'pay_invoice', invoiceId: 'inv1' });
    expect(decision.ledger[0]?.amount).toBe('-20.00');
    expect(decision.invoices[0]?.row.status).toBe('paid');
  });

  it('refuses a draft, paid or cancelled invoice, another customer\'s, and a short balance', () => {
    for (const status of ['draft', 'paid', 'cancelled']) {
      const error = refusal(() => decide(view({ invoice: due({ status }) }), { type: 'pay_invoice', invoiceId: 'inv1' }));
      expect([error.kind, error.reason]).toEqual(['failed_precondition', 'invalid_transition']);
    }
    expect(refusal(() => decide(view({ invoice: due({ customerId: 'c2' }) }), { type: 'pay_invoice', invoiceId: 'inv1' })).kind).toBe('not_found');
    expect(refusal(() => decide(view({ invoice: due({ totalAmount: '500.00' }) }), { type: 'pay_invoice', invoiceId: 'inv1' })).reason).toBe('insufficient_funds');
  });

  it('records a gateway payment of an invoice only for the amount due, and settles it onto the invoice', () => {
    const input: NewGatewayPayment = { ...gatewayInput(), kind: 'invoice', orderId: null, invoiceId: 'inv1', amount: '30.00' };
    expect(refusal(() => decide(view({ invoice: due() }), { type: 'start_payment', payment: { ...input, amount: '29.99' } })).kind).toBe('invalid_argument');
    const started = decide(view({ invoice: due() }), { type: 'start_payment', payment: input });
    const pending = onlyPayment(started, 'insert');
    expect(pending).toMatchObject({ kind: 'invoice', invoiceId: 'inv1', status: 'pending' });
    const settled = decide(view({ payment: pending, invoice: due() }), { type: 'settle_payment', paymentId: pending.id, gatewayTxId: 'tx', reportedAmount: '30.00' });
    expect(settled.ledger).toEqual([]);
    expect(settled.invoices[0]?.row).toMatchObject({ status: 'paid', paidAmount: '30.00' });
    // Paid meanwhile another way: the money goes to the balance instead.
    const late = decide(view({ payment: pending, invoice: due({ status: 'paid', paidAmount: '30.00' }) }), { type: 'settle_payment', paymentId: pending.id, gatewayTxId: 'tx', reportedAmount: '30.00' });
    expect(late.invoices).toEqual([]);
    expect(late.ledger.map((entry) => [entry.type, entry.amount])).toEqual([['refund', '30.00']]);
    expect(onlyPayment(late, 'update').status).toBe('refunded');
  });
});
