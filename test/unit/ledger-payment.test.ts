import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { refusal } from '../support/refusal.ts';
import { LEDGER_TYPES, post } from '../../src/domain/ledger/ledger.ts';
import { checkSettlement, isPaymentStatus, PAYMENT_STATUSES, refundAmount, refunded, type PaymentState } from '../../src/domain/payments/payment.ts';

const NOW = '2026-12-01T10:00:00Z';

function entry(amount: string) {
  return { id: 'e1', type: 'adjustment' as const, amount, referenceId: 'ref', description: 'test' };
}

function payment(overrides: Partial<PaymentState> = {}): PaymentState {
  return {
    id: 'pay1', customerId: 'c1', kind: 'order', orderId: 'o1', invoiceId: null, amount: '100.00', refundedAmount: '0.00', currency: 'USD',
    gatewayInterfaceId: 'gw1', gatewayPaymentId: 'gwp1', gatewayTxId: 'tx1', status: 'success', paymentUrl: null, qrCode: null,
    instructions: null, returnUrl: null, paidAt: '2026-11-02T00:00:00Z', createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-02T00:00:00Z',
    ...overrides,
  };
}

describe('post: credits and debits', () => {
  it('credits a balance and gives the entry its balance before and after', () => {
    expect(post({ balance: '10.00', creditLimit: '0.00' }, entry('5.5'))).toEqual({
      entry: { id: 'e1', type: 'adjustment', amount: '5.50', balanceBefore: '10.00', balanceAfter: '15.50', referenceId: 'ref', description: 'test' },
      balance: '15.50',
    });
  });

  it('debits a balance that covers the amount', () => {
    const { entry: written, balance } = post({ balance: '10.00', creditLimit: '0.00' }, entry('-7.25'));
    expect(balance).toBe('2.75');
    expect(written).toMatchObject({ amount: '-7.25', balanceBefore: '10.00', balanceAfter: '2.75' });
  });

  it('formats stored amounts with two places', () => {
    const { entry: written, balance } = post({ balance: '10.5', creditLimit: '0' }, entry('-0.5'));
    expect(written).toMatchObject({ amount: '-0.50', balanceBefore: '10.50', balanceAfter: '10.00' });
    expect(balance).toBe('10.00');
  });

  it('keeps every ledger type and the reference as given', () => {
    expect([...LEDGER_TYPES]).toEqual(['recharge', 'payment', 'refund', 'adjustment']);
    for (const type of LEDGER_TYPES) {
      const { entry: written } = post({ balance: '0.00', creditLimit: '0.00' }, { id: `e-${type}`, type, amount: '1.00', referenceId: null, description: type });
      expect(written).toMatchObject({ id: `e-${type}`, type, referenceId: null, description: type });
    }
  });

  it('does not change the account it is given', () => {
    const account = { balance: '10.00', creditLimit: '5.00' };
    post(account, entry('-12.00'));
    expect(account).toEqual({ balance: '10.00', creditLimit: '5.00' });
  });

  it('balance_after is always balance_before + amount', () => {
    for (const [balance, amount] of [['0.00', '0.01'], ['-3.00', '2.99'], ['100.00', '-100.00'], ['0.10', '0.20'], ['1.01', '-0.02']]) {
      const { entry: written } = post({ balance, creditLimit: '1.00' }, entry(amount));
      expect(new Decimal(written.balanceBefore).plus(written.amount).equals(written.balanceAfter)).toBe(true);
      expect(written.balanceBefore).toBe(new Decimal(balance).toFixed(2));
    }
    expect(post({ balance: '0.10', creditLimit: '0.00' }, entry('0.20')).balance).toBe('0.30');
  });
});

describe('post: the credit limit floor', () => {
  it('lets a debit go into the credit down to exactly -credit_limit', () => {
    expect(post({ balance: '10.00', creditLimit: '20.00' }, entry('-30.00')).balance).toBe('-20.00');
    expect(post({ balance: '-19.99', creditLimit: '20.00' }, entry('-0.01')).balance).toBe('-20.00');
    expect(post({ balance: '10.00', creditLimit: '0.00' }, entry('-10.00')).balance).toBe('0.00');
  });

  it('refuses one cent below the floor: failed_precondition / insufficient_funds with the numbers', () => {
    const error = refusal(() => post({ balance: '10.00', creditLimit: '20.00' }, entry('-30.01')));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBe('insufficient_funds');
    expect(error.message).toBe('insufficient funds: 30.01 is needed but balance 10.00 plus credit limit 20.00 leaves 30.00');
  });

  it('refuses a debit with no credit limit as soon as the balance would go negative', () => {
    const error = refusal(() => post({ balance: '10.00', creditLimit: '0.00' }, entry('-10.01')));
    expect(error.reason).toBe('insufficient_funds');
    expect(error.message).toContain('leaves 10.00');
  });

  it('refuses any debit of a balance below the floor already (the credit limit was lowered), but accepts a credit', () => {
    const account = { balance: '-50.00', creditLimit: '20.00' };
    const error = refusal(() => post(account, entry('-0.01')));
    expect(error.reason).toBe('insufficient_funds');
    expect(error.message).toContain('leaves -30.00');
    expect(post(account, entry('10.00')).balance).toBe('-40.00');
  });
});

describe('post: zero', () => {
  it('refuses a zero amount in any spelling with invalid_argument', () => {
    for (const zero of ['0', '0.00', '-0', '-0.00']) {
      const error = refusal(() => post({ balance: '10.00', creditLimit: '0.00' }, entry(zero)));
      expect(error.kind).toBe('invalid_argument');
      expect(error.message).toMatch(/non-zero amount/);
    }
  });
});

describe('payment statuses', () => {
  it('are pending, success, failed and refunded', () => {
    expect([...PAYMENT_STATUSES]).toEqual(['pending', 'success', 'failed', 'refunded']);
    for (const status of PAYMENT_STATUSES) expect(isPaymentStatus(status)).toBe(true);
    for (const word of ['', 'paid', 'Success', 'cancelled']) expect(isPaymentStatus(word)).toBe(false);
  });
});

describe('checkSettlement', () => {
  const pending = payment({ status: 'pending', gatewayTxId: null, paidAt: null });

  it('accepts a pending payment with no amount reported, or the same amount in any spelling', () => {
    expect(() => checkSettlement(pending, null)).not.toThrow();
    expect(() => checkSettlement(pending, '100.00')).not.toThrow();
    expect(() => checkSettlement(pending, '100')).not.toThrow();
    expect(() => checkSettlement(pending, '100.0')).not.toThrow();
  });

  it('refuses a different amount: invalid_argument / amount_mismatch with both amounts', () => {
    for (const reported of ['99.99', '100.01', '0', '-100.00']) {
      const error = refusal(() => checkSettlement(pending, reported));
      expect(error.kind).toBe('invalid_argument');
      expect(error.reason).toBe('amount_mismatch');
    }
    expect(refusal(() => checkSettlement(pending, '99.9')).message).toBe('the gateway reports 99.90 paid for payment pay1, but it is for 100.00; refused');
  });

  it('answers already_exists / already_settled for a settled or refunded payment, whatever is reported', () => {
    for (const status of ['success', 'refunded'] as const) {
      for (const reported of [null, '100.00', '1.00']) {
        const error = refusal(() => checkSettlement(payment({ status }), reported));
        expect(error.kind).toBe('already_exists');
        expect(error.reason).toBe('already_settled');
        expect(error.message).toMatch(/already settled/);
      }
    }
  });

  it('refuses a failed payment with failed_precondition / invalid_transition', () => {
    const error = refusal(() => checkSettlement(payment({ status: 'failed' }), null));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBe('invalid_transition');
    expect(error.message).toBe('payment pay1 failed; it cannot be settled');
  });
});

describe('refundAmount', () => {
  it('takes everything that remains for an empty request', () => {
    expect(refundAmount(payment(), '')).toBe('100.00');
    expect(refundAmount(payment({ refundedAmount: '30.50' }), '')).toBe('69.50');
    expect(refundAmount(payment({ refundedAmount: '30.50' }), '   ')).toBe('69.50');
  });

  it('takes a part, or exactly what remains, formatted and trimmed', () => {
    expect(refundAmount(payment(), '10')).toBe('10.00');
    expect(refundAmount(payment(), ' 10.5 ')).toBe('10.50');
    expect(refundAmount(payment({ refundedAmount: '30.50' }), '69.50')).toBe('69.50');
    expect(refundAmount(payment(), '0.01')).toBe('0.01');
  });

  it('refuses more than remains with invalid_argument, naming the amounts', () => {
    const error = refusal(() => refundAmount(payment({ refundedAmount: '30.50' }), '69.51'));
    expect(error.kind).toBe('invalid_argument');
    expect(error.message).toBe('amount 69.51 is more than what remains to refund of payment pay1 (69.50 of 100.00)');
    expect(refusal(() => refundAmount(payment(), '100.01')).kind).toBe('invalid_argument');
  });

  it('refuses zero, negative and malformed amounts with invalid_argument naming the field', () => {
    for (const bad of ['0', '0.00', '-1', '-0.01', '1.234', 'abc', '1e2', '+5', 'NaN']) {
      const error = refusal(() => refundAmount(payment(), bad));
      expect(error.kind).toBe('invalid_argument');
      expect(error.message).toMatch(/^amount /);
    }
  });

  it('refuses a payment that is not successful: failed_precondition / invalid_transition', () => {
    for (const status of ['pending', 'failed', 'refunded'] as const) {
      const error = refusal(() => refundAmount(payment({ status }), ''));
      expect(error.kind).toBe('failed_precondition');
      expect(error.reason).toBe('invalid_transition');
      expect(error.message).toBe(`payment pay1 is ${status}; only a successful payment can be refunded`);
    }
  });

  it('refuses a successful payment refunded in full already', () => {
    const error = refusal(() => refundAmount(payment({ refundedAmount: '100.00' }), ''));
    expect(error.kind).toBe('failed_precondition');
    expect(error.reason).toBe('invalid_transition');
    expect(error.message).toMatch(/refunded in full already/);
  });
});

describe('refunded', () => {
  it('keeps a partly refunded payment successful and adds up the refunds', () => {
    const once = refunded(payment(), '30.00', NOW);
    expect(once).toEqual({ ...payment(), refundedAmount: '30.00', status: 'success', updatedAt: NOW });
    const twice = refunded(once, '69.99', NOW);
    expect(twice.refundedAmount).toBe('99.99');
    expect(twice.status).toBe('success');
  });

  it('marks the payment refunded once the refunds reach the amount', () => {
    expect(refunded(payment({ refundedAmount: '30.00' }), '70', NOW)).toEqual({ ...payment(), refundedAmount: '100.00', status: 'refunded', updatedAt: NOW });
    expect(refunded(payment(), '100.00', NOW).status).toBe('refunded');
  });

  it('does not change the payment it is given', () => {
    const before = payment();
    refunded(before, '100.00', NOW);
    expect(before).toEqual(payment());
  });
});
