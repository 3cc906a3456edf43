/**
 * The customer's invoices (`/invoices`; README "Billing and invoices"): BillingService/ListInvoices
 * (the server answers the caller's own only), newest first, a status filter and pages; each row
 * links to the invoice.
 */
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { InvoiceInfo } from '../../../../../src/gen/rustbill/billing_pb.ts';
import { api } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { PageTitle, StatusBadge } from '../../ui/page.tsx';
import { useServerList, type PageQuery } from '../../../../shared/list.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { Pager } from '../../../../shared/list.tsx';
import { INVOICE_STATUSES } from './strings.ts';
import '../balance/balance.css';

interface InvoiceFilters { status: string }

function loadInvoices(query: PageQuery<InvoiceFilters>): Promise<{ rows: InvoiceInfo[]; total: number }> {
  return api.billing.listInvoices({
    pagination: { page: query.page, pageSize: query.pageSize },
    ...(query.filters.status ? { status: query.filters.status } : {}),
  }).then((answer) => ({ rows: answer.invoices, total: Number(answer.meta?.total ?? 0n) }));
}

/** The `/invoices` screen. */
export function InvoiceList() {
  const { t } = useTranslation('invoices');
  const friendly = useFriendly();
  const describe = useCallback((failure: unknown) => friendly(failure).message, [friendly]);
  const list = useServerList(loadInvoices, { status: '' }, 10, describe);
  return (
    <section>
      <PageTitle>{t('title')}</PageTitle>
      <div className="list-filters">
        <label className="field inline"><span>{t('status')}</span>
          <select value={list.query.filters.status} onChange={(event) => list.setFilters({ status: event.target.value })}>
            <option value="">{t('allStatuses')}</option>
            {INVOICE_STATUSES.map((status) => <option key={status} value={status}>{t(`common:status.${status}`)}</option>)}
          </select>
        </label>
      </div>
      <div className="table-wrap" data-testid="invoices">
        {list.error && <div className="error" role="alert">{list.error}</div>}
        <table className="stack account-table">
          <thead>
            <tr><th>{t('number')}</th><th>{t('issued')}</th><th>{t('due')}</th><th>{t('status')}</th><th className="num">{t('total')}</th></tr>
          </thead>
          <tbody>
            {list.rows.map((row) => (
              <tr key={row.id} data-testid="invoice-row" data-id={row.id}>
                <td data-label={t('number')}><Link to={`/invoices/${row.id}`}>{row.invoiceNumber || t('draftNumber')}</Link></td>
                <td data-label={t('issued')}><Time value={row.issuedAt} /></td>
                <td data-label={t('due')}>{row.dueDate || '—'}</td>
                <td data-label={t('status')} data-testid="invoice-status"><StatusBadge status={row.status} /></td>
                <td data-label={t('total')} className="num"><Money value={row.totalAmount} /></td>
              </tr>
            ))}
            {list.rows.length === 0 && !list.loading && <tr><td colSpan={5} className="muted">{t('noInvoices')}</td></tr>}
          </tbody>
        </table>
        <Pager list={list} />
      </div>
    </section>
  );
}
