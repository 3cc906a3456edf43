/**
 * One server (`/instances/:id`, InstanceService/GetInstance): status, IP address, the service it
 * belongs to, its spec (`server_spec`), the provider's detail sections ({@link Sections}) and the
 * actions — Start / Stop / Restart / Delete (StartInstance, StopInstance, RestartInstance,
 * TerminateInstance; stop, restart and delete after a ConfirmDialog, delete in strong words) and
 * the provider's own (`actions`, ExecuteInstanceAction; its `confirmation`, when non-empty, in a
 * ConfirmDialog; `style` Primary/Default/Danger → button classes; disabled when `enabled` is
 * false). Which action each status allows is the server's own table
 * (src/domain/provisioning/instance-lifecycle.ts). After an action the answer is shown and the
 * status is read again (GetInstance a few times) until it settles.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import type { GetInstanceResponse, InstanceAction, InstanceInfo } from '../../../../../src/gen/rustbill/instance_pb.ts';
import {
  actionRefusal, expectedStatus, INSTANCE_STATUSES, type InstanceStatus, type LifecycleAction,
} from '../../../../../src/domain/provisioning/instance-lifecycle.ts';
import { api } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { ConfirmDialog } from '../../ui/confirm.tsx';
import { ErrorBox, Loading, Notice, PageTitle, StatusBadge } from '../../ui/page.tsx';
import { Time } from '../../../../shared/format.tsx';
import { Sections } from './Sections.tsx';
import { POWER, powerCall, type Power } from '../../../../shared/instance-power.ts';
import './strings.ts';
import './instances.css';

/** Plugin action ids that are the power buttons already (README "Instances"). */
const POWER_IDS: readonly string[] = POWER;

/** Reads of GetInstance after an action, and the pause between them (ms). */
const SETTLE_READS = 5;
const SETTLE_PAUSE_MS = 1500;

/** What the confirmation dialog is about. */
type Pending = { kind: 'power'; action: Power } | { kind: 'plugin'; action: InstanceAction };

function isInstanceStatus(value: string): value is InstanceStatus {
  return (INSTANCE_STATUSES as readonly string[]).includes(value);
}

/** True when the server's table allows `action` from `status` (unknown statuses: let the server decide). */
function allowed(status: string, action: LifecycleAction, customId?: string): boolean {
  return isInstanceStatus(status) ? actionRefusal(status, action, customId) === null : true;
}

const STYLE_CLASS: Record<string, string> = { Primary: 'primary', Danger: 'danger', Default: '' };

const sleep = (ms: number) => new Promise<void>((resolve) => { window.setTimeout(resolve, ms); });

/** The page of server `:id`. */
export function InstancePage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('instances');
  const { t: common } = useTranslation();
  const friendly = useFriendly();
  const [detail, setDetail] = useState<GetInstanceResponse | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [settling, setSettling] = useState<string | null>(null);
  const live = useRef(true);
  useEffect(() => { live.current = true; return () => { live.current = false; }; }, []);

  const load = useCallback(() => api.instances.getInstance({ id }).then((answer) => {
    if (live.current) { setDetail(answer); setLoadError(null); }
    return answer;
  }), [id]);
  useEffect(() => {
    load().catch((failure: unknown) => { if (live.current) setLoadError(friendly(failure).message); });
  }, [load, friendly]);

  const statusWord = (status: string) => common(`status.${status}`, { defaultValue: status });

  /** Reads the server again until its status is `expected` (or, without one, no longer provisioning). */
  const settle = async (expected: string | null, now: string) => {
    let status = now;
    for (let read = 0; read < SETTLE_READS; read += 1) {
      if (read > 0 || status !== expected) await sleep(SETTLE_PAUSE_MS);
      if (!live.current) return status;
      const answer = await load().catch(() => null);
      status = answer?.instance?.status ?? status;
      if (expected !== null ? status === expected : status !== 'provisioning') break;
    }
    return status;
  };

  if (loadError && !detail) return <section><Link to="..">{t('back')}</Link><PageTitle>{t('title')}</PageTitle><ErrorBox message={loadError} onRetry={() => void load().catch(() => undefined)} /></section>;
  const instance = detail?.instance;
  if (!detail || !instance) return <Loading />;
  const name = instance.productName || instance.providerInstanceId || instance.id.slice(0, 8);
  const offered = (actionId: string) => detail.actions.find((action) => action.id === actionId);
  const pluginActions = detail.actions.filter((action) => !POWER_IDS.includes(action.id));

  const run = (item: Pending) => {
    setBusy(true);
    setProblem(null);
    setMessage(null);
    const label = item.kind === 'power' ? t(item.action) : item.action.label || item.action.id;
    const started: Promise<{ status: string; expected: string | null; note: string | null }> = item.kind === 'power'
      ? powerCall(api.instances, instance.id, item.action).then((after) => ({
          status: after?.status ?? instance.status,
          expected: isInstanceStatus(instance.status) ? expectedStatus(instance.status, item.action) : null,
          note: null,
        }))
      : api.instances.executeInstanceAction({ id: instance.id, action: item.action.id }).then((result) => {
          if (!result.success) throw new PluginRefusal(t('actionFailed', { label, message: result.message || '—' }));
          return { status: instance.status, expected: null, note: result.message ? t('actionDone', { label, message: result.message }) : t('actionDoneBare', { label }) };
        });
    started.then(async ({ status, expected, note }) => {
      setPending(null);
      setSettling(t('working', { action: label }));
      const settled = await settle(expected, status);
      if (!live.current) return;
      setSettling(null);
      const where = expected === null || settled === expected ? t('nowStatus', { status: statusWord(settled) }) : t('stillStatus', { status: statusWord(settled) });
      setMessage(note ? `${note} ${where}` : where);
    }, (failure: unknown) => {
      setProblem(failure instanceof PluginRefusal ? failure.message : friendly(failure).message);
      setPending(null);
    }).finally(() => setBusy(false));
  };

  const ask = (item: Pending) => {
    setProblem(null);
    setMessage(null);
    const pluginText = item.kind === 'plugin' ? item.action.confirmation : offered(item.action)?.confirmation ?? '';
    // Start is harmless; everything else (or anything the provider wants confirmed) is asked first.
    if (item.kind === 'power' ? item.action === 'start' && pluginText === '' : pluginText === '') run(item);
    else setPending(item);
  };

  const dialogOf = (item: Pending) => {
    if (item.kind === 'plugin') {
      const label = item.action.label || item.action.id;
      return { title: t('confirmActionTitle', { label }), text: item.action.confirmation || t('confirmAction', { label }), extra: '', danger: item.action.style === 'Danger', confirm: label };
    }
    const extra = offered(item.action)?.confirmation ?? '';
    switch (item.action) {
      case 'start': return { title: t('confirmStartTitle'), text: t('confirmStart'), extra, danger: false, confirm: t('start') };
      case 'stop': return { title: t('confirmStopTitle'), text: t('confirmStop'), extra, danger: false, confirm: t('stop') };
      case 'restart': return { title: t('confirmRestartTitle'), text: t('confirmRestart'), extra, danger: false, confirm: t('restart') };
      case 'terminate': return { title: t('confirmTerminateTitle'), text: t('confirmTerminate', { name }), extra, danger: true, confirm: t('confirmTerminateButton') };
    }
  };
  const dialog = pending ? dialogOf(pending) : null;
  const specRows = specOf(instance, (key, value) => (value === undefined ? t(key) : t(key, { value })));
  const reason = instance.status === 'terminated' || instance.status === 'suspended' || instance.status === 'provisioning' ? t(`why_${instance.status}`) : null;

  return (
    <section>
      <Link to="..">{t('back')}</Link>
      <PageTitle actions={<button type="button" onClick={() => void load().catch((failure: unknown) => setProblem(friendly(failure).message))}>{t('refresh')}</button>}>
        {name} <span data-testid="instance-status"><StatusBadge status={instance.status} /></span>
      </PageTitle>
      {reason && <p className={instance.status === 'suspended' ? 'error' : 'muted'}>{reason}{instance.status === 'suspended' && <> <Link to="/invoices">{t('toInvoices')}</Link></>}</p>}
      <div className="split">
        <div>
          <div className="panel">
            <dl className="facts" data-testid="instance-facts">
              <dt>{t('status')}</dt><dd><StatusBadge status={instance.status} /></dd>
              <dt>{t('ip')}</dt><dd className="mono" data-testid="instance-ip">{instance.ipAddress || '—'}</dd>
              <dt>{t('product')}</dt><dd>{instance.productName || '—'}</dd>
              {instance.providerInstanceId && <><dt>{t('server')}</dt><dd className="mono">{instance.providerInstanceId}</dd></>}
              <dt>{t('service')}</dt><dd>{instance.orderId ? <Link to={`/services/${instance.orderId}`}>{t('openService')}</Link> : '—'}</dd>
              <dt>{t('created')}</dt><dd><Time value={instance.createdAt} /></dd>
              <dt>{t('updated')}</dt><dd><Time value={instance.updatedAt} /></dd>
            </dl>
          </div>
          <div className="panel">
            <h2>{t('spec')}</h2>
            {specRows.length === 0
              ? <p className="muted">{t('noSpec')}</p>
              : <dl className="facts" data-testid="instance-spec">{specRows.map(([label, value]) => <SpecRow key={label} label={label} value={value} />)}</dl>}
          </div>
        </div>
        <div>
          <div className="panel" role="region" aria-labelledby="power-title">
            <h2 id="power-title">{t('actions')}</h2>
            <div className="action-buttons" data-testid="power-actions">
              {POWER.map((action) => {
                const plugin = offered(action);
                const disabled = busy || !allowed(instance.status, action) || (plugin !== undefined && !plugin.enabled);
                return (
                  <button key={action} type="button" className={action === 'terminate' ? 'danger' : undefined} disabled={disabled}
                    onClick={() => ask({ kind: 'power', action })}>{t(action)}</button>
                );
              })}
            </div>
            {pluginActions.length > 0 && <>
              <h3>{t('moreActions')}</h3>
              <div className="action-buttons" data-testid="provider-actions">
                {pluginActions.map((action) => (
                  <button key={action.id} type="button" className={STYLE_CLASS[action.style] ?? undefined}
                    disabled={busy || !action.enabled || !allowed(instance.status, 'custom', action.id)}
                    onClick={() => ask({ kind: 'plugin', action })}>{action.label || action.id}</button>
                ))}
              </div>
            </>}
            {settling && <p className="muted" role="status">{settling}</p>}
            {message && <Notice>{message}</Notice>}
            {!pending && <ErrorBox message={problem} />}
          </div>
        </div>
      </div>
      <h2>{t('details')}</h2>
      <Sections sections={detail.sections} />
      {dialog && pending && (
        <ConfirmDialog open title={dialog.title} danger={dialog.danger} busy={busy} confirmLabel={dialog.confirm}
          onConfirm={() => run(pending)} onCancel={() => setPending(null)}>
          <p className={dialog.danger ? 'strong-warning' : undefined}>{dialog.text}</p>
          {dialog.extra && <p className="muted">{dialog.extra}</p>}
          <ErrorBox message={problem} />
        </ConfirmDialog>
      )}
    </section>
  );
}

/** A plugin's `success: false` (ExecuteInstanceAction answers it rather than failing). */
class PluginRefusal extends Error {}


/** Spec keys with a unit, and the unit's string key. */
const SPEC_UNITS: Record<string, string> = { memory_gb: 'unit_gb', disk_gb: 'unit_gb', bandwidth_mbps: 'unit_mbps' };
const SPEC_ORDER = ['cpu_cores', 'memory_gb', 'disk_gb', 'bandwidth_mbps', 'region', 'os'];

/** The spec's rows (label, value): known keys in words and units first, the rest as they are; empty and 0 values left out. */
function specOf(instance: InstanceInfo, words: (key: string, value?: string) => string): Array<[string, string]> {
  const entries = Object.entries(instance.serverSpec).filter(([, value]) => value !== '' && value !== '0');
  entries.sort(([a], [b]) => {
    const rank = (key: string) => { const at = SPEC_ORDER.indexOf(key); return at === -1 ? SPEC_ORDER.length : at; };
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  return entries.map(([key, value]) => {
    const label = SPEC_ORDER.includes(key) ? words(`spec.${key}`) : key;
    const unit = SPEC_UNITS[key];
    return [label, unit ? words(unit, value) : value];
  });
}

function SpecRow({ label, value }: { label: string; value: string }) {
  return <><dt>{label}</dt><dd>{value}</dd></>;
}
