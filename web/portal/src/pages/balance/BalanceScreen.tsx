/**
 * The Balance screen (`/balance`; README "Orders, payments and provisioning"): the balance, the
 * credit limit and what is available (balance + credit, BalanceService/GetBalance), the ledger
 * (ListBalanceTransactions: newest first, a type filter, pages) and "Add funds"
 * (BalanceService/Recharge through a gateway — never the balance method — with an idempotency key;
 * the browser goes to the gateway's page, or the gateway's QR code / instructions are shown here).
 * Back from the gateway (`?returned=1`), the started payment is watched until it settles and the
 * figures reload; they also reload whenever the window regains focus.
 */
import { Code } from '@connectrpc/connect';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { BalanceTransactionInfo, RechargeResponse } from '../../../../../src/gen/rustbill/balance_pb.ts';
import { api, idempotent, newActionKey, problemOf } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { useSession } from '../../session.tsx';
import { ErrorBox, Loading, Notice, PageTitle } from '../../ui/page.tsx';
import { addMoney, formatMoney } from '../../money.ts';
import { PaymentNext, PayMethodPicker, usePayMethods, type BalanceFigures } from '../../ui/payment.tsx';
import { Pager, useServerList, type PageQuery } from '../../../../shared/list.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { amountProblem, forgetPendingPayment, portalUrl, rememberPendingPayment, useGatewayReturn, type PendingPayment } from './shared.tsx';
import { LEDGER_TYPES } from './strings.ts';
import './balance.css';

interface LedgerFilters { type: string }

function loadLedger(query: PageQuery<LedgerFilters>): Promise<{ rows: BalanceTransactionInfo[]; total: number }> {
  return api.balance.listBalanceTransactions({
    pagination: { page: query.page, pageSize: query.pageSize },
    ...(query.filters.type ? { transactionType: query.filters.type } : {}),
  }).then((answer) => ({ rows: answer.transactions, total: Number(answer.meta?.total ?? 0n) }));
}

/** The balance figures, read again on `reload()`. */
function useBalance(): { figures: BalanceFigures | null; error: string | null; reload(): void } {
  const friendly = useFriendly();
  const [figures, setFigures] = useState<BalanceFigures | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    api.balance.getBalance({}).then((answer) => {
      if (!live) return;
      setFigures({ balance: answer.balance, creditLimit: answer.creditLimit, available: addMoney(answer.balance, answer.creditLimit) });
      setError(null);
    }, (failure: unknown) => { if (live) setError(friendly(failure).message); });
    return () => { live = false; };
  }, [friendly, version]);
  return { figures, error, reload: useCallback(() => setVersion((v) => v + 1), []) };
}

/** The `/balance` screen. */
export function BalanceScreen() {
  const { t } = useTranslation('balance');
  const friendly = useFriendly();
  const { figures, error, reload } = useBalance();
  const describe = useCallback((failure: unknown) => friendly(failure).message, [friendly]);
  const ledger = useServerList(loadLedger, { type: '' }, 10, describe);
  const reloadLedger = ledger.reload;
  const refresh = useCallback(() => { reload(); reloadLedger(); }, [reload, reloadLedger]);
  const [next, setNext] = useState<RechargeResponse | null>(null);
  // The payment the customer left for (or whose QR code / instructions are shown here).
  const { watched, setWatched, watch } = useGatewayReturn('recharge', '', () => { setNext(null); refresh(); });

  useEffect(() => {
    window.addEventListener('focus', refresh);
    return () => window.removeEventListener('focus', refresh);
  }, [refresh]);

  return (
    <section className="balance-screen">
      <PageTitle>{t('title')}</PageTitle>
      {watched && <RechargeOutcome pending={watched} status={watch.status} watching={watch.watching} />}
      <ErrorBox message={error} onRetry={reload} />
      {figures === null && error === null ? <Loading /> : figures && (
        <div className="figures" data-testid="balance-figures">
          <div className="figure"><span className="figure-label">{t('balance')}</span><span className="figure-value" data-testid="balance-amount"><Money value={figures.balance} /></span></div>
          <div className="figure"><span className="figure-label">{t('creditLimit')}</span><span className="figure-value" data-testid="credit-limit"><Money value={figures.creditLimit} /></span></div>
          <div className="figure strong"><span className="figure-label">{t('available')}</span><span className="figure-value" data-testid="available-amount"><Money value={figures.available} /></span>
            <span className="muted figure-note">{t('availableHint')}</span></div>
        </div>
      )}
      <div className="split">
        <div>
          <h2>{t('ledger')}</h2>
          <div className="list-filters">
            <label className="field inline"><span>{t('type')}</span>
              <select value={ledger.query.filters.type} onChange={(event) => ledger.setFilters({ type: event.target.value })}>
                <option value="">{t('allTypes')}</option>
                {LEDGER_TYPES.map((type) => <option key={type} value={type}>{t(`type.${type}`)}</option>)}
              </select>
            </label>
          </div>
          <Ledger rows={ledger.rows} loading={ledger.loading} error={ledger.error} />
          <Pager list={ledger} />
        </div>
        <aside className="panel" aria-labelledby="recharge-title">
          <h2 id="recharge-title">{t('recharge')}</h2>
          {next
            ? <>
                <PaymentNext paymentUrl={next.paymentUrl} qrCode={next.qrCode} instructions={next.instructions} amount={next.payment?.amount} currency={next.payment?.currency} />
                <button type="button" onClick={() => { setNext(null); setWatched(null); forgetPendingPayment(); }}>{t('cancelPayment')}</button>
              </>
            : <RechargeForm onStarted={(answer, amount) => {
                const pending: PendingPayment = { paymentId: answer.payment?.id ?? '', kind: 'recharge', target: '', amount };
                if (answer.paymentUrl !== '' && answer.qrCode === '' && answer.instructions === '') {
                  rememberPendingPayment(pending);
                  window.location.assign(answer.paymentUrl);
                  return;
                }
                setNext(answer);
                setWatched(pending);
              }} />}
        </aside>
      </div>
    </section>
  );
}

/** What became of the recharge the customer came back from (or is paying by QR code here). */
function RechargeOutcome({ pending, status, watching }: { pending: PendingPayment; status: string | null; watching: boolean }) {
  const { t } = useTranslation('balance');
  const amount = formatMoney(pending.amount);
  if (status === 'success') return <Notice><span data-testid="recharge-outcome" data-outcome="success">{t('credited', { amount })}</span></Notice>;
  if (status !== null && status !== 'pending') return <div className="error" role="alert" data-testid="recharge-outcome" data-outcome="failed">{t('paymentFailed', { amount })}</div>;
  if (watching) return <p className="muted" role="status" data-testid="recharge-outcome" data-outcome="checking">{t('checking', { amount })}</p>;
  return <p className="muted" role="status" data-testid="recharge-outcome" data-outcome="pending">{t('notYet', { amount })}</p>;
}

/** The ledger page: a table that becomes cards on a phone. */
function Ledger({ rows, loading, error }: { rows: BalanceTransactionInfo[]; loading: boolean; error: string | null }) {
  const { t, i18n } = useTranslation('balance');
  return (
    <div className="table-wrap" data-testid="ledger">
      {error && <div className="error" role="alert">{error}</div>}
      <table className="stack account-table">
        <thead>
          <tr><th>{t('date')}</th><th>{t('type')}</th><th>{t('description')}</th><th className="num">{t('amount')}</th><th className="num">{t('balanceAfter')}</th></tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-testid="ledger-row" data-type={row.transactionType}>
              <td data-label={t('date')}><Time value={row.createdAt} /></td>
              <td data-label={t('type')}>{i18n.exists(`balance:type.${row.transactionType}`) ? t(`type.${row.transactionType}`) : row.transactionType}</td>
              <td data-label={t('description')} className="description">{row.description}</td>
              <td data-label={t('amount')} className={row.amount.startsWith('-') ? 'num debit' : 'num credit'} data-testid="ledger-amount">
                <span>{row.amount.startsWith('-') ? '' : '+'}<Money value={row.amount} /></span>
              </td>
              <td data-label={t('balanceAfter')} className="num" data-testid="ledger-balance-after"><Money value={row.balanceAfter} /></td>
            </tr>
          ))}
          {rows.length === 0 && !loading && <tr><td colSpan={5} className="muted">{t('noEntries')}</td></tr>}
        </tbody>
      </table>
    </div>
  );
}

/** Amount and gateway; `onStarted` gets the started recharge (the amount as the server took it). */
function RechargeForm({ onStarted }: { onStarted(answer: RechargeResponse, amount: string): void }) {
  const { t } = useTranslation('balance');
  const friendly = useFriendly();
  const { user } = useSession();
  const { methods, balance, error, loading, reload } = usePayMethods(false);
  const [amount, setAmount] = useState('');
  const [method, setMethod] = useState('');
  const [problem, setProblem] = useState<{ field: 'amount' | 'method' | null; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per attempt, kept while the same attempt is retried after a network failure.
  const key = useRef<string | null>(null);
  useEffect(() => { if (method === '' && methods.length > 0) setMethod(methods[0]?.id ?? ''); }, [methods, method]);
  const check = amountProblem(amount);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (check !== null) { setProblem({ field: 'amount', message: t(check === 'format' ? 'amountFormat' : 'amountPositive') }); return; }
    if (method === '') { setProblem({ field: 'method', message: t('chooseMethod') }); return; }
    setProblem(null);
    setBusy(true);
    key.current ??= newActionKey();
    api.balance.recharge({ customerId: user?.customerId ?? '', amount: amount.trim(), gatewayInterfaceId: method, returnUrl: portalUrl('/balance?returned=1') }, idempotent(key.current))
      .then((answer) => { key.current = null; onStarted(answer, answer.payment?.amount || amount.trim()); })
      .catch((failure: unknown) => {
        const refused = friendly(failure);
        if (problemOf(failure).code !== Code.Unavailable) key.current = null;
        setProblem({ field: refused.field === 'amount' ? 'amount' : null, message: refused.message });
      })
      .finally(() => setBusy(false));
  };
  if (loading) return <Loading />;
  if (error) return <ErrorBox message={error} onRetry={reload} />;
  return (
    <form className="recharge-form" onSubmit={submit} noValidate>
      <div className={problem?.field === 'amount' ? 'field invalid' : 'field'}>
        <label>
          <span>{t('rechargeAmount')}</span>
          <input name="amount" inputMode="decimal" autoComplete="off" placeholder="10.00" value={amount}
            aria-invalid={problem?.field === 'amount'} aria-describedby={problem?.field === 'amount' ? 'amount-error' : undefined}
            onChange={(event) => { setAmount(event.target.value); if (problem?.field === 'amount') setProblem(null); }} />
        </label>
        {problem?.field === 'amount' && <span className="field-error" id="amount-error" role="alert">{problem.message}</span>}
      </div>
      <PayMethodPicker methods={methods} balance={balance} value={method} onChange={setMethod} />
      {problem !== null && problem.field !== 'amount' && <div className="error" role="alert">{problem.message}</div>}
      <button type="submit" className="primary wide" disabled={busy || methods.length === 0}>
        {busy ? t('starting') : check === null ? t('rechargeButton', { amount: formatMoney(amount.trim()) }) : t('rechargeButtonEmpty')}
      </button>
    </form>
  );
}
