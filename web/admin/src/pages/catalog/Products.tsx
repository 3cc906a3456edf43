/**
 * The product list (ListProducts, server-side: pages and the group, category, state, provider and
 * name filters are the server's), with batch actions on the rows chosen — activate / deactivate
 * (BatchSetActive), move to a group (BatchSetGroup), price at cost × a markup ratio
 * (BatchUpdatePrice), delete (BatchDelete) — and a sync of a provider's own products into a group
 * (SyncProducts), showing that it is working and then how many products it brought. Another screen
 * (an import, a product's delete) may leave a notice and the group and provider to show in the router
 * state (`{ notice, groupId, interfaceId }`).
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import type { ProductInfo } from '../../../../../src/gen/rustbill/product_pb.ts';
import { api, problemOf } from '../../api.ts';
import { Money, Time } from '../../../../shared/format.tsx';
import { DataTable, useServerList, type Column, type PageQuery } from '../../../../shared/list.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { groupLabel, type CatalogRefs } from './data.ts';
import './strings.ts';

interface Filters {
  search: string;
  groupId: string;
  categoryId: string;
  /** '' any, 'true' active, 'false' inactive */
  isActive: string;
  interfaceId: string;
}

const NO_FILTERS: Filters = { search: '', groupId: '', categoryId: '', isActive: '', interfaceId: '' };

async function loadProducts(query: PageQuery<Filters>): Promise<{ rows: ProductInfo[]; total: number }> {
  const { filters } = query;
  const answer = await api.products.listProducts({
    pagination: { page: query.page, pageSize: query.pageSize },
    ...(filters.search.trim() !== '' ? { search: filters.search.trim() } : {}),
    ...(filters.groupId !== '' ? { groupId: filters.groupId } : {}),
    ...(filters.categoryId !== '' ? { categoryId: filters.categoryId } : {}),
    ...(filters.isActive !== '' ? { isActive: filters.isActive === 'true' } : {}),
    ...(filters.interfaceId !== '' ? { interfaceId: filters.interfaceId } : {}),
  });
  return { rows: answer.products, total: Number(answer.meta?.total ?? 0n) };
}

function Price({ value }: { value: string | undefined }) {
  return value === undefined || value === '' ? <span className="muted">—</span> : <Money value={value} />;
}

/** The sync panel: a provider, a group, the button; the working state and the result. */
function SyncPanel({ refs, onSynced }: { refs: CatalogRefs; onSynced(groupId: string): void }) {
  const { t } = useTranslation('catalog');
  const [interfaceId, setInterfaceId] = useState('');
  const [groupId, setGroupId] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ count: number; provider: string; names: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const provider = refs.providers.find((entry) => entry.interfaceId === interfaceId);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    setError(null);
    api.products.syncProducts({ interfaceId, groupId }).then(
      (answer) => {
        setResult({ count: answer.count, provider: provider?.providerName ?? interfaceId, names: answer.synced.map((product) => product.name).join(', ') });
        onSynced(groupId);
      },
      (failure: unknown) => setError(problemOf(failure).message),
    ).finally(() => setBusy(false));
  };
  return (
    <form className="card" onSubmit={submit} data-testid="sync-panel" aria-label={t('sync')} style={{ marginBottom: '1rem' }}>
      <h2 style={{ marginTop: 0 }}>{t('sync')}</h2>
      <div className="toolbar">
        <label className="field"><span>{t('provider')}</span>
          <select value={interfaceId} onChange={(e) => setInterfaceId(e.target.value)}>
            <option value="">{t('chooseProvider')}</option>
            {refs.providers.map((entry) => <option key={entry.interfaceId} value={entry.interfaceId}>{entry.providerName}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('syncInto')}</span>
          <select value={groupId} onChange={(e) => setGroupId(e.target.value)}>
            <option value="">{t('noGroup')}</option>
            {refs.groups.map((group) => <option key={group.id} value={group.id}>{groupLabel(group, refs.categories)}</option>)}
          </select>
        </label>
        <div className="field"><button type="submit" className="primary" disabled={busy}>{t('syncButton')}</button></div>
      </div>
      {busy && <div className="muted" role="status" data-testid="sync-working">⏳ {t('syncing')}</div>}
      {result && <div className="ok" role="status" data-testid="sync-result">{t('synced', result)}</div>}
      {error && <div className="error" role="alert">{error}</div>}
    </form>
  );
}

/** What another screen left in the router state for the list: a notice, the group and provider to show. */
function arrivalOf(state: unknown): { notice: string | null; filters: Filters } {
  if (typeof state !== 'object' || state === null) return { notice: null, filters: NO_FILTERS };
  const record: Record<string, unknown> = { ...state };
  const text = (key: string): string => {
    const value = record[key];
    return typeof value === 'string' ? value : '';
  };
  return { notice: text('notice') || null, filters: { ...NO_FILTERS, groupId: text('groupId'), interfaceId: text('interfaceId') } };
}

/** The product list with its filters, batch actions and sync panel. */
export function ProductList({ refs }: { refs: CatalogRefs }) {
  const { t } = useTranslation('catalog');
  const navigate = useNavigate();
  const location = useLocation();
  const [arrival] = useState(() => arrivalOf(location.state));
  const [arrivalNotice, setArrivalNotice] = useState(arrival.notice);
  const list = useServerList(loadProducts, arrival.filters);
  const [draft, setDraft] = useState(NO_FILTERS.search);
  const [chosen, setChosen] = useState<Map<string, string>>(new Map());
  const [targetGroup, setTargetGroup] = useState('');
  const [ratio, setRatio] = useState('1.3');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const filters = list.query.filters;
  const setFilter = (key: keyof Filters, value: string) => list.setFilters({ ...filters, [key]: value });

  const toggle = (product: ProductInfo, on: boolean) => setChosen((old) => {
    const next = new Map(old);
    if (on) next.set(product.id, product.name); else next.delete(product.id);
    return next;
  });
  const allOnPage = list.rows.length > 0 && list.rows.every((row) => chosen.has(row.id));
  const ids = [...chosen.keys()];

  const batch = (work: () => Promise<number>, message: (count: number) => string, clear = false) => {
    setArrivalNotice(null);
    setBusy(true);
    setNotice(null);
    setError(null);
    work().then(
      (count) => {
        setNotice(message(count));
        if (clear) setChosen(new Map());
        list.reload();
        refs.reload();
      },
      (failure: unknown) => setError(problemOf(failure).message),
    ).finally(() => setBusy(false));
  };

  const groupName = (id: string) => {
    const group = refs.groups.find((candidate) => candidate.id === id);
    return group ? groupLabel(group, refs.categories) : '';
  };
  const providerName = (id: string) => refs.providers.find((candidate) => candidate.interfaceId === id)?.providerName ?? id;

  const columns: Column<ProductInfo>[] = [
    {
      key: 'pick',
      title: <input type="checkbox" aria-label={t('selectAll')} checked={allOnPage} onChange={(e) => { for (const row of list.rows) toggle(row, e.target.checked); }} />,
      render: (row) => <input type="checkbox" aria-label={t('selectRow', { name: row.name })} checked={chosen.has(row.id)} onChange={(e) => toggle(row, e.target.checked)} />,
    },
    { key: 'name', title: t('name'), render: (row) => <Link to={`/catalog/products/${row.id}`}>{row.name}</Link> },
    { key: 'group', title: t('group'), render: (row) => row.groupId ? groupName(row.groupId) : <span className="muted">{t('noGroup')}</span> },
    { key: 'provider', title: t('provider'), render: (row) => providerName(row.interfaceId) },
    { key: 'monthly', title: t('monthly'), numeric: true, render: (row) => <span data-testid="price-monthly"><Money value={row.pricePerMonth} /></span> },
    { key: 'quarterly', title: t('quarter'), numeric: true, render: (row) => <span data-testid="price-quarterly"><Price value={row.billingCycles.quarterly} /></span> },
    { key: 'yearly', title: t('year'), numeric: true, render: (row) => <span data-testid="price-yearly"><Price value={row.billingCycles.yearly} /></span> },
    { key: 'cost', title: t('costPrice'), numeric: true, render: (row) => <span data-testid="price-cost"><Money value={row.costPrice} /></span> },
    { key: 'state', title: t('state'), render: (row) => <span data-testid="product-state" className={`badge ${row.isActive ? 'green' : 'red'}`}>{row.isActive ? t('active') : t('inactive')}</span> },
    { key: 'updated', title: t('updated'), render: (row) => <Time value={row.updatedAt} /> },
  ];

  return (
    <div data-testid="catalog-products">
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => void navigate('/catalog/products/new')}>{t('newProduct')}</button>
        <button type="button" onClick={() => void navigate('/catalog/products/import')}>{t('importTitle')}</button>
      </div>
      {arrivalNotice && <div className="ok" role="status" data-testid="list-notice">{arrivalNotice}</div>}
      <SyncPanel refs={refs} onSynced={(groupId) => { setArrivalNotice(null); setNotice(null); setError(null); list.setFilters({ ...NO_FILTERS, groupId }); setDraft(''); refs.reload(); }} />
      <form className="toolbar" aria-label={t('filter', { ns: 'common' })} onSubmit={(event) => { event.preventDefault(); setFilter('search', draft); }}>
        <label className="field"><span>{t('search')}</span><input type="search" value={draft} onChange={(e) => setDraft(e.target.value)} /></label>
        <div className="field"><button type="submit">{t('search', { ns: 'common' })}</button></div>
        <label className="field"><span>{t('category')}</span>
          <select value={filters.categoryId} onChange={(e) => setFilter('categoryId', e.target.value)}>
            <option value="">{t('anyCategory')}</option>
            {refs.categories.map((category) => <option key={category.id} value={category.id}>{category.name}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('group')}</span>
          <select value={filters.groupId} onChange={(e) => setFilter('groupId', e.target.value)}>
            <option value="">{t('anyGroup')}</option>
            {refs.groups.map((group) => <option key={group.id} value={group.id}>{groupLabel(group, refs.categories)}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('state')}</span>
          <select value={filters.isActive} onChange={(e) => setFilter('isActive', e.target.value)}>
            <option value="">{t('anyState')}</option>
            <option value="true">{t('active')}</option>
            <option value="false">{t('inactive')}</option>
          </select>
        </label>
        <label className="field"><span>{t('provider')}</span>
          <select value={filters.interfaceId} onChange={(e) => setFilter('interfaceId', e.target.value)}>
            <option value="">{t('anyProvider')}</option>
            {refs.providers.map((entry) => <option key={entry.interfaceId} value={entry.interfaceId}>{entry.providerName}</option>)}
          </select>
        </label>
      </form>

      {notice && <div className="ok" role="status" data-testid="batch-result">{notice}</div>}
      {error && <div className="error" role="alert" data-testid="batch-error">{error}</div>}
      {ids.length > 0 && (
        <div className="card toolbar" data-testid="batch-bar" style={{ alignItems: 'center' }}>
          <strong>{t('selected', { count: ids.length })}</strong>
          <button type="button" onClick={() => setChosen(new Map())}>{t('clearSelection')}</button>
          <button type="button" disabled={busy} onClick={() => batch(async () => (await api.products.batchSetActive({ productIds: ids, isActive: true })).updatedCount, (count) => t('activated', { count }))}>{t('activate')}</button>
          <button type="button" disabled={busy} onClick={() => batch(async () => (await api.products.batchSetActive({ productIds: ids, isActive: false })).updatedCount, (count) => t('deactivated', { count }))}>{t('deactivate')}</button>
          <select aria-label={t('moveTo')} value={targetGroup} onChange={(e) => setTargetGroup(e.target.value)}>
            <option value="">{t('noGroup')}</option>
            {refs.groups.map((group) => <option key={group.id} value={group.id}>{groupLabel(group, refs.categories)}</option>)}
          </select>
          <button type="button" disabled={busy} onClick={() => batch(async () => (await api.products.batchSetGroup({ productIds: ids, groupId: targetGroup })).updatedCount, (count) => t('moved', { count }))}>{t('move')}</button>
          <input aria-label={t('markup')} value={ratio} onChange={(e) => setRatio(e.target.value)} style={{ width: '5rem' }} inputMode="decimal" />
          <button type="button" disabled={busy} onClick={() => batch(async () => (await api.products.batchUpdatePrice({ productIds: ids, markupRatio: ratio.trim() })).updatedCount, (count) => t('repriced', { count, ratio: ratio.trim() }))}>{t('applyMarkup')}</button>
          <ConfirmButton disabled={busy} onConfirm={() => batch(async () => (await api.products.batchDelete({ productIds: ids })).deletedCount, (count) => t('batchDeleted', { count }), true)}>{t('batchDelete')}</ConfirmButton>
        </div>
      )}
      <DataTable list={list} columns={columns} rowKey={(row) => row.id} testId="product-table" />
    </div>
  );
}
