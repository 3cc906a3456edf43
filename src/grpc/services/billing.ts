import type { MessageInitShape } from '@bufbuild/protobuf';
import type { InvoiceBilling, InvoiceView } from '../../application/billing/invoices.ts';
import { parseBillingPeriod, parseDate, parseInvoiceStatus } from '../../domain/billing/invoice.ts';
import { moneyOf } from '../../domain/money.ts';
import { BillingService, type InvoiceInfoSchema } from '../../gen/rustbill/billing_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import { scopedCustomerId } from '../authz.ts';
import { optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/** `InvoiceInfo` of an invoice with its items: money with two decimals, times RFC3339, '' for none (a draft's number too). */
export function invoiceInfo(view: InvoiceView): MessageInitShape<typeof InvoiceInfoSchema> {
  const { invoice } = view;
  return {
    id: invoice.id,
    invoiceNumber: invoice.invoiceNumber ?? '',
    customerId: invoice.customerId,
    billingPeriodStart: invoice.billingPeriodStart,
    billingPeriodEnd: invoice.billingPeriodEnd,
    amount: moneyOf(invoice.amount),
    taxAmount: moneyOf(invoice.taxAmount),
    totalAmount: moneyOf(invoice.totalAmount),
    status: invoice.status,
    issuedAt: invoice.issuedAt ? rfc3339(invoice.issuedAt) : '',
    paidAt: invoice.paidAt ? rfc3339(invoice.paidAt) : '',
    dueDate: invoice.dueDate ?? '',
    notes: invoice.notes,
    createdAt: rfc3339(invoice.createdAt),
    updatedAt: rfc3339(invoice.updatedAt),
    source: invoice.source,
    // A renewal invoice's one line names the order it renews.
    renewalOrderId: invoice.source === 'renewal' ? (view.items[0]?.orderId ?? '') : '',
    items: view.items.map((item) => ({
      id: item.id, description: item.description, quantity: item.quantity, unitPrice: moneyOf(item.unitPrice), amount: moneyOf(item.amount),
    })),
  };
}

/**
 * BillingService, all 6 RPCs (rustbill-docs.md BillingService): invoices with line items, the
 * status machine, and the billing run. Customers and API keys see only their own invoices (another
 * customer's answers NotFound, as a missing one does); every change is for admins and audited.
 * @param options.dueDays `[billing] due_days`: generated invoices are due this many days after issue
 */
export function billingHandlers(billing: InvoiceBilling, options: { dueDays: number }): ServiceHandlers<typeof BillingService> {
  return {
    async createInvoice(request, call) {
      const customerId = uuidField('customer_id', request.customerId);
      const period = parseBillingPeriod(request.billingPeriodStart, request.billingPeriodEnd);
      const dueDate = parseDate('due_date', request.dueDate);
      const created = await billing.create(call, {
        customerId, period, dueDate, amount: request.amount, taxAmount: request.taxAmount, totalAmount: request.totalAmount, notes: request.notes,
        items: request.items.map((item) => ({ description: item.description, quantity: item.quantity, unitPrice: item.unitPrice, amount: item.amount })),
      });
      return { invoice: invoiceInfo(created) };
    },

    async listInvoices(request, call) {
      const page = resolvePage(request.pagination);
      const customerId = optionalUuidField('customer_id', scopedCustomerId(call.caller, request.customerId));
      const status = request.status === undefined || request.status === '' ? undefined : parseInvoiceStatus('status', request.status);
      const { invoices, total } = await billing.list({ ...(customerId ? { customerId } : {}), ...(status ? { status } : {}) }, page);
      return { invoices: invoices.map(invoiceInfo), meta: pageMeta(page, total) };
    },

    async getInvoice(request, call) {
      return { invoice: invoiceInfo(await billing.get(uuidField('id', request.id), scopedCustomerId(call.caller, undefined))) };
    },

    async updateInvoice(request, call) {
      const id = uuidField('id', request.id);
      const status = request.status === undefined || request.status === '' ? undefined : parseInvoiceStatus('status', request.status);
      const updated = await billing.update(call, id, { ...(status ? { status } : {}), ...(request.notes !== undefined ? { notes: request.notes } : {}) });
      return { invoice: invoiceInfo(updated) };
    },

    async deleteInvoice(request, call) {
      await billing.remove(call, uuidField('id', request.id));
      return {};
    },

    async generateInvoices(request, call) {
      const period = parseBillingPeriod(request.billingPeriodStart, request.billingPeriodEnd);
      const { generatedCount } = await billing.generate(call, period, { dueDays: options.dueDays });
      return { generatedCount };
    },
  };
}
