import { describe, expect, it } from 'vitest';
import {
  addDays, checkInvoiceAmounts, formatInvoiceNumber, generatedInvoiceAmounts, INVOICE_STATUSES, invoiceDeletionRefusal,
  invoiceTransitionRefusal, parseBillingPeriod, parseDate, parseInvoiceNumber, parseInvoiceStatus, previousMonth, type InvoiceStatus,
} from '../../src/domain/billing/invoice.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { drawableText } from '../../src/application/billing/invoice-pdf.ts';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

const item = { description: 'VPS-1C2G monthly', quantity: 2, unitPrice: '50.00', amount: '100.00' };

describe('the status machine', () => {
  const allowedByAdmin: Array<[InvoiceStatus, InvoiceStatus]> = [
    ['draft', 'issued'], ['issued', 'overdue'], ['issued', 'cancelled'], ['overdue', 'cancelled'],
  ];

  it('lets an admin make exactly the manual transitions, and nothing else', () => {
    for (const from of INVOICE_STATUSES) {
      for (const to of INVOICE_STATUSES) {
        const result = invoiceTransitionRefusal(from, to, 'admin');
        const allowed = from === to || allowedByAdmin.some(([a, b]) => a === from && b === to);
        expect(result === null, `${from} → ${to}`).toBe(allowed);
      }
    }
  });

  it('refuses paid by hand with FailedPrecondition, but lets a payment make it', () => {
    for (const from of ['issued', 'overdue'] as const) {
      const refused = invoiceTransitionRefusal(from, 'paid', 'admin');
      expect(refused?.kind).toBe('failed_precondition');
      expect(refused?.message).toMatch(/PaymentService or the balance/);
      expect(invoiceTransitionRefusal(from, 'paid', 'payment')).toBeNull();
    }
  });

  it('names the refused transition in an InvalidArgument', () => {
    const refused = invoiceTransitionRefusal('paid', 'issued', 'admin');
    expect(refused?.kind).toBe('invalid_argument');
    expect(refused?.reason).toBe('invalid_transition');
    expect(refused?.message).toContain('from paid to issued');
    expect(invoiceTransitionRefusal('draft', 'paid', 'admin')?.kind).toBe('invalid_argument');
    expect(invoiceTransitionRefusal('draft', 'cancelled', 'admin')?.message).toContain('from draft only to issued');
  });

  it('lets the overdue job only turn issued into overdue', () => {
    expect(invoiceTransitionRefusal('issued', 'overdue', 'overdue_job')).toBeNull();
    expect(invoiceTransitionRefusal('draft', 'overdue', 'overdue_job')?.kind).toBe('invalid_argument');
    expect(invoiceTransitionRefusal('issued', 'cancelled', 'overdue_job')?.kind).toBe('invalid_argument');
  });

  it('deletes drafts only', () => {
    expect(invoiceDeletionRefusal('draft')).toBeNull();
    for (const status of ['issued', 'paid', 'overdue', 'cancelled'] as const) expect(invoiceDeletionRefusal(status)?.kind).toBe('failed_precondition');
  });

  it('parses statuses, naming the field', () => {
    expect(parseInvoiceStatus('status', 'issued')).toBe('issued');
    expect(refusal(() => parseInvoiceStatus('status', 'ISSUED')).message).toMatch(/^status must be one of draft, issued/);
  });
});

describe('amounts', () => {
  it('accepts items, subtotal and total that agree, in wire form', () => {
    const checked = checkInvoiceAmounts({ amount: '100', taxAmount: '13.0', totalAmount: '113.00', items: [item] });
    expect(checked).toEqual({ lines: [{ ...item }], amount: '100.00', taxAmount: '13.00', totalAmount: '113.00' });
  });

  it('sums several items, discounts included', () => {
    const checked = checkInvoiceAmounts({
      amount: '95.50', taxAmount: '0', totalAmount: '95.50',
      items: [item, { description: 'discount', quantity: 1, unitPrice: '-4.50', amount: '-4.50' }],
    });
    expect(checked.amount).toBe('95.50');
    expect(checked.lines[1]?.amount).toBe('-4.50');
  });

  it('refuses an item whose amount is not quantity × unit_price, naming it', () => {
    const error = refusal(() => checkInvoiceAmounts({ amount: '100.00', taxAmount: '0', totalAmount: '100.00', items: [{ ...item, amount: '99.99' }] }));
    expect(error.kind).toBe('invalid_argument');
    expect(error.message).toContain('items[0].amount 99.99 disagrees with quantity × unit_price = 2 × 50.00 = 100.00');
  });

  it('refuses a subtotal that is not the sum of the items', () => {
    expect(refusal(() => checkInvoiceAmounts({ amount: '90.00', taxAmount: '0', totalAmount: '90.00', items: [item] })).message)
      .toBe('amount 90.00 disagrees with the sum of items[].amount = 100.00');
  });

  it('refuses a total that is not amount + tax', () => {
    expect(refusal(() => checkInvoiceAmounts({ amount: '100.00', taxAmount: '13.00', totalAmount: '100.00', items: [item] })).message)
      .toBe('total_amount 100.00 disagrees with amount + tax_amount = 100.00 + 13.00 = 113.00');
  });

  it('refuses bad money, negative tax, no items, empty descriptions and huge quantities', () => {
    expect(refusal(() => checkInvoiceAmounts({ amount: '1.005', taxAmount: '0', totalAmount: '1.00', items: [item] })).message).toMatch(/^amount must be a decimal/);
    expect(refusal(() => checkInvoiceAmounts({ amount: '100.00', taxAmount: '-1.00', totalAmount: '99.00', items: [item] })).message).toMatch(/^tax_amount must not be negative/);
    expect(refusal(() => checkInvoiceAmounts({ amount: '0', taxAmount: '0', totalAmount: '0', items: [] })).message).toMatch(/^items: /);
    expect(refusal(() => checkInvoiceAmounts({ amount: '100.00', taxAmount: '0', totalAmount: '100.00', items: [{ ...item, description: ' ' }] })).message).toBe('items[0].description is required');
    expect(refusal(() => checkInvoiceAmounts({ amount: '0', taxAmount: '0', totalAmount: '0', items: [{ ...item, quantity: 2 ** 31, unitPrice: '0', amount: '0' }] })).message).toMatch(/^items\[0\]\.quantity/);
    expect(refusal(() => checkInvoiceAmounts({ amount: '0', taxAmount: '0', totalAmount: '0', items: [{ ...item, unitPrice: 'abc' }] })).message).toMatch(/^items\[0\]\.unit_price/);
  });

  it('makes a generated invoice of orders: one line each, no tax, total = sum', () => {
    const amounts = generatedInvoiceAmounts([
      { id: 'o1', productName: 'VPS 云服务器', billingCycle: 'monthly', amount: '10.10' },
      { id: 'o2', productName: '', billingCycle: 'yearly', amount: '0.20' },
    ]);
    expect(amounts.amount).toBe('10.30');
    expect(amounts.totalAmount).toBe('10.30');
    expect(amounts.taxAmount).toBe('0.00');
    expect(amounts.lines).toEqual([
      { description: 'VPS 云服务器 (monthly) — order o1', quantity: 1, unitPrice: '10.10', amount: '10.10' },
      { description: 'Order (yearly) — order o2', quantity: 1, unitPrice: '0.20', amount: '0.20' },
    ]);
  });

  it('shows the tax included in taxed orders: lines without it, tax_amount its sum, total what the orders cost', () => {
    const amounts = generatedInvoiceAmounts([
      { id: 'o1', productName: 'VPS', billingCycle: 'monthly', amount: '23.80', taxAmount: '3.80' },
      { id: 'o2', productName: 'VPS', billingCycle: 'monthly', amount: '18.00', taxAmount: '0.00', promotion: { code: 'WELCOME10', discount: '2.00' } },
    ]);
    expect(amounts).toMatchObject({ amount: '38.00', taxAmount: '3.80', totalAmount: '41.80' });
    expect(amounts.lines.map((line) => line.amount)).toEqual(['20.00', '18.00']);
    expect(amounts.lines.map((line) => line.description)).toEqual(['VPS (monthly) — order o1', 'VPS (monthly) — order o2 · promotion WELCOME10 −2.00']);
  });
});

describe('numbers', () => {
  it('are INV-<year>-<6 digits>', () => {
    expect(formatInvoiceNumber(2024, 1)).toBe('INV-2024-000001');
    expect(formatInvoiceNumber(2026, 999_999)).toBe('INV-2026-999999');
    expect(parseInvoiceNumber('INV-2024-000042')).toEqual({ year: 2024, sequence: 42 });
    expect(parseInvoiceNumber('INV-2024-42')).toBeNull();
    expect(parseInvoiceNumber('INV-2024-000000')).toBeNull();
  });

  it('run out after 999999 in a year', () => {
    expect(refusal(() => formatInvoiceNumber(2024, 1_000_000)).kind).toBe('failed_precondition');
    expect(() => formatInvoiceNumber(2024, 0)).toThrow();
    expect(() => formatInvoiceNumber(1999, 1)).toThrow();
  });
});

describe('dates and periods', () => {
  it('parses real calendar dates only', () => {
    expect(parseDate('due_date', '2024-02-29')).toBe('2024-02-29');
    expect(refusal(() => parseDate('due_date', '2023-02-29')).message).toMatch(/^due_date must be a date/);
    expect(refusal(() => parseDate('due_date', '2024-1-5')).message).toMatch(/^due_date must be a date/);
    expect(refusal(() => parseDate('due_date', '')).message).toBe('due_date is required (YYYY-MM-DD)');
  });

  it('refuses a period that ends before it starts, naming both fields', () => {
    expect(parseBillingPeriod('2024-01-01', '2024-01-31')).toEqual({ start: '2024-01-01', end: '2024-01-31' });
    expect(parseBillingPeriod('2024-01-01', '2024-01-01').end).toBe('2024-01-01');
    expect(refusal(() => parseBillingPeriod('2024-02-01', '2024-01-31')).message).toBe('billing_period_end (2024-01-31) must not be before billing_period_start (2024-02-01)');
    expect(refusal(() => parseBillingPeriod('x', '2024-01-31')).message).toMatch(/^billing_period_start/);
  });

  it('knows the previous month (UTC) and adds days across months and years', () => {
    expect(previousMonth(new Date('2024-03-01T00:00:00Z'))).toEqual({ start: '2024-02-01', end: '2024-02-29' });
    expect(previousMonth(new Date('2025-01-15T23:59:59Z'))).toEqual({ start: '2024-12-01', end: '2024-12-31' });
    expect(previousMonth(new Date('2024-07-31T12:00:00Z'))).toEqual({ start: '2024-06-01', end: '2024-06-30' });
    expect(addDays('2024-12-25', 14)).toBe('2025-01-08');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });
});

describe('PDF text', () => {
  it('keeps what the standard fonts draw and replaces the rest with ?', () => {
    expect(drawableText('ACME Café – €10')).toBe('ACME Café – €10');
    expect(drawableText('张三 VPS')).toBe('?? VPS');
  });
});
