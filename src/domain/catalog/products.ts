/**
 * Rules of a product's own fields (ProductService CreateProduct, UpdateProduct) and who sees which
 * products. Pure: the application service loads and stores, these rules decide.
 */
import { Decimal } from 'decimal.js';
import type { Caller } from '../identity/principal.ts';
import { parseMoney } from '../money.ts';
import { catalogName, parseSpecs } from './fields.ts';
import { changedPrices, newPrices, parseCycles, type ProductPrices } from './prices.ts';

/** Plugin types whose interfaces provision products (the guide's first-party and upstream providers). */
export const PROVIDER_PLUGIN_TYPES = ['first_party_provider', 'upstream_provider'] as const;

/** True when an interface of `pluginType` may be a product's `interface_id`. */
export function isProviderType(pluginType: string): boolean {
  return (PROVIDER_PLUGIN_TYPES as readonly string[]).includes(pluginType);
}

/**
 * Whether `caller` sees inactive products (ListProducts, GetProduct): admins (admin and operator)
 * do; anonymous callers, customers and API keys see active products only — an inactive product does
 * not exist for them.
 */
export function seesInactiveProducts(caller: Caller): boolean {
  return caller.kind === 'admin';
}

/** A product's own fields, validated. */
export interface ProductFields {
  name: string;
  description: string;
  prices: ProductPrices;
  costPrice: Decimal;
  specs: Record<string, string>;
}

/** CreateProduct's fields as sent. */
export interface ProductInput {
  name: string;
  description: string;
  pricePerMonth: string;
  billingCycles: Readonly<Record<string, string>>;
  /** `''` means 0 (no known cost). */
  costPrice: string;
  specs: Readonly<Record<string, string>>;
}

/**
 * The fields of a new product.
 * @throws DomainError invalid_argument naming the field: name (required, ≤ 255 after trimming),
 *   price_per_month (required money), billing_cycles (known cycles, money, monthly = price_per_month),
 *   cost_price (money), specs (named keys)
 */
export function productFields(input: ProductInput): ProductFields {
  const name = catalogName('name', input.name);
  const pricePerMonth = parseMoney('price_per_month', input.pricePerMonth);
  const cycles = parseCycles('billing_cycles', input.billingCycles);
  return {
    name,
    description: input.description,
    prices: newPrices(pricePerMonth, cycles),
    costPrice: input.costPrice === '' ? new Decimal(0) : parseMoney('cost_price', input.costPrice),
    specs: parseSpecs('specs', input.specs),
  };
}

/**
 * UpdateProduct's own fields: only those set change. `specs` and `billingCycles` replace the old
 * maps completely when they have entries; an empty map means "not sent" (proto3 cannot tell the two
 * apart).
 */
export interface ProductChange {
  name?: string;
  description?: string;
  pricePerMonth?: string;
  billingCycles?: Readonly<Record<string, string>>;
  costPrice?: string;
  specs?: Readonly<Record<string, string>>;
}

/**
 * The fields after `change` (see {@link changedPrices} for how the monthly price and the cycles move
 * together).
 * @throws DomainError invalid_argument naming the field, as {@link productFields}
 */
export function changedProductFields(current: ProductFields, change: ProductChange): ProductFields {
  const pricePerMonth = change.pricePerMonth !== undefined ? parseMoney('price_per_month', change.pricePerMonth) : undefined;
  const cycles = change.billingCycles !== undefined ? parseCycles('billing_cycles', change.billingCycles) : undefined;
  const specs = change.specs !== undefined && Object.keys(change.specs).length > 0 ? parseSpecs('specs', change.specs) : current.specs;
  return {
    name: change.name !== undefined ? catalogName('name', change.name) : current.name,
    description: change.description ?? current.description,
    prices: changedPrices(current.prices, { ...(pricePerMonth ? { pricePerMonth } : {}), ...(cycles ? { cycles } : {}) }),
    costPrice: change.costPrice !== undefined ? parseMoney('cost_price', change.costPrice) : current.costPrice,
    specs,
  };
}
