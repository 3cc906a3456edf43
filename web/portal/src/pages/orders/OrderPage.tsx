/**
 * An order's page (`/orders/:id`, issue 13): checkout while it is pending, then following it until
 * the server is ready.
 *
 * - **Pending** — the amount (with its discount and tax lines when there are any) and the ways to
 *   pay ({@link PayMethodPicker}: the balance with balance / credit / available, marked when short,
 *   with a link to `/balance` to add funds; the gateways). From the balance: OrderService/PayOrder
 *   with the balance method; through a gateway: PaymentService/CreatePayment with `return_url` the
 *   absolute address of this page — the browser goes to the gateway's `payment_url`, or the page
 *   shows its QR code / instructions ({@link PaymentNext}). Each pay action carries an
 *   idempotency key kept while the same action is retried (a new one when the method changes).
 * - **Following** — GetOrder every 2 s while the order is paid or provisioning, and while it is
 *   pending after a payment was started (here, or when the gateway sent the customer back here),
 *   with the steps ordered → paid → setting up → active.
 * - **Active** — the service period, the next renewal and the renewal price (OrderInfo's recurring
 *   billing fields), a link to the server (InstanceService/ListInstances, the instance of this
 *   order: `/instances/<id>`) and to the service (`/services/<order id>`).
 * - Cancelled, refunded, suspended, ended and terminated orders say so in words.
 */
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { Code } from '@connectrpc/connect';
import type { OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import { api, BALANCE_METHOD_ID, idempotent, newActionKey, problemOf } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { CycleName, ErrorBox, Loading, PageTitle, StatusBadge } from '../../ui/page.tsx';
import { formatMoney, moneyAtLeast } from '../../money.ts';
import { PaymentNext, PayMethodPicker, usePayMethods } from '../../ui/payment.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import './strings.ts';
import './orders.css';

/** How often a followed order is read again (ms). */
const POLL_MS = 2_000;
/** After this many reads in paid / provisioning the page says it is taking longer than usual. */
const SLOW_AFTER_POLLS = 45;
/** Statuses in which the order is on its way to active. */
const ON_ITS_WAY = ['paid', 'provisioning'];

/** True for a decimal string that is not zero. */
function nonZero(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '' && !/^[+-]?0*(\.0*)?$/.test(value.trim());
}

/** What a started gateway payment without a payment page shows: its QR code and/or instructions. */
interface GatewayNext {
  paymentUrl: string;
  qrCode: string;
  instructions: string;
}

/** The absolute address of an order's page (the `<base href>` is the portal's path), for a gateway to send the payer back to. */
export function orderReturnUrl(orderId: string): string {
  return new URL(`orders/${orderId}`, document.baseURI).href;
}

/** The order page. */
export function OrderPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('orders');
  const friendly = useFriendly();
  const [params] = useSearchParams();
  const [order, setOrder] = useState<OrderInfo | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  // Back from a gateway (EPay's return carries out_trade_no / trade_status): the payment is on its way.
  const [paymentStarted, setPaymentStarted] = useState(params.has('out_trade_no') || params.has('trade_status'));
  const [polls, setPolls] = useState(0);
  /** What a gateway without a payment page asked for (QR code, instructions): shown while the order awaits the money. */
  const [shown, setShown] = useState<GatewayNext | null>(null);
  /** Answers received (each one, success or failure, arms the next read while following). */
  const [reads, setReads] = useState(0);

  useEffect(() => {
    let live = true;
    api.orders.getOrder({ id }).then(
      (answer) => { if (live) { setOrder(answer.order ?? null); setError(null); setReads((n) => n + 1); } },
      (failure: unknown) => {
        if (!live) return;
        setReads((n) => n + 1);
        const code = problemOf(failure).code;
        if (code === Code.NotFound || code === Code.InvalidArgument || code === Code.PermissionDenied) setMissing(true);
        else setError(friendly(failure).message);
      },
    );
    return () => { live = false; };
  }, [id, friendly, version]);

  // Follow the order: read it again every POLL_MS while it is on its way (a failed read is retried the same way).
  const following = order !== null && (ON_ITS_WAY.includes(order.status) || (order.status === 'pending' && paymentStarted));
  useEffect(() => {
    if (!following) return;
    const timer = window.setTimeout(() => { setPolls((n) => n + 1); setVersion((v) => v + 1); }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [following, reads]);

  if (missing) {
    return (
      <section>
        <PageTitle>{t('notFound')}</PageTitle>
        <Link to="/orders">{t('backToOrders')}</Link>
      </section>
    );
  }
  if (!order) return <section><ErrorBox message={error} onRetry={() => setVersion((v) => v + 1)} />{!error && <Loading />}</section>;

  return (
    <section className="order-page">
      <p className="crumbs"><Link to="/orders">{t('backToOrders')}</Link></p>
      <PageTitle actions={<span data-testid="order-status" data-status={order.status}><StatusBadge status={order.status} /></span>}>
        {t('orderTitle', { name: order.productName })}
      </PageTitle>
      {error && <ErrorBox message={error} />}
      <div className="split">
        <div>
          {order.status === 'pending' && !paymentStarted && <Checkout order={order} onPaid={() => { setPaymentStarted(true); setVersion((v) => v + 1); }} onStarted={(next) => { setShown(next); setPaymentStarted(true); }} />}
          {order.status === 'pending' && paymentStarted && (
            <div className="panel">
              <Progress status={order.status} />
              {shown && <PaymentNext paymentUrl={shown.paymentUrl} qrCode={shown.qrCode} instructions={shown.instructions} amount={order.amount} currency={order.currency} />}
              <p role="status">{params.has('out_trade_no') ? t('returned') : t('paymentStarted')}</p>
              <button type="button" className="link-button" onClick={() => { setShown(null); setPaymentStarted(false); }}>{t('payAnotherWay')}</button>
            </div>
          )}
          {ON_ITS_WAY.includes(order.status) && (
            <div className="panel">
              <Progress status={order.status} />
              <p role="status">{t('settingUp')}</p>
              {polls >= SLOW_AFTER_POLLS && <p className="muted">{t('slow')}</p>}
            </div>
          )}
          {order.status === 'active' && <ActiveOrder order={order} />}
          {order.status !== 'active' && !ON_ITS_WAY.includes(order.status) && order.status !== 'pending' && <EndedOrder order={order} />}
        </div>
        <OrderSummary order={order} />
      </div>
    </section>
  );
}

/** The steps ordered → paid → setting up → active, the current one marked. */
function Progress({ status }: { status: string }) {
  const { t } = useTranslation('orders');
  const steps = [
    { key: 'pending', label: t('stepOrdered') },
    { key: 'paid', label: t('stepPaid') },
    { key: 'provisioning', label: t('stepSettingUp') },
    { key: 'active', label: t('stepActive') },
  ];
  const at = steps.findIndex((step) => step.key === status);
  return (
    <ol className="steps" aria-label={t('progress')} data-testid="order-steps">
      {steps.map((step, index) => {
        const state = index < at || status === 'active' ? 'done' : index === at ? 'current' : 'todo';
        return (
          <li key={step.key} className={`step ${state}`} aria-current={index === at ? 'step' : undefined}>
            <span className="step-mark" aria-hidden="true">{state === 'done' ? '✓' : index + 1}</span>
            <span>{step.label}</span>
          </li>
        );
      })}
    </ol>
  );
}

/** Paying a pending order: the amount, the ways to pay, and the pay button. */
function Checkout({ order, onPaid, onStarted }: { order: OrderInfo; onPaid: () => void; onStarted: (next: GatewayNext) => void }) {
  const { t } = useTranslation('orders');
  const friendly = useFriendly();
  const pay = usePayMethods(true);
  const [method, setMethod] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ message: string; funds: boolean } | null>(null);
  /** The idempotency key of the pay action, kept while the same action (same method) is retried. */
  const actionKey = useRef<{ method: string; key: string } | null>(null);

  const short = pay.balance !== null && !moneyAtLeast(pay.balance.available, order.amount);
  // Start with the balance when it covers the order, else the first gateway.
  useEffect(() => {
    if (method !== '' || pay.methods.length === 0) return;
    const balance = pay.methods.find((entry) => entry.isBalance);
    const gateway = pay.methods.find((entry) => !entry.isBalance);
    setMethod((balance && !short ? balance.id : gateway?.id ?? balance?.id) ?? '');
  }, [pay.methods, short, method]);

  const submit = () => {
    if (method === '') { setProblem({ message: t('chooseMethod'), funds: false }); return; }
    if (actionKey.current?.method !== method) actionKey.current = { method, key: newActionKey() };
    const options = idempotent(actionKey.current.key);
    setBusy(true);
    setProblem(null);
    const done = (failure: unknown) => {
      const described = friendly(failure);
      setProblem({ message: described.message, funds: /insufficient/i.test(problemOf(failure).message) });
      setBusy(false);
    };
    if (method === BALANCE_METHOD_ID) {
      api.orders.payOrder({ orderId: order.id, gatewayInterfaceId: BALANCE_METHOD_ID }, options).then(() => { setBusy(false); onPaid(); }, done);
      return;
    }
    api.payments.createPayment({ orderId: order.id, invoiceId: '', gatewayInterfaceId: method, returnUrl: orderReturnUrl(order.id) }, options).then((answer) => {
      if (answer.paymentUrl !== '') {
        // Off to the gateway's page; it sends the customer back to this page.
        window.location.assign(answer.paymentUrl);
        return;
      }
      setBusy(false);
      onStarted({ paymentUrl: answer.paymentUrl, qrCode: answer.qrCode, instructions: answer.instructions });
    }, done);
  };

  const chosenBalance = method === BALANCE_METHOD_ID;
  return (
    <div className="panel checkout">
      <Progress status={order.status} />
      <h2>{t('checkoutTitle')}</h2>
      <p className="total" data-testid="order-amount" data-amount={order.amount}><Money value={order.amount} currency={order.currency} /></p>
      {pay.error && <ErrorBox message={pay.error} onRetry={pay.reload} />}
      {pay.loading ? <Loading /> : (
        <PayMethodPicker methods={pay.methods} balance={pay.balance} value={method} onChange={(id) => { setMethod(id); setProblem(null); }} amount={order.amount} />
      )}
      {short && (
        <p className={chosenBalance ? 'short-note chosen' : 'short-note'} data-testid="short-balance">
          {t('shortBalance')} <Link to="/balance">{t('addFunds')}</Link>
        </p>
      )}
      {problem && (
        <div className="error" role="alert">
          {problem.message}{problem.funds && <> <Link to="/balance">{t('addFunds')}</Link></>}
        </div>
      )}
      <button type="button" className="primary wide" disabled={busy || pay.loading || pay.methods.length === 0} onClick={submit}>
        {busy ? (chosenBalance ? t('paying') : t('starting')) : t('pay', { amount: `${formatMoney(order.amount)} ${order.currency}`.trim() })}
      </button>
    </div>
  );
}

/** An active order: the server, the period and the renewal. */
function ActiveOrder({ order }: { order: OrderInfo }) {
  const { t } = useTranslation('orders');
  const friendly = useFriendly();
  const [instanceId, setInstanceId] = useState<string | null>(null);
  const [tries, setTries] = useState(0);
  const [error, setError] = useState<string | null>(null);

  // The instance of this order (it appears with the order's activation; looked up again a few times if not yet listed).
  useEffect(() => {
    let live = true;
    const find = async (): Promise<string | null> => {
      for (let page = 1; page <= 10; page += 1) {
        const answer = await api.instances.listInstances({ pagination: { page, pageSize: 100 } });
        const mine = answer.instances.find((instance) => instance.orderId === order.id);
        if (mine) return mine.id;
        if (page >= (answer.meta?.totalPages ?? 1)) break;
      }
      return null;
    };
    find().then((found) => {
      if (!live) return;
      setError(null);
      if (found) setInstanceId(found);
      else if (tries < 15) window.setTimeout(() => { if (live) setTries((n) => n + 1); }, POLL_MS);
    }, (failure: unknown) => { if (live) setError(friendly(failure).message); });
    return () => { live = false; };
  }, [order.id, tries, friendly]);

  return (
    <div className="panel">
      <Progress status="active" />
      <p className="ready" role="status">{t('activeText')}</p>
      <ErrorBox message={error} onRetry={() => setTries((n) => n + 1)} />
      {instanceId
        ? <p><Link className="button primary" to={`/instances/${instanceId}`} data-testid="instance-link">{t('openInstance')}</Link></p>
        : !error && tries < 15 && <p className="muted">{t('findingInstance')}</p>}
      <dl className="facts period">
        {order.periodStart && order.periodEnd && (
          <><dt>{t('period')}</dt><dd data-testid="order-period">{t('periodValue', { from: shortDate(order.periodStart), to: shortDate(order.periodEnd) })}</dd></>
        )}
        <dt>{t('nextRenewal')}</dt>
        <dd data-testid="next-renewal">{order.cancelAtPeriodEnd === 'true' || !order.nextRenewalOn ? t('noRenewal') : order.nextRenewalOn}</dd>
        {nonZero(order.renewalAmount) && <><dt>{t('renewalPrice')}</dt><dd><Money value={order.renewalAmount} currency={order.currency} /></dd></>}
      </dl>
      {order.cancelAtPeriodEnd === 'true' && <p className="muted">{t('cancelAtEnd')}</p>}
      <p><Link to={`/services/${order.id}`}>{t('manageService')}</Link></p>
    </div>
  );
}

/** The calendar day of an RFC3339 time (`2026-03-01T00:00:00Z` → `2026-03-01`), as the renewal day is shown. */
function shortDate(value: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : value;
}

/** An order that is neither pending, on its way nor active: what happened, in words. */
function EndedOrder({ order }: { order: OrderInfo }) {
  const { t } = useTranslation('orders');
  const words: Record<string, string> = {
    cancelled: t('cancelledText'), refunded: t('refundedText'), suspended: t('suspendedText'), completed: t('endedText'),
    terminated: t('terminatedText'), failed: t('failedText'),
  };
  return (
    <div className="panel">
      <p data-testid="order-outcome">{words[order.status] ?? ''}</p>
      {order.status === 'suspended' && <p><Link to={`/services/${order.id}`}>{t('manageService')}</Link></p>}
    </div>
  );
}

/** What was ordered: product, configuration, cycle, amount (with discount and tax), number and time. */
function OrderSummary({ order }: { order: OrderInfo }) {
  const { t } = useTranslation('orders');
  const spec = order.serverSpec;
  const specLines: Array<[string, string]> = spec ? [
    ['spec.cpuCores', spec.cpuCores ? String(spec.cpuCores) : ''], ['spec.memoryGb', spec.memoryGb ? String(spec.memoryGb) : ''],
    ['spec.diskGb', spec.diskGb ? String(spec.diskGb) : ''], ['spec.bandwidthMbps', spec.bandwidthMbps ? String(spec.bandwidthMbps) : ''],
    ['spec.region', spec.region], ['spec.os', spec.os],
  ] : [];
  const shown = specLines.filter(([, value]) => value !== '');
  const extra = Object.entries(spec?.extraSpecs ?? {}).filter(([, value]) => value !== '');
  return (
    <aside className="panel summary" aria-labelledby="order-summary-title">
      <h2 id="order-summary-title">{order.productName}</h2>
      <dl className="facts">
        <dt>{t('orderId')}</dt><dd className="order-id" data-testid="order-id">{order.id}</dd>
        <dt>{t('cycle')}</dt><dd><CycleName cycle={order.billingCycle} /></dd>
        <dt>{t('created')}</dt><dd><Time value={order.createdAt} /></dd>
        {nonZero(order.discountAmount) && (
          <><dt>{order.promotionCode ? t('discount', { code: order.promotionCode }) : t('discountPlain')}</dt><dd>−<Money value={order.discountAmount.replace(/^-/, '')} /></dd></>
        )}
        {nonZero(order.taxAmount) && <><dt>{t('tax')}</dt><dd><Money value={order.taxAmount} /></dd></>}
        <dt>{t('total')}</dt><dd className="summary-total" data-testid="summary-amount"><Money value={order.amount} currency={order.currency} /></dd>
      </dl>
      {(shown.length > 0 || extra.length > 0) && (
        <>
          <h3>{t('spec')}</h3>
          <dl className="facts" data-testid="order-spec">
            {shown.map(([key, value]) => <div key={key} className="fact-row"><dt>{t(key)}</dt><dd>{value}</dd></div>)}
            {extra.map(([key, value]) => <div key={key} className="fact-row"><dt>{key.replace(/_/g, ' ')}</dt><dd>{value}</dd></div>)}
          </dl>
        </>
      )}
      {order.notes && <><h3>{t('notes')}</h3><p className="order-notes">{order.notes}</p></>}
    </aside>
  );
}
