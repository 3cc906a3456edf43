import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  hasValidTaxNumber, invoiceTotals, normalizeCountry, parseTaxRuleInput, taxLine, taxRuleFor, type TaxedLine, type TaxRule,
} from '../../src/domain/billing/tax.ts';

/** The message of the invalid_argument refusal `run` throws. */
function invalidMessage(run: () => unknown): string {
  const error = refusal(run);
  if (error.kind !== 'invalid_argument') throw new Error(`expected invalid_argument, got ${error.kind}: ${error.message}`);
  return error.message;
}

function rule(id: string, country: string, region: string, rate: string, extra: Partial<TaxRule> = {}): TaxRule {
  return { id, country, region, rate, reverseCharge: false, name: 'VAT', isActive: true, ...extra };
}

const exclusive = { pricesIncludeTax: false, customerTaxNumber: '' };
const inclusive = { pricesIncludeTax: true, customerTaxNumber: '' };

describe('normalizeCountry', () => {
  it('trims and uppercases two letters, keeps empty', () => {
    expect(normalizeCountry('country', ' de ')).toBe('DE');
    expect(normalizeCountry('country', 'Us')).toBe('US');
    expect(normalizeCountry('country', '')).toBe('');
    expect(normalizeCountry('country', '   ')).toBe('');
  });

  it('refuses anything else, naming the field', () => {
    for (const bad of ['DEU', 'D', 'D1', 'U S', 'ÄB', '12']) {
      expect(invalidMessage(() => normalizeCountry('billing_country', bad)), bad).toMatch(/^billing_country must be a two-letter ISO 3166-1 country code/);
    }
  });
});

describe('parseTaxRuleInput', () => {
  const input = { country: ' de ', region: ' Bavaria ', rate: '19', reverseCharge: true, name: ' VAT ', isActive: true };

  it('normalises every field', () => {
    expect(parseTaxRuleInput(input)).toEqual({ country: 'DE', region: 'Bavaria', rate: '19.00', reverseCharge: true, name: 'VAT', isActive: true });
    expect(parseTaxRuleInput({ ...input, region: '', rate: '0', reverseCharge: false, isActive: false })).toEqual({
      country: 'DE', region: '', rate: '0.00', reverseCharge: false, name: 'VAT', isActive: false,
    });
    expect(parseTaxRuleInput({ ...input, rate: '100' }).rate).toBe('100.00');
    expect(parseTaxRuleInput({ ...input, rate: '7.25' }).rate).toBe('7.25');
    expect(parseTaxRuleInput({ ...input, region: 'r'.repeat(64) }).region).toHaveLength(64);
    expect(parseTaxRuleInput({ ...input, name: 'n'.repeat(100) }).name).toHaveLength(100);
  });

  it('names the field it refuses', () => {
    const cases: Array<[Partial<typeof input>, RegExp]> = [
      [{ country: '' }, /^country is required/],
      [{ country: 'DEU' }, /^country must be a two-letter/],
      [{ region: 'r'.repeat(65) }, /^region must be at most 64 characters \(got 65\)$/],
      [{ rate: '100.01' }, /^rate must be a percentage from 0 to 100/],
      [{ rate: '-1' }, /^rate must not be negative/],
      [{ rate: '19.125' }, /^rate must be a decimal amount/],
      [{ rate: '' }, /^rate is required/],
      [{ name: '  ' }, /^name is required/],
      [{ name: 'n'.repeat(101) }, /^name must be at most 100 characters \(got 101\)$/],
    ];
    for (const [change, expected] of cases) {
      expect(invalidMessage(() => parseTaxRuleInput({ ...input, ...change })), JSON.stringify(change)).toMatch(expected);
    }
  });
});

describe('taxRuleFor', () => {
  const germany = rule('de', 'DE', '', '19.00');
  const unitedStates = rule('us', 'US', '', '0.00');
  const california = rule('us-ca', 'US', 'CA', '7.25');
  const texasOff = rule('us-tx', 'US', 'TX', '6.25', { isActive: false });
  const canadaOntario = rule('ca-on', 'CA', 'Ontario', '13.00');
  const franceOff = rule('fr', 'FR', '', '20.00', { isActive: false });
  const rules = [germany, unitedStates, california, texasOff, canadaOntario, franceOff];

  it('prefers the region rule, case-insensitively, over the country rule', () => {
    expect(taxRuleFor(rules, { country: 'US', region: 'CA' })).toBe(california);
    expect(taxRuleFor(rules, { country: 'us', region: ' ca ' })).toBe(california);
    expect(taxRuleFor(rules, { country: 'CA', region: 'ONTARIO' })).toBe(canadaOntario);
  });

  it('falls back to the country rule', () => {
    expect(taxRuleFor(rules, { country: 'US', region: 'NY' })).toBe(unitedStates);
    expect(taxRuleFor(rules, { country: 'US', region: '' })).toBe(unitedStates);
    expect(taxRuleFor(rules, { country: 'de', region: 'Bavaria' })).toBe(germany);
  });

  it('ignores inactive rules', () => {
    expect(taxRuleFor(rules, { country: 'US', region: 'TX' })).toBe(unitedStates);
    expect(taxRuleFor(rules, { country: 'FR', region: '' })).toBeNull();
  });

  it('gives null without a country or a matching rule', () => {
    expect(taxRuleFor(rules, { country: '', region: 'CA' })).toBeNull();
    expect(taxRuleFor(rules, { country: 'CA', region: 'Quebec' })).toBeNull();
    expect(taxRuleFor(rules, { country: 'CA', region: '' })).toBeNull();
    expect(taxRuleFor(rules, { country: 'JP', region: '' })).toBeNull();
    expect(taxRuleFor([], { country: 'DE', region: '' })).toBeNull();
  });

  it('takes the first of equal rules', () => {
    const second = rule('de-2', 'DE', '', '7.00');
    expect(taxRuleFor([germany, second], { country: 'DE', region: '' })).toBe(germany);
    expect(taxRuleFor([second, germany], { country: 'DE', region: '' })).toBe(second);
  });
});

describe('hasValidTaxNumber', () => {
  it('accepts 5–32 letters, digits, spaces and dashes with at least 5 letters or digits', () => {
    for (const good of ['DE123456789', ' DE 123 456 789 ', '12345', 'DE 1-2 3', 'GB-123-456-789', 'A'.repeat(32), 'atu12345678']) {
      expect(hasValidTaxNumber(good), good).toBe(true);
    }
    for (const bad of ['', '1234', '12-34', '-----', 'A B C D', 'A'.repeat(33), 'DE12345/6', 'DE.123456', 'DE_123456', 'ÄÖ12345']) {
      expect(hasValidTaxNumber(bad), bad).toBe(false);
    }
  });
});

describe('taxLine', () => {
  const vat13 = rule('ca-on', 'CA', 'ON', '13.00');
  const vat19 = rule('de', 'DE', '', '19.00', { reverseCharge: true });

  it('passes the price through without a rule', () => {
    expect(taxLine('10.5', null, exclusive)).toEqual({ net: '10.50', tax: '0.00', gross: '10.50', rate: '0.00', exempt: false });
    expect(taxLine('10.5', null, inclusive)).toEqual({ net: '10.50', tax: '0.00', gross: '10.50', rate: '0.00', exempt: false });
  });

  it('adds tax to prices without tax, half-up per line', () => {
    expect(taxLine('9.99', vat13, exclusive)).toEqual({ net: '9.99', tax: '1.30', gross: '11.29', rate: '13.00', exempt: false });
    expect(taxLine('100', vat13, exclusive)).toEqual({ net: '100.00', tax: '13.00', gross: '113.00', rate: '13.00', exempt: false });
    // 0.50 × 5 % = 0.025 → 0.03
    expect(taxLine('0.50', rule('x', 'XX', '', '5.00'), exclusive)).toEqual({ net: '0.50', tax: '0.03', gross: '0.53', rate: '5.00', exempt: false });
    // 19.99 × 7.25 % = 1.449275 → 1.45
    expect(taxLine('19.99', rule('x', 'US', 'CA', '7.25'), exclusive)).toEqual({ net: '19.99', tax: '1.45', gross: '21.44', rate: '7.25', exempt: false });
    expect(taxLine('10.00', rule('x', 'XX', '', '0.00'), exclusive)).toEqual({ net: '10.00', tax: '0.00', gross: '10.00', rate: '0.00', exempt: false });
  });

  it('takes tax out of prices with tax', () => {
    expect(taxLine('113.00', vat13, inclusive)).toEqual({ net: '100.00', tax: '13.00', gross: '113.00', rate: '13.00', exempt: false });
    // 9.99 / 1.13 = 8.8407… → 8.84
    expect(taxLine('9.99', vat13, inclusive)).toEqual({ net: '8.84', tax: '1.15', gross: '9.99', rate: '13.00', exempt: false });
    // 0.05 / 2 = 0.025 → net 0.03, tax 0.02
    expect(taxLine('0.05', rule('x', 'XX', '', '100.00'), inclusive)).toEqual({ net: '0.03', tax: '0.02', gross: '0.05', rate: '100.00', exempt: false });
  });

  it('taxes a negative (discount) line negatively, rounding half away from zero', () => {
    expect(taxLine('-10.00', vat19, exclusive)).toEqual({ net: '-10.00', tax: '-1.90', gross: '-11.90', rate: '19.00', exempt: false });
    expect(taxLine('-0.50', rule('x', 'XX', '', '5.00'), exclusive)).toEqual({ net: '-0.50', tax: '-0.03', gross: '-0.53', rate: '5.00', exempt: false });
  });

  it('charges no tax under the reverse charge with a valid tax number', () => {
    const business = { pricesIncludeTax: false, customerTaxNumber: 'DE123456789' };
    expect(taxLine('100.00', vat19, business)).toEqual({ net: '100.00', tax: '0.00', gross: '100.00', rate: '0.00', exempt: true });
    expect(taxLine('119.00', vat19, { ...business, pricesIncludeTax: true })).toEqual({ net: '100.00', tax: '0.00', gross: '100.00', rate: '0.00', exempt: true });
    expect(taxLine('9.99', { ...vat19, rate: '13.00' }, { ...business, pricesIncludeTax: true })).toEqual({
      net: '8.84', tax: '0.00', gross: '8.84', rate: '0.00', exempt: true,
    });
  });

  it('charges tax under a reverse-charge rule without a valid tax number, and never reverse-charges otherwise', () => {
    for (const number of ['', 'DE12', '   ', 'DE/123456']) {
      expect(taxLine('100.00', vat19, { pricesIncludeTax: false, customerTaxNumber: number }), number).toEqual({
        net: '100.00', tax: '19.00', gross: '119.00', rate: '19.00', exempt: false,
      });
    }
    expect(taxLine('100.00', { ...vat19, reverseCharge: false }, { pricesIncludeTax: false, customerTaxNumber: 'DE123456789' })).toEqual({
      net: '100.00', tax: '19.00', gross: '119.00', rate: '19.00', exempt: false,
    });
  });

  it('refuses a bad price', () => {
    expect(invalidMessage(() => taxLine('1.005', vat13, exclusive))).toMatch(/^price must be a decimal amount/);
    expect(invalidMessage(() => taxLine('', null, exclusive))).toBe('price is required');
  });
});

describe('invoiceTotals', () => {
  it('sums the lines, so the total is amount + tax exactly', () => {
    const line = taxLine('9.99', rule('ca-on', 'CA', 'ON', '13.00'), exclusive);
    expect(invoiceTotals([line, line, line])).toEqual({ amount: '29.97', taxAmount: '3.90', totalAmount: '33.87' });
  });

  it('keeps the per-line rounding (three 0.005 taxes make 0.03, not 0.02)', () => {
    const line = taxLine('0.10', rule('x', 'XX', '', '5.00'), exclusive);
    expect(line.tax).toBe('0.01');
    expect(invoiceTotals([line, line, line])).toEqual({ amount: '0.30', taxAmount: '0.03', totalAmount: '0.33' });
  });

  it('mixes taxed, untaxed, exempt and discount lines', () => {
    const lines: TaxedLine[] = [
      taxLine('100.00', rule('de', 'DE', '', '19.00'), exclusive),
      taxLine('20.00', null, exclusive),
      taxLine('-10.00', rule('de', 'DE', '', '19.00'), exclusive),
      { net: '50.00', tax: '0.00', gross: '50.00', rate: '0.00', exempt: true },
    ];
    expect(invoiceTotals(lines)).toEqual({ amount: '160.00', taxAmount: '17.10', totalAmount: '177.10' });
  });

  it('gives zeros for no lines', () => {
    expect(invoiceTotals([])).toEqual({ amount: '0.00', taxAmount: '0.00', totalAmount: '0.00' });
  });

  it('refuses totals beyond NUMERIC(12,2)', () => {
    const big: TaxedLine = { net: '9000000000.00', tax: '0.00', gross: '9000000000.00', rate: '0.00', exempt: false };
    const error = refusal(() => invoiceTotals([big, big]));
    expect(error.kind).toBe('failed_precondition');
    expect(error.message).toMatch(/sum to more than 9999999999\.99/);
  });
});
