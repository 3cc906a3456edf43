import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { storedCycles } from '../../src/domain/catalog/prices.ts';
import { firstDuplicate, importedPrices, importedProducts, syncedProducts, upstreamIdentity, type ImportItem } from '../../src/domain/catalog/upstream.ts';
import { Decimal } from 'decimal.js';


describe('upstreamIdentity', () => {
  it('is the upstream product id spec when there is one, else the trimmed name', () => {
    expect(upstreamIdentity('items[0]', 'VPS', { upstream_product_id: ' 0192-up ' })).toBe('0192-up');
    expect(upstreamIdentity('items[0]', ' VPS ', { cpu: '1' })).toBe('VPS');
    expect(upstreamIdentity('items[0]', 'VPS', { upstream_product_id: '  ' })).toBe('VPS');
  });

  it('refuses an upstream id longer than external_id holds', () => {
    expect(refusal(() => upstreamIdentity('items[2]', 'VPS', { upstream_product_id: 'x'.repeat(256) })).message).toBe('items[2].specs.upstream_product_id must be at most 255 characters');
    expect(upstreamIdentity('items[2]', 'VPS', { upstream_product_id: 'x'.repeat(255) })).toHaveLength(255);
  });
});

describe('firstDuplicate', () => {
  it('finds the first value seen twice', () => {
    expect(firstDuplicate([])).toBeNull();
    expect(firstDuplicate(['a', 'b', 'c'])).toBeNull();
    expect(firstDuplicate(['a', 'b', 'c', 'b', 'a'])).toEqual([1, 3]);
  });
});

describe('syncedProducts', () => {
  it('validates what sync_products() returned, with defaults for what it left out', () => {
    const [plain, full] = syncedProducts([
      { name: ' Plan S ', pricePerMonth: '5.00' },
      { name: 'Plan M', description: 'medium', pricePerMonth: '9.00', costPrice: '6.00', isActive: false, specs: { upstream_product_id: 'u-9', cpu: '2' }, billingCycles: { monthly: '9.00', yearly: '90.00' } },
    ]);
    expect(plain).toMatchObject({ externalId: 'Plan S', name: 'Plan S', description: '', specs: {}, isActive: true });
    expect(plain?.costPrice.toFixed(2)).toBe('0.00');
    expect(storedCycles(plain.prices)).toEqual({ monthly: '5.00' });
    expect(full).toMatchObject({ externalId: 'u-9', name: 'Plan M', description: 'medium', isActive: false, specs: { upstream_product_id: 'u-9', cpu: '2' } });
    expect(full?.costPrice.toFixed(2)).toBe('6.00');
    expect(storedCycles(full.prices)).toEqual({ monthly: '9.00', yearly: '90.00' });
    expect(syncedProducts([])).toEqual([]);
  });

  it('refuses the whole sync as FailedPrecondition naming the product that cannot be stored', () => {
    const cases: Array<[Parameters<typeof syncedProducts>[0], RegExp]> = [
      [[{ name: 'ok', pricePerMonth: '1' }, { name: '', pricePerMonth: '1' }], /products\[1\]\.name is required/],
      [[{ name: 'x'.repeat(256), pricePerMonth: '1' }], /products\[0\]\.name must be at most 255 characters/],
      [[{ name: 'neg', pricePerMonth: '-1.00' }], /products\[0\]\.price_per_month must not be negative/],
      [[{ name: 'big', pricePerMonth: '10000000000.00' }], /products\[0\]\.price_per_month must be a decimal amount/],
      [[{ name: 'cost', pricePerMonth: '1.00', costPrice: '-2.00' }], /products\[0\]\.cost_price must not be negative/],
      [[{ name: 'cycles', pricePerMonth: '1.00', billingCycles: { weekly: '0.25' } }], /products\[0\]\.billing_cycles has an unknown billing cycle "weekly"/],
      [[{ name: 'monthly', pricePerMonth: '1.00', billingCycles: { monthly: '2.00' } }], /products\[0\]\.billing_cycles\.monthly \("2\.00"\) must equal price_per_month/],
      [[{ name: 'spec', pricePerMonth: '1.00', specs: { '': 'x' } }], /products\[0\]\.specs has an empty key/],
    ];
    for (const [products, message] of cases) {
      const error = refusal(() => syncedProducts(products));
      expect(error.kind, message.source).toBe('failed_precondition');
      expect(error.message, message.source).toMatch(/^the provider's sync_products\(\) returned a product the catalog cannot store: /);
      expect(error.message, message.source).toMatch(message);
    }
  });

  it('refuses two products with one identity', () => {
    const byName = refusal(() => syncedProducts([{ name: 'Twin', pricePerMonth: '1' }, { name: 'Other', pricePerMonth: '1' }, { name: ' Twin', pricePerMonth: '2' }]));
    expect(byName.kind).toBe('failed_precondition');
    expect(byName.message).toMatch(/products\[0\] and products\[2\] with the same identity "Twin"/);
    expect(refusal(() => syncedProducts([{ name: 'A', pricePerMonth: '1', specs: { upstream_product_id: 'u' } }, { name: 'B', pricePerMonth: '1', specs: { upstream_product_id: 'u' } }])).message).toMatch(/same identity "u"/);
    // Same name, different upstream ids: two products.
    expect(syncedProducts([{ name: 'A', pricePerMonth: '1', specs: { upstream_product_id: 'u1' } }, { name: 'A', pricePerMonth: '1', specs: { upstream_product_id: 'u2' } }])).toHaveLength(2);
  });
});

describe('importedProducts', () => {
  const item: ImportItem = { name: 'VPS-1C1G', description: '1核1G', specs: { cpu: '1' }, costPrice: '5.00' };

  it('validates the items with their identities', () => {
    const [first, second] = importedProducts([item, { ...item, name: 'VPS', specs: { upstream_product_id: 'u-1' }, costPrice: '0' }]);
    expect(first).toMatchObject({ externalId: 'VPS-1C1G', name: 'VPS-1C1G', description: '1核1G', specs: { cpu: '1' } });
    expect(first?.costPrice.toFixed(2)).toBe('5.00');
    expect(second?.externalId).toBe('u-1');
    expect(second?.costPrice.toFixed(2)).toBe('0.00');
  });

  it('refuses an empty list, bad fields and repeated items as InvalidArgument naming them', () => {
    expect(refusal(() => importedProducts([])).message).toMatch(/^items is required/);
    const cases: Array<[Partial<ImportItem>, RegExp]> = [
      [{ name: ' ' }, /^items\[1\]\.name is required/],
      [{ costPrice: '' }, /^items\[1\]\.cost_price is required/],
      [{ costPrice: '-5' }, /^items\[1\]\.cost_price must not be negative/],
      [{ costPrice: '5.001' }, /^items\[1\]\.cost_price must be a decimal amount/],
      [{ specs: { ' cpu': '1' } }, /^items\[1\]\.specs key "cpu" must not start or end with blanks/],
    ];
    for (const [change, message] of cases) {
      const error = refusal(() => importedProducts([{ ...item, name: 'other' }, { ...item, ...change }]));
      expect(error.kind, message.source).toBe('invalid_argument');
      expect(error.message, message.source).toMatch(message);
    }
    expect(refusal(() => importedProducts([item, { ...item, description: 'again' }])).message).toMatch(/^items\[0\] and items\[1\] are the same upstream product "VPS-1C1G"/);
  });

  it('prices a new import at its cost, monthly', () => {
    const prices = importedPrices(new Decimal('5.5'));
    expect(prices.pricePerMonth.toFixed(2)).toBe('5.50');
    expect(storedCycles(prices)).toEqual({ monthly: '5.50' });
  });
});
