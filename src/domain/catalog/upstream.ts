/**
 * Products that come from a provider (ProductService SyncProducts, ImportUpstreamProducts) and how
 * they are recognised on the next sync or import. Pure.
 *
 * Identity: a provider product is the same product again when it has the same **identity** within
 * the same provider interface. The identity is the spec `upstream_product_id` when the provider
 * sends one (provider-rustbill does: the upstream's product id), otherwise the product's name
 * (trimmed), e.g. provider-incus's plan names. It is stored as the product's `external_id`, unique
 * per interface, so a second sync or import updates the product instead of adding a copy.
 */
import { Decimal } from 'decimal.js';
import { DomainError, invalid, refused } from '../errors.ts';
import { parseMoney } from '../money.ts';
import { catalogName, MAX_NAME_CHARS, parseSpecs } from './fields.ts';
import { newPrices, parseCycles, type ProductPrices } from './prices.ts';

/** The spec that carries the upstream's own product id. */
export const UPSTREAM_ID_SPEC = 'upstream_product_id';

/**
 * The identity of a provider product (see the file comment).
 * @throws DomainError invalid_argument (naming `field`) when it is longer than 255 characters
 */
export function upstreamIdentity(field: string, name: string, specs: Readonly<Record<string, string>>): string {
  const upstreamId = (specs[UPSTREAM_ID_SPEC] ?? '').trim();
  if (upstreamId.length > MAX_NAME_CHARS) throw invalid(`${field}.specs.${UPSTREAM_ID_SPEC} must be at most ${MAX_NAME_CHARS} characters`);
  return upstreamId !== '' ? upstreamId : name.trim();
}

/** A product as a provider plugin's `sync_products()` describes it (the plugin registry's reading of it). */
export interface ProviderProduct {
  name?: string;
  description?: string;
  pricePerMonth?: string;
  costPrice?: string;
  isActive?: boolean;
  specs?: { [key: string]: string };
  billingCycles?: { [key: string]: string };
}

/** A synced product, validated: what is stored for it. */
export interface SyncedProduct {
  externalId: string;
  name: string;
  description: string;
  prices: ProductPrices;
  costPrice: Decimal;
  specs: Record<string, string>;
  isActive: boolean;
}

/** Throws `error` again as failed_precondition when it is an invalid_argument (the plugin's fault, not the caller's). */
function asProviderFault(work: () => SyncedProduct): SyncedProduct {
  try {
    return work();
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'invalid_argument') {
      throw refused(`the provider's sync_products() returned a product the catalog cannot store: ${error.message}; nothing was synced — fix the plugin or its config`);
    }
    throw error;
  }
}

/**
 * What `sync_products()` returned, validated as products (names, money, cycles as in CreateProduct;
 * cost price 0 when absent; active unless it says otherwise) with their identities.
 * @throws DomainError failed_precondition naming the product (`products[2].…`) when one cannot be
 *   stored, or when two share an identity — the whole sync is refused, nothing is stored
 */
export function syncedProducts(products: readonly ProviderProduct[]): SyncedProduct[] {
  const synced = products.map((product, index) =>
    asProviderFault(() => {
      const field = `products[${index}]`;
      const name = catalogName(`${field}.name`, product.name ?? '');
      const specs = parseSpecs(`${field}.specs`, product.specs ?? {});
      const pricePerMonth = parseMoney(`${field}.price_per_month`, product.pricePerMonth ?? '');
      return {
        externalId: upstreamIdentity(field, name, specs),
        name,
        description: product.description ?? '',
        prices: newPrices(pricePerMonth, parseCycles(`${field}.billing_cycles`, product.billingCycles ?? {}), `${field}.billing_cycles`),
        costPrice: product.costPrice === undefined || product.costPrice === '' ? new Decimal(0) : parseMoney(`${field}.cost_price`, product.costPrice),
        specs,
        isActive: product.isActive ?? true,
      };
    }),
  );
  const duplicate = firstDuplicate(synced.map((product) => product.externalId));
  if (duplicate) {
    throw refused(
      `the provider's sync_products() returned products[${duplicate[0]}] and products[${duplicate[1]}] with the same identity "${synced[duplicate[1]]?.externalId ?? ''}" (the spec "${UPSTREAM_ID_SPEC}", or the name when there is none); nothing was synced`,
    );
  }
  return synced;
}

/** An UpstreamProductItem as sent. */
export interface ImportItem {
  name: string;
  description: string;
  specs: Readonly<Record<string, string>>;
  costPrice: string;
}

/** An item to import, validated. */
export interface ImportedProduct {
  externalId: string;
  name: string;
  description: string;
  specs: Record<string, string>;
  costPrice: Decimal;
}

/**
 * ImportUpstreamProducts' items, validated, with their identities.
 * @throws DomainError invalid_argument naming the field (`items` when empty, `items[1].cost_price`,
 *   …) or the two items that share an identity
 */
export function importedProducts(items: readonly ImportItem[]): ImportedProduct[] {
  if (items.length === 0) throw invalid('items is required: send at least one upstream product to import');
  const imported = items.map((item, index) => {
    const field = `items[${index}]`;
    const name = catalogName(`${field}.name`, item.name);
    const specs = parseSpecs(`${field}.specs`, item.specs);
    return {
      externalId: upstreamIdentity(field, name, specs),
      name,
      description: item.description,
      specs,
      costPrice: parseMoney(`${field}.cost_price`, item.costPrice),
    };
  });
  const duplicate = firstDuplicate(imported.map((item) => item.externalId));
  if (duplicate) {
    throw invalid(
      `items[${duplicate[0]}] and items[${duplicate[1]}] are the same upstream product "${imported[duplicate[1]]?.externalId ?? ''}" (same spec "${UPSTREAM_ID_SPEC}", or the same name when there is none); send each once`,
    );
  }
  return imported;
}

/** The indexes of the first value that occurs twice in `values` (first and second occurrence), or null. */
export function firstDuplicate(values: readonly string[]): [number, number] | null {
  const seen = new Map<string, number>();
  for (const [index, value] of values.entries()) {
    const first = seen.get(value);
    if (first !== undefined) return [first, index];
    seen.set(value, index);
  }
  return null;
}

/** The prices of a newly imported product: its cost price, monthly (set the selling price with BatchUpdatePrice). */
export function importedPrices(costPrice: Decimal): ProductPrices {
  return newPrices(costPrice, {});
}
