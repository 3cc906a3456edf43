/**
 * One invoice (`/invoices/:id`; README "Billing and invoices" and "Orders, payments and
 * provisioning"): BillingService/GetInvoice — number, dates, status, items, subtotal / tax / total —
 * "Download PDF" (`GET /invoices/{id}.pdf` with the customer's token), and for an issued or overdue
 * invoice "Pay": PaymentService/CreatePayment { invoice_id, gateway_interface_id } with an
 * idempotency key — from the balance (paid at once) or through a gateway (its page, with
 * `return_url` back here, or its QR code / instructions shown here while the payment is watched).
 */
import { Code } from '@connectrpc/connect';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import type { InvoiceInfo } from '../../../../../src/gen/rustbill/billing_pb.ts';
import type { CreatePaymentResponse } from '../../../../../src/gen/rustbill/payment_pb.ts';
import { api, BALANCE_METHOD_ID, idempotent, newActionKey, openAuthorizedFile, problemOf } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { ErrorBox, Loading, Notice, PageTitle, StatusBadge } from '../../ui/page.tsx';
import { formatMoney } from '../../money.ts';
import { PaymentNext, PayMethodPicker, usePayMethods } from '../../ui/payment.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { portalUrl, rememberPendingPayment, useGatewayReturn, type PendingPayment } from '../balance/shared.tsx';
import '../balance/balance.css';
import './invoices.css';

/** The `/invoices/:id` screen. */
export function InvoiceDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation('invoices');
  const friendly = useFriendly();
  const [invoice, setInvoice] = useState<InvoiceInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [pdfProblem, setPdfProblem] = useState<string | null>(null);
  const [justPaid, setJustPaid] = useState(false);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const { watched, setWatched, watch } = useGatewayReturn('invoice', id, (status) => {
    if (status === 'success') setJustPaid(true);
    reload();
  });
  useEffect(() => {
    let live = true;
    api.billing.getInvoice({ id }).then(
      (answer) => { if (live) { setInvoice(answer.invoice ?? null); setError(null); } },
      (failure: unknown) => { if (live) setError(friendly(failure).message); },
    );
    return () => { live = false; };
  }, [id, version, friendly]);
  useEffect(() => {
    window.addEventListener('focus', reload);
    return () => window.removeEventListener('focus', reload);
  }, [reload]);

  if (error !== null && invoice === null) {
    return <section><PageTitle>{t('title')}</PageTitle><ErrorBox message={error} onRetry={reload} /><p><Link to="/invoices">{t('back')}</Link></p></section>;
  }
  if (invoice === null) return <Loading />;
  const number = invoice.invoiceNumber || t('draftNumber');
  const payable = invoice.status === 'issued' || invoice.status === 'overdue';
  const download = () => {
    setPdfProblem(null);
    openAuthorizedFile(`/invoices/${invoice.id}.pdf`, `${invoice.invoiceNumber || invoice.id}.pdf`).catch(() => setPdfProblem(t('pdfFailed')));
  };
  return (
    <section className="invoice-screen">
      <p className="crumbs"><Link to="/invoices">← {t('back')}</Link></p>
      <PageTitle actions={<button type="button" onClick={download}>{t('downloadPdf')}</button>}>
        {t('invoiceTitle', { number })} <span data-testid="invoice-status"><StatusBadge status={invoice.status} /></span>
      </PageTitle>
      <ErrorBox message={pdfProblem} />
      {justPaid && invoice.status === 'paid' && <Notice><span data-testid="paid-notice">{t('paidNotice')}</span></Notice>}
      {watched && !justPaid && <WatchNote status={watch.status} watching={watch.watching} />}
      {invoice.status === 'overdue' && <div className="error" role="note">{t('overdueNote')}</div>}
      <div className="split">
        <div>
          <div className="panel">
            <dl className="facts">
              <dt>{t('number')}</dt><dd data-testid="invoice-number">{number}</dd>
              {invoice.billingPeriodStart && <><dt>{t('period')}</dt><dd>{invoice.billingPeriodStart} – {invoice.billingPeriodEnd}</dd></>}
              <dt>{t('issuedAt')}</dt><dd><Time value={invoice.issuedAt} /></dd>
              <dt>{t('dueDate')}</dt><dd>{invoice.dueDate || '—'}</dd>
              {invoice.paidAt && <><dt>{t('paidAt')}</dt><dd data-testid="invoice-paid-at"><Time value={invoice.paidAt} /></dd></>}
              {invoice.notes && <><dt>{t('notes')}</dt><dd className="invoice-notes">{invoice.notes}</dd></>}
            </dl>
          </div>
          <h2>{t('items')}</h2>
          <div className="table-wrap">
            <table className="stack account-table" data-testid="invoice-items">
              <thead><tr><th>{t('item')}</th><th className="num">{t('quantity')}</th><th className="num">{t('unitPrice')}</th><th className="num">{t('amount')}</th></tr></thead>
              <tbody>
                {invoice.items.map((item) => (
                  <tr key={item.id}>
                    <td data-label={t('item')} className="description">{item.description}</td>
                    <td data-label={t('quantity')} className="num">{item.quantity}</td>
                    <td data-label={t('unitPrice')} className="num"><Money value={item.unitPrice} /></td>
                    <td data-label={t('amount')} className="num"><Money value={item.amount} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
            <dl className="invoice-totals">
              <dt>{t('subtotal')}</dt><dd data-testid="invoice-subtotal"><Money value={invoice.amount} /></dd>
              <dt>{t('tax')}</dt><dd data-testid="invoice-tax"><Money value={invoice.taxAmount} /></dd>
              <dt className="grand">{t('totalDue')}</dt><dd className="grand" data-testid="invoice-total"><Money value={invoice.totalAmount} /></dd>
            </dl>
          </div>
        </div>
        {payable && (
          <aside className="panel" aria-labelledby="pay-title">
            <h2 id="pay-title">{t('pay')}</h2>
            <PayInvoice invoice={invoice} onPaid={() => { setJustPaid(true); reload(); }}
              onGateway={(pending) => setWatched(pending)} />
          </aside>
        )}
      </div>
    </section>
  );
}

/** Where a gateway payment of this invoice stands. */
function WatchNote({ status, watching }: { status: string | null; watching: boolean }) {
  const { t } = useTranslation('invoices');
  if (status === 'success') return null;
  if (status !== null && status !== 'pending') return <div className="error" role="alert" data-testid="payment-outcome">{t('paymentFailed')}</div>;
  return <p className="muted" role="status" data-testid="payment-outcome">{watching ? t('checking') : t('notYet')}</p>;
}

/**
 * The ways to pay and the Pay button. From the balance the invoice is paid in the call
 * (`onPaid`); through a gateway the browser goes to its page, or its QR code / instructions are
 * shown and `onGateway` starts watching the payment.
 */
function PayInvoice({ invoice, onPaid, onGateway }: { invoice: InvoiceInfo; onPaid(): void; onGateway(pending: PendingPayment): void }) {
  const { t } = useTranslation('invoices');
  const friendly = useFriendly();
  const { methods, balance, error, loading, reload } = usePayMethods(true);
  const [method, setMethod] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [next, setNext] = useState<CreatePaymentResponse | null>(null);
  const key = useRef<string | null>(null);
  useEffect(() => { if (method === '' && methods.length > 0) setMethod(methods[0]?.id ?? ''); }, [methods, method]);
  if (loading) return <Loading />;
  if (error) return <ErrorBox message={error} onRetry={reload} />;
  if (next) {
    return (
      <>
        <PaymentNext paymentUrl={next.paymentUrl} qrCode={next.qrCode} instructions={next.instructions} amount={next.payment?.amount} currency={next.payment?.currency} />
        <button type="button" onClick={() => setNext(null)}>{t('closePayment')}</button>
      </>
    );
  }
  const pay = () => {
    if (method === '') { setProblem(t('chooseMethod')); return; }
    setProblem(null);
    setBusy(true);
    key.current ??= newActionKey();
    const fromBalance = method === BALANCE_METHOD_ID;
    api.payments.createPayment({
      orderId: '', invoiceId: invoice.id, gatewayInterfaceId: method,
      returnUrl: fromBalance ? '' : portalUrl(`/invoices/${invoice.id}?returned=1`),
    }, idempotent(key.current)).then((answer) => {
      key.current = null;
      if (fromBalance) { onPaid(); return; }
      const pending: PendingPayment = { paymentId: answer.payment?.id ?? '', kind: 'invoice', target: invoice.id, amount: answer.payment?.amount ?? invoice.totalAmount };
      if (answer.paymentUrl !== '' && answer.qrCode === '' && answer.instructions === '') {
        rememberPendingPayment(pending);
        window.location.assign(answer.paymentUrl);
        return;
      }
      setNext(answer);
      onGateway(pending);
    }).catch((failure: unknown) => {
      if (problemOf(failure).code !== Code.Unavailable) key.current = null;
      setProblem(friendly(failure).message);
      reload();
    }).finally(() => setBusy(false));
  };
  return (
    <div className="pay-invoice">
      <p className="total"><Money value={invoice.totalAmount} /></p>
      <PayMethodPicker methods={methods} balance={balance} value={method} onChange={setMethod} amount={invoice.totalAmount} />
      <ErrorBox message={problem} />
      <button type="button" className="primary wide" disabled={busy || methods.length === 0} onClick={pay}>
        {busy ? t('paying') : t('payButton', { amount: formatMoney(invoice.totalAmount) })}
      </button>
    </div>
  );
}
