/**
 * Upgrade / downgrade of an active service (README "Recurring billing": ChangeServicePlan): the
 * other active products of the service's provider (ProductService/ListProducts, `interface_id`),
 * each with its catalog price for the service's billing cycle (the RPC keeps the cycle); "See the
 * price" asks ChangeServicePlan with `preview: true` (nothing changes) and shows the day-based
 * proration — credit for the unused days, charge for the rest of the period, net, the days — then
 * "Confirm change" asks it for real with an idempotency key (kept while the same change is retried
 * after a lost answer). Refusals in words; insufficient funds links to `/balance`.
 */
import { Code } from '@connectrpc/connect';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { ChangeServicePlanReply, OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import type { ProductInfo } from '../../../../../src/gen/rustbill/product_pb.ts';
import { api, idempotent, newActionKey, problemOf, type ApiProblem } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { CycleName, ErrorBox, Loading, Notice } from '../../ui/page.tsx';
import { Money } from '../../../../shared/format.tsx';
import { cancelsAtPeriodEnd, cyclePrice } from './shared.tsx';

/** True when a refusal is the money path's "insufficient funds". */
function isInsufficientFunds(error: unknown): boolean {
  const problem = problemOf(error);
  return problem.code === Code.FailedPrecondition && /insufficient.funds/i.test(problem.message);
}

/** True when the outcome of a call is unknown (it may have happened): retry with the same key. */
function outcomeUnknown(error: unknown): boolean {
  const code = problemOf(error).code;
  return code === Code.Unavailable || code === Code.DeadlineExceeded || code === Code.Unknown;
}

/** A decimal string without its sign. */
function magnitude(value: string): string {
  return value.startsWith('-') ? value.slice(1) : value;
}

/**
 * The change-plan panel of `order`; `onChanged` gets the order after a confirmed change.
 */
export function ChangePlan({ order, onChanged }: { order: OrderInfo; onChanged(order: OrderInfo): void }) {
  const { t } = useTranslation('services');
  const { t: common, i18n } = useTranslation();
  const cycleText = (cycle: string) => (i18n.exists(`cycle.${cycle}`) ? common(`cycle.${cycle}`) : cycle);
  const friendly = useFriendly();
  const [products, setProducts] = useState<ProductInfo[] | null>(null);
  const [current, setCurrent] = useState<ProductInfo | null>(null);
  const [chosen, setChosen] = useState('');
  const [preview, setPreview] = useState<ChangeServicePlanReply | null>(null);
  const [key, setKey] = useState(newActionKey);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [shortOfFunds, setShortOfFunds] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    api.products.listProducts({ pagination: { page: 1, pageSize: 100 }, interfaceId: order.providerInterfaceId, isActive: true }).then(
      (answer) => {
        if (!live) return;
        setProducts(answer.products.filter((product) => product.id !== order.productId));
        setCurrent(answer.products.find((product) => product.id === order.productId) ?? null);
      },
      (failure: unknown) => { if (live) { setProducts([]); setProblem(friendly(failure)); } },
    );
    return () => { live = false; };
  }, [order.providerInterfaceId, order.productId, friendly]);

  const fail = (failure: unknown) => {
    setProblem(friendly(failure));
    setShortOfFunds(isInsufficientFunds(failure));
  };
  const choose = (productId: string) => {
    setChosen(productId);
    setPreview(null);
    setProblem(null);
    setShortOfFunds(false);
    setDone(null);
    setKey(newActionKey());
  };
  const ask = () => {
    setBusy(true);
    setProblem(null);
    setShortOfFunds(false);
    setDone(null);
    api.orders.changeServicePlan({ orderId: order.id, productId: chosen, preview: true })
      .then((answer) => setPreview(answer), fail)
      .finally(() => setBusy(false));
  };
  const confirm = () => {
    setBusy(true);
    setProblem(null);
    setShortOfFunds(false);
    api.orders.changeServicePlan({ orderId: order.id, productId: chosen, preview: false }, idempotent(key)).then((answer) => {
      const product = answer.order?.productName ?? '';
      const net = answer.net;
      setDone(net.startsWith('-') ? t('changedBack', { product, net: magnitude(net) }) : net === '0.00' ? t('changed', { product }) : t('changedPaid', { product, net }));
      setPreview(null);
      setChosen('');
      setKey(newActionKey());
      if (answer.order) onChanged(answer.order);
    }, (failure: unknown) => {
      fail(failure);
      // A refusal is final for this key; an unknown outcome is retried with the same one.
      if (!outcomeUnknown(failure)) setKey(newActionKey());
    }).finally(() => setBusy(false));
  };

  const heading = <h2 id="change-plan-title">{t('changePlan')}</h2>;
  if (order.status !== 'active') return <div className="panel">{heading}<p className="muted">{t('notActive')}</p></div>;
  if (cancelsAtPeriodEnd(order)) return <div className="panel">{heading}<p className="muted">{t('cancelledNoChange')}</p></div>;
  const currentPrice = current ? cyclePrice(current, order.billingCycle) : null;
  return (
    <div className="panel" data-testid="change-plan" role="region" aria-labelledby="change-plan-title">
      {heading}
      <p className="muted">{t('changeIntro')}</p>
      {done && <Notice>{done}</Notice>}
      {products === null && <Loading />}
      {products !== null && (
        <>
          <p>
            {t('current')} <strong>{order.productName}</strong>
            {currentPrice && <> · <Money value={currentPrice} currency={order.currency} /> / <CycleName cycle={order.billingCycle} /></>}
          </p>
          {products.length === 0 && !problem && <p className="muted">{t('noProducts')}</p>}
          {products.length > 0 && (
            <fieldset className="plan-choices">
              <legend>{t('plans')}</legend>
              {products.map((product) => {
                const price = cyclePrice(product, order.billingCycle);
                return (
                  <label key={product.id} className={chosen === product.id ? 'plan-choice chosen' : 'plan-choice'}>
                    <input type="radio" name="plan" value={product.id} checked={chosen === product.id} onChange={() => choose(product.id)} />
                    <span className="plan-name">{product.name}</span>
                    <span className="plan-price">{price ? <><Money value={price} currency={order.currency} /> / <CycleName cycle={order.billingCycle} /></> : ''}</span>
                    {product.description && <span className="plan-note">{product.description}</span>}
                  </label>
                );
              })}
              <p className="hint">{t('cycleFixed', { cycle: cycleText(order.billingCycle) })}</p>
            </fieldset>
          )}
          {products.length > 0 && !preview && (
            <button type="button" disabled={busy || chosen === ''} onClick={ask}>{t('preview')}</button>
          )}
          {preview && <PreviewFigures preview={preview} currency={order.currency} busy={busy} onConfirm={confirm} onBack={() => choose(chosen)} />}
          <ErrorBox message={problem?.message ?? null} />
          {shortOfFunds && <p><Link to="/balance" className="button">{t('addFunds')}</Link></p>}
        </>
      )}
    </div>
  );
}

/** The preview's figures (decimal strings as the server sent them) and the confirm button. */
function PreviewFigures({ preview, currency, busy, onConfirm, onBack }: {
  preview: ChangeServicePlanReply; currency: string; busy: boolean; onConfirm(): void; onBack(): void;
}) {
  const { t } = useTranslation('services');
  const back = preview.net.startsWith('-');
  return (
    <div className="plan-preview" data-testid="plan-preview" aria-live="polite">
      <h3>{t('previewTitle')}</h3>
      <dl className="facts">
        <dt>{t('days')}</dt><dd data-testid="preview-days">{t('daysValue', { remaining: preview.remainingDays, period: preview.periodDays })}</dd>
        <dt>{t('credit')}</dt><dd data-testid="preview-credit"><Money value={preview.credit} /></dd>
        <dt>{t('charge')}</dt><dd data-testid="preview-charge"><Money value={preview.charge} /></dd>
        <dt>{back ? t('netBack') : t('net')}</dt>
        <dd className="total" data-testid="preview-net" data-net={preview.net}><Money value={magnitude(preview.net)} currency={currency} /></dd>
        <dt>{t('newPeriodPrice')}</dt><dd data-testid="preview-period-price"><Money value={preview.newPeriodPrice} currency={currency} /></dd>
      </dl>
      <div className="row-actions">
        <button type="button" className="primary" disabled={busy} onClick={onConfirm}>{t('confirmChange')}</button>
        <button type="button" disabled={busy} onClick={onBack}>{t('cancel', { ns: 'common' })}</button>
      </div>
    </div>
  );
}
