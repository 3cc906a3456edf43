/**
 * "My services" (`/services`): the customer's active and suspended orders (OrderService/ListOrders,
 * status filter, the customer's own), each a card with its product, status, billing cycle, current
 * period, next renewal date and amount, or "Cancels on <date>" when cancelled at the period end
 * (README "Recurring billing"). Suspended services come first: they need the customer.
 */
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import { api } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { CycleName, ErrorBox, Loading, PageTitle, StatusBadge } from '../../ui/page.tsx';
import { Money } from '../../../../shared/format.tsx';
import { cancelsAtPeriodEnd, Day, useDayText } from './shared.tsx';
import './strings.ts';
import './services.css';

/** How many services of each status one visit loads (a customer rarely has more). */
const PAGE_SIZE = 50;

interface Loaded {
  services: OrderInfo[];
  /** Services the server has beyond those loaded. */
  total: number;
}

/** The list of the customer's services as cards (empty and loading states, errors in words). */
export function ServiceList() {
  const { t } = useTranslation('services');
  const friendly = useFriendly();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    let live = true;
    setError(null);
    const page = (status: string) => api.orders.listOrders({ pagination: { page: 1, pageSize: PAGE_SIZE }, status });
    Promise.all([page('suspended'), page('active')]).then(([suspended, active]) => {
      if (!live) return;
      setLoaded({
        services: [...suspended.orders, ...active.orders],
        total: Number(suspended.meta?.total ?? 0) + Number(active.meta?.total ?? 0),
      });
    }, (failure: unknown) => { if (live) setError(friendly(failure).message); });
    return () => { live = false; };
  }, [version, friendly]);
  return (
    <section>
      <PageTitle>{t('title')}</PageTitle>
      <p className="muted">{t('intro')}</p>
      <ErrorBox message={error} onRetry={reload} />
      {!loaded && !error && <Loading />}
      {loaded && loaded.services.length === 0 && (
        <div className="panel">
          <p>{t('empty')}</p>
          <div className="row-actions">
            <Link to="/" className="button primary">{t('toStore')}</Link>
            <Link to="/orders" className="button">{t('toOrders')}</Link>
          </div>
        </div>
      )}
      {loaded && loaded.services.length > 0 && (
        <div className="cards service-cards" data-testid="services">
          {loaded.services.map((order) => <ServiceCard key={order.id} order={order} />)}
        </div>
      )}
      {loaded && loaded.total > loaded.services.length && (
        <p className="muted">{t('more', { shown: loaded.services.length, total: loaded.total })} <Link to="/orders">{t('toOrders')}</Link></p>
      )}
    </section>
  );
}

/** One service as a card: what it is, its period and what happens at the period's end. */
function ServiceCard({ order }: { order: OrderInfo }) {
  const { t } = useTranslation('services');
  const name = order.productName || t('product');
  const cancels = cancelsAtPeriodEnd(order);
  const day = useDayText();
  return (
    <article className="card service-card" data-testid="service-card" data-order-id={order.id} aria-labelledby={`service-${order.id}`}>
      <div className="service-card-head">
        <h2 id={`service-${order.id}`} data-testid="service-product">{name}</h2>
        <span data-testid="service-status"><StatusBadge status={order.status} /></span>
      </div>
      <dl className="facts">
        <dt>{t('cycle')}</dt>
        <dd><CycleName cycle={order.billingCycle} /></dd>
        <dt>{t('period')}</dt>
        <dd data-testid="service-period">
          {order.periodStart ? <><Day value={order.periodStart} /> – <Day value={order.periodEnd ?? ''} /></> : '—'}
        </dd>
        {cancels
          ? <>
              <dt>{t('cancelsOnLabel')}</dt>
              <dd><time className="badge orange" dateTime={order.periodEnd ?? ''} data-testid="service-cancels">{t('cancelsOn', { date: day(order.periodEnd ?? '') })}</time></dd>
            </>
          : <>
              <dt>{t('nextRenewal')}</dt>
              <dd data-testid="service-renewal">
                {order.nextRenewalOn
                  ? <><Day value={order.nextRenewalOn} testId="service-renewal-date" />{order.renewalAmount ? <> · <span data-testid="service-renewal-amount"><Money value={order.renewalAmount} currency={order.currency} /></span></> : null}</>
                  : <span className="muted">{t('notRenewing')}</span>}
              </dd>
            </>}
        {order.promotionCode && <><dt>{t('promotion')}</dt><dd>{order.promotionCode}</dd></>}
      </dl>
      <div className="row-actions">
        <Link to={order.id} className="button" aria-label={t('manageNamed', { name })}>{t('manage')}</Link>
      </div>
    </article>
  );
}
