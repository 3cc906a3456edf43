/**
 * The ops dashboard (issue 12): every worker's live figures, refreshed every few seconds without
 * reloading — pid, uptime, shards, requests/s (from the counter's change between two samples),
 * p50/p99, actors alive, mailbox depth, command latency, snapshot conflicts, passivations, outbox
 * backlog, plugin circuit breakers and database pools. The same registries `/metrics` aggregates
 * (deploy/grafana/nodebill-dashboard.json has these panels for Prometheus).
 */
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { registerStrings } from '../i18n.ts';
import { fetchOps, quantileOf, sumOf, valuesOf, type OpsFeed, type WorkerSample } from '../ops-figures.ts';

registerStrings('ops', {
  en: {
    title: 'Ops: the cluster, live', worker: 'Worker', pid: 'PID', uptime: 'Uptime', shards: 'Shards', rps: 'Requests/s', p50: 'p50 ms', p99: 'p99 ms',
    actors: 'Customer actors', orderActors: 'Order actors', mailbox: 'Mailbox depth', commandP99: 'Command p99 ms', conflicts: 'Snapshot conflicts',
    passivations: 'Passivations', inFlight: 'In flight', outbox: 'Outbox backlog', deadLetters: 'Dead letters', breakers: 'Plugin circuit breakers',
    host: 'Host', state: 'State', pools: 'Database pools', pool: 'Pool', inUse: 'In use', idle: 'Idle', waiting: 'Waiting', updated: 'Updated {{time}}',
    closed: 'closed', open: 'open', halfOpen: 'half-open', none: 'No plugin host has been called yet.',
  },
  zh: {
    title: '运行状态（实时）', worker: '工作进程', pid: '进程号', uptime: '运行时间', shards: '分片', rps: '请求/秒', p50: 'p50 毫秒', p99: 'p99 毫秒',
    actors: '客户 Actor', orderActors: '订单 Actor', mailbox: '邮箱深度', commandP99: '命令 p99 毫秒', conflicts: '快照冲突',
    passivations: '休眠次数', inFlight: '处理中', outbox: '待处理事件', deadLetters: '死信', breakers: '插件熔断器',
    host: '主机', state: '状态', pools: '数据库连接池', pool: '连接池', inUse: '使用中', idle: '空闲', waiting: '等待', updated: '更新于 {{time}}',
    closed: '闭合', open: '断开', halfOpen: '半开', none: '尚未调用任何插件主机。',
  },
});

/** How often the page asks for new figures (ms). */
const REFRESH_MS = 3_000;

function ms(seconds: number | null): string {
  return seconds === null ? '—' : (seconds * 1000).toFixed(1);
}

function uptime(secs: number): string {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : `${m}m ${secs % 60}s`;
}

export default function OpsPage() {
  const { t } = useTranslation('ops');
  const [feed, setFeed] = useState<OpsFeed | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<Date | null>(null);
  const previous = useRef<{ feed: OpsFeed; at: number } | null>(null);
  const [rates, setRates] = useState<Record<number, number>>({});
  useEffect(() => {
    let live = true;
    const load = () => fetchOps().then((next) => {
      if (!live) return;
      const now = Date.now();
      const before = previous.current;
      if (before) {
        const seconds = (now - before.at) / 1000;
        const perWorker: Record<number, number> = {};
        for (const sample of next.workers) {
          const old = before.feed.workers.find((candidate) => candidate.slot === sample.slot);
          if (old) perWorker[sample.slot] = Math.max(0, (sumOf(sample, 'nodebill_grpc_requests_total') - sumOf(old, 'nodebill_grpc_requests_total')) / seconds);
        }
        setRates(perWorker);
      }
      previous.current = { feed: next, at: now };
      setFeed(next);
      setAt(new Date(now));
      setError(null);
    }, (failure: unknown) => { if (live) setError(failure instanceof Error ? failure.message : String(failure)); });
    void load();
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => { live = false; window.clearInterval(timer); };
  }, []);
  const workers = feed?.workers ?? [];
  const breakers = workers.flatMap((sample) => valuesOf(sample, 'nodebill_plugin_breaker_state').map((value) => ({ slot: sample.slot, ...value })));
  return (
    <section>
      <h1>{t('title')}</h1>
      {error && <div className="error" role="alert">{error}</div>}
      {at && <p className="muted">{t('updated', { time: at.toLocaleTimeString() })}</p>}
      <div className="table-wrap">
        <table data-testid="ops-workers">
          <thead>
            <tr>
              <th>{t('worker')}</th><th className="num">{t('pid')}</th><th>{t('uptime')}</th><th className="num">{t('shards')}</th><th className="num">{t('rps')}</th>
              <th className="num">{t('p50')}</th><th className="num">{t('p99')}</th><th className="num">{t('actors')}</th><th className="num">{t('orderActors')}</th>
              <th className="num">{t('mailbox')}</th><th className="num">{t('commandP99')}</th><th className="num">{t('conflicts')}</th>
              <th className="num">{t('passivations')}</th><th className="num">{t('inFlight')}</th>
            </tr>
          </thead>
          <tbody>
            {workers.map((sample: WorkerSample) => (
              <tr key={sample.slot} data-testid={`ops-worker-${sample.slot}`}>
                <td>#{sample.slot}</td>
                <td className="num">{sample.pid}</td>
                <td>{uptime(sample.uptimeSecs)}</td>
                <td className="num">{sample.shards.length}</td>
                <td className="num">{rates[sample.slot]?.toFixed(1) ?? '—'}</td>
                <td className="num">{ms(quantileOf(sample, 'nodebill_grpc_request_duration_seconds', 0.5))}</td>
                <td className="num">{ms(quantileOf(sample, 'nodebill_grpc_request_duration_seconds', 0.99))}</td>
                <td className="num" data-testid="ops-actors">{sumOf(sample, 'nodebill_actors_alive', { kind: 'customer' })}</td>
                <td className="num">{sumOf(sample, 'nodebill_actors_alive', { kind: 'order' })}</td>
                <td className="num">{sumOf(sample, 'nodebill_actor_mailbox_depth')}</td>
                <td className="num">{ms(quantileOf(sample, 'nodebill_actor_command_duration_seconds', 0.99))}</td>
                <td className="num">{sumOf(sample, 'nodebill_actor_snapshot_conflicts_total')}</td>
                <td className="num">{sumOf(sample, 'nodebill_actor_passivations_total')}</td>
                <td className="num">{sumOf(sample, 'nodebill_grpc_in_flight')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="cards" style={{ marginTop: '1rem' }}>
        {(['pending', 'queued', 'processing'] as const).map((status) => (
          <div className="card" key={status}>
            <div className="label">{t('outbox')} · {status}</div>
            <div className="value">{Math.max(0, ...workers.map((sample) => sumOf(sample, 'nodebill_outbox_backlog', { status })))}</div>
          </div>
        ))}
        <div className="card">
          <div className="label">{t('deadLetters')}</div>
          <div className="value" data-testid="ops-dead-letters">{Math.max(0, ...workers.map((sample) => sumOf(sample, 'nodebill_outbox_backlog', { status: 'failed' })))}</div>
        </div>
      </div>
      <h2>{t('breakers')}</h2>
      {breakers.length === 0 ? <p className="muted">{t('none')}</p> : (
        <div className="table-wrap">
          <table>
            <thead><tr><th>{t('worker')}</th><th>{t('host')}</th><th>Interface</th><th>{t('state')}</th></tr></thead>
            <tbody>
              {breakers.map((breaker) => (
                <tr key={`${breaker.slot}-${String(breaker.labels.host)}-${String(breaker.labels.interface_id)}`}>
                  <td>#{breaker.slot}</td><td>{String(breaker.labels.host)}</td><td>{String(breaker.labels.interface_id)}</td>
                  <td><span className={`badge ${breaker.value === 0 ? 'green' : breaker.value === 1 ? 'yellow' : 'red'}`}>{breaker.value === 0 ? t('closed') : breaker.value === 1 ? t('halfOpen') : t('open')}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>{t('pools')}</h2>
      <div className="table-wrap">
        <table>
          <thead><tr><th>{t('worker')}</th><th>{t('pool')}</th><th className="num">{t('inUse')}</th><th className="num">{t('idle')}</th><th className="num">{t('waiting')}</th></tr></thead>
          <tbody>
            {workers.flatMap((sample) => ['money', 'customers', 'jobs'].map((pool) => (
              <tr key={`${sample.slot}-${pool}`}>
                <td>#{sample.slot}</td><td>{pool}</td>
                <td className="num">{sumOf(sample, 'nodebill_db_pool_connections', { pool, state: 'in_use' })}</td>
                <td className="num">{sumOf(sample, 'nodebill_db_pool_connections', { pool, state: 'idle' })}</td>
                <td className="num">{sumOf(sample, 'nodebill_db_pool_connections', { pool, state: 'waiting' })}</td>
              </tr>
            )))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
