/**
 * The catalog end to end (ProductService, ProductGroupService, ProductCategoryService): a real
 * cluster of two workers with a plugins directory of its own (a provider whose sync_products()
 * follows its config, a failing provider, a gateway), called over native gRPC as admin, customer
 * and anonymous caller; audit rows read from the database.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JsonValue } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { ProductCategoryService } from '../../src/gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../../src/gen/rustbill/product_group_pb.ts';
import { ProductService, type CreateProductRequest, type ProductInfo } from '../../src/gen/rustbill/product_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { gatewayScript, providerScript } from '../plugins/registry/scripts.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import { createTestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { loadExamples } from '../contract/spec-examples.ts';
import { callJson, grpcurlCommands } from '../support/grpcurl.ts';
import { REPO_ROOT, type RunningServer, startServer, TEST_ADMIN_PASSWORD } from '../support/server.ts';

/** A provider whose sync_products() answers from its config: `price` (monthly), `yearly`, `plan` (a name). */
const CATALOG_PROVIDER = providerScript()
  .replace(
    /^function config_schema.*$/m,
    "function config_schema(_c, _u) { return { type: 'object', properties: { price: { type: 'string' }, yearly: { type: 'string' }, plan: { type: 'string' } } }; }",
  )
  .replace(
    /^function sync_products.*$/m,
    `function sync_products(c, _u) {
  const price = c.price || '5.00';
  return JSON.stringify({ products: [
    { name: 'Synced S', description: 'small', price_per_month: price, cost_price: '3.00', specs: { region: 'sync-region', cpu: 1 }, billing_cycles: { monthly: price, yearly: c.yearly || '50.00' } },
    { name: c.plan || 'Synced by id', price_per_month: '9.00', specs: { upstream_product_id: 'up-42' } },
  ] });
}`,
  );
/** A provider whose sync_products() fails the way a script reports an upstream error. */
const FAILING_PROVIDER = providerScript().replace(/^function sync_products.*$/m, "function sync_products(_c, _u) { return 'ERROR: upstream catalog is down'; }");

let server: RunningServer;
let db: { url: string; drop(): Promise<void> };
let sql: pg.Client;
let workDir: string;
let adminToken: string;
let customerToken: string;
let providerId: string;
let failingId: string;
let disabledId: string;
let gatewayId: string;

function admin() {
  const headers = bearer(adminToken);
  return { products: grpcClient(ProductService, server.url, headers), groups: grpcClient(ProductGroupService, server.url, headers), categories: grpcClient(ProductCategoryService, server.url, headers) };
}
function customer() {
  const headers = bearer(customerToken);
  return { products: grpcClient(ProductService, server.url, headers), groups: grpcClient(ProductGroupService, server.url, headers), categories: grpcClient(ProductCategoryService, server.url, headers) };
}
function anonymous() {
  return { products: grpcClient(ProductService, server.url), groups: grpcClient(ProductGroupService, server.url), categories: grpcClient(ProductCategoryService, server.url) };
}

/** A product of the test provider, created by the admin. */
async function createProduct(fields: Partial<Omit<CreateProductRequest, '$typeName' | '$unknown'>> = {}): Promise<ProductInfo> {
  const { product } = await admin().products.createProduct({
    name: `VPS ${newId().slice(-8)}`, description: 'a server', pricePerMonth: '10.00', interfaceId: providerId, costPrice: '5.00', ...fields,
  });
  if (!product) throw new Error('CreateProduct answered without a product');
  return product;
}

async function auditRows(targetId: string): Promise<Array<{ action: string; admin_username: string; details: Record<string, unknown>; request_id: string | null }>> {
  const { rows } = await sql.query('select action, admin_username, details, request_id from operation_logs where target_id = $1 order by created_at, id', [targetId]);
  return rows;
}

/** Rows of the catalog tables and of operation_logs, to show that a refused call changed nothing. */
async function tableCounts(): Promise<Record<string, number>> {
  const { rows } = await sql.query(`select (select count(*)::int from products) as products, (select count(*)::int from product_groups) as groups,
    (select count(*)::int from product_categories) as categories, (select count(*)::int from operation_logs) as audit,
    (select coalesce(sum(length(billing_cycles::text) + length(price_per_month::text) + length(name) + (case when is_active then 1 else 0 end)), 0)::int from products) as product_state`);
  return rows[0];
}

async function createInterface(pluginId: string, displayName: string, config: Record<string, string>, enable: boolean): Promise<string> {
  const integration = grpcClient(IntegrationService, server.url, bearer(adminToken));
  const plugin = (await integration.listPlugins({})).plugins.find((entry) => entry.pluginId === pluginId);
  if (!plugin) throw new Error(`plugin ${pluginId} was not scanned`);
  const created = await integration.createPluginInterface({ pluginDefId: plugin.id, displayName, configJson: JSON.stringify(config) });
  const id = created.interface?.id ?? '';
  if (enable) await integration.togglePluginInterface({ interfaceId: id, enable: true });
  return id;
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'nodebill-catalog-'));
  const pluginsDir = path.join(workDir, 'plugins');
  mkdirSync(pluginsDir);
  writeFileSync(path.join(pluginsDir, 'provider-catalog.js'), CATALOG_PROVIDER);
  writeFileSync(path.join(pluginsDir, 'provider-failing.js'), FAILING_PROVIDER);
  writeFileSync(path.join(pluginsDir, 'gateway-pay.js'), gatewayScript());
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2, config: { plugins: { plugins_dir: pluginsDir } } });
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  adminToken = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  customerToken = (await registerCustomer(server, { prefix: 'shopper' })).accessToken;
  providerId = await createInterface('catalog', 'Catalog cloud', {}, true);
  disabledId = await createInterface('catalog', 'Catalog cloud (off)', {}, false);
  failingId = await createInterface('failing', 'Failing cloud', {}, true);
  gatewayId = await createInterface('pay', 'Pay', { api_url: 'https://pay.example' }, true);
});

afterAll(async () => {
  await sql?.end();
  await server?.stop();
  await db?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('ProductCategoryService', () => {
  it('creates, reads, lists, updates and deletes categories with their group counts', async () => {
    const { categories, groups } = admin();
    const created = (await categories.createProductCategory({ name: '  Cloud  ', description: 'KVM', sortOrder: 5 })).category;
    expect(created).toMatchObject({ name: 'Cloud', description: 'KVM', sortOrder: 5, groupCount: 0 });
    expect(created?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const id = created?.id ?? '';
    const first = (await categories.createProductCategory({ name: 'First', description: '', sortOrder: -1 })).category;
    await groups.createProductGroup({ name: 'In cloud', description: '', sortOrder: 0, categoryId: id });

    expect((await anonymous().categories.getProductCategory({ id })).category).toMatchObject({ id, name: 'Cloud', groupCount: 1 });
    const listed = await anonymous().categories.listProductCategories({ pagination: { page: 1, pageSize: 0 } });
    expect(listed.categories.map((category) => category.id)).toEqual([first?.id, id]);
    expect(listed.meta).toMatchObject({ total: 2n, page: 1, pageSize: 20, totalPages: 1 });

    const updated = (await categories.updateProductCategory({ id, description: 'virtual servers' })).category;
    expect(updated).toMatchObject({ name: 'Cloud', description: 'virtual servers', sortOrder: 5, groupCount: 1 });
    expect((await categories.updateProductCategory({ id, name: 'Cloud servers', sortOrder: 1 })).category).toMatchObject({ name: 'Cloud servers', sortOrder: 1 });

    await categories.deleteProductCategory({ id: first?.id ?? '' });
    await expectCode(categories.getProductCategory({ id: first?.id ?? '' }), Code.NotFound);
    expect((await auditRows(id)).map((row) => row.action)).toEqual(['product_category.create', 'product_category.update', 'product_category.update']);
    expect((await auditRows(id))[1]).toMatchObject({ admin_username: 'admin', details: { changes: { description: { from: 'KVM', to: 'virtual servers' } } } });
  });

  it('refuses deleting a category that has groups, naming the count', async () => {
    const { categories, groups } = admin();
    const id = (await categories.createProductCategory({ name: 'Busy', description: '', sortOrder: 0 })).category?.id ?? '';
    await groups.createProductGroup({ name: 'One', description: '', sortOrder: 0, categoryId: id });
    await groups.createProductGroup({ name: 'Two', description: '', sortOrder: 0, categoryId: id });
    await expectCode(categories.deleteProductCategory({ id }), Code.FailedPrecondition, /still has 2 product groups/);
    expect((await categories.getProductCategory({ id })).category?.groupCount).toBe(2);
  });

  it('refuses bad input and callers who are not admins, changing nothing', async () => {
    const { categories } = admin();
    const before = await tableCounts();
    await expectCode(categories.createProductCategory({ name: '   ', description: '', sortOrder: 0 }), Code.InvalidArgument, /^name is required/);
    await expectCode(categories.createProductCategory({ name: 'x'.repeat(256), description: '', sortOrder: 0 }), Code.InvalidArgument, /name/);
    await expectCode(categories.getProductCategory({ id: 'nope' }), Code.InvalidArgument, /^id "nope" is not a UUID/);
    await expectCode(categories.updateProductCategory({ id: newId(), name: 'x' }), Code.NotFound);
    await expectCode(categories.deleteProductCategory({ id: newId() }), Code.NotFound);
    await expectCode(categories.listProductCategories({ pagination: { page: 1, pageSize: 101 } }), Code.InvalidArgument, /pagination\.page_size must be at most 100/);
    await expectCode(customer().categories.createProductCategory({ name: 'Mine', description: '', sortOrder: 0 }), Code.PermissionDenied);
    await expectCode(anonymous().categories.createProductCategory({ name: 'Mine', description: '', sortOrder: 0 }), Code.Unauthenticated);
    expect(await tableCounts()).toEqual(before);
  });
});

describe('ProductGroupService', () => {
  it('creates groups in a category, lists them by category, and counts the products each caller can see', async () => {
    const { groups, categories } = admin();
    const categoryId = (await categories.createProductCategory({ name: 'Dedicated', description: '', sortOrder: 0 })).category?.id ?? '';
    const later = (await groups.createProductGroup({ name: 'Later', description: '', sortOrder: 2, categoryId })).group;
    const group = (await groups.createProductGroup({ name: ' Metal ', description: 'bare metal', sortOrder: 1, categoryId })).group;
    expect(group).toMatchObject({ name: 'Metal', description: 'bare metal', sortOrder: 1, productCount: 0, categoryId });
    const groupId = group?.id ?? '';
    await createProduct({ groupId });
    const hidden = await createProduct({ groupId });
    await admin().products.batchSetActive({ productIds: [hidden.id], isActive: false });

    const listed = await anonymous().groups.listProductGroups({ categoryId });
    expect(listed.groups.map((entry) => [entry.id, entry.productCount])).toEqual([[groupId, 1], [later?.id, 0]]);
    expect((await groups.listProductGroups({ categoryId })).groups.map((entry) => entry.productCount)).toEqual([2, 0]);
    expect((await customer().groups.getProductGroup({ id: groupId })).group?.productCount).toBe(1);
    expect((await groups.getProductGroup({ id: groupId })).group?.productCount).toBe(2);
    expect((await groups.listProductGroups({ categoryId: newId() })).groups).toEqual([]);

    const moved = (await groups.updateProductGroup({ id: groupId, categoryId: '' })).group;
    expect(moved).toMatchObject({ categoryId: '', name: 'Metal', productCount: 2 });
    expect((await groups.updateProductGroup({ id: groupId, categoryId, sortOrder: 7, name: 'Metal servers' })).group).toMatchObject({ categoryId, sortOrder: 7, name: 'Metal servers' });
    expect((await auditRows(groupId)).at(-1)?.details).toMatchObject({ changes: { categoryId: { from: null, to: categoryId }, sortOrder: { from: 1, to: 7 } } });
  });

  it('refuses deleting a group with products, active or not, naming the count; deletes it once empty', async () => {
    const { groups, products } = admin();
    const groupId = (await groups.createProductGroup({ name: 'Doomed', description: '', sortOrder: 0, categoryId: '' })).group?.id ?? '';
    const kept = await createProduct({ groupId });
    await products.batchSetActive({ productIds: [kept.id], isActive: false });
    await expectCode(groups.deleteProductGroup({ id: groupId }), Code.FailedPrecondition, /still has 1 product;/);
    await products.batchSetGroup({ productIds: [kept.id], groupId: '' });
    await groups.deleteProductGroup({ id: groupId });
    await expectCode(groups.getProductGroup({ id: groupId }), Code.NotFound);
    expect((await auditRows(groupId)).map((row) => row.action)).toEqual(['product_group.create', 'product_group.delete']);
  });

  it('refuses an unknown category, bad input and non-admins, changing nothing', async () => {
    const { groups } = admin();
    const groupId = (await groups.createProductGroup({ name: 'Stable', description: '', sortOrder: 0, categoryId: '' })).group?.id ?? '';
    const before = await tableCounts();
    await expectCode(groups.createProductGroup({ name: 'G', description: '', sortOrder: 0, categoryId: newId() }), Code.NotFound, /^category_id: product category .* does not exist/);
    await expectCode(groups.createProductGroup({ name: 'G', description: '', sortOrder: 0, categoryId: 'cat-1' }), Code.InvalidArgument, /^category_id "cat-1" is not a UUID/);
    await expectCode(groups.createProductGroup({ name: '', description: '', sortOrder: 0, categoryId: '' }), Code.InvalidArgument, /^name is required/);
    await expectCode(groups.createProductGroup({ name: 'G', description: '', sortOrder: 2_147_483_648, categoryId: '' }), Code.InvalidArgument, /^sort_order must be a whole number from 0 to 2147483647/);
    await expectCode(groups.updateProductGroup({ id: groupId, categoryId: newId() }), Code.NotFound, /category_id/);
    await expectCode(groups.updateProductGroup({ id: groupId, name: ' ' }), Code.InvalidArgument, /^name is required/);
    await expectCode(groups.updateProductGroup({ id: newId(), name: 'x' }), Code.NotFound);
    await expectCode(groups.deleteProductGroup({ id: newId() }), Code.NotFound);
    await expectCode(groups.listProductGroups({ categoryId: 'x' }), Code.InvalidArgument, /^category_id "x" is not a UUID/);
    await expectCode(groups.listProductGroups({ pagination: { page: 1, pageSize: 500 } }), Code.InvalidArgument, /page_size/);
    await expectCode(customer().groups.deleteProductGroup({ id: groupId }), Code.PermissionDenied);
    await expectCode(anonymous().groups.updateProductGroup({ id: groupId, name: 'x' }), Code.Unauthenticated);
    expect(await tableCounts()).toEqual(before);
  });
});

describe('ProductService: products', () => {
  it('creates a product with specs, cycles and cost price; writes its audit row; reads it back for everybody', async () => {
    const created = await createProduct({ name: ' VPS-1C2G ', pricePerMonth: '29', costPrice: '18.5', specs: { region: 'us-west', cpu: '1' }, billingCycles: { quarterly: '85', yearly: '290.00' } });
    expect(created).toMatchObject({
      name: 'VPS-1C2G', pricePerMonth: '29.00', costPrice: '18.50', interfaceId: providerId, groupId: '', isActive: true,
      specs: { region: 'us-west', cpu: '1' }, billingCycles: { monthly: '29.00', quarterly: '85.00', yearly: '290.00' },
    });
    expect((await anonymous().products.getProduct({ id: created.id })).product).toEqual(created);
    const [audit] = await auditRows(created.id);
    expect(audit).toMatchObject({ action: 'product.create', admin_username: 'admin', details: { after: { name: 'VPS-1C2G', pricePerMonth: '29.00', costPrice: '18.50' }, caller: 'admin' } });
    expect(audit?.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses an interface that is not a provider, unknown groups and malformed fields, changing nothing', async () => {
    const { products } = admin();
    const before = await tableCounts();
    await expectCode(createProduct({ interfaceId: newId() }), Code.NotFound, /^interface_id: plugin interface .* does not exist/);
    await expectCode(createProduct({ interfaceId: gatewayId }), Code.NotFound, /is a gateway interface, not a provider/);
    await expectCode(createProduct({ interfaceId: 'iface' }), Code.InvalidArgument, /^interface_id "iface" is not a UUID/);
    await expectCode(createProduct({ interfaceId: '' }), Code.InvalidArgument, /^interface_id is required/);
    await expectCode(createProduct({ groupId: newId() }), Code.NotFound, /^group_id: product group/);
    await expectCode(createProduct({ groupId: 'g' }), Code.InvalidArgument, /^group_id "g" is not a UUID/);
    const invalid: Array<[Parameters<typeof createProduct>[0], RegExp]> = [
      [{ name: ' ' }, /^name is required/],
      [{ pricePerMonth: '' }, /^price_per_month is required/],
      [{ pricePerMonth: '-5.00' }, /^price_per_month must not be negative/],
      [{ pricePerMonth: 'ten' }, /^price_per_month must be a decimal amount/],
      [{ pricePerMonth: '10.001' }, /^price_per_month must be a decimal amount with at most 2 decimal places/],
      [{ costPrice: '-1' }, /^cost_price must not be negative/],
      [{ billingCycles: { weekly: '3.00' } }, /^billing_cycles has an unknown billing cycle "weekly"/],
      [{ billingCycles: { yearly: '100.555' } }, /^billing_cycles\.yearly must be a decimal amount/],
      [{ billingCycles: { monthly: '11.00' } }, /^billing_cycles\.monthly \("11\.00"\) must equal price_per_month \("10\.00"\)/],
      [{ specs: { '': 'x' } }, /^specs has an empty key/],
    ];
    for (const [fields, message] of invalid) await expectCode(createProduct(fields), Code.InvalidArgument, message);
    await expectCode(customer().products.createProduct({ name: 'x', pricePerMonth: '1', interfaceId: providerId }), Code.PermissionDenied);
    await expectCode(anonymous().products.createProduct({ name: 'x', pricePerMonth: '1', interfaceId: providerId }), Code.Unauthenticated);
    // A disabled provider is fine for a product (the catalog can be prepared before it goes live).
    expect(await tableCounts()).toEqual(before);
    expect((await createProduct({ interfaceId: disabledId })).interfaceId).toBe(disabledId);
    await expectCode(products.getProduct({ id: 'x' }), Code.InvalidArgument, /^id "x" is not a UUID/);
    await expectCode(products.getProduct({ id: newId() }), Code.NotFound);
  });

  it('updates only the fields sent, hides a deactivated product from everybody but admins, and deletes', async () => {
    const { products } = admin();
    const groupId = (await admin().groups.createProductGroup({ name: 'Upd', description: '', sortOrder: 0, categoryId: '' })).group?.id ?? '';
    const created = await createProduct({ specs: { region: 'eu' }, billingCycles: { yearly: '100.00' } });
    const updated = (await products.updateProduct({ id: created.id, pricePerMonth: '35.00', isActive: false, groupId })).product;
    expect(updated).toMatchObject({ name: created.name, pricePerMonth: '35.00', isActive: false, groupId, specs: { region: 'eu' }, billingCycles: { monthly: '35.00', yearly: '100.00' } });
    expect((await auditRows(created.id)).at(-1)).toMatchObject({
      action: 'product.update',
      details: { changes: { pricePerMonth: { from: '10.00', to: '35.00' }, isActive: { from: true, to: false }, groupId: { from: null, to: groupId }, billingCycles: { from: { monthly: '10.00', yearly: '100.00' }, to: { monthly: '35.00', yearly: '100.00' } } } },
    });

    await expectCode(anonymous().products.getProduct({ id: created.id }), Code.NotFound);
    await expectCode(customer().products.getProduct({ id: created.id }), Code.NotFound);
    expect((await products.getProduct({ id: created.id })).product?.isActive).toBe(false);

    const replaced = (await products.updateProduct({ id: created.id, specs: { region: 'us' }, billingCycles: { quarterly: '99.00' }, groupId: '', costPrice: '7' })).product;
    expect(replaced).toMatchObject({ specs: { region: 'us' }, billingCycles: { monthly: '35.00', quarterly: '99.00' }, groupId: '', costPrice: '7.00' });

    const before = await tableCounts();
    await expectCode(products.updateProduct({ id: created.id, billingCycles: { daily: '1.00' } }), Code.InvalidArgument, /unknown billing cycle "daily"/);
    await expectCode(products.updateProduct({ id: created.id, pricePerMonth: '1.234' }), Code.InvalidArgument, /^price_per_month /);
    await expectCode(products.updateProduct({ id: created.id, name: '' }), Code.InvalidArgument, /^name is required/);
    await expectCode(products.updateProduct({ id: created.id, groupId: newId() }), Code.NotFound, /^group_id/);
    await expectCode(products.updateProduct({ id: newId(), name: 'x' }), Code.NotFound);
    await expectCode(customer().products.updateProduct({ id: created.id, name: 'x' }), Code.PermissionDenied);
    expect(await tableCounts()).toEqual(before);

    await products.deleteProduct({ id: created.id });
    await expectCode(products.getProduct({ id: created.id }), Code.NotFound);
    await expectCode(products.deleteProduct({ id: created.id }), Code.NotFound);
    await expectCode(customer().products.deleteProduct({ id: newId() }), Code.PermissionDenied);
    expect((await auditRows(created.id)).at(-1)).toMatchObject({ action: 'product.delete', details: { before: { pricePerMonth: '35.00' } } });
  });

  it('lists with every filter; anonymous callers and customers see active products only', async () => {
    const { products, groups, categories } = admin();
    const tag = newId().slice(-8);
    const categoryId = (await categories.createProductCategory({ name: `Cat ${tag}`, description: '', sortOrder: 0 })).category?.id ?? '';
    const groupId = (await groups.createProductGroup({ name: `Grp ${tag}`, description: '', sortOrder: 0, categoryId })).group?.id ?? '';
    const a = await createProduct({ name: `alpha ${tag}`, specs: { region: `r-${tag}` }, groupId });
    const b = await createProduct({ name: `beta ${tag}`, specs: { region: `r-${tag}` } });
    const c = await createProduct({ name: `gamma ${tag}`, specs: { region: `other-${tag}` }, groupId, interfaceId: disabledId });
    const off = await createProduct({ name: `off ${tag}`, specs: { region: `r-${tag}` }, groupId });
    await products.batchSetActive({ productIds: [off.id], isActive: false });

    const ids = async (client: ReturnType<typeof admin>['products'], request: Parameters<ReturnType<typeof admin>['products']['listProducts']>[0]) =>
      (await client.listProducts(request)).products.map((product) => product.id);
    expect(await ids(products, { region: `r-${tag}` })).toEqual([a.id, b.id, off.id]);
    expect(await ids(anonymous().products, { region: `r-${tag}` })).toEqual([a.id, b.id]);
    expect(await ids(customer().products, { region: `r-${tag}` })).toEqual([a.id, b.id]);
    expect(await ids(anonymous().products, { region: `r-${tag}`, isActive: false })).toEqual([]);
    expect(await ids(products, { search: tag, isActive: false })).toEqual([off.id]);
    expect(await ids(products, { search: `ALPHA ${tag}` })).toEqual([a.id]);
    expect(await ids(products, { search: tag, interfaceId: disabledId })).toEqual([c.id]);
    expect(await ids(products, { groupId })).toEqual([a.id, c.id, off.id]);
    expect(await ids(anonymous().products, { categoryId })).toEqual([a.id, c.id]);
    expect(await ids(products, { categoryId, region: `other-${tag}` })).toEqual([c.id]);
    expect(await ids(products, { categoryId: newId() })).toEqual([]);

    const page = await anonymous().products.listProducts({ search: tag, pagination: { page: 2, pageSize: 2 } });
    expect(page.products.map((product) => product.id)).toEqual([c.id]);
    expect(page.meta).toMatchObject({ total: 3n, page: 2, pageSize: 2, totalPages: 2 });

    for (const [request, message] of [
      [{ interfaceId: 'x' }, /^interface_id "x" is not a UUID/],
      [{ groupId: '123' }, /^group_id "123" is not a UUID/],
      [{ categoryId: 'cloud' }, /^category_id "cloud" is not a UUID/],
      [{ pagination: { page: 1, pageSize: 101 } }, /^pagination\.page_size must be at most 100, got 101/],
    ] as const) {
      await expectCode(anonymous().products.listProducts(request), Code.InvalidArgument, message);
    }
    expect((await anonymous().products.listProducts({ pagination: { page: 1, pageSize: 0 } })).meta?.pageSize).toBe(20);
  });
});

describe('ProductService: batches', () => {
  it('sets activity and group, and deletes, counting the products that exist (each once)', async () => {
    const { products, groups } = admin();
    const groupId = (await groups.createProductGroup({ name: 'Batch', description: '', sortOrder: 0, categoryId: '' })).group?.id ?? '';
    const [p1, p2, p3] = [await createProduct(), await createProduct(), await createProduct()];
    const missing = newId();
    expect((await products.batchSetActive({ productIds: [p1.id, p2.id, missing, p1.id], isActive: false })).updatedCount).toBe(2);
    expect((await products.getProduct({ id: p1.id })).product?.isActive).toBe(false);
    expect((await products.getProduct({ id: p3.id })).product?.isActive).toBe(true);
    expect((await products.batchSetActive({ productIds: [p1.id.toUpperCase()], isActive: true })).updatedCount).toBe(1);

    expect((await products.batchSetGroup({ productIds: [p1.id, p3.id, missing], groupId })).updatedCount).toBe(2);
    expect((await products.listProducts({ groupId })).products.map((product) => product.id)).toEqual([p1.id, p3.id]);
    expect((await products.batchSetGroup({ productIds: [p1.id], groupId: '' })).updatedCount).toBe(1);
    expect((await products.getProduct({ id: p1.id })).product?.groupId).toBe('');
    expect((await auditRows(p1.id)).map((row) => row.action)).toEqual(['product.create', 'product.batch_set_active', 'product.batch_set_active', 'product.batch_set_group', 'product.batch_set_group']);

    expect((await products.batchDelete({ productIds: [p2.id, p3.id, missing] })).deletedCount).toBe(2);
    await expectCode(products.getProduct({ id: p2.id }), Code.NotFound);
    expect((await products.batchDelete({ productIds: [p2.id] })).deletedCount).toBe(0);
    expect((await auditRows(p3.id)).at(-1)?.action).toBe('product.batch_delete');
  });

  it('refuses empty or malformed id lists, an unknown group and non-admins, changing nothing', async () => {
    const { products } = admin();
    const product = await createProduct();
    const before = await tableCounts();
    await expectCode(products.batchSetActive({ productIds: [], isActive: false }), Code.InvalidArgument, /^product_ids is required/);
    await expectCode(products.batchSetActive({ productIds: [product.id, 'id2'], isActive: false }), Code.InvalidArgument, /^product_ids\[1\] "id2" is not a UUID/);
    await expectCode(products.batchSetGroup({ productIds: [], groupId: '' }), Code.InvalidArgument, /^product_ids is required/);
    await expectCode(products.batchSetGroup({ productIds: [product.id], groupId: newId() }), Code.NotFound, /^group_id/);
    await expectCode(products.batchSetGroup({ productIds: [product.id], groupId: 'grp' }), Code.InvalidArgument, /^group_id "grp" is not a UUID/);
    await expectCode(products.batchDelete({ productIds: [] }), Code.InvalidArgument, /^product_ids is required/);
    await expectCode(products.batchDelete({ productIds: ['x'] }), Code.InvalidArgument, /^product_ids\[0\] "x" is not a UUID/);
    await expectCode(products.batchUpdatePrice({ productIds: [], markupRatio: '1.3' }), Code.InvalidArgument, /^product_ids is required/);
    for (const ratio of ['', '0', '-1.3', 'abc', '1e2', '1.3.1', '1.0000001']) {
      await expectCode(products.batchUpdatePrice({ productIds: [product.id], markupRatio: ratio }), Code.InvalidArgument, /^markup_ratio /);
    }
    await expectCode(customer().products.batchSetActive({ productIds: [product.id], isActive: false }), Code.PermissionDenied);
    await expectCode(customer().products.batchDelete({ productIds: [product.id] }), Code.PermissionDenied);
    await expectCode(anonymous().products.batchUpdatePrice({ productIds: [product.id], markupRatio: '2' }), Code.Unauthenticated);
    expect(await tableCounts()).toEqual(before);
  });

  it('BatchUpdatePrice: cost × ratio rounded half-up, every cycle in proportion, cost 0 left alone', async () => {
    const { products } = admin();
    const priced = await createProduct({ pricePerMonth: '10.00', costPrice: '3.33', billingCycles: { quarterly: '27.00', yearly: '100.00' } });
    const plain = await createProduct({ pricePerMonth: '1.00', costPrice: '10.01' });
    const unknownCost = await createProduct({ pricePerMonth: '4.00', costPrice: '0' });
    expect((await products.batchUpdatePrice({ productIds: [priced.id, plain.id, unknownCost.id, newId()], markupRatio: '1.5' })).updatedCount).toBe(2);
    // 3.33 × 1.5 = 4.995 → 5.00, factor 0.4995: 27 → 13.4865 → 13.49, 100 → 49.95; 10.01 × 1.5 = 15.015 → 15.02.
    expect((await products.getProduct({ id: priced.id })).product).toMatchObject({ pricePerMonth: '5.00', billingCycles: { monthly: '5.00', quarterly: '13.49', yearly: '49.95' }, costPrice: '3.33' });
    expect((await products.getProduct({ id: plain.id })).product).toMatchObject({ pricePerMonth: '15.02', billingCycles: { monthly: '15.02' } });
    expect((await products.getProduct({ id: unknownCost.id })).product).toMatchObject({ pricePerMonth: '4.00', billingCycles: { monthly: '4.00' } });
    expect((await auditRows(priced.id)).at(-1)).toMatchObject({ action: 'product.batch_update_price', details: { markupRatio: '1.5', changes: { pricePerMonth: { from: '10.00', to: '5.00' } } } });
    expect((await auditRows(unknownCost.id)).map((row) => row.action)).toEqual(['product.create']);

    // A price NUMERIC(12,2) cannot hold refuses the whole batch.
    const rich = await createProduct({ costPrice: '9999999.99' });
    await expectCode(products.batchUpdatePrice({ productIds: [plain.id, rich.id], markupRatio: '100000' }), Code.InvalidArgument, /^markup_ratio "100000" would make the monthly price of product/);
    expect((await products.getProduct({ id: plain.id })).product?.pricePerMonth).toBe('15.02');
  });
});

describe('ProductService: sync and import', () => {
  it('SyncProducts stores the provider\'s products; a second sync updates them instead of duplicating', async () => {
    const { products, groups } = admin();
    const groupId = (await groups.createProductGroup({ name: 'Synced', description: '', sortOrder: 0, categoryId: '' })).group?.id ?? '';
    const first = await products.syncProducts({ interfaceId: providerId, groupId: '' });
    expect(first.count).toBe(2);
    expect(first.synced.map((product) => [product.name, product.pricePerMonth, product.groupId, product.interfaceId])).toEqual([
      ['Synced S', '5.00', '', providerId], ['Synced by id', '9.00', '', providerId],
    ]);
    expect(first.synced[0]).toMatchObject({ costPrice: '3.00', specs: { region: 'sync-region', cpu: '1' }, billingCycles: { monthly: '5.00', yearly: '50.00' }, isActive: true });
    expect(first.synced.every((product) => /^[0-9a-f-]{36}$/.test(product.id))).toBe(true);

    const integration = grpcClient(IntegrationService, server.url, bearer(adminToken));
    await integration.updatePluginInterface({ interfaceId: providerId, configJson: JSON.stringify({ price: '6.50', yearly: '65.00', plan: 'Renamed upstream' }) });
    const second = await products.syncProducts({ interfaceId: providerId, groupId });
    expect(second.count).toBe(2);
    expect(second.synced.map((product) => product.id)).toEqual(first.synced.map((product) => product.id));
    expect(second.synced.map((product) => [product.name, product.pricePerMonth, product.groupId])).toEqual([['Synced S', '6.50', groupId], ['Renamed upstream', '9.00', groupId]]);
    expect(second.synced[0]?.billingCycles).toEqual({ monthly: '6.50', yearly: '65.00' });

    const stored = await products.listProducts({ interfaceId: providerId, search: 'Synced S' });
    expect(stored.meta?.total).toBe(1n);
    const { rows } = await sql.query('select count(*)::int as count from products where interface_id = $1 and external_id is not null', [providerId]);
    expect(rows[0].count).toBe(2);
    const audit = await auditRows(first.synced[0]?.id ?? '');
    expect(audit.map((row) => [row.action, row.details.created])).toEqual([['product.sync', true], ['product.sync', false]]);
    expect(audit[1]?.details).toMatchObject({ changes: { pricePerMonth: { from: '5.00', to: '6.50' }, groupId: { from: null, to: groupId } } });
  });

  it('SyncProducts refusals: disabled or unknown interface, unknown group, failing plugin, bad ids, non-admins', async () => {
    const { products } = admin();
    const before = await tableCounts();
    await expectCode(products.syncProducts({ interfaceId: disabledId, groupId: '' }), Code.NotFound, /does not exist or is disabled/);
    await expectCode(products.syncProducts({ interfaceId: newId(), groupId: '' }), Code.NotFound);
    await expectCode(products.syncProducts({ interfaceId: providerId, groupId: newId() }), Code.NotFound, /^group_id/);
    await expectCode(products.syncProducts({ interfaceId: failingId, groupId: '' }), Code.FailedPrecondition, /the provider plugin reported an error: .*upstream catalog is down/);
    await expectCode(products.syncProducts({ interfaceId: gatewayId, groupId: '' }), Code.FailedPrecondition, /not a provider/);
    await expectCode(products.syncProducts({ interfaceId: 'x', groupId: '' }), Code.InvalidArgument, /^interface_id "x" is not a UUID/);
    await expectCode(products.syncProducts({ interfaceId: providerId, groupId: 'g' }), Code.InvalidArgument, /^group_id "g" is not a UUID/);
    await expectCode(customer().products.syncProducts({ interfaceId: providerId, groupId: '' }), Code.PermissionDenied);
    expect(await tableCounts()).toEqual(before);
  });

  it('ImportUpstreamProducts imports items inactive at cost; importing again updates them', async () => {
    const { products } = admin();
    const items: Array<{ name: string; description: string; specs: Record<string, string>; costPrice: string }> = [
      { name: 'VPS-1C1G', description: '1核1G', specs: { cpu: '1' }, costPrice: '5.00' },
      { name: 'VPS-2C2G', description: '', specs: { upstream_product_id: 'up-2', cpu: '2' }, costPrice: '8' },
    ];
    expect((await products.importUpstreamProducts({ interfaceId: disabledId, items, groupId: '' })).importedCount).toBe(2);
    const listed = await products.listProducts({ interfaceId: disabledId, search: 'VPS-' });
    expect(listed.products.map((product) => [product.name, product.pricePerMonth, product.costPrice, product.isActive])).toEqual([['VPS-1C1G', '5.00', '5.00', false], ['VPS-2C2G', '8.00', '8.00', false]]);
    expect((await anonymous().products.listProducts({ interfaceId: disabledId, search: 'VPS-' })).products).toEqual([]);

    const ids = listed.products.map((product) => product.id);
    await products.batchUpdatePrice({ productIds: ids, markupRatio: '2' });
    await products.batchSetActive({ productIds: ids, isActive: true });
    const again = await products.importUpstreamProducts({ interfaceId: disabledId, groupId: '', items: [{ ...(items[1] ?? items[0]), name: 'VPS-2C2G renamed', costPrice: '9.00' }, { ...items[0], name: 'VPS-1C1G', description: 'new text' }] });
    expect(again.importedCount).toBe(2);
    const after = await products.listProducts({ interfaceId: disabledId, search: 'VPS-' });
    expect(after.products.map((product) => [product.id, product.name, product.description, product.costPrice, product.pricePerMonth, product.isActive])).toEqual([
      [ids[0], 'VPS-1C1G', 'new text', '5.00', '10.00', true],
      [ids[1], 'VPS-2C2G renamed', '', '9.00', '16.00', true],
    ]);
    expect((await auditRows(ids[0] ?? '')).map((row) => row.action)).toEqual(['product.import', 'product.batch_update_price', 'product.batch_set_active', 'product.import']);
  });

  it('ImportUpstreamProducts refusals, changing nothing', async () => {
    const { products } = admin();
    const item = { name: 'VPS', description: '', specs: {}, costPrice: '5.00' };
    const before = await tableCounts();
    await expectCode(products.importUpstreamProducts({ interfaceId: providerId, items: [], groupId: '' }), Code.InvalidArgument, /^items is required/);
    await expectCode(products.importUpstreamProducts({ interfaceId: 'bad', items: [item], groupId: '' }), Code.InvalidArgument, /^interface_id "bad" is not a UUID/);
    await expectCode(products.importUpstreamProducts({ interfaceId: gatewayId, items: [item], groupId: '' }), Code.NotFound, /not a provider/);
    await expectCode(products.importUpstreamProducts({ interfaceId: newId(), items: [item], groupId: '' }), Code.NotFound);
    await expectCode(products.importUpstreamProducts({ interfaceId: providerId, items: [item], groupId: newId() }), Code.NotFound, /^group_id/);
    await expectCode(products.importUpstreamProducts({ interfaceId: providerId, items: [item, { ...item, costPrice: '-1' }], groupId: '' }), Code.InvalidArgument, /^items\[1\]\.cost_price must not be negative/);
    await expectCode(products.importUpstreamProducts({ interfaceId: providerId, items: [item, { ...item, costPrice: '1.005' }], groupId: '' }), Code.InvalidArgument, /^items\[1\]\.cost_price/);
    await expectCode(products.importUpstreamProducts({ interfaceId: providerId, items: [item, { ...item }], groupId: '' }), Code.InvalidArgument, /^items\[0\] and items\[1\] are the same upstream product "VPS"/);
    await expectCode(products.importUpstreamProducts({ interfaceId: providerId, items: [{ ...item, name: '' }], groupId: '' }), Code.InvalidArgument, /^items\[0\]\.name is required/);
    await expectCode(customer().products.importUpstreamProducts({ interfaceId: providerId, items: [item], groupId: '' }), Code.PermissionDenied);
    expect(await tableCounts()).toEqual(before);
  });
});

describe('documented examples', () => {
  /** Replaces the spec's placeholder ids by real ones, by the field they are in. */
  function withIds(value: JsonValue, ids: { interfaceId: string; groupId: string; productIds: string[] }, key = ''): JsonValue {
    if (Array.isArray(value)) return key === 'product_ids' ? ids.productIds : value.map((item) => withIds(item, ids));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, withIds(item, ids, field)]));
    if (key === 'interface_id') return ids.interfaceId;
    if (key === 'group_id') return ids.groupId;
    if (key === 'id') return ids.productIds[0] ?? '';
    return value;
  }

  // From the spec when it is beside the repository, else from the checked-in extraction (test/contract).
  it('every grpcurl example of product-service.md succeeds, verbatim apart from ids and tokens', async () => {
    const examples = loadExamples().filter((example) => example.file === 'product-service.md');
    expect(examples.map((example) => example.method.split('/')[1])).toEqual([
      'CreateProduct', 'ListProducts', 'GetProduct', 'UpdateProduct', 'DeleteProduct', 'SyncProducts', 'BatchSetActive', 'BatchSetGroup', 'BatchDelete', 'ImportUpstreamProducts', 'BatchUpdatePrice',
    ]);
    const groupId = (await admin().groups.createProductGroup({ name: 'Spec examples', description: '', sortOrder: 0, categoryId: '' })).group?.id ?? '';
    for (const example of examples) {
      const products = [await createProduct({ specs: { region: 'us-west' } }), await createProduct()];
      const body = withIds(example.body as JsonValue, { interfaceId: providerId, groupId, productIds: products.map((product) => product.id) });
      const answer = await callJson(server.url, [ProductService], example.method, body, example.authenticated ? bearer(adminToken) : {});
      expect(answer, example.method).toBeTypeOf('object');
    }
  });

  it('the README\'s catalog examples succeed in order, each id taken from an earlier answer', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Catalog'), readme.indexOf('\n## ', readme.indexOf('## Catalog') + 1));
    const commands = grpcurlCommands(section);
    expect(commands.length).toBeGreaterThanOrEqual(14);
    const placeholders: Record<string, string> = { 'provider interface id': providerId };
    const answers: Record<string, JsonValue> = {};
    for (const command of commands) {
      const text = command.body.replace(/<([a-z ]+)>/g, (whole, name: string) => {
        const value = placeholders[name];
        if (value === undefined) throw new Error(`${command.path} uses ${whole} before an answer gave it`);
        return value;
      });
      const answer = await callJson(server.url, [ProductService, ProductGroupService, ProductCategoryService], command.path, JSON.parse(text) as JsonValue, command.authorized ? bearer(adminToken) : {});
      answers[command.path.split('/')[1] ?? ''] = answer;
      const created = answer !== null && typeof answer === 'object' && !Array.isArray(answer) ? answer : {};
      for (const [field, placeholder] of [['category', 'category id'], ['group', 'group id'], ['product', 'product id']] as const) {
        const entity = created[field];
        if (entity !== null && typeof entity === 'object' && !Array.isArray(entity) && typeof entity.id === 'string' && command.path.includes('/Create')) placeholders[placeholder] = entity.id;
      }
    }
    expect(answers.ListProducts).toMatchObject({ products: [{ name: 'VPS-1C2G', price_per_month: '29.00', billing_cycles: { monthly: '29.00', quarterly: '85.00', yearly: '290.00' } }] });
    expect(answers.BatchUpdatePrice).toEqual({ updated_count: 1 });
    expect(answers.SyncProducts).toMatchObject({ count: 2 });
    expect(answers.ImportUpstreamProducts).toEqual({ imported_count: 1 });
    expect(answers.BatchDelete).toEqual({ deleted_count: 1 });
    // 18.00 × 1.3 = 23.40, the factor 23.40 / 31.00 (after UpdateProduct): 85 → 64.16, 290 → 218.90.
    const audit = await auditRows(placeholders['product id'] ?? '');
    expect(audit.find((entry) => entry.action === 'product.batch_update_price')?.details).toMatchObject({
      changes: { billingCycles: { from: { monthly: '31.00', quarterly: '85.00', yearly: '290.00' }, to: { monthly: '23.40', quarterly: '64.16', yearly: '218.90' } } },
    });
  });
});
