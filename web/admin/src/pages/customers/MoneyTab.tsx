/**
 * A customer's money: a balance adjustment (BalanceService AdjustBalance, signed amount and a
 * description, one ledger entry through the customer's actor), the credit limit
 * (UpdateCreditLimit) and the ledger (ListBalanceTransactions, paged and filtered by the server).
 * Amounts are checked as the server checks them; each filled-in adjustment carries one
 * idempotency key, so a second click of the same form is the same adjustment, not a second one.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { BalanceTransactionInfo } from '../../../../../src/gen/rustbill/balance_pb.ts';
import type { CustomerInfo } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Money, Time } from '../../../../shared/format.tsx';
import { DataTable, useServerList, type Column, type PageQuery } from '../../../../shared/list.tsx';
import { moneyFieldProblem } from './bits.tsx';
import { NS } from './strings.ts';

const LEDGER_TYPES = ['recharge', 'payment', 'refund', 'adjustment'] as const;

/** A fresh idempotency key (random, 32 hex digits). */
function freshKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `console-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** The money tab of `customer`; `onChanged` gets the customer after a change (or is asked to reload it). */
export function MoneyTab({ customer, onChanged }: { customer: CustomerInfo; onChanged(customer?: CustomerInfo): void }) {
  const { t } = useTranslation(NS);
  const frozen = customer.deletedAt !== '';
  const ledger = useServerList<BalanceTransactionInfo, { type: string }>(async (query: PageQuery<{ type: string }>) => {
    const answer = await api.balance.listBalanceTransactions({
      customerId: customer.id, pagination: { page: query.page, pageSize: query.pageSize }, ...(query.filters.type ? { transactionType: query.filters.type } : {}),
    });
    return { rows: answer.transactions, total: Number(answer.meta?.total ?? 0) };
  }, { type: '' });

  // The adjustment.
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [key, setKey] = useState(freshKey);
  const [adjustProblem, setAdjustProblem] = useState<ApiProblem | null>(null);
  const [adjusted, setAdjusted] = useState<string | null>(null);
  const [adjusting, setAdjusting] = useState(false);
  const edit = (setter: (value: string) => void) => (event: { target: { value: string } }) => {
    setter(event.target.value);
    setKey(freshKey());
  };
  const adjust = (event: FormEvent) => {
    event.preventDefault();
    setAdjusted(null);
    const local = moneyFieldProblem('amount', amount, { signed: true });
    if (local) {
      setAdjustProblem(local);
      return;
    }
    setAdjusting(true);
    setAdjustProblem(null);
    api.balance.adjustBalance({ customerId: customer.id, amount: amount.trim(), description }, { headers: { 'idempotency-key': key } }).then((answer) => {
      const entry = answer.transaction;
      setAdjusted(t('adjusted', { amount: entry?.amount ?? amount, balance: entry?.balanceAfter ?? '' }));
      setAmount('');
      setDescription('');
      setKey(freshKey());
      ledger.reload();
      onChanged();
    }, (failure: unknown) => setAdjustProblem(problemOf(failure))).finally(() => setAdjusting(false));
  };

  // The credit limit.
  const [limit, setLimit] = useState(customer.creditLimit);
  const [limitProblem, setLimitProblem] = useState<ApiProblem | null>(null);
  const [limitNote, setLimitNote] = useState<string | null>(null);
  const [limiting, setLimiting] = useState(false);
  const setCredit = (event: FormEvent) => {
    event.preventDefault();
    setLimitNote(null);
    const local = moneyFieldProblem('credit_limit', limit);
    if (local) {
      setLimitProblem(local);
      return;
    }
    setLimiting(true);
    setLimitProblem(null);
    api.customers.updateCreditLimit({ id: customer.id, creditLimit: limit.trim() }).then((answer) => {
      setLimitNote(t('creditSet', { limit: answer.customer?.creditLimit ?? limit }));
      if (answer.customer) setLimit(answer.customer.creditLimit);
      onChanged(answer.customer);
    }, (failure: unknown) => setLimitProblem(problemOf(failure))).finally(() => setLimiting(false));
  };

  const columns: Column<BalanceTransactionInfo>[] = [
    { key: 'time', title: t('time'), render: (row) => <Time value={row.createdAt} /> },
    { key: 'type', title: t('txType'), render: (row) => (LEDGER_TYPES as readonly string[]).includes(row.transactionType) ? t(`tx_${row.transactionType}`) : row.transactionType },
    { key: 'amount', title: t('ledgerAmount'), numeric: true, render: (row) => <Money value={row.amount} /> },
    { key: 'after', title: t('balanceAfter'), numeric: true, render: (row) => <Money value={row.balanceAfter} /> },
    { key: 'description', title: t('description'), render: (row) => <span style={{ whiteSpace: 'normal' }}>{row.description}</span> },
    { key: 'reference', title: t('reference'), render: (row) => row.referenceId ? <span className="cu-mono" title={row.referenceId}>{row.referenceId.slice(0, 8)}</span> : <span className="muted">—</span> },
  ];

  return (
    <div>
      <div className="cu-side-by-side">
        <form className="form cu-form" onSubmit={adjust} data-testid="adjust-form" noValidate>
          <h2>{t('adjustTitle')}</h2>
          <FormProblem problem={adjustProblem} fields={['amount', 'description']} />
          <Field label={t('amount')} name="amount" problem={adjustProblem}><input name="amount" inputMode="decimal" placeholder="50.00" value={amount} disabled={frozen} onChange={edit(setAmount)} /></Field>
          <Field label={t('description')} name="description" problem={adjustProblem}><input name="description" value={description} disabled={frozen} onChange={edit(setDescription)} /></Field>
          <div className="cu-form-actions">
            <button type="submit" className="primary" disabled={adjusting || frozen}>{t('adjust')}</button>
            {adjusted && <span className="muted" role="status" data-testid="adjusted">{adjusted}</span>}
          </div>
        </form>
        <form className="form cu-form" onSubmit={setCredit} data-testid="credit-form" noValidate>
          <h2>{t('creditTitle')}</h2>
          <FormProblem problem={limitProblem} fields={['credit_limit']} />
          <Field label={t('creditLimit')} name="credit_limit" problem={limitProblem}><input name="credit_limit" inputMode="decimal" value={limit} disabled={frozen} onChange={(event) => setLimit(event.target.value)} /></Field>
          <div className="cu-form-actions">
            <button type="submit" className="primary" disabled={limiting || frozen}>{t('setCredit')}</button>
            {limitNote && <span className="muted" role="status" data-testid="credit-set">{limitNote}</span>}
          </div>
        </form>
      </div>
      <div className="toolbar" style={{ justifyContent: 'space-between', alignItems: 'center' }}>
        <h2 style={{ margin: 0 }}>{t('ledger')}</h2>
        <label className="field" style={{ marginBottom: 0 }}><span>{t('txType')}</span>
          <select name="transaction_type" value={ledger.query.filters.type} onChange={(event) => ledger.setFilters({ type: event.target.value })}>
            <option value="">{t('all', { ns: 'common' })}</option>
            {LEDGER_TYPES.map((type) => <option key={type} value={type}>{t(`tx_${type}`)}</option>)}
          </select>
        </label>
      </div>
      <DataTable list={ledger} columns={columns} rowKey={(row) => row.id} testId="ledger" />
    </div>
  );
}
