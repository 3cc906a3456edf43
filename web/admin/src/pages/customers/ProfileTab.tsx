/**
 * A customer's profile, edited with UpdateCustomer: only the fields the admin changed are sent (an
 * unchanged field stays unset, so a concurrent change of another field is not overwritten). The
 * server's refusal is shown beside the field it names; nothing changes then.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CustomerInfo, UpdateCustomerRequestSchema } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { CUSTOMER_TYPES, wholeNumber } from './bits.tsx';
import { NS } from './strings.ts';

const TEXT_FIELDS = [
  ['name', 'name'], ['customerCode', 'customer_code'], ['customerType', 'customer_type'], ['industry', 'industry'], ['contactPerson', 'contact_person'],
  ['email', 'email'], ['phone', 'phone'], ['company', 'company'], ['address', 'address'], ['taxNumber', 'tax_number'], ['ratingNotes', 'rating_notes'],
  ['country', 'country'], ['region', 'region'], ['notes', 'notes'],
] as const;
type TextKey = (typeof TEXT_FIELDS)[number][0];

type ProfileForm = Record<TextKey, string> & { paymentTermsDays: string; rating: string; isActive: boolean; canCreateApiKeys: boolean };

const FIELD_NAMES = [...TEXT_FIELDS.map(([, field]) => field), 'payment_terms_days', 'rating', 'is_active', 'can_create_api_keys'];

function formOf(c: CustomerInfo): ProfileForm {
  return {
    name: c.name, customerCode: c.customerCode, customerType: c.customerType, industry: c.industry, contactPerson: c.contactPerson, email: c.email,
    phone: c.phone, company: c.company, address: c.address, taxNumber: c.taxNumber, ratingNotes: c.ratingNotes, country: c.country ?? '',
    region: c.region ?? '', notes: c.notes, paymentTermsDays: c.paymentTermsDays === undefined ? '' : String(c.paymentTermsDays),
    rating: c.ratingSource === 'manual' ? String(c.rating) : '', isActive: c.isActive, canCreateApiKeys: c.canCreateApiKeys,
  };
}

/** The UpdateCustomer request of what differs between `before` and `after` (id included), and how many fields that is. */
export function changesOf(id: string, before: ProfileForm, after: ProfileForm): { request: MessageInitShape<typeof UpdateCustomerRequestSchema>; count: number } {
  const request: MessageInitShape<typeof UpdateCustomerRequestSchema> = { id };
  let count = 0;
  for (const [key] of TEXT_FIELDS) {
    if (after[key] !== before[key]) {
      request[key] = after[key];
      count += 1;
    }
  }
  const terms = wholeNumber(after.paymentTermsDays);
  if (after.paymentTermsDays !== before.paymentTermsDays && terms !== undefined) {
    request.paymentTermsDays = terms;
    count += 1;
  }
  if (after.rating !== before.rating) {
    request.rating = after.rating === '' ? 0 : Number(after.rating);
    count += 1;
  }
  if (after.isActive !== before.isActive) {
    request.isActive = after.isActive;
    count += 1;
  }
  if (after.canCreateApiKeys !== before.canCreateApiKeys) {
    request.canCreateApiKeys = after.canCreateApiKeys;
    count += 1;
  }
  return { request, count };
}

/** The profile form of `customer`; `onSaved` gets the customer as the server has it after the change. */
export function ProfileTab({ customer, onSaved }: { customer: CustomerInfo; onSaved(customer: CustomerInfo): void }) {
  const { t } = useTranslation(NS);
  const [before, setBefore] = useState(() => formOf(customer));
  const [form, setForm] = useState(before);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const frozen = customer.deletedAt !== '';
  const text = (key: TextKey) => ({ name: key, value: form[key], disabled: frozen, onChange: (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value }) });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const { request, count } = changesOf(customer.id, before, form);
    setProblem(null);
    if (count === 0) {
      setNote(t('nothingChanged'));
      return;
    }
    setBusy(true);
    setNote(null);
    api.customers.updateCustomer(request).then((answer) => {
      if (!answer.customer) return;
      const next = formOf(answer.customer);
      setBefore(next);
      setForm(next);
      setNote(t('saved', { count }));
      onSaved(answer.customer);
    }, (failure: unknown) => setProblem(problemOf(failure))).finally(() => setBusy(false));
  };

  return (
    <form className="form cu-form cu-wide" onSubmit={submit} data-testid="profile-form" noValidate>
      <FormProblem problem={problem} fields={FIELD_NAMES} />
      <div className="cu-form-grid">
        <Field label={t('name')} name="name" problem={problem}><input {...text('name')} /></Field>
        <Field label={t('code')} name="customer_code" problem={problem}><input {...text('customerCode')} /></Field>
        <Field label={t('type')} name="customer_type" problem={problem}>
          <select {...text('customerType')}>
            <option value="">{t('type_')}</option>
            {CUSTOMER_TYPES.map((type) => <option key={type} value={type}>{t(`type_${type}`)}</option>)}
          </select>
        </Field>
        <Field label={t('industry')} name="industry" problem={problem}><input {...text('industry')} /></Field>
        <Field label={t('contactPerson')} name="contact_person" problem={problem}><input {...text('contactPerson')} /></Field>
        <Field label={t('email')} name="email" problem={problem}><input type="email" {...text('email')} /></Field>
        <Field label={t('phone')} name="phone" problem={problem}><input {...text('phone')} /></Field>
        <Field label={t('company')} name="company" problem={problem}><input {...text('company')} /></Field>
        <Field label={t('paymentTerms')} name="payment_terms_days" problem={problem}>
          <input name="payment_terms_days" type="number" min={0} step={1} disabled={frozen} title={t('paymentTermsKeep')} placeholder={t('paymentTermsDefault')} value={form.paymentTermsDays}
            onChange={(event) => setForm({ ...form, paymentTermsDays: event.target.value })} />
        </Field>
        <Field label={t('taxNumber')} name="tax_number" problem={problem}><input {...text('taxNumber')} /></Field>
        <Field label={t('rating')} name="rating" problem={problem}>
          <select name="rating" value={form.rating} disabled={frozen} onChange={(event) => setForm({ ...form, rating: event.target.value })}>
            <option value="">{t('ratingAuto')}</option>
            {[5, 4, 3, 2, 1].map((stars) => <option key={stars} value={String(stars)}>{'★'.repeat(stars)}</option>)}
          </select>
        </Field>
        <Field label={t('ratingNotes')} name="rating_notes" problem={problem}><input {...text('ratingNotes')} /></Field>
        <Field label={t('country')} name="country" problem={problem}><input maxLength={2} {...text('country')} /></Field>
        <Field label={t('region')} name="region" problem={problem}><input {...text('region')} /></Field>
        <Field label={t('address')} name="address" problem={problem}><input {...text('address')} /></Field>
        <div className="field">
          <label className="cu-check"><input type="checkbox" name="is_active" checked={form.isActive} disabled={frozen} onChange={(event) => setForm({ ...form, isActive: event.target.checked })} />{t('isActive')}</label>
          <label className="cu-check"><input type="checkbox" name="can_create_api_keys" checked={form.canCreateApiKeys} disabled={frozen} onChange={(event) => setForm({ ...form, canCreateApiKeys: event.target.checked })} />{t('canCreateApiKeys')}</label>
        </div>
        <div className="cu-span-all">
          <Field label={t('notes')} name="notes" problem={problem}><textarea rows={2} {...text('notes')} /></Field>
        </div>
      </div>
      <div className="cu-form-actions">
        <button type="submit" className="primary" disabled={busy || frozen}>{t('saveProfile')}</button>
        {note && <span className="muted" role="status" data-testid="profile-note">{note}</span>}
      </div>
    </form>
  );
}
