import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { catalogName, groupSortOrder, MAX_SORT_ORDER, parseSpecs } from '../../src/domain/catalog/fields.ts';
import { storedCycles } from '../../src/domain/catalog/prices.ts';
import { changedProductFields, isProviderType, productFields, seesInactiveProducts, type ProductFields, type ProductInput } from '../../src/domain/catalog/products.ts';
import { categoryDeletionRefusal, groupDeletionRefusal } from '../../src/domain/catalog/structure.ts';
import type { Caller } from '../../src/domain/identity/principal.ts';
import { uuidListField } from '../../src/grpc/fields.ts';


function summary(fields: ProductFields): Record<string, unknown> {
  return { name: fields.name, description: fields.description, price: fields.prices.pricePerMonth.toFixed(2), cycles: storedCycles(fields.prices), cost: fields.costPrice.toFixed(2), specs: fields.specs };
}

const input: ProductInput = { name: 'VPS-1C2G', description: '1 core', pricePerMonth: '29.00', billingCycles: { yearly: '290' }, costPrice: '', specs: { region: 'us-west', cpu: '1' } };

describe('catalogName', () => {
  it('trims and keeps names of 1 to 255 characters', () => {
    expect(catalogName('name', '  VPS  ')).toBe('VPS');
    expect(catalogName('name', 'x'.repeat(255))).toHaveLength(255);
    expect(catalogName('name', ` ${'x'.repeat(255)} `)).toHaveLength(255);
  });

  it('refuses empty and too long names, naming the field', () => {
    expect(refusal(() => catalogName('name', '')).message).toBe('name is required');
    expect(refusal(() => catalogName('items[3].name', ' \t ')).message).toBe('items[3].name is required');
    expect(refusal(() => catalogName('name', 'x'.repeat(256))).message).toMatch(/^name must be at most 255 characters after trimming, got 256/);
  });
});

describe('groupSortOrder', () => {
  it('keeps whole numbers from 0 to the largest integer column value', () => {
    expect(groupSortOrder(0)).toBe(0);
    expect(groupSortOrder(MAX_SORT_ORDER)).toBe(2_147_483_647);
  });

  it('refuses what the column cannot hold', () => {
    for (const bad of [MAX_SORT_ORDER + 1, 4_294_967_295, -1, 1.5]) expect(refusal(() => groupSortOrder(bad)).message, String(bad)).toMatch(/^sort_order must be a whole number/);
  });
});

describe('parseSpecs', () => {
  it('keeps named keys with any values', () => {
    expect(parseSpecs('specs', { region: 'us-west', note: ' spaced value ', empty: '' })).toEqual({ region: 'us-west', note: ' spaced value ', empty: '' });
    expect(parseSpecs('specs', {})).toEqual({});
  });

  it('refuses empty keys and keys with surrounding blanks', () => {
    expect(refusal(() => parseSpecs('specs', { '': 'x' })).message).toMatch(/^specs has an empty key/);
    expect(refusal(() => parseSpecs('items[0].specs', { '  ': 'x' })).message).toMatch(/^items\[0\]\.specs has an empty key/);
    expect(refusal(() => parseSpecs('specs', { ' region': 'x' })).message).toBe('specs key "region" must not start or end with blanks');
  });
});

describe('productFields', () => {
  it('validates a new product; an empty cost price is 0', () => {
    expect(summary(productFields({ ...input, name: ' VPS-1C2G ' }))).toEqual({
      name: 'VPS-1C2G', description: '1 core', price: '29.00', cycles: { monthly: '29.00', yearly: '290.00' }, cost: '0.00', specs: { region: 'us-west', cpu: '1' },
    });
    expect(summary(productFields({ ...input, costPrice: '12.5' })).cost).toBe('12.50');
  });

  it('refuses each bad field with InvalidArgument naming it', () => {
    const cases: Array<[Partial<ProductInput>, RegExp]> = [
      [{ name: '' }, /^name is required/],
      [{ pricePerMonth: '' }, /^price_per_month is required/],
      [{ pricePerMonth: '-1' }, /^price_per_month must not be negative/],
      [{ pricePerMonth: '1.001' }, /^price_per_month must be a decimal amount with at most 2 decimal places/],
      [{ pricePerMonth: 'abc' }, /^price_per_month must be a decimal amount/],
      [{ costPrice: '-0.01' }, /^cost_price must not be negative/],
      [{ costPrice: '1.234' }, /^cost_price must be a decimal amount/],
      [{ billingCycles: { weekly: '1' } }, /^billing_cycles has an unknown billing cycle "weekly"/],
      [{ billingCycles: { quarterly: '1.999' } }, /^billing_cycles\.quarterly must be a decimal amount/],
      [{ billingCycles: { monthly: '30' } }, /^billing_cycles\.monthly \("30\.00"\) must equal price_per_month/],
      [{ specs: { '': 'x' } }, /^specs has an empty key/],
    ];
    for (const [change, message] of cases) {
      const error = refusal(() => productFields({ ...input, ...change }));
      expect(error.kind, JSON.stringify(change)).toBe('invalid_argument');
      expect(error.message, JSON.stringify(change)).toMatch(message);
    }
  });
});

describe('changedProductFields', () => {
  const current = productFields({ ...input, billingCycles: { quarterly: '80', yearly: '290' }, costPrice: '10' });

  it('changes only the fields set; empty maps mean "not sent"', () => {
    expect(summary(changedProductFields(current, {}))).toEqual(summary(current));
    expect(summary(changedProductFields(current, { specs: {}, billingCycles: {} }))).toEqual(summary(current));
    expect(summary(changedProductFields(current, { name: ' New ', description: '', costPrice: '11' }))).toEqual({ ...summary(current), name: 'New', description: '', cost: '11.00' });
  });

  it('replaces the maps completely when they have entries', () => {
    const changed = changedProductFields(current, { specs: { region: 'eu' }, billingCycles: { yearly: '300' } });
    expect(changed.specs).toEqual({ region: 'eu' });
    expect(storedCycles(changed.prices)).toEqual({ monthly: '29.00', yearly: '300.00' });
  });

  it('moves the monthly cycle with the monthly price', () => {
    expect(storedCycles(changedProductFields(current, { pricePerMonth: '35' }).prices)).toEqual({ monthly: '35.00', quarterly: '80.00', yearly: '290.00' });
  });

  it('refuses bad fields as on creation', () => {
    expect(refusal(() => changedProductFields(current, { name: '  ' })).message).toBe('name is required');
    expect(refusal(() => changedProductFields(current, { pricePerMonth: '1e3' })).message).toMatch(/^price_per_month /);
    expect(refusal(() => changedProductFields(current, { costPrice: '' })).message).toBe('cost_price is required');
    expect(refusal(() => changedProductFields(current, { billingCycles: { daily: '1' } })).message).toMatch(/unknown billing cycle "daily"/);
    expect(refusal(() => changedProductFields(current, { pricePerMonth: '30', billingCycles: { monthly: '31' } })).message).toMatch(/must equal price_per_month/);
  });
});

describe('who sees inactive products', () => {
  it('admins and operators only', () => {
    const callers: Array<[Caller, boolean]> = [
      [{ kind: 'admin', userId: 'a', username: 'a', role: 'admin', sessionId: 's' }, true],
      [{ kind: 'admin', userId: 'o', username: 'o', role: 'operator', sessionId: 's' }, true],
      [{ kind: 'customer', userId: 'c', username: 'c', customerId: 'x', tokenId: 't' }, false],
      [{ kind: 'apikey', keyId: 'k', customerId: 'x' }, false],
      [{ kind: 'anonymous' }, false],
    ];
    for (const [caller, sees] of callers) expect(seesInactiveProducts(caller), caller.kind).toBe(sees);
  });
});

describe('provider interfaces', () => {
  it('are first-party and upstream providers, not gateways or notifiers', () => {
    expect(isProviderType('first_party_provider')).toBe(true);
    expect(isProviderType('upstream_provider')).toBe(true);
    expect(isProviderType('gateway')).toBe(false);
    expect(isProviderType('notifier')).toBe(false);
    expect(isProviderType('')).toBe(false);
  });
});

describe('deletion while in use', () => {
  it('refuses a category with groups and a group with products, naming how many', () => {
    expect(categoryDeletionRefusal({ id: 'c1', name: 'Cloud' }, 0)).toBeNull();
    expect(categoryDeletionRefusal({ id: 'c1', name: 'Cloud' }, 1)?.message).toMatch(/^category "Cloud" \(c1\) still has 1 product group;/);
    expect(categoryDeletionRefusal({ id: 'c1', name: 'Cloud' }, 3)?.message).toMatch(/still has 3 product groups;/);
    expect(groupDeletionRefusal({ id: 'g1', name: 'Small' }, 0)).toBeNull();
    expect(groupDeletionRefusal({ id: 'g1', name: 'Small' }, 1)?.message).toMatch(/^product group "Small" \(g1\) still has 1 product;/);
    const refused = groupDeletionRefusal({ id: 'g1', name: 'Small' }, 12);
    expect(refused?.kind).toBe('failed_precondition');
    expect(refused?.message).toMatch(/still has 12 products;/);
  });
});

describe('uuidListField (batch ids at the edge)', () => {
  const a = '0192a123-4567-7890-abcd-ef0123456789';
  const b = '0192a123-4567-7890-abcd-ef012345678a';

  it('lowercases and drops duplicates, keeping the first order', () => {
    expect(uuidListField('product_ids', [b, a.toUpperCase(), b])).toEqual([b, a]);
  });

  it('refuses an empty list and names the item that is not a UUID', () => {
    expect(refusal(() => uuidListField('product_ids', [])).message).toMatch(/^product_ids is required/);
    expect(refusal(() => uuidListField('product_ids', [a, 'id2'])).message).toBe('product_ids[1] "id2" is not a UUID');
    expect(refusal(() => uuidListField('product_ids', [''])).message).toBe('product_ids[0] is required');
  });
});

describe('Decimal sanity of stored money', () => {
  it('keeps the amounts as decimals, never as numbers', () => {
    expect(productFields({ ...input, pricePerMonth: '0.10', billingCycles: {} }).prices.pricePerMonth).toBeInstanceOf(Decimal);
  });
});
