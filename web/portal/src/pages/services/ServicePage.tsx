/**
 * One service (`/services/:id`): OrderService/GetOrder — product, status, billing cycle, current
 * period, next renewal date and amount (or the day it ends when cancelled at the period end),
 * promotion — its server (InstanceService/ListInstances, the one of this order; a link to
 * `/instances/<id>`), upgrade/downgrade ({@link ChangePlan}) and cancellation at the period end
 * ({@link CancelPanel}). README "Recurring billing".
 */
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import type { InstanceInfo } from '../../../../../src/gen/rustbill/instance_pb.ts';
import type { OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import { api } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { CycleName, ErrorBox, Loading, PageTitle, StatusBadge } from '../../ui/page.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { CancelPanel } from './CancelPanel.tsx';
import { ChangePlan } from './ChangePlan.tsx';
import { cancelsAtPeriodEnd, Day, useDayText } from './shared.tsx';
import './strings.ts';
import './services.css';

/** Pages of ListInstances looked through for the order's server (100 each). */
const INSTANCE_PAGES = 5;

/**
 * The customer's server of `order` (not terminated first), or null when it has none (yet).
 * @throws ConnectError as ListInstances answers
 */
async function serverOf(order: OrderInfo): Promise<InstanceInfo | null> {
  const found: InstanceInfo[] = [];
  for (let page = 1; page <= INSTANCE_PAGES; page += 1) {
    const answer = await api.instances.listInstances({ pagination: { page, pageSize: 100 }, providerInterfaceId: order.providerInterfaceId });
    found.push(...answer.instances.filter((instance) => instance.orderId === order.id));
    if (page >= (answer.meta?.totalPages ?? 0)) break;
  }
  return found.find((instance) => instance.status !== 'terminated') ?? found[0] ?? null;
}

/** The page of the service `:id`. */
export function ServicePage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('services');
  const friendly = useFriendly();
  const [order, setOrder] = useState<OrderInfo | null>(null);
  const [server, setServer] = useState<InstanceInfo | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    let live = true;
    setError(null);
    api.orders.getOrder({ id }).then(async (answer) => {
      const found = answer.order ?? null;
      if (!live) return;
      setOrder(found);
      if (found) {
        const instance = await serverOf(found).catch(() => null);
        if (live) setServer(instance);
      }
    }, (failure: unknown) => { if (live) setError(friendly(failure).message); });
    return () => { live = false; };
  }, [id, version, friendly]);
  if (error && !order) {
    return <section><Link to="..">{t('back')}</Link><PageTitle>{t('title')}</PageTitle><ErrorBox message={error} onRetry={reload} /></section>;
  }
  if (!order) return <Loading />;
  const name = order.productName || t('product');
  const isService = order.status === 'active' || order.status === 'suspended';
  return (
    <section>
      <Link to="..">{t('back')}</Link>
      <PageTitle>
        <span data-testid="service-product">{name}</span>{' '}
        <span data-testid="service-status"><StatusBadge status={order.status} /></span>
      </PageTitle>
      {order.status === 'suspended' && (
        <div className="error" role="alert">{t('suspendedNote')} <Link to="/invoices">{t('toInvoices')}</Link></div>
      )}
      <div className="split">
        <div>
          <ServiceFacts order={order} />
          {isService && <ChangePlan order={order} onChanged={(changed) => { setOrder(changed); reload(); }} />}
        </div>
        <div>
          <ServerPanel server={server} />
          {isService && <CancelPanel order={order} onChanged={setOrder} />}
        </div>
      </div>
    </section>
  );
}

/** What the service is and where it stands in its billing period. */
function ServiceFacts({ order }: { order: OrderInfo }) {
  const { t } = useTranslation('services');
  const day = useDayText();
  const cancels = cancelsAtPeriodEnd(order);
  const spec = order.serverSpec;
  const specText = spec
    ? [spec.cpuCores ? `${spec.cpuCores} vCPU` : '', spec.memoryGb ? `${spec.memoryGb} GB RAM` : '', spec.diskGb ? `${spec.diskGb} GB disk` : '', spec.region, spec.os]
        .filter((part) => part !== '').join(' · ')
    : '';
  return (
    <div className="panel" data-testid="service-facts">
      <dl className="facts">
        <dt>{t('cycle')}</dt><dd><CycleName cycle={order.billingCycle} /></dd>
        <dt>{t('period')}</dt>
        <dd>{order.periodStart ? <><Day value={order.periodStart} testId="period-start" /> – <Day value={order.periodEnd ?? ''} testId="period-end" /></> : '—'}</dd>
        {cancels
          ? <>
              <dt>{t('cancelsOnLabel')}</dt>
              <dd><time className="badge orange" dateTime={order.periodEnd ?? ''} data-testid="service-cancels">{t('cancelsOn', { date: day(order.periodEnd ?? '') })}</time></dd>
            </>
          : <>
              <dt>{t('nextRenewal')}</dt>
              <dd>{order.nextRenewalOn ? <Day value={order.nextRenewalOn} testId="next-renewal" /> : <span className="muted">{t('notRenewing')}</span>}</dd>
              {order.nextRenewalOn && order.renewalAmount && <>
                <dt>{t('renewalAmount')}</dt>
                <dd data-testid="renewal-amount"><Money value={order.renewalAmount} currency={order.currency} /></dd>
              </>}
            </>}
        {order.periodPrice && <><dt>{t('periodPrice')}</dt><dd><Money value={order.periodPrice} currency={order.currency} /></dd></>}
        {order.promotionCode && <>
          <dt>{t('promotion')}</dt>
          <dd>{order.discountAmount ? t('promotionValue', { code: order.promotionCode, discount: order.discountAmount }) : order.promotionCode}</dd>
        </>}
        {specText && <><dt>{t('spec')}</dt><dd>{specText}</dd></>}
        <dt>{t('created')}</dt><dd><Time value={order.createdAt} /></dd>
      </dl>
    </div>
  );
}

/** The service's server: its status and address, and a link to its page. */
function ServerPanel({ server }: { server: InstanceInfo | null | undefined }) {
  const { t } = useTranslation('services');
  return (
    <div className="panel" data-testid="service-server">
      <h2>{t('server')}</h2>
      {server === undefined && <Loading />}
      {server === null && <p className="muted">{t('noServer')}</p>}
      {server && <>
        <p><StatusBadge status={server.status} /> <span className="mono">{server.ipAddress || ''}</span></p>
        <Link to={`/instances/${server.id}`} className="button">{t('openServer')}</Link>
      </>}
    </div>
  );
}
