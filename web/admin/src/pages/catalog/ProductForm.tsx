/**
 * A product's form (CreateProduct / UpdateProduct): name, description, provider interface (fixed
 * once created), group, the monthly price, the quarterly and yearly prices (`billing_cycles`, empty
 * = not offered), the cost price, whether it is active, and the spec editor of the provider's
 * template. Money stays the decimal strings typed; the server checks them and its refusal shows
 * next to the field it names, nothing saved. An existing product can be deleted (DeleteProduct, after
 * a second click to confirm); its orders and instances stay (the server unlinks them, keeping the
 * product's name), and a refusal — e.g. the product already gone — shows the server's words.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import type { ProductInfo } from '../../../../../src/gen/rustbill/product_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { groupLabel, type CatalogRefs } from './data.ts';
import { ConfirmButton } from './ConfirmButton.tsx';
import { SpecEditor, withDefaults } from './SpecEditor.tsx';
import './strings.ts';

/** The fields this form shows a message beside (the rest show above it). */
const FIELDS = ['name', 'description', 'interface_id', 'group_id', 'price_per_month', 'billing_cycles', 'billing_cycles.quarterly', 'billing_cycles.yearly', 'billing_cycles.monthly', 'cost_price'];

interface Values {
  name: string;
  description: string;
  interfaceId: string;
  groupId: string;
  pricePerMonth: string;
  quarterly: string;
  yearly: string;
  costPrice: string;
  isActive: boolean;
  specs: Record<string, string>;
}

function valuesOf(product: ProductInfo | null): Values {
  return {
    name: product?.name ?? '',
    description: product?.description ?? '',
    interfaceId: product?.interfaceId ?? '',
    groupId: product?.groupId ?? '',
    pricePerMonth: product?.pricePerMonth ?? '',
    quarterly: product?.billingCycles.quarterly ?? '',
    yearly: product?.billingCycles.yearly ?? '',
    costPrice: product?.costPrice ?? '',
    isActive: product?.isActive ?? true,
    specs: { ...(product?.specs ?? {}) },
  };
}

/** The non-monthly cycles typed (trimmed; empty ones left out). */
function extraCycles(values: Values): Record<string, string> {
  const cycles: Record<string, string> = {};
  if (values.quarterly.trim() !== '') cycles.quarterly = values.quarterly.trim();
  if (values.yearly.trim() !== '') cycles.yearly = values.yearly.trim();
  return cycles;
}

/** `specs` without rows whose key is empty. */
function cleanSpecs(specs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(specs).filter(([key]) => key.trim() !== '').map(([key, value]) => [key.trim(), value]));
}

/** The form; `productId` null creates a product. */
export function ProductForm({ productId, refs }: { productId: string | null; refs: CatalogRefs }) {
  const { t } = useTranslation('catalog');
  const navigate = useNavigate();
  const [original, setOriginal] = useState<ProductInfo | null>(null);
  const [values, setValues] = useState<Values>(valuesOf(null));
  const [loading, setLoading] = useState(productId !== null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (productId === null) return;
    let live = true;
    setLoading(true);
    api.products.getProduct({ id: productId }).then(
      (answer) => { if (live && answer.product) { setOriginal(answer.product); setValues(valuesOf(answer.product)); } },
      (failure: unknown) => { if (live) setProblem(problemOf(failure)); },
    ).finally(() => { if (live) setLoading(false); });
    return () => { live = false; };
  }, [productId]);

  const provider = refs.providers.find((candidate) => candidate.interfaceId === values.interfaceId);
  const template = provider?.specTemplate;
  const chooseProvider = (interfaceId: string) => {
    const next = refs.providers.find((candidate) => candidate.interfaceId === interfaceId);
    setValues((v) => ({ ...v, interfaceId, specs: withDefaults(next?.specTemplate, v.specs) }));
  };
  // A new product starts from the only provider when there is just one.
  useEffect(() => {
    if (productId === null && values.interfaceId === '' && refs.providers.length === 1 && refs.providers[0]) chooseProvider(refs.providers[0].interfaceId);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refs.providers, productId]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const specs = cleanSpecs(values.specs);
    const cycles = extraCycles(values);
    const work = original === null
      ? api.products.createProduct({
          name: values.name, description: values.description, interfaceId: values.interfaceId, pricePerMonth: values.pricePerMonth.trim(),
          costPrice: values.costPrice.trim(), billingCycles: cycles, specs, ...(values.groupId !== '' ? { groupId: values.groupId } : {}),
        })
      : api.products.updateProduct({
          id: original.id, name: values.name, description: values.description, pricePerMonth: values.pricePerMonth.trim(),
          costPrice: values.costPrice.trim(), isActive: values.isActive, groupId: values.groupId, specs,
          // An empty map means "not sent": when every extra cycle was cleared, the monthly one alone replaces them.
          billingCycles: Object.keys(cycles).length > 0 || Object.keys(original.billingCycles).every((cycle) => cycle === 'monthly') ? cycles : { monthly: values.pricePerMonth.trim() },
        });
    work.then(
      () => { refs.reload(); void navigate('/catalog/products'); },
      (failure: unknown) => setProblem(problemOf(failure)),
    ).finally(() => setBusy(false));
  };

  const remove = () => {
    if (original === null) return;
    setBusy(true);
    setProblem(null);
    api.products.deleteProduct({ id: original.id }).then(
      () => { refs.reload(); void navigate('/catalog/products', { state: { notice: t('deleted', { name: original.name }) } }); },
      (failure: unknown) => { setProblem(problemOf(failure)); setBusy(false); },
    );
  };

  if (loading) return <p className="muted">{t('loadingForm')}</p>;
  if (productId !== null && original === null) return <><FormProblem problem={problem} fields={[]} /><Link to="/catalog/products">{t('back')}</Link></>;
  const set = <K extends keyof Values>(key: K, value: Values[K]) => setValues((v) => ({ ...v, [key]: value }));
  const cycleProblem = problem?.field === 'billing_cycles' ? problem : null;
  return (
    <form className="form product-form" onSubmit={submit} data-testid="product-form" style={{ maxWidth: 760 }}>
      <h2 style={{ marginTop: 0 }}>{original ? t('editProduct', { name: original.name }) : t('newProduct')}</h2>
      <FormProblem problem={problem} fields={[...FIELDS, ...Object.keys(values.specs).map((key) => `specs.${key}`)]} />
      <Field label={t('name')} name="name" problem={problem}>
        <input value={values.name} onChange={(e) => set('name', e.target.value)} />
      </Field>
      <Field label={t('description')} name="description" problem={problem}>
        <textarea rows={2} value={values.description} onChange={(e) => set('description', e.target.value)} />
      </Field>
      <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0 1rem' }}>
        <Field label={t('provider')} name="interface_id" problem={problem}>
          <select value={values.interfaceId} disabled={original !== null} onChange={(e) => chooseProvider(e.target.value)}>
            <option value="">{t('chooseProvider')}</option>
            {refs.providers.map((entry) => <option key={entry.interfaceId} value={entry.interfaceId}>{entry.providerName}</option>)}
            {original !== null && !provider && values.interfaceId !== '' && <option value={values.interfaceId}>{values.interfaceId}</option>}
          </select>
          {original !== null && <span className="muted">{t('providerFixed')}</span>}
        </Field>
        <Field label={t('group')} name="group_id" problem={problem}>
          <select value={values.groupId} onChange={(e) => set('groupId', e.target.value)}>
            <option value="">{t('noGroup')}</option>
            {refs.groups.map((group) => <option key={group.id} value={group.id}>{groupLabel(group, refs.categories)}</option>)}
          </select>
        </Field>
      </div>
      <fieldset style={{ border: '1px solid #dde3ee', borderRadius: 8, padding: '0.8rem 1rem', marginBottom: '0.8rem' }}>
        <legend>{t('prices')}</legend>
        <p className="muted" style={{ marginTop: 0 }}>{t('cyclesHint')}</p>
        {cycleProblem && <div className="field-error" role="alert" data-field="billing_cycles">{cycleProblem.message}</div>}
        <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0 1rem' }}>
          <Field label={t('pricePerMonth')} name={problem?.field === 'billing_cycles.monthly' ? 'billing_cycles.monthly' : 'price_per_month'} problem={problem}>
            <input inputMode="decimal" placeholder="29.00" value={values.pricePerMonth} onChange={(e) => set('pricePerMonth', e.target.value)} />
          </Field>
          <Field label={t('costPrice')} name="cost_price" problem={problem}>
            <input inputMode="decimal" placeholder="18.00" value={values.costPrice} onChange={(e) => set('costPrice', e.target.value)} />
          </Field>
          <Field label={t('quarterly')} name="billing_cycles.quarterly" problem={problem}>
            <input inputMode="decimal" placeholder="85.00" value={values.quarterly} onChange={(e) => set('quarterly', e.target.value)} />
          </Field>
          <Field label={t('yearly')} name="billing_cycles.yearly" problem={problem}>
            <input inputMode="decimal" placeholder="290.00" value={values.yearly} onChange={(e) => set('yearly', e.target.value)} />
          </Field>
        </div>
      </fieldset>
      {original !== null && (
        <label className="field" style={{ flexDirection: 'row', alignItems: 'center' }}>
          <input type="checkbox" checked={values.isActive} onChange={(e) => set('isActive', e.target.checked)} /> <span>{t('isActive')}</span>
        </label>
      )}
      <SpecEditor template={template} specs={values.specs} onChange={(specs) => set('specs', specs)} problem={problem} />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy}>{original ? t('save', { ns: 'common' }) : t('createProduct')}</button>
        <Link to="/catalog/products">{t('back')}</Link>
        {original !== null && (
          <span style={{ marginLeft: 'auto' }} data-testid="product-delete">
            <ConfirmButton disabled={busy} onConfirm={remove}>{t('deleteProduct')}</ConfirmButton>
          </span>
        )}
      </div>
      {original !== null && <p className="muted" style={{ fontSize: '0.85rem' }}>{t('deleteHint')}</p>}
    </form>
  );
}
