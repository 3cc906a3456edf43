/**
 * The dashboard: customers (new this month), revenue, orders by status, open tickets, overdue
 * invoices, unhealthy plugin interfaces and dead-letter events, with charts. Every figure comes
 * from the server (list totals, the CRM's statistics, the ops feed).
 */
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ChartConfiguration } from 'chart.js';
import { api, problemOf } from '../api.ts';
import { registerStrings } from '../i18n.ts';
import { fetchOps, sumOf } from '../ops-figures.ts';
import { ChartView } from '../ui/chart.tsx';
import { Money } from '../../../shared/format.tsx';

registerStrings('dashboard', {
  en: {
    title: 'Dashboard', customers: 'Customers', newThisMonth: 'New this month', revenue: 'Revenue (all time)', owed: 'Owed by customers',
    openTickets: 'Open tickets', overdueInvoices: 'Overdue invoices', unhealthyPlugins: 'Unhealthy plugin interfaces', deadLetters: 'Dead-letter events',
    ordersByStatus: 'Orders by status', risk: 'Customers by credit risk', segments: 'Customers by RFM segment',
    revenueToday: 'Revenue today', revenueMonth: 'Revenue this month', revenueDays: 'Revenue per day, last 30 days',
  },
  zh: {
    title: '概览', customers: '客户数', newThisMonth: '本月新增', revenue: '累计收入', owed: '客户欠款',
    openTickets: '待处理工单', overdueInvoices: '逾期账单', unhealthyPlugins: '异常插件接口', deadLetters: '死信事件',
    ordersByStatus: '订单状态分布', risk: '客户信用风险', segments: '客户 RFM 分群',
    revenueToday: '今日收入', revenueMonth: '本月收入', revenueDays: '近 30 天每日收入',
  },
});

const ORDER_STATUSES = ['pending', 'paid', 'provisioning', 'active', 'suspended', 'completed', 'cancelled', 'refunded'] as const;

interface Figures {
  totalCustomers: number;
  newThisMonth: number;
  revenue: string;
  owed: string;
  openTickets: number;
  overdueInvoices: number;
  unhealthyPlugins: number;
  deadLetters: number | null;
  ordersByStatus: number[];
  risk: Array<{ label: string; count: number }>;
  segments: Array<{ label: string; count: number }>;
  revenueToday: string;
  revenueMonth: string;
  revenueDays: Array<{ date: string; amount: string }>;
}

async function loadFigures(): Promise<Figures> {
  const page = { page: 1, pageSize: 1 };
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [revenue, stats, pendingTickets, processingTickets, overdue, interfaces, ops, ...orders] = await Promise.all([
    api.billing.getRevenueSummary({ days: 30, timeZone }),
    api.customers.getOverallStatistics({}),
    api.tickets.listTickets({ pagination: page, status: 'pending' }),
    api.tickets.listTickets({ pagination: page, status: 'processing' }),
    api.billing.listInvoices({ pagination: page, status: 'overdue' }),
    api.integration.listPluginInterfaces({}),
    fetchOps().catch(() => null),
    ...ORDER_STATUSES.map((status) => api.orders.listOrders({ pagination: page, status })),
  ]);
  return {
    totalCustomers: stats.totalCustomers,
    newThisMonth: stats.newCustomersThisMonth,
    revenue: stats.financialSummary?.totalRevenue ?? '0.00',
    owed: stats.financialSummary?.totalOwed ?? '0.00',
    openTickets: Number(pendingTickets.meta?.total ?? 0) + Number(processingTickets.meta?.total ?? 0),
    overdueInvoices: Number(overdue.meta?.total ?? 0),
    unhealthyPlugins: interfaces.interfaces.filter((entry) => entry.enabled && !entry.isHealthy && entry.lastCheckAt !== undefined && entry.lastCheckAt !== '').length,
    deadLetters: ops ? Math.max(0, ...ops.workers.map((sample) => sumOf(sample, 'nodebill_outbox_backlog', { status: 'failed' }))) : null,
    ordersByStatus: orders.map((answer) => Number(answer.meta?.total ?? 0)),
    risk: stats.riskDistribution.map((entry) => ({ label: entry.key, count: entry.count })),
    segments: stats.segmentDistribution.map((entry) => ({ label: entry.key, count: entry.count })),
    revenueToday: revenue.today,
    revenueMonth: revenue.thisMonth,
    revenueDays: revenue.days.map((day) => ({ date: day.date, amount: day.amount })),
  };
}

export default function DashboardPage() {
  const { t } = useTranslation('dashboard');
  const [figures, setFigures] = useState<Figures | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadFigures().then(setFigures, (failure: unknown) => setError(problemOf(failure).message));
  }, []);
  const ordersChart = useMemo<ChartConfiguration | null>(() => figures && {
    type: 'bar',
    data: { labels: [...ORDER_STATUSES], datasets: [{ label: t('ordersByStatus'), data: figures.ordersByStatus, backgroundColor: '#2a5bd7' }] },
    options: { plugins: { legend: { display: false }, title: { display: true, text: t('ordersByStatus') } } },
  }, [figures, t]);
  // Chart.js plots numbers: the decimal strings become numbers for drawing only, never for money sums.
  const revenueChart = useMemo<ChartConfiguration | null>(() => figures && {
    type: 'line',
    data: { labels: figures.revenueDays.map((day) => day.date.slice(5)), datasets: [{ label: t('revenueDays'), data: figures.revenueDays.map((day) => Number(day.amount)), borderColor: '#12b76a', backgroundColor: '#12b76a' }] },
    options: { plugins: { legend: { display: false }, title: { display: true, text: t('revenueDays') } } },
  }, [figures, t]);
  const riskChart = useMemo<ChartConfiguration | null>(() => figures && {
    type: 'doughnut',
    data: { labels: figures.risk.map((entry) => entry.label), datasets: [{ data: figures.risk.map((entry) => entry.count), backgroundColor: ['#3b9b5b', '#e6b800', '#f08c2e', '#d92d20'] }] },
    options: { plugins: { title: { display: true, text: t('risk') } } },
  }, [figures, t]);
  const segmentChart = useMemo<ChartConfiguration | null>(() => figures && {
    type: 'bar',
    data: { labels: figures.segments.map((entry) => entry.label), datasets: [{ label: t('segments'), data: figures.segments.map((entry) => entry.count), backgroundColor: '#7a5af8' }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false }, title: { display: true, text: t('segments') } } },
  }, [figures, t]);
  if (error) return <div className="error" role="alert">{error}</div>;
  if (!figures) return <p className="muted">…</p>;
  const cards: Array<[string, React.ReactNode, string]> = [
    [t('customers'), figures.totalCustomers, 'dash-customers'],
    [t('newThisMonth'), figures.newThisMonth, 'dash-new'],
    [t('revenueToday'), <Money value={figures.revenueToday} />, 'dash-revenue-today'],
    [t('revenueMonth'), <Money value={figures.revenueMonth} />, 'dash-revenue-month'],
    [t('revenue'), <Money value={figures.revenue} />, 'dash-revenue'],
    [t('owed'), <Money value={figures.owed} />, 'dash-owed'],
    [t('openTickets'), figures.openTickets, 'dash-tickets'],
    [t('overdueInvoices'), figures.overdueInvoices, 'dash-overdue'],
    [t('unhealthyPlugins'), figures.unhealthyPlugins, 'dash-plugins'],
    [t('deadLetters'), figures.deadLetters ?? '—', 'dash-dead'],
  ];
  return (
    <section>
      <h1>{t('title')}</h1>
      <div className="cards">
        {cards.map(([label, value, id]) => <div className="card" key={id}><div className="label">{label}</div><div className="value" data-testid={id}>{value}</div></div>)}
      </div>
      <div className="charts">
        {revenueChart && <ChartView config={revenueChart} label={t('revenueDays')} />}
        {ordersChart && <ChartView config={ordersChart} label={t('ordersByStatus')} />}
        {riskChart && <ChartView config={riskChart} label={t('risk')} />}
        {segmentChart && <ChartView config={segmentChart} label={t('segments')} />}
      </div>
    </section>
  );
}
