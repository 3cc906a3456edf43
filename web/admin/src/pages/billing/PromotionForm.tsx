/**
 * A promotion code's terms (CreatePromotionCode / UpdatePromotionCode): code (fixed once made),
 * kind and value, recurrence, the products and billing cycles it is limited to, the validity
 * window (in the admin's time zone, sent as RFC3339), the use limits, active, description. The
 * server checks every term and its message is shown beside the field it names.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { PromotionCodeInfo } from '../../../../../src/gen/rustbill/billing_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { registerStrings } from '../../i18n.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { localProblem } from './common.tsx';
import './billing.css';

registerStrings('promotions', {
  en: {
    title: 'Promotion codes', code: 'Code', kind: 'Kind', value: 'Value', recurrence: 'Applies to', products: 'Products', cycles: 'Billing cycles',
    validFrom: 'Valid from', validUntil: 'Valid until (exclusive)', maxUses: 'Most uses in all (0: no limit)', maxUsesPerCustomer: 'Most uses per customer (0: no limit)',
    isActive: 'Active', description: 'Description', uses: 'Uses', limits: 'Limits', validity: 'Validity',
    percent: 'Percent off', fixed: 'Fixed amount off', first_period: 'First period only', every_period: 'Every period',
    monthly: 'Monthly', quarterly: 'Quarterly', yearly: 'Yearly', allProducts: 'All products (none chosen)', allCycles: 'all cycles', everyProduct: 'all products',
    productsCount: '{{count}} products', noLimit: 'no limit', now: 'now', noEnd: 'no end', perCustomer: '{{count}} per customer', inAll: '{{count}} in all',
    newCode: 'New promotion code', editCode: 'Edit {{code}}', create: 'Create', save: 'Save', edit: 'Edit', remove: 'Delete',
    activeOnly: 'Active only', prefix: 'Code starts with', created: 'Promotion code {{code}} created.', saved: 'Promotion code {{code}} saved.',
    deleted: 'Promotion code {{code}} deleted.', deactivated: 'Promotion code {{code}} had been used, so it was deactivated instead of deleted.',
    confirmDelete: 'Delete promotion code {{code}}? (A used code is deactivated instead.)', wholeNumber: 'must be a whole number (0 means no limit)',
    codeFixed: 'A code cannot be renamed.', yes: 'Yes', no: 'No',
  },
  zh: {
    title: '优惠码', code: '优惠码', kind: '类型', value: '数值', recurrence: '适用周期', products: '适用产品', cycles: '计费周期',
    validFrom: '生效时间', validUntil: '失效时间（不含）', maxUses: '总使用次数上限（0：不限）', maxUsesPerCustomer: '每客户使用次数上限（0：不限）',
    isActive: '启用', description: '说明', uses: '已使用', limits: '限制', validity: '有效期',
    percent: '按百分比折扣', fixed: '固定金额减免', first_period: '仅首期', every_period: '每一期',
    monthly: '月付', quarterly: '季付', yearly: '年付', allProducts: '全部产品（未选择）', allCycles: '全部周期', everyProduct: '全部产品',
    productsCount: '{{count}} 个产品', noLimit: '不限', now: '即时', noEnd: '长期', perCustomer: '每客户 {{count}} 次', inAll: '共 {{count}} 次',
    newCode: '新建优惠码', editCode: '编辑 {{code}}', create: '创建', save: '保存', edit: '编辑', remove: '删除',
    activeOnly: '仅显示启用的', prefix: '优惠码前缀', created: '优惠码 {{code}} 已创建。', saved: '优惠码 {{code}} 已保存。',
    deleted: '优惠码 {{code}} 已删除。', deactivated: '优惠码 {{code}} 已被使用过，因此改为停用而非删除。',
    confirmDelete: '确定删除优惠码 {{code}}？（已使用的优惠码将改为停用。）', wholeNumber: '必须是整数（0 表示不限）',
    codeFixed: '优惠码创建后不能改名。', yes: '是', no: '否',
  },
});

/** The billing cycles a code may be limited to (src/domain/catalog/prices.ts). */
export const CYCLES = ['monthly', 'quarterly', 'yearly'] as const;

const FIELDS = ['code', 'kind', 'value', 'recurrence', 'product_ids', 'billing_cycles', 'valid_from', 'valid_until', 'max_uses', 'max_uses_per_customer', 'description'] as const;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** An RFC3339 instant as a `datetime-local` value in the browser's zone (`''` stays `''`). */
export function localInputOf(instant: string): string {
  if (instant === '') return '';
  const at = new Date(instant);
  if (Number.isNaN(at.getTime())) return '';
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** A `datetime-local` value (the browser's zone) as an RFC3339 UTC instant (`''` stays `''`). */
export function instantOf(local: string): string {
  if (local === '') return '';
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString().replace('.000Z', 'Z');
}

interface Product { id: string; name: string }

/** Create (no `editing`) or edit a promotion code; `onSaved` gets the message to show. */
export function PromotionForm({ editing, onSaved, onCancel }: { editing: PromotionCodeInfo | null; onSaved(message: string): void; onCancel(): void }) {
  const { t } = useTranslation('promotions');
  const common = useTranslation().t;
  const terms = editing?.terms;
  const [code, setCode] = useState(terms?.code ?? '');
  const [kind, setKind] = useState(terms?.kind ?? 'percent');
  const [value, setValue] = useState(terms?.value ?? '');
  const [recurrence, setRecurrence] = useState(terms?.recurrence ?? 'first_period');
  const [productIds, setProductIds] = useState<string[]>(terms?.productIds ?? []);
  const [cycles, setCycles] = useState<string[]>(terms?.billingCycles ?? []);
  const [validFrom, setValidFrom] = useState(localInputOf(terms?.validFrom ?? ''));
  const [validUntil, setValidUntil] = useState(localInputOf(terms?.validUntil ?? ''));
  const [maxUses, setMaxUses] = useState(String(terms?.maxUses ?? 0));
  const [maxPerCustomer, setMaxPerCustomer] = useState(String(terms?.maxUsesPerCustomer ?? 0));
  const [isActive, setIsActive] = useState(terms?.isActive ?? true);
  const [description, setDescription] = useState(terms?.description ?? '');
  const [products, setProducts] = useState<Product[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.products.listProducts({ pagination: { page: 1, pageSize: 100 } }).then(
      (answer) => setProducts(answer.products.map((product) => ({ id: product.id, name: product.name }))),
      (error: unknown) => setProblem(problemOf(error)),
    );
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const limits: Array<[string, string]> = [['max_uses', maxUses], ['max_uses_per_customer', maxPerCustomer]];
    for (const [field, text] of limits) {
      if (!/^\d{1,10}$/.test(text.trim())) { setProblem(localProblem(field, `${field} ${t('wholeNumber')}`)); return; }
    }
    const next = {
      code, kind, value: value.trim(), recurrence, productIds, billingCycles: cycles, validFrom: instantOf(validFrom), validUntil: instantOf(validUntil),
      maxUses: Number(maxUses.trim()), maxUsesPerCustomer: Number(maxPerCustomer.trim()), isActive, description,
    };
    setBusy(true);
    const call = editing ? api.billing.updatePromotionCode({ id: editing.id, terms: next }) : api.billing.createPromotionCode({ terms: next });
    call.then((answer) => {
      const saved = answer.promotion?.terms?.code ?? code;
      onSaved(editing ? t('saved', { code: saved }) : t('created', { code: saved }));
    }, (error: unknown) => setProblem(problemOf(error))).finally(() => setBusy(false));
  };

  const toggle = (list: string[], item: string, on: boolean): string[] => (on ? [...list, item] : list.filter((entry) => entry !== item));
  const productProblem = problem?.field?.startsWith('product_ids') ? problem : null;
  const cycleProblem = problem?.field?.startsWith('billing_cycles') ? problem : null;

  return (
    <form className="form" onSubmit={submit} data-testid="promotion-form" aria-label={editing ? t('editCode', { code: terms?.code ?? '' }) : t('newCode')}>
      <h2>{editing ? t('editCode', { code: terms?.code ?? '' }) : t('newCode')}</h2>
      <FormProblem problem={problem} fields={[...FIELDS, ...(productProblem || cycleProblem ? [problem?.field ?? ''] : [])]} />
      <Field label={t('code')} name="code" problem={problem}>
        <input aria-label={t('code')} value={code} onChange={(e) => setCode(e.target.value)} disabled={editing !== null} title={editing ? t('codeFixed') : undefined} />
      </Field>
      <div className="row">
        <Field label={t('kind')} name="kind" problem={problem}>
          <select aria-label={t('kind')} value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="percent">{t('percent')}</option>
            <option value="fixed">{t('fixed')}</option>
          </select>
        </Field>
        <Field label={t('value')} name="value" problem={problem}>
          <input aria-label={t('value')} inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} />
        </Field>
        <Field label={t('recurrence')} name="recurrence" problem={problem}>
          <select aria-label={t('recurrence')} value={recurrence} onChange={(e) => setRecurrence(e.target.value)}>
            <option value="first_period">{t('first_period')}</option>
            <option value="every_period">{t('every_period')}</option>
          </select>
        </Field>
      </div>
      <fieldset className="choices" aria-label={t('products')}>
        <legend>{t('products')} <span className="muted">— {productIds.length === 0 ? t('allProducts') : t('productsCount', { count: productIds.length })}</span></legend>
        {products.map((product) => (
          <label key={product.id} className="check">
            <input type="checkbox" checked={productIds.includes(product.id)} onChange={(e) => setProductIds(toggle(productIds, product.id, e.target.checked))} /> {product.name}
          </label>
        ))}
        {productProblem && <span className="field-error" role="alert">{productProblem.message}</span>}
      </fieldset>
      <fieldset className="choices" aria-label={t('cycles')}>
        <legend>{t('cycles')} <span className="muted">— {cycles.length === 0 ? t('allCycles') : cycles.map((cycle) => t(cycle)).join(', ')}</span></legend>
        {CYCLES.map((cycle) => (
          <label key={cycle} className="check">
            <input type="checkbox" checked={cycles.includes(cycle)} onChange={(e) => setCycles(toggle(cycles, cycle, e.target.checked))} /> {t(cycle)}
          </label>
        ))}
        {cycleProblem && <span className="field-error" role="alert">{cycleProblem.message}</span>}
      </fieldset>
      <div className="row">
        <Field label={t('validFrom')} name="valid_from" problem={problem}>
          <input type="datetime-local" aria-label={t('validFrom')} value={validFrom} onChange={(e) => setValidFrom(e.target.value)} />
        </Field>
        <Field label={t('validUntil')} name="valid_until" problem={problem}>
          <input type="datetime-local" aria-label={t('validUntil')} value={validUntil} onChange={(e) => setValidUntil(e.target.value)} />
        </Field>
      </div>
      <div className="row">
        <Field label={t('maxUses')} name="max_uses" problem={problem}>
          <input aria-label={t('maxUses')} inputMode="numeric" value={maxUses} onChange={(e) => setMaxUses(e.target.value)} />
        </Field>
        <Field label={t('maxUsesPerCustomer')} name="max_uses_per_customer" problem={problem}>
          <input aria-label={t('maxUsesPerCustomer')} inputMode="numeric" value={maxPerCustomer} onChange={(e) => setMaxPerCustomer(e.target.value)} />
        </Field>
      </div>
      <label className="check"><input type="checkbox" checked={isActive} onChange={(e) => setIsActive(e.target.checked)} /> {t('isActive')}</label>
      <Field label={t('description')} name="description" problem={problem}>
        <textarea aria-label={t('description')} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{editing ? t('save') : t('create')}</button>
        <button type="button" onClick={onCancel}>{common('cancel')}</button>
      </div>
    </form>
  );
}
