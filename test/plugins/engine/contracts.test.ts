import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT_FUNCTIONS, PLUGIN_TYPES, type PluginType } from '../../../src/plugins/types.ts';
import { engineBed, GATEWAY_BASE, pluginFailure, type EngineBed } from './support.ts';

/** A script defining `names` (each returning its own name) and config_schema. */
function scriptWith(names: readonly string[]): string {
  const functions = names.filter(name => name !== 'config_schema').map(name => `function ${name}(merged, _unused) { return '${name}'; }`);
  return [`function config_schema(config, _unused) { return { type: 'object', properties: {} }; }`, ...functions].join('\n');
}

const FILE_PREFIX: Record<PluginType, string> = {
  gateway: 'gateway',
  notifier: 'notifier',
  first_party_provider: 'provider',
  upstream_provider: 'provider',
};

describe('engine.inspect: the contract check', () => {
  let bed: EngineBed;
  beforeAll(async () => {
    bed = await engineBed();
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('accepts a complete script of every type and reports its metadata', async () => {
    for (const type of PLUGIN_TYPES) {
      const metadata = await bed.engine.inspect(type, 'complete', scriptWith(CONTRACT_FUNCTIONS[type]));
      expect(metadata).toEqual({
        pluginType: type,
        pluginId: 'complete',
        version: '0.0.0',
        hasAdminPage: false,
        functions: [...CONTRACT_FUNCTIONS[type]],
        configSchema: { type: 'object', properties: {} },
      });
    }
  });

  it('names the single missing function of each type', async () => {
    for (const type of PLUGIN_TYPES) {
      const required = CONTRACT_FUNCTIONS[type];
      const missing = required[required.length - 1] ?? '';
      const error = await pluginFailure(bed.engine.inspect(type, 'x', scriptWith(required.slice(0, -1))), 'contract');
      expect(error.message).toBe(`${type} script ${FILE_PREFIX[type]}-x is missing function ${missing}`);
    }
  });

  it('names all missing functions', async () => {
    const error = await pluginFailure(bed.engine.inspect('gateway', 'x', scriptWith(['initialize', 'query_payment', 'health_check'])), 'contract');
    expect(error.message).toBe('gateway script gateway-x is missing functions create_payment, handle_callback, refund');
    const upstream = await pluginFailure(bed.engine.inspect('upstream_provider', 'rustbill', scriptWith(CONTRACT_FUNCTIONS.first_party_provider)), 'contract');
    expect(upstream.message).toBe(
      'upstream_provider script provider-rustbill is missing functions sync_upstream_instances, import_upstream_instance, get_upstream_balance',
    );
  });

  it('treats a misspelt name as missing (createPayment is not create_payment)', async () => {
    const source = GATEWAY_BASE.replace('function create_payment(', 'function createPayment(');
    const error = await pluginFailure(bed.engine.inspect('gateway', 'x', source), 'contract');
    expect(error.message).toBe('gateway script gateway-x is missing function create_payment');
  });

  it('counts script-level const/let function values as defined', async () => {
    const source = GATEWAY_BASE.replace('function refund(merged) {', 'const refund = async (merged) => {').replace("return { status: 'refunded' }; }", "return { status: 'refunded' }; };");
    const metadata = await bed.engine.inspect('gateway', 'arrow', source);
    expect(metadata.functions).toContain('refund');
  });

  it('reports a syntax error with its line, and the script never runs', async () => {
    const source = `function config_schema() {\n  return {};\n}\nrustbill_host.log_error('top level ran');\nconst broken = ;\nfunction fine() {}\n`;
    const error = await pluginFailure(bed.engine.inspect('gateway', 'broken', source), 'syntax');
    expect(error.message).toMatch(/^gateway script gateway-broken line 5: SyntaxError: /);
    expect(bed.lines.some(line => line.msg === 'top level ran')).toBe(false);
    const staticImport = await pluginFailure(bed.engine.inspect('gateway', 'imports', `import fs from 'fs';\n${GATEWAY_BASE}`), 'syntax');
    expect(staticImport.message).toContain('line 1');
  });

  it('reads version(), admin_page and every defined function', async () => {
    const source = `${GATEWAY_BASE}
      function version(config, _unused) { return '1.2.3'; }
      function admin_page() { return '<p>admin</p>'; }
      function helper() { return 1; }`;
    const metadata = await bed.engine.inspect('gateway', 'full', source);
    expect(metadata.version).toBe('1.2.3');
    expect(metadata.hasAdminPage).toBe(true);
    expect(metadata.functions).toEqual(expect.arrayContaining([...CONTRACT_FUNCTIONS.gateway, 'version', 'admin_page', 'helper']));
    expect(metadata.functions).not.toContain('rustbill_host');
  });

  it('takes config_schema() as an object or as a JSON string, and refuses anything else', async () => {
    const asString = GATEWAY_BASE.replace(
      "function config_schema(config) { return { type: 'object', properties: {} }; }",
      'function config_schema(config, _unused) { return \'{"type":"object","required":["api_url"],"properties":{"api_url":{"type":"string"}}}\'; }',
    );
    const metadata = await bed.engine.inspect('gateway', 'schema-string', asString);
    expect(metadata.configSchema).toEqual({ type: 'object', required: ['api_url'], properties: { api_url: { type: 'string' } } });

    const asArray = `${GATEWAY_BASE}\nfunction config_schema() { return [1, 2]; }`;
    const error = await pluginFailure(bed.engine.inspect('gateway', 'schema-array', asArray), 'contract');
    expect(error.message).toBe('config_schema() of gateway script gateway-schema-array must return an object or a JSON object string');
    const notJson = `${GATEWAY_BASE}\nfunction config_schema() { return '{oops'; }`;
    expect((await pluginFailure(bed.engine.inspect('gateway', 'schema-bad', notJson), 'contract')).message).toContain('not JSON');
  });

  it('passes the script failures of version(), config_schema() and the top level through', async () => {
    const throwing = `${GATEWAY_BASE}\nfunction config_schema() { throw new Error('schema exploded'); }`;
    expect((await pluginFailure(bed.engine.inspect('gateway', 'throws', throwing), 'script_error')).message).toBe('schema exploded');
    const topLevel = `${GATEWAY_BASE}\nundefinedHelper();`;
    expect((await pluginFailure(bed.engine.inspect('gateway', 'top', topLevel), 'script_error')).message).toBe("'undefinedHelper' is not defined");
    const errorString = `${GATEWAY_BASE}\nfunction version() { return 'ERROR: no version today'; }`;
    expect((await pluginFailure(bed.engine.inspect('gateway', 'errver', errorString), 'script_error')).message).toBe('no version today');
  });

  it('caches inspections by source: the same script is run once', async () => {
    const source = `${GATEWAY_BASE}\nrustbill_host.log_info('cache probe top level');`;
    const before = bed.engine.stats().cachedScripts;
    const [a, b] = await Promise.all([bed.engine.inspect('gateway', 'cached', source), bed.engine.inspect('gateway', 'cached', source)]);
    const c = await bed.engine.inspect('gateway', 'cached', source);
    expect(a).toEqual(b);
    expect(c).toBe(a);
    expect(bed.engine.stats().cachedScripts).toBe(before + 1);
    expect(bed.lines.filter(line => line.msg === 'cache probe top level')).toHaveLength(1);
  });
});
