/**
 * A customer's statistics (GetCustomerStatistics): orders and revenue, credit, the top products,
 * payment punctuality, the rating with its sub-scores, the credit risk with its factors and the
 * RFM scores — and the manual rating with notes (UpdateCustomerRating; "computed" sends 0, which
 * clears it). A refused rating shows the server's words beside its field and changes nothing.
 */
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { CustomerInfo, GetCustomerStatisticsResponse } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { RFM_SEGMENTS, RiskBadge, SegmentLabel, Stars } from './bits.tsx';
import { NS } from './strings.ts';

const RFM_LEVELS = ['high', 'medium', 'low'] as const;
const RISK_FACTORS = ['rating', 'utilisation', 'overdue', 'limit'] as const;

/** A figure with its label; `testId` names the value for the tests. */
function Figure({ label, testId, children }: { label: string; testId: string; children: ReactNode }) {
  return <div className="card"><div className="label">{label}</div><div className="value cu-small" data-testid={testId}>{children}</div></div>;
}

/** A figure that may be empty ('' shows a dash). */
function orDash(value: string, render: (value: string) => ReactNode = (text) => text): ReactNode {
  return value === '' ? <span className="muted">—</span> : render(value);
}

/** The statistics tab of `customer`; `onChanged` gets the customer after a rating change. */
export function StatisticsTab({ customer, onChanged }: { customer: CustomerInfo; onChanged(customer: CustomerInfo): void }) {
  const { t } = useTranslation(NS);
  const [stats, setStats] = useState<GetCustomerStatisticsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    api.customers.getCustomerStatistics({ id: customer.id }).then(
      (answer) => { if (live) { setStats(answer); setError(null); } },
      (failure: unknown) => { if (live) setError(problemOf(failure).message); },
    );
    return () => { live = false; };
  }, [customer.id, version]);
  const rated = useCallback((next: CustomerInfo) => {
    onChanged(next);
    setVersion((v) => v + 1);
  }, [onChanged]);

  if (error) return <div className="error" role="alert">{error}</div>;
  if (!stats) return <p className="muted">{t('loading', { ns: 'common' })}</p>;
  const pay = stats.paymentStats;
  const rating = stats.rating;
  const risk = stats.creditRisk;
  const rfm = stats.rfm;
  const level = (value: string) => (RFM_LEVELS as readonly string[]).includes(value) ? t(`rfm_${value}`) : value;
  const percent = (value: string) => `${value} %`;

  return (
    <div data-testid="customer-statistics">
      <section className="cu-stat-section" data-testid="statistics-section">
        <h2>{t('statsOrders')}</h2>
        <div className="cards">
          <Figure label={t('totalOrders')} testId="stat-total-orders">{stats.totalOrders}</Figure>
          <Figure label={t('paidOrders')} testId="stat-paid-orders">{stats.paidOrders}</Figure>
          <Figure label={t('totalRevenue')} testId="stat-revenue"><Money value={stats.totalRevenue} /></Figure>
          <Figure label={t('avgOrder')} testId="stat-avg-order"><Money value={stats.avgOrderAmount} /></Figure>
          <Figure label={t('firstOrder')} testId="stat-first-order"><Time value={stats.firstOrderAt} /></Figure>
          <Figure label={t('lastOrder')} testId="stat-last-order"><Time value={stats.lastOrderAt} /></Figure>
          <Figure label={t('daysSinceFirst')} testId="stat-days-since-first">{stats.daysSinceFirstOrder}</Figure>
          <Figure label={t('orderFrequency')} testId="stat-frequency">{stats.orderFrequency}</Figure>
          <Figure label={t('totalProducts')} testId="stat-products">{stats.totalProducts}</Figure>
          <Figure label={t('lifetimeValue')} testId="stat-clv"><Money value={stats.customerLifetimeValue} /></Figure>
        </div>
        <h2>{t('statsCredit')}</h2>
        <div className="cards">
          <Figure label={t('balance')} testId="stat-balance"><Money value={stats.balance} /></Figure>
          <Figure label={t('creditLimit')} testId="stat-credit-limit"><Money value={stats.creditLimit} /></Figure>
          <Figure label={t('availableCredit')} testId="stat-available-credit"><Money value={stats.availableCredit} /></Figure>
          <Figure label={t('utilisation')} testId="stat-utilisation">{orDash(stats.creditUtilisation, percent)}</Figure>
        </div>
        <div className="cu-side-by-side">
          <div>
            <h2>{t('topProducts')}</h2>
            <div className="table-wrap" data-testid="stat-top-products">
              <table>
                <thead><tr><th>{t('product')}</th><th className="num">{t('quantity')}</th><th className="num">{t('totalRevenue')}</th></tr></thead>
                <tbody>
                  {stats.topProducts.map((product) => (
                    <tr key={`${product.productId}|${product.productName}`}>
                      <td>{product.productName}</td><td className="num">{product.quantity}</td><td className="num"><Money value={product.revenue} /></td>
                    </tr>
                  ))}
                  {stats.topProducts.length === 0 && <tr><td colSpan={3} className="muted">{t('noPurchases')}</td></tr>}
                </tbody>
              </table>
            </div>
          </div>
          <div>
            <h2>{t('punctuality')}</h2>
            <table className="cu-facts" data-testid="stat-payments">
              <tbody>
                <tr><th>{t('payments')}</th><td data-testid="stat-payments-count">{pay?.payments ?? 0}</td></tr>
                <tr><th>{t('onTime')}</th><td data-testid="stat-on-time">{pay?.onTimePayments ?? 0}</td></tr>
                <tr><th>{t('late')}</th><td data-testid="stat-late">{pay?.latePayments ?? 0}</td></tr>
                <tr><th>{t('onTimeRate')}</th><td data-testid="stat-on-time-rate">{orDash(pay?.onTimePaymentRate ?? '', percent)}</td></tr>
                <tr><th>{t('avgPaymentDays')}</th><td>{orDash(pay?.avgPaymentDays ?? '')}</td></tr>
                <tr><th>{t('maxOverdueDays')}</th><td>{pay?.maxOverdueDays ?? 0}</td></tr>
                <tr><th>{t('overdueInvoices')}</th><td data-testid="stat-overdue-invoices">{pay?.overdueInvoices ?? 0}</td></tr>
                <tr><th>{t('overdueAmount')}</th><td>{orDash(pay?.overdueAmount ?? '', (value) => <Money value={value} />)}</td></tr>
              </tbody>
            </table>
          </div>
        </div>
        <div className="cu-side-by-side">
          <div>
            <h2>{t('ratingDetail')}</h2>
            <table className="cu-facts" data-testid="stat-rating">
              <tbody>
                <tr><th>{t('rating')}</th><td><Stars rating={rating?.stars ?? 0} source={rating?.source ?? ''} /> <span className="muted" data-testid="stat-rating-source">{rating ? t(`ratingSource_${rating.source}`) : ''}</span></td></tr>
                <tr><th>{t('ratingNotes')}</th><td data-testid="stat-rating-notes">{rating?.notes || <span className="muted">—</span>}</td></tr>
                <tr><th>{t('computedStars')}</th><td>{rating && rating.computedStars > 0 ? <Stars rating={rating.computedStars} /> : <span className="muted">{t('notComputed')}</span>}</td></tr>
                <tr><th>{t('score')}</th><td data-testid="stat-score">{orDash(rating?.score ?? '')}</td></tr>
                <tr><th>{t('scoreAmount')}</th><td>{orDash(rating?.orderAmountScore ?? '')}</td></tr>
                <tr><th>{t('scoreOnTime')}</th><td>{orDash(rating?.onTimePaymentScore ?? '')}</td></tr>
                <tr><th>{t('scoreFrequency')}</th><td>{orDash(rating?.orderFrequencyScore ?? '')}</td></tr>
                <tr><th>{t('scoreAge')}</th><td>{orDash(rating?.relationshipAgeScore ?? '')}</td></tr>
                <tr><th>{t('computedAt')}</th><td><Time value={rating?.computedAt ?? ''} /></td></tr>
              </tbody>
            </table>
          </div>
          <RatingForm customer={customer} onRated={rated} />
        </div>
        <div className="cu-side-by-side">
          <div>
            <h2>{t('creditRisk')}</h2>
            <p>
              <span data-testid="stat-risk"><RiskBadge level={risk?.level ?? ''} /></span>{' '}
              {risk?.refusesNewOrders && <span className="badge red" data-testid="stat-refuses-orders">{t('refusesOrders')}</span>}
            </p>
            <div className="table-wrap" data-testid="stat-risk-factors">
              <table>
                <thead><tr><th>{t('factor')}</th><th>{t('risk')}</th><th>{t('message')}</th></tr></thead>
                <tbody>
                  {(risk?.factors ?? []).map((factor) => (
                    <tr key={factor.factor}>
                      <td>{(RISK_FACTORS as readonly string[]).includes(factor.factor) ? t(`factor_${factor.factor}`) : factor.factor}</td>
                      <td><RiskBadge level={factor.level} /></td>
                      <td style={{ whiteSpace: 'normal' }}>{factor.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <div>
            <h2>{t('rfmTitle')}</h2>
            <table className="cu-facts" data-testid="stat-rfm">
              <tbody>
                <tr><th>{t('segment')}</th><td data-testid="stat-segment"><SegmentLabel segment={rfm?.segment ?? ''} /></td></tr>
                <tr><th>{t('recency')}</th><td>{level(rfm?.recency ?? '')}</td></tr>
                <tr><th>{t('frequency')}</th><td>{level(rfm?.frequency ?? '')}</td></tr>
                <tr><th>{t('monetary')}</th><td>{level(rfm?.monetary ?? '')}</td></tr>
                <tr><th>{t('daysSinceLastPaid')}</th><td>{rfm?.daysSinceLastPaidOrder ?? <span className="muted">—</span>}</td></tr>
                <tr><th>{t('paidOrders')}</th><td>{rfm?.paidOrders ?? 0}</td></tr>
                <tr><th>{t('paidTotal')}</th><td><Money value={rfm?.paidTotal ?? '0.00'} /></td></tr>
                <tr><th>{t('advice')}</th><td style={{ whiteSpace: 'normal' }}>{rfm && (RFM_SEGMENTS as readonly string[]).includes(rfm.segment) ? t(`action_${rfm.segment}`) : rfm?.action}</td></tr>
              </tbody>
            </table>
          </div>
        </div>
      </section>
    </div>
  );
}

/** The manual rating of `customer` with its notes; `onRated` gets the customer after the change. */
export function RatingForm({ customer, onRated }: { customer: CustomerInfo; onRated(customer: CustomerInfo): void }) {
  const { t } = useTranslation(NS);
  const [rating, setRating] = useState(customer.ratingSource === 'manual' ? String(customer.rating) : '0');
  const [notes, setNotes] = useState(customer.ratingNotes);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const frozen = customer.deletedAt !== '';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    setNote(null);
    api.customers.updateCustomerRating({ id: customer.id, rating: Number(rating), notes }).then((answer) => {
      const next = answer.customer;
      if (!next) return;
      setRating(next.ratingSource === 'manual' ? String(next.rating) : '0');
      setNotes(next.ratingNotes);
      setNote(next.ratingSource === 'manual' ? t('ratingSaved', { count: next.rating }) : t('ratingCleared', { count: next.rating }));
      onRated(next);
    }, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };

  return (
    <form className="form cu-form" onSubmit={submit} data-testid="rating-form" noValidate>
      <h2>{t('manualRating')}</h2>
      <FormProblem problem={problem} fields={['rating', 'rating_notes', 'notes']} />
      <Field label={t('rating')} name="rating" problem={problem}>
        <select name="rating" value={rating} disabled={frozen} onChange={(event) => setRating(event.target.value)}>
          <option value="0">{t('ratingClear')}</option>
          {[5, 4, 3, 2, 1].map((stars) => <option key={stars} value={String(stars)}>{'★'.repeat(stars)} {stars === 1 ? t('starsOne') : t('stars', { count: stars })}</option>)}
        </select>
      </Field>
      {/* The server names the notes `rating_notes` in its messages. */}
      <Field label={t('ratingNotes')} name={problem?.field === 'notes' ? 'notes' : 'rating_notes'} problem={problem}>
        <textarea name="notes" rows={3} value={notes} disabled={frozen} onChange={(event) => setNotes(event.target.value)} />
      </Field>
      <div className="cu-form-actions">
        <button type="submit" className="primary" disabled={busy || frozen}>{t('saveRating')}</button>
        {note && <span className="muted" role="status" data-testid="rating-note">{note}</span>}
      </div>
    </form>
  );
}
