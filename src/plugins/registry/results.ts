/**
 * What the contract functions return, read into typed shapes (plugin guide: 契约函数详解 and its
 * return formats). Scripts return strings (often JSON text) or plain data; every reader here accepts
 * both and throws `PluginError('script_error', …)` naming the function when the result is unusable.
 * Pure functions, no I/O.
 */
import { Decimal } from 'decimal.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ProductInfoSchema, SpecField, SpecFieldSchema, SpecGroup, SpecGroupSchema } from '../../gen/rustbill/product_pb.ts';
import { PluginError } from '../types.ts';

type Json = { [key: string]: unknown };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A script's value as data: JSON text (object or array) is parsed, anything else is returned as is. */
export function asData(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!(text.startsWith('{') || text.startsWith('['))) return value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return value;
  }
}

function bad(fn: string, expected: string, got: unknown): PluginError {
  const shown = typeof got === 'string' ? JSON.stringify(got.slice(0, 120)) : got === undefined ? 'nothing' : JSON.stringify(got)?.slice(0, 120) ?? String(got);
  return new PluginError('script_error', `${fn}() returned ${shown}; expected ${expected}`);
}

/** A text field: strings as they are, numbers and booleans as text, anything else ''. */
function text(source: Json, ...keys: string[]): string {
  for (const key of keys) {
    const value = source[key];
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  }
  return '';
}

function integer(source: Json, key: string): number | undefined {
  const value = source[key];
  const parsed = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(parsed) ? Math.trunc(parsed) : undefined;
}

function flag(source: Json, key: string, fallback: boolean): boolean {
  const value = source[key];
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return fallback;
}

/** A `map<string,string>` from an object: values become text (objects as JSON). */
function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    out[key] = typeof item === 'string' ? item : typeof item === 'object' ? JSON.stringify(item) : String(item);
  }
  return out;
}

/** A decimal amount with exactly two places, or null when `value` is not a finite decimal. */
export function moneyText(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const raw = String(value).trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return null;
  const amount = new Decimal(raw);
  return amount.isFinite() ? amount.toFixed(2, Decimal.ROUND_HALF_UP) : null;
}

/** A health verdict. */
export interface HealthVerdict {
  healthy: boolean;
  /** Why it is unhealthy (null when healthy). */
  error: string | null;
}

/**
 * `health_check()`'s verdict: `true`, `"true"`, `"ok"` or `{healthy|ok|is_healthy: true}` are
 * healthy; `false`/`"false"` or an object saying false are unhealthy (with its `error`/`message`
 * when given); anything else is unhealthy with the value shown.
 */
export function readHealth(value: unknown): HealthVerdict {
  const data = asData(value);
  if (data === true) return { healthy: true, error: null };
  if (data === false) return { healthy: false, error: 'health_check() returned false' };
  if (typeof data === 'string') {
    const word = data.trim().toLowerCase();
    if (word === 'true' || word === 'ok') return { healthy: true, error: null };
    if (word === 'false') return { healthy: false, error: 'health_check() returned "false"' };
    return { healthy: false, error: `health_check() returned ${JSON.stringify(data.slice(0, 200))}` };
  }
  if (isObject(data)) {
    const verdict = ['healthy', 'is_healthy', 'ok'].map((key) => data[key]).find((item) => typeof item === 'boolean' || item === 'true' || item === 'false');
    if (verdict !== undefined) {
      const healthy = verdict === true || verdict === 'true';
      const reason = text(data, 'error', 'message', 'reason');
      return { healthy, error: healthy ? null : reason || 'health_check() reported unhealthy' };
    }
  }
  return { healthy: false, error: `health_check() returned no verdict (${data === undefined ? 'nothing' : typeof data})` };
}

/** `admin_page()`: an HTML string, or `{html|html_content, title}`. */
export function readAdminPage(value: unknown, fallbackTitle: string): { html: string; title: string } {
  const data = asData(value);
  if (typeof data === 'string') return { html: data, title: fallbackTitle };
  if (isObject(data)) {
    const html = text(data, 'html_content', 'html', 'content');
    if (html !== '') return { html, title: text(data, 'title') || fallbackTitle };
  }
  throw bad('admin_page', 'an HTML string or {"html": …, "title": …}', value);
}

/** `query_price()`: `{"amount","currency","billing_cycle"}`; amount must be a decimal ≥ 0. */
export function readPriceQuote(value: unknown): { amount: string; currency: string; billingCycle: string } {
  const data = asData(value);
  if (!isObject(data)) throw bad('query_price', '{"amount":"…","currency":"…","billing_cycle":"…"}', value);
  const amount = moneyText(data.amount ?? data.price);
  if (amount === null || new Decimal(amount).isNegative()) throw bad('query_price', 'an "amount" that is a decimal ≥ 0', value);
  return { amount, currency: text(data, 'currency') || 'CNY', billingCycle: text(data, 'billing_cycle') || 'monthly' };
}

/** An instance as providers describe it (create_instance, get_instance_status, import, sync). */
export interface ProviderInstance {
  instanceId: string;
  status: string;
  ipAddress: string;
  createdAt: string;
}

function readInstance(fn: string, data: unknown, original: unknown): ProviderInstance {
  if (!isObject(data)) throw bad(fn, '{"instance_id","status","ip_address"}', original);
  return {
    instanceId: text(data, 'instance_id', 'id', 'provider_instance_id'),
    status: text(data, 'status'),
    ipAddress: text(data, 'ip_address', 'ip'),
    createdAt: text(data, 'created_at'),
  };
}

/** `create_instance()`: `{"instance_id","status","ip_address","created_at"}`; instance_id is required. */
export function readCreatedInstance(value: unknown): ProviderInstance {
  const instance = readInstance('create_instance', asData(value), value);
  if (instance.instanceId === '') throw bad('create_instance', 'an object with a non-empty "instance_id"', value);
  return instance;
}

/** `get_instance_status()`: a status word (`"running"`…) or `{"status","ip_address"}`. */
export function readInstanceStatus(value: unknown): { status: string; ipAddress: string } {
  const data = asData(value);
  if (typeof data === 'string' && data.trim() !== '') return { status: data.trim(), ipAddress: '' };
  if (isObject(data) && text(data, 'status') !== '') return { status: text(data, 'status'), ipAddress: text(data, 'ip_address', 'ip') };
  throw bad('get_instance_status', 'a status such as "running", or {"status","ip_address"}', value);
}

/**
 * The outcome of `execute_action()` or `terminate_instance()`: `{"success","message","data"}`
 * (guide: execute_action 返回值). `data` is text (an object is sent as JSON text).
 */
export interface ActionResult {
  success: boolean;
  message: string;
  data: string;
}

/**
 * `execute_action()` / `terminate_instance()` (`fn` names it in errors): `{"success","message","data"}`
 * (success defaults to true when absent); an empty result (`""`, nothing, `true`) is a success
 * without message (the guide's examples return `""`); any other text is a success with that text as
 * message; `false` is a failure.
 * @throws PluginError script_error for anything else (a number, an array)
 */
export function readActionResult(fn: string, value: unknown): ActionResult {
  const data = asData(value);
  if (data === undefined || data === null || data === true) return { success: true, message: '', data: '' };
  if (data === false) return { success: false, message: `${fn}() returned false`, data: '' };
  if (typeof data === 'string') return { success: true, message: data.trim(), data: '' };
  if (isObject(data)) {
    const extra = data.data;
    return {
      success: flag(data, 'success', true),
      message: text(data, 'message', 'error'),
      data: typeof extra === 'string' ? extra : extra === undefined || extra === null ? '' : JSON.stringify(extra),
    };
  }
  throw bad(fn, '{"success":true,"message":"…","data":"…"}', value);
}

/**
 * The status an action result reports in its `data` (`{"status":"stopped"}`, as provider-incus and
 * provider-rustbill send it), or null when it reports none.
 */
export function reportedActionStatus(result: ActionResult): string | null {
  const data = asData(result.data);
  if (!isObject(data)) return null;
  const status = text(data, 'status');
  return status === '' ? null : status;
}

/** A key/value field of a detail section (`InstanceDetailField`). */
export interface DetailFieldData {
  key: string;
  value: string;
  valueType: string;
}

/** A detail section (`InstanceDetailSection`; guide: instance_detail_sections 返回值). Absent texts are ''. */
export interface DetailSectionData {
  kind: string;
  title: string;
  order: number;
  contentHtml: string;
  iframeUrl: string;
  /** Structured data as JSON text (an object the script returned is serialised). */
  dataJson: string;
  fields: DetailFieldData[];
}

/** An action the detail page offers (`InstanceAction`; guide: instance_actions 返回值). */
export interface InstanceActionData {
  id: string;
  label: string;
  /** "Primary" / "Default" / "Danger" (as the script says; '' = Default). */
  style: string;
  /** Confirmation prompt ('' = none). */
  confirmation: string;
  enabled: boolean;
}

/**
 * `instance_detail_sections()`: an array of sections (or `{"sections":[…]}`), each
 * `{kind,title,order,content_html,iframe_url,data_json}` (null texts read as ''), optionally with
 * `fields: [{key,value,value_type}]`; ordered by `order` (equal ones keep their order). Items that
 * are not objects are dropped.
 * @throws PluginError script_error when the result is not a list
 */
export function readDetailSections(value: unknown): DetailSectionData[] {
  const list = listOf(asData(value), 'sections');
  if (!list) throw bad('instance_detail_sections', 'an array of sections [{"kind","title","order","content_html",…}]', value);
  const sections = list.filter(isObject).map((item) => {
    const json = item.data_json;
    const fields = Array.isArray(item.fields) ? item.fields.filter(isObject) : [];
    return {
      kind: text(item, 'kind'),
      title: text(item, 'title'),
      order: integer(item, 'order') ?? 0,
      contentHtml: text(item, 'content_html'),
      iframeUrl: text(item, 'iframe_url'),
      dataJson: typeof json === 'string' ? json : json === undefined || json === null ? '' : JSON.stringify(json),
      fields: fields.map((field) => ({ key: text(field, 'key'), value: text(field, 'value'), valueType: text(field, 'value_type') })),
    };
  });
  return sections.map((section, index) => ({ section, index }))
    .sort((a, b) => a.section.order - b.section.order || a.index - b.index)
    .map(({ section }) => section);
}

/**
 * `instance_actions()`: an array of actions (or `{"actions":[…]}`), each
 * `{id,label,style,confirmation,enabled}`; actions without an id are dropped, `enabled` defaults
 * to true, the label to the id.
 * @throws PluginError script_error when the result is not a list
 */
export function readInstanceActions(value: unknown): InstanceActionData[] {
  const list = listOf(asData(value), 'actions');
  if (!list) throw bad('instance_actions', 'an array of actions [{"id","label","style","confirmation","enabled"}]', value);
  return list.filter(isObject).filter((item) => text(item, 'id') !== '').map((item) => ({
    id: text(item, 'id'),
    label: text(item, 'label') || text(item, 'id'),
    style: text(item, 'style'),
    confirmation: text(item, 'confirmation'),
    enabled: flag(item, 'enabled', true),
  }));
}

/** `import_upstream_instance()`: `{"instance_id","status","ip_address", …}`. */
export function readImportedInstance(value: unknown, requestedId: string): ProviderInstance {
  const instance = readInstance('import_upstream_instance', asData(value), value);
  return { ...instance, instanceId: instance.instanceId || requestedId };
}

function listOf(data: unknown, key: string): unknown[] | null {
  if (Array.isArray(data)) return data;
  if (isObject(data) && Array.isArray(data[key])) return data[key] as unknown[];
  return null;
}

/** `sync_upstream_instances()`: an array of instances, or `{"instances": […]}`. */
export function readUpstreamInstances(value: unknown): ProviderInstance[] {
  const list = listOf(asData(value), 'instances');
  if (!list) throw bad('sync_upstream_instances', 'an array of instances or {"instances": […]}', value);
  return list.map((item) => readInstance('sync_upstream_instances', item, value)).filter((item) => item.instanceId !== '');
}

/** `get_upstream_balance()`: `{"balance","currency"}` or a bare decimal. */
export function readUpstreamBalance(value: unknown): { balance: string; currency: string } {
  const data = asData(value);
  const balance = moneyText(isObject(data) ? data.balance : data);
  if (balance === null) throw bad('get_upstream_balance', '{"balance":"…","currency":"…"} with a decimal balance', value);
  return { balance, currency: isObject(data) ? text(data, 'currency') || 'CNY' : 'CNY' };
}

/** A product as `sync_products()` describes it, in `ProductInfo` form (not stored; id empty). */
export type SyncedProduct = MessageInitShape<typeof ProductInfoSchema>;

/**
 * `sync_products()`: an array of products or `{"products": […]}`; each needs a `name` and a
 * decimal `price_per_month` (or `price` / `cost_price`). `interfaceId` and `groupId` are copied in.
 */
export function readSyncedProducts(value: unknown, interfaceId: string, groupId: string): SyncedProduct[] {
  const list = listOf(asData(value), 'products');
  if (!list) throw bad('sync_products', 'an array of products or {"products": […]}', value);
  return list.map((item, index) => {
    if (!isObject(item) || text(item, 'name') === '') throw bad('sync_products', `products with a "name" (item ${index} has none)`, value);
    const cost = moneyText(item.cost_price ?? item.cost);
    const price = moneyText(item.price_per_month ?? item.price ?? item.monthly_price ?? item.cost_price);
    if (price === null) throw bad('sync_products', `a decimal "price_per_month" for product "${text(item, 'name')}"`, value);
    const cycles = stringMap(item.billing_cycles);
    return {
      id: '',
      name: text(item, 'name'),
      description: text(item, 'description'),
      pricePerMonth: price,
      costPrice: cost ?? price,
      interfaceId,
      isActive: flag(item, 'is_active', true),
      createdAt: '',
      updatedAt: '',
      specs: stringMap(item.specs),
      groupId,
      billingCycles: Object.keys(cycles).length > 0 ? cycles : { monthly: price },
    };
  });
}

/** A spec field as read from a script (a `SpecField` init, plain data). */
export type SpecFieldData = Exclude<MessageInitShape<typeof SpecFieldSchema>, SpecField>;
/** A spec group as read from a script (a `SpecGroup` init, plain data). */
export type SpecGroupData = Omit<Exclude<MessageInitShape<typeof SpecGroupSchema>, SpecGroup>, 'fields'> & { fields: SpecFieldData[] };
/** A spec template as read from a script (a `SpecTemplate` init, plain data). */
export interface SpecTemplateData {
  fields: SpecFieldData[];
  groups: SpecGroupData[];
}

function optionalBig(source: Json, key: string): bigint | undefined {
  const value = integer(source, key);
  return value === undefined ? undefined : BigInt(value);
}

function readSpecField(item: unknown): SpecFieldData | null {
  if (!isObject(item) || text(item, 'key') === '') return null;
  const options = Array.isArray(item.options) ? item.options.filter(isObject) : [];
  const impact = isObject(item.price_impact) ? item.price_impact : null;
  const defaultValue = text(item, 'default_value');
  return {
    key: text(item, 'key'),
    label: text(item, 'label'),
    fieldType: text(item, 'field_type'),
    required: flag(item, 'required', false),
    displayOrder: Math.max(0, integer(item, 'display_order') ?? 0),
    options: options.map((option) => ({
      value: text(option, 'value'),
      label: text(option, 'label'),
      icon: text(option, 'icon'),
      description: text(option, 'description'),
      priceModifier: text(option, 'price_modifier'),
      disabled: flag(option, 'disabled', false),
    })),
    min: optionalBig(item, 'min'),
    max: optionalBig(item, 'max'),
    ...(defaultValue !== '' ? { defaultValue } : {}),
    unit: text(item, 'unit'),
    description: text(item, 'description'),
    icon: text(item, 'icon'),
    group: text(item, 'group'),
    step: optionalBig(item, 'step'),
    ...(impact ? { priceImpact: { mode: text(impact, 'mode'), amount: text(impact, 'amount'), currency: text(impact, 'currency') } } : {}),
  };
}

/**
 * `spec_template()`: `{"groups":[…],"fields":[…]}` (guide: spec_template — 规格模板). Fields without
 * a `key` are dropped.
 */
export function readSpecTemplate(value: unknown): SpecTemplateData {
  const data = asData(value);
  if (!isObject(data)) throw bad('spec_template', '{"groups":[…],"fields":[…]}', value);
  const fields = Array.isArray(data.fields) ? data.fields.map(readSpecField).filter((field) => field !== null) : [];
  const groups: SpecGroupData[] = (Array.isArray(data.groups) ? data.groups.filter(isObject) : []).map((group) => ({
    key: text(group, 'key'),
    label: text(group, 'label'),
    icon: text(group, 'icon'),
    displayOrder: Math.max(0, integer(group, 'display_order') ?? 0),
    fields: Array.isArray(group.fields) ? group.fields.map(readSpecField).filter((field) => field !== null) : [],
  }));
  return { fields, groups };
}

/** Any script value as JSON text (CallPluginAction's `result_json`); `undefined` becomes `null`. */
export function toResultJson(value: unknown): string {
  const data = asData(value);
  try {
    return JSON.stringify(data === undefined ? null : data) ?? 'null';
  } catch {
    return JSON.stringify(String(data));
  }
}

/** `items` ordered by `displayOrder`, equal ones keeping their order. */
function byDisplayOrder<T extends { displayOrder?: number }>(items: readonly T[]): T[] {
  return items.map((item, index) => ({ item, index }))
    .sort((a, b) => (a.item.displayOrder ?? 0) - (b.item.displayOrder ?? 0) || a.index - b.index)
    .map(({ item }) => item);
}

/**
 * A spec template as ListProviders sends it: every field in the top-level `fields`, each with
 * its `group` key set — the fields of the groups first (groups by display order, their fields by
 * display order; `display_order` values unchanged), then the template's own top-level fields that
 * no group already holds — and `groups` kept as they are (their fields' `group` set too) for the
 * group labels, icons and layout. Front-ends that read only `fields` (the flat mode of the guide)
 * then see every field of a grouped template; those that render groups see them as before. Pure.
 */
export function flattenSpecTemplate(template: SpecTemplateData): SpecTemplateData {
  const groups = template.groups.map((group) => ({ ...group, fields: group.fields.map((field) => ({ ...field, group: group.key ?? '' })) }));
  const fields: SpecFieldData[] = [];
  const seen = new Set<string>();
  const add = (field: SpecFieldData): void => {
    const key = field.key ?? '';
    if (seen.has(key)) return;
    seen.add(key);
    fields.push(field);
  };
  for (const group of byDisplayOrder(groups)) for (const field of byDisplayOrder(group.fields)) add(field);
  for (const field of template.fields) add(field);
  return { fields, groups };
}
