// provider-incus.js — first-party provider for Incus (https://linuxcontainers.org/incus/), speaking
// the Incus REST API over mutual TLS through rustbill_host.http_request_with_cert.
//
// Set-up on the Incus side: `incus config set core.https_address :8443`, then trust the client
// certificate whose PEM goes into `cert_pem`/`key_pem` (`incus config trust add-certificate client.crt`).
// `ca_pem` is the server certificate (or its CA) when it is not publicly trusted (Incus generates a
// self-signed one: `incus info | sed -n '/BEGIN CERT/,/END CERT/p'`).
//
// Endpoints used:
//   GET    /1.0                               health (metadata.auth must be "trusted")
//   POST   /1.0/instances                     create (+ start) → async operation
//   GET    /1.0/operations/{id}/wait?timeout= wait for an operation
//   GET    /1.0/instances/{name}/state        status and addresses
//   PUT    /1.0/instances/{name}/state        {"action":"start|stop|restart|freeze|unfreeze","force":bool,"timeout":s}
//   DELETE /1.0/instances/{name}              delete (after a forced stop)
//   PATCH  /1.0/instances/{name}              resize: {"config":{"limits.cpu":"n","limits.memory":"mGiB"}}
//
// Besides the guide's 12 provider functions it defines resize_instance (a NodeBill extension:
// billing changes a running instance to another spec through it).
//
// Instance ids are Incus instance names: `<name_prefix>-<order id>`.
// Provider functions return JSON strings (the guide's provider convention); errors are "ERROR: …".
// Prices are decimal strings in the config; computed here in integer cents.

// ── Contract: metadata ──────────────────────────────────────────────────────────────────────────

function config_schema(_config, _unused) {
  return {
    type: 'object',
    required: ['api_url', 'cert_pem', 'key_pem'],
    properties: {
      api_url: { type: 'string', description: 'Incus API URL, e.g. https://incus.example.com:8443' },
      cert_pem: { type: 'string', description: 'Client certificate (PEM), trusted by the Incus server' },
      key_pem: { type: 'string', format: 'password', description: 'Client private key (PEM)' },
      ca_pem: { type: 'string', description: 'Server certificate or CA to trust (PEM; empty = system CAs)' },
      project: { type: 'string', description: 'Incus project (empty = default)' },
      instance_type: { type: 'string', enum: ['virtual-machine', 'container'], default_value: 'virtual-machine', description: 'Instance type' },
      storage_pool: { type: 'string', default_value: 'default', description: 'Storage pool of the root disk' },
      image_server: { type: 'string', default_value: 'https://images.linuxcontainers.org', description: 'Image server (simplestreams); empty = local images' },
      name_prefix: { type: 'string', default_value: 'rb', description: 'Prefix of instance names' },
      console_url: { type: 'string', description: 'Base URL of a web console; the instance name is appended (optional)' },
      operation_wait_secs: { type: 'integer', minimum: 0, maximum: 60, default_value: '3', description: 'How long a call waits for an Incus operation' },
      currency: { type: 'string', default_value: 'CNY', description: 'Currency of the prices' },
      price_base: { type: 'string', default_value: '0.00', description: 'Monthly base price per instance' },
      price_per_cpu: { type: 'string', default_value: '10.00', description: 'Monthly price per vCPU' },
      price_per_gb_memory: { type: 'string', default_value: '5.00', description: 'Monthly price per GB of memory' },
      price_per_gb_disk: { type: 'string', default_value: '0.50', description: 'Monthly price per GB of disk' },
      plans: {
        type: 'array',
        description: 'Plans for sync_products: [{"name","cpu_cores","memory_gb","disk_gb"}] (empty = built-in S/M/L)',
        items: { type: 'object' },
      },
    },
  };
}

function version(_config, _unused) {
  return '1.1.0';
}

function initialize(config, _unused) {
  for (const key of ['api_url', 'cert_pem', 'key_pem']) {
    if (text(config[key]) === '') return `ERROR: Incus provider is not configured: ${key} is missing`;
  }
  return 'OK';
}

// Healthy when the API answers and trusts our client certificate.
async function health_check(config, _unused) {
  const response = await incus(config, 'GET', '/1.0', null);
  if (response.status !== 200) return JSON.stringify({ healthy: false, error: `Incus answered HTTP ${response.status}: ${errorText(response)}` });
  const auth = response.json && response.json.metadata ? text(response.json.metadata.auth) : '';
  if (auth !== 'trusted') return JSON.stringify({ healthy: false, error: `Incus does not trust the client certificate (auth: ${auth || 'none'})` });
  return 'true';
}

// ── Contract: catalog and pricing ───────────────────────────────────────────────────────────────

const OS_IMAGES = [
  { value: 'debian-12', label: 'Debian 12', alias: 'debian/12' },
  { value: 'ubuntu-24.04', label: 'Ubuntu 24.04 LTS', alias: 'ubuntu/24.04' },
  { value: 'rockylinux-9', label: 'Rocky Linux 9', alias: 'rockylinux/9' },
  { value: 'alpine-3.20', label: 'Alpine 3.20', alias: 'alpine/3.20' },
];

// The sizes carry the config's unit prices as price_impact (mode "add": per unit per month), so
// the server prices an order's spec from them (README "Spec pricing").
function spec_template(config, _unused) {
  const field = (key, label, fieldType, order, extra) =>
    Object.assign({ key, label, field_type: fieldType, required: true, display_order: order, unit: '', icon: '', group: '', options: [] }, extra);
  const settings = config || {};
  const currency = text(settings.currency) || 'CNY';
  const perUnit = (key, fallback) => ({ mode: 'add', amount: text(settings[key]) || fallback, currency });
  return JSON.stringify({
    groups: [
      {
        key: 'compute', label: 'Compute', display_order: 1, icon: 'cpu',
        fields: [
          field('cpu_cores', 'vCPU', 'slider', 1, { min: 1, max: 32, step: 1, default_value: '2', unit: 'cores', icon: 'cpu', group: 'compute', price_impact: perUnit('price_per_cpu', '10.00') }),
          field('memory_gb', 'Memory', 'slider', 2, { min: 1, max: 128, step: 1, default_value: '4', unit: 'GB', icon: 'memory', group: 'compute', price_impact: perUnit('price_per_gb_memory', '5.00') }),
          field('disk_gb', 'Disk', 'slider', 3, { min: 10, max: 1000, step: 10, default_value: '40', unit: 'GB', icon: 'disk', group: 'compute', price_impact: perUnit('price_per_gb_disk', '0.50') }),
        ],
      },
      {
        key: 'system', label: 'System', display_order: 2, icon: 'monitor',
        fields: [
          field('os', 'Operating system', 'select', 1, {
            default_value: OS_IMAGES[0].value, icon: 'monitor', group: 'system',
            options: OS_IMAGES.map((image) => ({ value: image.value, label: image.label, description: `image ${image.alias}` })),
          }),
        ],
      },
    ],
    fields: [],
  });
}

// A few sized plans priced with the config's unit prices.
function sync_products(config, _unused) {
  let plans = config.plans;
  if (typeof plans === 'string' && plans.trim() !== '') plans = JSON.parse(plans);
  if (!Array.isArray(plans) || plans.length === 0) {
    plans = [
      { name: 'Incus S', cpu_cores: 1, memory_gb: 1, disk_gb: 20 },
      { name: 'Incus M', cpu_cores: 2, memory_gb: 4, disk_gb: 40 },
      { name: 'Incus L', cpu_cores: 4, memory_gb: 8, disk_gb: 80 },
    ];
  }
  const products = [];
  for (const plan of plans) {
    const spec = specOf(plan);
    if (typeof spec === 'string') return spec;
    const monthly = monthlyCents(config, spec);
    if (typeof monthly === 'string') return monthly;
    products.push({
      name: text(plan.name) || `${spec.cpu} vCPU / ${spec.memory} GB`,
      description: `${spec.cpu} vCPU, ${spec.memory} GB memory, ${spec.disk} GB disk`,
      price_per_month: fromCents(monthly),
      is_active: true,
      specs: { cpu_cores: String(spec.cpu), memory_gb: String(spec.memory), disk_gb: String(spec.disk) },
      billing_cycles: { monthly: fromCents(monthly), quarterly: fromCents(monthly * 3), yearly: fromCents(monthly * 12) },
    });
  }
  return JSON.stringify({ products });
}

// query_price(config + spec fields) → {"amount","currency","billing_cycle"}.
function query_price(merged, _unused) {
  const spec = specOf(merged);
  if (typeof spec === 'string') return spec;
  const monthly = monthlyCents(merged, spec);
  if (typeof monthly === 'string') return monthly;
  const cycle = text(merged.billing_cycle) || 'monthly';
  const months = { monthly: 1, quarterly: 3, yearly: 12 }[cycle];
  if (months === undefined) return `ERROR: unknown billing_cycle ${JSON.stringify(cycle)}`;
  return JSON.stringify({ amount: fromCents(monthly * months), currency: text(merged.currency) || 'CNY', billing_cycle: cycle });
}

// ── Contract: instances ─────────────────────────────────────────────────────────────────────────

// create_instance(config + {order_id?, cpu_cores, memory_gb, disk_gb, os} or {server_spec: {…}})
async function create_instance(merged, _unused) {
  const spec = specOf(merged);
  if (typeof spec === 'string') return spec;
  const image = OS_IMAGES.find((item) => item.value === spec.os || item.alias === spec.os);
  if (image === undefined) return `ERROR: unknown os ${JSON.stringify(spec.os)}; one of ${OS_IMAGES.map((item) => item.value).join(', ')}`;
  // Named after the order, so a retried provisioning finds the instance it created; without an
  // order (an admin ordering directly) the name gets a random suffix.
  const name = instanceNameFor(merged) || instanceNameFor({ order_id: `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, name_prefix: merged.name_prefix });

  const imageServer = merged.image_server === undefined ? 'https://images.linuxcontainers.org' : text(merged.image_server);
  const source = imageServer === ''
    ? { type: 'image', alias: image.alias }
    : { type: 'image', alias: image.alias, server: imageServer, protocol: 'simplestreams', mode: 'pull' };
  const request = {
    name,
    type: text(merged.instance_type) || 'virtual-machine',
    source,
    config: { 'limits.cpu': String(spec.cpu), 'limits.memory': `${spec.memory}GiB` },
    devices: { root: { type: 'disk', path: '/', pool: text(merged.storage_pool) || 'default', size: `${spec.disk}GiB` } },
    start: true,
  };
  const created = await incus(merged, 'POST', '/1.0/instances', request);
  if (created.status === 409) {
    // Provisioning retried after an earlier attempt created it: report what exists.
    rustbill_host.log_warn(`Incus instance ${name} already exists; reporting its state`);
  } else if (created.status !== 202 && created.status !== 200) {
    return `ERROR: Incus refused to create ${name}: HTTP ${created.status} ${errorText(created)}`;
  } else {
    const operation = await waitOperation(merged, created);
    if (operation.error) return `ERROR: creating ${name} failed: ${operation.error}`;
    if (!operation.done) {
      rustbill_host.log_info(`Incus instance ${name} is still being created`);
      return JSON.stringify({ instance_id: name, status: 'pending', ip_address: '', created_at: new Date().toISOString() });
    }
  }
  const state = await instanceState(merged, name);
  if (typeof state === 'string') return state;
  rustbill_host.log_info(`Incus instance ${name} created (${spec.cpu} vCPU, ${spec.memory} GB, ${spec.disk} GB, ${image.alias})`);
  return JSON.stringify({ instance_id: name, status: state.status, ip_address: state.ip, created_at: new Date().toISOString() });
}

// get_instance_status(config + {instance_id}) → {"status","ip_address"}; a deleted instance is "terminated".
async function get_instance_status(merged, _unused) {
  const name = instanceNameFor(merged);
  if (name === '') return 'ERROR: instance_id is required';
  const state = await instanceState(merged, name);
  if (typeof state === 'string') return state;
  return JSON.stringify({ status: state.status, ip_address: state.ip });
}

// terminate_instance(config + {instance_id}) — forced stop, then delete. Deleting twice is fine.
async function terminate_instance(merged, _unused) {
  const name = instanceNameFor(merged);
  if (name === '') return 'ERROR: instance_id is required';
  const stopped = await incus(merged, 'PUT', `/1.0/instances/${encodeURIComponent(name)}/state`, { action: 'stop', force: true, timeout: 30 });
  if (stopped.status === 404) return JSON.stringify({ success: true, message: `Instance ${name} no longer exists` });
  if (stopped.status === 202) await waitOperation(merged, stopped); // an instance already stopped answers 400: fine
  const deleted = await incus(merged, 'DELETE', `/1.0/instances/${encodeURIComponent(name)}`, null);
  if (deleted.status === 404) return JSON.stringify({ success: true, message: `Instance ${name} no longer exists` });
  if (deleted.status !== 202 && deleted.status !== 200) return `ERROR: Incus refused to delete ${name}: HTTP ${deleted.status} ${errorText(deleted)}`;
  const operation = await waitOperation(merged, deleted);
  if (operation.error) return `ERROR: deleting ${name} failed: ${operation.error}`;
  rustbill_host.log_info(`Incus instance ${name} deleted`);
  return JSON.stringify({ success: true, message: `Instance ${name} deleted` });
}

const ACTIONS = {
  start: { label: 'Start', style: 'Primary', confirmation: '', incus: { action: 'start' }, when: ['stopped'] },
  stop: { label: 'Shut down', style: 'Default', confirmation: 'Shut the instance down?', incus: { action: 'stop', timeout: 30 }, when: ['running'] },
  restart: { label: 'Restart', style: 'Default', confirmation: '', incus: { action: 'restart', timeout: 30 }, when: ['running'] },
  force_stop: {
    label: 'Power off', style: 'Danger', confirmation: 'Power off without a clean shutdown? Unsaved data may be lost.',
    incus: { action: 'stop', force: true }, when: ['running', 'pending', 'error'],
  },
};

// execute_action(config + {instance_id, action}) → {"success","message","data"}.
async function execute_action(merged, _unused) {
  const name = instanceNameFor(merged);
  const id = text(merged.action);
  const action = ACTIONS[id];
  if (name === '') return 'ERROR: instance_id is required';
  if (action === undefined) return `ERROR: unknown action ${JSON.stringify(id)}; one of ${Object.keys(ACTIONS).join(', ')}`;
  const response = await incus(merged, 'PUT', `/1.0/instances/${encodeURIComponent(name)}/state`, action.incus);
  if (response.status === 404) return `ERROR: instance ${name} does not exist`;
  if (response.status !== 202 && response.status !== 200) {
    return JSON.stringify({ success: false, message: `${action.label} refused: ${errorText(response)}`, data: '' });
  }
  const operation = await waitOperation(merged, response);
  if (operation.error) return JSON.stringify({ success: false, message: `${action.label} failed: ${operation.error}`, data: '' });
  const state = await instanceState(merged, name);
  const status = typeof state === 'string' ? 'pending' : state.status;
  rustbill_host.log_info(`Incus instance ${name}: ${id} done (${status})`);
  return JSON.stringify({
    success: true,
    message: operation.done ? `${action.label}: done` : `${action.label}: in progress`,
    data: JSON.stringify({ status }),
  });
}

// resize_instance(config + {instance_id, cpu_cores?, memory_gb?, …} or {server_spec: {…}}) →
// {"success","message","data"}. A NodeBill extension of the guide: upgrade or downgrade a running
// instance by changing its vCPU and memory limits (PATCH merges them into the instance's config,
// leaving the rest alone). Only the sizes given change; 0 or missing = unchanged (protobuf
// default). The root disk is not resized here.
async function resize_instance(merged, _unused) {
  const name = instanceNameFor(merged);
  if (name === '') return 'ERROR: instance_id is required';
  const spec = merged.server_spec && typeof merged.server_spec === 'object' ? merged.server_spec : merged;
  const read = (key, max) => {
    const raw = text(spec[key] === undefined ? merged[key] : spec[key]);
    if (raw === '' || raw === '0') return undefined;
    const value = Number(raw);
    return Number.isInteger(value) && value >= 1 && value <= max ? value : null;
  };
  const cpu = read('cpu_cores', 256);
  const memory = read('memory_gb', 4096);
  if (cpu === null) return 'ERROR: cpu_cores must be an integer from 1 to 256';
  if (memory === null) return 'ERROR: memory_gb must be an integer from 1 to 4096';
  if (cpu === undefined && memory === undefined) return 'ERROR: nothing to resize: give cpu_cores and/or memory_gb';
  const config = {};
  if (cpu !== undefined) config['limits.cpu'] = String(cpu);
  if (memory !== undefined) config['limits.memory'] = `${memory}GiB`;
  const target = [cpu === undefined ? '' : `${cpu} vCPU`, memory === undefined ? '' : `${memory} GiB`].filter((part) => part !== '').join(' / ');

  const response = await incus(merged, 'PATCH', `/1.0/instances/${encodeURIComponent(name)}`, { config });
  if (response.status === 404) return `ERROR: instance ${name} does not exist`;
  if (response.status !== 202 && response.status !== 200) {
    return JSON.stringify({ success: false, message: `Resize refused: ${errorText(response)}`, data: '' });
  }
  const operation = await waitOperation(merged, response);
  if (operation.error) return JSON.stringify({ success: false, message: `Resize failed: ${operation.error}`, data: '' });
  if (!operation.done) {
    rustbill_host.log_info(`Incus instance ${name} is still being resized to ${target}`);
    return JSON.stringify({ success: true, message: `Resizing ${name} to ${target}: in progress`, data: '' });
  }
  rustbill_host.log_info(`Incus instance ${name} resized to ${target}`);
  return JSON.stringify({ success: true, message: `Resized ${name} to ${target}`, data: '' });
}

// The detail page: live properties and a console section.
async function instance_detail_sections(merged, _unused) {
  const name = instanceNameFor(merged);
  const spec = merged.server_spec && typeof merged.server_spec === 'object' ? merged.server_spec : merged;
  let status = text(merged.status);
  let ip = text(merged.ip_address);
  if (name !== '') {
    const state = await instanceState(merged, name);
    if (typeof state !== 'string') {
      status = state.status;
      ip = state.ip || ip;
    }
  }
  const rows = [
    ['Name', name], ['Status', status], ['IPv4', ip || '—'],
    ['vCPU', text(spec.cpu_cores)], ['Memory', spec.memory_gb ? `${text(spec.memory_gb)} GB` : ''],
    ['Disk', spec.disk_gb ? `${text(spec.disk_gb)} GB` : ''], ['OS', text(spec.os)],
  ].filter((row) => row[1] !== '');
  const table = `<table>${rows.map((row) => `<tr><th style="text-align:left;padding-right:1em">${escapeHtml(row[0])}</th><td>${escapeHtml(row[1])}</td></tr>`).join('')}</table>`;
  const consoleUrl = text(merged.console_url);
  const consoleSection = consoleUrl !== '' && name !== ''
    ? { kind: 'iframe', title: 'Console', order: 2, content_html: null, iframe_url: `${consoleUrl}${encodeURIComponent(name)}`, data_json: null }
    : { kind: 'iframe', title: 'Console', order: 2, content_html: '<p>The web console is not configured for this server.</p>', iframe_url: null, data_json: null };
  return JSON.stringify([
    { kind: 'properties', title: 'Server', order: 1, content_html: table, iframe_url: null, data_json: JSON.stringify(Object.fromEntries(rows)) },
    consoleSection,
  ]);
}

// The actions the detail page offers, enabled by the instance's status.
function instance_actions(merged, _unused) {
  const status = text(merged.status).toLowerCase();
  return JSON.stringify(Object.keys(ACTIONS).map((id) => ({
    id,
    label: ACTIONS[id].label,
    style: ACTIONS[id].style,
    confirmation: ACTIONS[id].confirmation,
    enabled: status === '' || ACTIONS[id].when.includes(status),
  })));
}

// ── Helpers: Incus REST over mTLS ───────────────────────────────────────────────────────────────

// One request; returns {status, json, raw}. The body is sent as JSON.
async function incus(config, method, path, body) {
  const base = text(config.api_url).replace(/\/+$/, '');
  const project = text(config.project);
  const url = project === '' ? `${base}${path}` : `${base}${path}${path.includes('?') ? '&' : '?'}project=${encodeURIComponent(project)}`;
  const cert = { cert: text(config.cert_pem), key: text(config.key_pem) };
  if (text(config.ca_pem) !== '') cert.ca = text(config.ca_pem);
  const answer = await rustbill_host.http_request_with_cert(method, url, body === null ? '' : JSON.stringify(body), body === null ? '' : 'application/json', JSON.stringify(cert));
  const response = typeof answer === 'string' ? JSON.parse(answer) : answer;
  const raw = typeof response.body === 'string' ? response.body : '';
  let json = null;
  try {
    json = raw === '' ? null : JSON.parse(raw);
  } catch (_error) {
    json = null;
  }
  return { status: Number(response.status), json, raw };
}

// Waits (up to operation_wait_secs) for the async operation an answer created.
// Returns {done: true} on success, {done: false} while it still runs, {error} when it failed.
async function waitOperation(config, response) {
  const operation = response.json ? text(response.json.operation) : '';
  if (operation === '') return { done: true };
  const seconds = Math.max(0, Math.min(60, Math.trunc(Number(text(config.operation_wait_secs) || '3')) || 0));
  const waited = await incus(config, 'GET', `${operation}/wait?timeout=${seconds}`, null);
  const metadata = waited.json && waited.json.metadata ? waited.json.metadata : null;
  if (waited.status !== 200 || metadata === null) return { error: `operation ${operation}: HTTP ${waited.status} ${errorText(waited)}` };
  if (text(metadata.status) === 'Success') return { done: true };
  if (text(metadata.status) === 'Running' || text(metadata.status) === 'Pending') return { done: false };
  return { error: text(metadata.err) || `operation ended ${text(metadata.status)}` };
}

// {status, ip} of an instance, or an "ERROR: …" string. A missing instance is "terminated".
async function instanceState(config, name) {
  const response = await incus(config, 'GET', `/1.0/instances/${encodeURIComponent(name)}/state`, null);
  if (response.status === 404) return { status: 'terminated', ip: '' };
  const metadata = response.json && response.json.metadata ? response.json.metadata : null;
  if (response.status !== 200 || metadata === null) return `ERROR: Incus state of ${name}: HTTP ${response.status} ${errorText(response)}`;
  return { status: statusWord(text(metadata.status)), ip: ipv4Of(metadata.network) };
}

// Incus status → the guide's running / stopped / terminated / pending / error.
function statusWord(incusStatus) {
  switch (incusStatus) {
    case 'Running': return 'running';
    case 'Stopped': case 'Frozen': return 'stopped';
    case 'Starting': case 'Stopping': case 'Freezing': case 'Thawed': return 'pending';
    case 'Error': case 'Broken': return 'error';
    default: return 'pending';
  }
}

// The first global IPv4 address outside the loopback interface.
function ipv4Of(network) {
  if (!network || typeof network !== 'object') return '';
  for (const nic of Object.keys(network)) {
    if (nic === 'lo') continue;
    const addresses = Array.isArray(network[nic].addresses) ? network[nic].addresses : [];
    const found = addresses.find((address) => address.family === 'inet' && address.scope === 'global');
    if (found) return text(found.address);
  }
  return '';
}

function errorText(response) {
  if (response.json && text(response.json.error) !== '') return text(response.json.error);
  return response.raw.slice(0, 200);
}

// ── Helpers: specs, names, money ────────────────────────────────────────────────────────────────

// {cpu, memory, disk, os} from flat fields or a server_spec object; "ERROR: …" when invalid.
function specOf(source) {
  const spec = source.server_spec && typeof source.server_spec === 'object' ? source.server_spec : source;
  const read = (key, fallback, min, max) => {
    const raw = text(spec[key] === undefined ? source[key] : spec[key]);
    const value = raw === '' || raw === '0' ? fallback : Number(raw); // 0 = unset (protobuf default)
    return Number.isInteger(value) && value >= min && value <= max ? value : null;
  };
  const cpu = read('cpu_cores', 1, 1, 256);
  const memory = read('memory_gb', 1, 1, 4096);
  const disk = read('disk_gb', 20, 1, 100000);
  if (cpu === null) return 'ERROR: cpu_cores must be an integer from 1 to 256';
  if (memory === null) return 'ERROR: memory_gb must be an integer from 1 to 4096';
  if (disk === null) return 'ERROR: disk_gb must be an integer from 1 to 100000';
  const os = text(spec.os === undefined ? source.os : spec.os) || OS_IMAGES[0].value;
  return { cpu, memory, disk, os };
}

// Monthly price in cents, or "ERROR: …" for a malformed price setting.
function monthlyCents(config, spec) {
  const price = (key, fallback) => toCents(config[key] === undefined || text(config[key]) === '' ? fallback : config[key]);
  const base = price('price_base', '0.00');
  const cpu = price('price_per_cpu', '10.00');
  const memory = price('price_per_gb_memory', '5.00');
  const disk = price('price_per_gb_disk', '0.50');
  if (base === null || cpu === null || memory === null || disk === null) return 'ERROR: price settings must be decimal strings such as "10.00"';
  return base + spec.cpu * cpu + spec.memory * memory + spec.disk * disk;
}

// The Incus instance name: instance_id / provider_instance_id as given, else `<prefix>-<order id>`.
function instanceNameFor(merged) {
  const given = text(merged.instance_id) || text(merged.provider_instance_id) || text(merged.instance_name);
  if (given !== '') return given;
  const order = text(merged.order_id).toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (order === '') return '';
  const prefix = (text(merged.name_prefix) || 'rb').toLowerCase().replace(/[^a-z0-9-]/g, '');
  return `${/^[a-z]/.test(prefix) ? prefix : `rb${prefix}`}-${order}`.slice(0, 63).replace(/-+$/, '');
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

function escapeHtml(value) {
  return text(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
