/**
 * The Instances screen: instances one server page at a time (ListInstances, filtered on the
 * server by status and customer — `?customer=<id>` starts it filtered), and an instance's page
 * (`?id=<instance id>`; the route has no sub-paths): its fields, the provider plugin's detail
 * sections (GetInstance: properties, data cards, HTML in a sandboxed frame, iframes) and actions —
 * start, stop, restart and terminate after a confirmation, the plugin's own actions through
 * ExecuteInstanceAction (confirmed when the plugin asks for it). Buttons the instance's status
 * does not allow are disabled with the reason (src/domain/provisioning/instance-lifecycle.ts).
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import type { GetInstanceResponse, InstanceAction, InstanceDetailSection, InstanceInfo } from '../../../../src/gen/rustbill/instance_pb.ts';
import { actionRefusal, INSTANCE_STATUSES, type InstanceStatus, type LifecycleAction } from '../../../../src/domain/provisioning/instance-lifecycle.ts';
import { api, problemOf, type ApiProblem } from '../api.ts';
import { registerStrings } from '../i18n.ts';
import { FormProblem } from '../../../shared/form.tsx';
import { Time } from '../../../shared/format.tsx';
import { DataTable, useServerList, type Column } from '../../../shared/list.tsx';
import { ConfirmDialog, InterfaceLabel, ShortId, StatusBadge, useInterfaces } from './orders/shared.tsx';
import { POWER, powerCall, type Power } from '../../../shared/instance-power.ts';

registerStrings('instances', {
  en: {
    title: 'Instances', filters: 'Instance filters', instance: 'Instance', product: 'Product', customer: 'Customer', customerId: 'Customer id', order: 'Order',
    status: 'Status', ip: 'IP address', provider: 'Provider', providerInstance: 'Provider instance', created: 'Created', updated: 'Updated', open: 'Open',
    back: '← All instances', instanceTitle: 'Instance {{name}}', spec: 'Spec', actions: 'Actions', pluginActions: 'Provider actions',
    start: 'Start', stop: 'Stop', restart: 'Restart', terminate: 'Terminate',
    confirmStart: 'Start instance {{name}}?', confirmStop: 'Stop instance {{name}}? It shuts down and stays off until started.',
    confirmRestart: 'Restart instance {{name}}? It is unavailable while it restarts.',
    confirmTerminate: 'Terminate instance {{name}}? It is deleted at the provider; this cannot be undone.',
    confirmAction: 'Run "{{label}}" on instance {{name}}?', done: '{{action}}: the instance is now {{status}}.', actionDone: '{{label}}: {{message}}',
    actionFailed: '{{label}} failed: {{message}}', noSections: 'The provider supplied no details.', pluginSays: 'The provider says: {{text}}',
  },
  zh: {
    title: '实例', filters: '实例筛选', instance: '实例', product: '产品', customer: '客户', customerId: '客户 ID', order: '订单',
    status: '状态', ip: 'IP 地址', provider: '供应商', providerInstance: '上游实例', created: '创建时间', updated: '更新时间', open: '打开',
    back: '← 全部实例', instanceTitle: '实例 {{name}}', spec: '配置', actions: '操作', pluginActions: '供应商操作',
    start: '开机', stop: '关机', restart: '重启', terminate: '销毁',
    confirmStart: '启动实例 {{name}}？', confirmStop: '关闭实例 {{name}}？关机后需手动开机。',
    confirmRestart: '重启实例 {{name}}？重启期间不可用。',
    confirmTerminate: '销毁实例 {{name}}？实例将在供应商处删除，无法恢复。',
    confirmAction: '对实例 {{name}} 执行“{{label}}”？', done: '{{action}}：实例当前状态为 {{status}}。', actionDone: '{{label}}：{{message}}',
    actionFailed: '{{label}} 失败：{{message}}', noSections: '供应商未提供详情。', pluginSays: '供应商提示：{{text}}',
  },
});

interface InstanceFilters {
  status: string;
  customerId: string;
}

/** The instances list, or one instance's page when `?id=` names one. */
export default function InstancesPage() {
  const [params] = useSearchParams();
  const id = params.get('id');
  return id ? <InstancePage id={id} /> : <InstanceList />;
}

function InstanceList() {
  const { t } = useTranslation('instances');
  const [params] = useSearchParams();
  const interfaces = useInterfaces();
  const initial: InstanceFilters = { status: params.get('status') ?? '', customerId: params.get('customer') ?? '' };
  const [draft, setDraft] = useState<InstanceFilters>(initial);
  const list = useServerList<InstanceInfo, InstanceFilters>(async (query) => {
    const { filters } = query;
    const answer = await api.instances.listInstances({
      pagination: { page: query.page, pageSize: query.pageSize },
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.customerId.trim() ? { customerId: filters.customerId.trim() } : {}),
    });
    return { rows: answer.instances, total: Number(answer.meta?.total ?? 0) };
  }, initial);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    list.setFilters(draft);
  };
  const columns: Column<InstanceInfo>[] = [
    { key: 'id', title: t('instance'), render: (row) => <Link to={`?id=${row.id}`} data-testid="instance-link"><ShortId id={row.id} /></Link> },
    { key: 'product', title: t('product'), render: (row) => row.productName || <ShortId id={row.productId} /> },
    { key: 'customer', title: t('customer'), render: (row) => <ShortId id={row.customerId} /> },
    { key: 'order', title: t('order'), render: (row) => row.orderId ? <Link to={`../orders/${row.orderId}`}><ShortId id={row.orderId} /></Link> : '—' },
    { key: 'status', title: t('status'), render: (row) => <StatusBadge status={row.status} /> },
    { key: 'ip', title: t('ip'), render: (row) => <span className="mono">{row.ipAddress || '—'}</span> },
    { key: 'provider', title: t('provider'), render: (row) => <InterfaceLabel id={row.providerInterfaceId} list={interfaces} /> },
    { key: 'providerInstance', title: t('providerInstance'), render: (row) => <span className="mono">{row.providerInstanceId || '—'}</span> },
    { key: 'created', title: t('created'), render: (row) => <Time value={row.createdAt} /> },
  ];
  return (
    <section>
      <h1>{t('title')}</h1>
      <form className="toolbar" onSubmit={apply} aria-label={t('filters')}>
        <label className="field"><span>{t('status')}</span>
          <select value={draft.status} onChange={(event) => setDraft({ ...draft, status: event.target.value })}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {INSTANCE_STATUSES.map((status) => <option key={status} value={status}>{t(status, { ns: 'ordersShared' })}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('customerId')}</span>
          <input value={draft.customerId} placeholder="UUID" size={38} onChange={(event) => setDraft({ ...draft, customerId: event.target.value })} />
        </label>
        <button type="submit" className="primary">{t('filter', { ns: 'common' })}</button>
      </form>
      <DataTable list={list} columns={columns} rowKey={(row) => row.id} testId="instances-table" />
    </section>
  );
}


/** What the confirmation dialog is about: a power action or one of the plugin's. */
type Pending = { kind: 'power'; action: Power } | { kind: 'plugin'; action: InstanceAction };

function isInstanceStatus(value: string): value is InstanceStatus {
  return (INSTANCE_STATUSES as readonly string[]).includes(value);
}

/** Why `action` is not possible now, or null (the domain's table; terminated is final). */
function refusalOf(status: string, action: LifecycleAction, customId?: string): string | null {
  return isInstanceStatus(status) ? actionRefusal(status, action, customId) : null;
}

function InstancePage({ id }: { id: string }) {
  const { t } = useTranslation('instances');
  const interfaces = useInterfaces();
  const [detail, setDetail] = useState<GetInstanceResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(() => {
    api.instances.getInstance({ id }).then((answer) => { setDetail(answer); setError(null); }, (failure: unknown) => setError(problemOf(failure).message));
  }, [id]);
  useEffect(load, [load]);
  if (error) return <section><Link to=".">{t('back')}</Link><div className="error" role="alert">{error}</div></section>;
  const instance = detail?.instance;
  if (!detail || !instance) return <p className="muted">{t('loading', { ns: 'common' })}</p>;
  const name = instance.providerInstanceId || instance.id.slice(0, 8);
  const pluginActions = detail.actions.filter((action) => !(POWER as readonly string[]).includes(action.id));
  const offered = (id: string) => detail.actions.find((action) => action.id === id);
  const confirm = () => {
    if (!pending) return;
    setBusy(true);
    setProblem(null);
    setDone(null);
    const finished = pending.kind === 'power'
      ? powerCall(api.instances, instance.id, pending.action).then((after) => {
        setDone(t('done', { action: t(pending.action), status: t(after?.status ?? '', { ns: 'ordersShared', defaultValue: after?.status ?? '' }) }));
      })
      : api.instances.executeInstanceAction({ id: instance.id, action: pending.action.id }).then((result) => {
        const label = pending.action.label || pending.action.id;
        if (result.success) setDone(t('actionDone', { label, message: result.message }));
        else setProblem({ code: 9, message: t('actionFailed', { label, message: result.message }), field: null });
      });
    finished.then(() => { setPending(null); load(); }, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };
  const ask = (next: Pending) => { setProblem(null); setDone(null); setPending(next); };
  const confirmText = (item: Pending): string => {
    if (item.kind === 'plugin') return item.action.confirmation || t('confirmAction', { label: item.action.label || item.action.id, name });
    const key = { start: 'confirmStart', stop: 'confirmStop', restart: 'confirmRestart', terminate: 'confirmTerminate' }[item.action];
    return t(key, { name });
  };
  return (
    <section>
      <Link to=".">{t('back')}</Link>
      <h1>{t('instanceTitle', { name })} <span data-testid="instance-status"><StatusBadge status={instance.status} /></span></h1>
      <dl className="details">
        <dt>{t('instance')}</dt><dd className="mono">{instance.id}</dd>
        <dt>{t('product')}</dt><dd>{instance.productName || <ShortId id={instance.productId} />}</dd>
        <dt>{t('customer')}</dt><dd className="mono">{instance.customerId}</dd>
        <dt>{t('order')}</dt><dd>{instance.orderId ? <Link to={`../orders/${instance.orderId}`}><span className="mono">{instance.orderId}</span></Link> : '—'}</dd>
        <dt>{t('provider')}</dt><dd><InterfaceLabel id={instance.providerInterfaceId} list={interfaces} /></dd>
        <dt>{t('providerInstance')}</dt><dd className="mono">{instance.providerInstanceId || '—'}</dd>
        <dt>{t('ip')}</dt><dd className="mono">{instance.ipAddress || '—'}</dd>
        <dt>{t('spec')}</dt><dd>{Object.entries(instance.serverSpec).map(([key, value]) => `${key}: ${value}`).join(' · ') || '—'}</dd>
        <dt>{t('created')}</dt><dd><Time value={instance.createdAt} /></dd>
        <dt>{t('updated')}</dt><dd><Time value={instance.updatedAt} /></dd>
      </dl>
      <div className="panel" style={{ marginTop: '1rem' }}>
        <h2>{t('actions')}</h2>
        <div className="row" data-testid="power-actions">
          {POWER.map((action) => {
            const refusal = refusalOf(instance.status, action);
            const plugin = offered(action);
            const disabled = refusal !== null || (plugin !== undefined && !plugin.enabled);
            return (
              <button key={action} type="button" className={action === 'terminate' ? 'danger' : undefined} disabled={disabled || busy} title={refusal ?? undefined}
                onClick={() => ask({ kind: 'power', action })}>{t(action)}</button>
            );
          })}
        </div>
        {pluginActions.length > 0 && (
          <>
            <h3>{t('pluginActions')}</h3>
            <div className="row" data-testid="plugin-actions">
              {pluginActions.map((action) => {
                const refusal = refusalOf(instance.status, 'custom', action.id);
                return (
                  <button key={action.id} type="button" className={action.style === 'Danger' ? 'danger' : action.style === 'Primary' ? 'primary' : undefined}
                    disabled={!action.enabled || refusal !== null || busy} title={refusal ?? undefined}
                    onClick={() => ask({ kind: 'plugin', action })}>{action.label || action.id}</button>
                );
              })}
            </div>
          </>
        )}
        {done && <div className="ok" role="status">{done}</div>}
        {!pending && <FormProblem problem={problem} fields={[]} />}
      </div>
      <Sections sections={detail.sections} />
      {pending && (
        <ConfirmDialog
          title={pending.kind === 'power' ? t(pending.action) : pending.action.label || pending.action.id} confirmLabel={t('confirm', { ns: 'common' })}
          danger={pending.kind === 'power' ? pending.action === 'terminate' : pending.action.style === 'Danger'} busy={busy}
          onConfirm={confirm} onClose={() => setPending(null)}
        >
          <p>{confirmText(pending)}</p>
          {pending.kind === 'power' && offered(pending.action)?.confirmation && <p className="muted">{t('pluginSays', { text: offered(pending.action)?.confirmation ?? '' })}</p>}
          <FormProblem problem={problem} fields={[]} />
        </ConfirmDialog>
      )}
    </section>
  );
}


/** The plugin's detail sections in their order: fields, a data card, HTML in a sandboxed frame, or an iframe. */
function Sections({ sections }: { sections: InstanceDetailSection[] }) {
  const { t } = useTranslation('instances');
  if (sections.length === 0) return <p className="muted">{t('noSections')}</p>;
  return (
    <div className="panels" data-testid="instance-sections">
      {[...sections].sort((a, b) => a.order - b.order).map((section, index) => (
        <div className="panel" key={`${section.title}-${index}`}>
          <h2>{section.title}</h2>
          <SectionBody section={section} />
        </div>
      ))}
    </div>
  );
}

function dataCard(json: string): Array<[string, string]> | null {
  try {
    const value: unknown = JSON.parse(json);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    return Object.entries(value).map(([key, entry]) => [key, typeof entry === 'string' ? entry : JSON.stringify(entry)]);
  } catch {
    return null;
  }
}

function SectionBody({ section }: { section: InstanceDetailSection }) {
  if (section.fields.length > 0) {
    return <dl className="details">{section.fields.map((field) => <FieldRow key={field.key} name={field.key} value={field.value} />)}</dl>;
  }
  const card = section.dataJson ? dataCard(section.dataJson) : null;
  if (card) return <dl className="details">{card.map(([key, value]) => <FieldRow key={key} name={key} value={value} />)}</dl>;
  // The plugin's HTML: no scripts, no same-origin access (it cannot reach the admin's session).
  if (section.contentHtml) return <iframe className="section-frame" title={section.title} sandbox="" srcDoc={section.contentHtml} />;
  if (section.iframeUrl && /^https?:\/\//i.test(section.iframeUrl)) {
    return <iframe className="section-frame" title={section.title} sandbox="allow-scripts allow-forms" referrerPolicy="no-referrer" src={section.iframeUrl} />;
  }
  if (section.dataJson) return <pre className="mono">{section.dataJson}</pre>;
  return null;
}

function FieldRow({ name, value }: { name: string; value: string }) {
  return <><dt>{name}</dt><dd>{value}</dd></>;
}
