/**
 * Pieces the billing screens share (Invoices, Promotions, Tax rules, Billing settings): the
 * refusal of a billing call with the field it names, cent arithmetic on decimal strings (never
 * through a float), the invoice status badge, and a customer picker that searches the server.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { registerStrings } from '../../i18n.ts';
import './billing.css';

registerStrings('billing', {
  en: {
    draft: 'Draft', issued: 'Issued', paid: 'Paid', overdue: 'Overdue', cancelled: 'Cancelled',
    customerSearch: 'Find a customer', customerSearchHint: 'name or e-mail', anyCustomer: 'Any customer', chooseCustomer: 'Choose a customer…',
    yes: 'Yes', no: 'No', working: 'Working…',
  },
  zh: {
    draft: '草稿', issued: '已开具', paid: '已支付', overdue: '已逾期', cancelled: '已作废',
    customerSearch: '查找客户', customerSearchHint: '名称或邮箱', anyCustomer: '全部客户', chooseCustomer: '请选择客户…',
    yes: '是', no: '否', working: '处理中…',
  },
});

/** The invoice statuses, in the order of their life. */
export const INVOICE_STATUSES = ['draft', 'issued', 'overdue', 'paid', 'cancelled'] as const;

/** A problem found in the browser before asking the server (same shape as the server's). */
export function localProblem(field: string, message: string): ApiProblem {
  return { code: 3, message, field };
}

const MONEY_TEXT = /^(-?)(\d{1,12})(?:\.(\d{1,2}))?$/;

/** `"12.5"` → 1250n cents; null when the text is not an amount with at most two decimals. */
export function toCents(text: string): bigint | null {
  const match = MONEY_TEXT.exec(text.trim());
  if (!match) return null;
  const cents = BigInt(match[2] ?? '0') * 100n + BigInt((match[3] ?? '').padEnd(2, '0'));
  return match[1] === '-' ? -cents : cents;
}

/** 1250n cents → `"12.50"`. */
export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** An invoice status as a coloured, translated badge. */
export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation('billing');
  const colour = status === 'paid' ? 'green' : status === 'issued' ? 'yellow' : status === 'overdue' ? 'red' : status === 'cancelled' ? '' : 'orange';
  return <span className={`badge ${colour}`} data-status={status}>{INVOICE_STATUSES.some((known) => known === status) ? t(status) : status}</span>;
}

/** Yes / No, translated. */
export function YesNo({ value }: { value: boolean }) {
  const { t } = useTranslation('billing');
  return <span className={value ? 'badge green' : 'badge'}>{value ? t('yes') : t('no')}</span>;
}

interface CustomerChoice { id: string; name: string; email: string }

/**
 * A customer chosen by searching the server (ListCustomers `search`): a search box and a list of
 * the matches. `value` is the chosen customer's id (`''`: none; shown as `emptyLabel`).
 */
export function CustomerPicker({ value, onChange, emptyLabel, label, name }: { value: string; onChange(id: string): void; emptyLabel: string; label: string; name: string }) {
  const { t } = useTranslation('billing');
  const [search, setSearch] = useState('');
  const [choices, setChoices] = useState<CustomerChoice[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const timer = window.setTimeout(() => {
      api.customers.listCustomers({ pagination: { page: 1, pageSize: 20 }, ...(search.trim() ? { search: search.trim() } : {}) }).then((answer) => {
        if (!live) return;
        setChoices(answer.customers.map((customer) => ({ id: customer.id, name: customer.name, email: customer.email })));
        setProblem(null);
      }, (error: unknown) => { if (live) setProblem(problemOf(error).message); });
    }, 200);
    return () => { live = false; window.clearTimeout(timer); };
  }, [search]);
  const chosenMissing = value !== '' && !choices.some((choice) => choice.id === value);
  return (
    <div className="customer-picker" style={{ display: 'flex', gap: '0.4rem', alignItems: 'center' }}>
      <input aria-label={`${label}: ${t('customerSearch')}`} placeholder={t('customerSearchHint')} value={search} onChange={(event) => setSearch(event.target.value)} />
      <select aria-label={label} name={name} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">{emptyLabel}</option>
        {chosenMissing && <option value={value}>{value}</option>}
        {choices.map((choice) => <option key={choice.id} value={choice.id}>{choice.name || choice.email} · {choice.email}</option>)}
      </select>
      {problem && <span className="field-error">{problem}</span>}
    </div>
  );
}

/** Customer names by id, fetched once per id (GetCustomer), for lists that only carry ids. */
export function useCustomerNames(ids: readonly string[]): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    const missing = key === '' ? [] : key.split(',').filter((id) => !(id in names));
    if (missing.length === 0) return;
    void Promise.all(missing.map((id) => api.customers.getCustomer({ id }).then((answer) => [id, answer.customer?.name ?? id] as const, () => [id, id] as const)))
      .then((found) => { if (live) setNames((before) => ({ ...before, ...Object.fromEntries(found) })); });
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return names;
}
