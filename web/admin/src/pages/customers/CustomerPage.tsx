/**
 * One customer: its figures (balance, credit, rating, risk level with the reasons, RFM segment,
 * orders, revenue, lifetime value) and tabs — profile, balance and credit with the ledger,
 * statistics with the manual rating, purchase history, orders, instances, invoices, tickets, API
 * keys. The tab is in the address (`?tab=`), so it can be linked. Deleting the customer is behind
 * a confirmation (./DeleteCustomer.tsx).
 */
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import type { CustomerInfo } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api, problemOf } from '../../api.ts';
import { Money, Time } from '../../../../shared/format.tsx';
import { RiskBadge, SegmentLabel, Stars, TypeLabel } from './bits.tsx';
import { DeleteCustomer } from './DeleteCustomer.tsx';
import { MoneyTab } from './MoneyTab.tsx';
import { ProfileTab } from './ProfileTab.tsx';
import { PurchaseHistoryTab } from './PurchaseHistoryTab.tsx';
import { StatisticsTab } from './StatisticsTab.tsx';
import { ApiKeysTab, InstancesTab, InvoicesTab, OrdersTab, TicketsTab } from './RelatedTabs.tsx';
import { NS } from './strings.ts';

const TABS = ['profile', 'money', 'statistics', 'purchases', 'orders', 'instances', 'invoices', 'tickets', 'apiKeys'] as const;
type Tab = (typeof TABS)[number];

/** The customer page (route `customers/:id`). */
export function CustomerPage() {
  const { t } = useTranslation(NS);
  const { id = '' } = useParams();
  const [params] = useSearchParams();
  const wanted = params.get('tab');
  const tab: Tab = (TABS as readonly string[]).includes(wanted ?? '') ? wanted as Tab : 'profile';
  const [customer, setCustomer] = useState<CustomerInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    api.customers.getCustomer({ id }).then((answer) => { setCustomer(answer.customer ?? null); setError(null); }, (failure: unknown) => setError(problemOf(failure).message));
  }, [id]);
  useEffect(reload, [reload]);
  const changed = useCallback((next?: CustomerInfo) => {
    if (next) setCustomer(next);
    else reload();
  }, [reload]);

  if (error) return <section><Link to="/customers">{t('back')}</Link><div className="error" role="alert">{error}</div></section>;
  if (!customer) return <p className="muted">{t('loadingCustomer')}</p>;
  const c = customer;
  const cards: Array<[string, React.ReactNode, string]> = [
    [t('balance'), <Money value={c.balance} />, 'customer-balance'],
    [t('creditLimit'), <Money value={c.creditLimit} />, 'customer-credit-limit'],
    [t('availableCredit'), <Money value={c.availableCredit} />, 'customer-available-credit'],
    [t('rating'), <Stars rating={c.rating} source={c.ratingSource} />, 'customer-rating'],
    [t('risk'), <RiskBadge level={c.riskLevel} />, 'customer-risk'],
    [t('segment'), <SegmentLabel segment={c.rfmSegment} />, 'customer-segment'],
    [t('totalOrders'), c.totalOrders, 'customer-orders-count'],
    [t('totalRevenue'), <Money value={c.totalRevenue} />, 'customer-revenue'],
    [t('lifetimeValue'), <Money value={c.customerLifetimeValue} />, 'customer-clv'],
    [t('lastOrder'), <Time value={c.lastOrderAt} />, 'customer-last-order'],
    [t('overdue'), c.isOverdue ? <span className="badge red">{t('overdueDays', { count: c.overdueDays })}</span> : t('notOverdue'), 'customer-overdue'],
  ];
  return (
    <section data-testid="customer-page" data-customer-id={c.id}>
      <Link to="/customers">{t('back')}</Link>
      <div className="cu-customer-head">
        <h1>{c.name}</h1>
        <span className="cu-code">{c.customerCode}</span>
        <TypeLabel type={c.customerType} />
        {c.industry && <span className="muted">· {c.industry}</span>}
        {c.deletedAt ? <span className="badge red" data-testid="customer-deleted">{t('deleted')} <Time value={c.deletedAt} /></span> : c.isActive ? <span className="badge green">{t('active')}</span> : <span className="badge">{t('inactive')}</span>}
      </div>
      <DeleteCustomer key={c.id} customer={c} onKept={changed} />
      <div className="cards">
        {cards.map(([label, value, testId]) => <div className="card" key={testId}><div className="label">{label}</div><div className="value cu-small" data-testid={testId}>{value}</div></div>)}
      </div>
      {c.riskReasons.length > 0 && (
        <>
          <div className="muted">{t('riskReasons')}</div>
          <ul className="cu-reasons" data-testid="risk-reasons">{c.riskReasons.map((reason) => <li key={reason}>{reason}</li>)}</ul>
        </>
      )}
      <nav className="cu-tabs" aria-label={c.name}>
        {TABS.map((name) => <Link key={name} to={`?tab=${name}`} className={name === tab ? 'active' : undefined} aria-current={name === tab ? 'page' : undefined}>{t(name)}</Link>)}
      </nav>
      {tab === 'profile' && <ProfileTab key={c.id} customer={c} onSaved={changed} />}
      {tab === 'money' && <MoneyTab customer={c} onChanged={changed} />}
      {tab === 'statistics' && <StatisticsTab key={c.id} customer={c} onChanged={changed} />}
      {tab === 'purchases' && <PurchaseHistoryTab customerId={c.id} />}
      {tab === 'orders' && <OrdersTab customerId={c.id} />}
      {tab === 'instances' && <InstancesTab customerId={c.id} />}
      {tab === 'invoices' && <InvoicesTab customerId={c.id} />}
      {tab === 'tickets' && <TicketsTab customerId={c.id} />}
      {tab === 'apiKeys' && <ApiKeysTab customerId={c.id} frozen={c.deletedAt !== ''} />}
    </section>
  );
}
