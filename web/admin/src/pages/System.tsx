/**
 * System (issue 12): about this NodeBill — the console's version, the running cluster (primary and
 * workers, from the ops feed), the signed-in administrator — and the rolling restart of every
 * worker (IntegrationService/RestartServer) behind a confirmation. The restart is shown to admins
 * only (the whole screen is hidden from operators in the navigation).
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { name as packageName, version as packageVersion } from '../../../../package.json';
import { api, problemOf } from '../api.ts';
import { registerStrings } from '../i18n.ts';
import { fetchOps, type OpsFeed } from '../ops-figures.ts';
import { useSession } from '../session.tsx';
import './support/support.css';

registerStrings('system', {
  en: {
    title: 'System', about: 'About', product: 'Product', version: 'Version', api: 'API', apiValue: 'RustBill-compatible gRPC, gRPC-Web and the admin console',
    primary: 'Primary process', workers: 'Workers', uptime: 'Up for', signedIn: 'Signed in as', restartTitle: 'Restart the server',
    restartText: 'Replaces the workers one by one (a rolling restart): requests in flight finish, the other workers keep answering.',
    restart: 'Restart the server…', confirmTitle: 'Restart every worker now?', confirmText: 'Each worker stops taking requests, finishes what it is doing and is replaced; customers may notice brief slowness.',
    confirm: 'Yes, restart', cancel: 'Cancel', started: 'The rolling restart was started. The workers are replaced one by one.', pid: 'PID {{pid}}',
  },
  zh: {
    title: '系统', about: '关于', product: '产品', version: '版本', api: '接口', apiValue: '兼容 RustBill 的 gRPC、gRPC-Web 与管理后台',
    primary: '主进程', workers: '工作进程', uptime: '已运行', signedIn: '当前用户', restartTitle: '重启服务',
    restartText: '逐个替换工作进程（滚动重启）：处理中的请求会完成，其余工作进程继续响应。',
    restart: '重启服务…', confirmTitle: '现在重启所有工作进程吗？', confirmText: '每个工作进程停止接收请求、完成手头工作后被替换；客户可能会感到短暂变慢。',
    confirm: '确认重启', cancel: '取消', started: '已开始滚动重启，工作进程将被逐个替换。', pid: '进程号 {{pid}}',
  },
});

function uptime(secs: number): string {
  const d = Math.floor(secs / 86400);
  const h = Math.floor((secs % 86400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${Math.floor(secs % 60)}s`;
}

/** The System screen. */
export default function SystemPage() {
  const { t } = useTranslation('system');
  const session = useSession();
  const [ops, setOps] = useState<OpsFeed | null>(null);
  const [opsError, setOpsError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  useEffect(() => {
    fetchOps().then(setOps, (failure: unknown) => setOpsError(failure instanceof Error ? failure.message : String(failure)));
  }, []);
  const restart = () => {
    setBusy(true);
    setResult(null);
    api.integration.restartServer({}).then(
      () => setResult({ ok: true, message: t('started') }),
      (failure: unknown) => setResult({ ok: false, message: problemOf(failure).message }),
    ).finally(() => { setBusy(false); setConfirming(false); });
  };
  return (
    <section>
      <h1>{t('title')}</h1>
      <div className="panel">
        <h2>{t('about')}</h2>
        <dl className="about" data-testid="system-about">
          <dt>{t('product')}</dt><dd>NodeBill ({packageName})</dd>
          <dt>{t('version')}</dt><dd data-testid="system-version">{packageVersion}</dd>
          <dt>{t('api')}</dt><dd>{t('apiValue')}</dd>
          <dt>{t('primary')}</dt><dd>{ops ? `${t('pid', { pid: ops.primary.pid })} · ${t('uptime')} ${uptime(ops.primary.uptimeSecs)}` : '—'}</dd>
          <dt>{t('workers')}</dt><dd data-testid="system-workers">{ops ? ops.workers.length : '—'}</dd>
          <dt>{t('signedIn')}</dt><dd>{session.user ? `${session.user.username} (${session.user.role})` : '—'}</dd>
        </dl>
        {opsError && <div className="error" role="alert">{opsError}</div>}
      </div>
      {session.isAdmin && (
        <div className="panel warning">
          <h2>{t('restartTitle')}</h2>
          <p>{t('restartText')}</p>
          {!confirming && <button type="button" className="danger" onClick={() => { setResult(null); setConfirming(true); }}>{t('restart')}</button>}
          {confirming && (
            <div role="dialog" aria-label={t('confirmTitle')}>
              <p><strong>{t('confirmTitle')}</strong> {t('confirmText')}</p>
              <div className="row-actions">
                <button type="button" className="danger" disabled={busy} onClick={restart}>{t('confirm')}</button>
                <button type="button" onClick={() => setConfirming(false)}>{t('cancel')}</button>
              </div>
            </div>
          )}
          {result && <div className={result.ok ? 'ok' : 'error'} role={result.ok ? 'status' : 'alert'}>{result.message}</div>}
        </div>
      )}
    </section>
  );
}
