import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  chosenSpecValues, orderedSpecWith, priceSpec, resolveSpec, type SpecTemplateField,
} from '../../src/domain/catalog/spec-pricing.ts';
import { specOrderPrice } from '../../src/domain/orders/pricing.ts';

/** The provider-incus template with its default unit prices, plus a priced region select. */
const CPU: SpecTemplateField = {
  key: 'cpu_cores', label: 'vCPU', fieldType: 'slider', required: true, min: 1n, max: 32n, step: 1n, defaultValue: '2',
  priceImpact: { mode: 'add', amount: '10.00', currency: 'CNY' },
};
const MEMORY: SpecTemplateField = {
  key: 'memory_gb', label: 'Memory', fieldType: 'slider', required: true, min: 1n, max: 128n, step: 1n, defaultValue: '4',
  priceImpact: { mode: 'add', amount: '5.00', currency: 'CNY' },
};
const DISK: SpecTemplateField = {
  key: 'disk_gb', label: 'Disk', fieldType: 'slider', required: true, min: 10n, max: 1000n, step: 10n, defaultValue: '40',
  priceImpact: { mode: 'add', amount: '0.50', currency: 'CNY' },
};
const OS: SpecTemplateField = {
  key: 'os', label: 'Operating system', fieldType: 'select', required: true, defaultValue: 'debian-12',
  options: [
    { value: 'debian-12', label: 'Debian 12' },
    { value: 'windows-2022', label: 'Windows Server', priceModifier: '15.00' },
    { value: 'solaris', label: 'Solaris', disabled: true },
  ],
};
const FIELDS = [CPU, MEMORY, DISK, OS];

function price(chosen: Record<string, string>, options: { fields?: SpecTemplateField[]; specs?: Record<string, string>; catalog?: string; months?: number } = {}) {
  return priceSpec({ fields: options.fields ?? FIELDS, productSpecs: options.specs ?? {}, chosen, catalogPrice: options.catalog ?? '20.00', months: options.months ?? 1 });
}

function refusedWith(run: () => unknown): { kind: string; message: string } {
  const error = refusal(run);
  return { kind: error.kind, message: error.message };
}

describe('resolveSpec: checking an order\'s spec against the template', () => {
  it('fills missing values from the product\'s specs, else the defaults, and keeps undeclared keys', () => {
    expect(resolveSpec(FIELDS, { cpu_cores: '4' }, { region: 'local', memory_gb: '' })).toEqual({
      region: 'local', cpu_cores: '4', memory_gb: '4', disk_gb: '40', os: 'debian-12',
    });
    expect(resolveSpec(FIELDS, {}, { cpu_cores: ' 8 ', os: 'windows-2022' })).toMatchObject({ cpu_cores: '8', os: 'windows-2022' });
  });

  it('refuses numbers out of range, naming server_spec.<key> with the bounds and the value', () => {
    expect(refusedWith(() => resolveSpec(FIELDS, {}, { cpu_cores: '64' }))).toEqual({ kind: 'invalid_argument', message: 'server_spec.cpu_cores must be between 1 and 32, got 64' });
    expect(refusedWith(() => resolveSpec(FIELDS, {}, { cpu_cores: '0' })).message).toBe('server_spec.cpu_cores must be between 1 and 32, got 0');
    const onlyMin: SpecTemplateField = { key: 'ips', fieldType: 'integer', min: 1n };
    const onlyMax: SpecTemplateField = { key: 'ips', fieldType: 'number', max: 4n };
    expect(refusedWith(() => resolveSpec([onlyMin], {}, { ips: '0' })).message).toBe('server_spec.ips must be at least 1, got 0');
    expect(refusedWith(() => resolveSpec([onlyMax], {}, { ips: '5' })).message).toBe('server_spec.ips must be at most 4, got 5');
    expect(resolveSpec([onlyMin], {}, { ips: '1' })).toEqual({ ips: '1' });
    expect(resolveSpec([onlyMax], {}, { ips: '4' })).toEqual({ ips: '4' });
  });

  it('takes the range bounds themselves', () => {
    expect(resolveSpec(FIELDS, {}, { cpu_cores: '1', disk_gb: '1000' })).toMatchObject({ cpu_cores: '1', disk_gb: '1000' });
    expect(resolveSpec(FIELDS, {}, { cpu_cores: '32', disk_gb: '10' })).toMatchObject({ cpu_cores: '32', disk_gb: '10' });
  });

  it('refuses values that are not whole numbers', () => {
    for (const value of ['2.5', 'two', '1e3', '0x10', '99999999999999999999']) {
      expect(refusedWith(() => resolveSpec(FIELDS, {}, { cpu_cores: value }))).toEqual({
        kind: 'invalid_argument', message: `server_spec.cpu_cores must be a whole number between 1 and 32, got ${JSON.stringify(value)}`,
      });
    }
  });

  it('refuses numbers off the step grid counted from min', () => {
    expect(resolveSpec(FIELDS, {}, { disk_gb: '50' })).toMatchObject({ disk_gb: '50' });
    expect(refusedWith(() => resolveSpec(FIELDS, {}, { disk_gb: '45' })).message).toBe('server_spec.disk_gb must be 10, 20, 30, … (steps of 10 from 10), got 45');
    const fromFive: SpecTemplateField = { key: 'slots', fieldType: 'slider', min: 5n, max: 100n, step: 10n };
    expect(resolveSpec([fromFive], {}, { slots: '25' })).toEqual({ slots: '25' });
    expect(refusedWith(() => resolveSpec([fromFive], {}, { slots: '20' })).message).toBe('server_spec.slots must be 5, 15, 25, … (steps of 10 from 5), got 20');
    const noMin: SpecTemplateField = { key: 'slots', fieldType: 'slider', step: 4n };
    expect(resolveSpec([noMin], {}, { slots: '8' })).toEqual({ slots: '8' });
    expect(refusedWith(() => resolveSpec([noMin], {}, { slots: '6' })).message).toBe('server_spec.slots must be 0, 4, 8, … (steps of 4), got 6');
  });

  it('takes only an enabled option of an option field', () => {
    expect(resolveSpec(FIELDS, {}, { os: 'windows-2022' })).toMatchObject({ os: 'windows-2022' });
    expect(refusedWith(() => resolveSpec(FIELDS, {}, { os: 'plan9' }))).toEqual({
      kind: 'invalid_argument', message: 'server_spec.os must be one of the offered options (choose one of "debian-12", "windows-2022"), got "plan9"',
    });
    expect(refusedWith(() => resolveSpec(FIELDS, {}, { os: 'solaris' })).message).toBe(
      'server_spec.os "solaris" is not available at the moment; choose one of "debian-12", "windows-2022"',
    );
    for (const fieldType of ['radio', 'os_options', 'region']) {
      const field: SpecTemplateField = { key: 'k', fieldType, options: [{ value: 'a' }] };
      expect(resolveSpec([field], {}, { k: 'a' })).toEqual({ k: 'a' });
      expect(refusedWith(() => resolveSpec([field], {}, { k: 'b' })).kind).toBe('invalid_argument');
    }
    // An option field declaring no options takes any value.
    expect(resolveSpec([{ key: 'region', fieldType: 'region', options: [] }], {}, { region: 'anywhere' })).toEqual({ region: 'anywhere' });
  });

  it('refuses a required field with no value, no product spec and no default; an optional one stays absent', () => {
    const hostname: SpecTemplateField = { key: 'hostname', label: 'Host name', fieldType: 'text', required: true };
    expect(refusedWith(() => resolveSpec([hostname], {}, {}))).toEqual({ kind: 'invalid_argument', message: 'server_spec.hostname is required (Host name)' });
    expect(refusedWith(() => resolveSpec([hostname], {}, { hostname: '  ' })).message).toBe('server_spec.hostname is required (Host name)');
    expect(resolveSpec([hostname], { hostname: 'from-product' }, {})).toEqual({ hostname: 'from-product' });
    expect(resolveSpec([{ ...hostname, required: false }], {}, { hostname: '' })).toEqual({});
    // Text fields are checked for presence only.
    expect(resolveSpec([hostname], {}, { hostname: 'anything at all' })).toEqual({ hostname: 'anything at all' });
  });

  it('checks values taken from the product\'s specs too', () => {
    expect(refusedWith(() => resolveSpec(FIELDS, { cpu_cores: '64' }, {})).message).toBe('server_spec.cpu_cores must be between 1 and 32, got 64');
  });
});

describe('priceSpec: the price of a spec', () => {
  it('costs the catalog price at the template defaults (a product without specs)', () => {
    expect(price({ cpu_cores: '2', memory_gb: '4', disk_gb: '40', os: 'debian-12' })).toMatchObject({ baseAmount: '20.00', specAmount: '0.00', amount: '20.00', lines: [] });
    expect(price({})).toMatchObject({ amount: '20.00', specAmount: '0.00' });
  });

  it('adds amount × (value − baseline) per month for number fields in mode add', () => {
    // 4 cores instead of 2: +20.00; 8 GB instead of 4: +20.00; 60 GB disk instead of 40: +10.00.
    const priced = price({ cpu_cores: '4', memory_gb: '8', disk_gb: '60' });
    expect(priced).toMatchObject({ baseAmount: '20.00', specAmount: '50.00', amount: '70.00' });
    expect(priced.lines).toEqual([
      { key: 'cpu_cores', kind: 'add', monthly: '20' }, { key: 'memory_gb', kind: 'add', monthly: '20' }, { key: 'disk_gb', kind: 'add', monthly: '10' },
    ]);
  });

  it('takes the product\'s specs as the baseline, so the product\'s own plan costs its catalog price', () => {
    const specs = { cpu_cores: '4', memory_gb: '8', disk_gb: '80' };
    expect(price({ cpu_cores: '4', memory_gb: '8', disk_gb: '80' }, { specs, catalog: '70.00' })).toMatchObject({ amount: '70.00', specAmount: '0.00' });
    expect(price({}, { specs, catalog: '70.00' })).toMatchObject({ amount: '70.00', values: { cpu_cores: '4', memory_gb: '8', disk_gb: '80' } });
    // Below the plan costs less: 2 cores fewer = −20.00.
    expect(price({ cpu_cores: '2' }, { specs, catalog: '70.00' })).toMatchObject({ amount: '50.00', specAmount: '-20.00' });
  });

  it('falls back to the default, then min, then 0 for the baseline when the product spec is not a whole number', () => {
    expect(price({ cpu_cores: '3' }, { specs: { cpu_cores: 'two' } })).toMatchObject({ specAmount: '10.00' });
    const noDefault: SpecTemplateField = { key: 'ips', fieldType: 'integer', min: 1n, max: 8n, priceImpact: { mode: 'add', amount: '3.00' } };
    expect(price({ ips: '3' }, { fields: [noDefault] })).toMatchObject({ specAmount: '6.00' });
    const noMin: SpecTemplateField = { key: 'ips', fieldType: 'integer', priceImpact: { mode: '', amount: '3.00' } };
    expect(price({ ips: '3' }, { fields: [noMin] })).toMatchObject({ specAmount: '9.00' });
  });

  it('multiplies the adds by the months of the cycle and adds them to the catalog cycle price', () => {
    expect(price({ cpu_cores: '3' }, { catalog: '55.00', months: 3 })).toMatchObject({ baseAmount: '55.00', specAmount: '30.00', amount: '85.00' });
    expect(price({ cpu_cores: '3' }, { catalog: '200.00', months: 12 })).toMatchObject({ specAmount: '120.00', amount: '320.00' });
  });

  it('adds an option\'s price_modifier less the baseline option\'s', () => {
    expect(price({ os: 'windows-2022' })).toMatchObject({ specAmount: '15.00', amount: '35.00', lines: [{ key: 'os', kind: 'add', monthly: '15' }] });
    // A product whose plan already includes Windows: Debian is 15.00 cheaper, Windows costs the catalog price.
    expect(price({ os: 'windows-2022' }, { specs: { os: 'windows-2022' }, catalog: '35.00' })).toMatchObject({ amount: '35.00' });
    expect(price({ os: 'debian-12' }, { specs: { os: 'windows-2022' }, catalog: '35.00' })).toMatchObject({ amount: '20.00', specAmount: '-15.00' });
    // Signed modifiers, and an option field whose price_impact says add explicitly.
    const region: SpecTemplateField = {
      key: 'region', fieldType: 'region', defaultValue: 'eu', priceImpact: { mode: 'add', amount: '' },
      options: [{ value: 'eu' }, { value: 'us', priceModifier: '-2.50' }, { value: 'ap', priceModifier: '+4' }],
    };
    expect(price({ region: 'us' }, { fields: [region] })).toMatchObject({ amount: '17.50' });
    expect(price({ region: 'ap' }, { fields: [region], months: 3, catalog: '60.00' })).toMatchObject({ amount: '72.00' });
  });

  it('multiplies by a multiply-mode option\'s factor (relative to the baseline option), after the adds', () => {
    const tier: SpecTemplateField = {
      key: 'tier', fieldType: 'radio', defaultValue: 'standard', priceImpact: { mode: 'multiply', amount: '' },
      options: [{ value: 'standard' }, { value: 'premium', priceModifier: '1.5' }, { value: 'budget', priceModifier: '0.8' }],
    };
    // (20.00 + 10.00 for one more core) × 1.5 = 45.00
    expect(price({ tier: 'premium', cpu_cores: '3' }, { fields: [CPU, tier] })).toMatchObject({ amount: '45.00', specAmount: '25.00' });
    expect(price({ tier: 'budget' }, { fields: [tier], months: 3, catalog: '55.00' })).toMatchObject({ amount: '44.00' });
    // The product's plan is premium: standard is premium ÷ 1.5.
    expect(price({ tier: 'standard' }, { fields: [tier], specs: { tier: 'premium' }, catalog: '30.00' })).toMatchObject({ amount: '20.00' });
    expect(price({ tier: 'premium' }, { fields: [tier], specs: { tier: 'premium' }, catalog: '30.00' })).toMatchObject({ amount: '30.00', lines: [] });
  });

  it('multiplies by amount^(value − baseline) for a number field in mode multiply', () => {
    const replicas: SpecTemplateField = { key: 'replicas', fieldType: 'integer', min: 1n, max: 5n, defaultValue: '1', priceImpact: { mode: 'multiply', amount: '2' } };
    expect(price({ replicas: '3' }, { fields: [replicas] })).toMatchObject({ amount: '80.00', lines: [{ key: 'replicas', kind: 'multiply', factor: '4' }] });
    expect(price({ replicas: '1' }, { fields: [replicas], specs: { replicas: '2' }, catalog: '40.00' })).toMatchObject({ amount: '20.00' });
  });

  it('rounds half-up to 2 decimals once, at the end', () => {
    const tier: SpecTemplateField = {
      key: 'tier', fieldType: 'select', defaultValue: 'a', priceImpact: { mode: 'multiply' }, options: [{ value: 'a' }, { value: 'b', priceModifier: '1.125' }],
    };
    // 10.02 × 1.125 = 11.2725 → 11.27; 10.04 × 1.125 = 11.295 → 11.30 (half-up)
    expect(price({ tier: 'b' }, { fields: [tier], catalog: '10.02' })).toMatchObject({ amount: '11.27', specAmount: '1.25' });
    expect(price({ tier: 'b' }, { fields: [tier], catalog: '10.04' })).toMatchObject({ amount: '11.30' });
    const third: SpecTemplateField = { key: 'gpu', fieldType: 'integer', defaultValue: '0', priceImpact: { mode: 'add', amount: '0.333' } };
    // 3 × 0.333 × 1 month = 0.999 → 21.00 on top of 20.00 (not 3 × 0.33)
    expect(price({ gpu: '3' }, { fields: [third] })).toMatchObject({ amount: '21.00' });
  });

  it('never goes below 0.00', () => {
    expect(price({ cpu_cores: '1', memory_gb: '1' }, { specs: { cpu_cores: '8', memory_gb: '16' }, catalog: '20.00' })).toMatchObject({ amount: '0.00', specAmount: '-20.00' });
  });

  it('prices nothing for fields without a price impact, text fields, and undeclared keys', () => {
    const plain: SpecTemplateField = { key: 'cpu_cores', fieldType: 'slider', min: 1n, max: 32n, defaultValue: '2' };
    const priced: SpecTemplateField = { key: 'note', fieldType: 'text', priceImpact: { mode: 'add', amount: '100.00' } };
    expect(price({ cpu_cores: '16', note: 'x', region: 'mars', extra: '9' }, { fields: [plain, priced] })).toMatchObject({ amount: '20.00', lines: [] });
    expect(price({ cpu_cores: '16' }, { fields: [] })).toMatchObject({ amount: '20.00', values: { cpu_cores: '16' } });
  });

  it('refuses a template whose price impact cannot be read, as the provider\'s fault', () => {
    const oddMode: SpecTemplateField = { ...CPU, priceImpact: { mode: 'percent', amount: '10' } };
    expect(refusedWith(() => price({ cpu_cores: '3' }, { fields: [oddMode] }))).toEqual({
      kind: 'failed_precondition',
      message: 'the provider\'s spec template cannot price server_spec.cpu_cores: price_impact.mode "percent" is neither "add" nor "multiply"; ask the operator to fix the provider plugin',
    });
    const oddAmount: SpecTemplateField = { ...CPU, priceImpact: { mode: 'add', amount: 'ten' } };
    expect(refusedWith(() => price({ cpu_cores: '3' }, { fields: [oddAmount] })).message).toMatch(/price_impact\.amount "ten" is not a decimal number/);
    const zeroFactor: SpecTemplateField = { key: 't', fieldType: 'select', priceImpact: { mode: 'multiply' }, options: [{ value: 'z', priceModifier: '0' }] };
    expect(refusedWith(() => price({ t: 'z' }, { fields: [zeroFactor] })).message).toMatch(/option "z" price_modifier "0" must be a factor greater than 0/);
    // At the baseline nothing is priced, so nothing needs reading.
    expect(price({ cpu_cores: '2' }, { fields: [oddMode] })).toMatchObject({ amount: '20.00' });
  });
});

describe('specOrderPrice: catalog cycle price and spec together', () => {
  const product = { pricePerMonth: '20.00', billingCycles: { monthly: '20.00', quarterly: '55.00' }, specs: { cpu_cores: '2' } };
  it('uses the listed cycle price, else the monthly price × months, as the base', () => {
    expect(specOrderPrice(product, 'quarterly', FIELDS, { cpu_cores: '4' })).toMatchObject({ baseAmount: '55.00', specAmount: '60.00', amount: '115.00' });
    expect(specOrderPrice(product, 'yearly', FIELDS, { cpu_cores: '4' })).toMatchObject({ baseAmount: '240.00', specAmount: '240.00', amount: '480.00' });
    expect(specOrderPrice(product, 'monthly', [], { cpu_cores: '4' })).toMatchObject({ amount: '20.00' });
  });
});

describe('chosenSpecValues / orderedSpecWith: an order\'s ServerSpec as values and back', () => {
  it('reads the sent fields (0 and "" are proto3\'s unset) and extra_specs', () => {
    expect(chosenSpecValues({ cpu_cores: 4, memory_gb: 0, disk_gb: 40, bandwidth_mbps: 0, region: '', os: 'debian-12', extra_specs: { gpu: '1' } })).toEqual({
      cpu_cores: '4', disk_gb: '40', os: 'debian-12', gpu: '1',
    });
    expect(chosenSpecValues({})).toEqual({});
  });

  it('writes resolved values back to the ServerSpec fields, the rest to extra_specs', () => {
    const spec = { cpu_cores: 0, memory_gb: 4, bandwidth_mbps: 100, region: 'local', os: '', extra_specs: { note: 'x' } };
    expect(orderedSpecWith(spec, { cpu_cores: '2', memory_gb: '4', os: 'debian-12', gpu: '1', region: 'local' })).toEqual({
      cpu_cores: 2, memory_gb: 4, bandwidth_mbps: 100, region: 'local', os: 'debian-12', extra_specs: { note: 'x', gpu: '1' },
    });
    // A number field holding something that is not a whole number keeps it, in extra_specs.
    expect(orderedSpecWith({}, { cpu_cores: 'lots' })).toEqual({ extra_specs: { cpu_cores: 'lots' } });
  });
});
