/**
 * The customer list: ListCustomers with the server's filters (type, industry, rating, risk level,
 * RFM segment, active, include deleted, a name / e-mail search), sort (sort_by / sort_order) and
 * pages — or SearchCustomers, which also matches codes and contact persons (exact matches first,
 * no other filters). The new-customer form, the Excel export of the filtered list and the import;
 * after a customer without history was deleted (and so removed), a note saying so.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router-dom';
import type { CustomerInfo } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api } from '../../api.ts';
import { DataTable, useServerList, type Column, type PageQuery } from '../../../../shared/list.tsx';
import { Money } from '../../../../shared/format.tsx';
import { CUSTOMER_TYPES, RFM_SEGMENTS, RISK_LEVELS, RiskBadge, SegmentLabel, Stars, TypeLabel } from './bits.tsx';
import { CreateCustomerForm } from './CreateCustomerForm.tsx';
import { isDeletedNotice } from './DeleteCustomer.tsx';
import { CRM_FILES, ImportPanel } from './ImportPanel.tsx';
import { NS } from './strings.ts';

/** The list's filters as the screen holds them ('' = not filtered). */
export interface CustomerFilters {
  search: string;
  /** Search codes and contact persons too (SearchCustomers). */
  wide: boolean;
  customerType: string;
  industry: string;
  rating: string;
  riskLevel: string;
  rfmSegment: string;
  active: '' | 'true' | 'false';
  includeDeleted: boolean;
}

const NO_FILTERS: CustomerFilters = { search: '', wide: false, customerType: '', industry: '', rating: '', riskLevel: '', rfmSegment: '', active: '', includeDeleted: false };

async function loadCustomers(query: PageQuery<CustomerFilters>): Promise<{ rows: CustomerInfo[]; total: number }> {
  const pagination = { page: query.page, pageSize: query.pageSize };
  const f = query.filters;
  if (f.wide && f.search.trim() !== '') {
    const answer = await api.customers.searchCustomers({ keyword: f.search.trim(), pagination });
    return { rows: answer.customers, total: Number(answer.meta?.total ?? 0) };
  }
  const answer = await api.customers.listCustomers({
    pagination,
    ...(f.search.trim() !== '' ? { search: f.search.trim() } : {}),
    ...(f.customerType !== '' ? { customerType: f.customerType } : {}),
    ...(f.industry.trim() !== '' ? { industry: f.industry.trim() } : {}),
    ...(f.rating !== '' ? { rating: Number(f.rating) } : {}),
    ...(f.riskLevel !== '' ? { riskLevel: f.riskLevel } : {}),
    ...(f.rfmSegment !== '' ? { rfmSegment: f.rfmSegment } : {}),
    ...(f.active !== '' ? { isActive: f.active === 'true' } : {}),
    ...(f.includeDeleted ? { includeDeleted: true } : {}),
    ...(query.sortBy !== '' ? { sortBy: query.sortBy, sortOrder: query.sortDesc ? 'desc' : 'asc' } : {}),
  });
  return { rows: answer.customers, total: Number(answer.meta?.total ?? 0) };
}

/** The export route's query for the filters and sort in force (the list's own, by the proto's names). */
export function exportQuery(query: PageQuery<CustomerFilters>, locale: string): string {
  const f = query.filters;
  const params = new URLSearchParams();
  if (f.search.trim() !== '' && !f.wide) params.set('search', f.search.trim());
  if (!f.wide || f.search.trim() === '') {
    if (f.customerType) params.set('customer_type', f.customerType);
    if (f.industry.trim()) params.set('industry', f.industry.trim());
    if (f.rating) params.set('rating', f.rating);
    if (f.riskLevel) params.set('risk_level', f.riskLevel);
    if (f.rfmSegment) params.set('rfm_segment', f.rfmSegment);
    if (f.active) params.set('is_active', f.active);
    if (f.includeDeleted) params.set('include_deleted', 'true');
  }
  if (query.sortBy) {
    params.set('sort_by', query.sortBy);
    params.set('sort_order', query.sortDesc ? 'desc' : 'asc');
  }
  if (locale === 'zh') params.set('locale', 'zh');
  return params.toString();
}

/** The list screen. */
export function CustomerList() {
  const { t, i18n } = useTranslation(NS);
  const list = useServerList<CustomerInfo, CustomerFilters>(loadCustomers, NO_FILTERS);
  const [draft, setDraft] = useState<CustomerFilters>(NO_FILTERS);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CustomerInfo | null>(null);
  const location = useLocation();
  const removed = isDeletedNotice(location.state) ? location.state.deleted : null;
  const apply = (next: CustomerFilters) => {
    setDraft(next);
    list.setFilters(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(draft);
  };
  const choose = (key: keyof CustomerFilters) => (event: { target: { value: string } }) => apply({ ...draft, [key]: event.target.value });
  const narrowed = draft.wide && draft.search.trim() !== '';

  const columns: Column<CustomerInfo>[] = [
    { key: 'code', title: t('code'), sortKey: 'customer_code', render: (c) => <Link to={c.id} className="cu-mono">{c.customerCode}</Link> },
    {
      key: 'name', title: t('name'), sortKey: 'name',
      render: (c) => <>
        <Link to={c.id}>{c.name}</Link>
        {c.deletedAt ? <span className="badge red cu-name-state">{t('deleted')}</span> : !c.isActive && <span className="badge cu-name-state">{t('inactive')}</span>}
      </>,
    },
    { key: 'type', title: t('type'), render: (c) => <TypeLabel type={c.customerType} /> },
    { key: 'industry', title: t('industry'), render: (c) => c.industry || <span className="muted">—</span> },
    { key: 'rating', title: t('rating'), sortKey: 'rating', render: (c) => <Stars rating={c.rating} source={c.ratingSource} /> },
    { key: 'risk', title: t('risk'), render: (c) => <RiskBadge level={c.riskLevel} /> },
    { key: 'segment', title: t('segment'), render: (c) => <SegmentLabel segment={c.rfmSegment} /> },
    { key: 'balance', title: t('balance'), sortKey: 'balance', numeric: true, render: (c) => <Money value={c.balance} /> },
    { key: 'credit', title: t('availableCredit'), numeric: true, render: (c) => <Money value={c.availableCredit} /> },
    { key: 'limit', title: t('creditLimit'), sortKey: 'credit_limit', numeric: true, render: (c) => <Money value={c.creditLimit} /> },
  ];

  return (
    <section>
      <div className="toolbar" style={{ justifyContent: 'space-between', alignItems: 'center' }}>
        <h1 style={{ margin: 0 }}>{t('title')}</h1>
        <div className="toolbar" style={{ margin: 0, alignItems: 'center' }}>
          <a className="cu-button-link" href={`${CRM_FILES}/export.xlsx?${exportQuery(list.query, i18n.language)}`} download data-testid="export-customers" title={t('exportHint')}>{t('export')}</a>
          <button type="button" className={creating ? undefined : 'primary'} onClick={() => setCreating(!creating)}>{creating ? t('hideForm') : t('newCustomer')}</button>
        </div>
      </div>
      {removed && <div className="ok" role="status" data-testid="customer-removed">{t('deletedRemoved', { code: removed.code, name: removed.name })}</div>}
      {created && <div className="ok" role="status" data-testid="created-customer">{t('created', { code: created.customerCode, name: created.name })} <Link to={created.id}>{t('open')}</Link></div>}
      {creating && (
        <div style={{ marginBottom: '1rem' }}>
          <CreateCustomerForm onCreated={(customer) => { setCreated(customer); setCreating(false); list.reload(); }} />
        </div>
      )}
      <form className="toolbar cu-customer-filters" onSubmit={submit} aria-label={t('filter', { ns: 'common' })}>
        <label className="field"><span>{t('search', { ns: 'common' })}</span>
          <input type="search" name="search" placeholder={t('searchPlaceholder')} value={draft.search} onChange={(event) => setDraft({ ...draft, search: event.target.value })} />
        </label>
        <label className="field"><span>{t('type')}</span>
          <select name="customer_type" value={draft.customerType} onChange={choose('customerType')} disabled={narrowed}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {CUSTOMER_TYPES.map((type) => <option key={type} value={type}>{t(`type_${type}`)}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('industry')}</span>
          <input name="industry" size={12} value={draft.industry} onChange={(event) => setDraft({ ...draft, industry: event.target.value })} disabled={narrowed} />
        </label>
        <label className="field"><span>{t('rating')}</span>
          <select name="rating" value={draft.rating} onChange={choose('rating')} disabled={narrowed}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {[5, 4, 3, 2, 1].map((stars) => <option key={stars} value={String(stars)}>{'★'.repeat(stars)}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('risk')}</span>
          <select name="risk_level" value={draft.riskLevel} onChange={choose('riskLevel')} disabled={narrowed}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {RISK_LEVELS.map((level) => <option key={level} value={level}>{t(`risk_${level}`)}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('segment')}</span>
          <select name="rfm_segment" value={draft.rfmSegment} onChange={choose('rfmSegment')} disabled={narrowed}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {RFM_SEGMENTS.map((segment) => <option key={segment} value={segment}>{t(`segment_${segment}`)}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('state')}</span>
          <select name="is_active" value={draft.active} onChange={choose('active')} disabled={narrowed}>
            <option value="">{t('anyState')}</option>
            <option value="true">{t('active')}</option>
            <option value="false">{t('inactive')}</option>
          </select>
        </label>
        <label className="cu-check"><input type="checkbox" name="include_deleted" checked={draft.includeDeleted} disabled={narrowed} onChange={(event) => apply({ ...draft, includeDeleted: event.target.checked })} />{t('includeDeleted')}</label>
        <label className="cu-check"><input type="checkbox" name="cu-wide" checked={draft.wide} onChange={(event) => apply({ ...draft, wide: event.target.checked })} />{t('searchWide')}</label>
        <button type="submit" className="primary">{t('apply')}</button>
        <button type="button" onClick={() => apply(NO_FILTERS)}>{t('clear')}</button>
      </form>
      <DataTable list={list} columns={columns} rowKey={(c) => c.id} testId="customer-list" />
      <ImportPanel onFinished={list.reload} />
    </section>
  );
}
