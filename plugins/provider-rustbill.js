// provider-rustbill.js — upstream provider: resell the servers of another RustBill-compatible
// server (RustBill or NodeBill) through its gRPC-Web API, authenticated with an API key of the
// reseller's customer account there (`authorization: Bearer <api_key>`).
//
// The sandbox has no protobuf library, so the few messages needed are encoded and decoded by hand
// below (varints and length-delimited fields; field numbers from proto/rustbill/*.proto).
//
// Contract function → upstream RPC:
//   health_check               rustbill.identity.IdentityService/GetMe
//   get_upstream_balance       rustbill.balance.BalanceService/GetBalance
//   sync_products              rustbill.product.ProductService/ListProducts (active products, all pages)
//   spec_template              rustbill.integration.IntegrationService/ListProviders (the upstream interface's template)
//   query_price                rustbill.integration.IntegrationService/QueryPrice
//   create_instance            rustbill.integration.IntegrationService/CreateUpstreamInstance (once per order_id:
//                              header idempotency-key, and a retry gets the instance remembered in the
//                              plugin state, read with GetInstance), then InstanceService/ListInstances
//                              to find the upstream's instance id of the provider instance it answered
//   get_instance_status        rustbill.instance.InstanceService/GetInstance
//   instance_detail_sections   rustbill.instance.InstanceService/GetInstance (its sections)
//   instance_actions           rustbill.instance.InstanceService/GetInstance (its actions)
//   execute_action             InstanceService/Start|Stop|RestartInstance, else ExecuteInstanceAction
//   terminate_instance         rustbill.instance.InstanceService/TerminateInstance
//   sync_upstream_instances    rustbill.instance.InstanceService/ListInstances (all pages)
//   import_upstream_instance   rustbill.instance.InstanceService/GetInstance
// An upstream error comes back as "ERROR: upstream <Service>/<Method> failed: <CODE> (grpc-status n): <grpc-message>".
//
// Transport: binary gRPC-Web (`application/grpc-web+proto`) through the NodeBill host function
// `http_request_bytes(method, url, body_base64, content_type, headers)`, which returns
// `{"status","headers","body_base64"}`: a successful call's status is in the trailer frame of the
// body, an error raised before any response message comes "trailers-only" with grpc-status and
// grpc-message as HTTP headers (http_post_bytes, which returns only the body, cannot see those).

// ── Contract: metadata ──────────────────────────────────────────────────────────────────────────

function config_schema(_config, _unused) {
  return {
    type: 'object',
    required: ['api_url', 'api_key'],
    properties: {
      api_url: { type: 'string', description: 'Upstream server URL (its gRPC-Web endpoint), e.g. https://upstream.example.com' },
      api_key: { type: 'string', format: 'password', description: 'API key of your customer account at the upstream' },
      upstream_interface_id: { type: 'string', description: "The upstream's provider interface id to price and order at" },
      currency: { type: 'string', default_value: 'CNY', description: 'Currency of the upstream account' },
      markup_percent: { type: 'string', default_value: '0', description: 'Markup on upstream prices for sync_products, in percent (e.g. "20")' },
    },
  };
}

function version(_config, _unused) {
  return '1.0.0';
}

function initialize(config, _unused) {
  if (!/^https?:\/\//.test(text(config.api_url))) return 'ERROR: api_url must be an http(s) URL';
  if (text(config.api_key) === '') return 'ERROR: api_key is required';
  return 'OK';
}

// Healthy when the upstream accepts the API key (GetMe answers with grpc-status 0).
async function health_check(config, _unused) {
  const reply = await upstream(config, 'rustbill.identity.IdentityService/GetMe', []);
  if (reply.error) return JSON.stringify({ healthy: false, error: reply.error.replace(/^ERROR:\s*/, '') });
  const me = decode(reply.message, { 1: ['user', 'message', USER_INFO] });
  rustbill_host.log_info(`upstream ${text(config.api_url)}: authenticated as ${me.user ? me.user.user_type : '?'} of customer ${me.user ? me.user.customer_id : '?'}`);
  return 'true';
}

// {"balance","currency","credit_limit","customer_id"}
async function get_upstream_balance(config, _unused) {
  const reply = await upstream(config, 'rustbill.balance.BalanceService/GetBalance', []); // customer_id empty = own
  if (reply.error) return reply.error;
  const balance = decode(reply.message, { 1: ['customer_id', 'string'], 2: ['balance', 'string'], 3: ['credit_limit', 'string'] });
  return JSON.stringify({
    balance: balance.balance || '0.00',
    credit_limit: balance.credit_limit || '0.00',
    customer_id: balance.customer_id || '',
    currency: text(config.currency) || 'CNY',
  });
}

// ── Contract: catalog and pricing ───────────────────────────────────────────────────────────────

// The upstream's active products as local products (cost = upstream price, price = cost + markup).
async function sync_products(config, _unused) {
  const markup = toCents(text(config.markup_percent) || '0'); // percent with up to 2 decimals, ×100
  if (markup === null) return 'ERROR: markup_percent must be a decimal such as "20"';
  const products = [];
  for (let page = 1; page <= 50; page += 1) {
    const request = [];
    putMessage(request, 1, pageRequest(page, 100));
    putBool(request, 4, true, true); // optional is_active = true
    const reply = await upstream(config, 'rustbill.product.ProductService/ListProducts', request);
    if (reply.error) return reply.error;
    const listed = decode(reply.message, { 1: ['products', 'repeated', PRODUCT_INFO], 2: ['meta', 'message', PAGE_META] });
    for (const product of listed.products) {
      const cost = toCents(product.price_per_month || '0');
      if (cost === null) continue;
      const price = cost + Math.round((cost * markup) / 10000);
      const specs = Object.assign({}, product.specs, { upstream_product_id: product.id });
      const cycles = {};
      for (const cycle of Object.keys(product.billing_cycles)) {
        const upstreamCycle = toCents(product.billing_cycles[cycle]);
        if (upstreamCycle !== null) cycles[cycle] = fromCents(upstreamCycle + Math.round((upstreamCycle * markup) / 10000));
      }
      products.push({
        name: product.name,
        description: product.description,
        price_per_month: fromCents(price),
        cost_price: fromCents(cost),
        is_active: product.is_active,
        specs,
        billing_cycles: cycles,
      });
    }
    const meta = listed.meta || {};
    if (!meta.total_pages || page >= meta.total_pages) break;
  }
  return JSON.stringify({ products });
}

// The spec template of the upstream provider interface (upstream_interface_id).
async function spec_template(config, _unused) {
  const reply = await upstream(config, 'rustbill.integration.IntegrationService/ListProviders', []);
  if (reply.error) return reply.error;
  const listed = decode(reply.message, { 1: ['providers', 'repeated', PROVIDER_INFO] });
  const wanted = text(config.upstream_interface_id);
  const provider = listed.providers.find((item) => wanted === '' || item.interface_id === wanted);
  if (!provider) return `ERROR: the upstream has no provider interface ${wanted}`;
  const template = provider.spec_template || { fields: [], groups: [] };
  return JSON.stringify({ fields: template.fields || [], groups: template.groups || [] });
}

// query_price(config + spec) → {"amount","currency","billing_cycle"}
async function query_price(merged, _unused) {
  const spec = serverSpecOf(merged);
  const request = [];
  putString(request, 1, text(merged.upstream_interface_id));
  putUint(request, 2, spec.cpu_cores);
  putUint(request, 3, spec.memory_gb);
  putUint(request, 4, spec.disk_gb);
  putUint(request, 5, spec.bandwidth_mbps);
  putString(request, 6, spec.region);
  putString(request, 7, spec.os);
  putMap(request, 8, spec.extra_specs);
  const reply = await upstream(merged, 'rustbill.integration.IntegrationService/QueryPrice', request);
  if (reply.error) return reply.error;
  const quote = decode(reply.message, { 1: ['amount', 'string'], 2: ['currency', 'string'], 3: ['billing_cycle', 'string'] });
  return JSON.stringify({ amount: quote.amount, currency: quote.currency || text(merged.currency) || 'CNY', billing_cycle: quote.billing_cycle || 'monthly' });
}

// ── Contract: instances ─────────────────────────────────────────────────────────────────────────

// create_instance(config + spec + order_id?) → {"instance_id","status","ip_address","created_at"}
// The instance id kept is the upstream's own instance id (InstanceInfo.id, what its
// InstanceService addresses): CreateUpstreamInstance answers the id of the upstream's *provider*
// (NodeBill: e.g. the Incus instance name), so the instance is looked up in ListInstances (the API
// key's customer's instances of upstream_interface_id, newest first) by provider_instance_id — or
// by id, for an upstream that answers its instance id already; found nowhere, the answered id is
// kept as it is.
// Idempotent per order, twice over: the call carries the header `idempotency-key:
// nodebill-order:<order_id>`, so an upstream that honours it (NodeBill does) answers a retry with
// the order and instance of the first call — even when this side lost the answer (a timeout) —;
// and the instance made for an order_id is remembered in the plugin state (see rememberOrder), so a
// retried provisioning of that order reports it (its current state from GetInstance) without
// calling CreateUpstreamInstance again. Without an order_id (an admin creating a server directly)
// every call orders a new instance.
async function create_instance(merged, _unused) {
  const orderId = text(merged.order_id);
  if (orderId !== '') {
    const known = await rememberedOrder(orderId);
    if (known !== '') {
      rustbill_host.log_info(`upstream instance ${known} was already ordered for order ${orderId}; reporting it`);
      const found = await getInstance(Object.assign({}, merged, { instance_id: known }));
      if (typeof found === 'string') {
        rustbill_host.log_warn(`upstream instance ${known} of order ${orderId} could not be read (${found}); reporting it as pending`);
        return JSON.stringify({ instance_id: known, status: 'pending', ip_address: '', created_at: '' });
      }
      return JSON.stringify({ instance_id: known, status: statusWord(found.instance.status), ip_address: found.instance.ip_address, created_at: found.instance.created_at });
    }
  }
  const request = [];
  putString(request, 1, text(merged.upstream_interface_id));
  putMessage(request, 2, serverSpecBytes(serverSpecOf(merged)));
  const headers = orderId === '' ? {} : { 'idempotency-key': `nodebill-order:${orderId}` };
  const reply = await upstream(merged, 'rustbill.integration.IntegrationService/CreateUpstreamInstance', request, headers);
  if (reply.error) return reply.error;
  const created = decode(reply.message, { 1: ['provider_instance_id', 'string'], 2: ['status', 'string'], 3: ['ip_address', 'string'] });
  if (created.provider_instance_id === '') return 'ERROR: upstream CreateUpstreamInstance returned no instance id';
  const listed = await upstreamInstanceOf(merged, created.provider_instance_id);
  const instanceId = listed ? listed.id : created.provider_instance_id;
  if (orderId !== '') await rememberOrder(orderId, instanceId);
  rustbill_host.log_info(`upstream instance ${instanceId} (provider instance ${created.provider_instance_id}) ordered${orderId === '' ? '' : ` for order ${orderId}`}`);
  return JSON.stringify({
    instance_id: instanceId,
    status: statusWord(created.status || (listed ? listed.status : '')),
    ip_address: created.ip_address || (listed ? listed.ip_address : ''),
    created_at: listed ? listed.created_at : '',
  });
}

// The upstream instance (InstanceInfo) whose provider_instance_id — or id — is `id`, from
// ListInstances of upstream_interface_id (newest first at NodeBill: the instance just made is on
// the first page); null when none is found or the listing fails (logged).
async function upstreamInstanceOf(merged, id) {
  const interfaceId = text(merged.upstream_interface_id);
  for (let page = 1; page <= 50; page += 1) {
    const request = [];
    putMessage(request, 1, pageRequest(page, 100));
    if (interfaceId !== '') putString(request, 4, interfaceId, true); // optional provider_interface_id
    const reply = await upstream(merged, 'rustbill.instance.InstanceService/ListInstances', request);
    if (reply.error) {
      rustbill_host.log_warn(`could not look up the upstream instance of provider instance ${id}: ${reply.error}`);
      return null;
    }
    const listed = decode(reply.message, { 1: ['instances', 'repeated', INSTANCE_INFO], 2: ['meta', 'message', PAGE_META] });
    const found = listed.instances.find((instance) => instance.provider_instance_id === id) || listed.instances.find((instance) => instance.id === id);
    if (found) return found;
    const meta = listed.meta || {};
    if (!meta.total_pages || page >= meta.total_pages) break;
  }
  rustbill_host.log_warn(`the upstream lists no instance of provider instance ${id}; keeping that id`);
  return null;
}

// Orders and the upstream instances made for them, in the plugin state: ORDER_BUCKETS keys
// `orders:<n>` (n from the SHA-256 of the order id), each a JSON object {order_id: instance_id}
// of at most ORDER_BUCKET_SIZE entries, the oldest dropped first — a bounded number of keys however
// many orders there are (state keys are never deleted), and room for the last
// ORDER_BUCKETS × ORDER_BUCKET_SIZE orders, far more than are ever being retried at once.
const ORDER_BUCKETS = 64;
const ORDER_BUCKET_SIZE = 100;

async function orderBucketKey(orderId) {
  const hash = text(await rustbill_host.sha256_hex(orderId));
  return `orders:${parseInt(hash.slice(0, 8), 16) % ORDER_BUCKETS}`;
}

async function orderBucket(key) {
  const stored = await rustbill_host.state_get(key);
  if (stored === '') return {};
  try {
    const parsed = JSON.parse(stored);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  } catch (_error) {
    return {};
  }
}

// The upstream instance id remembered for the order, or ''.
async function rememberedOrder(orderId) {
  const bucket = await orderBucket(await orderBucketKey(orderId));
  return text(bucket[orderId]);
}

// Remembers the order's instance. A failure to store is logged, never returned: the instance exists
// at the upstream, and failing now would make provisioning retry and order a second one.
async function rememberOrder(orderId, instanceId) {
  try {
    const key = await orderBucketKey(orderId);
    const bucket = await orderBucket(key);
    delete bucket[orderId];
    bucket[orderId] = instanceId;
    const ids = Object.keys(bucket);
    for (let index = 0; index < ids.length - ORDER_BUCKET_SIZE; index += 1) delete bucket[ids[index]];
    await rustbill_host.state_set(key, JSON.stringify(bucket));
  } catch (error) {
    rustbill_host.log_error(`could not remember upstream instance ${instanceId} of order ${orderId}: ${error && error.message ? error.message : error}`);
  }
}

async function get_instance_status(merged, _unused) {
  const found = await getInstance(merged);
  if (typeof found === 'string') return found;
  return JSON.stringify({ status: statusWord(found.instance.status), ip_address: found.instance.ip_address });
}

async function terminate_instance(merged, _unused) {
  const id = instanceIdOf(merged);
  if (id === '') return 'ERROR: instance_id is required';
  const reply = await upstream(merged, 'rustbill.instance.InstanceService/TerminateInstance', idRequest(id));
  if (reply.error) return reply.error;
  return JSON.stringify({ success: true, message: `Upstream instance ${id} terminated` });
}

// Power actions map to their own RPCs; any other id goes to the upstream plugin's action.
async function execute_action(merged, _unused) {
  const id = instanceIdOf(merged);
  const action = text(merged.action);
  if (id === '') return 'ERROR: instance_id is required';
  const power = { start: 'StartInstance', stop: 'StopInstance', restart: 'RestartInstance', reboot: 'RestartInstance' }[action];
  if (power !== undefined) {
    const reply = await upstream(merged, `rustbill.instance.InstanceService/${power}`, idRequest(id));
    if (reply.error) return reply.error;
    const answer = decode(reply.message, { 1: ['instance', 'message', INSTANCE_INFO] });
    const status = answer.instance ? statusWord(answer.instance.status) : '';
    return JSON.stringify({ success: true, message: `${action}: done`, data: JSON.stringify({ status }) });
  }
  const request = idRequest(id);
  putString(request, 2, action);
  const reply = await upstream(merged, 'rustbill.instance.InstanceService/ExecuteInstanceAction', request);
  if (reply.error) return reply.error;
  const result = decode(reply.message, { 1: ['success', 'bool'], 2: ['message', 'string'], 3: ['data', 'string'] });
  return JSON.stringify(result);
}

async function instance_detail_sections(merged, _unused) {
  const found = await getInstance(merged);
  if (typeof found === 'string') return found;
  return JSON.stringify(found.sections.map((section) => ({
    kind: section.kind || 'properties',
    title: section.title,
    order: section.order,
    content_html: section.content_html || (section.fields.length > 0 ? fieldsTable(section.fields) : null),
    iframe_url: section.iframe_url || null,
    data_json: section.data_json || null,
  })));
}

async function instance_actions(merged, _unused) {
  const found = await getInstance(merged);
  if (typeof found === 'string') return found;
  return JSON.stringify(found.actions);
}

// All instances of our account at the upstream.
async function sync_upstream_instances(config, _unused) {
  const instances = [];
  for (let page = 1; page <= 50; page += 1) {
    const request = [];
    putMessage(request, 1, pageRequest(page, 100));
    const reply = await upstream(config, 'rustbill.instance.InstanceService/ListInstances', request);
    if (reply.error) return reply.error;
    const listed = decode(reply.message, { 1: ['instances', 'repeated', INSTANCE_INFO], 2: ['meta', 'message', PAGE_META] });
    for (const instance of listed.instances) {
      instances.push({ instance_id: instance.id, status: statusWord(instance.status), ip_address: instance.ip_address, created_at: instance.created_at });
    }
    const meta = listed.meta || {};
    if (!meta.total_pages || page >= meta.total_pages) break;
  }
  return JSON.stringify({ instances });
}

async function import_upstream_instance(merged, _unused) {
  const found = await getInstance(merged);
  if (typeof found === 'string') return found;
  const instance = found.instance;
  return JSON.stringify({
    instance_id: instance.id,
    status: statusWord(instance.status),
    ip_address: instance.ip_address,
    created_at: instance.created_at,
    product_name: instance.product_name,
    server_spec: instance.server_spec,
  });
}

// ── Upstream calls ──────────────────────────────────────────────────────────────────────────────

const GRPC_CODES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
  'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

// Calls one unary RPC. Returns {message: bytes} or {error: "ERROR: upstream …"}.
async function upstream(config, method, requestBytes, extraHeaders) {
  const host = rustbill_host;
  const url = `${text(config.api_url).replace(/\/+$/, '')}/${method}`;
  const body = frame(requestBytes);
  const headers = { ...(extraHeaders || {}), authorization: `Bearer ${text(config.api_key)}`, 'x-grpc-web': '1', 'x-user-agent': 'nodebill-provider-rustbill/1.0' };
  const short = method.replace(/^rustbill\.[a-z_]+\./, '');
  // Binary gRPC-Web with the full response: an error raised before any response message comes
  // back "trailers-only", its grpc-status / grpc-message in the HTTP headers instead of the body.
  const answer = await host.http_request_bytes('POST', url, base64Encode(body), 'application/grpc-web+proto', JSON.stringify(headers));
  const response = typeof answer === 'string' ? JSON.parse(answer) : answer;
  const httpStatus = Number(response.status);
  const responseHeaders = lowerKeys(response.headers || {});
  let status = text(responseHeaders['grpc-status']);
  let message = percentDecode(text(responseHeaders['grpc-message']));
  const bytes = base64Decode(text(response.body_base64));
  if (httpStatus !== 200 && status === '') return { error: `ERROR: upstream ${short} failed: HTTP ${httpStatus}` };

  // Frames: 0x00 data, 0x80 trailer ("grpc-status: 0\r\ngrpc-message: …").
  let data = null;
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const flags = bytes[offset];
    const length = ((bytes[offset + 1] * 16777216) + (bytes[offset + 2] << 16) + (bytes[offset + 3] << 8) + bytes[offset + 4]);
    const payload = bytes.slice(offset + 5, offset + 5 + length);
    offset += 5 + length;
    if ((flags & 0x80) !== 0) {
      for (const line of utf8Decode(payload).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        if (key === 'grpc-status') status = line.slice(colon + 1).trim();
        if (key === 'grpc-message') message = percentDecode(line.slice(colon + 1).trim());
      }
    } else if (data === null) {
      data = payload;
    }
  }
  if (status === '') return { error: `ERROR: upstream ${short} failed: the response carried no grpc-status` };
  if (status !== '0') {
    const code = GRPC_CODES[Number(status)] || 'UNKNOWN';
    host.log_warn(`upstream ${short}: ${code} ${message}`);
    return { error: `ERROR: upstream ${short} failed: ${code} (grpc-status ${status}): ${message || 'no message'}` };
  }
  return { message: data === null ? [] : data };
}

async function getInstance(merged) {
  const id = instanceIdOf(merged);
  if (id === '') return 'ERROR: instance_id is required';
  const reply = await upstream(merged, 'rustbill.instance.InstanceService/GetInstance', idRequest(id));
  if (reply.error) return reply.error;
  const found = decode(reply.message, {
    1: ['instance', 'message', INSTANCE_INFO],
    2: ['sections', 'repeated', DETAIL_SECTION],
    3: ['actions', 'repeated', INSTANCE_ACTION],
  });
  if (!found.instance) return `ERROR: upstream GetInstance returned no instance ${id}`;
  return found;
}

function instanceIdOf(merged) {
  return text(merged.instance_id) || text(merged.provider_instance_id);
}

// The upstream's instance statuses → the guide's running / stopped / terminated / pending / error.
function statusWord(status) {
  const value = text(status).toLowerCase();
  if (value === 'provisioning' || value === 'pending' || value === '') return 'pending';
  if (value === 'suspended') return 'stopped';
  return value;
}

function serverSpecOf(merged) {
  const spec = merged.server_spec && typeof merged.server_spec === 'object' ? merged.server_spec : merged;
  const number = (key) => {
    const value = Number(text(spec[key]));
    return Number.isInteger(value) && value > 0 ? value : 0;
  };
  const extra = spec.extra_specs && typeof spec.extra_specs === 'object' ? spec.extra_specs : {};
  return {
    cpu_cores: number('cpu_cores'), memory_gb: number('memory_gb'), disk_gb: number('disk_gb'),
    bandwidth_mbps: number('bandwidth_mbps'), region: text(spec.region), os: text(spec.os), extra_specs: extra,
  };
}

function serverSpecBytes(spec) {
  const out = [];
  putUint(out, 1, spec.cpu_cores);
  putUint(out, 2, spec.memory_gb);
  putUint(out, 3, spec.disk_gb);
  putUint(out, 4, spec.bandwidth_mbps);
  putString(out, 5, spec.region);
  putString(out, 6, spec.os);
  putMap(out, 7, spec.extra_specs);
  return out;
}

function pageRequest(page, size) {
  const out = [];
  putUint(out, 1, page);
  putUint(out, 2, size);
  return out;
}

function idRequest(id) {
  const out = [];
  putString(out, 1, id);
  return out;
}

function fieldsTable(fields) {
  const escape = (value) => text(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<table>${fields.map((field) => `<tr><th>${escape(field.key)}</th><td>${escape(field.value)}</td></tr>`).join('')}</table>`;
}

// ── Message layouts (field number → [name, kind, nested layout, OPTIONAL]) ──────────────────────
// OPTIONAL marks proto3 `optional` fields: absent from the result unless the message carries them.

const OPTIONAL = 'optional';

const PAGE_META = { 1: ['total', 'uint'], 2: ['page', 'uint'], 3: ['page_size', 'uint'], 4: ['total_pages', 'uint'] };
const USER_INFO = {
  1: ['id', 'string'], 2: ['username', 'string'], 3: ['email', 'string'], 4: ['display_name', 'string'], 5: ['role', 'string'],
  6: ['is_active', 'bool'], 7: ['created_at', 'string'], 8: ['user_type', 'string'], 9: ['customer_id', 'string'],
};
const PRODUCT_INFO = {
  1: ['id', 'string'], 2: ['name', 'string'], 3: ['description', 'string'], 10: ['price_per_month', 'string'],
  11: ['interface_id', 'string'], 13: ['is_active', 'bool'], 14: ['created_at', 'string'], 15: ['updated_at', 'string'],
  16: ['specs', 'map'], 17: ['group_id', 'string'], 18: ['billing_cycles', 'map'], 19: ['cost_price', 'string'],
};
const INSTANCE_INFO = {
  1: ['id', 'string'], 2: ['order_id', 'string'], 3: ['customer_id', 'string'], 4: ['product_id', 'string'],
  5: ['provider_interface_id', 'string'], 6: ['provider_instance_id', 'string'], 7: ['status', 'string'], 8: ['ip_address', 'string'],
  9: ['server_spec', 'map'], 10: ['product_name', 'string'], 11: ['created_at', 'string'], 12: ['updated_at', 'string'],
};
const DETAIL_FIELD = { 1: ['key', 'string'], 2: ['value', 'string'], 3: ['value_type', 'string'] };
const DETAIL_SECTION = {
  1: ['title', 'string'], 2: ['fields', 'repeated', DETAIL_FIELD], 3: ['content_html', 'string'], 4: ['kind', 'string'],
  5: ['order', 'int32'], 6: ['iframe_url', 'string'], 7: ['data_json', 'string'],
};
const INSTANCE_ACTION = { 1: ['id', 'string'], 2: ['label', 'string'], 3: ['style', 'string'], 4: ['confirmation', 'string'], 5: ['enabled', 'bool'] };
const SPEC_OPTION = {
  1: ['value', 'string'], 2: ['label', 'string'], 3: ['icon', 'string'], 4: ['description', 'string'],
  5: ['price_modifier', 'string'], 6: ['disabled', 'bool'],
};
const PRICE_IMPACT = { 1: ['mode', 'string'], 2: ['amount', 'string'], 3: ['currency', 'string'] };
const SPEC_FIELD = {
  1: ['key', 'string'], 2: ['label', 'string'], 3: ['field_type', 'string'], 4: ['required', 'bool'], 5: ['display_order', 'uint'],
  6: ['options', 'repeated', SPEC_OPTION], 7: ['min', 'int64', null, OPTIONAL], 8: ['max', 'int64', null, OPTIONAL],
  9: ['default_value', 'string', null, OPTIONAL], 10: ['unit', 'string'], 11: ['description', 'string'], 12: ['icon', 'string'],
  13: ['group', 'string'], 14: ['step', 'int64', null, OPTIONAL],
  15: ['price_impact', 'message', PRICE_IMPACT],
};
const SPEC_GROUP = { 1: ['key', 'string'], 2: ['label', 'string'], 3: ['icon', 'string'], 4: ['display_order', 'uint'], 5: ['fields', 'repeated', SPEC_FIELD] };
const SPEC_TEMPLATE = { 1: ['fields', 'repeated', SPEC_FIELD], 2: ['groups', 'repeated', SPEC_GROUP] };
const PROVIDER_INFO = {
  1: ['interface_id', 'string'], 2: ['provider_name', 'string'], 3: ['provider_type', 'string'], 4: ['is_healthy', 'bool'],
  5: ['spec_template', 'message', SPEC_TEMPLATE],
};

// ── Protobuf wire format, by hand ───────────────────────────────────────────────────────────────
// Encoding appends to a plain array of byte values. Proto3 defaults (0, "", false) are not written
// unless `always` is set (proto3 `optional` fields).

function putVarint(out, value) {
  let rest = value;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

function putTag(out, field, wireType) {
  putVarint(out, field * 8 + wireType);
}

function putUint(out, field, value, always) {
  if (!value && !always) return;
  putTag(out, field, 0);
  putVarint(out, value);
}

function putBool(out, field, value, always) {
  if (!value && !always) return;
  putTag(out, field, 0);
  out.push(value ? 1 : 0);
}

function putBytes(out, field, bytes) {
  putTag(out, field, 2);
  putVarint(out, bytes.length);
  for (let index = 0; index < bytes.length; index += 1) out.push(bytes[index]);
}

function putString(out, field, value, always) {
  if (value === '' && !always) return;
  putBytes(out, field, utf8Encode(value));
}

function putMessage(out, field, bytes) {
  putBytes(out, field, bytes);
}

// map<string,string>: repeated entries {1: key, 2: value}
function putMap(out, field, map) {
  for (const key of Object.keys(map || {})) {
    const entry = [];
    putString(entry, 1, key);
    putString(entry, 2, text(map[key]));
    putMessage(out, field, entry);
  }
}

// Reads a varint at `state.offset`; returns {value, low32} (low32 = the low 32 bits, for int32).
function readVarint(bytes, state) {
  let value = 0;
  let low32 = 0;
  let scale = 1;
  for (let index = 0; index < 10; index += 1) {
    if (state.offset >= bytes.length) throw new Error('truncated varint');
    const byte = bytes[state.offset];
    state.offset += 1;
    value += (byte & 0x7f) * scale;
    if (index < 5) low32 = (low32 + (byte & 0x7f) * scale) % 4294967296;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, low32 };
  }
  throw new Error('varint longer than 10 bytes');
}

// Decodes a message by its layout; unknown fields are skipped. Missing fields get proto3 defaults.
function decode(bytes, layout) {
  const result = {};
  for (const number of Object.keys(layout)) {
    const [name, kind, _nested, presence] = layout[number];
    if (presence === OPTIONAL) continue;
    result[name] = kind === 'repeated' ? [] : kind === 'map' ? {} : kind === 'message' ? null
      : kind === 'string' ? '' : kind === 'bool' ? false : 0;
  }
  const state = { offset: 0 };
  while (state.offset < bytes.length) {
    const key = readVarint(bytes, state).value;
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    let varint = null;
    let chunk = null;
    if (wireType === 0) varint = readVarint(bytes, state);
    else if (wireType === 1) state.offset += 8;
    else if (wireType === 5) state.offset += 4;
    else if (wireType === 2) {
      const length = readVarint(bytes, state).value;
      chunk = bytes.slice(state.offset, state.offset + length);
      state.offset += length;
    } else throw new Error(`unsupported wire type ${wireType}`);
    const spec = layout[field];
    if (spec === undefined) continue;
    const [name, kind, nested] = spec;
    if (kind === 'string' && chunk !== null) result[name] = utf8Decode(chunk);
    else if (kind === 'bool' && varint !== null) result[name] = varint.value !== 0;
    else if (kind === 'uint' && varint !== null) result[name] = varint.value;
    else if (kind === 'int32' && varint !== null) result[name] = varint.low32 | 0;
    else if (kind === 'int64' && varint !== null) result[name] = varint.value >= 9223372036854775808 ? varint.low32 | 0 : varint.value; // small negatives
    else if (kind === 'message' && chunk !== null) result[name] = decode(chunk, nested);
    else if (kind === 'repeated' && chunk !== null) result[name].push(decode(chunk, nested));
    else if (kind === 'map' && chunk !== null) {
      const entry = decode(chunk, { 1: ['key', 'string'], 2: ['value', 'string'] });
      result[name][entry.key] = entry.value;
    }
  }
  return result;
}

// A gRPC-Web data frame: flag 0, 4-byte big-endian length, message.
function frame(message) {
  const length = message.length;
  return [0, (length >>> 24) & 255, (length >>> 16) & 255, (length >>> 8) & 255, length & 255].concat(message);
}

// ── Bytes, UTF-8, base64 ────────────────────────────────────────────────────────────────────────

function utf8Encode(value) {
  const out = [];
  for (const character of String(value)) {
    const code = character.codePointAt(0);
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return out;
}

function utf8Decode(bytes) {
  let out = '';
  let index = 0;
  while (index < bytes.length) {
    const byte = bytes[index];
    let code;
    let extra;
    if (byte < 0x80) { code = byte; extra = 0; }
    else if (byte >= 0xf0) { code = byte & 7; extra = 3; }
    else if (byte >= 0xe0) { code = byte & 15; extra = 2; }
    else if (byte >= 0xc0) { code = byte & 31; extra = 1; }
    else { code = 0xfffd; extra = 0; }
    for (let next = 1; next <= extra; next += 1) code = (code << 6) | ((bytes[index + next] || 0) & 63);
    out += String.fromCodePoint(code);
    index += 1 + extra;
  }
  return out;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64Encode(bytes) {
  let out = '';
  for (let index = 0; index < bytes.length; index += 3) {
    const a = bytes[index];
    const b = index + 1 < bytes.length ? bytes[index + 1] : 0;
    const c = index + 2 < bytes.length ? bytes[index + 2] : 0;
    out += BASE64[a >> 2] + BASE64[((a & 3) << 4) | (b >> 4)];
    out += index + 1 < bytes.length ? BASE64[((b & 15) << 2) | (c >> 6)] : '=';
    out += index + 2 < bytes.length ? BASE64[c & 63] : '=';
  }
  return out;
}

// Decodes base64, also several padded chunks one after another (gRPC-Web-text may send those).
function base64Decode(value) {
  const out = [];
  let buffer = 0;
  let bits = 0;
  for (const character of value) {
    if (character === '=') { buffer = 0; bits = 0; continue; } // end of a chunk
    const digit = BASE64.indexOf(character === '-' ? '+' : character === '_' ? '/' : character);
    if (digit < 0) continue; // whitespace
    buffer = (buffer << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 255);
      buffer &= (1 << bits) - 1;
    }
  }
  return out;
}

function percentDecode(value) {
  try {
    return decodeURIComponent(value);
  } catch (_error) {
    return value;
  }
}

function lowerKeys(object) {
  const out = {};
  for (const key of Object.keys(object)) out[key.toLowerCase()] = object[key];
  return out;
}

function text(value) {
  if (value === undefined || value === null) return '';
  return String(value).trim();
}

function toCents(value) {
  const match = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text(value));
  if (!match) return null;
  const fraction = match[2] === undefined ? '00' : match[2].length === 1 ? `${match[2]}0` : match[2];
  return Number(match[1]) * 100 + Number(fraction);
}

function fromCents(cents) {
  const rest = cents % 100;
  return `${(cents - rest) / 100}.${rest < 10 ? '0' : ''}${rest}`;
}
