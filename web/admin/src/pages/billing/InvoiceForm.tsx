/**
 * A draft invoice made by hand (CreateInvoice): customer, period, due date, notes, line items and
 * the amounts. The server checks the money (each line's amount = quantity × unit price, subtotal =
 * Σ lines, total = subtotal + tax) and its message is shown beside the field it names; "Calculate"
 * fills subtotal and total from the lines in cents (never through a float).
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { CustomerPicker, fromCents, localProblem, toCents } from './common.tsx';
import './billing.css';
import './invoice-strings.ts';

interface ItemDraft { description: string; quantity: string; unitPrice: string; amount: string }

const EMPTY_ITEM: ItemDraft = { description: '', quantity: '1', unitPrice: '', amount: '' };

const FORM_FIELDS = ['customer_id', 'billing_period_start', 'billing_period_end', 'due_date', 'notes', 'amount', 'tax_amount', 'total_amount'] as const;

function isItemField(field: string | null): boolean {
  return field !== null && /^items(\[\d+\])?/.test(field);
}

/** The form; `onCreated` gets the new draft's id. */
export function InvoiceForm({ onCreated, onCancel }: { onCreated(id: string): void; onCancel(): void }) {
  const { t } = useTranslation('invoices');
  const common = useTranslation().t;
  const [customerId, setCustomerId] = useState('');
  const [periodStart, setPeriodStart] = useState('');
  const [periodEnd, setPeriodEnd] = useState('');
  const [dueDate, setDueDate] = useState('');
  const [notes, setNotes] = useState('');
  const [items, setItems] = useState<ItemDraft[]>([{ ...EMPTY_ITEM }]);
  const [amount, setAmount] = useState('');
  const [tax, setTax] = useState('0.00');
  const [total, setTotal] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  const setItem = (index: number, change: Partial<ItemDraft>) => setItems((before) => before.map((item, at) => {
    if (at !== index) return item;
    const next = { ...item, ...change };
    // The line's amount follows quantity × unit price while both are valid.
    if (('quantity' in change || 'unitPrice' in change) && /^\d+$/.test(next.quantity.trim())) {
      const price = toCents(next.unitPrice);
      if (price !== null) next.amount = fromCents(price * BigInt(next.quantity.trim()));
    }
    return next;
  }));

  const calculate = () => {
    let sum = 0n;
    for (const item of items) {
      const cents = toCents(item.amount);
      if (cents === null) return;
      sum += cents;
    }
    setAmount(fromCents(sum));
    const taxCents = toCents(tax);
    if (taxCents !== null) setTotal(fromCents(sum + taxCents));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const quantities: number[] = [];
    for (const [index, item] of items.entries()) {
      if (!/^\d{1,10}$/.test(item.quantity.trim())) {
        setProblem(localProblem(`items[${index}].quantity`, `items[${index}].quantity: ${t('quantityWhole')}`));
        return;
      }
      quantities.push(Number(item.quantity.trim()));
    }
    setBusy(true);
    api.billing.createInvoice({
      customerId, billingPeriodStart: periodStart, billingPeriodEnd: periodEnd, dueDate, notes,
      amount: amount.trim(), taxAmount: tax.trim(), totalAmount: total.trim(),
      items: items.map((item, index) => ({ description: item.description, quantity: quantities[index] ?? 0, unitPrice: item.unitPrice.trim(), amount: item.amount.trim() })),
    }).then((answer) => onCreated(answer.invoice?.id ?? ''), (error: unknown) => setProblem(problemOf(error))).finally(() => setBusy(false));
  };

  const itemProblem = (index: number, column?: string): string | null => {
    if (problem === null || !isItemField(problem.field)) return null;
    const field = problem.field ?? '';
    if (column === undefined) return field === `items[${index}]` ? problem.message : null;
    return field === `items[${index}].${column}` ? problem.message : null;
  };
  const itemsProblem = problem !== null && problem.field === 'items' ? problem.message : null;

  return (
    <form className="form wide" onSubmit={submit} aria-label={t('newDraft')} data-testid="invoice-form">
      <h2>{t('newDraft')}</h2>
      <FormProblem problem={problem} fields={[...FORM_FIELDS, ...(isItemField(problem?.field ?? null) && problem ? [problem.field ?? ''] : [])]} />
      <Field label={t('customer')} name="customer_id" problem={problem}>
        <CustomerPicker label={t('customer')} name="customer_id" value={customerId} onChange={setCustomerId} emptyLabel={t('customer')} />
      </Field>
      <div className="row">
        <Field label={t('periodStart')} name="billing_period_start" problem={problem}>
          <input type="date" aria-label={t('periodStart')} value={periodStart} onChange={(e) => setPeriodStart(e.target.value)} />
        </Field>
        <Field label={t('periodEnd')} name="billing_period_end" problem={problem}>
          <input type="date" aria-label={t('periodEnd')} value={periodEnd} onChange={(e) => setPeriodEnd(e.target.value)} />
        </Field>
        <Field label={t('due')} name="due_date" problem={problem}>
          <input type="date" aria-label={t('due')} value={dueDate} onChange={(e) => setDueDate(e.target.value)} />
        </Field>
      </div>
      <h3>{t('items')}</h3>
      {itemsProblem && <div className="field-error" role="alert" data-field="items">{itemsProblem}</div>}
      <table className="items">
        <thead><tr><th>{t('description')}</th><th className="num">{t('quantity')}</th><th className="num">{t('unitPrice')}</th><th className="num">{t('itemAmount')}</th><th /></tr></thead>
        <tbody>
          {items.map((item, index) => (
            <tr key={index} data-testid={`item-${index}`}>
              <td>
                <input aria-label={`${t('description')} ${index + 1}`} value={item.description} onChange={(e) => setItem(index, { description: e.target.value })} />
                {itemProblem(index, 'description') && <div className="field-error" role="alert">{itemProblem(index, 'description')}</div>}
                {itemProblem(index) && <div className="field-error" role="alert">{itemProblem(index)}</div>}
              </td>
              <td className="num">
                <input className="short" inputMode="numeric" aria-label={`${t('quantity')} ${index + 1}`} value={item.quantity} onChange={(e) => setItem(index, { quantity: e.target.value })} />
                {itemProblem(index, 'quantity') && <div className="field-error" role="alert">{itemProblem(index, 'quantity')}</div>}
              </td>
              <td className="num">
                <input className="short" inputMode="decimal" aria-label={`${t('unitPrice')} ${index + 1}`} value={item.unitPrice} onChange={(e) => setItem(index, { unitPrice: e.target.value })} />
                {itemProblem(index, 'unit_price') && <div className="field-error" role="alert">{itemProblem(index, 'unit_price')}</div>}
              </td>
              <td className="num">
                <input className="short" inputMode="decimal" aria-label={`${t('itemAmount')} ${index + 1}`} value={item.amount} onChange={(e) => setItem(index, { amount: e.target.value })} />
                {itemProblem(index, 'amount') && <div className="field-error" role="alert">{itemProblem(index, 'amount')}</div>}
              </td>
              <td>{items.length > 1 && <button type="button" className="danger" onClick={() => setItems((before) => before.filter((_, at) => at !== index))}>{t('removeItem')}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p><button type="button" onClick={() => setItems((before) => [...before, { ...EMPTY_ITEM }])}>{t('addItem')}</button></p>
      <div className="row">
        <Field label={t('amount')} name="amount" problem={problem}>
          <input inputMode="decimal" aria-label={t('amount')} value={amount} onChange={(e) => setAmount(e.target.value)} />
        </Field>
        <Field label={t('tax')} name="tax_amount" problem={problem}>
          <input inputMode="decimal" aria-label={t('tax')} value={tax} onChange={(e) => setTax(e.target.value)} />
        </Field>
        <Field label={t('total')} name="total_amount" problem={problem}>
          <input inputMode="decimal" aria-label={t('total')} value={total} onChange={(e) => setTotal(e.target.value)} />
        </Field>
      </div>
      <p><button type="button" onClick={calculate}>{t('calculate')}</button></p>
      <Field label={t('notes')} name="notes" problem={problem}>
        <textarea aria-label={t('notes')} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{t('createDraft')}</button>
        <button type="button" onClick={onCancel}>{common('cancel')}</button>
      </div>
    </form>
  );
}
