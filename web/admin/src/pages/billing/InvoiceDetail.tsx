/**
 * One invoice (GetInvoice): number, status, customer, period, amounts, source and the order a
 * renewal renews, its lines, and what may be done next along the status machine — issue a draft
 * (it gets its number), cancel an issued or overdue one, delete a draft, record its payment from
 * the customer's balance (CreatePayment with the balance method: the only way to make it paid),
 * edit the notes, and the PDF. A refusal shows the server's words and changes nothing.
 */
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { InvoiceInfo } from '../../../../../src/gen/rustbill/billing_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { StatusBadge, useCustomerNames } from './common.tsx';
import './invoice-strings.ts';

/** The built-in balance payment method's id (payment.proto; README "Payments"). */
export const BALANCE_METHOD_ID = '00000000-0000-7000-8000-000000000001';

/** The invoice `id`, with its actions; `onGone` after a draft is deleted. */
export function InvoiceDetail({ id, onBack, onGone }: { id: string; onBack(): void; onGone(): void }) {
  const { t } = useTranslation('invoices');
  const session = useSession();
  const [invoice, setInvoice] = useState<InvoiceInfo | null>(null);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notes, setNotes] = useState('');
  const names = useCustomerNames(invoice ? [invoice.customerId] : []);

  const load = useCallback(() => api.billing.getInvoice({ id }).then((answer) => {
    setInvoice(answer.invoice ?? null);
    setNotes(answer.invoice?.notes ?? '');
    setLoadProblem(null);
  }, (error: unknown) => setLoadProblem(problemOf(error).message)), [id]);
  useEffect(() => { void load(); }, [load]);

  /** Runs one action: on success shows `message(result)` and reloads; on refusal shows the server's words. */
  function act<R>(call: () => Promise<R>, message: (result: R) => string, after?: () => void) {
    setBusy(true);
    setProblem(null);
    setDone(null);
    call().then(async (result) => {
      setDone(message(result));
      if (after) after(); else await load();
    }, (error: unknown) => setProblem(problemOf(error))).finally(() => setBusy(false));
  }

  if (loadProblem) return <section><button type="button" onClick={onBack}>{t('back')}</button><div className="error" role="alert">{loadProblem}</div></section>;
  if (!invoice) return <p className="muted">…</p>;
  const status = invoice.status;
  const source = invoice.source ?? '';
  return (
    <section data-testid="invoice-detail">
      <p><button type="button" onClick={onBack}>{t('back')}</button></p>
      <h1>
        <span data-testid="invoice-number">{invoice.invoiceNumber || t('noNumber')}</span> <StatusBadge status={status} />
      </h1>
      {done && <div className="ok" role="status">{done}</div>}
      <FormProblem problem={problem} fields={['notes']} />
      <div className="actions" style={{ marginBottom: '1rem' }}>
        {status === 'draft' && (
          <button type="button" className="primary" disabled={busy}
            onClick={() => act(() => api.billing.updateInvoice({ id, status: 'issued' }), (answer) => t('issuedOk', { number: answer.invoice?.invoiceNumber ?? '' }))}>{t('issue')}</button>
        )}
        {(status === 'issued' || status === 'overdue') && (
          <button type="button" className="primary" disabled={busy}
            onClick={() => { if (window.confirm(t('confirmPay', { total: invoice.totalAmount }))) act(() => api.payments.createPayment({ invoiceId: id, orderId: '', gatewayInterfaceId: BALANCE_METHOD_ID, returnUrl: '' }), (answer) => t('paidOk', { payment: answer.payment?.id ?? '' })); }}>
            {t('payFromBalance')}
          </button>
        )}
        {(status === 'issued' || status === 'overdue') && (
          <button type="button" className="danger" disabled={busy}
            onClick={() => { if (window.confirm(t('confirmCancel'))) act(() => api.billing.updateInvoice({ id, status: 'cancelled' }), () => t('cancelledOk')); }}>{t('cancelInvoice')}</button>
        )}
        {status === 'draft' && (
          <button type="button" className="danger" disabled={busy}
            onClick={() => { if (window.confirm(t('confirmDelete'))) act(() => api.billing.deleteInvoice({ id }), () => t('deletedOk'), onGone); }}>{t('deleteDraft')}</button>
        )}
        <a className="button" href={`/invoices/${id}.pdf`} target="_blank" rel="noreferrer" data-testid="invoice-pdf">{t('pdf')}</a>
      </div>
      <div className="cards">
        <div className="card"><div className="label">{t('customer')}</div><div className="value small">{names[invoice.customerId] ?? invoice.customerId}</div><div className="muted small">{invoice.customerId}</div></div>
        <div className="card"><div className="label">{t('period')}</div><div className="value small">{invoice.billingPeriodStart} – {invoice.billingPeriodEnd}</div></div>
        <div className="card"><div className="label">{t('amount')}</div><div className="value"><Money value={invoice.amount} /></div></div>
        <div className="card"><div className="label">{t('tax')}</div><div className="value"><Money value={invoice.taxAmount} /></div></div>
        <div className="card"><div className="label">{t('total')}</div><div className="value" data-testid="invoice-total"><Money value={invoice.totalAmount} /></div></div>
      </div>
      <div className="table-wrap">
        <table className="facts">
          <tbody>
            <tr><th>{t('status')}</th><td data-testid="invoice-status"><StatusBadge status={status} /></td></tr>
            <tr><th>{t('source')}</th><td data-testid="invoice-source">{source === 'manual' || source === 'generated' || source === 'renewal' ? t(source) : source || '—'}</td></tr>
            {invoice.renewalOrderId ? <tr><th>{t('renewalOrder')}</th><td data-testid="invoice-renewal-order">{invoice.renewalOrderId}</td></tr> : null}
            <tr><th>{t('due')}</th><td>{invoice.dueDate || '—'}</td></tr>
            <tr><th>{t('issuedAt')}</th><td><Time value={invoice.issuedAt} /></td></tr>
            <tr><th>{t('paidAt')}</th><td data-testid="invoice-paid-at"><Time value={invoice.paidAt} /></td></tr>
            <tr><th>{t('createdAt')}</th><td><Time value={invoice.createdAt} /></td></tr>
          </tbody>
        </table>
      </div>
      <h2>{t('items')}</h2>
      <div className="table-wrap">
        <table data-testid="invoice-items">
          <thead><tr><th>{t('description')}</th><th className="num">{t('quantity')}</th><th className="num">{t('unitPrice')}</th><th className="num">{t('itemAmount')}</th></tr></thead>
          <tbody>
            {invoice.items.map((item) => (
              <tr key={item.id}><td>{item.description}</td><td className="num">{item.quantity}</td><td className="num"><Money value={item.unitPrice} /></td><td className="num"><Money value={item.amount} /></td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="form" style={{ marginTop: '1rem' }} onSubmit={(event) => { event.preventDefault(); act(() => api.billing.updateInvoice({ id, notes }), () => t('notesOk')); }}>
        <Field label={t('notes')} name="notes" problem={problem}>
          <textarea aria-label={t('notes')} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} disabled={!session.user} />
        </Field>
        <button type="submit" disabled={busy || notes === invoice.notes}>{t('saveNotes')}</button>
      </form>
    </section>
  );
}
