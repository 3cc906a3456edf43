/**
 * One order, and for an active or suspended one its service: the status (changed only along the
 * manual transitions of src/domain/orders/order.ts, UpdateOrder), the notes, the billing period,
 * the next renewal and the cancellation state, cancellation (at the period end, or now with the
 * unused days credited — administrators only), and upgrade/downgrade: ChangeServicePlan with
 * `preview` shows the day-based proration before Confirm applies it. Every refusal shows the
 * server's words and changes nothing.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import type { ChangeServicePlanReply, OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import type { ProductInfo } from '../../../../../src/gen/rustbill/product_pb.ts';
import { isOrderStatus, MANUAL_TRANSITIONS } from '../../../../../src/domain/orders/order.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { ConfirmDialog, IDEMPOTENCY_HEADER, InterfaceLabel, newActionKey, ShortId, StatusBadge, useInterfaces, type InterfaceName } from './shared.tsx';
import './strings.ts';

/** The order/service page of order `:id`. */
export function OrderPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('orders');
  const [order, setOrder] = useState<OrderInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const interfaces = useInterfaces();
  const load = useCallback(() => {
    api.orders.getOrder({ id }).then((answer) => { setOrder(answer.order ?? null); setError(null); }, (failure: unknown) => setError(problemOf(failure).message));
  }, [id]);
  useEffect(load, [load]);
  if (error) return <section><Link to="..">{t('back')}</Link><div className="error" role="alert">{error}</div></section>;
  if (!order) return <p className="muted">{t('loading', { ns: 'common' })}</p>;
  const isService = order.status === 'active' || order.status === 'suspended';
  return (
    <section>
      <Link to="..">{t('back')}</Link>
      <h1>{t('orderTitle', { id: order.id.slice(0, 8) })} <StatusBadge status={order.status} /></h1>
      <OrderSummary order={order} interfaces={interfaces} />
      <div className="panels">
        <StatusPanel order={order} onChanged={setOrder} />
        <NotesPanel order={order} onChanged={setOrder} />
        {isService && <ServicePanel order={order} onChanged={load} />}
        {isService && <ChangePlanPanel order={order} onChanged={load} />}
      </div>
    </section>
  );
}

function OrderSummary({ order, interfaces }: { order: OrderInfo; interfaces: InterfaceName[] }) {
  const { t } = useTranslation('orders');
  const spec = order.serverSpec;
  return (
    <dl className="details" data-testid="order-details">
      <dt>{t('product')}</dt><dd data-testid="order-product">{order.productName || <ShortId id={order.productId} />}</dd>
      <dt>{t('customer')}</dt>
      <dd>
        <span className="mono">{order.customerId}</span>{' · '}
        <Link to={`../../customers/${order.customerId}`}>{t('customers', { ns: 'common' })}</Link>{' · '}
        <Link to={`..?customer=${order.customerId}`}>{t('ordersOfCustomer')}</Link>{' · '}
        <Link to={`../../instances?customer=${order.customerId}`}>{t('instancesOfCustomer')}</Link>
      </dd>
      <dt>{t('amount')}</dt>
      <dd>
        <Money value={order.amount} currency={order.currency} /> · {t(`cycle_${order.billingCycle}`, { defaultValue: order.billingCycle })}
        {order.taxAmount && order.taxAmount !== '0.00' && <> · {t('tax')} <Money value={order.taxAmount} /></>}
        {order.promotionCode && <> · {t('discount')} {order.promotionCode} −<Money value={order.discountAmount ?? '0.00'} /></>}
      </dd>
      <dt>{t('provider')}</dt><dd><InterfaceLabel id={order.providerInterfaceId} list={interfaces} /></dd>
      <dt>{t('instanceId')}</dt><dd className="mono">{order.providerInstanceId || '—'}</dd>
      <dt>{t('gateway')}</dt>
      <dd>
        {order.gatewayInterfaceId ? <InterfaceLabel id={order.gatewayInterfaceId} list={interfaces} /> : '—'}{' · '}
        <Link to={`../../payments?order=${order.id}`}>{t('paymentsOfOrder')}</Link>
      </dd>
      {spec && <><dt>{t('spec')}</dt><dd>{t('specLine', { cpu: spec.cpuCores, mem: spec.memoryGb, disk: spec.diskGb, bw: spec.bandwidthMbps, os: spec.os, region: spec.region })}</dd></>}
      <dt>{t('created')}</dt><dd><Time value={order.createdAt} /></dd>
      <dt>{t('updated')}</dt><dd><Time value={order.updatedAt} /></dd>
    </dl>
  );
}

/** The manual status change: only the targets MANUAL_TRANSITIONS allows from the current status. */
function StatusPanel({ order, onChanged }: { order: OrderInfo; onChanged(order: OrderInfo): void }) {
  const { t } = useTranslation('orders');
  const targets = isOrderStatus(order.status) ? MANUAL_TRANSITIONS[order.status] : [];
  const [target, setTarget] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (target === '') return;
    setBusy(true);
    setProblem(null);
    setDone(null);
    api.orders.updateOrder({ id: order.id, status: target }).then((answer) => {
      if (answer.order) onChanged(answer.order);
      setDone(t('statusChanged', { status: t(target, { ns: 'ordersShared' }) }));
      setTarget('');
    }, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };
  return (
    <form className="panel" onSubmit={submit} aria-label={t('statusTitle')}>
      <h2>{t('statusTitle')}</h2>
      {targets.length === 0 ? <p className="muted">{t('noTransitions', { status: t(order.status, { ns: 'ordersShared' }) })}</p> : (
        <div className="row">
          <Field label={t('changeStatus')} name="status" problem={problem}>
            <select value={target} onChange={(event) => setTarget(event.target.value)}>
              <option value="">—</option>
              {targets.map((status) => <option key={status} value={status}>{t(status, { ns: 'ordersShared' })}</option>)}
            </select>
          </Field>
          <button type="submit" className="primary" disabled={busy || target === ''}>{t('apply')}</button>
        </div>
      )}
      <p className="muted">{t('statusHelp')}</p>
      <FormProblem problem={problem} fields={['status']} />
      {done && <div className="ok" role="status">{done}</div>}
    </form>
  );
}

function NotesPanel({ order, onChanged }: { order: OrderInfo; onChanged(order: OrderInfo): void }) {
  const { t } = useTranslation('orders');
  const [notes, setNotes] = useState(order.notes);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    setSaved(false);
    api.orders.updateOrder({ id: order.id, notes }).then((answer) => {
      if (answer.order) onChanged(answer.order);
      setSaved(true);
    }, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };
  return (
    <form className="panel" onSubmit={submit} aria-label={t('notes')}>
      <h2>{t('notes')}</h2>
      <Field label={t('notes')} name="notes" problem={problem}>
        <textarea rows={3} value={notes} onChange={(event) => { setNotes(event.target.value); setSaved(false); }} />
      </Field>
      <FormProblem problem={problem} fields={['notes']} />
      {saved && <div className="ok" role="status">{t('notesSaved')}</div>}
      <button type="submit" disabled={busy || notes === order.notes}>{t('save', { ns: 'common' })}</button>
    </form>
  );
}

type Cancelling = { atPeriodEnd: boolean; refund: boolean; key: string } | null;

/** The period, renewal and cancellation state, and CancelService. */
function ServicePanel({ order, onChanged }: { order: OrderInfo; onChanged(): void }) {
  const { t } = useTranslation('orders');
  const { isAdmin } = useSession();
  const [cancelling, setCancelling] = useState<Cancelling>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const endsAtPeriodEnd = order.cancelAtPeriodEnd === 'true';
  const confirm = () => {
    if (!cancelling) return;
    setBusy(true);
    setProblem(null);
    api.orders.cancelService({ orderId: order.id, atPeriodEnd: cancelling.atPeriodEnd, refund: cancelling.refund }, { headers: { [IDEMPOTENCY_HEADER]: cancelling.key } }).then((answer) => {
      setDone(cancelling.atPeriodEnd ? t('cancelledAtEnd') : t('cancelledNow', { credited: answer.credited }));
      setCancelling(null);
      onChanged();
    }, (failure: unknown) => {
      setProblem(problemOf(failure));
      setCancelling({ ...cancelling, key: newActionKey() });
    }).finally(() => setBusy(false));
  };
  const open = (atPeriodEnd: boolean) => { setProblem(null); setDone(null); setCancelling({ atPeriodEnd, refund: false, key: newActionKey() }); };
  return (
    <div className="panel" data-testid="service-panel">
      <h2>{t('service')}</h2>
      <dl className="details">
        <dt>{t('periodStart')}</dt><dd data-testid="period-start"><Time value={order.periodStart ?? ''} /></dd>
        <dt>{t('periodEnd')}</dt><dd data-testid="period-end"><Time value={order.periodEnd ?? ''} /></dd>
        <dt>{t('nextRenewal')}</dt><dd data-testid="next-renewal">{order.nextRenewalOn || t('noRenewal')}</dd>
        <dt>{t('renewalAmount')}</dt><dd><Money value={order.renewalAmount || order.amount} currency={order.currency} /></dd>
        <dt>{t('periodPrice')}</dt><dd>{order.periodPrice ? <Money value={order.periodPrice} currency={order.currency} /> : '—'}</dd>
        <dt>{t('cancellation')}</dt>
        <dd data-testid="cancellation">{endsAtPeriodEnd ? <span className="badge orange">{t('endsAtPeriodEnd')}</span> : <span className="badge green">{t('willRenew')}</span>}</dd>
      </dl>
      <div className="row">
        {!endsAtPeriodEnd && <button type="button" onClick={() => open(true)}>{t('cancelAtEnd')}</button>}
        <button type="button" className="danger" onClick={() => open(false)}>{t('cancelNow')}</button>
      </div>
      {done && <div className="ok" role="status">{done}</div>}
      {cancelling && (
        <ConfirmDialog
          title={cancelling.atPeriodEnd ? t('cancelAtEndTitle') : t('cancelNowTitle')} confirmLabel={t('confirm', { ns: 'common' })} danger={!cancelling.atPeriodEnd}
          busy={busy} onConfirm={confirm} onClose={() => { setCancelling(null); setProblem(null); }}
        >
          <p>{cancelling.atPeriodEnd ? t('cancelAtEndText', { end: order.periodEnd ? new Date(order.periodEnd).toLocaleString() : '—' }) : t('cancelNowText')}</p>
          {!cancelling.atPeriodEnd && isAdmin && (
            <label className="row">
              <input type="checkbox" checked={cancelling.refund} onChange={(event) => setCancelling({ ...cancelling, refund: event.target.checked })} />
              {t('refundUnused')}
            </label>
          )}
          <FormProblem problem={problem} fields={[]} />
        </ConfirmDialog>
      )}
    </div>
  );
}

/** Upgrade/downgrade: a product of the same provider, the preview's proration, then Confirm. */
function ChangePlanPanel({ order, onChanged }: { order: OrderInfo; onChanged(): void }) {
  const { t } = useTranslation('orders');
  const [products, setProducts] = useState<ProductInfo[] | null>(null);
  const [productId, setProductId] = useState('');
  const [preview, setPreview] = useState<ChangeServicePlanReply | null>(null);
  const [key, setKey] = useState(newActionKey);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    api.products.listProducts({ pagination: { page: 1, pageSize: 100 }, interfaceId: order.providerInterfaceId, isActive: true }).then(
      (answer) => { if (live) setProducts(answer.products.filter((product) => product.id !== order.productId)); },
      (failure: unknown) => { if (live) { setProducts([]); setProblem(problemOf(failure)); } },
    );
    return () => { live = false; };
  }, [order.providerInterfaceId, order.productId]);
  const run = (asPreview: boolean) => {
    setBusy(true);
    setProblem(null);
    setDone(null);
    const headers: Record<string, string> = asPreview ? {} : { [IDEMPOTENCY_HEADER]: key };
    api.orders.changeServicePlan({ orderId: order.id, productId, preview: asPreview }, { headers }).then((answer) => {
      if (asPreview) {
        setPreview(answer);
        return;
      }
      setPreview(null);
      setProductId('');
      setKey(newActionKey());
      setDone(t('changed', { product: answer.order?.productName ?? '', net: answer.net }));
      onChanged();
    }, (failure: unknown) => {
      setProblem(problemOf(failure));
      if (!asPreview) setKey(newActionKey());
    }).finally(() => setBusy(false));
  };
  if (order.status !== 'active') return <div className="panel"><h2>{t('changePlan')}</h2><p className="muted">{t('notActive')}</p></div>;
  return (
    <div className="panel" data-testid="change-plan">
      <h2>{t('changePlan')}</h2>
      {products !== null && products.length === 0 && !problem && <p className="muted">{t('noProducts')}</p>}
      <div className="row">
        <Field label={t('newProduct')} name="product_id" problem={problem}>
          <select value={productId} onChange={(event) => { setProductId(event.target.value); setPreview(null); setDone(null); }}>
            <option value="">{t('choose')}</option>
            {(products ?? []).map((product) => <option key={product.id} value={product.id}>{product.name} · {product.pricePerMonth}</option>)}
          </select>
        </Field>
        <button type="button" disabled={busy || productId === ''} onClick={() => run(true)}>{t('preview')}</button>
      </div>
      <FormProblem problem={problem} fields={['product_id']} />
      {preview && (
        <div data-testid="plan-preview">
          <h3>{t('previewTitle')}</h3>
          <table className="proration">
            <tbody>
              <tr><th>{t('credit')}</th><td className="num" data-testid="preview-credit"><Money value={preview.credit} /></td></tr>
              <tr><th>{t('charge')}</th><td className="num" data-testid="preview-charge"><Money value={preview.charge} /></td></tr>
              <tr><th>{t('net')}</th><td className="num" data-testid="preview-net"><strong><Money value={preview.net} /></strong></td></tr>
              <tr><th>{t('days')}</th><td className="num" data-testid="preview-days">{t('daysValue', { remaining: preview.remainingDays, period: preview.periodDays })}</td></tr>
              <tr><th>{t('newPeriodPrice')}</th><td className="num"><Money value={preview.newPeriodPrice} currency={order.currency} /></td></tr>
            </tbody>
          </table>
          <button type="button" className="primary" disabled={busy} onClick={() => run(false)}>{t('confirmChange')}</button>
        </div>
      )}
      {done && <div className="ok" role="status">{done}</div>}
    </div>
  );
}
