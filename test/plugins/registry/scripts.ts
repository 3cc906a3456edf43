/**
 * Small plugin scripts for the tests, written inline (no engine or database imports, so server
 * suites can use them too).
 */

/** Options of {@link gatewayScript}. */
export interface GatewayScriptOptions {
  /** version() result; omitted: no version() function. */
  version?: string;
  /** Extra config_schema properties (JSON). */
  extraProperties?: Record<string, unknown>;
  /** Whether to define admin_page (default true). */
  adminPage?: boolean;
  /** Body of health_check(config) (default: unhealthy with an error when config.api_url contains "down"). */
  health?: string;
  /** Text returned by admin_echo, to tell script versions apart. */
  marker?: string;
}

/**
 * A small gateway plugin: schema with a required `api_url`, a secret `key` and an integer
 * `timeout`; all 7 contract functions; `admin_page`; and `admin_echo(args)` for the action bridge.
 */
export function gatewayScript(options: GatewayScriptOptions = {}): string {
  const properties = {
    api_url: { type: 'string', description: 'API URL' },
    key: { type: 'string', format: 'password', description: 'Merchant key' },
    timeout: { type: 'integer', minimum: '1', maximum: '300', default_value: '30' },
    ...options.extraProperties,
  };
  const health = options.health ?? "return String(config.api_url || '').includes('down') ? { healthy: false, error: 'gateway says down' } : true;";
  return `
function config_schema(_config, _unused) {
  return ${JSON.stringify({ type: 'object', required: ['api_url'], properties })};
}
${options.version !== undefined ? `function version(_config, _unused) { return ${JSON.stringify(options.version)}; }` : ''}
function initialize(_config, _unused) { return 'OK'; }
function create_payment(m, _unused) { return { gateway_payment_id: 'gw-' + m.payment_id, payment_url: m.api_url + '/pay' }; }
function query_payment(m, _unused) { return { payment_id: m.payment_id, status: 'pending' }; }
function handle_callback(m, _unused) { return { payment_id: m.payment_id, status: 'success' }; }
function refund(m, _unused) { return { payment_id: m.payment_id, status: 'refunded' }; }
function health_check(config, _unused) { ${health} }
${options.adminPage === false ? '' : "function admin_page(config, _unused) { return { html: '<h1>' + config.api_url + '</h1>', title: 'Gateway admin' }; }"}
function admin_echo(args, _unused) { return { marker: ${JSON.stringify(options.marker ?? 'v1')}, value: args.value === undefined ? null : args.value, api_url: args.api_url }; }
`;
}

/** A first-party or upstream provider plugin with fixed answers (all contract functions). */
export function providerScript(options: { upstream?: boolean; version?: string } = {}): string {
  return `
function config_schema(_c, _u) { return { type: 'object', properties: { api_url: { type: 'string' }, token: { type: 'string', format: 'password' } } }; }
function version(_c, _u) { return ${JSON.stringify(options.version ?? '1.0.0')}; }
function initialize(_c, _u) { return 'OK'; }
function spec_template(_c, _u) {
  return JSON.stringify({ groups: [{ key: 'compute', label: 'Compute', display_order: 1, icon: 'cpu',
    fields: [{ key: 'cpu_cores', label: 'CPU', field_type: 'slider', required: true, display_order: 1, min: 1, max: 64, default_value: '2', step: 1, unit: 'cores', icon: 'cpu', group: 'compute', options: [] }] }] });
}
function sync_products(c, _u) { return JSON.stringify({ products: [{ name: 'VPS-1C1G', description: '1 core', price_per_month: '5', cost_price: '3', specs: { cpu_cores: 1 } }] }); }
function query_price(m, _u) { return JSON.stringify({ amount: String(m.cpu_cores * 10 + m.memory_gb), currency: 'USD', billing_cycle: 'monthly' }); }
function create_instance(m, _u) { return JSON.stringify({ instance_id: 'inst-' + m.region + '-' + m.server_spec.cpu_cores, status: 'Running', ip_address: '10.0.0.5', created_at: '' }); }
function get_instance_status(m, _u) { return m.instance_id === 'gone' ? 'ERROR: no such instance' : 'running'; }
function terminate_instance(_m, _u) { return ''; }
function execute_action(_m, _u) { return JSON.stringify({ success: true, message: 'ok' }); }
function health_check(_c, _u) { return 'true'; }
function instance_detail_sections(_m, _u) { return '[]'; }
function instance_actions(_m, _u) { return '[]'; }
${options.upstream ? `
function sync_upstream_instances(_c, _u) { return JSON.stringify([{ instance_id: 'up-1', status: 'running', ip_address: '1.1.1.1', created_at: '2024-01-01T00:00:00Z' }, { instance_id: 'up-2', status: 'stopped', ip_address: '', created_at: '' }]); }
function import_upstream_instance(m, _u) { return JSON.stringify({ instance_id: m.instance_id, status: 'running', ip_address: '1.1.1.1' }); }
function get_upstream_balance(_c, _u) { return JSON.stringify({ balance: '123.4', currency: 'CNY' }); }` : ''}
`;
}
