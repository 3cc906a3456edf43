/**
 * The catalog's application services against a real, migrated PostgreSQL database, with a
 * provider port of the test's own (no plugin engine): queries, transactions, audit rows, sync and
 * import identity, concurrent syncs, and the races deletion must win or lose cleanly.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCatalog, type Catalog } from '../../src/application/index.ts';
import type { ProviderProducts } from '../../src/application/catalog/provider-products.ts';
import type { Origin } from '../../src/domain/origin.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { ImportItem, ProviderProduct } from '../../src/domain/catalog/upstream.ts';
import type { Caller } from '../../src/domain/identity/principal.ts';
import { resolvePage } from '../../src/domain/pagination.ts';
import { newId } from '../../src/lib/ids.ts';
import { createOrm } from '../../src/persistence/orm.ts';
import { PluginError } from '../../src/plugins/types.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';

const ADMIN: Caller = { kind: 'admin', userId: newId(), username: 'catalog-admin', role: 'admin', sessionId: newId() };
const CUSTOMER: Caller = { kind: 'customer', userId: newId(), username: 'buyer', customerId: newId(), tokenId: newId() };
const ANONYMOUS: Caller = { kind: 'anonymous' };
const origin: Origin = { caller: ADMIN, clientAddress: '192.0.2.7', requestId: 'req-catalog' };
const PAGE = resolvePage({ page: 1, pageSize: 100 });

/** A provider port answering whatever the test puts into `next` (or throwing `failure`). */
class FakeProvider implements ProviderProducts {
  next: ProviderProduct[] = [];
  failure: unknown = null;
  calls: Array<{ interfaceId: string; groupId: string }> = [];
  async syncProducts(interfaceId: string, groupId: string): Promise<readonly ProviderProduct[]> {
    this.calls.push({ interfaceId, groupId });
    if (this.failure !== null) throw this.failure;
    return this.next.map((product) => ({ ...product }));
  }
}

let db: MigratedTestDatabase;
let orm: MikroORM;
let sql: pg.Client;
let provider: FakeProvider;
let catalog: Catalog;
let providerId: string;
let gatewayId: string;

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(() => new Error('expected a refusal, got success'), (thrown: unknown) => thrown);
  if (!(error instanceof DomainError)) throw error;
  return error;
}

async function interfaceRow(pluginType: string, displayName: string): Promise<string> {
  const id = newId();
  await sql.query(`insert into plugin_interfaces (id, plugin_type, plugin_id, display_name, enabled) values ($1, $2, $3, $4, true)`, [id, pluginType, `p-${id.slice(-6)}`, displayName]);
  return id;
}

async function auditRows(targetId: string): Promise<Array<{ action: string; admin_username: string; details: Record<string, unknown>; request_id: string }>> {
  const { rows } = await sql.query('select action, admin_username, details, request_id from operation_logs where target_id = $1 order by created_at, id', [targetId]);
  return rows;
}

function product(overrides: Partial<{ name: string; pricePerMonth: string; billingCycles: Record<string, string>; costPrice: string; specs: Record<string, string>; groupId: string }> = {}) {
  return {
    name: overrides.name ?? `VPS ${newId().slice(-6)}`,
    description: 'a server',
    pricePerMonth: overrides.pricePerMonth ?? '10.00',
    billingCycles: overrides.billingCycles ?? {},
    costPrice: overrides.costPrice ?? '5.00',
    specs: overrides.specs ?? {},
    interfaceId: providerId,
    ...(overrides.groupId !== undefined ? { groupId: overrides.groupId } : {}),
  };
}

beforeAll(async () => {
  db = await migratedTestDatabase();
  orm = await createOrm({ url: db.url, poolMin: 0, poolMax: 6 });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  provider = new FakeProvider();
  catalog = createCatalog({ orm, providers: provider });
  providerId = await interfaceRow('first_party_provider', 'Cloud A');
  gatewayId = await interfaceRow('gateway', 'Pay');
});

afterAll(async () => {
  await sql?.end();
  await orm?.close();
  await db?.drop();
});

beforeEach(() => {
  provider.next = [];
  provider.failure = null;
  provider.calls = [];
});

describe('products', () => {
  it('creates a product with its monthly cycle, and writes the audit row with it', async () => {
    const created = await catalog.products.create(origin, product({ name: '  VPS-1C2G ', pricePerMonth: '29', billingCycles: { yearly: '290' }, specs: { region: 'us-west' } }));
    expect(created).toMatchObject({ name: 'VPS-1C2G', pricePerMonth: '29.00', billingCycles: { monthly: '29.00', yearly: '290.00' }, costPrice: '5.00', isActive: true });
    const [row] = (await sql.query('select price_per_month, billing_cycles from products where id = $1', [created.id])).rows;
    expect(row).toEqual({ price_per_month: '29.00', billing_cycles: { monthly: '29.00', yearly: '290.00' } });
    const audit = await auditRows(created.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'product.create', admin_username: 'catalog-admin', request_id: 'req-catalog', details: { after: { name: 'VPS-1C2G', pricePerMonth: '29.00' } } });
  });

  it('refuses interfaces that are not providers, and changes nothing', async () => {
    const before = Number((await sql.query('select count(*) from products')).rows[0].count);
    expect((await refusal(catalog.products.create(origin, { ...product(), interfaceId: gatewayId }))).message).toMatch(/gateway interface, not a provider/);
    expect((await refusal(catalog.products.create(origin, { ...product(), interfaceId: newId() }))).kind).toBe('not_found');
    expect((await refusal(catalog.products.create(origin, product({ groupId: newId() })))).message).toMatch(/^group_id: product group .* does not exist/);
    expect(Number((await sql.query('select count(*) from products')).rows[0].count)).toBe(before);
  });

  it('refuses a non-admin origin even when called directly', async () => {
    expect((await refusal(catalog.products.create({ ...origin, caller: CUSTOMER }, product()))).kind).toBe('permission_denied');
  });

  it('filters by region (specs.region), category through the group, search and activity; non-admins see active ones only', async () => {
    const category = await catalog.categories.create(origin, { name: 'Cloud', description: '', sortOrder: 0 });
    const group = await catalog.groups.create(origin, { name: 'Small', description: '', sortOrder: 0, categoryId: category.category.id });
    const tag = newId().slice(-6);
    const east = await catalog.products.create(origin, product({ name: `east ${tag}`, specs: { region: `east-${tag}` }, groupId: group.group.id }));
    const west = await catalog.products.create(origin, product({ name: `west ${tag}`, specs: { region: `west-${tag}` } }));
    const hidden = await catalog.products.create(origin, product({ name: `hidden ${tag} 100%_`, specs: { region: `east-${tag}` }, groupId: group.group.id }));
    await catalog.products.setActive(origin, [hidden.id], false);

    const ids = async (viewer: Caller, filter: Parameters<Catalog['products']['list']>[1]) => (await catalog.products.list(viewer, filter, PAGE)).products.map((row) => row.id);
    expect(await ids(ADMIN, { region: `east-${tag}` })).toEqual([east.id, hidden.id]);
    expect(await ids(CUSTOMER, { region: `east-${tag}` })).toEqual([east.id]);
    expect(await ids(ANONYMOUS, { region: `east-${tag}`, isActive: false })).toEqual([]);
    expect(await ids(ADMIN, { region: `east-${tag}`, isActive: false })).toEqual([hidden.id]);
    expect(await ids(ADMIN, { categoryId: category.category.id })).toEqual([east.id, hidden.id]);
    expect(await ids(ADMIN, { categoryId: newId() })).toEqual([]);
    expect(await ids(ADMIN, { groupId: group.group.id, search: tag.toUpperCase() })).toEqual([east.id, hidden.id]);
    // LIKE wildcards in the search are literal.
    expect(await ids(ADMIN, { search: `${tag} 100%_` })).toEqual([hidden.id]);
    expect(await ids(ADMIN, { search: `${tag} 1_0` })).toEqual([]);
    expect(await ids(CUSTOMER, { search: tag })).toEqual([east.id, west.id]);
    expect((await refusal(catalog.products.get(CUSTOMER, hidden.id))).kind).toBe('not_found');
    expect((await catalog.products.get(ADMIN, hidden.id)).id).toBe(hidden.id);

    // The group's product count is what the viewer can see.
    expect((await catalog.groups.get(ADMIN, group.group.id)).productCount).toBe(2);
    expect((await catalog.groups.get(ANONYMOUS, group.group.id)).productCount).toBe(1);
    expect((await catalog.categories.get(category.category.id)).groupCount).toBe(1);
  });

  it('a refused update rolls back with its audit row; a batch counts existing products once', async () => {
    const created = await catalog.products.create(origin, product());
    const error = await refusal(catalog.products.update(origin, created.id, { name: 'renamed', billingCycles: { weekly: '1.00' } }));
    expect(error.message).toMatch(/billing_cycles has an unknown billing cycle "weekly"/);
    expect((await catalog.products.get(ADMIN, created.id)).name).toBe(created.name);
    expect((await auditRows(created.id)).map((row) => row.action)).toEqual(['product.create']);

    const other = await catalog.products.create(origin, product());
    expect(await catalog.products.setActive(origin, [created.id, other.id, newId()], false)).toBe(2);
    // Already inactive: still counted, no audit row for a change that did not happen.
    expect(await catalog.products.setActive(origin, [created.id], false)).toBe(1);
    expect((await auditRows(created.id)).map((row) => row.action)).toEqual(['product.create', 'product.batch_set_active']);
    expect((await auditRows(created.id))[1]?.details).toMatchObject({ changes: { isActive: { from: true, to: false } } });
  });

  it('reprices every cycle in proportion, leaves cost 0 alone, and refuses prices NUMERIC(12,2) cannot hold', async () => {
    const priced = await catalog.products.create(origin, product({ pricePerMonth: '10.00', billingCycles: { quarterly: '27.00', yearly: '100.00' }, costPrice: '3.33' }));
    const free = await catalog.products.create(origin, product({ pricePerMonth: '4.00', costPrice: '0' }));
    expect(await catalog.products.reprice(origin, [priced.id, free.id], '1.5')).toBe(1);
    // 3.33 × 1.5 = 4.995 → 5.00; factor 0.4995: 27 → 13.4865 → 13.49, 100 → 49.95.
    expect(await catalog.products.get(ADMIN, priced.id)).toMatchObject({ pricePerMonth: '5.00', billingCycles: { monthly: '5.00', quarterly: '13.49', yearly: '49.95' } });
    expect((await catalog.products.get(ADMIN, free.id)).pricePerMonth).toBe('4.00');
    expect((await auditRows(free.id)).map((row) => row.action)).toEqual(['product.create']);

    const rich = await catalog.products.create(origin, product({ costPrice: '9999999.99' }));
    expect((await refusal(catalog.products.reprice(origin, [priced.id, rich.id], '100000'))).message).toMatch(/markup_ratio "100000" would make the monthly price of product/);
    expect((await catalog.products.get(ADMIN, priced.id)).pricePerMonth).toBe('5.00');
  });
});

describe('groups and categories', () => {
  it('refuses deleting a category with groups and a group with products, naming the count', async () => {
    const category = await catalog.categories.create(origin, { name: 'Dedicated', description: 'metal', sortOrder: 2 });
    const group = await catalog.groups.create(origin, { name: 'Metal', description: '', sortOrder: 1, categoryId: category.category.id });
    await catalog.products.create(origin, product({ groupId: group.group.id }));
    const inactive = await catalog.products.create(origin, product({ groupId: group.group.id }));
    await catalog.products.setActive(origin, [inactive.id], false);
    const groupRefusal = await refusal(catalog.groups.remove(origin, group.group.id));
    expect(groupRefusal.kind).toBe('failed_precondition');
    expect(groupRefusal.message).toMatch(/still has 2 products/);
    expect((await refusal(catalog.categories.remove(origin, category.category.id))).message).toMatch(/still has 1 product group;/);

    await catalog.products.setGroup(origin, [inactive.id], null);
    const [remaining] = (await catalog.products.list(ADMIN, { groupId: group.group.id }, PAGE)).products;
    await catalog.products.removeMany(origin, [remaining?.id ?? '']);
    await catalog.groups.remove(origin, group.group.id);
    await catalog.categories.remove(origin, category.category.id);
    expect((await refusal(catalog.categories.get(category.category.id))).kind).toBe('not_found');
    expect((await auditRows(category.category.id)).map((row) => row.action)).toEqual(['product_category.create', 'product_category.delete']);
  });

  it('a group deletion and a product put into that group at the same time: never a product in a deleted group', async () => {
    for (let round = 0; round < 10; round += 1) {
      const group = await catalog.groups.create(origin, { name: `race ${round}`, description: '', sortOrder: 0, categoryId: null });
      const [created, removed] = await Promise.allSettled([
        catalog.products.create(origin, product({ groupId: group.group.id })),
        catalog.groups.remove(origin, group.group.id),
      ]);
      // Exactly one wins: either the product is in the (kept) group, or the group is gone and the product was refused.
      expect([created.status, removed.status].sort()).toEqual(['fulfilled', 'rejected']);
      const { rows } = await sql.query('select count(*)::int as products, (select count(*)::int from product_groups where id = $1) as groups from products where group_id = $1', [group.group.id]);
      expect(rows[0]).toEqual(created.status === 'fulfilled' ? { products: 1, groups: 1 } : { products: 0, groups: 0 });
    }
  });
});

describe('sync and import', () => {
  it('a second sync updates the products it stored the first time, matched by identity', async () => {
    const iface = await interfaceRow('upstream_provider', `Upstream ${newId().slice(-6)}`);
    provider.next = [
      { name: 'Plan S', pricePerMonth: '5.00', costPrice: '3.00', specs: { cpu: '1' }, billingCycles: { monthly: '5.00', yearly: '50.00' } },
      { name: 'Plan by id', pricePerMonth: '7.00', specs: { upstream_product_id: 'up-7' } },
    ];
    const first = await catalog.sync.sync(origin, iface, null);
    expect(first.map((row) => [row.name, row.externalId, row.pricePerMonth])).toEqual([['Plan S', 'Plan S', '5.00'], ['Plan by id', 'up-7', '7.00']]);
    expect(provider.calls).toEqual([{ interfaceId: iface, groupId: '' }]);

    const group = await catalog.groups.create(origin, { name: 'Synced', description: '', sortOrder: 0, categoryId: null });
    provider.next = [
      { name: 'Plan S', pricePerMonth: '6.00', costPrice: '3.50', specs: { cpu: '2' }, billingCycles: { yearly: '60.00' } },
      { name: 'Plan renamed upstream', pricePerMonth: '7.00', specs: { upstream_product_id: 'up-7' } },
      { name: 'Plan M', pricePerMonth: '9.00' },
    ];
    const second = await catalog.sync.sync(origin, iface, group.group.id);
    expect(second.map((row) => row.id).slice(0, 2)).toEqual(first.map((row) => row.id));
    expect(second[0]).toMatchObject({ pricePerMonth: '6.00', costPrice: '3.50', specs: { cpu: '2' }, billingCycles: { monthly: '6.00', yearly: '60.00' }, groupId: group.group.id });
    expect(second[1]?.name).toBe('Plan renamed upstream');
    const { rows } = await sql.query('select name from products where interface_id = $1', [iface]);
    expect(rows.map((row) => String(row.name)).sort()).toEqual(['Plan M', 'Plan S', 'Plan renamed upstream']);
    const audit = await auditRows(first[0]?.id ?? '');
    expect(audit.map((row) => [row.action, row.details.created])).toEqual([['product.sync', true], ['product.sync', false]]);
    expect(audit[1]?.details).toMatchObject({ changes: { pricePerMonth: { from: '5.00', to: '6.00' } } });
  });

  it('two syncs of one interface at the same time store each product once', async () => {
    const iface = await interfaceRow('first_party_provider', `Concurrent ${newId().slice(-6)}`);
    provider.next = Array.from({ length: 20 }, (_, index) => ({ name: `Plan ${index}`, pricePerMonth: `${index + 1}.00` }));
    await Promise.all([catalog.sync.sync(origin, iface, null), catalog.sync.sync(origin, iface, null), catalog.sync.sync(origin, iface, null)]);
    const { rows } = await sql.query('select count(*)::int as count, count(distinct external_id)::int as distinct from products where interface_id = $1', [iface]);
    expect(rows[0]).toEqual({ count: 20, distinct: 20 });
  });

  it('refuses what cannot be stored, naming the product, and stores nothing', async () => {
    const iface = await interfaceRow('first_party_provider', `Broken ${newId().slice(-6)}`);
    provider.next = [{ name: 'ok', pricePerMonth: '1.00' }, { name: 'bad', pricePerMonth: '1.00', billingCycles: { weekly: '0.30' } }];
    const bad = await refusal(catalog.sync.sync(origin, iface, null));
    expect(bad.kind).toBe('failed_precondition');
    expect(bad.message).toMatch(/products\[1\]\.billing_cycles has an unknown billing cycle "weekly"/);
    provider.next = [{ name: 'twin', pricePerMonth: '1.00' }, { name: ' twin ', pricePerMonth: '2.00' }];
    expect((await refusal(catalog.sync.sync(origin, iface, null))).message).toMatch(/products\[0\] and products\[1\] with the same identity "twin"/);
    expect(Number((await sql.query('select count(*) from products where interface_id = $1', [iface])).rows[0].count)).toBe(0);
  });

  it('turns plugin failures into refusals an admin can act on', async () => {
    provider.failure = new PluginError('timeout', 'sync_products exceeded 5000 ms');
    expect(await refusal(catalog.sync.sync(origin, providerId, null))).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/time limit \(sync_products exceeded 5000 ms\)/) });
    provider.failure = new PluginError('script_error', 'upstream said no');
    expect(await refusal(catalog.sync.sync(origin, providerId, null))).toMatchObject({ kind: 'failed_precondition', message: expect.stringMatching(/upstream said no/) });
    provider.failure = new DomainError('not_found', 'provider interface x does not exist or is disabled');
    expect((await refusal(catalog.sync.sync(origin, providerId, null))).kind).toBe('not_found');
    expect((await refusal(catalog.sync.sync(origin, providerId, newId()))).message).toMatch(/^group_id: product group/);
  });

  it('imports new items inactive at cost, and a second import updates them, keeping the price set meanwhile', async () => {
    const iface = await interfaceRow('upstream_provider', `Import ${newId().slice(-6)}`);
    const items: ImportItem[] = [
      { name: 'VPS-1C1G', description: '1 core', specs: { cpu: '1' }, costPrice: '5.00' },
      { name: 'VPS by id', description: '', specs: { upstream_product_id: 'u-2' }, costPrice: '8' },
    ];
    const first = await catalog.sync.import(origin, { interfaceId: iface, groupId: null, items });
    expect(first.map((row) => [row.externalId, row.pricePerMonth, row.isActive])).toEqual([['VPS-1C1G', '5.00', false], ['u-2', '8.00', false]]);
    await catalog.products.reprice(origin, first.map((row) => row.id), '2');
    const second = await catalog.sync.import(origin, { interfaceId: iface, groupId: null, items: [{ ...(items[0] as ImportItem), description: '1 core, new', costPrice: '6.00' }] });
    expect(second[0]).toMatchObject({ id: first[0]?.id, description: '1 core, new', costPrice: '6.00', pricePerMonth: '10.00', isActive: false });
    expect(Number((await sql.query('select count(*) from products where interface_id = $1', [iface])).rows[0].count)).toBe(2);
    expect((await refusal(catalog.sync.import(origin, { interfaceId: gatewayId, groupId: null, items }))).kind).toBe('not_found');
  });
});
