/**
 * The order form's pure rules (issue 13): a provider's `spec_template` (ListProviders; product.proto
 * SpecTemplate / SpecField / SpecOption / PriceImpact) laid out for the form, the starting values
 * of a product, and the spec a QueryPrice / CreateOrder request sends. Values are kept as text by
 * key (`cpu_cores` → "2"), like the product's `specs` map; money stays decimal strings.
 */
import type { ServerSpec } from '../../../../../src/gen/rustbill/order_pb.ts';
import type { ProductInfo, SpecField, SpecTemplate } from '../../../../../src/gen/rustbill/product_pb.ts';

/** Field types shown as a number input with a range slider (min/max/step/unit). */
export const NUMBER_TYPES: readonly string[] = ['number', 'slider', 'integer'];
/** Field types shown as a drop-down of their options. */
export const SELECT_TYPES: readonly string[] = ['select', 'os_options', 'region'];

/** A titled section of the form: a template group, or the ungrouped fields (`key` ''). */
export interface SpecSection {
  key: string;
  label: string;
  fields: SpecField[];
}

/** How a field is rendered. */
export type FieldKind = 'number' | 'select' | 'radio' | 'text';

/** The kind of control of a field (unknown types are text inputs). */
export function fieldKind(field: SpecField): FieldKind {
  const type = field.fieldType.trim().toLowerCase();
  if (NUMBER_TYPES.includes(type)) return 'number';
  if (type === 'radio') return 'radio';
  if (SELECT_TYPES.includes(type)) return 'select';
  return 'text';
}

const byOrder = (a: { displayOrder: number }, b: { displayOrder: number }) => a.displayOrder - b.displayOrder;

/**
 * The template laid out: groups first (by display_order, each with its fields by display_order),
 * then the fields of no group. ListProviders sends every grouped field in `fields` too (with its
 * group key); each key shows once.
 */
export function specSections(template: SpecTemplate | undefined): SpecSection[] {
  if (!template) return [];
  const seen = new Set<string>();
  /** True the first time a (non-empty) key is met. */
  const first = (field: SpecField): boolean => {
    if (field.key === '' || seen.has(field.key)) return false;
    seen.add(field.key);
    return true;
  };
  const sections: SpecSection[] = [];
  for (const group of [...template.groups].sort(byOrder)) {
    const fields = [...group.fields, ...template.fields.filter((field) => field.group === group.key && group.key !== '')]
      .sort(byOrder)
      .filter(first);
    if (fields.length > 0) sections.push({ key: group.key, label: group.label, fields });
  }
  const loose = [...template.fields].sort(byOrder).filter(first);
  if (loose.length > 0) sections.push({ key: '', label: '', fields: loose });
  return sections;
}

/** The numeric bounds of a number field (int64 from the template as numbers; step at least 1). */
export function numberBounds(field: SpecField): { min?: number; max?: number; step: number } {
  const step = field.step !== undefined && field.step > 0n ? Number(field.step) : 1;
  return {
    ...(field.min !== undefined ? { min: Number(field.min) } : {}),
    ...(field.max !== undefined ? { max: Number(field.max) } : {}),
    step,
  };
}

/**
 * The form's starting values: every template field's value from the product's `specs[key]`,
 * else its `default_value` (else the first enabled option of an option field, else min of a
 * number field); the product's other specs kept as they are.
 */
export function startingValues(template: SpecTemplate | undefined, product: Pick<ProductInfo, 'specs'>): Record<string, string> {
  const values: Record<string, string> = { ...product.specs };
  for (const section of specSections(template)) {
    for (const field of section.fields) {
      const own = (product.specs[field.key] ?? '').trim();
      if (own !== '') { values[field.key] = own; continue; }
      if (field.defaultValue !== undefined && field.defaultValue !== '') { values[field.key] = field.defaultValue; continue; }
      const kind = fieldKind(field);
      const first = field.options.find((option) => !option.disabled);
      if ((kind === 'select' || kind === 'radio') && first) values[field.key] = first.value;
      else if (kind === 'number' && field.min !== undefined) values[field.key] = field.min.toString();
      else values[field.key] = '';
    }
  }
  return values;
}

/** The ServerSpec number fields and their keys in the product's `specs` / the template. */
const NUMBER_KEYS = { cpu_cores: 'cpuCores', memory_gb: 'memoryGb', disk_gb: 'diskGb', bandwidth_mbps: 'bandwidthMbps' } as const;
/** The ServerSpec text fields. */
const TEXT_KEYS = { region: 'region', os: 'os' } as const;

/**
 * The spec a request sends: cpu_cores / memory_gb / disk_gb / bandwidth_mbps as whole numbers
 * (0 = not sent, proto3's default; a value that is not a whole number goes to `extraSpecs`, so the
 * server names it), region and os as text, and the template's other keys in `extraSpecs`. Keys of
 * the product's `specs` that are neither ServerSpec fields nor template fields are not sent (the
 * server fills the plan's values in itself).
 * @param templateKeys the keys the template defines
 */
export function serverSpecOf(values: Readonly<Record<string, string>>, templateKeys: ReadonlySet<string>): Pick<ServerSpec, 'cpuCores' | 'memoryGb' | 'diskGb' | 'bandwidthMbps' | 'region' | 'os' | 'extraSpecs'> {
  const spec = { cpuCores: 0, memoryGb: 0, diskGb: 0, bandwidthMbps: 0, region: '', os: '', extraSpecs: {} as Record<string, string> };
  for (const [key, raw] of Object.entries(values)) {
    const value = raw.trim();
    if (value === '') continue;
    if (key in NUMBER_KEYS) {
      if (/^\d{1,9}$/.test(value)) spec[NUMBER_KEYS[key as keyof typeof NUMBER_KEYS]] = Number(value);
      else spec.extraSpecs[key] = value;
    } else if (key in TEXT_KEYS) {
      spec[TEXT_KEYS[key as keyof typeof TEXT_KEYS]] = value;
    } else if (templateKeys.has(key)) {
      spec.extraSpecs[key] = value;
    }
  }
  return spec;
}

/** Every key the template defines. */
export function templateKeys(template: SpecTemplate | undefined): Set<string> {
  return new Set(specSections(template).flatMap((section) => section.fields.map((field) => field.key)));
}

/** The billing cycles a product is offered in, in the usual order (monthly first); at least monthly. */
export function productCycles(product: Pick<ProductInfo, 'billingCycles' | 'pricePerMonth'>): Array<{ cycle: string; price: string }> {
  const order = ['monthly', 'quarterly', 'semi_annually', 'yearly', 'biennially', 'triennially'];
  const cycles = Object.entries(product.billingCycles).map(([cycle, price]) => ({ cycle, price }));
  if (!cycles.some((entry) => entry.cycle === 'monthly')) cycles.push({ cycle: 'monthly', price: product.pricePerMonth });
  const rank = (cycle: string) => (order.includes(cycle) ? order.indexOf(cycle) : order.length);
  return cycles.sort((a, b) => rank(a.cycle) - rank(b.cycle) || a.cycle.localeCompare(b.cycle));
}

/** What a product costs a month in the catalog (the monthly cycle's price, else price_per_month). */
export function monthlyPrice(product: Pick<ProductInfo, 'billingCycles' | 'pricePerMonth'>): string {
  return product.billingCycles.monthly ?? product.pricePerMonth;
}

/**
 * The template field a refusal is about: the server names `server_spec.<key>` (CreateOrder, a
 * product quote) or `<key>` (a provider's own quote); null when it names none of `keys`.
 */
export function fieldOfProblem(field: string | null, keys: ReadonlySet<string>): string | null {
  if (field === null) return null;
  const key = field.startsWith('server_spec.') ? field.slice('server_spec.'.length) : field;
  return keys.has(key) ? key : null;
}

/** A signed decimal string with an explicit sign for a price line ("+5.00", "−2.50"); '' for zero or no value. */
export function signedMoney(value: string): string {
  const text = value.trim();
  if (text === '' || !/^[+-]?\d+(\.\d+)?$/.test(text)) return '';
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace(/^[+-]/, '').split('.');
  const digits = `${BigInt(whole)}.${(fraction + '00').slice(0, Math.max(2, fraction.replace(/0+$/, '').length))}`;
  if (/^0\.0+$/.test(digits)) return '';
  return `${negative ? '−' : '+'}${digits}`;
}
