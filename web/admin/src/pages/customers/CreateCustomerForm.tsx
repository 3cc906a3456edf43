/**
 * The new-customer form: CreateCustomer with the CRM fields. Money is checked as the server checks
 * it before sending; everything else is the server's to judge, and its message is shown beside the
 * field it names (or above the form when it names none). Nothing is created when it refuses.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { CustomerInfo } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { CUSTOMER_TYPES, moneyFieldProblem, wholeNumber } from './bits.tsx';
import { NS } from './strings.ts';

const EMPTY = {
  name: '', customerCode: '', customerType: '', industry: '', contactPerson: '', email: '', phone: '', company: '', address: '',
  creditLimit: '', paymentTermsDays: '', taxNumber: '', rating: '', ratingNotes: '', country: '', region: '', notes: '',
};

/** The fields of the form, by the server's names (what its messages start with). */
const FIELDS = [
  'name', 'customer_code', 'customer_type', 'industry', 'contact_person', 'email', 'phone', 'company', 'address', 'credit_limit',
  'payment_terms_days', 'tax_number', 'rating', 'rating_notes', 'country', 'region', 'notes',
] as const;

/** The form; `onCreated` gets the customer the server created. */
export function CreateCustomerForm({ onCreated }: { onCreated(customer: CustomerInfo): void }) {
  const { t } = useTranslation(NS);
  const [form, setForm] = useState(EMPTY);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof EMPTY) => (event: { target: { value: string } }) => setForm((old) => ({ ...old, [key]: event.target.value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const money = moneyFieldProblem('credit_limit', form.creditLimit, { optional: true });
    if (money) {
      setProblem(money);
      return;
    }
    const terms = wholeNumber(form.paymentTermsDays);
    const rating = wholeNumber(form.rating);
    setBusy(true);
    setProblem(null);
    api.customers.createCustomer({
      name: form.name, customerCode: form.customerCode, customerType: form.customerType, industry: form.industry, contactPerson: form.contactPerson,
      email: form.email, phone: form.phone, company: form.company, address: form.address, creditLimit: form.creditLimit.trim(),
      taxNumber: form.taxNumber, ratingNotes: form.ratingNotes, notes: form.notes,
      ...(terms !== undefined ? { paymentTermsDays: terms } : {}),
      ...(rating !== undefined ? { rating } : {}),
      ...(form.country.trim() !== '' ? { country: form.country.trim() } : {}),
      ...(form.region.trim() !== '' ? { region: form.region.trim() } : {}),
    }).then((answer) => {
      setForm(EMPTY);
      if (answer.customer) onCreated(answer.customer);
    }, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };

  return (
    <form className="form cu-form cu-wide" onSubmit={submit} data-testid="create-customer" noValidate>
      <h2>{t('newCustomer')}</h2>
      <FormProblem problem={problem} fields={FIELDS} />
      <div className="cu-form-grid">
        <Field label={`${t('name')} *`} name="name" problem={problem}><input name="name" value={form.name} onChange={set('name')} /></Field>
        <Field label={t('code')} name="customer_code" problem={problem}><input name="customer_code" placeholder={t('codeHint')} value={form.customerCode} onChange={set('customerCode')} /></Field>
        <Field label={t('type')} name="customer_type" problem={problem}>
          <select name="customer_type" value={form.customerType} onChange={set('customerType')}>
            <option value="">{t('type_')}</option>
            {CUSTOMER_TYPES.map((type) => <option key={type} value={type}>{t(`type_${type}`)}</option>)}
          </select>
        </Field>
        <Field label={t('industry')} name="industry" problem={problem}><input name="industry" value={form.industry} onChange={set('industry')} /></Field>
        <Field label={t('contactPerson')} name="contact_person" problem={problem}><input name="contact_person" value={form.contactPerson} onChange={set('contactPerson')} /></Field>
        <Field label={t('email')} name="email" problem={problem}><input name="email" type="email" value={form.email} onChange={set('email')} /></Field>
        <Field label={t('phone')} name="phone" problem={problem}><input name="phone" value={form.phone} onChange={set('phone')} /></Field>
        <Field label={t('company')} name="company" problem={problem}><input name="company" value={form.company} onChange={set('company')} /></Field>
        <Field label={t('creditLimit')} name="credit_limit" problem={problem}><input name="credit_limit" inputMode="decimal" placeholder="0.00" value={form.creditLimit} onChange={set('creditLimit')} /></Field>
        <Field label={t('paymentTerms')} name="payment_terms_days" problem={problem}>
          <input name="payment_terms_days" type="number" min={0} step={1} placeholder={t('paymentTermsDefault')} value={form.paymentTermsDays} onChange={set('paymentTermsDays')} />
        </Field>
        <Field label={t('taxNumber')} name="tax_number" problem={problem}><input name="tax_number" value={form.taxNumber} onChange={set('taxNumber')} /></Field>
        <Field label={t('rating')} name="rating" problem={problem}>
          <select name="rating" value={form.rating} onChange={set('rating')}>
            <option value="">{t('ratingAuto')}</option>
            {[5, 4, 3, 2, 1].map((stars) => <option key={stars} value={String(stars)}>{'★'.repeat(stars)}</option>)}
          </select>
        </Field>
        <Field label={t('ratingNotes')} name="rating_notes" problem={problem}><input name="rating_notes" value={form.ratingNotes} onChange={set('ratingNotes')} /></Field>
        <Field label={t('country')} name="country" problem={problem}><input name="country" maxLength={2} placeholder="CN" value={form.country} onChange={set('country')} /></Field>
        <Field label={t('region')} name="region" problem={problem}><input name="region" value={form.region} onChange={set('region')} /></Field>
        <Field label={t('address')} name="address" problem={problem}><input name="address" value={form.address} onChange={set('address')} /></Field>
        <div className="cu-span-all">
          <Field label={t('notes')} name="notes" problem={problem}><textarea name="notes" rows={2} value={form.notes} onChange={set('notes')} /></Field>
        </div>
      </div>
      <div className="cu-form-actions"><button type="submit" className="primary" disabled={busy}>{t('create')}</button></div>
    </form>
  );
}
