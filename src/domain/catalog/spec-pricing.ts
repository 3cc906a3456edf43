/**
 * Spec pricing (issue 13; README "Spec pricing"): an order's server spec checked against its
 * provider's `spec_template` (product-service.md SpecField / SpecOption / PriceImpact; plugin guide:
 * spec_template — 规格模板) and priced from it. Pure: the template, the product's `specs` and the
 * chosen values come in, resolved values and amounts (decimal strings) go out.
 *
 * **Validation** (every refusal a DomainError invalid_argument naming `server_spec.<key>`):
 * - A value missing from the order (absent or empty) takes the product's `specs[key]`, else the
 *   field's `default_value`. A `required` field left without any of them is refused.
 * - Number fields (`field_type` slider / integer / number) take whole numbers within `min`/`max`
 *   and on the `step` grid counted from `min` (from 0 without a min; no grid when step ≤ 1).
 * - Option fields (select / radio / os_options / region) take the `value` of one of their options
 *   that is not `disabled`. An option field declaring no options takes any value.
 * - Other field types are only checked for presence. Keys the template does not declare are left
 *   as they are (neither checked nor priced).
 *
 * **Pricing**: each priced field compares the order's value with the field's *baseline* — the
 * product's `specs[key]`, else the field's `default_value` (for number fields: else `min`, else 0)
 * — so that ordering a product with its own spec costs exactly its catalog price.
 * - Number field, `price_impact.mode` "add" (or empty): adds `amount × (value − baseline)` per month.
 * - Number field, mode "multiply": multiplies by `amount ^ (value − baseline)`.
 * - Option field, field mode "add" (or empty, or no price_impact): adds
 *   `modifier(chosen) − modifier(baseline option)` per month (an empty modifier is 0).
 * - Option field, field mode "multiply": multiplies by `modifier(chosen) ÷ modifier(baseline option)`
 *   (an empty modifier is 1).
 * Then `cycle price = (catalog cycle price + Σ adds × months) × Π factors`, rounded half-up to 2
 * decimals once at the end and never below 0.00; `spec amount = cycle price − catalog cycle price`.
 * A template whose price impact cannot be read (unknown mode, an amount or modifier that is not a
 * decimal, a factor ≤ 0) is the provider's fault: DomainError failed_precondition.
 */
import { Decimal } from 'decimal.js';
import { DomainError, invalid } from '../errors.ts';
import { formatMoney } from '../money.ts';
import type { OrderedSpec } from '../provisioning/instances.ts';

/** An option of a spec field, as the template reader gives it (SpecOption). */
export interface SpecTemplateOption {
  value?: string;
  label?: string;
  /** A signed decimal (mode add) or a factor (mode multiply); '' = no price change. */
  priceModifier?: string;
  disabled?: boolean;
}

/** A spec field, as the template reader gives it (SpecField; int64 bounds as bigint). */
export interface SpecTemplateField {
  key?: string;
  label?: string;
  fieldType?: string;
  required?: boolean;
  options?: readonly SpecTemplateOption[];
  min?: bigint | undefined;
  max?: bigint | undefined;
  step?: bigint | undefined;
  defaultValue?: string | undefined;
  priceImpact?: { mode?: string; amount?: string; currency?: string } | undefined;
}

/** The field types priced as whole numbers. */
export const NUMBER_FIELD_TYPES: readonly string[] = ['slider', 'integer', 'number'];
/** The field types whose value is one of their options. */
export const OPTION_FIELD_TYPES: readonly string[] = ['select', 'radio', 'os_options', 'region'];

/** One priced field of a quote: what it adds per month or the factor it multiplies by. */
export type SpecPriceLine =
  | { key: string; kind: 'add'; monthly: string }
  | { key: string; kind: 'multiply'; factor: string };

/** A priced spec. Money as decimal strings with two places. */
export interface SpecPrice {
  /** The spec as ordered: the chosen values, the template's fields resolved (validated, defaults filled). */
  values: Record<string, string>;
  /** The catalog price of the cycle. */
  baseAmount: string;
  /** What the spec changes of it, signed (`amount − baseAmount`). */
  specAmount: string;
  /** The cycle price with the spec (≥ 0.00). */
  amount: string;
  /** The fields that change the price (nothing for a field at its baseline). */
  lines: SpecPriceLine[];
}

const WHOLE = /^[+-]?\d{1,15}$/;
const DECIMAL = /^[+-]?\d{1,12}(\.\d{1,12})?$/;

function fieldType(field: SpecTemplateField): string {
  return (field.fieldType ?? '').trim().toLowerCase();
}

function isNumberField(field: SpecTemplateField): boolean {
  return NUMBER_FIELD_TYPES.includes(fieldType(field));
}

function isOptionField(field: SpecTemplateField): boolean {
  return OPTION_FIELD_TYPES.includes(fieldType(field));
}

function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** The range a number field accepts, in words (`between 1 and 32`, `at least 1`, …); null without bounds. */
function rangeWords(field: SpecTemplateField): string | null {
  const { min, max } = field;
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return null;
}

/** @throws DomainError invalid_argument when `value` is not a whole number in range on the step grid */
function checkNumber(key: string, field: SpecTemplateField, value: string): void {
  const name = `server_spec.${key}`;
  if (!WHOLE.test(value)) throw invalid(`${name} must be a whole number${rangeWords(field) ? ` ${rangeWords(field)}` : ''}, got ${shown(value)}`);
  const number = BigInt(value);
  const { min, max } = field;
  if ((min !== undefined && number < min) || (max !== undefined && number > max)) throw invalid(`${name} must be ${rangeWords(field)}, got ${number}`);
  const step = field.step ?? 1n;
  if (step > 1n) {
    const from = min ?? 0n;
    if ((number - from) % step !== 0n) {
      const first = from;
      throw invalid(`${name} must be ${first}, ${first + step}, ${first + 2n * step}, … (steps of ${step}${min !== undefined ? ` from ${min}` : ''}), got ${number}`);
    }
  }
}

/** @throws DomainError invalid_argument when `value` is not an enabled option of the field */
function checkOption(key: string, field: SpecTemplateField, value: string): void {
  const options = field.options ?? [];
  if (options.length === 0) return;
  const option = options.find((item) => (item.value ?? '') === value);
  const enabled = options.filter((item) => !item.disabled).map((item) => JSON.stringify(item.value ?? ''));
  if (option && !option.disabled) return;
  const choices = enabled.length === 0 ? 'nothing can be chosen at the moment' : `choose one of ${enabled.slice(0, 20).join(', ')}${enabled.length > 20 ? ', …' : ''}`;
  if (option) throw invalid(`server_spec.${key} ${shown(value)} is not available at the moment; ${choices}`);
  throw invalid(`server_spec.${key} must be one of the offered options (${choices}), got ${shown(value)}`);
}

/**
 * The spec an order asks for, checked against the template (see the file comment): the chosen
 * values with every template field resolved — a missing value (absent or `''`) takes
 * `productSpecs[key]`, else the field's `default_value`; fields with none of them stay absent.
 * Values are trimmed. Keys the template does not declare are kept as chosen.
 * @param fields the template's fields, flattened (ListProviders' `fields`: every field of every group)
 * @param productSpecs the product's `specs` map (its plan: e.g. `cpu_cores` "2")
 * @param chosen the order's values by key (`server_spec` as text)
 * @throws DomainError invalid_argument naming `server_spec.<key>` (required and missing, not a whole
 *   number, out of range, off the step grid, not an enabled option)
 */
export function resolveSpec(fields: readonly SpecTemplateField[], productSpecs: Readonly<Record<string, string>>, chosen: Readonly<Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = { ...chosen };
  for (const field of fields) {
    const key = field.key ?? '';
    if (key === '') continue;
    const given = (chosen[key] ?? '').trim();
    const fallback = (productSpecs[key] ?? '').trim() || (field.defaultValue ?? '').trim();
    const value = given !== '' ? given : fallback;
    if (value === '') {
      if (field.required) throw invalid(`server_spec.${key} is required${field.label ? ` (${field.label})` : ''}`);
      delete values[key];
      continue;
    }
    if (isNumberField(field)) checkNumber(key, field, value);
    else if (isOptionField(field)) checkOption(key, field, value);
    values[key] = value;
  }
  return values;
}

/** The provider's fault: its template prices a field in a way that cannot be read. */
function badTemplate(key: string, problem: string): DomainError {
  return new DomainError('failed_precondition', `the provider's spec template cannot price server_spec.${key}: ${problem}; ask the operator to fix the provider plugin`);
}

/** The pricing mode of a field: add (also '' and absent) or multiply. @throws DomainError failed_precondition */
function modeOf(field: SpecTemplateField, key: string): 'add' | 'multiply' {
  const mode = (field.priceImpact?.mode ?? '').trim().toLowerCase();
  if (mode === '' || mode === 'add') return 'add';
  if (mode === 'multiply') return 'multiply';
  throw badTemplate(key, `price_impact.mode ${shown(mode)} is neither "add" nor "multiply"`);
}

/** A template decimal ('' = `empty`). @throws DomainError failed_precondition */
function templateDecimal(key: string, what: string, text: string | undefined, empty: Decimal): Decimal {
  const raw = (text ?? '').trim();
  if (raw === '') return empty;
  if (!DECIMAL.test(raw)) throw badTemplate(key, `${what} ${shown(raw)} is not a decimal number`);
  return new Decimal(raw);
}

/** A multiply factor (> 0). @throws DomainError failed_precondition */
function factorOf(key: string, what: string, text: string | undefined): Decimal {
  const factor = templateDecimal(key, what, text, new Decimal(1));
  if (factor.lessThanOrEqualTo(0)) throw badTemplate(key, `${what} ${shown((text ?? '').trim())} must be a factor greater than 0`);
  return factor;
}

/** The baseline of a number field: the product's spec, else the default, else min, else 0 (whole numbers only). */
function numberBaseline(field: SpecTemplateField, productSpec: string | undefined): Decimal {
  for (const candidate of [productSpec, field.defaultValue]) {
    const text = (candidate ?? '').trim();
    if (WHOLE.test(text)) return new Decimal(text);
  }
  return new Decimal(field.min !== undefined ? field.min.toString() : 0);
}

/** The baseline option of an option field: the product's spec, else the default, when an option (else none). */
function baselineOption(field: SpecTemplateField, productSpec: string | undefined): SpecTemplateOption | undefined {
  const options = field.options ?? [];
  for (const candidate of [productSpec, field.defaultValue]) {
    const text = (candidate ?? '').trim();
    const option = options.find((item) => (item.value ?? '') === text);
    if (text !== '' && option) return option;
  }
  return undefined;
}

/**
 * A spec's price for one billing cycle (see the file comment for the rules): validates and
 * resolves the chosen values ({@link resolveSpec}), then prices them against the product's plan.
 * @param input.catalogPrice the product's price of the cycle (decimal string, e.g. `"55.00"`)
 * @param input.months how many months the cycle covers (1, 3, 12)
 * @throws DomainError invalid_argument (a chosen value, see {@link resolveSpec}), failed_precondition
 *   (the template's price impacts cannot be read)
 */
export function priceSpec(input: {
  fields: readonly SpecTemplateField[];
  productSpecs: Readonly<Record<string, string>>;
  chosen: Readonly<Record<string, string>>;
  catalogPrice: string;
  months: number;
}): SpecPrice {
  const values = resolveSpec(input.fields, input.productSpecs, input.chosen);
  const lines: SpecPriceLine[] = [];
  let adds = new Decimal(0);
  let factor = new Decimal(1);
  for (const field of input.fields) {
    const key = field.key ?? '';
    const value = values[key];
    if (key === '' || value === undefined) continue;
    const productSpec = input.productSpecs[key];
    if (isNumberField(field)) {
      if (!field.priceImpact || (field.priceImpact.amount ?? '').trim() === '') continue;
      const units = new Decimal(value).minus(numberBaseline(field, productSpec));
      if (units.isZero()) continue;
      if (modeOf(field, key) === 'add') {
        const monthly = templateDecimal(key, 'price_impact.amount', field.priceImpact.amount, new Decimal(0)).times(units);
        adds = adds.plus(monthly);
        lines.push({ key, kind: 'add', monthly: monthly.toString() });
      } else {
        const times = factorOf(key, 'price_impact.amount', field.priceImpact.amount).pow(units.toNumber());
        factor = factor.times(times);
        lines.push({ key, kind: 'multiply', factor: times.toString() });
      }
    } else if (isOptionField(field)) {
      const option = (field.options ?? []).find((item) => (item.value ?? '') === value);
      const base = baselineOption(field, productSpec);
      if (!option || option === base) continue;
      if (modeOf(field, key) === 'add') {
        const monthly = templateDecimal(key, `option ${shown(value)} price_modifier`, option.priceModifier, new Decimal(0))
          .minus(templateDecimal(key, `option ${shown(base?.value ?? '')} price_modifier`, base?.priceModifier, new Decimal(0)));
        if (monthly.isZero()) continue;
        adds = adds.plus(monthly);
        lines.push({ key, kind: 'add', monthly: monthly.toString() });
      } else {
        const times = factorOf(key, `option ${shown(value)} price_modifier`, option.priceModifier)
          .dividedBy(factorOf(key, `option ${shown(base?.value ?? '')} price_modifier`, base?.priceModifier));
        if (times.equals(1)) continue;
        factor = factor.times(times);
        lines.push({ key, kind: 'multiply', factor: times.toString() });
      }
    }
  }
  const base = new Decimal(input.catalogPrice);
  const priced = base.plus(adds.times(input.months)).times(factor);
  const amount = new Decimal(formatMoney(Decimal.max(priced, 0)));
  return { values, baseAmount: formatMoney(base), specAmount: formatMoney(amount.minus(base)), amount: formatMoney(amount), lines };
}

/** The proto3 number fields of ServerSpec (0 = not sent). */
const SPEC_NUMBERS = ['cpu_cores', 'memory_gb', 'disk_gb', 'bandwidth_mbps'] as const;
/** The proto3 text fields of ServerSpec ('' = not sent). */
const SPEC_TEXTS = ['region', 'os'] as const;

/**
 * An order's spec as chosen values by key: the ServerSpec fields that were sent (a number 0 and an
 * empty text count as not sent, proto3's defaults), then `extra_specs` (its keys win).
 */
export function chosenSpecValues(spec: OrderedSpec): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of SPEC_NUMBERS) {
    const value = spec[key];
    if (value !== undefined && value !== 0) values[key] = String(value);
  }
  for (const key of SPEC_TEXTS) {
    const value = spec[key];
    if (value !== undefined && value !== '') values[key] = value;
  }
  return { ...values, ...(spec.extra_specs ?? {}) };
}

/**
 * The order's spec with the resolved `values` ({@link resolveSpec}) written back: the ServerSpec
 * fields take their key's value (numbers as numbers when whole and within uint32, else the value
 * goes to `extra_specs`), every other key goes to `extra_specs`. Fields of `spec` that `values`
 * does not name are kept.
 */
export function orderedSpecWith(spec: OrderedSpec, values: Readonly<Record<string, string>>): OrderedSpec {
  const out: OrderedSpec = { ...spec };
  const extra: Record<string, string> = { ...(spec.extra_specs ?? {}) };
  for (const [key, value] of Object.entries(values)) {
    if ((SPEC_NUMBERS as readonly string[]).includes(key)) {
      const number = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
      if (Number.isInteger(number) && number <= 0xffff_ffff) {
        out[key as (typeof SPEC_NUMBERS)[number]] = number;
        delete extra[key];
        continue;
      }
    } else if ((SPEC_TEXTS as readonly string[]).includes(key)) {
      out[key as (typeof SPEC_TEXTS)[number]] = value;
      delete extra[key];
      continue;
    }
    extra[key] = value;
  }
  out.extra_specs = extra;
  return out;
}
