/**
 * An invoice as a PDF document (pdfkit), drawn from GetInvoice's data: number, status, customer,
 * billing period, dates, one row per line item (description, quantity, unit price, amount),
 * subtotal, tax, total, notes.
 *
 * Fonts: only the PDF standard fonts (Helvetica), nothing loaded from disk or network. They cover
 * the WinAnsi (Latin-1-like) characters; Chinese (and any other text outside WinAnsi) cannot be
 * drawn with them, so such characters are printed as `?` rather than as garbage glyphs — the
 * document is still produced and every number, amount and date in it is exact.
 */
import PDFDocument from 'pdfkit';
import { moneyOf } from '../../domain/money.ts';
import { rfc3339 } from '../../lib/time.ts';
import type { InvoiceView } from './invoices.ts';

/** Characters the standard fonts' WinAnsi encoding can draw (Latin-1 printable and the cp1252 extras). */
const WIN_ANSI_EXTRAS = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';

/** `text` with every character the standard fonts cannot draw replaced by `?`. Pure. */
export function drawableText(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const printable = (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.includes(char) || char === '\n';
    out += printable ? char : '?';
  }
  return out;
}

/**
 * Renders `view` for `customer` as a PDF (A4), resolving with its bytes (starting `%PDF-`).
 * Pure apart from pdfkit's in-memory stream; the creation date is the invoice's `updated_at`, so
 * the same invoice renders the same way.
 */
export function renderInvoicePdf(view: InvoiceView, customer: { name: string; email: string }): Promise<Buffer> {
  const { invoice, items } = view;
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 50,
      info: { Title: `Invoice ${invoice.invoiceNumber ?? '(draft)'}`, Creator: 'NodeBill', CreationDate: invoice.updatedAt },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    const text = (value: string): string => drawableText(value);

    doc.font('Helvetica-Bold').fontSize(20).text('INVOICE', { align: 'right' });
    doc.font('Helvetica').fontSize(11)
      .text(`Number: ${invoice.invoiceNumber ?? '(draft, numbered when issued)'}`, { align: 'right' })
      .text(`Status: ${invoice.status}`, { align: 'right' });
    doc.moveDown();
    doc.font('Helvetica-Bold').text('Bill to');
    doc.font('Helvetica').text(text(customer.name === '' ? invoice.customerId : customer.name));
    if (customer.email !== '') doc.text(text(customer.email));
    doc.text(`Customer id: ${invoice.customerId}`);
    doc.moveDown();
    doc.text(`Billing period: ${invoice.billingPeriodStart} to ${invoice.billingPeriodEnd}`);
    doc.text(`Issued: ${invoice.issuedAt ? rfc3339(invoice.issuedAt) : 'not yet'}`);
    doc.text(`Due: ${invoice.dueDate ?? '-'}`);
    if (invoice.paidAt) doc.text(`Paid: ${rfc3339(invoice.paidAt)}`);
    doc.moveDown();

    const columns = { description: 50, quantity: 330, unitPrice: 390, amount: 470 };
    const row = (cells: { description: string; quantity: string; unitPrice: string; amount: string }, bold = false): void => {
      const y = doc.y;
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
      doc.text(cells.description, columns.description, y, { width: 270 });
      const after = doc.y;
      doc.text(cells.quantity, columns.quantity, y, { width: 50, align: 'right' });
      doc.text(cells.unitPrice, columns.unitPrice, y, { width: 70, align: 'right' });
      doc.text(cells.amount, columns.amount, y, { width: 75, align: 'right' });
      doc.x = columns.description;
      doc.y = Math.max(after, doc.y) + 4;
    };
    row({ description: 'Description', quantity: 'Qty', unitPrice: 'Unit price', amount: 'Amount' }, true);
    for (const item of items) {
      row({ description: text(item.description), quantity: String(item.quantity), unitPrice: moneyOf(item.unitPrice), amount: moneyOf(item.amount) });
    }
    doc.moveDown();
    row({ description: '', quantity: '', unitPrice: 'Subtotal', amount: moneyOf(invoice.amount) });
    row({ description: '', quantity: '', unitPrice: 'Tax', amount: moneyOf(invoice.taxAmount) });
    row({ description: '', quantity: '', unitPrice: 'Total', amount: moneyOf(invoice.totalAmount) }, true);
    if (invoice.notes.trim() !== '') {
      doc.moveDown();
      doc.font('Helvetica-Bold').fontSize(10).text('Notes', columns.description);
      doc.font('Helvetica').text(text(invoice.notes), columns.description);
    }
    doc.end();
  });
}
