/**
 * The spec editor of a product, generated from its provider's `spec_template` (ListProviders):
 * groups first (in display order), then the ungrouped fields; sliders and integers with their
 * min/max/step/unit, selects (also `region` and `os_options`) with their options. It edits the
 * product's `specs` map (strings); values the template does not name stay editable as key/value rows.
 */
import { useTranslation } from 'react-i18next';
import type { SpecField, SpecGroup, SpecTemplate } from '../../../../../src/gen/rustbill/product_pb.ts';
import type { ApiProblem } from '../../api.ts';
import { Field } from '../../../../shared/form.tsx';

/** The template's fields in display order, grouped (ungrouped fields last, under no title; each key once). */
export function templateSections(template: SpecTemplate | undefined): Array<{ key: string; label: string; fields: SpecField[] }> {
  if (!template) return [];
  const byOrder = (a: { displayOrder: number }, b: { displayOrder: number }) => a.displayOrder - b.displayOrder;
  const sections = [...template.groups].sort(byOrder).map((group: SpecGroup) => ({ key: group.key, label: group.label, fields: [...group.fields].sort(byOrder) }));
  // The flat list may repeat the grouped fields (ListProviders sends both): each field shows once.
  const grouped = new Set(sections.flatMap((section) => section.fields.map((field) => field.key)));
  const loose = template.fields.filter((field) => !grouped.has(field.key));
  if (loose.length > 0) sections.push({ key: '', label: '', fields: [...loose].sort(byOrder) });
  return sections;
}

/** Every key the template defines. */
export function templateKeys(template: SpecTemplate | undefined): Set<string> {
  return new Set(templateSections(template).flatMap((section) => section.fields.map((field) => field.key)));
}

/** The template's default values, for the keys `specs` does not have yet. */
export function withDefaults(template: SpecTemplate | undefined, specs: Record<string, string>): Record<string, string> {
  const out = { ...specs };
  for (const section of templateSections(template)) {
    for (const field of section.fields) {
      if (out[field.key] === undefined && field.defaultValue !== undefined) out[field.key] = field.defaultValue;
    }
  }
  return out;
}

function numberBounds(field: SpecField): { min?: number; max?: number; step: number } {
  return {
    ...(field.min !== undefined ? { min: Number(field.min) } : {}),
    ...(field.max !== undefined ? { max: Number(field.max) } : {}),
    step: field.step !== undefined && field.step > 0n ? Number(field.step) : 1,
  };
}

/** One field's input, by its `field_type`. */
function SpecInput({ field, value, onChange }: { field: SpecField; value: string; onChange(value: string): void }) {
  const { t } = useTranslation('catalog');
  const type = field.fieldType;
  if (type === 'slider') {
    const bounds = numberBounds(field);
    return (
      <span style={{ display: 'flex', gap: '0.6rem', alignItems: 'center' }}>
        <input type="range" aria-label={field.label} {...bounds} value={value === '' ? String(bounds.min ?? 0) : value} onChange={(e) => onChange(e.target.value)} style={{ flex: 1 }} />
        <input type="number" aria-label={`${field.label} (${field.unit || '#'})`} {...bounds} value={value} onChange={(e) => onChange(e.target.value)} style={{ width: '6rem' }} />
        <span className="muted">{field.unit}</span>
      </span>
    );
  }
  if (type === 'integer' || type === 'number') {
    return (
      <span style={{ display: 'flex', gap: '0.6rem', alignItems: 'center' }}>
        <input type="number" {...numberBounds(field)} value={value} onChange={(e) => onChange(e.target.value)} />
        <span className="muted">{field.unit}</span>
      </span>
    );
  }
  if (field.options.length > 0 || type === 'select' || type === 'radio' || type === 'os_options') {
    return (
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('choose')}</option>
        {field.options.map((option) => (
          <option key={option.value} value={option.value} disabled={option.disabled}>{option.label || option.value}</option>
        ))}
      </select>
    );
  }
  // text, and a region without options
  return <input value={value} onChange={(e) => onChange(e.target.value)} />;
}

/** The spec editor: the template's fields, then the other key/value pairs of `specs`. */
export function SpecEditor({ template, specs, onChange, problem }: { template: SpecTemplate | undefined; specs: Record<string, string>; onChange(specs: Record<string, string>): void; problem: ApiProblem | null }) {
  const { t } = useTranslation('catalog');
  const sections = templateSections(template);
  const known = templateKeys(template);
  const others = Object.entries(specs).filter(([key]) => !known.has(key));
  const set = (key: string, value: string) => onChange({ ...specs, [key]: value });
  const replaceOther = (index: number, key: string, value: string) => {
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries(specs)) if (known.has(k)) next[k] = v;
    others.forEach(([k, v], i) => { if (i === index) next[key] = value; else next[k] = v; });
    onChange(next);
  };
  const removeOther = (key: string) => {
    const next = { ...specs };
    delete next[key];
    onChange(next);
  };
  return (
    <fieldset className="spec-editor" data-testid="spec-editor" style={{ border: '1px solid #dde3ee', borderRadius: 8, padding: '0.8rem 1rem', marginBottom: '0.8rem' }}>
      <legend>{t('specs')}</legend>
      {sections.length === 0 ? <p className="muted">{t('noTemplate')}</p> : <p className="muted" style={{ marginTop: 0 }}>{t('specsHint')}</p>}
      {sections.map((section) => (
        <div key={section.key || '-'} data-testid={`spec-group-${section.key || 'none'}`}>
          {section.label && <h3 style={{ fontSize: '1rem', margin: '0.4rem 0' }}>{section.label}</h3>}
          {section.fields.map((field) => (
            <Field key={field.key} name={`specs.${field.key}`} problem={problem}
              label={<>{field.label || field.key}{field.unit ? ` (${field.unit})` : ''}{field.required ? <span className="muted"> · {t('required')}</span> : null}</>}>
              <SpecInput field={field} value={specs[field.key] ?? ''} onChange={(value) => set(field.key, value)} />
              {field.description && <span className="muted">{field.description}</span>}
            </Field>
          ))}
        </div>
      ))}
      <h3 style={{ fontSize: '1rem', margin: '0.4rem 0' }}>{t('otherSpecs')}</h3>
      {others.map(([key, value], index) => (
        <div key={index} className="toolbar">
          <input aria-label={t('specKey')} placeholder={t('specKey')} value={key} onChange={(e) => replaceOther(index, e.target.value, value)} />
          <input aria-label={t('specValue')} placeholder={t('specValue')} value={value} onChange={(e) => replaceOther(index, key, e.target.value)} />
          <button type="button" onClick={() => removeOther(key)}>{t('remove')}</button>
        </div>
      ))}
      <button type="button" onClick={() => { if (specs[''] === undefined) set('', ''); }}>{t('addSpec')}</button>
    </fieldset>
  );
}
