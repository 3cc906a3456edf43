/**
 * The Payments screen: payments one server page at a time (ListPayments), filtered on the server
 * by status, payment method and order (`?order=<id>` starts it filtered), and refunds
 * (RefundPayment): the whole remainder (amount left empty) or part of it, checked as the server
 * checks a money amount; a gateway payment can go back through its gateway or to the balance
 * (`refund-to` header). A payment's details list the refunds its customer's ledger records for it.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import type { BalanceTransactionInfo } from '../../../../src/gen/rustbill/balance_pb.ts';
import type { PaymentRecord } from '../../../../src/gen/rustbill/payment_pb.ts';
import { PAYMENT_STATUSES } from '../../../../src/domain/payments/payment.ts';
import { api, problemOf, type ApiProblem } from '../api.ts';
import { registerStrings } from '../i18n.ts';
import { Field, FormProblem } from '../../../shared/form.tsx';
import { Money, moneyProblem, Time } from '../../../shared/format.tsx';
import { DataTable, useServerList, type Column } from '../../../shared/list.tsx';
import {
  BALANCE_METHOD_ID, ConfirmDialog, IDEMPOTENCY_HEADER, InterfaceLabel, newActionKey, ShortId, StatusBadge, useInterfaces, type InterfaceName,
} from './orders/shared.tsx';

registerStrings('payments', {
  en: {
    title: 'Payments', filters: 'Payment filters', payment: 'Payment', order: 'Order', invoice: 'Invoice', amount: 'Amount', method: 'Payment method',
    status: 'Status', paidAt: 'Paid', created: 'Created', orderId: 'Order id', actions: 'Actions', refund: 'Refund', details: 'Details',
    refundTitle: 'Refund payment {{id}}', refundText: 'Paid {{amount}} {{currency}}. Leave the amount empty to refund everything that remains.',
    refundAmount: 'Amount to refund', fullRefund: 'everything that remains', refundTo: 'Refund to', toGateway: 'its gateway', toBalance: 'the customer\'s balance',
    refunded: 'Refunded {{amount}} of payment {{id}}.', refundedAll: 'Refunded the rest of payment {{id}}.', notPositive: 'amount must be more than 0.00',
    detailsTitle: 'Payment {{id}}', gatewayPaymentId: 'Gateway payment id', gatewayTxId: 'Gateway transaction', customer: 'Customer',
    ledgerRefunds: 'Refunds in the customer\'s ledger', refundedSoFar: 'Refunded to the balance so far', noRefunds: 'No refund to the balance is recorded for this payment.',
    gatewayNote: 'Refunds through a gateway are recorded by the gateway, not in the balance ledger.', entryAmount: 'Amount', balanceAfter: 'Balance after', description: 'Description',
  },
  zh: {
    title: '支付', filters: '支付筛选', payment: '支付单', order: '订单', invoice: '账单', amount: '金额', method: '支付方式',
    status: '状态', paidAt: '支付时间', created: '创建时间', orderId: '订单 ID', actions: '操作', refund: '退款', details: '详情',
    refundTitle: '退款：支付单 {{id}}', refundText: '已支付 {{amount}} {{currency}}。金额留空则退还全部剩余金额。',
    refundAmount: '退款金额', fullRefund: '全部剩余金额', refundTo: '退款至', toGateway: '原支付网关', toBalance: '客户余额',
    refunded: '已退款 {{amount}}（支付单 {{id}}）。', refundedAll: '支付单 {{id}} 的剩余金额已全部退还。', notPositive: '退款金额必须大于 0.00',
    detailsTitle: '支付单 {{id}}', gatewayPaymentId: '网关支付单号', gatewayTxId: '网关交易号', customer: '客户',
    ledgerRefunds: '客户流水中的退款', refundedSoFar: '已退回余额', noRefunds: '流水中没有该支付单退回余额的记录。',
    gatewayNote: '经网关原路退回的款项由网关记录，不在余额流水中。', entryAmount: '金额', balanceAfter: '变动后余额', description: '说明',
  },
});

interface PaymentFilters {
  status: string;
  gatewayId: string;
  orderId: string;
}

/** What the refund dialog holds. */
interface Refunding {
  payment: PaymentRecord;
  amount: string;
  to: 'gateway' | 'balance';
  key: string;
}

/** The payments list, its refund dialog and a payment's details. */
export default function PaymentsPage() {
  const { t } = useTranslation('payments');
  const [params] = useSearchParams();
  const interfaces = useInterfaces();
  const initial: PaymentFilters = { status: '', gatewayId: '', orderId: params.get('order') ?? '' };
  const [draft, setDraft] = useState<PaymentFilters>(initial);
  const [refunding, setRefunding] = useState<Refunding | null>(null);
  const [shown, setShown] = useState<PaymentRecord | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const list = useServerList<PaymentRecord, PaymentFilters>(async (query) => {
    const { filters } = query;
    const answer = await api.payments.listPayments({
      pagination: { page: query.page, pageSize: query.pageSize },
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.gatewayId ? { gatewayInterfaceId: filters.gatewayId } : {}),
      ...(filters.orderId.trim() ? { orderId: filters.orderId.trim() } : {}),
    });
    return { rows: answer.payments, total: Number(answer.meta?.total ?? 0) };
  }, initial);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    list.setFilters(draft);
  };
  const columns: Column<PaymentRecord>[] = [
    { key: 'id', title: t('payment'), render: (row) => <ShortId id={row.id} /> },
    { key: 'order', title: t('order'), render: (row) => row.orderId ? <Link to={`../orders/${row.orderId}`}><ShortId id={row.orderId} /></Link> : <span className="muted">—</span> },
    { key: 'invoice', title: t('invoice'), render: (row) => <ShortId id={row.invoiceId} /> },
    { key: 'amount', title: t('amount'), numeric: true, render: (row) => <Money value={row.amount} currency={row.currency} /> },
    { key: 'method', title: t('method'), render: (row) => <InterfaceLabel id={row.gatewayInterfaceId} list={interfaces} /> },
    { key: 'status', title: t('status'), render: (row) => <StatusBadge status={row.status} /> },
    { key: 'paid', title: t('paidAt'), render: (row) => <Time value={row.paidAt} /> },
    { key: 'created', title: t('created'), render: (row) => <Time value={row.createdAt} /> },
    {
      key: 'actions', title: t('actions'), render: (row) => (
        <span className="row" style={{ margin: 0 }}>
          <button type="button" className="link" onClick={() => setShown(row)}>{t('details')}</button>
          {row.status === 'success' && (
            <button type="button" onClick={() => { setDone(null); setRefunding({ payment: row, amount: '', to: 'gateway', key: newActionKey() }); }}>{t('refund')}</button>
          )}
        </span>
      ),
    },
  ];
  return (
    <section>
      <h1>{t('title')}</h1>
      <form className="toolbar" onSubmit={apply} aria-label={t('filters')}>
        <label className="field"><span>{t('status')}</span>
          <select value={draft.status} onChange={(event) => setDraft({ ...draft, status: event.target.value })}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {PAYMENT_STATUSES.map((status) => <option key={status} value={status}>{t(status, { ns: 'ordersShared' })}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('method')}</span>
          <select value={draft.gatewayId} onChange={(event) => setDraft({ ...draft, gatewayId: event.target.value })}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {interfaces.filter((entry) => entry.type === 'gateway').map((entry) => <option key={entry.id} value={entry.id}>{entry.name}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('orderId')}</span>
          <input value={draft.orderId} placeholder="UUID" size={38} onChange={(event) => setDraft({ ...draft, orderId: event.target.value })} />
        </label>
        <button type="submit" className="primary">{t('filter', { ns: 'common' })}</button>
      </form>
      {done && <div className="ok" role="status">{done}</div>}
      <DataTable list={list} columns={columns} rowKey={(row) => row.id} testId="payments-table" />
      {shown && <PaymentDetails key={`${shown.id}-${shown.updatedAt}`} payment={shown} interfaces={interfaces} onClose={() => setShown(null)} />}
      {refunding && (
        <RefundDialog
          refunding={refunding} onChange={setRefunding} onClose={() => setRefunding(null)}
          onRefunded={(payment, message) => { setRefunding(null); setDone(message); setShown(payment); list.reload(); }}
        />
      )}
    </section>
  );
}

/** The refund dialog: the amount (empty = all that remains), checked before it is sent; the server's refusal shown. */
function RefundDialog({ refunding, onChange, onClose, onRefunded }: {
  refunding: Refunding; onChange(next: Refunding): void; onClose(): void; onRefunded(payment: PaymentRecord, message: string): void;
}) {
  const { t } = useTranslation('payments');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const { payment } = refunding;
  const viaGateway = payment.gatewayInterfaceId !== BALANCE_METHOD_ID;
  const confirm = () => {
    const amount = refunding.amount.trim();
    if (amount !== '') {
      const wrong = moneyProblem(amount);
      if (wrong) { setProblem({ code: 3, message: `amount must be ${wrong}`, field: 'amount' }); return; }
      if (/^0(?:\.0{1,2})?$/.test(amount)) { setProblem({ code: 3, message: t('notPositive'), field: 'amount' }); return; }
    }
    setBusy(true);
    setProblem(null);
    const headers: Record<string, string> = { [IDEMPOTENCY_HEADER]: refunding.key };
    if (viaGateway) headers['refund-to'] = refunding.to;
    api.payments.refundPayment({ paymentId: payment.id, amount }, { headers }).then((answer) => {
      const id = payment.id.slice(0, 8);
      onRefunded(answer.payment ?? payment, amount === '' ? t('refundedAll', { id }) : t('refunded', { amount, id }));
    }, (failure: unknown) => {
      setProblem(problemOf(failure));
      onChange({ ...refunding, key: newActionKey() });
    }).finally(() => setBusy(false));
  };
  return (
    <ConfirmDialog title={t('refundTitle', { id: payment.id.slice(0, 8) })} confirmLabel={t('refund')} danger busy={busy} onConfirm={confirm} onClose={onClose}>
      <p>{t('refundText', { amount: payment.amount, currency: payment.currency })}</p>
      <Field label={t('refundAmount')} name="amount" problem={problem}>
        <input name="amount" inputMode="decimal" placeholder={t('fullRefund')} value={refunding.amount} onChange={(event) => onChange({ ...refunding, amount: event.target.value })} />
      </Field>
      {viaGateway && (
        <Field label={t('refundTo')} name="refund_to" problem={problem}>
          <select value={refunding.to} onChange={(event) => onChange({ ...refunding, to: event.target.value === 'balance' ? 'balance' : 'gateway' })}>
            <option value="gateway">{t('toGateway')}</option>
            <option value="balance">{t('toBalance')}</option>
          </select>
        </Field>
      )}
      <FormProblem problem={problem} fields={['amount']} />
    </ConfirmDialog>
  );
}

/**
 * A payment and the refunds its customer's ledger records for it (entries of type refund whose
 * reference is the payment). PaymentRecord carries no refunded amount, so this is where it shows.
 */
function PaymentDetails({ payment, interfaces, onClose }: { payment: PaymentRecord; interfaces: InterfaceName[]; onClose(): void }) {
  const { t } = useTranslation('payments');
  const [customerId, setCustomerId] = useState<string | null>(null);
  const [entries, setEntries] = useState<BalanceTransactionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const owner = payment.orderId
        ? (await api.orders.getOrder({ id: payment.orderId })).order?.customerId ?? ''
        : payment.invoiceId ? (await api.billing.getInvoice({ id: payment.invoiceId })).invoice?.customerId ?? '' : '';
      if (!live) return;
      setCustomerId(owner);
      if (owner === '') { setEntries([]); return; }
      const ledger = await api.balance.listBalanceTransactions({ pagination: { page: 1, pageSize: 100 }, customerId: owner, transactionType: 'refund' });
      if (live) setEntries(ledger.transactions.filter((entry) => entry.referenceId === payment.id));
    })().catch((failure: unknown) => { if (live) setError(problemOf(failure).message); });
    return () => { live = false; };
  }, [payment]);
  const total = entries ? sumCents(entries.map((entry) => entry.amount)) : null;
  return (
    <div className="panel" style={{ marginTop: '1rem' }} data-testid="payment-details">
      <h2>{t('detailsTitle', { id: payment.id })} <StatusBadge status={payment.status} /></h2>
      <dl className="details">
        <dt>{t('amount')}</dt><dd><Money value={payment.amount} currency={payment.currency} /></dd>
        <dt>{t('method')}</dt><dd><InterfaceLabel id={payment.gatewayInterfaceId} list={interfaces} /></dd>
        <dt>{t('customer')}</dt><dd className="mono">{customerId ?? '…'}</dd>
        <dt>{t('gatewayPaymentId')}</dt><dd className="mono">{payment.gatewayPaymentId || '—'}</dd>
        <dt>{t('gatewayTxId')}</dt><dd className="mono">{payment.gatewayTxId || '—'}</dd>
        <dt>{t('paidAt')}</dt><dd><Time value={payment.paidAt} /></dd>
        <dt>{t('refundedSoFar')}</dt><dd data-testid="refunded-so-far">{total === null ? '…' : <Money value={total} currency={payment.currency} />}</dd>
      </dl>
      {error && <div className="error" role="alert">{error}</div>}
      <h3>{t('ledgerRefunds')}</h3>
      {entries && entries.length === 0 && <p className="muted">{t('noRefunds')}</p>}
      {entries && entries.length > 0 && (
        <table data-testid="payment-refunds">
          <thead><tr><th>{t('created')}</th><th className="num">{t('entryAmount')}</th><th className="num">{t('balanceAfter')}</th><th>{t('description')}</th></tr></thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}><td><Time value={entry.createdAt} /></td><td className="num"><Money value={entry.amount} /></td><td className="num"><Money value={entry.balanceAfter} /></td><td>{entry.description}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      {payment.gatewayInterfaceId !== BALANCE_METHOD_ID && <p className="muted">{t('gatewayNote')}</p>}
      <button type="button" onClick={onClose}>{t('close', { ns: 'ordersShared' })}</button>
    </div>
  );
}

/** The sum of decimal strings with 2 places, added as integer cents (never through a float). */
function sumCents(amounts: string[]): string {
  let cents = 0n;
  for (const amount of amounts) {
    const negative = amount.startsWith('-');
    const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
    const value = BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2));
    cents += negative ? -value : value;
  }
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}
