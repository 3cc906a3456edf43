/**
 * The orders list: one server page at a time (ListOrders), filtered on the server by status,
 * customer, provider interface and a keyword (product name or order id). `?customer=<id>` and
 * `?status=<status>` in the address start the list filtered (links from other screens).
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import type { OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import { ORDER_STATUSES } from '../../../../../src/domain/orders/order.ts';
import { api } from '../../api.ts';
import { DataTable, useServerList, type Column } from '../../../../shared/list.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { InterfaceLabel, isProviderType, ShortId, StatusBadge, useInterfaces } from './shared.tsx';
import './strings.ts';

/** The list's server-side filters. */
interface OrderFilters {
  status: string;
  customerId: string;
  providerId: string;
  search: string;
}

/** The orders list with its filters. */
export function OrderList() {
  const { t } = useTranslation('orders');
  const [params] = useSearchParams();
  const interfaces = useInterfaces();
  const initial: OrderFilters = { status: params.get('status') ?? '', customerId: params.get('customer') ?? '', providerId: '', search: '' };
  const [draft, setDraft] = useState<OrderFilters>(initial);
  const list = useServerList<OrderInfo, OrderFilters>(async (query) => {
    const { filters } = query;
    const answer = await api.orders.listOrders({
      pagination: { page: query.page, pageSize: query.pageSize },
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.customerId.trim() ? { customerId: filters.customerId.trim() } : {}),
      ...(filters.providerId ? { providerInterfaceId: filters.providerId } : {}),
      ...(filters.search.trim() ? { search: filters.search.trim() } : {}),
    });
    return { rows: answer.orders, total: Number(answer.meta?.total ?? 0) };
  }, initial);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    list.setFilters(draft);
  };
  const columns: Column<OrderInfo>[] = [
    { key: 'id', title: t('order'), render: (row) => <Link to={row.id} data-testid="order-link"><ShortId id={row.id} /></Link> },
    { key: 'product', title: t('product'), render: (row) => row.productName || <ShortId id={row.productId} /> },
    { key: 'customer', title: t('customer'), render: (row) => <ShortId id={row.customerId} /> },
    { key: 'provider', title: t('provider'), render: (row) => <InterfaceLabel id={row.providerInterfaceId} list={interfaces} /> },
    { key: 'status', title: t('status'), render: (row) => <StatusBadge status={row.status} /> },
    { key: 'cycle', title: t('cycle'), render: (row) => t(`cycle_${row.billingCycle}`, { defaultValue: row.billingCycle }) },
    { key: 'amount', title: t('amount'), numeric: true, render: (row) => <Money value={row.amount} currency={row.currency} /> },
    { key: 'renewal', title: t('nextRenewal'), render: (row) => row.nextRenewalOn || <span className="muted">—</span> },
    { key: 'created', title: t('created'), render: (row) => <Time value={row.createdAt} /> },
  ];
  return (
    <section>
      <h1>{t('title')}</h1>
      <form className="toolbar" onSubmit={apply} aria-label={t('filters')}>
        <label className="field"><span>{t('status')}</span>
          <select value={draft.status} onChange={(event) => setDraft({ ...draft, status: event.target.value })}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {ORDER_STATUSES.map((status) => <option key={status} value={status}>{t(status, { ns: 'ordersShared' })}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('customerId')}</span>
          <input value={draft.customerId} placeholder="UUID" size={38} onChange={(event) => setDraft({ ...draft, customerId: event.target.value })} />
        </label>
        <label className="field"><span>{t('provider')}</span>
          <select value={draft.providerId} onChange={(event) => setDraft({ ...draft, providerId: event.target.value })}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {interfaces.filter((entry) => isProviderType(entry.type)).map((entry) => <option key={entry.id} value={entry.id}>{entry.name}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('search')}</span>
          <input type="search" value={draft.search} placeholder={t('searchHint')} onChange={(event) => setDraft({ ...draft, search: event.target.value })} />
        </label>
        <button type="submit" className="primary">{t('filter', { ns: 'common' })}</button>
      </form>
      <DataTable list={list} columns={columns} rowKey={(row) => row.id} testId="orders-table" />
    </section>
  );
}
