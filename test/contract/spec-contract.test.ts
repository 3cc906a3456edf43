/**
 * Contract test: the generated protobuf descriptors (src/gen, from proto/rustbill/*.proto) must match
 * the RustBill specification's API tables, read at test time from the spec directory
 * (env `SPEC_DIR`, else `<repo>/../shared/spec`).
 *
 * Checked: every documented message field (name, number, scalar/message type, optional, repeated,
 * map), no undocumented fields or messages (except the NodeBill extensions listed below), all 14
 * services, each service's exact RPC list, and each RPC's request/response message.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, createFileRegistry, ScalarType } from '@bufbuild/protobuf';
import type { DescField, DescMessage, FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { ALL_FILES, ALL_SERVICES } from '../../src/grpc/service-list.ts';
import {
  loadSpec,
  parseLooseFieldTables,
  parseTypeExpr,
  SPEC_FILES,
  type SpecDocument,
  type SpecField,
  type SpecMessage,
} from './spec-tables.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A parser that finds fewer than this has broken; the spec documents more (see the counts printed). */
const MIN_FIELDS = 550;
const MIN_MESSAGES = 200;
const MIN_METHODS = 100;
const SERVICE_COUNT = 14;

/**
 * Types that `extra-services.md` leaves out and that are not its default (string), resolved from
 * context: the named Info messages, PageRequest/PageMeta (its stated convention), sort_order as
 * typed in the same section, `enabled` as in the plugin guide's instance_actions(), `order` as the
 * number of instance_detail_sections(). Keyed `Message.field`; every entry must be used.
 */
const OMITTED_TYPES: Readonly<Record<string, string>> = {
  'CreateProductCategoryResponse.category': 'ProductCategoryInfo',
  'ListProductCategoriesRequest.pagination': 'PageRequest',
  'ListProductCategoriesResponse.categories': 'repeated ProductCategoryInfo',
  'ListProductCategoriesResponse.meta': 'PageMeta',
  'GetProductCategoryResponse.category': 'ProductCategoryInfo',
  'UpdateProductCategoryRequest.sort_order': 'int32',
  'UpdateProductCategoryResponse.category': 'ProductCategoryInfo',
  'ListProductGroupsRequest.pagination': 'PageRequest',
  'ListProductGroupsResponse.groups': 'repeated ProductGroupInfo',
  'ListProductGroupsResponse.meta': 'PageMeta',
  'CreateProductGroupRequest.sort_order': 'uint32',
  'CreateProductGroupResponse.group': 'ProductGroupInfo',
  'GetProductGroupResponse.group': 'ProductGroupInfo',
  'UpdateProductGroupRequest.sort_order': 'uint32',
  'UpdateProductGroupResponse.group': 'ProductGroupInfo',
  'InstanceDetailSection.order': 'int32',
  'InstanceAction.enabled': 'bool',
  'ListInstancesRequest.pagination': 'PageRequest',
  'ListInstancesResponse.instances': 'repeated InstanceInfo',
  'ListInstancesResponse.meta': 'PageMeta',
  'GetInstanceResponse.instance': 'InstanceInfo',
  'GetInstanceResponse.sections': 'repeated InstanceDetailSection',
  'GetInstanceResponse.actions': 'repeated InstanceAction',
  'StartInstanceResponse.instance': 'InstanceInfo',
  'StopInstanceResponse.instance': 'InstanceInfo',
  'RestartInstanceResponse.instance': 'InstanceInfo',
  'TerminateInstanceResponse.instance': 'InstanceInfo',
  'ListBalanceTransactionsRequest.pagination': 'PageRequest',
  'ListBalanceTransactionsResponse.transactions': 'repeated BalanceTransactionInfo',
  'ListBalanceTransactionsResponse.meta': 'PageMeta',
  'AdjustBalanceResponse.transaction': 'BalanceTransactionInfo',
};

/** Fields NodeBill adds (numbers the spec does not use); each must exist as `optional string`. */
const NODEBILL_EXTENSIONS: ReadonlySet<string> = new Set([
  'rustbill.integration.PluginInterfaceInfo.script_source',
  'rustbill.integration.CreatePluginInterfaceRequest.script_source',
  'rustbill.integration.UpdatePluginInterfaceRequest.script_source',
  // Recurring billing (issue 11; README "Recurring billing").
  'rustbill.order.CreateOrderRequest.promotion_code',
  ...['period_start', 'period_end', 'next_renewal_on', 'cancel_at_period_end', 'renewal_amount', 'promotion_code', 'discount_amount', 'tax_amount', 'period_price']
    .map((field) => `rustbill.order.OrderInfo.${field}`),
  'rustbill.payment.PaymentRecord.refunded_amount',
  // The admin console's plugin screens (issue 12).
  'rustbill.integration.PluginDef.config_schema',
  'rustbill.integration.PluginDef.functions',
  'rustbill.billing.InvoiceInfo.source',
  'rustbill.billing.InvoiceInfo.renewal_order_id',
  ...['CreateCustomerRequest', 'UpdateCustomerRequest', 'CustomerInfo'].flatMap((message) => [`rustbill.customer.${message}.country`, `rustbill.customer.${message}.region`]),
  // Spec pricing (issue 13; README "Spec pricing"): QueryPrice quoting an order of a product.
  ...['product_id', 'billing_cycle', 'promotion_code'].map((field) => `rustbill.integration.QueryPriceRequest.${field}`),
  ...['base_amount', 'spec_amount', 'discount_amount', 'tax_amount'].map((field) => `rustbill.integration.QueryPriceResponse.${field}`),
]);

/**
 * NodeBill's recurring-billing RPCs (issue 11; README "Recurring billing") and the admin console's
 * audit-log reader (issue 12) by service: unary RPCs the spec does not have, with messages of their
 * own (derived below like the CRM's).
 */
const RECURRING_EXTENSION_RPCS: Readonly<Record<string, readonly string[]>> = {
  'rustbill.billing.BillingService': [
    'CreatePromotionCode', 'ListPromotionCodes', 'UpdatePromotionCode', 'DeletePromotionCode', 'CreateTaxRule', 'ListTaxRules', 'UpdateTaxRule',
    'DeleteTaxRule', 'GetBillingSettings', 'RunBillingLifecycle',
    // The admin console's dashboard (issue 12).
    'GetRevenueSummary',
  ],
  'rustbill.order.OrderService': ['CancelService', 'ChangeServicePlan'],
  // The audit-log reader of the admin console (issue 12).
  'rustbill.integration.IntegrationService': ['ListOperationLogs'],
  'rustbill.identity.IdentityService': ['CreateAdminUser'],
};

/** Whether `method` of `service` is a declared extension RPC (CRM or recurring billing). */
function isExtensionRpc(service: string, method: string): boolean {
  return (service === CRM_SERVICE && CRM_EXTENSION_RPCS.includes(method)) || RECURRING_EXTENSION_RPCS[service]?.includes(method) === true;
}

/**
 * NodeBill's CRM extension of CustomerService (issue 10; README "Customer relationship
 * management"): RPCs the spec does not have, the fields it adds to documented messages (on numbers
 * the spec leaves free), and — derived from those RPCs — the messages they bring along. Everything
 * else stays exactly as the spec says.
 */
const CRM_SERVICE = 'rustbill.customer.CustomerService';
const CRM_EXTENSION_RPCS: readonly string[] = [
  'ListActiveCustomers', 'SearchCustomers', 'ListCustomersByType', 'ListCustomersByIndustry', 'UpdateCustomerStatus', 'UpdateCustomerRating',
  'UpdateCreditLimit', 'UpdateCustomerBalance', 'GetCustomerStatistics', 'GetPurchaseHistory', 'GetRatingDistribution', 'GetOverallStatistics',
  'ImportCustomers', 'ExportCustomers', 'GetImportTemplate', 'ImportCustomersJson', 'GetCustomerImport', 'CheckCustomerCode',
  'ListOutstandingBalances', 'ListVipCustomers', 'GetTypeDistribution', 'GetIndustryDistribution', 'GetRfmDistribution', 'RecomputeCustomerScores',
];
const CRM_EXTENSION_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'rustbill.customer.CreateCustomerRequest': ['customer_code', 'customer_type', 'industry', 'address', 'payment_terms_days', 'tax_number', 'rating', 'rating_notes'],
  'rustbill.customer.ListCustomersRequest': ['customer_type', 'industry', 'rating', 'risk_level', 'rfm_segment', 'sort_by', 'sort_order', 'include_deleted'],
  'rustbill.customer.UpdateCustomerRequest': ['customer_code', 'customer_type', 'industry', 'address', 'payment_terms_days', 'tax_number', 'rating', 'rating_notes'],
  'rustbill.customer.CustomerInfo': [
    'customer_code', 'customer_type', 'industry', 'address', 'payment_terms_days', 'tax_number', 'rating', 'rating_notes', 'rating_source',
    'available_credit', 'total_orders', 'total_revenue', 'last_order_at', 'is_overdue', 'overdue_days', 'customer_lifetime_value', 'risk_level',
    'risk_reasons', 'rfm_segment', 'deleted_at',
  ],
};

/** Whether `message.field` is a declared CRM extension field. */
function isCrmField(message: string, field: string): boolean {
  return CRM_EXTENSION_FIELDS[message]?.includes(field) === true;
}

/**
 * The messages the CRM RPCs bring along: their requests and responses and every message those
 * reach through their fields, within rustbill.customer (spec-documented ones are checked as such).
 */
function crmMessages(): Set<string> {
  return extensionMessages(CRM_SERVICE, CRM_EXTENSION_RPCS);
}

/** Likewise for the extension RPCs `names` of `serviceName`, within the service's package. */
function extensionMessages(serviceName: string, names: readonly string[]): Set<string> {
  const service = registry.getService(serviceName);
  const pkg = serviceName.slice(0, serviceName.lastIndexOf('.') + 1);
  const out = new Set<string>();
  const visit = (message: DescMessage): void => {
    if (out.has(message.typeName) || !message.typeName.startsWith(pkg)) return;
    out.add(message.typeName);
    for (const field of message.fields) {
      if (field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message')) visit(field.message);
    }
  };
  for (const method of service?.methods ?? []) if (names.includes(method.name)) {
    visit(method.input);
    visit(method.output);
  }
  return out;
}

/** The messages of every recurring-billing extension RPC. */
function recurringMessages(): Set<string> {
  return new Set(Object.entries(RECURRING_EXTENSION_RPCS).flatMap(([service, names]) => [...extensionMessages(service, names)]));
}

/** Finds the spec directory; throws a clear error when there is none (the test fails, never skips). */
function resolveSpecDir(): string {
  const fromEnv = process.env['SPEC_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(join(fromEnv, SPEC_FILES.handbook))) {
      throw new Error(`SPEC_DIR=${fromEnv} does not contain ${SPEC_FILES.handbook}`);
    }
    return fromEnv;
  }
  const fallback = resolve(REPO, '../shared/spec');
  if (!existsSync(join(fallback, SPEC_FILES.handbook))) {
    throw new Error(
      `RustBill specification not found: set SPEC_DIR to the spec directory or provide ${fallback}/${SPEC_FILES.handbook}`,
    );
  }
  return fallback;
}

/** The spec tables as the test uses them: parsed from the spec files, or read from the snapshot. */
interface SpecTables {
  readonly source: string;
  readonly spec: SpecDocument;
  /** Field tables of the per-service reference files, by file name. */
  readonly loose: Readonly<Record<string, SpecField[][]>>;
}

/**
 * The checked-in extraction of the spec's tables (data only, no prose), so a clone without the
 * spec directory keeps the guard. When the spec is present the test also checks that the snapshot
 * is exactly what the spec says (`npm run spec:snapshot` rewrites it).
 */
const SNAPSHOT_FILE = join(REPO, 'test/contract/spec-snapshot.json');

function parseLive(dir: string): SpecTables {
  const loose: Record<string, SpecField[][]> = {};
  for (const file of Object.keys(SPEC_FILES.loose)) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`specification file missing: ${path}`);
    loose[file] = parseLooseFieldTables(readFileSync(path, 'utf8'), file);
  }
  return { source: dir, spec: loadSpec(dir), loose };
}

const live: SpecTables | Error | undefined = (() => {
  try {
    return parseLive(resolveSpecDir());
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('RustBill specification not found')) return undefined;
    return e instanceof Error ? e : new Error(String(e));
  }
})();

const loaded: SpecTables | Error = (() => {
  if (live !== undefined) return live;
  if (!existsSync(SNAPSHOT_FILE)) return new Error(`neither the RustBill specification (SPEC_DIR or ../shared/spec) nor ${SNAPSHOT_FILE} exists`);
  const snapshot = JSON.parse(readFileSync(SNAPSHOT_FILE, 'utf8')) as Omit<SpecTables, 'source'>;
  return { ...snapshot, source: SNAPSHOT_FILE };
})();

function theSpec(): SpecTables {
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

/** All generated files, rebuilt (and so validated) from their descriptor protos. */
const registry: FileRegistry = createFileRegistry(
  create(FileDescriptorSetSchema, { file: ALL_FILES.map((f) => f.proto) }),
);

function allMessages(): DescMessage[] {
  const out: DescMessage[] = [];
  for (const file of registry.files) out.push(...file.messages);
  return out;
}

/** The descriptor a spec message maps to: its section's package, else rustbill.common. */
function findMessage(pkg: string | undefined, name: string): DescMessage | undefined {
  if (pkg !== undefined) {
    return registry.getMessage(`${pkg}.${name}`) ?? registry.getMessage(`rustbill.common.${name}`);
  }
  const candidates = allMessages().filter((m) => m.name === name);
  return candidates.length === 1 ? candidates[0] : undefined;
}

interface Shape {
  readonly type: string;
  readonly fullType: string | undefined;
  readonly repeated: boolean;
  readonly optional: boolean;
  readonly mapKey: string | undefined;
}

const scalarName = (s: ScalarType): string => ScalarType[s].toLowerCase();

/** The shape of a generated field in the spec's terms. */
function shapeOf(f: DescField): Shape {
  const optional = f.proto.proto3Optional;
  switch (f.fieldKind) {
    case 'scalar':
      return { type: scalarName(f.scalar), fullType: undefined, repeated: false, optional, mapKey: undefined };
    case 'enum':
      return { type: f.enum.name, fullType: f.enum.typeName, repeated: false, optional, mapKey: undefined };
    case 'message':
      return { type: f.message.name, fullType: f.message.typeName, repeated: false, optional, mapKey: undefined };
    case 'list':
      switch (f.listKind) {
        case 'scalar':
          return { type: scalarName(f.scalar), fullType: undefined, repeated: true, optional, mapKey: undefined };
        case 'enum':
          return { type: f.enum.name, fullType: f.enum.typeName, repeated: true, optional, mapKey: undefined };
        case 'message':
          return { type: f.message.name, fullType: f.message.typeName, repeated: true, optional, mapKey: undefined };
      }
    case 'map': {
      const mapKey = scalarName(f.mapKey);
      switch (f.mapKind) {
        case 'scalar':
          return { type: scalarName(f.scalar), fullType: undefined, repeated: false, optional, mapKey };
        case 'enum':
          return { type: f.enum.name, fullType: f.enum.typeName, repeated: false, optional, mapKey };
        case 'message':
          return { type: f.message.name, fullType: f.message.typeName, repeated: false, optional, mapKey };
      }
    }
  }
  throw new Error('unhandled field kind');
}

const show = (s: Omit<Shape, 'fullType'>): string =>
  `${s.optional ? 'optional ' : ''}${s.repeated ? 'repeated ' : ''}${s.mapKey !== undefined ? `map<${s.mapKey},${s.type}>` : s.type}`;

interface FieldReport {
  readonly errors: string[];
  fieldsChecked: number;
  messagesChecked: number;
  readonly usedOmitted: Set<string>;
  readonly documented: Set<string>;
}

/** Compares every documented message with its descriptor. */
function checkMessages(spec: SpecDocument): FieldReport {
  const report: FieldReport = {
    errors: [],
    fieldsChecked: 0,
    messagesChecked: 0,
    usedOmitted: new Set(),
    documented: new Set(),
  };
  // Full names the spec gives each simple message name (for message-typed fields).
  const specNames = new Map<string, Set<string>>();
  for (const m of spec.messages) {
    const desc = findMessage(m.pkg, m.name);
    if (!desc) continue;
    const set = specNames.get(m.name) ?? new Set<string>();
    set.add(desc.typeName);
    specNames.set(m.name, set);
  }

  for (const m of spec.messages) {
    const desc = findMessage(m.pkg, m.name);
    if (!desc) {
      report.errors.push(`${m.source}: message ${m.pkg ?? '?'}.${m.name} not generated`);
      continue;
    }
    report.messagesChecked++;
    report.documented.add(desc.typeName);
    const where = `${m.source} ${desc.typeName}`;
    for (const field of m.fields) report.errors.push(...checkField(m, field, desc, specNames, report));
    for (const f of desc.fields) {
      const full = `${desc.typeName}.${f.name}`;
      if (!m.fields.some((sf) => sf.name === f.name) && !NODEBILL_EXTENSIONS.has(full) && !isCrmField(desc.typeName, f.name)) {
        report.errors.push(`${where}: field ${f.name} = ${f.number} is not in the spec`);
      }
    }
  }
  return report;
}

function expectedShape(m: SpecMessage, field: SpecField, report: FieldReport): Omit<Shape, 'fullType'> {
  const { type, repeated, optional, mapKey } = field;
  if (type !== undefined) return { type, repeated, optional, mapKey };
  const key = `${m.name}.${field.name}`;
  const resolved = OMITTED_TYPES[key];
  if (resolved === undefined) {
    return { type: 'string', repeated: false, optional: field.optional, mapKey: undefined };
  }
  report.usedOmitted.add(key);
  const t = parseTypeExpr(resolved);
  return { ...t, optional: field.optional || t.optional };
}

function checkField(
  m: SpecMessage,
  field: SpecField,
  desc: DescMessage,
  specNames: ReadonlyMap<string, ReadonlySet<string>>,
  report: FieldReport,
): string[] {
  const where = `${field.source} ${desc.typeName}.${field.name}`;
  report.fieldsChecked++;
  const actual = desc.fields.find((f) => f.name === field.name);
  if (!actual) return [`${where}: field missing`];
  const errors: string[] = [];
  if (actual.number !== field.number) errors.push(`${where}: number ${actual.number}, spec says ${field.number}`);
  const want = expectedShape(m, field, report);
  const got = shapeOf(actual);
  if (show(got) !== show(want)) errors.push(`${where}: type ${show(got)}, spec says ${show(want)}`);
  if (got.fullType !== undefined) {
    // A message type the spec documents must be that documented message (same package first).
    const own = desc.typeName.slice(0, desc.typeName.length - desc.name.length) + got.type;
    const names = specNames.get(got.type);
    if (names && names.size > 0) {
      const allowed = names.has(own) ? new Set([own]) : names;
      if (!allowed.has(got.fullType)) {
        errors.push(`${where}: refers to ${got.fullType}, spec documents ${[...allowed].join(' / ')}`);
      }
    }
  }
  return errors;
}

describe('RustBill spec contract', () => {
  it('finds and parses the specification (or its checked-in snapshot)', () => {
    const { source, spec } = theSpec();
    console.info(`spec contract: tables from ${source}`);
    expect(existsSync(source)).toBe(true);
    expect(spec.services.length).toBe(SERVICE_COUNT);
  });

  it('keeps the checked-in snapshot identical to the specification when the specification is present', () => {
    if (live === undefined) {
      console.info('spec contract: specification directory absent; checked against the snapshot only');
      return;
    }
    if (live instanceof Error) throw live;
    const snapshot = JSON.parse(readFileSync(SNAPSHOT_FILE, 'utf8')) as unknown;
    expect(snapshot, 'test/contract/spec-snapshot.json is stale: run npm run spec:snapshot').toEqual(JSON.parse(JSON.stringify({ spec: live.spec, loose: live.loose })));
  });

  it('generates one descriptor file per proto file, all listed in ALL_FILES', () => {
    const protos = readdirSync(join(REPO, 'proto/rustbill'))
      .filter((f) => f.endsWith('.proto'))
      .map((f) => `rustbill/${f}`)
      .sort();
    expect(ALL_FILES.map((f) => f.name + '.proto').sort()).toEqual(protos);
    const generated = readdirSync(join(REPO, 'src/gen/rustbill'))
      .filter((f) => f.endsWith('_pb.ts'))
      .map((f) => `rustbill/${f.replace(/_pb\.ts$/, '')}.proto`)
      .sort();
    expect(generated).toEqual(protos);
  });

  it('matches every documented message field', () => {
    const { spec } = theSpec();
    const report = checkMessages(spec);
    const unusedOmitted = Object.keys(OMITTED_TYPES).filter((k) => !report.usedOmitted.has(k));
    console.info(
      `spec contract: ${report.fieldsChecked} fields in ${report.messagesChecked} messages checked` +
        ` (${spec.messages.filter((m) => m.fields.length === 0).length} documented as empty)`,
    );
    expect(report.errors).toEqual([]);
    expect(unusedOmitted).toEqual([]);
    expect(report.fieldsChecked).toBeGreaterThanOrEqual(MIN_FIELDS);
    expect(report.messagesChecked).toBeGreaterThanOrEqual(MIN_MESSAGES);
  });

  it('defines no message the spec does not document', () => {
    const { spec } = theSpec();
    const { documented } = checkMessages(spec);
    const crm = crmMessages();
    const recurring = recurringMessages();
    const undocumented = allMessages()
      .map((m) => m.typeName)
      .filter((n) => !documented.has(n) && !crm.has(n) && !recurring.has(n));
    expect(undocumented).toEqual([]);
  });

  it('adds the CRM extension to CustomerService on numbers the spec leaves free, changing no documented field', () => {
    const { spec } = theSpec();
    const service = registry.getService(CRM_SERVICE);
    expect(service?.methods.filter((method) => CRM_EXTENSION_RPCS.includes(method.name)).map((method) => method.name).sort()).toEqual([...CRM_EXTENSION_RPCS].sort());
    for (const method of service?.methods ?? []) {
      if (CRM_EXTENSION_RPCS.includes(method.name)) expect(method.methodKind, method.name).toBe('unary');
    }
    for (const [typeName, fields] of Object.entries(CRM_EXTENSION_FIELDS)) {
      const message = registry.getMessage(typeName);
      const documented = spec.messages.find((m) => message !== undefined && m.name === message.name && findMessage(m.pkg, m.name) === message);
      expect(documented, `${typeName} is documented`).toBeDefined();
      const specNumbers = new Set(documented?.fields.map((f) => f.number));
      const specNames = new Set(documented?.fields.map((f) => f.name));
      for (const name of fields) {
        const field = message?.fields.find((f) => f.name === name);
        expect(field, `${typeName}.${name}`).toBeDefined();
        expect(specNames.has(name), `${typeName}.${name} is not a spec field`).toBe(false);
        expect(specNumbers.has(field?.number ?? -1), `${typeName}.${name} = ${field?.number} is a number the spec uses`).toBe(false);
      }
    }
    // The extension's own messages are not spec messages of the same name.
    const specNames = new Set(spec.messages.map((m) => m.name));
    const own = [...crmMessages()].filter((name) => !checkMessages(spec).documented.has(name));
    expect(own.length).toBeGreaterThan(20);
    expect(own.filter((name) => specNames.has(name.slice(name.lastIndexOf('.') + 1)))).toEqual([]);
  });

  it('adds the recurring-billing RPCs to BillingService and OrderService as unary RPCs with messages of their own', () => {
    const { spec } = theSpec();
    const documented = checkMessages(spec).documented;
    const specNames = new Set(spec.messages.map((m) => m.name));
    for (const [serviceName, names] of Object.entries(RECURRING_EXTENSION_RPCS)) {
      const service = registry.getService(serviceName);
      expect(service?.methods.filter((method) => names.includes(method.name)).map((method) => method.name).sort(), serviceName).toEqual([...names].sort());
      for (const method of service?.methods ?? []) if (names.includes(method.name)) expect(method.methodKind, method.name).toBe('unary');
      const own = [...extensionMessages(serviceName, names)].filter((name) => !documented.has(name));
      expect(own.length, serviceName).toBeGreaterThanOrEqual(names.length);
      expect(own.filter((name) => specNames.has(name.slice(name.lastIndexOf('.') + 1))), serviceName).toEqual([]);
    }
  });

  it('adds the NodeBill extensions as optional strings on numbers the spec leaves free', () => {
    const { spec } = theSpec();
    for (const full of NODEBILL_EXTENSIONS) {
      const dot = full.lastIndexOf('.');
      const msg = registry.getMessage(full.slice(0, dot));
      const field = msg?.fields.find((f) => f.name === full.slice(dot + 1));
      expect(field, full).toBeDefined();
      if (!msg || !field) continue;
      expect(show(shapeOf(field)), full).toBe('optional string');
      const documented = spec.messages.find((m) => m.name === msg.name && findMessage(m.pkg, m.name) === msg);
      expect(documented, `${msg.typeName} is documented`).toBeDefined();
      expect(documented?.fields.map((f) => f.number), full).not.toContain(field.number);
    }
  });

  it('serves exactly the 14 services with the documented RPCs, requests and responses', () => {
    const { spec } = theSpec();
    const errors: string[] = [];
    let methodsChecked = 0;
    expect(ALL_SERVICES.map((s) => s.typeName).sort()).toEqual(
      spec.services.map((s) => `${s.pkg}.${s.name}`).sort(),
    );
    for (const s of spec.services) {
      const desc = registry.getService(`${s.pkg}.${s.name}`);
      if (!desc) {
        errors.push(`${s.source}: service ${s.pkg}.${s.name} not generated`);
        continue;
      }
      const names = desc.methods.map((m) => m.name).filter((name) => !isExtensionRpc(desc.typeName, name)).sort();
      const documented = s.rpcs.map((r) => r.name).sort();
      if (names.join() !== documented.join()) {
        errors.push(`${desc.typeName}: methods [${names.join(', ')}], spec says [${documented.join(', ')}]`);
      }
      for (const rpc of s.rpcs) {
        const where = `${rpc.source} ${desc.typeName}/${rpc.name}`;
        const method = desc.methods.find((m) => m.name === rpc.name);
        if (!method) continue;
        methodsChecked++;
        if (method.methodKind !== 'unary') errors.push(`${where}: ${method.methodKind}, not unary`);
        let wantIn: DescMessage | undefined;
        let wantOut: DescMessage | undefined;
        if (rpc.sameAs) {
          const other = registry.getService(
            `${spec.services.find((x) => x.name === rpc.sameAs?.service)?.pkg}.${rpc.sameAs.service}`,
          );
          const otherMethod = other?.methods.find((m) => m.name === rpc.sameAs?.rpc);
          if (!otherMethod) errors.push(`${where}: same-as ${rpc.sameAs.service}.${rpc.sameAs.rpc} not found`);
          wantIn = otherMethod?.input;
          wantOut = otherMethod?.output;
        } else {
          wantIn = rpc.request === undefined ? undefined : findMessage(s.pkg, rpc.request);
          wantOut = rpc.response === undefined ? undefined : findMessage(s.pkg, rpc.response);
          if (!wantIn) errors.push(`${where}: request ${rpc.request} not generated`);
          if (!wantOut) errors.push(`${where}: response ${rpc.response} not generated`);
        }
        if (wantIn && method.input.typeName !== wantIn.typeName) {
          errors.push(`${where}: request ${method.input.typeName}, spec says ${wantIn.typeName}`);
        }
        if (wantOut && method.output.typeName !== wantOut.typeName) {
          errors.push(`${where}: response ${method.output.typeName}, spec says ${wantOut.typeName}`);
        }
      }
    }
    console.info(`spec contract: ${spec.services.length} services, ${methodsChecked} methods checked`);
    expect(errors).toEqual([]);
    expect(methodsChecked).toBeGreaterThanOrEqual(MIN_METHODS);
  });

  it('agrees with the per-service reference files (which keep the names the handbook lost)', () => {
    const { spec, loose: looseByFile } = theSpec();
    for (const [file, serviceName] of Object.entries(SPEC_FILES.loose)) {
      const loose = looseByFile[file] ?? [];
      const service = spec.services.find((s) => s.name === serviceName);
      expect(service, serviceName).toBeDefined();
      const strip = (tables: readonly SpecField[][]): string[][] =>
        tables.map((t) => t.map((f) => `${f.name} ${f.number} ${show({ ...f, type: f.type ?? '?' })}`));
      expect(loose.length, file).toBeGreaterThan(0);
      expect(strip(loose), file).toEqual(strip(service?.tables ?? []));
    }
  });
});
