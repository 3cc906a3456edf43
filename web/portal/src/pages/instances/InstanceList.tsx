/**
 * "My servers" (`/instances`): the customer's instances one server page at a time
 * (InstanceService/ListInstances, the customer's own, optionally one status): product, status,
 * IP address, created, and a link to each server's page. A table on a wide screen; each row a
 * card on a phone (`table.stack`).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { InstanceInfo } from '../../../../../src/gen/rustbill/instance_pb.ts';
import { INSTANCE_STATUSES } from '../../../../../src/domain/provisioning/instance-lifecycle.ts';
import { api } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { PageTitle, StatusBadge } from '../../ui/page.tsx';
import { Time } from '../../../../shared/format.tsx';
import { Pager, useServerList } from '../../../../shared/list.tsx';
import './strings.ts';
import './instances.css';

/** The status filter ('' = every status). */
interface Filters {
  status: string;
}

/** The customer's servers, filtered by status on the server. */
export function InstanceList() {
  const { t } = useTranslation('instances');
  const { t: common } = useTranslation();
  const friendly = useFriendly();
  const [status, setStatus] = useState('');
  const list = useServerList<InstanceInfo, Filters>(async (query) => {
    const answer = await api.instances.listInstances({
      pagination: { page: query.page, pageSize: query.pageSize },
      ...(query.filters.status ? { status: query.filters.status } : {}),
    });
    return { rows: answer.instances, total: Number(answer.meta?.total ?? 0) };
  }, { status: '' }, 20, (error) => friendly(error).message);
  return (
    <section>
      <PageTitle>{t('title')}</PageTitle>
      <div className="instance-filter">
        <label className="field">
          <span>{t('filter')}</span>
          <select value={status} onChange={(event) => { setStatus(event.target.value); list.setFilters({ status: event.target.value }); }}>
            <option value="">{t('all')}</option>
            {INSTANCE_STATUSES.map((value) => <option key={value} value={value}>{common(`status.${value}`)}</option>)}
          </select>
        </label>
      </div>
      {list.error && <div className="error" role="alert">{list.error} <button type="button" className="link-button" onClick={list.reload}>{common('retry')}</button></div>}
      {!list.loading && !list.error && list.rows.length === 0 && list.query.filters.status === '' && (
        <div className="panel"><p>{t('empty')}</p><Link to="/" className="button primary">{t('toStore')}</Link></div>
      )}
      {(list.rows.length > 0 || list.query.filters.status !== '') && (
        <div className="table-wrap" data-testid="instances">
          <table className="stack">
            <thead>
              <tr><th>{t('server')}</th><th>{t('status')}</th><th>{t('ip')}</th><th>{t('created')}</th><th><span className="visually-hidden">{t('open')}</span></th></tr>
            </thead>
            <tbody>
              {list.rows.map((row) => {
                const name = row.productName || row.providerInstanceId || row.id.slice(0, 8);
                return (
                  <tr key={row.id} data-testid="instance-row" data-instance-id={row.id}>
                    <td data-label={t('server')}>
                      <span className="instance-name">
                        <Link to={row.id}>{name}</Link>
                        {row.providerInstanceId && <span className="muted mono small">{row.providerInstanceId}</span>}
                      </span>
                    </td>
                    <td data-label={t('status')}><StatusBadge status={row.status} /></td>
                    <td data-label={t('ip')}><span className="mono">{row.ipAddress || '—'}</span></td>
                    <td data-label={t('created')}><Time value={row.createdAt} /></td>
                    <td data-label=""><Link to={row.id} className="button small-button" aria-label={t('openNamed', { name })}>{t('open')}</Link></td>
                  </tr>
                );
              })}
              {list.rows.length === 0 && !list.loading && <tr><td colSpan={5} className="muted">{common('noRows')}</td></tr>}
            </tbody>
          </table>
          <Pager list={list} />
        </div>
      )}
      {list.loading && list.rows.length === 0 && list.query.filters.status === '' && <p className="muted" role="status">{common('loading')}</p>}
    </section>
  );
}
