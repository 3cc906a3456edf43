/**
 * My orders (`/orders`, issue 13): OrderService/ListOrders for the signed-in customer (the server
 * scopes it to its own orders), newest first, a status filter and paging done by the server; each
 * order links to its page `/orders/<id>` (pay, follow it). On a phone each row becomes a card.
 */
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import type { OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import { api } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { CycleName, ErrorBox, PageTitle, StatusBadge } from '../../ui/page.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { Pager, useServerList, type PageQuery } from '../../../../shared/list.tsx';
import './strings.ts';
import './orders.css';

/** The order statuses a customer can filter by (order.proto OrderInfo.status). */
export const ORDER_STATUSES = ['pending', 'paid', 'provisioning', 'active', 'suspended', 'cancelled', 'refunded', 'completed', 'terminated'] as const;

const PAGE_SIZE = 20;

/** One page of the customer's orders. */
async function loadOrders(query: PageQuery<{ status: string }>): Promise<{ rows: OrderInfo[]; total: number }> {
  const answer = await api.orders.listOrders({
    pagination: { page: query.page, pageSize: query.pageSize },
    ...(query.filters.status !== '' ? { status: query.filters.status } : {}),
  });
  return { rows: answer.orders, total: Number(answer.meta?.total ?? 0n) };
}

/** The orders list. */
export function OrderList() {
  const { t } = useTranslation('orders');
  const { t: common } = useTranslation();
  const friendly = useFriendly();
  const [params, setParams] = useSearchParams();
  const initial = params.get('status') ?? '';
  const list = useServerList(loadOrders, { status: (ORDER_STATUSES as readonly string[]).includes(initial) ? initial : '' }, PAGE_SIZE, (error) => friendly(error).message);
  const status = list.query.filters.status;

  const chooseStatus = (value: string) => {
    list.setFilters({ status: value });
    const next = new URLSearchParams(params);
    if (value === '') next.delete('status');
    else next.set('status', value);
    setParams(next, { replace: true });
  };

  return (
    <section>
      <PageTitle>{t('title')}</PageTitle>
      <div className="list-filters">
        <label className="field">
          <span>{t('status')}</span>
          <select value={status} onChange={(event) => chooseStatus(event.target.value)}>
            <option value="">{t('allStatuses')}</option>
            {ORDER_STATUSES.map((entry) => <option key={entry} value={entry}>{common(`status.${entry}`)}</option>)}
          </select>
        </label>
      </div>
      <ErrorBox message={list.error} onRetry={list.reload} />
      {list.rows.length === 0 && !list.loading && !list.error
        ? <div className="panel empty-state"><p>{status === '' ? t('none') : t('noneWithStatus')}</p>{status === '' && <Link className="button primary" to="/">{t('toStore')}</Link>}</div>
        : (
          <div className="table-wrap">
            <table className="stack" data-testid="orders-table">
              <thead>
                <tr><th>{t('product')}</th><th>{t('status')}</th><th className="num">{t('amount')}</th><th>{t('cycle')}</th><th>{t('created')}</th></tr>
              </thead>
              <tbody>
                {list.rows.map((order) => (
                  <tr key={order.id} data-testid="order-row" data-order-id={order.id}>
                    <td data-label={t('product')}><Link to={`/orders/${order.id}`} data-testid="order-link">{order.productName || order.id}</Link></td>
                    <td data-label={t('status')}><StatusBadge status={order.status} /></td>
                    <td data-label={t('amount')} className="num"><Money value={order.amount} currency={order.currency} /></td>
                    <td data-label={t('cycle')}><CycleName cycle={order.billingCycle} /></td>
                    <td data-label={t('created')}><Time value={order.createdAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager list={list} />
          </div>
        )}
    </section>
  );
}
