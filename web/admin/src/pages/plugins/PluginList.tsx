/**
 * The Plugins overview: the plugin definitions the scanner found (type, plugin, version, the
 * functions its script defines, admin page; "New interface" for each) and the plugin interfaces (filtered by type on the server) with
 * their state and health — last check time and error — and the quick actions enable/disable and
 * "Check health", whose answer is shown above the list.
 */
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router-dom';
import type { CheckPluginHealthResponse, PluginDef, PluginInterfaceInfo } from '../../../../../src/gen/rustbill/integration_pb.ts';
import { api, problemOf } from '../../api.ts';
import { Time } from '../../../../shared/format.tsx';
import { EnabledBadge, HealthBadge, HealthResult, LastCheck, PLUGIN_TYPES } from './common.tsx';

/** A definition's functions (PluginDef `functions`, comma-separated), each as code; "—" when none. */
function FunctionList({ functions }: { functions: string }) {
  const { t } = useTranslation('plugins');
  const names = functions.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) return <span className="muted">{t('none')}</span>;
  return <span className="function-list">{names.map((name) => <code key={name} data-function={name}>{name}</code>)}</span>;
}

export default function PluginList() {
  const { t } = useTranslation('plugins');
  const [definitions, setDefinitions] = useState<PluginDef[] | null>(null);
  const [interfaces, setInterfaces] = useState<PluginInterfaceInfo[] | null>(null);
  const [type, setType] = useState('');
  const [error, setError] = useState<string | null>(null);
  const location = useLocation();
  const [notice, setNotice] = useState<string | null>(() => {
    const state: unknown = location.state;
    return typeof state === 'object' && state !== null && 'notice' in state && typeof state.notice === 'string' ? state.notice : null;
  });
  const [health, setHealth] = useState<{ name: string; result: CheckPluginHealthResponse } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    api.integration.listPlugins({}).then((answer) => setDefinitions(answer.plugins), (failure: unknown) => setError(problemOf(failure).message));
  }, []);
  const loadInterfaces = useCallback(() => {
    api.integration.listPluginInterfaces(type === '' ? {} : { pluginType: type }).then(
      (answer) => setInterfaces(answer.interfaces),
      (failure: unknown) => setError(problemOf(failure).message),
    );
  }, [type]);
  useEffect(loadInterfaces, [loadInterfaces]);

  /** Runs one action on a row; a refusal shows the server's words and the list is reloaded either way. */
  const act = (row: PluginInterfaceInfo, action: () => Promise<void>) => {
    setBusy(row.id);
    setError(null);
    setNotice(null);
    setHealth(null);
    action().catch((failure: unknown) => setError(problemOf(failure).message)).finally(() => {
      setBusy(null);
      loadInterfaces();
    });
  };
  const toggle = (row: PluginInterfaceInfo) => act(row, async () => {
    await api.integration.togglePluginInterface({ interfaceId: row.id, enable: !row.enabled });
    setNotice(t(row.enabled ? 'nowDisabled' : 'nowEnabled', { name: row.displayName }));
  });
  const check = (row: PluginInterfaceInfo) => act(row, async () => {
    setHealth({ name: row.displayName, result: await api.integration.checkPluginHealth({ interfaceId: row.id }) });
  });

  return (
    <section>
      <h1>{t('title')}</h1>
      {error && <div className="error" role="alert">{error}</div>}
      {notice && <div className="ok" role="status" data-testid="notice">{notice}</div>}
      {health && <HealthResult name={health.name} result={health.result} />}

      <h2>{t('definitions')}</h2>
      <div className="table-wrap">
        <table data-testid="plugin-definitions">
          <thead>
            <tr><th>{t('type')}</th><th>{t('pluginId')}</th><th>{t('version')}</th><th>{t('functions')}</th><th>{t('adminPage')}</th><th>{t('updated')}</th><th>{t('actions')}</th></tr>
          </thead>
          <tbody>
            {(definitions ?? []).map((plugin) => (
              <tr key={plugin.id} data-plugin={plugin.pluginId}>
                <td>{t(plugin.pluginType)}</td>
                <td><code>{plugin.pluginId}</code></td>
                <td>{plugin.version}</td>
                <td data-testid="plugin-functions"><FunctionList functions={plugin.functions ?? ''} /></td>
                <td>{plugin.hasAdminPage ? t('yes') : t('no')}</td>
                <td><Time value={plugin.updatedAt} /></td>
                <td><Link to={`/plugins/new/${plugin.id}`}>{t('createInterface')}</Link></td>
              </tr>
            ))}
            {definitions?.length === 0 && <tr><td colSpan={7} className="muted">{t('none')}</td></tr>}
          </tbody>
        </table>
      </div>

      <h2>{t('interfaces')}</h2>
      <div className="toolbar">
        <label className="field">
          <span>{t('type')}</span>
          <select name="plugin_type" value={type} onChange={(event) => setType(event.target.value)}>
            <option value="">{t('allTypes')}</option>
            {PLUGIN_TYPES.map((value) => <option key={value} value={value}>{t(value)}</option>)}
          </select>
        </label>
      </div>
      <div className="table-wrap">
        <table data-testid="plugin-interfaces">
          <thead>
            <tr>
              <th>{t('name')}</th><th>{t('type')}</th><th>{t('pluginId')}</th><th>{t('version')}</th><th>{t('enabled')}</th>
              <th>{t('health')}</th><th>{t('lastCheck')}</th><th>{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(interfaces ?? []).map((row) => (
              <tr key={row.id} data-interface={row.id} data-name={row.displayName}>
                <td><Link to={`/plugins/interfaces/${row.id}`}>{row.displayName}</Link></td>
                <td>{t(row.pluginType)}</td>
                <td><code>{row.pluginId}</code></td>
                <td>{row.pluginVersion}</td>
                <td><EnabledBadge enabled={row.enabled} /></td>
                <td><HealthBadge row={row} /></td>
                <td><LastCheck row={row} /></td>
                <td className="row-actions">
                  <button type="button" disabled={busy === row.id} onClick={() => toggle(row)}>{row.enabled ? t('disable') : t('enable')}</button>
                  <button type="button" disabled={busy === row.id} onClick={() => check(row)}>{t('checkHealth')}</button>
                </td>
              </tr>
            ))}
            {interfaces?.length === 0 && <tr><td colSpan={8} className="muted">{t('none')}</td></tr>}
          </tbody>
        </table>
      </div>
    </section>
  );
}
