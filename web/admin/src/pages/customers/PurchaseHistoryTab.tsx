/**
 * A customer's purchase history (GetPurchaseHistory): its orders newest first with how they were
 * paid (unpaid, paid, partially refunded, refunded), in the server's pages.
 */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { PurchaseRecord } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api } from '../../api.ts';
import { Money, Time } from '../../../../shared/format.tsx';
import { DataTable, useServerList, type Column } from '../../../../shared/list.tsx';
import { NS } from './strings.ts';

const PAYMENT_STATES = ['unpaid', 'paid', 'partially_refunded', 'refunded'] as const;
const PAYMENT_BADGES: Record<string, string> = { unpaid: 'badge', paid: 'badge green', partially_refunded: 'badge yellow', refunded: 'badge orange' };

/** How many orders one page of the history holds. */
export const HISTORY_PAGE_SIZE = 10;

/** The purchase history of `customerId`. */
export function PurchaseHistoryTab({ customerId }: { customerId: string }) {
  const { t } = useTranslation(NS);
  const list = useServerList<PurchaseRecord, null>(async (query) => {
    const answer = await api.customers.getPurchaseHistory({ id: customerId, pagination: { page: query.page, pageSize: query.pageSize } });
    return { rows: answer.orders, total: Number(answer.meta?.total ?? 0) };
  }, null, HISTORY_PAGE_SIZE);
  const columns: Column<PurchaseRecord>[] = [
    { key: 'order', title: t('order'), render: (o) => <Link to={`/orders/${o.orderId}`} className="cu-mono" title={o.orderId}>{o.orderId.slice(0, 8)}</Link> },
    { key: 'created', title: t('createdAt'), render: (o) => <Time value={o.createdAt} /> },
    { key: 'product', title: t('product'), render: (o) => o.productName },
    { key: 'cycle', title: t('cycle'), render: (o) => o.billingCycle },
    { key: 'amount', title: t('ledgerAmount'), numeric: true, render: (o) => <Money value={o.amount} currency={o.currency} /> },
    { key: 'status', title: t('status'), render: (o) => <span className="badge">{o.status}</span> },
    {
      key: 'payment', title: t('paymentStatus'),
      render: (o) => <span className={PAYMENT_BADGES[o.paymentStatus] ?? 'badge'} data-payment={o.paymentStatus}>
        {(PAYMENT_STATES as readonly string[]).includes(o.paymentStatus) ? t(`pay_${o.paymentStatus}`) : o.paymentStatus}
      </span>,
    },
    { key: 'paid', title: t('paidAt'), render: (o) => <Time value={o.paidAt} /> },
    { key: 'refunded', title: t('refunded'), numeric: true, render: (o) => <Money value={o.refundedAmount || '0.00'} /> },
  ];
  return <DataTable list={list} columns={columns} rowKey={(o) => o.orderId} testId="purchase-history" />;
}
