/**
 * The audit log (issue 12): IntegrationService/ListOperationLogs (a NodeBill extension), newest
 * first, filtered on the server by action prefix, target type and id, admin user name and time
 * range, one page at a time; each entry's details (the JSON of what changed) unfold in its row.
 * A filter the server refuses (a bad time, say) shows the server's words above the table.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { OperationLogEntry } from '../../../../src/gen/rustbill/integration_pb.ts';
import { api } from '../api.ts';
import { registerStrings } from '../i18n.ts';
import { Time } from '../../../shared/format.tsx';
import { DataTable, useServerList, type Column, type PageQuery } from '../../../shared/list.tsx';
import './support/support.css';

registerStrings('audit', {
  en: {
    title: 'Audit log', time: 'Time', admin: 'By', action: 'Action', targetType: 'Target type', targetId: 'Target id', client: 'From',
    details: 'Details', actionPrefix: 'Action starts with', anyType: 'Any type', adminUsername: 'Admin user name', from: 'From (time)', to: 'Until (time)',
    apply: 'Apply filters', clear: 'Clear', system: 'system', show: 'Show', requestId: 'Request',
  },
  zh: {
    title: '操作日志', time: '时间', admin: '操作人', action: '操作', targetType: '对象类型', targetId: '对象 ID', client: '来源地址',
    details: '详情', actionPrefix: '操作名前缀', anyType: '全部类型', adminUsername: '管理员用户名', from: '开始时间', to: '结束时间',
    apply: '筛选', clear: '清除', system: '系统', show: '查看', requestId: '请求',
  },
});

/** The kinds of records the services audit (the filter also takes any other text). */
const TARGET_TYPES = [
  'ticket', 'customer', 'customer_user', 'admin_user', 'api_key', 'order', 'payment', 'invoice', 'billing', 'instance', 'product', 'product_category',
  'product_group', 'plugin_interface', 'promotion_code', 'tax_rule', 'customer_import', 'server',
] as const;

/** The filters as the form holds them (times as `datetime-local` text in the admin's zone). */
interface AuditFilters {
  action: string;
  targetType: string;
  targetId: string;
  adminUsername: string;
  from: string;
  to: string;
}

const NO_FILTERS: AuditFilters = { action: '', targetType: '', targetId: '', adminUsername: '', from: '', to: '' };

/** A `datetime-local` value (the admin's zone) as RFC3339 UTC; text that is no time goes as typed, for the server to refuse. */
function rfc3339Of(local: string): string {
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function loadEntries(query: PageQuery<AuditFilters>): Promise<{ rows: OperationLogEntry[]; total: number }> {
  const { filters } = query;
  const answer = await api.integration.listOperationLogs({
    pagination: { page: query.page, pageSize: query.pageSize },
    ...(filters.action.trim() ? { action: filters.action.trim() } : {}),
    ...(filters.targetType.trim() ? { targetType: filters.targetType.trim() } : {}),
    ...(filters.targetId.trim() ? { targetId: filters.targetId.trim() } : {}),
    ...(filters.adminUsername.trim() ? { adminUsername: filters.adminUsername.trim() } : {}),
    ...(filters.from ? { from: rfc3339Of(filters.from) } : {}),
    ...(filters.to ? { to: rfc3339Of(filters.to) } : {}),
  });
  return { rows: answer.entries, total: Number(answer.meta?.total ?? 0) };
}

/** An entry's details, pretty-printed (the server's text when it is not JSON). */
function prettyDetails(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/** The audit log screen. */
export default function AuditPage() {
  const { t } = useTranslation('audit');
  const list = useServerList(loadEntries, NO_FILTERS, 25);
  const [draft, setDraft] = useState<AuditFilters>(NO_FILTERS);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    list.setFilters(draft);
  };
  const text = (key: keyof AuditFilters, label: string, type = 'text') => (
    <label className="field"><span>{label}</span>
      <input name={key} type={type} value={draft[key]} onChange={(event) => setDraft({ ...draft, [key]: event.target.value })} />
    </label>
  );
  const columns: Column<OperationLogEntry>[] = [
    { key: 'time', title: t('time'), render: (entry) => <Time value={entry.createdAt} /> },
    { key: 'admin', title: t('admin'), render: (entry) => entry.adminUsername || <span className="muted">{t('system')}</span> },
    { key: 'action', title: t('action'), render: (entry) => <code data-testid="audit-action">{entry.action}</code> },
    { key: 'targetType', title: t('targetType'), render: (entry) => <span data-testid="audit-target-type">{entry.targetType}</span> },
    { key: 'targetId', title: t('targetId'), render: (entry) => entry.targetId ? <code title={entry.targetId}>{entry.targetId.length > 13 ? `${entry.targetId.slice(0, 8)}…` : entry.targetId}</code> : <span className="muted">—</span> },
    { key: 'client', title: t('client'), render: (entry) => entry.clientAddress || <span className="muted">—</span> },
    {
      key: 'details', title: t('details'), render: (entry) => (
        <details data-testid="audit-details" className="audit-details">
          <summary title={entry.requestId ? `${t('requestId')} ${entry.requestId}` : undefined}>{t('show')}</summary>
          <pre className="details-json">{prettyDetails(entry.detailsJson)}</pre>
        </details>
      ),
    },
  ];
  return (
    <section>
      <h1>{t('title')}</h1>
      <form className="toolbar" onSubmit={apply} aria-label={t('title')}>
        {text('action', t('actionPrefix'))}
        <label className="field"><span>{t('targetType')}</span>
          <input name="targetType" list="audit-target-types" placeholder={t('anyType')} value={draft.targetType} onChange={(event) => setDraft({ ...draft, targetType: event.target.value })} />
          <datalist id="audit-target-types">{TARGET_TYPES.map((type) => <option key={type} value={type} />)}</datalist>
        </label>
        {text('targetId', t('targetId'))}
        {text('adminUsername', t('adminUsername'))}
        {text('from', t('from'), 'datetime-local')}
        {text('to', t('to'), 'datetime-local')}
        <button type="submit" className="primary">{t('apply')}</button>
        <button type="button" onClick={() => { setDraft(NO_FILTERS); list.setFilters(NO_FILTERS); }}>{t('clear')}</button>
      </form>
      <DataTable list={list} columns={columns} rowKey={(entry) => entry.id} testId="audit-list" />
    </section>
  );
}
