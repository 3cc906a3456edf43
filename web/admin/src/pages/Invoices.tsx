/**
 * The Invoices screen (issue 12): the server's list filtered by status and customer, page by page;
 * one invoice's detail and actions (`?id=`); a draft made by hand (`?new=1`); and the billing run
 * of a period. Every figure is the server's decimal string.
 */
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import type { InvoiceInfo } from '../../../../src/gen/rustbill/billing_pb.ts';
import { api } from '../api.ts';
import { DataTable, useServerList, type Column, type PageQuery, type ServerList } from '../../../shared/list.tsx';
import { Money, Time } from '../../../shared/format.tsx';
import { CustomerPicker, INVOICE_STATUSES, StatusBadge, useCustomerNames } from './billing/common.tsx';
import { GenerateInvoices } from './billing/GenerateInvoices.tsx';
import { InvoiceDetail } from './billing/InvoiceDetail.tsx';
import { InvoiceForm } from './billing/InvoiceForm.tsx';
import './billing/invoice-strings.ts';

interface InvoiceFilters { status: string; customerId: string }

function loadInvoices(query: PageQuery<InvoiceFilters>) {
  return api.billing.listInvoices({
    pagination: { page: query.page, pageSize: query.pageSize },
    ...(query.filters.status ? { status: query.filters.status } : {}),
    ...(query.filters.customerId ? { customerId: query.filters.customerId } : {}),
  }).then((answer) => ({ rows: answer.invoices, total: Number(answer.meta?.total ?? 0) }));
}

/** The Invoices screen: list, detail (`?id=`), new draft (`?new=1`), billing run (`?generate=1`). */
export default function InvoicesPage() {
  const [params, setParams] = useSearchParams();
  const id = params.get('id');
  const list = useServerList(loadInvoices, { status: '', customerId: '' });
  const show = useCallback((next: Record<string, string>) => setParams(next), [setParams]);
  if (id) return <InvoiceDetail id={id} onBack={() => { show({}); list.reload(); }} onGone={() => { show({}); list.reload(); }} />;
  if (params.get('new') === '1') return <InvoiceForm onCreated={(created) => { list.reload(); show({ id: created }); }} onCancel={() => show({})} />;
  return <InvoiceList list={list} show={show} generate={params.get('generate') === '1'} />;
}

function InvoiceList({ list, show, generate }: { list: ServerList<InvoiceInfo, InvoiceFilters>; show(next: Record<string, string>): void; generate: boolean }) {
  const { t } = useTranslation('invoices');
  const billing = useTranslation('billing').t;
  const names = useCustomerNames(list.rows.map((row) => row.customerId));
  const columns: Column<InvoiceInfo>[] = [
    { key: 'number', title: t('number'), render: (row) => <button type="button" className="link" onClick={() => show({ id: row.id })}>{row.invoiceNumber || billing("draft")}</button> },
    { key: 'customer', title: t('customer'), render: (row) => names[row.customerId] ?? row.customerId.slice(0, 8) },
    { key: 'status', title: t('status'), render: (row) => <StatusBadge status={row.status} /> },
    { key: 'period', title: t('period'), render: (row) => `${row.billingPeriodStart} – ${row.billingPeriodEnd}` },
    { key: 'source', title: t('source'), render: (row) => { const source = row.source ?? ''; return source === 'manual' || source === 'generated' || source === 'renewal' ? t(source) : source; } },
    { key: 'total', title: t('total'), numeric: true, render: (row) => <Money value={row.totalAmount} /> },
    { key: 'due', title: t('due'), render: (row) => row.dueDate || '—' },
    { key: 'created', title: t('createdAt'), render: (row) => <Time value={row.createdAt} /> },
  ];
  return (
    <section>
      <h1>{t('title')}</h1>
      <div className="toolbar">
        <label className="field">
          <span>{t('status')}</span>
          <select aria-label={t('status')} value={list.query.filters.status} onChange={(e) => list.setFilters({ ...list.query.filters, status: e.target.value })}>
            <option value="">{t('anyStatus')}</option>
            {INVOICE_STATUSES.map((status) => <option key={status} value={status}>{billing(status)}</option>)}
          </select>
        </label>
        <div className="field">
          <span>{t('customer')}</span>
          <CustomerPicker label={t('customer')} name="customer_filter" value={list.query.filters.customerId} emptyLabel={billing('anyCustomer')}
            onChange={(customerId) => list.setFilters({ ...list.query.filters, customerId })} />
        </div>
        <span style={{ flex: 1 }} />
        <button type="button" className="primary" onClick={() => show({ new: '1' })}>{t('newDraft')}</button>
        <button type="button" onClick={() => show(generate ? {} : { generate: '1' })}>{t('generate')}</button>
      </div>
      {generate && <div style={{ marginBottom: '1rem' }}><GenerateInvoices onGenerated={list.reload} /></div>}
      <DataTable list={list} columns={columns} rowKey={(row) => row.id} testId="invoices-table" />
    </section>
  );
}
