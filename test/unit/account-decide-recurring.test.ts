/**
 * decideAccount's recurring-billing commands (issue 11): the billing period set at activation, the
 * period roll, suspension and restoration on a renewal invoice, the end of a service (unpaid,
 * period end, cancelled with a prorated credit), cancellation at the period end, plan changes with
 * day-based proration, and promotion redemptions on new orders. Pure: no I/O.
 */
import { describe, expect, it } from 'vitest';
import { expectMoneyInvariants as expectInvariants, expectNoChange } from '../support/decide-expectations.ts';
import { refusal } from '../support/refusal.ts';
import { decideAccount, type DecisionContext } from '../../src/domain/accounts/decide.ts';
import type { AccountCommand, AccountDecision, AccountView, InvoiceDue, NewOrder, ProvisionedInstance } from '../../src/domain/accounts/account.ts';
import type { CustomerState } from '../../src/domain/customers/customer.ts';
import type { OrderState, OrderStatus } from '../../src/domain/orders/order.ts';
import type { PaymentState } from '../../src/domain/payments/payment.ts';
import type { OrderedSpec } from '../../src/domain/provisioning/instances.ts';

const NOW = '2026-12-01T10:00:00Z';
const EARLIER = '2026-11-01T00:00:00Z';

/** The current period of the active service: 30 UTC days, 9 of them left at NOW (1–9 December). */
const PERIOD_START = '2026-11-10T12:00:00Z';
const PERIOD_END = '2026-12-10T12:00:00Z';
/** The period after it. */
const NEXT_END = '2027-01-10T12:00:00Z';

const ALL_STATUSES: OrderStatus[] = ['pending', 'paid', 'provisioning', 'active', 'cancelled', 'suspended', 'refunded', 'completed'];

/** A deterministic decision context: ids id-1, id-2, … in the order they are asked for. */
function context(now: string = NOW): DecisionContext {
  let next = 0;
  return { now, newId: () => `id-${++next}` };
}

function customer(overrides: Partial<CustomerState> = {}): CustomerState {
  return {
    id: 'c1', name: 'ACME', contactPerson: '', email: 'a@acme.example', phone: '', company: '', notes: '', balance: '50.00', creditLimit: '0.00',
    isActive: true, canCreateApiKeys: false, customerCode: 'C000001', customerType: '', industry: '', address: '', paymentTermsDays: null, taxNumber: '',
    country: '', region: '', rating: null, ratingNotes: '', deletedAt: null, version: 7, createdAt: EARLIER, updatedAt: EARLIER, ...overrides,
  };
}

/** An order before its service starts (pending, no period). */
function order(overrides: Partial<OrderState> = {}): OrderState {
  return {
    id: 'o1', customerId: 'c1', productId: 'prod1', productName: 'VPS S', providerInterfaceId: 'prov1', providerInstanceId: null,
    serverSpec: { cpu_cores: 2, region: 'eu' }, status: 'pending', amount: '29.97', currency: 'USD', billingCycle: 'monthly',
    gatewayInterfaceId: null, gatewayPaymentId: null, notes: '', paidAt: null,
    periodStart: null, periodEnd: null, anchorDay: null, cancelAtPeriodEnd: false, renewalAmount: null, periodPrice: null, promotionCode: null, discountAmount: '0.00', taxAmount: '0.00',
    version: 1, createdAt: EARLIER, updatedAt: EARLIER, ...overrides,
  };
}

/** A running monthly service in its period PERIOD_START–PERIOD_END, at version 4. */
function service(overrides: Partial<OrderState> = {}): OrderState {
  return order({
    status: 'active', providerInstanceId: 'srv-42', paidAt: EARLIER, periodStart: PERIOD_START, periodEnd: PERIOD_END, anchorDay: 10, periodPrice: '29.97', version: 4, ...overrides,
  });
}

/** The renewal invoice of the next period of order o1, issued and unpaid. */
function renewal(overrides: Partial<InvoiceDue> = {}): InvoiceDue {
  return {
    id: 'inv1', customerId: 'c1', invoiceNumber: 'INV-2026-000042', status: 'issued', totalAmount: '29.97', paidAmount: '0.00',
    renewal: { orderId: 'o1', periodStart: PERIOD_END, periodEnd: NEXT_END }, ...overrides,
  };
}

function view(overrides: Partial<AccountView> = {}): AccountView {
  return { customer: customer(), order: null, payment: null, orderPayments: [], invoice: null, ...overrides };
}

/** The money invariants of `decision` (test/support/decide-expectations.ts) at this file's time. */
function expectMoneyInvariants(state: AccountView, decision: AccountDecision, now: string = NOW): void {
  expectInvariants(state, decision, now);
}

function decide(state: AccountView, command: AccountCommand, now: string = NOW): AccountDecision {
  return decideAccount(state, command, context(now));
}



/** Nothing written, and the order answered as done already. */
function expectAlreadyDone(state: AccountView, command: AccountCommand): void {
  const decision = decide(state, command);
  expectNoChange(state, decision);
  expect(decision.result).toEqual({ order: state.order, alreadyDone: true });
}

/** The order in a decision's single order write. */
function onlyOrder(decision: AccountDecision, op: 'insert' | 'update' | 'delete'): OrderState {
  expect(decision.orders).toHaveLength(1);
  expect(decision.orders[0]?.op).toBe(op);
  return decision.orders[0]!.row;
}

describe('the first billing period at activation', () => {
  const instance: ProvisionedInstance = { id: 'inst1', providerInstanceId: 'srv-42', status: 'running', ipAddress: '203.0.113.7', serverSpec: { cpu_cores: '2' } };
  const complete: AccountCommand = { type: 'complete_provisioning', orderId: 'o1', instance };

  it('complete_provisioning starts the period at now, one cycle long, anchored on now’s UTC day, at the order’s amount', () => {
    const cases: Array<[OrderState['billingCycle'], string]> = [['monthly', '2027-01-01T10:00:00Z'], ['quarterly', '2027-03-01T10:00:00Z'], ['yearly', '2027-12-01T10:00:00Z']];
    for (const [billingCycle, periodEnd] of cases) {
      const state = view({ order: order({ status: 'provisioning', billingCycle, version: 3 }) });
      const decision = decide(state, complete);
      const active = onlyOrder(decision, 'update');
      expect(active).toEqual({
        ...order({ status: 'provisioning', billingCycle, version: 3 }), status: 'active', providerInstanceId: 'srv-42',
        periodStart: NOW, periodEnd, anchorDay: 1, periodPrice: '29.97', version: 4, updatedAt: NOW,
      });
      expect(decision.ledger).toEqual([]);
      expectMoneyInvariants(state, decision);
    }
  });

  it('complete_provisioning on the 31st ends the first month on the last day of February and keeps anchor 31', () => {
    const at = '2027-01-31T08:30:00Z';
    const state = view({ order: order({ status: 'paid', amount: '12.34' }) });
    const decision = decide(state, complete, at);
    expect(onlyOrder(decision, 'update')).toMatchObject({ status: 'active', periodStart: at, periodEnd: '2027-02-28T08:30:00Z', anchorDay: 31, periodPrice: '12.34', updatedAt: at });
    expectMoneyInvariants(state, decision, at);
  });

  it('update_order to active from paid, provisioning or suspended sets the first period when the order has none', () => {
    for (const status of ['paid', 'provisioning', 'suspended'] as const) {
      const state = view({ order: order({ status, version: 2 }) });
      const decision = decide(state, { type: 'update_order', orderId: 'o1', status: 'active' });
      expect(onlyOrder(decision, 'update')).toEqual({
        ...order({ status, version: 2 }), status: 'active', periodStart: NOW, periodEnd: '2027-01-01T10:00:00Z', anchorDay: 1, periodPrice: '29.97', version: 3, updatedAt: NOW,
      });
      expect(decision.audit).toEqual({ action: 'order.update', targetType: 'order', targetId: 'o1', details: { changes: { status: { from: status, to: 'active' } } } });
      expectMoneyInvariants(state, decision);
    }
  });

  it('update_order resuming a suspended service keeps its period', () => {
    const state = view({ order: service({ status: 'suspended' }) });
    const decision = decide(state, { type: 'update_order', orderId: 'o1', status: 'active' });
    expect(onlyOrder(decision, 'update')).toEqual({ ...service(), status: 'active', periodStart: PERIOD_START, periodEnd: PERIOD_END, anchorDay: 10, periodPrice: '29.97', version: 5, updatedAt: NOW });
    expectMoneyInvariants(state, decision);
  });

  it('update_order changing only the notes of an active order without a period gives it none', () => {
    const state = view({ order: order({ status: 'active', version: 2 }) });
    const decision = decide(state, { type: 'update_order', orderId: 'o1', notes: 'moved rack' });
    expect(onlyOrder(decision, 'update')).toEqual({ ...order({ status: 'active', version: 2 }), notes: 'moved rack', version: 3, updatedAt: NOW });
    expectMoneyInvariants(state, decision);
  });
});

describe('start_service_period', () => {
  const command: AccountCommand = { type: 'start_service_period', orderId: 'o1' };

  it('gives an active order without a period the one starting now, at its amount', () => {
    const state = view({ order: order({ status: 'active', billingCycle: 'quarterly', version: 5 }) });
    const decision = decide(state, command);
    const started = onlyOrder(decision, 'update');
    expect(started).toEqual({
      ...order({ status: 'active', billingCycle: 'quarterly', version: 5 }), periodStart: NOW, periodEnd: '2027-03-01T10:00:00Z', anchorDay: 1, periodPrice: '29.97', version: 6, updatedAt: NOW,
    });
    expect(decision.events).toEqual([]);
    expect(decision.ledger).toEqual([]);
    expect(decision.result).toEqual({ order: started });
    expect(decision.audit).toEqual({ action: 'service.period_start', targetType: 'order', targetId: 'o1', details: {} });
    expectMoneyInvariants(state, decision);
  });

  it('writes nothing for an order that has a period already', () => {
    expectAlreadyDone(view({ order: service() }), command);
  });

  it('writes nothing for an order that is not active, period or not', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'active')) {
      expectAlreadyDone(view({ order: order({ status }) }), command);
    }
  });

  it("answers not_found for another customer's order", () => {
    expect(refusal(() => decide(view({ order: order({ status: 'active', customerId: 'c2' }) }), command)).kind).toBe('not_found');
  });
});

describe('roll_service_period', () => {
  const roll = (overrides: Partial<Extract<AccountCommand, { type: 'roll_service_period' }>> = {}): AccountCommand => (
    { type: 'roll_service_period', orderId: 'o1', periodStart: PERIOD_END, periodEnd: NEXT_END, periodPrice: '32.50', ...overrides }
  );

  it('moves an active service on to the next period at the renewal’s price', () => {
    const state = view({ order: service() });
    const decision = decide(state, roll());
    const rolled = onlyOrder(decision, 'update');
    expect(rolled).toEqual({ ...service(), periodStart: PERIOD_END, periodEnd: NEXT_END, periodPrice: '32.50', version: 5, updatedAt: NOW });
    expect(decision.events).toEqual([]);
    expect(decision.ledger).toEqual([]);
    expect(decision.result).toEqual({ order: rolled });
    expect(decision.audit).toEqual({ action: 'service.period_roll', targetType: 'order', targetId: 'o1', details: { period_start: PERIOD_END, period_end: NEXT_END } });
    expectMoneyInvariants(state, decision);
  });

  it('rolls a suspended service too, leaving it suspended', () => {
    const state = view({ order: service({ status: 'suspended' }) });
    const decision = decide(state, roll());
    expect(onlyOrder(decision, 'update')).toEqual({ ...service({ status: 'suspended' }), periodStart: PERIOD_END, periodEnd: NEXT_END, periodPrice: '32.50', version: 5, updatedAt: NOW });
    expectMoneyInvariants(state, decision);
  });

  it('compares the period boundary as an instant, whatever its spelling', () => {
    for (const periodStart of ['2026-12-10T12:00:00.000Z', '2026-12-10T14:00:00+02:00']) {
      const state = view({ order: service() });
      const decision = decide(state, roll({ periodStart }));
      const rolled = onlyOrder(decision, 'update');
      expect(Date.parse(rolled.periodStart ?? '')).toBe(Date.parse(PERIOD_END));
      expect([rolled.periodEnd, rolled.periodPrice, rolled.version]).toEqual([NEXT_END, '32.50', 5]);
      expectMoneyInvariants(state, decision);
    }
    // And the other way round: the order's end spelt with milliseconds.
    const state = view({ order: service({ periodEnd: '2026-12-10T12:00:00.000Z' }) });
    expect(onlyOrder(decide(state, roll()), 'update')).toMatchObject({ periodStart: PERIOD_END, periodEnd: NEXT_END });
  });

  it('writes nothing on a repeat (the order is in the next period already)', () => {
    expectAlreadyDone(view({ order: service({ periodStart: PERIOD_END, periodEnd: NEXT_END, periodPrice: '32.50', version: 5 }) }), roll());
  });

  it('writes nothing for a roll that does not start where the current period ends (late or early), a second off included', () => {
    expectAlreadyDone(view({ order: service() }), roll({ periodStart: NEXT_END, periodEnd: '2027-02-10T12:00:00Z' }));
    expectAlreadyDone(view({ order: service() }), roll({ periodStart: PERIOD_START, periodEnd: PERIOD_END }));
    expectAlreadyDone(view({ order: service() }), roll({ periodStart: '2026-12-10T12:00:01Z' }));
  });

  it('writes nothing for a service that ended or never ran, or has no period', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'active' && candidate !== 'suspended')) {
      expectAlreadyDone(view({ order: service({ status }) }), roll());
    }
    expectAlreadyDone(view({ order: service({ periodStart: null, periodEnd: null, anchorDay: null }) }), roll());
  });
});

describe('suspend_service', () => {
  const command: AccountCommand = { type: 'suspend_service', orderId: 'o1', invoiceId: 'inv1' };

  it('suspends an active service whose renewal invoice is unpaid, naming the invoice and what is due', () => {
    for (const status of ['issued', 'overdue']) {
      const state = view({ order: service(), invoice: renewal({ status, totalAmount: '29.97', paidAmount: '9.97' }) });
      const decision = decide(state, command);
      const suspended = onlyOrder(decision, 'update');
      expect(suspended).toEqual({ ...service(), status: 'suspended', version: 5, updatedAt: NOW });
      expect(decision.events).toEqual([
        {
          id: 'id-1', eventType: 'service_suspended', orderId: 'o1',
          payload: { order_id: 'o1', invoice_id: 'inv1', invoice_number: 'INV-2026-000042', total: '20.00', product_name: 'VPS S', customer_id: 'c1', at: NOW },
        },
      ]);
      expect(decision.invoices).toEqual([]);
      expect(decision.ledger).toEqual([]);
      expect(decision.result).toEqual({ order: suspended });
      expect(decision.audit).toEqual({ action: 'service.suspend', targetType: 'order', targetId: 'o1', details: { invoice_id: 'inv1', invoice_number: 'INV-2026-000042' } });
      expectMoneyInvariants(state, decision);
    }
  });

  it('writes nothing once the invoice is paid or cancelled (or still a draft)', () => {
    for (const status of ['paid', 'cancelled', 'draft']) {
      expectAlreadyDone(view({ order: service(), invoice: renewal({ status, paidAmount: status === 'paid' ? '29.97' : '0.00' }) }), command);
    }
  });

  it("writes nothing for another order's renewal, an invoice that renews nothing, another invoice id, or no invoice", () => {
    expectAlreadyDone(view({ order: service(), invoice: renewal({ renewal: { orderId: 'o2', periodStart: PERIOD_END, periodEnd: NEXT_END } }) }), command);
    expectAlreadyDone(view({ order: service(), invoice: renewal({ renewal: null }) }), command);
    const { renewal: _absent, ...plain } = renewal();
    expectAlreadyDone(view({ order: service(), invoice: plain }), command);
    expectAlreadyDone(view({ order: service(), invoice: renewal({ id: 'inv2' }) }), command);
    expectAlreadyDone(view({ order: service(), invoice: null }), command);
  });

  it('writes nothing for a service that is suspended already or no longer active', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'active')) {
      expectAlreadyDone(view({ order: service({ status }), invoice: renewal() }), command);
    }
  });
});

describe('paying a renewal invoice restores a suspended service', () => {
  const invoicePayment = (overrides: Partial<PaymentState> = {}): PaymentState => ({
    id: 'payi', customerId: 'c1', kind: 'invoice', orderId: null, invoiceId: 'inv1', amount: '29.97', refundedAmount: '0.00', currency: 'CNY',
    gatewayInterfaceId: 'gw1', gatewayPaymentId: 'gwpi', gatewayTxId: null, status: 'pending', paymentUrl: null, qrCode: null,
    instructions: null, returnUrl: null, paidAt: null, createdAt: EARLIER, updatedAt: EARLIER, ...overrides,
  });
  const settle: AccountCommand = { type: 'settle_payment', paymentId: 'payi', gatewayTxId: 'tx-9', reportedAmount: null };

  it('pay_invoice: the invoice paid and the order active in one decision, with invoice_paid and service_restored', () => {
    const state = view({ order: service({ status: 'suspended', version: 5 }), invoice: renewal({ status: 'overdue' }) });
    const decision = decide(state, { type: 'pay_invoice', invoiceId: 'inv1' });
    // id-1: the payment, id-2: the ledger entry, id-3 and id-4: the events.
    expect(decision.ledger).toEqual([
      { id: 'id-2', type: 'payment', amount: '-29.97', balanceBefore: '50.00', balanceAfter: '20.03', referenceId: 'inv1', description: 'payment of invoice INV-2026-000042' },
    ]);
    expect(decision.invoices).toEqual([{ row: { ...renewal({ status: 'paid' }), paidAmount: '29.97', paidAt: NOW }, expectedStatus: 'overdue' }]);
    const restored = onlyOrder(decision, 'update');
    expect(restored).toEqual({ ...service({ status: 'active' }), version: 6, updatedAt: NOW });
    expect(decision.events).toEqual([
      { id: 'id-3', eventType: 'invoice_paid', orderId: null, payload: { invoice_id: 'inv1', invoice_number: 'INV-2026-000042', amount: '29.97', customer_id: 'c1', at: NOW } },
      {
        id: 'id-4', eventType: 'service_restored', orderId: 'o1',
        payload: { order_id: 'o1', invoice_id: 'inv1', invoice_number: 'INV-2026-000042', product_name: 'VPS S', customer_id: 'c1', at: NOW },
      },
    ]);
    expect(decision.customer?.balance).toBe('20.03');
    expectMoneyInvariants(state, decision);
  });

  it('pay_invoice for an active service, for an invoice that renews nothing or another order: no order write', () => {
    const cases: AccountView[] = [
      view({ order: service(), invoice: renewal() }),
      view({ order: service({ status: 'suspended' }), invoice: renewal({ renewal: null }) }),
      view({ order: service({ status: 'suspended' }), invoice: renewal({ renewal: { orderId: 'o2', periodStart: PERIOD_END, periodEnd: NEXT_END } }) }),
      view({ order: null, invoice: renewal() }),
    ];
    for (const state of cases) {
      const decision = decide(state, { type: 'pay_invoice', invoiceId: 'inv1' });
      expect(decision.orders).toEqual([]);
      expect(decision.invoices.map((write) => write.row.status)).toEqual(['paid']);
      expect(decision.events.map((event) => event.eventType)).toEqual(['invoice_paid']);
      expectMoneyInvariants(state, decision);
    }
  });

  it('settle_payment of a gateway invoice payment restores the suspended service, moving no balance', () => {
    const state = view({ payment: invoicePayment(), order: service({ status: 'suspended', version: 5 }), invoice: renewal({ status: 'overdue' }) });
    const decision = decide(state, settle);
    expect(decision.ledger).toEqual([]);
    expect(decision.payments).toEqual([{ op: 'update', row: { ...invoicePayment(), status: 'success', gatewayTxId: 'tx-9', paidAt: NOW, updatedAt: NOW } }]);
    expect(decision.invoices).toEqual([{ row: { ...renewal({ status: 'paid' }), paidAmount: '29.97', paidAt: NOW }, expectedStatus: 'overdue' }]);
    expect(onlyOrder(decision, 'update')).toEqual({ ...service({ status: 'active' }), version: 6, updatedAt: NOW });
    expect(decision.events.map((event) => [event.id, event.eventType, event.orderId])).toEqual([['id-1', 'invoice_paid', null], ['id-2', 'service_restored', 'o1']]);
    expect(decision.customer?.balance).toBe('50.00');
    expectMoneyInvariants(state, decision);
  });

  it('settle_payment of less than is due leaves the invoice unpaid and the service suspended', () => {
    const state = view({ payment: invoicePayment({ amount: '10.00' }), order: service({ status: 'suspended' }), invoice: renewal({ status: 'overdue' }) });
    const decision = decide(state, settle);
    expect(decision.invoices).toEqual([{ row: { ...renewal({ status: 'overdue' }), paidAmount: '10.00', paidAt: null }, expectedStatus: 'overdue' }]);
    expect(decision.orders).toEqual([]);
    expect(decision.events).toEqual([]);
    expect(decision.ledger).toEqual([]);
    expectMoneyInvariants(state, decision);
  });

  it('settle_payment of a renewal for an active service writes no order', () => {
    const state = view({ payment: invoicePayment(), order: service(), invoice: renewal() });
    const decision = decide(state, settle);
    expect(decision.orders).toEqual([]);
    expect(decision.invoices.map((write) => write.row.status)).toEqual(['paid']);
    expect(decision.events.map((event) => event.eventType)).toEqual(['invoice_paid']);
    expectMoneyInvariants(state, decision);
  });
});

describe('end_service', () => {
  const end = (reason: 'unpaid' | 'period_end' | 'cancelled', invoiceId: string | null = 'inv1', refund = false): AccountCommand => (
    { type: 'end_service', orderId: 'o1', reason, invoiceId, refund }
  );

  it('unpaid: completes the service and cancels its unpaid renewal invoice, moving no money', () => {
    for (const status of ['active', 'suspended'] as const) {
      const state = view({ order: service({ status, version: 5 }), invoice: renewal({ status: 'overdue' }) });
      const decision = decide(state, end('unpaid'));
      expect(decision.invoices).toEqual([{ row: { ...renewal({ status: 'cancelled' }), paidAt: null }, expectedStatus: 'overdue' }]);
      const ended = onlyOrder(decision, 'update');
      expect(ended).toEqual({ ...service({ status: 'completed' }), version: 6, updatedAt: NOW });
      expect(decision.ledger).toEqual([]);
      expect(decision.events).toEqual([
        {
          id: 'id-1', eventType: 'service_terminated', orderId: 'o1',
          payload: {
            order_id: 'o1', reason: 'unpaid', why: 'the renewal invoice was not paid', product_name: 'VPS S',
            cancelled_invoice_id: 'inv1', cancelled_invoice_number: 'INV-2026-000042', customer_id: 'c1', at: NOW,
          },
        },
      ]);
      expect(decision.result).toEqual({ order: ended, entries: [] });
      expect(decision.audit).toEqual({ action: 'service.end_unpaid', targetType: 'order', targetId: 'o1', details: { reason: 'unpaid', refund: false } });
      expectMoneyInvariants(state, decision);
    }
  });

  it('unpaid: writes nothing once the invoice is paid, or for another invoice, another order’s, or none', () => {
    expectAlreadyDone(view({ order: service({ status: 'suspended' }), invoice: renewal({ status: 'paid', paidAmount: '29.97' }) }), end('unpaid'));
    expectAlreadyDone(view({ order: service({ status: 'suspended' }), invoice: renewal({ status: 'cancelled' }) }), end('unpaid'));
    expectAlreadyDone(view({ order: service({ status: 'suspended' }), invoice: renewal() }), end('unpaid', 'inv2'));
    expectAlreadyDone(view({ order: service({ status: 'suspended' }), invoice: renewal({ renewal: { orderId: 'o2', periodStart: PERIOD_END, periodEnd: NEXT_END } }) }), end('unpaid'));
    expectAlreadyDone(view({ order: service({ status: 'suspended' }), invoice: null }), end('unpaid', null));
  });

  it('unpaid and period_end: writes nothing for a service that ended already', () => {
    for (const status of ['completed', 'cancelled', 'refunded'] as const) {
      expectAlreadyDone(view({ order: service({ status }), invoice: renewal() }), end('unpaid'));
      expectAlreadyDone(view({ order: service({ status }), invoice: renewal() }), end('period_end'));
    }
  });

  it('period_end: completes the service and cancels an unpaid next-period renewal', () => {
    const state = view({ order: service({ cancelAtPeriodEnd: true }), invoice: renewal() });
    const decision = decide(state, end('period_end'));
    expect(decision.invoices).toEqual([{ row: { ...renewal({ status: 'cancelled' }), paidAt: null }, expectedStatus: 'issued' }]);
    expect(onlyOrder(decision, 'update')).toEqual({ ...service({ status: 'completed', cancelAtPeriodEnd: true }), version: 5, updatedAt: NOW });
    expect(decision.ledger).toEqual([]);
    expect(decision.events[0]?.payload).toEqual({
      order_id: 'o1', reason: 'period_end', why: 'it was cancelled at the end of its period', product_name: 'VPS S',
      cancelled_invoice_id: 'inv1', cancelled_invoice_number: 'INV-2026-000042', customer_id: 'c1', at: NOW,
    });
    expect(decision.audit).toEqual({ action: 'service.end_period_end', targetType: 'order', targetId: 'o1', details: { reason: 'period_end', refund: false } });
    expectMoneyInvariants(state, decision);
  });

  it('period_end and cancelled: credit a paid next-period renewal back in full, referencing the invoice', () => {
    for (const reason of ['period_end', 'cancelled'] as const) {
      const state = view({ order: service(), invoice: renewal({ status: 'paid', paidAmount: '29.97' }) });
      const decision = decide(state, end(reason));
      expect(decision.invoices).toEqual([]);
      expect(decision.ledger).toEqual([
        {
          id: 'id-1', type: 'refund', amount: '29.97', balanceBefore: '50.00', balanceAfter: '79.97', referenceId: 'inv1',
          description: 'renewal INV-2026-000042 was paid for a period of VPS S that will not start',
        },
      ]);
      const ended = onlyOrder(decision, 'update');
      expect(ended.status).toBe('completed');
      expect(decision.events).toEqual([
        {
          id: 'id-2', eventType: 'service_terminated', orderId: 'o1',
          payload: { order_id: 'o1', reason, why: reason === 'cancelled' ? 'it was cancelled' : 'it was cancelled at the end of its period', product_name: 'VPS S', credited: '29.97', customer_id: 'c1', at: NOW },
        },
      ]);
      expect(decision.result).toEqual({ order: ended, entries: decision.ledger, entry: decision.ledger[0] });
      expect(decision.audit.details).toEqual({ reason, refund: false, renewal_refunded: 'INV-2026-000042' });
      expect(decision.customer?.balance).toBe('79.97');
      expectMoneyInvariants(state, decision);
    }
  });

  it('does not credit a paid renewal of the current period, nor an invoice other than the one named', () => {
    const current = renewal({ status: 'paid', paidAmount: '29.97', renewal: { orderId: 'o1', periodStart: PERIOD_START, periodEnd: PERIOD_END } });
    const cases: Array<[AccountView, AccountCommand]> = [
      [view({ order: service(), invoice: current }), end('cancelled')],
      [view({ order: service(), invoice: renewal({ status: 'paid', paidAmount: '29.97' }) }), end('cancelled', 'inv2')],
      [view({ order: service(), invoice: renewal({ status: 'paid', paidAmount: '29.97' }) }), end('cancelled', null)],
      [view({ order: service(), invoice: renewal({ status: 'paid', paidAmount: '29.97', renewal: { orderId: 'o2', periodStart: PERIOD_END, periodEnd: NEXT_END } }) }), end('period_end')],
    ];
    for (const [state, command] of cases) {
      const decision = decide(state, command);
      expect(decision.ledger).toEqual([]);
      expect(decision.invoices).toEqual([]);
      expect(onlyOrder(decision, 'update').status).toBe('completed');
      expect(decision.events[0]?.payload).not.toHaveProperty('credited');
      expect(decision.result).toEqual({ order: decision.orders[0]!.row, entries: [] });
      expectMoneyInvariants(state, decision);
    }
  });

  it('cancelled with refund: credits the unused days of the period at its price (30.00, 10 of 30 days left → 10.00)', () => {
    const order30 = service({ periodStart: '2026-11-11T00:00:00Z', periodEnd: '2026-12-11T00:00:00Z', anchorDay: 11, periodPrice: '30.00' });
    const state = view({ order: order30 });
    const decision = decide(state, end('cancelled', null, true));
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'refund', amount: '10.00', balanceBefore: '50.00', balanceAfter: '60.00', referenceId: 'o1', description: 'unused part of VPS S (order o1) credited on cancellation' },
    ]);
    const ended = onlyOrder(decision, 'update');
    expect(ended).toEqual({ ...order30, status: 'completed', version: 5, updatedAt: NOW });
    expect(decision.events).toEqual([
      { id: 'id-2', eventType: 'service_terminated', orderId: 'o1', payload: { order_id: 'o1', reason: 'cancelled', why: 'it was cancelled', product_name: 'VPS S', credited: '10.00', customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.invoices).toEqual([]);
    expect(decision.result).toEqual({ order: ended, entries: decision.ledger, entry: decision.ledger[0] });
    expect(decision.audit).toEqual({ action: 'service.end_cancelled', targetType: 'order', targetId: 'o1', details: { reason: 'cancelled', refund: true, credit: '10.00' } });
    expectMoneyInvariants(state, decision);
  });

  it('credits back what was paid on a partly paid renewal it cancels, for every reason and for cancel_at_period_end', () => {
    const partly = renewal({ status: 'issued', paidAmount: '10.00' });
    for (const command of [end('unpaid'), end('cancelled'), end('period_end'), { type: 'cancel_at_period_end', orderId: 'o1', invoiceId: 'inv1' }] as AccountCommand[]) {
      const state = view({ order: service(), invoice: partly });
      const decision = decide(state, command);
      expect(decision.invoices.map((entry) => entry.row.status)).toEqual(['cancelled']);
      expect(decision.ledger.map((entry) => [entry.type, entry.amount, entry.referenceId])).toEqual([['refund', '10.00', 'inv1']]);
      expect(decision.customer?.balance).toBe('60.00');
      expectMoneyInvariants(state, decision);
    }
  });

  it('cancelled with refund while the current period is unpaid: cancels its renewal and credits no days (none were paid for)', () => {
    const current = renewal({ status: 'overdue', renewal: { orderId: 'o1', periodStart: PERIOD_START, periodEnd: PERIOD_END } });
    const state = view({ order: service({ status: 'suspended' }), invoice: current });
    const decision = decide(state, end('cancelled', 'inv1', true));
    expect(decision.invoices.map((entry) => [entry.row.id, entry.row.status, entry.expectedStatus])).toEqual([['inv1', 'cancelled', 'overdue']]);
    expect(decision.ledger).toEqual([]);
    expect(decision.audit.details).toMatchObject({ credit: '0.00' });
    expect(onlyOrder(decision, 'update').status).toBe('completed');
    expectMoneyInvariants(state, decision);
  });

  it('cancelled with refund: prorates the period price, not the order amount, rounding half-up', () => {
    // 9 of 30 days: 29.97 × 9 / 30 = 8.991 → 8.99 (the amount 99.00 is not used).
    const state = view({ order: service({ amount: '99.00', periodPrice: '29.97' }) });
    const decision = decide(state, end('cancelled', null, true));
    expect(decision.ledger.map((entry) => [entry.type, entry.amount, entry.referenceId])).toEqual([['refund', '8.99', 'o1']]);
    expect(decision.customer?.balance).toBe('58.99');
    expectMoneyInvariants(state, decision);
  });

  it('cancelled with refund and a paid next-period renewal: two credits chained, the prorated one first', () => {
    const order30 = service({ periodStart: '2026-11-11T00:00:00Z', periodEnd: '2026-12-11T00:00:00Z', anchorDay: 11, periodPrice: '30.00' });
    const paidNext = renewal({ status: 'paid', totalAmount: '30.00', paidAmount: '30.00', renewal: { orderId: 'o1', periodStart: '2026-12-11T00:00:00Z', periodEnd: '2027-01-11T00:00:00Z' } });
    const state = view({ order: order30, invoice: paidNext });
    const decision = decide(state, end('cancelled', 'inv1', true));
    expect(decision.ledger.map((entry) => [entry.id, entry.amount, entry.referenceId, entry.balanceBefore, entry.balanceAfter])).toEqual([
      ['id-1', '10.00', 'o1', '50.00', '60.00'],
      ['id-2', '30.00', 'inv1', '60.00', '90.00'],
    ]);
    expect(decision.result).toEqual({ order: decision.orders[0]!.row, entries: decision.ledger });
    expect(decision.events[0]?.payload.credited).toBe('40.00');
    expect(decision.audit.details).toEqual({ reason: 'cancelled', refund: true, credit: '10.00', renewal_refunded: 'INV-2026-000042' });
    expect(decision.customer?.balance).toBe('90.00');
    expectMoneyInvariants(state, decision);
  });

  it('cancelled with refund on the last day of the period credits nothing and writes no zero entry', () => {
    const state = view({ order: service({ periodStart: '2026-11-01T12:00:00Z', periodEnd: '2026-12-01T12:00:00Z', anchorDay: 1 }) });
    const decision = decide(state, end('cancelled', null, true));
    expect(decision.ledger).toEqual([]);
    expect(decision.audit.details).toEqual({ reason: 'cancelled', refund: true, credit: '0.00' });
    expect(decision.events[0]?.payload).not.toHaveProperty('credited');
    expect(onlyOrder(decision, 'update').status).toBe('completed');
    expectMoneyInvariants(state, decision);
  });

  it('cancelled with refund of a service without a period: failed_precondition, nothing to prorate', () => {
    const error = refusal(() => decide(view({ order: service({ periodStart: null, periodEnd: null, anchorDay: null }) }), end('cancelled', null, true)));
    expect([error.kind, error.reason]).toEqual(['failed_precondition', 'invalid_transition']);
  });

  it('cancelled: refuses a service that is not active or suspended with failed_precondition', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'active' && candidate !== 'suspended')) {
      const error = refusal(() => decide(view({ order: service({ status }), invoice: renewal() }), end('cancelled')));
      expect(error.kind).toBe('failed_precondition');
      expect(error.message).toBe(`order o1 is ${status}; only an active or suspended service can be cancelled`);
    }
  });
});

describe('cancel_at_period_end', () => {
  const command = (invoiceId: string | null = 'inv1'): AccountCommand => ({ type: 'cancel_at_period_end', orderId: 'o1', invoiceId });

  it('marks the service to end with its period, cancels its unpaid renewal and sends service_cancellation_scheduled', () => {
    const state = view({ order: service(), invoice: renewal({ status: 'overdue' }) });
    const decision = decide(state, command());
    const next = onlyOrder(decision, 'update');
    expect(next).toEqual({ ...service(), cancelAtPeriodEnd: true, version: 5, updatedAt: NOW });
    expect(decision.invoices).toEqual([{ row: { ...renewal({ status: 'cancelled' }), paidAt: null }, expectedStatus: 'overdue' }]);
    expect(decision.events).toEqual([
      {
        id: 'id-1', eventType: 'service_cancellation_scheduled', orderId: 'o1',
        payload: { order_id: 'o1', period_end: PERIOD_END, product_name: 'VPS S', cancelled_invoice_number: 'INV-2026-000042', customer_id: 'c1', at: NOW },
      },
    ]);
    expect(decision.ledger).toEqual([]);
    expect(decision.result).toEqual({ order: next });
    expect(decision.audit).toEqual({ action: 'service.cancel_at_period_end', targetType: 'order', targetId: 'o1', details: { period_end: PERIOD_END } });
    expectMoneyInvariants(state, decision);
  });

  it('without an unpaid renewal of its own: no invoice write and no invoice named in the event', () => {
    const cases: Array<[AccountView, AccountCommand]> = [
      [view({ order: service({ status: 'suspended' }) }), command(null)],
      [view({ order: service(), invoice: renewal({ status: 'paid', paidAmount: '29.97' }) }), command()],
      [view({ order: service(), invoice: renewal({ renewal: { orderId: 'o2', periodStart: PERIOD_END, periodEnd: NEXT_END } }) }), command()],
      [view({ order: service(), invoice: renewal() }), command('inv2')],
    ];
    for (const [state, cancel] of cases) {
      const decision = decide(state, cancel);
      expect(decision.invoices).toEqual([]);
      expect(onlyOrder(decision, 'update').cancelAtPeriodEnd).toBe(true);
      expect(decision.events.map((event) => [event.eventType, event.payload])).toEqual([
        ['service_cancellation_scheduled', { order_id: 'o1', period_end: PERIOD_END, product_name: 'VPS S', customer_id: 'c1', at: NOW }],
      ]);
      expectMoneyInvariants(state, decision);
    }
  });

  it('writes nothing on a repeat', () => {
    expectAlreadyDone(view({ order: service({ cancelAtPeriodEnd: true }), invoice: renewal() }), command());
  });

  it('refuses an order that is not a running service with failed_precondition', () => {
    for (const status of ALL_STATUSES.filter((candidate) => candidate !== 'active' && candidate !== 'suspended')) {
      const error = refusal(() => decide(view({ order: service({ status }) }), command()));
      expect(error.kind).toBe('failed_precondition');
      expect(error.message).toBe(`order o1 is ${status}; only an active or suspended service can be cancelled`);
    }
    const noPeriod = refusal(() => decide(view({ order: service({ periodStart: null, periodEnd: null, anchorDay: null }) }), command()));
    expect([noPeriod.kind, noPeriod.reason]).toEqual(['failed_precondition', 'invalid_transition']);
  });
});

describe('change_plan', () => {
  const bigger: OrderedSpec = { cpu_cores: 4, memory_gb: 8, region: 'eu' };
  const change = (overrides: Partial<Extract<AccountCommand, { type: 'change_plan' }>> = {}): AccountCommand => ({
    type: 'change_plan', orderId: 'o1', expectedVersion: 4, productId: 'prod2', productName: 'VPS M', serverSpec: bigger, newPeriodPrice: '59.99', renewalAmount: '55.00', ...overrides,
  });

  it('upgrades mid-period: credit 8.99 (29.97 × 9/30) then charge 18.00 (59.99 × 9/30), the order on the new plan', () => {
    const state = view({ order: service() });
    const decision = decide(state, change());
    expect(decision.ledger).toEqual([
      { id: 'id-1', type: 'refund', amount: '8.99', balanceBefore: '50.00', balanceAfter: '58.99', referenceId: 'o1', description: 'unused 9 of 30 days of VPS S (order o1)' },
      { id: 'id-2', type: 'payment', amount: '-18.00', balanceBefore: '58.99', balanceAfter: '40.99', referenceId: 'o1', description: '9 of 30 days of VPS M (order o1)' },
    ]);
    const next = onlyOrder(decision, 'update');
    expect(next).toEqual({
      ...service(), productId: 'prod2', productName: 'VPS M', serverSpec: bigger, renewalAmount: '55.00', periodPrice: '59.99', version: 5, updatedAt: NOW,
    });
    expect(decision.events).toEqual([
      { id: 'id-3', eventType: 'service_plan_changed', orderId: 'o1', payload: { order_id: 'o1', product_name: 'VPS M', credit: '8.99', charge: '18.00', net: '9.01', customer_id: 'c1', at: NOW } },
    ]);
    expect(decision.result).toEqual({ order: next, entries: decision.ledger });
    expect(decision.audit).toEqual({
      action: 'service.change_plan', targetType: 'order', targetId: 'o1',
      details: {
        from: { product_id: 'prod1', server_spec: { cpu_cores: 2, region: 'eu' } }, to: { product_id: 'prod2', server_spec: bigger },
        credit: '8.99', charge: '18.00', net: '9.01', remainingDays: 9, periodDays: 30,
      },
    });
    expect(decision.customer?.balance).toBe('40.99');
    expectMoneyInvariants(state, decision);
  });

  it('posts the credit before the charge: a balance covering only the net (9.01) is enough', () => {
    const state = view({ customer: customer({ balance: '9.01' }), order: service() });
    const decision = decide(state, change());
    expect(decision.ledger.map((entry) => [entry.amount, entry.balanceBefore, entry.balanceAfter])).toEqual([['8.99', '9.01', '18.00'], ['-18.00', '18.00', '0.00']]);
    expect(decision.customer?.balance).toBe('0.00');
    expectMoneyInvariants(state, decision);
  });

  it('counts the credit limit: zero balance and a 9.01 limit covers the net, down to -9.01', () => {
    const state = view({ customer: customer({ balance: '0.00', creditLimit: '9.01' }), order: service() });
    const decision = decide(state, change());
    expect(decision.customer?.balance).toBe('-9.01');
    expectMoneyInvariants(state, decision);
  });

  it('refuses with insufficient_funds when balance + credit cannot cover the charge (one cent short)', () => {
    for (const state of [view({ customer: customer({ balance: '9.00' }), order: service() }), view({ customer: customer({ balance: '0.00', creditLimit: '9.00' }), order: service() })]) {
      const error = refusal(() => decide(state, change()));
      expect([error.kind, error.reason]).toEqual(['failed_precondition', 'insufficient_funds']);
    }
  });

  it('downgrades with net money back: credit 8.99, charge 3.00 (10.00 × 9/30), net -5.99', () => {
    const state = view({ order: service() });
    const decision = decide(state, change({ productId: 'prod0', productName: 'VPS XS', newPeriodPrice: '10.00', renewalAmount: '10.00' }));
    expect(decision.ledger.map((entry) => [entry.type, entry.amount, entry.balanceAfter])).toEqual([['refund', '8.99', '58.99'], ['payment', '-3.00', '55.99']]);
    expect(decision.events[0]?.payload).toMatchObject({ credit: '8.99', charge: '3.00', net: '-5.99' });
    expect(onlyOrder(decision, 'update')).toMatchObject({ productId: 'prod0', productName: 'VPS XS', periodPrice: '10.00', renewalAmount: '10.00', version: 5 });
    expect(decision.customer?.balance).toBe('55.99');
    expectMoneyInvariants(state, decision);
  });

  it('to a free plan writes only the credit; stores the new period price in wire form', () => {
    const state = view({ order: service() });
    const free = decide(state, change({ newPeriodPrice: '0', renewalAmount: '0.00' }));
    expect(free.ledger.map((entry) => [entry.type, entry.amount])).toEqual([['refund', '8.99']]);
    expect(onlyOrder(free, 'update').periodPrice).toBe('0.00');
    expectMoneyInvariants(state, free);
    const unrounded = decide(state, change({ newPeriodPrice: '59.9' }));
    expect(onlyOrder(unrounded, 'update').periodPrice).toBe('59.90');
    expect(unrounded.ledger.map((entry) => entry.amount)).toEqual(['8.99', '-17.97']);
    expectMoneyInvariants(state, unrounded);
  });

  it('prorates the order amount when the service has no period price', () => {
    const state = view({ order: service({ periodPrice: null, amount: '30.00' }) });
    const decision = decide(state, change({ newPeriodPrice: '60.00' }));
    expect(decision.ledger.map((entry) => entry.amount)).toEqual(['9.00', '-18.00']);
    expectMoneyInvariants(state, decision);
  });

  it('refuses a stale expected version with failed_precondition / stale_order', () => {
    for (const expectedVersion of [3, 5]) {
      const error = refusal(() => decide(view({ order: service() }), change({ expectedVersion })));
      expect([error.kind, error.reason]).toEqual(['failed_precondition', 'stale_order']);
    }
  });

  it('refuses a suspended service, one cancelled at its period end, and one not running', () => {
    const suspended = refusal(() => decide(view({ order: service({ status: 'suspended' }) }), change()));
    expect(suspended.kind).toBe('failed_precondition');
    expect(suspended.message).toBe('order o1 is suspended; only an active service can change plan (pay its overdue invoice first)');
    const ending = refusal(() => decide(view({ order: service({ cancelAtPeriodEnd: true }) }), change()));
    expect(ending.kind).toBe('failed_precondition');
    expect(ending.message).toBe('order o1 is cancelled at the end of its period; it cannot change plan');
    for (const status of ['pending', 'paid', 'completed', 'cancelled'] as const) {
      expect(refusal(() => decide(view({ order: service({ status }) }), change())).message).toBe(`order o1 is ${status}; only an active service can change plan`);
    }
  });
});

describe('create_order with a promotion', () => {
  const newOrder: NewOrder = {
    id: 'o1', customerId: 'c1', productId: 'prod1', productName: 'VPS S', providerInterfaceId: 'prov1', serverSpec: { cpu_cores: 2, region: 'eu' },
    amount: '24.97', currency: 'USD', billingCycle: 'monthly', gatewayInterfaceId: null, notes: '', promotionCode: 'WELCOME5', discountAmount: '5.00', renewalAmount: '29.97',
  };
  const promotion = { id: 'promo1', code: 'WELCOME5', discount: '5.00' };

  it('records one redemption for the new order and names the code in the audit', () => {
    const state = view();
    const decision = decide(state, { type: 'create_order', order: newOrder, payFromBalance: false, promotion });
    expect(decision.redemptions).toEqual([{ id: 'id-1', promotionId: 'promo1', orderId: 'o1', discountAmount: '5.00' }]);
    expect(onlyOrder(decision, 'insert')).toMatchObject({ status: 'pending', promotionCode: 'WELCOME5', discountAmount: '5.00', renewalAmount: '29.97', amount: '24.97' });
    expect(decision.audit).toEqual({ action: 'order.create', targetType: 'order', targetId: 'o1', details: { amount: '24.97', product_id: 'prod1', promotion_code: 'WELCOME5' } });
    expect(decision.ledger).toEqual([]);
    expectMoneyInvariants(state, decision);
  });

  it('paid from the balance: the redemption, the discounted debit and the paid order together', () => {
    const state = view();
    const decision = decide(state, { type: 'create_order', order: newOrder, payFromBalance: true, promotion });
    // id-1: the redemption, id-2: the payment, id-3: the ledger entry.
    expect(decision.redemptions).toEqual([{ id: 'id-1', promotionId: 'promo1', orderId: 'o1', discountAmount: '5.00' }]);
    expect(decision.ledger.map((entry) => [entry.id, entry.amount, entry.balanceAfter])).toEqual([['id-3', '-24.97', '25.03']]);
    expect(onlyOrder(decision, 'insert').status).toBe('paid');
    expect(decision.audit.details).toEqual({ amount: '24.97', product_id: 'prod1', promotion_code: 'WELCOME5' });
    expectMoneyInvariants(state, decision);
  });

  it('without a promotion: no redemption and no code in the audit', () => {
    const { promotionCode: _code, discountAmount: _discount, ...plain } = newOrder;
    const state = view();
    const decision = decide(state, { type: 'create_order', order: plain, payFromBalance: false });
    expect(decision.redemptions).toEqual([]);
    expect(decision.audit.details).toEqual({ amount: '24.97', product_id: 'prod1' });
    expect(onlyOrder(decision, 'insert')).toMatchObject({ promotionCode: null, discountAmount: '0.00' });
    expectMoneyInvariants(state, decision);
  });
});
