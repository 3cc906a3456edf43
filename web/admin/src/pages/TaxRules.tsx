/**
 * The Tax rules screen (issue 12): the server's list of rules, filtered by country, page by page;
 * administrators create, edit and delete rules (operators see the list only: the server refuses
 * them the changes, and the page does not offer them).
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TaxRuleInfo } from '../../../../src/gen/rustbill/billing_pb.ts';
import { api, problemOf, type ApiProblem } from '../api.ts';
import { registerStrings } from '../i18n.ts';
import { useSession } from '../session.tsx';
import { Field, FormProblem } from '../../../shared/form.tsx';
import { Time } from '../../../shared/format.tsx';
import { DataTable, useServerList, type Column, type PageQuery } from '../../../shared/list.tsx';
import { YesNo } from './billing/common.tsx';

registerStrings('taxRules', {
  en: {
    title: 'Tax rules', country: 'Country', region: 'Region', wholeCountry: '(whole country)', rate: 'Rate %', name: 'Name on invoices',
    reverseCharge: 'Reverse charge (customers with a valid tax number pay no tax)', reverseChargeShort: 'Reverse charge', isActive: 'Active', updated: 'Updated',
    countryFilter: 'Country (two letters)', newRule: 'New tax rule', editRule: 'Edit tax rule {{name}}', create: 'Create', save: 'Save', edit: 'Edit', remove: 'Delete',
    created: 'Tax rule {{name}} created.', saved: 'Tax rule {{name}} saved.', deleted: 'Tax rule {{name}} deleted.', confirmDelete: 'Delete tax rule {{name}} ({{country}})?',
    adminsOnly: 'Only administrators may change tax rules.', regionHint: 'empty: the whole country; a region\'s rule beats the country\'s',
  },
  zh: {
    title: '税率', country: '国家/地区', region: '省/州', wholeCountry: '（全国）', rate: '税率 %', name: '账单上显示的名称',
    reverseCharge: '反向征收（持有效税号的客户免税）', reverseChargeShort: '反向征收', isActive: '启用', updated: '更新时间',
    countryFilter: '国家（两位字母代码）', newRule: '新建税率', editRule: '编辑税率 {{name}}', create: '创建', save: '保存', edit: '编辑', remove: '删除',
    created: '税率 {{name}} 已创建。', saved: '税率 {{name}} 已保存。', deleted: '税率 {{name}} 已删除。', confirmDelete: '确定删除税率 {{name}}（{{country}}）？',
    adminsOnly: '只有管理员可以修改税率。', regionHint: '留空：适用全国；省/州的规则优先于全国规则',
  },
});

interface TaxFilters { country: string }

function loadRules(query: PageQuery<TaxFilters>) {
  return api.billing.listTaxRules({ pagination: { page: query.page, pageSize: query.pageSize }, country: query.filters.country.trim() })
    .then((answer) => ({ rows: answer.rules, total: Number(answer.meta?.total ?? 0) }));
}

const FIELDS = ['country', 'region', 'rate', 'name'] as const;

function TaxRuleForm({ editing, onSaved, onCancel }: { editing: TaxRuleInfo | null; onSaved(message: string): void; onCancel(): void }) {
  const { t } = useTranslation('taxRules');
  const common = useTranslation().t;
  const terms = editing?.terms;
  const [country, setCountry] = useState(terms?.country ?? '');
  const [region, setRegion] = useState(terms?.region ?? '');
  const [rate, setRate] = useState(terms?.rate ?? '');
  const [name, setName] = useState(terms?.name ?? '');
  const [reverseCharge, setReverseCharge] = useState(terms?.reverseCharge ?? false);
  const [isActive, setIsActive] = useState(terms?.isActive ?? true);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const next = { country, region, rate: rate.trim(), name, reverseCharge, isActive };
    const call = editing ? api.billing.updateTaxRule({ id: editing.id, terms: next }) : api.billing.createTaxRule({ terms: next });
    call.then((answer) => {
      const saved = answer.rule?.terms?.name ?? name;
      onSaved(editing ? t('saved', { name: saved }) : t('created', { name: saved }));
    }, (error: unknown) => setProblem(problemOf(error))).finally(() => setBusy(false));
  };
  return (
    <form className="form" onSubmit={submit} data-testid="tax-rule-form" aria-label={editing ? t('editRule', { name: terms?.name ?? '' }) : t('newRule')}>
      <h2>{editing ? t('editRule', { name: terms?.name ?? '' }) : t('newRule')}</h2>
      <FormProblem problem={problem} fields={FIELDS} />
      <div className="row">
        <Field label={t('country')} name="country" problem={problem}>
          <input aria-label={t('country')} maxLength={8} value={country} onChange={(e) => setCountry(e.target.value)} placeholder="DE" />
        </Field>
        <Field label={t('region')} name="region" problem={problem}>
          <input aria-label={t('region')} value={region} onChange={(e) => setRegion(e.target.value)} placeholder={t('regionHint')} />
        </Field>
        <Field label={t('rate')} name="rate" problem={problem}>
          <input aria-label={t('rate')} inputMode="decimal" value={rate} onChange={(e) => setRate(e.target.value)} placeholder="19.00" />
        </Field>
      </div>
      <Field label={t('name')} name="name" problem={problem}>
        <input aria-label={t('name')} value={name} onChange={(e) => setName(e.target.value)} placeholder="VAT" />
      </Field>
      <label className="check"><input type="checkbox" checked={reverseCharge} onChange={(e) => setReverseCharge(e.target.checked)} /> {t('reverseCharge')}</label>
      <label className="check"><input type="checkbox" checked={isActive} onChange={(e) => setIsActive(e.target.checked)} /> {t('isActive')}</label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{editing ? t('save') : t('create')}</button>
        <button type="button" onClick={onCancel}>{common('cancel')}</button>
      </div>
    </form>
  );
}

/** The Tax rules screen (changes for administrators only). */
export default function TaxRulesPage() {
  const { t } = useTranslation('taxRules');
  const common = useTranslation().t;
  const { isAdmin } = useSession();
  const list = useServerList(loadRules, { country: '' });
  const [country, setCountry] = useState('');
  const [editing, setEditing] = useState<TaxRuleInfo | 'new' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const remove = (row: TaxRuleInfo) => {
    const name = row.terms?.name ?? '';
    if (!window.confirm(t('confirmDelete', { name, country: row.terms?.country ?? '' }))) return;
    setMessage(null);
    setProblem(null);
    api.billing.deleteTaxRule({ id: row.id }).then(() => { setMessage(t('deleted', { name })); list.reload(); }, (error: unknown) => setProblem(problemOf(error).message));
  };

  const columns: Column<TaxRuleInfo>[] = [
    { key: 'country', title: t('country'), render: (row) => <strong>{row.terms?.country}</strong> },
    { key: 'region', title: t('region'), render: (row) => row.terms?.region || <span className="muted">{t('wholeCountry')}</span> },
    { key: 'name', title: t('name'), render: (row) => <span data-testid="tax-rule-name">{row.terms?.name}</span> },
    { key: 'rate', title: t('rate'), numeric: true, render: (row) => <span className="money">{row.terms?.rate} %</span> },
    { key: 'reverse', title: t('reverseChargeShort'), render: (row) => <YesNo value={row.terms?.reverseCharge ?? false} /> },
    { key: 'active', title: t('isActive'), render: (row) => <YesNo value={row.terms?.isActive ?? false} /> },
    { key: 'updated', title: t('updated'), render: (row) => <Time value={row.updatedAt} /> },
    ...(isAdmin ? [{
      key: 'actions', title: '',
      render: (row: TaxRuleInfo) => (
        <span className="actions">
          <button type="button" onClick={() => { setMessage(null); setEditing(row); }}>{t('edit')}</button>
          <button type="button" className="danger" onClick={() => remove(row)}>{t('remove')}</button>
        </span>
      ),
    }] : []),
  ];

  return (
    <section>
      <h1>{t('title')}</h1>
      {message && <div className="ok" role="status">{message}</div>}
      {problem && <div className="error" role="alert">{problem}</div>}
      {!isAdmin && <p className="muted" data-testid="tax-admins-only">{t('adminsOnly')}</p>}
      {isAdmin && editing !== null && (
        <div style={{ marginBottom: '1rem' }}>
          <TaxRuleForm key={editing === 'new' ? 'new' : editing.id} editing={editing === 'new' ? null : editing}
            onSaved={(saved) => { setMessage(saved); setEditing(null); list.reload(); }} onCancel={() => setEditing(null)} />
        </div>
      )}
      <form className="toolbar" onSubmit={(event) => { event.preventDefault(); list.setFilters({ country }); }}>
        <label className="field">
          <span>{t('countryFilter')}</span>
          <input aria-label={t('countryFilter')} maxLength={2} value={country} onChange={(e) => setCountry(e.target.value)} />
        </label>
        <button type="submit">{common('filter')}</button>
        <span style={{ flex: 1 }} />
        {isAdmin && editing === null && <button type="button" className="primary" onClick={() => { setMessage(null); setEditing('new'); }}>{t('newRule')}</button>}
      </form>
      <DataTable list={list} columns={columns} rowKey={(row) => row.id} testId="tax-rules-table" />
    </section>
  );
}
