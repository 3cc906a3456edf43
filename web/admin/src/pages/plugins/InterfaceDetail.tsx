/**
 * One plugin interface: its state, health (last check time and error), configuration (secrets
 * shown as dots), and the actions — edit, enable/disable, "Check health" (the answer shown),
 * delete, and the plugin's admin page when it has one. Admins also read the script it runs
 * (operators are not shown it). A refused action shows the server's words; the page then shows
 * the interface as the server has it.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import type { CheckPluginHealthResponse, PluginInterfaceInfo } from '../../../../../src/gen/rustbill/integration_pb.ts';
import { api, problemOf } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Time } from '../../../../shared/format.tsx';
import { EnabledBadge, HealthBadge, HealthResult, LastCheck } from './common.tsx';
import { ConfigView, fieldsOf, parseObject } from './schema-form.tsx';

/** The notice another page left in the router state (`{ notice }`), if any. */
function noticeOf(state: unknown): string | null {
  if (typeof state === 'object' && state !== null && 'notice' in state && typeof state.notice === 'string') return state.notice;
  return null;
}

export default function InterfaceDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation('plugins');
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [row, setRow] = useState<PluginInterfaceInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(noticeOf(location.state));
  const [health, setHealth] = useState<CheckPluginHealthResponse | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api.integration.getPluginInterface({ interfaceId: id }).then((answer) => setRow(answer.interface ?? null), (failure: unknown) => setError(problemOf(failure).message));
  }, [id]);
  useEffect(load, [load]);
  const fields = useMemo(() => fieldsOf(row?.configSchema ?? ''), [row?.configSchema]);

  /** Runs an action; a refusal shows the server's words; the interface is read again afterwards. */
  const act = (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    setHealth(null);
    action().catch((failure: unknown) => setError(problemOf(failure).message)).finally(() => {
      setBusy(false);
      load();
    });
  };

  if (!row) return error ? <section><div className="error" role="alert">{error}</div><Link to="/plugins">{t('back')}</Link></section> : <p className="muted">…</p>;
  const toggle = () => act(async () => {
    await api.integration.togglePluginInterface({ interfaceId: row.id, enable: !row.enabled });
    setNotice(t(row.enabled ? 'nowDisabled' : 'nowEnabled', { name: row.displayName }));
  });
  const check = () => act(async () => setHealth(await api.integration.checkPluginHealth({ interfaceId: row.id })));
  const remove = () => {
    if (!window.confirm(t('confirmDelete', { name: row.displayName }))) return;
    setBusy(true);
    setError(null);
    api.integration.deletePluginInterface({ interfaceId: row.id }).then(
      () => { void navigate('/plugins', { state: { notice: t('deleted', { name: row.displayName }) } }); },
      (failure: unknown) => { setError(problemOf(failure).message); setBusy(false); },
    );
  };

  return (
    <section data-testid="interface-detail" data-interface={row.id}>
      <p><Link to="/plugins">{t('back')}</Link></p>
      <h1>{row.displayName}</h1>
      {error && <div className="error" role="alert">{error}</div>}
      {notice && <div className="ok" role="status" data-testid="notice">{notice}</div>}
      {health && <HealthResult name={row.displayName} result={health} />}
      <div className="toolbar">
        <Link className="button" to="edit">{t('edit')}</Link>
        <button type="button" disabled={busy} onClick={toggle}>{row.enabled ? t('disable') : t('enable')}</button>
        <button type="button" disabled={busy} onClick={check}>{t('checkHealth')}</button>
        {row.hasAdminPage && <Link className="button" to="admin-page">{t('openAdminPage')}</Link>}
        <button type="button" className="danger" disabled={busy} onClick={remove}>{t('delete')}</button>
      </div>
      <h2>{t('details')}</h2>
      <div className="table-wrap">
        <table className="config-view">
          <tbody>
            <tr><th>{t('type')}</th><td>{t(row.pluginType)}</td></tr>
            <tr><th>{t('pluginId')}</th><td><code>{row.pluginId}</code></td></tr>
            <tr><th>{t('pluginVersion')}</th><td>{row.pluginVersion}</td></tr>
            <tr><th>{t('enabled')}</th><td data-testid="detail-enabled"><EnabledBadge enabled={row.enabled} /></td></tr>
            <tr><th>{t('health')}</th><td data-testid="detail-health"><HealthBadge row={row} /></td></tr>
            <tr><th>{t('lastCheck')}</th><td data-testid="detail-last-check"><LastCheck row={row} /></td></tr>
            <tr><th>{t('adminPage')}</th><td>{row.hasAdminPage ? t('yes') : t('no')}</td></tr>
            <tr><th>{t('createdAt')}</th><td><Time value={row.createdAt} /></td></tr>
            <tr><th>{t('updated')}</th><td><Time value={row.updatedAt} /></td></tr>
          </tbody>
        </table>
      </div>
      <h2>{t('config')}</h2>
      <div className="table-wrap"><ConfigView fields={fields} config={parseObject(row.configJson)} seesSecrets={session.isAdmin} /></div>
      {session.isAdmin && (
        <>
          <h2>{t('script')}</h2>
          <pre className="script-source" data-testid="script-source">{row.scriptSource ?? ''}</pre>
        </>
      )}
    </section>
  );
}
