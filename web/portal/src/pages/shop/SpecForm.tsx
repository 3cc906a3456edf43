/**
 * The order form's spec fields, rendered from the provider's `spec_template` (issue 13; product.proto
 * SpecField): groups first, then the ungrouped fields, each by display_order. text → a text input;
 * number / slider / integer → a number input with a range slider (min, max, step, unit);
 * select / os_options / region → a drop-down; radio → a radio group. Options show their
 * description and price modifier ("+5.00/month"), a field its price impact ("+10.00 per core per
 * month"). A refusal of the server that names `server_spec.<key>` shows beside that field.
 */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { SpecField, SpecOption } from '../../../../../src/gen/rustbill/product_pb.ts';
import { fieldKind, numberBounds, signedMoney, type SpecSection } from './spec.ts';

/** A problem shown beside one field (`key` the template key). */
export interface FieldProblem {
  key: string;
  message: string;
}

/**
 * The spec fields of `sections`, editing `values` (text by key).
 * @param problem the server's refusal naming one of the fields, shown beside it
 */
export function SpecForm({ sections, values, onChange, problem }: {
  sections: SpecSection[];
  values: Readonly<Record<string, string>>;
  onChange: (key: string, value: string) => void;
  problem: FieldProblem | null;
}) {
  return (
    <>
      {sections.map((section) => (
        <fieldset key={section.key || 'fields'} className="spec-section">
          {section.label && <legend>{section.label}</legend>}
          {section.fields.map((field) => (
            <SpecInput key={field.key} field={field} value={values[field.key] ?? ''} onChange={(value) => onChange(field.key, value)}
              problem={problem?.key === field.key ? problem.message : null} />
          ))}
        </fieldset>
      ))}
    </>
  );
}

/** Whether a field's options are priced by factor (price_impact.mode "multiply") rather than by amount. */
function multiplies(field: SpecField): boolean {
  return (field.priceImpact?.mode ?? '').trim().toLowerCase() === 'multiply';
}

/** An option's price modifier in words ("+5.00/month", "×1.2"); '' when it changes nothing. */
function useModifierText(): (field: SpecField, option: SpecOption) => string {
  const { t } = useTranslation('shop');
  return (field, option) => {
    const modifier = option.priceModifier.trim();
    if (modifier === '') return '';
    if (multiplies(field)) return modifier === '1' || /^1(\.0+)?$/.test(modifier) ? '' : t('optionFactor', { amount: modifier });
    const signed = signedMoney(modifier);
    return signed === '' ? '' : t('optionPrice', { amount: signed });
  };
}

/** A unit as "per <unit>" reads in English: a plural lowercase word in the singular ("cores" → "core"; "GB", "Mbps" kept). */
function unitWord(unit: string, language: string): string {
  const word = unit.trim();
  return language.startsWith('en') && /^[a-z]{3,}s$/.test(word) && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/** One field: its label, control, description, price impact and the server's message when it names it. */
function SpecInput({ field, value, onChange, problem }: { field: SpecField; value: string; onChange: (value: string) => void; problem: string | null }) {
  const { t, i18n } = useTranslation('shop');
  const id = useId();
  const modifierText = useModifierText();
  const kind = fieldKind(field);
  const describedBy = [field.description ? `${id}-about` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ') || undefined;
  const unit = unitWord(field.unit, i18n.language) || t('perUnitPlain');
  const impact = field.priceImpact && field.priceImpact.amount.trim() !== '' && kind === 'number'
    ? multiplies(field)
      ? t('perUnitTimes', { amount: field.priceImpact.amount.trim(), unit })
      : signedMoney(field.priceImpact.amount) && t('perUnit', { amount: signedMoney(field.priceImpact.amount), unit })
    : '';
  const chosen = field.options.find((option) => option.value === value);
  const label = field.label || field.key;

  let control;
  if (kind === 'number') {
    const bounds = numberBounds(field);
    const numeric = /^-?\d+$/.test(value.trim()) ? Number(value) : bounds.min ?? 0;
    control = (
      <>
        <div className="spec-number">
          <input id={id} type="number" inputMode="numeric" name={field.key} value={value} min={bounds.min} max={bounds.max} step={bounds.step}
            required={field.required} aria-describedby={describedBy} aria-invalid={problem ? true : undefined} data-testid={`spec-${field.key}`}
            onChange={(event) => onChange(event.target.value)} />
          {field.unit && <span className="spec-unit">{field.unit}</span>}
        </div>
        {bounds.min !== undefined && bounds.max !== undefined && (
          <input type="range" className="spec-range" min={bounds.min} max={bounds.max} step={bounds.step} value={numeric}
            aria-label={t('slider', { label: field.label || field.key })} aria-valuetext={`${numeric} ${field.unit}`.trim()}
            onChange={(event) => onChange(event.target.value)} />
        )}
        {bounds.min !== undefined && bounds.max !== undefined && (
          <span className="hint-line">
            {t('between', { min: bounds.min, max: bounds.max, unit: field.unit })}{bounds.step > 1 ? ` · ${t('stepOf', { step: bounds.step })}` : ''}
          </span>
        )}
      </>
    );
  } else if (kind === 'select') {
    control = (
      <select id={id} name={field.key} value={value} required={field.required} aria-describedby={describedBy} aria-invalid={problem ? true : undefined}
        data-testid={`spec-${field.key}`} onChange={(event) => onChange(event.target.value)}>
        {!chosen && <option value={value}>{value || '—'}</option>}
        {field.options.map((option) => {
          const price = modifierText(field, option);
          return <option key={option.value} value={option.value} disabled={option.disabled}>{option.label || option.value}{price ? ` (${price})` : ''}</option>;
        })}
      </select>
    );
  } else if (kind === 'radio') {
    return (
      <fieldset className={problem ? 'field spec-radio invalid' : 'field spec-radio'} aria-describedby={describedBy}>
        <legend>{label}</legend>
        {field.options.map((option) => {
          const price = modifierText(field, option);
          return (
            <label key={option.value} className={value === option.value ? 'spec-choice chosen' : 'spec-choice'}>
              <input type="radio" name={field.key} value={option.value} checked={value === option.value} disabled={option.disabled} onChange={() => onChange(option.value)} />
              <span className="spec-choice-name">{option.label || option.value}</span>
              {price && <span className="spec-price">{price}</span>}
              {option.description && <span className="spec-choice-note">{option.description}</span>}
            </label>
          );
        })}
        {field.description && <span id={`${id}-about`} className="hint-line">{field.description}</span>}
        {problem && <span id={`${id}-problem`} className="field-error" role="alert" data-field={`server_spec.${field.key}`}>{problem}</span>}
      </fieldset>
    );
  } else {
    control = (
      <input id={id} name={field.key} value={value} required={field.required} aria-describedby={describedBy} aria-invalid={problem ? true : undefined}
        data-testid={`spec-${field.key}`} onChange={(event) => onChange(event.target.value)} />
    );
  }
  return (
    <div className={problem ? 'field spec-field invalid' : 'field spec-field'}>
      <label htmlFor={id}><span>{label}</span></label>
      {control}
      {impact && <span className="spec-price">{impact}</span>}
      {kind === 'select' && chosen?.description && <span className="hint-line">{chosen.description}</span>}
      {field.description && <span id={`${id}-about`} className="hint-line">{field.description}</span>}
      {problem && <span id={`${id}-problem`} className="field-error" role="alert" data-field={`server_spec.${field.key}`}>{problem}</span>}
    </div>
  );
}
