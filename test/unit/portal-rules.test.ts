/**
 * The customer portal's pure rules (issue 13): the order form laid out from a provider's
 * spec_template (web/portal/src/pages/shop/spec.ts) and money as decimal strings
 * (web/portal/src/money.ts). The browser tests drive the same code through the screens; these
 * pin each rule, including the field types the shipped providers do not use (radio, text).
 */
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ProductInfoSchema, SpecFieldSchema, SpecGroupSchema, SpecOptionSchema, SpecTemplateSchema, type SpecField } from '../../src/gen/rustbill/product_pb.ts';
import { addMoney, formatMoney, moneyAtLeast } from '../../web/portal/src/money.ts';
import {
  fieldKind, fieldOfProblem, numberBounds, productCycles, serverSpecOf, signedMoney, specSections, startingValues, templateKeys,
} from '../../web/portal/src/pages/shop/spec.ts';

function field(key: string, fieldType: string, extra: Partial<Omit<SpecField, '$typeName'>> = {}): SpecField {
  return create(SpecFieldSchema, { key, label: key, fieldType, required: true, ...extra });
}

const template = create(SpecTemplateSchema, {
  groups: [
    create(SpecGroupSchema, { key: 'system', label: 'System', displayOrder: 2, fields: [field('os', 'select', { displayOrder: 1, options: [create(SpecOptionSchema, { value: 'debian-12', label: 'Debian' })] })] }),
    create(SpecGroupSchema, {
      key: 'compute', label: 'Compute', displayOrder: 1,
      fields: [field('memory_gb', 'slider', { displayOrder: 2, min: 1n, max: 64n, defaultValue: '4' }), field('cpu_cores', 'slider', { displayOrder: 1, min: 1n, max: 32n, step: 1n })],
    }),
  ],
  fields: [
    field('backup', 'radio', { displayOrder: 2, options: [create(SpecOptionSchema, { value: 'none', label: 'None', disabled: true }), create(SpecOptionSchema, { value: 'daily', label: 'Daily', priceModifier: '5.00' })] }),
    field('hostname', 'text', { displayOrder: 1 }),
    // A grouped field repeated flat (ListProviders sends both): shown once, in its group.
    field('cpu_cores', 'slider', { group: 'compute', displayOrder: 1 }),
  ],
});

describe('the order form from a spec_template', () => {
  it('renders number types as numbers, radio as radio, select types as selects, anything else as text', () => {
    expect(['number', 'slider', 'integer', ' Slider '].map((type) => fieldKind(field('x', type)))).toEqual(['number', 'number', 'number', 'number']);
    expect(['select', 'os_options', 'region'].map((type) => fieldKind(field('x', type)))).toEqual(['select', 'select', 'select']);
    expect(fieldKind(field('x', 'radio'))).toBe('radio');
    expect(['text', 'password', ''].map((type) => fieldKind(field('x', type)))).toEqual(['text', 'text', 'text']);
  });

  it('lays out groups first by display_order, each field once, then the ungrouped fields by display_order', () => {
    const sections = specSections(template);
    expect(sections.map((section) => [section.key, section.fields.map((entry) => entry.key)])).toEqual([
      ['compute', ['cpu_cores', 'memory_gb']],
      ['system', ['os']],
      ['', ['hostname', 'backup']],
    ]);
    expect(specSections(undefined)).toEqual([]);
    expect([...templateKeys(template)].sort()).toEqual(['backup', 'cpu_cores', 'hostname', 'memory_gb', 'os']);
  });

  it("starts from the product's spec, else the default, else the first enabled option, else min", () => {
    const product = create(ProductInfoSchema, { specs: { cpu_cores: '2', region: 'hk' } });
    expect(startingValues(template, product)).toEqual({ cpu_cores: '2', memory_gb: '4', os: 'debian-12', backup: 'daily', hostname: '', region: 'hk' });
    const bare = create(ProductInfoSchema, { specs: {} });
    expect(startingValues(template, bare).cpu_cores).toBe('1');
  });

  it('gives number bounds with a step of at least 1', () => {
    expect(numberBounds(field('x', 'slider', { min: 10n, max: 1000n, step: 10n }))).toEqual({ min: 10, max: 1000, step: 10 });
    expect(numberBounds(field('x', 'slider', { step: 0n }))).toEqual({ step: 1 });
  });

  it('sends ServerSpec numbers as whole numbers, region and os as text, other template keys as extra specs', () => {
    const keys = templateKeys(template);
    expect(serverSpecOf({ cpu_cores: '4', memory_gb: ' 8 ', os: 'debian-12', region: 'hk', backup: 'daily', hostname: '', colour: 'red' }, keys)).toEqual({
      cpuCores: 4, memoryGb: 8, diskGb: 0, bandwidthMbps: 0, region: 'hk', os: 'debian-12', extraSpecs: { backup: 'daily' },
    });
    // Not a whole number: sent as text, so the server names the field in its refusal.
    expect(serverSpecOf({ cpu_cores: '2.5' }, keys)).toMatchObject({ cpuCores: 0, extraSpecs: { cpu_cores: '2.5' } });
  });

  it('finds the field a refusal names, with or without server_spec.', () => {
    const keys = templateKeys(template);
    expect(fieldOfProblem('server_spec.cpu_cores', keys)).toBe('cpu_cores');
    expect(fieldOfProblem('memory_gb', keys)).toBe('memory_gb');
    expect(fieldOfProblem('server_spec.colour', keys)).toBeNull();
    expect(fieldOfProblem(null, keys)).toBeNull();
  });

  it('offers the billing cycles in the usual order, monthly always', () => {
    expect(productCycles(create(ProductInfoSchema, { pricePerMonth: '20.00', billingCycles: { yearly: '200.00', quarterly: '55.00' } }))).toEqual([
      { cycle: 'monthly', price: '20.00' }, { cycle: 'quarterly', price: '55.00' }, { cycle: 'yearly', price: '200.00' },
    ]);
  });

  it('writes price lines with their sign, and nothing for zero', () => {
    expect(['5', '5.5', '-2.50', '+0.125', '0.00', '', 'x'].map(signedMoney)).toEqual(['+5.00', '+5.50', '−2.50', '+0.125', '', '', '']);
  });
});

describe('money as decimal strings', () => {
  it('adds exactly, across signs and without floats', () => {
    expect(addMoney('0.10', '0.20')).toBe('0.30');
    expect(addMoney('100.00', '-100.01')).toBe('-0.01');
    expect(addMoney('-5', '-0.5')).toBe('-5.50');
    expect(addMoney('99999999.99', '0.01')).toBe('100000000.00');
  });

  it('compares: balance + credit covers an amount exactly at the boundary', () => {
    expect(moneyAtLeast('40.00', '40.00')).toBe(true);
    expect(moneyAtLeast('39.99', '40.00')).toBe(false);
    expect(moneyAtLeast('-5.00', '-10.00')).toBe(true);
    expect(moneyAtLeast('0.00', '0.01')).toBe(false);
  });

  it('formats with grouped digits and a real minus sign', () => {
    expect(formatMoney('1234567.5')).toBe('1,234,567.50');
    expect(formatMoney('-20')).toBe('−20.00');
  });
});
