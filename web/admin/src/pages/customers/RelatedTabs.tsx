/**
 * What belongs to a customer, each a server-paged list filtered by `customer_id`: orders
 * (ListOrders), instances (ListInstances), invoices (ListInvoices), tickets (ListTickets); and its
 * API keys (ListApiKeys, RevokeApiKey, CreateApiKey — the new key is shown once).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { InvoiceInfo } from '../../../../../src/gen/rustbill/billing_pb.ts';
import type { ApiKeyInfo } from '../../../../../src/gen/rustbill/downstream_pb.ts';
import type { InstanceInfo } from '../../../../../src/gen/rustbill/instance_pb.ts';
import type { OrderInfo } from '../../../../../src/gen/rustbill/order_pb.ts';
import type { TicketInfo } from '../../../../../src/gen/rustbill/ticket_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { DataTable, useServerList, type Column } from '../../../../shared/list.tsx';
import { NS } from './strings.ts';

type Page = { page: number; pageSize: number };
const pageOf = (query: Page) => ({ page: query.page, pageSize: query.pageSize });
const short = (id: string) => <span className="cu-mono" title={id}>{id.slice(0, 8)}</span>;

/** The customer's orders, newest first. */
export function OrdersTab({ customerId }: { customerId: string }) {
  const { t } = useTranslation(NS);
  const list = useServerList<OrderInfo, null>(async (query) => {
    const answer = await api.orders.listOrders({ customerId, pagination: pageOf(query) });
    return { rows: answer.orders, total: Number(answer.meta?.total ?? 0) };
  }, null);
  const columns: Column<OrderInfo>[] = [
    { key: 'id', title: t('order'), render: (o) => <Link to={`/orders/${o.id}`} className="cu-mono" title={o.id}>{o.id.slice(0, 8)}</Link> },
    { key: 'product', title: t('product'), render: (o) => o.productName },
    { key: 'cycle', title: t('cycle'), render: (o) => o.billingCycle },
    { key: 'status', title: t('status'), render: (o) => <span className="badge">{o.status}</span> },
    { key: 'amount', title: t('amount'), numeric: true, render: (o) => <Money value={o.amount} currency={o.currency} /> },
    { key: 'created', title: t('createdAt'), render: (o) => <Time value={o.createdAt} /> },
  ];
  return <DataTable list={list} columns={columns} rowKey={(o) => o.id} testId="customer-orders" />;
}

/** The customer's instances. */
export function InstancesTab({ customerId }: { customerId: string }) {
  const { t } = useTranslation(NS);
  const list = useServerList<InstanceInfo, null>(async (query) => {
    const answer = await api.instances.listInstances({ customerId, pagination: pageOf(query) });
    return { rows: answer.instances, total: Number(answer.meta?.total ?? 0) };
  }, null);
  const columns: Column<InstanceInfo>[] = [
    { key: 'id', title: 'ID', render: (i) => short(i.id) },
    { key: 'product', title: t('product'), render: (i) => i.productName },
    { key: 'status', title: t('status'), render: (i) => <span className="badge">{i.status}</span> },
    { key: 'ip', title: t('ip'), render: (i) => i.ipAddress || <span className="muted">—</span> },
    { key: 'order', title: t('order'), render: (i) => <Link to={`/orders/${i.orderId}`} className="cu-mono" title={i.orderId}>{i.orderId.slice(0, 8)}</Link> },
    { key: 'created', title: t('createdAt'), render: (i) => <Time value={i.createdAt} /> },
  ];
  return <DataTable list={list} columns={columns} rowKey={(i) => i.id} testId="customer-instances" />;
}

/** The customer's invoices. */
export function InvoicesTab({ customerId }: { customerId: string }) {
  const { t } = useTranslation(NS);
  const list = useServerList<InvoiceInfo, null>(async (query) => {
    const answer = await api.billing.listInvoices({ customerId, pagination: pageOf(query) });
    return { rows: answer.invoices, total: Number(answer.meta?.total ?? 0) };
  }, null);
  const columns: Column<InvoiceInfo>[] = [
    { key: 'number', title: t('invoice'), render: (i) => <span className="cu-mono">{i.invoiceNumber}</span> },
    { key: 'status', title: t('status'), render: (i) => <span className={i.status === 'overdue' ? 'badge red' : i.status === 'paid' ? 'badge green' : 'badge'}>{i.status}</span> },
    { key: 'total', title: t('total'), numeric: true, render: (i) => <Money value={i.totalAmount} /> },
    { key: 'issued', title: t('issued'), render: (i) => <Time value={i.issuedAt} /> },
    { key: 'due', title: t('dueDate'), render: (i) => <Time value={i.dueDate} /> },
  ];
  return <DataTable list={list} columns={columns} rowKey={(i) => i.id} testId="customer-invoices" />;
}

/** The customer's tickets. */
export function TicketsTab({ customerId }: { customerId: string }) {
  const { t } = useTranslation(NS);
  const list = useServerList<TicketInfo, null>(async (query) => {
    const answer = await api.tickets.listTickets({ customerId, pagination: pageOf(query) });
    return { rows: answer.tickets, total: Number(answer.meta?.total ?? 0) };
  }, null);
  const columns: Column<TicketInfo>[] = [
    { key: 'title', title: t('ticketTitle'), render: (k) => <Link to={`/tickets/${k.id}`}>{k.title}</Link> },
    { key: 'status', title: t('status'), render: (k) => <span className="badge">{k.status}</span> },
    { key: 'priority', title: t('priority'), render: (k) => k.priority },
    { key: 'created', title: t('createdAt'), render: (k) => <Time value={k.createdAt} /> },
    { key: 'updated', title: t('time'), render: (k) => <Time value={k.updatedAt} /> },
  ];
  return <DataTable list={list} columns={columns} rowKey={(k) => k.id} testId="customer-tickets" />;
}

/** The customer's API keys: revoke one (after a confirmation), or create one. */
export function ApiKeysTab({ customerId, frozen }: { customerId: string; frozen: boolean }) {
  const { t } = useTranslation(NS);
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [asking, setAsking] = useState<ApiKeyInfo | null>(null);
  const [version, setVersion] = useState(0);
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.apiKeys.listApiKeys({ customerId }).then((answer) => { if (live) setKeys(answer.keys); }, (failure: unknown) => { if (live) setError(problemOf(failure).message); });
    return () => { live = false; };
  }, [customerId, version]);

  const revoke = (key: ApiKeyInfo) => {
    setError(null);
    api.apiKeys.revokeApiKey({ id: key.id }).then(() => {
      setNote(t('revokedOk', { name: key.name || key.keyPrefix }));
      setAsking(null);
      setVersion((v) => v + 1);
    }, (failure: unknown) => { setAsking(null); setError(problemOf(failure).message); });
  };
  const create = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    setCreated(null);
    api.apiKeys.createApiKey({ customerId, name }).then((answer) => {
      setCreated(answer.apiKey);
      setName('');
      setVersion((v) => v + 1);
    }, (failure: unknown) => setProblem(problemOf(failure)));
  };

  return (
    <div>
      {error && <div className="error" role="alert">{error}</div>}
      {note && <div className="ok" role="status">{note}</div>}
      {asking && (
        <div className="error" role="alertdialog" data-testid="revoke-confirm">
          {t('revokeConfirm', { name: asking.name || asking.keyPrefix })}{' '}
          <button type="button" className="danger" onClick={() => revoke(asking)}>{t('revoke')}</button>{' '}
          <button type="button" onClick={() => setAsking(null)}>{t('cancel', { ns: 'common' })}</button>
        </div>
      )}
      <div className="table-wrap" data-testid="api-keys">
        <table>
          <thead><tr><th>{t('keyName')}</th><th>{t('prefix')}</th><th>{t('state')}</th><th>{t('createdAt')}</th><th>{t('lastUsed')}</th><th>{t('expires')}</th><th /></tr></thead>
          <tbody>
            {(keys ?? []).map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td className="cu-mono">{key.keyPrefix}…</td>
                <td>{key.enabled ? <span className="badge green">{t('enabled')}</span> : <span className="badge red">{t('revoked')}</span>}</td>
                <td><Time value={key.createdAt} /></td>
                <td><Time value={key.lastUsedAt} /></td>
                <td><Time value={key.expiresAt} /></td>
                <td>{key.enabled && <button type="button" className="danger" onClick={() => { setNote(null); setAsking(key); }}>{t('revoke')}</button>}</td>
              </tr>
            ))}
            {keys !== null && keys.length === 0 && <tr><td colSpan={7} className="muted">{t('noKeys')}</td></tr>}
            {keys === null && !error && <tr><td colSpan={7} className="muted">{t('loading', { ns: 'common' })}</td></tr>}
          </tbody>
        </table>
      </div>
      {!frozen && (
        <form className="form cu-form" onSubmit={create} style={{ marginTop: '1rem' }} noValidate>
          <h2>{t('createKey')}</h2>
          <FormProblem problem={problem} fields={['name']} />
          <Field label={t('newKeyName')} name="name" problem={problem}><input name="name" value={name} onChange={(event) => setName(event.target.value)} /></Field>
          <div className="cu-form-actions"><button type="submit" className="primary">{t('createKey')}</button></div>
          {created && <div className="ok" role="status" data-testid="new-api-key"><span className="cu-mono">{t('newKey', { key: created })}</span></div>}
        </form>
      )}
    </div>
  );
}
