import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  canTransition, checkManualTransition, holdsMoney, isOrderStatus, MANUAL_TRANSITIONS, ORDER_STATUSES, PAID_STATUSES, transition,
  type OrderState, type OrderStatus,
} from '../../src/domain/orders/order.ts';
import { orderPrice } from '../../src/domain/orders/pricing.ts';

const NOW = '2026-12-01T10:00:00Z';

function order(status: OrderStatus): OrderState {
  return {
    id: 'o1', customerId: 'c1', productId: 'p1', productName: 'VPS S', providerInterfaceId: 'prov1', providerInstanceId: null,
    serverSpec: { cpu_cores: 2 }, status, amount: '29.97', currency: 'USD', billingCycle: 'quarterly', gatewayInterfaceId: null,
    gatewayPaymentId: null, notes: '', paidAt: null,
    periodStart: null, periodEnd: null, anchorDay: null, cancelAtPeriodEnd: false, renewalAmount: null, periodPrice: null, promotionCode: null, discountAmount: '0.00', taxAmount: '0.00', version: 4, createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z',
  };
}

/** The system machine, written out independently of the source: every pair not listed is refused. */
const SYSTEM: Record<OrderStatus, OrderStatus[]> = {
  pending: ['paid', 'cancelled'],
  paid: ['provisioning', 'active', 'cancelled', 'refunded'],
  provisioning: ['active', 'cancelled', 'refunded'],
  active: ['suspended', 'completed', 'refunded', 'cancelled'],
  suspended: ['active', 'completed', 'refunded', 'cancelled'],
  cancelled: [],
  refunded: [],
  completed: ['refunded'],
};

/** What an admin may do by hand (UpdateOrder). */
const MANUAL: Record<OrderStatus, OrderStatus[]> = {
  pending: ['cancelled'],
  paid: ['provisioning', 'active'],
  provisioning: ['active'],
  active: ['suspended', 'completed'],
  suspended: ['active', 'completed'],
  cancelled: [],
  refunded: [],
  completed: [],
};

const ALL: OrderStatus[] = ['pending', 'paid', 'provisioning', 'active', 'cancelled', 'suspended', 'refunded', 'completed'];

describe('order statuses', () => {
  it('are the eight statuses of the spec', () => {
    expect([...ORDER_STATUSES]).toEqual(ALL);
  });

  it('isOrderStatus accepts exactly those', () => {
    for (const status of ALL) expect(isOrderStatus(status)).toBe(true);
    for (const word of ['', 'Paid', 'PENDING', 'deleted', ' paid', 'failed', 'success']) expect(isOrderStatus(word)).toBe(false);
  });
});

describe('the system status machine (canTransition)', () => {
  it('allows exactly the listed transitions, for every pair of statuses', () => {
    for (const from of ALL) {
      for (const to of ALL) expect({ from, to, ok: canTransition(from, to) }).toEqual({ from, to, ok: SYSTEM[from].includes(to) });
    }
  });

  it('has cancelled and refunded as final statuses, completed only going on to refunded, and never stays in place', () => {
    for (const final of ['cancelled', 'refunded'] as const) for (const to of ALL) expect(canTransition(final, to)).toBe(false);
    expect(ALL.filter((to) => canTransition('completed', to))).toEqual(['refunded']);
    for (const status of ALL) expect(canTransition(status, status)).toBe(false);
  });

  it('never goes back to pending, and only a pending order becomes paid', () => {
    for (const from of ALL) expect(canTransition(from, 'pending')).toBe(false);
    expect(ALL.filter((from) => canTransition(from, 'paid'))).toEqual(['pending']);
  });
});

describe('transition', () => {
  it('moves the order, bumps the version by one and stamps the time, without touching the input', () => {
    const before = order('paid');
    const snapshot = structuredClone(before);
    const after = transition(before, 'provisioning', NOW);
    expect(after).toEqual({ ...snapshot, status: 'provisioning', version: 5, updatedAt: NOW });
    expect(before).toEqual(snapshot);
    expect(after).not.toBe(before);
  });

  it('makes every transition of the machine', () => {
    for (const from of ALL) for (const to of SYSTEM[from]) expect(transition(order(from), to, NOW).status).toBe(to);
  });

  it('refuses every other pair with failed_precondition / invalid_transition, naming both statuses', () => {
    for (const from of ALL) {
      for (const to of ALL.filter((candidate) => !SYSTEM[from].includes(candidate))) {
        const error = refusal(() => transition(order(from), to, NOW));
        expect(error.kind).toBe('failed_precondition');
        expect(error.reason).toBe('invalid_transition');
        expect(error.message).toBe(`order o1 is ${from}; it cannot become ${to}`);
      }
    }
  });
});

describe('checkManualTransition (UpdateOrder)', () => {
  it('allows exactly the manual transitions, and staying in place', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        const allowed = from === to || MANUAL[from].includes(to);
        if (allowed) expect(() => checkManualTransition(from, to)).not.toThrow();
        else expect({ from, to, kind: refusal(() => checkManualTransition(from, to)).kind }).toEqual({ from, to, kind: 'invalid_argument' });
      }
    }
  });

  it('matches the exported table, which is a part of the system machine', () => {
    for (const from of ALL) {
      expect([...MANUAL_TRANSITIONS[from]].sort()).toEqual([...MANUAL[from]].sort());
      for (const to of MANUAL_TRANSITIONS[from]) expect(canTransition(from, to)).toBe(true);
    }
  });

  it('never lets an admin move money by hand: paid, refunded, or cancelling a paid order', () => {
    for (const from of ALL) {
      if (from !== 'paid') expect(refusal(() => checkManualTransition(from, 'paid')).reason).toBe('invalid_transition');
      if (from !== 'refunded') expect(refusal(() => checkManualTransition(from, 'refunded')).reason).toBe('invalid_transition');
    }
    for (const from of ['paid', 'provisioning', 'active', 'suspended'] as const) {
      expect(refusal(() => checkManualTransition(from, 'cancelled')).reason).toBe('invalid_transition');
    }
  });

  it('names the transition, the allowed targets and a hint at the command that does it', () => {
    expect(refusal(() => checkManualTransition('pending', 'paid')).message).toBe(
      'an order cannot go from "pending" to "paid" (pay it with PayOrder); from "pending" an order may go to "cancelled"',
    );
    expect(refusal(() => checkManualTransition('active', 'refunded')).message).toBe(
      'an order cannot go from "active" to "refunded" (refund its payment with RefundPayment); from "active" an order may go to "suspended", "completed"',
    );
    expect(refusal(() => checkManualTransition('paid', 'cancelled')).message).toContain('(refund its payment with RefundPayment)');
    expect(refusal(() => checkManualTransition('provisioning', 'suspended')).message).toBe(
      'an order cannot go from "provisioning" to "suspended"; from "provisioning" an order may go to "active"',
    );
  });

  it('says a final status is final', () => {
    for (const final of ['cancelled', 'refunded', 'completed'] as const) {
      expect(refusal(() => checkManualTransition(final, 'active')).message).toMatch(new RegExp(`; "${final}" is final$`));
    }
    expect(refusal(() => checkManualTransition('cancelled', 'pending')).message).not.toContain('RefundPayment');
  });
});

describe('holdsMoney', () => {
  it('is true for a paid order not given back and for a refunded one, false for pending and cancelled', () => {
    expect(ALL.filter(holdsMoney)).toEqual(['paid', 'provisioning', 'active', 'suspended', 'refunded', 'completed']);
    expect(holdsMoney('pending')).toBe(false);
    expect(holdsMoney('cancelled')).toBe(false);
  });

  it('PAID_STATUSES are the paid statuses without refunded', () => {
    expect([...PAID_STATUSES]).toEqual(['paid', 'provisioning', 'active', 'suspended', 'completed']);
  });
});

describe('orderPrice', () => {
  const product = { pricePerMonth: '9.99', billingCycles: { monthly: '9.99', quarterly: '27.00', yearly: '99.00' } };

  it('takes the listed price of the cycle', () => {
    expect(orderPrice(product, 'quarterly')).toBe('27.00');
    expect(orderPrice(product, 'yearly')).toBe('99.00');
    expect(orderPrice(product, 'monthly')).toBe('9.99');
  });

  it('falls back to the monthly price times the months of the cycle', () => {
    const monthlyOnly = { pricePerMonth: '9.99', billingCycles: { monthly: '9.99' } };
    expect(orderPrice(monthlyOnly, 'quarterly')).toBe('29.97');
    expect(orderPrice(monthlyOnly, 'yearly')).toBe('119.88');
    expect(orderPrice({ pricePerMonth: '9.99', billingCycles: {} }, 'monthly')).toBe('9.99');
    expect(orderPrice({ pricePerMonth: '9.99', billingCycles: { yearly: '100' } }, 'quarterly')).toBe('29.97');
  });

  it('always charges price_per_month for the monthly cycle', () => {
    expect(orderPrice({ pricePerMonth: '12.00', billingCycles: { monthly: '5.00' } }, 'monthly')).toBe('12.00');
  });

  it('ignores keys that are not cycles and formats with two places', () => {
    expect(orderPrice({ pricePerMonth: '10', billingCycles: { weekly: '1.00', Quarterly: '2.00' } }, 'quarterly')).toBe('30.00');
    expect(orderPrice({ pricePerMonth: '0', billingCycles: {} }, 'yearly')).toBe('0.00');
    expect(orderPrice({ pricePerMonth: '10', billingCycles: { yearly: '100.5' } }, 'yearly')).toBe('100.50');
  });

  it('computes in decimals, not floating point', () => {
    // 0.1 × 3 is 0.30000000000000004 in floating point; 33.33 × 3 must be exactly 99.99.
    expect(orderPrice({ pricePerMonth: '0.10', billingCycles: {} }, 'quarterly')).toBe('0.30');
    expect(orderPrice({ pricePerMonth: '33.33', billingCycles: {} }, 'quarterly')).toBe('99.99');
    expect(orderPrice({ pricePerMonth: '9999999.99', billingCycles: {} }, 'yearly')).toBe('119999999.88');
  });
});
