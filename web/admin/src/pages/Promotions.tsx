/**
 * The Promotion codes screen (issue 12): the server's list (newest first) filtered to active codes
 * and/or a code prefix, page by page, with every term shown; create and edit with the full terms;
 * delete (the server deactivates a code that has been used instead, and the page says which).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PromotionCodeInfo } from '../../../../src/gen/rustbill/billing_pb.ts';
import { api, problemOf } from '../api.ts';
import { Money, Time } from '../../../shared/format.tsx';
import { DataTable, useServerList, type Column, type PageQuery } from '../../../shared/list.tsx';
import { YesNo } from './billing/common.tsx';
import { PromotionForm } from './billing/PromotionForm.tsx';

interface PromotionFilters { activeOnly: boolean; prefix: string }

function loadPromotions(query: PageQuery<PromotionFilters>) {
  return api.billing.listPromotionCodes({ pagination: { page: query.page, pageSize: query.pageSize }, activeOnly: query.filters.activeOnly, codePrefix: query.filters.prefix.trim() })
    .then((answer) => ({ rows: answer.promotions, total: Number(answer.meta?.total ?? 0) }));
}

/** The Promotion codes screen. */
export default function PromotionsPage() {
  const { t } = useTranslation('promotions');
  const list = useServerList(loadPromotions, { activeOnly: false, prefix: '' });
  const [editing, setEditing] = useState<PromotionCodeInfo | 'new' | null>(null);
  const [prefix, setPrefix] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const remove = (row: PromotionCodeInfo) => {
    const code = row.terms?.code ?? '';
    if (!window.confirm(t('confirmDelete', { code }))) return;
    setMessage(null);
    setProblem(null);
    api.billing.deletePromotionCode({ id: row.id }).then((answer) => {
      setMessage(answer.deleted ? t('deleted', { code }) : t('deactivated', { code }));
      list.reload();
    }, (error: unknown) => setProblem(problemOf(error).message));
  };

  const columns: Column<PromotionCodeInfo>[] = [
    {
      key: 'code', title: t('code'),
      render: (row) => <><strong data-testid="promotion-code">{row.terms?.code}</strong>{row.terms?.description ? <div className="muted small">{row.terms.description}</div> : null}</>,
    },
    {
      key: 'value', title: t('value'), numeric: true,
      render: (row) => <>{row.terms?.kind === 'percent' ? `${row.terms.value} %` : <Money value={row.terms?.value ?? '0.00'} />}<div className="muted small">{t(row.terms?.kind ?? 'percent')}</div></>,
    },
    { key: 'recurrence', title: t('recurrence'), render: (row) => t(row.terms?.recurrence ?? 'first_period') },
    {
      key: 'scope', title: `${t('products')} · ${t('cycles')}`,
      render: (row) => <>{(row.terms?.productIds.length ?? 0) === 0 ? t('everyProduct') : t('productsCount', { count: row.terms?.productIds.length ?? 0 })} · {(row.terms?.billingCycles.length ?? 0) === 0 ? t('allCycles') : row.terms?.billingCycles.map((cycle) => t(cycle)).join(', ')}</>,
    },
    {
      key: 'validity', title: t('validity'),
      render: (row) => <>{row.terms?.validFrom ? <Time value={row.terms.validFrom} /> : t('now')} →<div>{row.terms?.validUntil ? <Time value={row.terms.validUntil} /> : t('noEnd')}</div></>,
    },
    {
      key: 'uses', title: t('uses'),
      render: (row) => <>{row.uses} / {row.terms?.maxUses ? t('inAll', { count: row.terms.maxUses }) : t('noLimit')}{row.terms?.maxUsesPerCustomer ? <div className="muted small">{t('perCustomer', { count: row.terms.maxUsesPerCustomer })}</div> : null}</>,
    },
    { key: 'active', title: t('isActive'), render: (row) => <YesNo value={row.terms?.isActive ?? false} /> },
    {
      key: 'actions', title: '',
      render: (row) => (
        <span className="actions">
          <button type="button" onClick={() => { setMessage(null); setEditing(row); }}>{t('edit')}</button>
          <button type="button" className="danger" onClick={() => remove(row)}>{t('remove')}</button>
        </span>
      ),
    },
  ];

  return (
    <section>
      <h1>{t('title')}</h1>
      {message && <div className="ok" role="status">{message}</div>}
      {problem && <div className="error" role="alert">{problem}</div>}
      {editing !== null && (
        <div style={{ marginBottom: '1rem' }}>
          <PromotionForm key={editing === 'new' ? 'new' : editing.id} editing={editing === 'new' ? null : editing}
            onSaved={(saved) => { setMessage(saved); setEditing(null); list.reload(); }} onCancel={() => setEditing(null)} />
        </div>
      )}
      <form className="toolbar" onSubmit={(event) => { event.preventDefault(); list.setFilters({ ...list.query.filters, prefix }); }}>
        <label className="check">
          <input type="checkbox" checked={list.query.filters.activeOnly} onChange={(e) => list.setFilters({ ...list.query.filters, activeOnly: e.target.checked })} /> {t('activeOnly')}
        </label>
        <label className="field">
          <span>{t('prefix')}</span>
          <input aria-label={t('prefix')} value={prefix} onChange={(e) => setPrefix(e.target.value)} />
        </label>
        <button type="submit">{t('search', { ns: 'common' })}</button>
        <span style={{ flex: 1 }} />
        {editing === null && <button type="button" className="primary" onClick={() => { setMessage(null); setEditing('new'); }}>{t('newCode')}</button>}
      </form>
      <DataTable list={list} columns={columns} rowKey={(row) => row.id} testId="promotions-table" />
    </section>
  );
}
