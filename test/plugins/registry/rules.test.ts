import { describe, expect, it } from 'vitest';
import {
  ConfigValidator, InvalidConfigSchemaError, keepMaskedSecrets, maskSecrets, secretPaths,
} from '../../../src/plugins/registry/config-schema.ts';
import {
  flattenSpecTemplate, readActionResult, readAdminPage, readCreatedInstance, readDetailSections, readHealth, readInstanceActions, readInstanceStatus,
  readPriceQuote, readSpecTemplate, readSyncedProducts, readUpstreamBalance, readUpstreamInstances, reportedActionStatus, toResultJson,
} from '../../../src/plugins/registry/results.ts';
import { pluginFailure, PluginRegistryError } from '../../../src/plugins/registry/errors.ts';
import {
  BRIDGE_REFUSED_FUNCTIONS, bridgeRefusal, checkDisplayName, checkFunctionName, parseJsonObject, providerRefusal, scriptAuthorRefusal, seesSecrets, usageRefusal,
} from '../../../src/plugins/registry/rules.ts';
import { compareVersions, parseVersion, scriptHash } from '../../../src/plugins/registry/scripts.ts';
import { PluginError } from '../../../src/plugins/types.ts';

const schema = {
  type: 'object',
  required: ['api_url', 'app_secret'],
  properties: {
    api_url: { type: 'string', format: 'uri', description: 'API' },
    app_secret: { type: 'string', format: 'password' },
    timeout: { type: 'integer', minimum: '1', maximum: '300', default_value: '30' },
    sandbox: { type: 'boolean' },
    currency: { type: 'string', enum: ['CNY', 'USD'] },
    nested: { type: 'object', properties: { token: { type: 'string', format: 'password' } } },
  },
};

describe('config validation against config_schema (ajv)', () => {
  const validator = new ConfigValidator();
  const good = { api_url: 'https://pay.example.com', app_secret: 's3cret' };

  it('accepts a config that satisfies the schema, with numbers and booleans written as strings', () => {
    expect(validator.check(good, schema)).toBeNull();
    expect(validator.check({ ...good, timeout: '30', sandbox: 'false', currency: 'USD' }, schema)).toBeNull();
  });

  it('names the missing required field', () => {
    expect(validator.check({ api_url: 'https://x.example' }, schema)).toEqual({ field: 'app_secret', message: 'config field "app_secret" is required' });
  });

  it('names the field of a type, range, enum or format error', () => {
    expect(validator.check({ ...good, timeout: 'soon' }, schema)?.message).toMatch(/^config field "timeout" must be integer/);
    expect(validator.check({ ...good, timeout: 0 }, schema)?.message).toMatch(/^config field "timeout" must be >= 1/);
    expect(validator.check({ ...good, currency: 'EUR' }, schema)?.field).toBe('currency');
    expect(validator.check({ ...good, api_url: 'not a url' }, schema)?.message).toMatch(/"api_url" must match format "uri"/);
  });

  it('does not enforce required fields for a draft check', () => {
    expect(validator.check({}, schema, { requireAll: false })).toBeNull();
    expect(validator.check({ timeout: 'x' }, schema, { requireAll: false })?.field).toBe('timeout');
  });

  it('never changes the checked config (coercion works on a copy)', () => {
    const config = { ...good, timeout: '30' };
    validator.check(config, schema);
    expect(config.timeout).toBe('30');
  });

  it('tolerates unknown formats and keywords, refuses a schema ajv cannot compile', () => {
    expect(validator.check({ a: 'x' }, { type: 'object', properties: { a: { type: 'string', format: 'color', widget: 'x' } } })).toBeNull();
    expect(() => validator.check({}, { type: 'object', properties: { a: { type: 'no-such-type' } } })).toThrow(InvalidConfigSchemaError);
  });
});

describe('config_schema patterns run by RE2 (no catastrophic backtracking)', () => {
  const validator = new ConfigValidator();
  // '^(a+)+$' against 31 × "a" + "!" took over 60 s with JavaScript's RegExp, doubling with every
  // further character: 5,000 would not finish in the lifetime of the machine. A regression hangs here.
  const evil = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } };
  const long = 'a'.repeat(5000);

  it('checks a pattern that backtracks exponentially in JavaScript, naming the field', () => {
    expect(validator.check({ code: `${long}!` }, evil)).toEqual({ field: 'code', message: 'config field "code" must match pattern "^(a+)+$"' });
    expect(validator.check({ code: long }, evil)).toBeNull();
  });

  it('checks patternProperties and nested patterns the same way', () => {
    const schema = {
      type: 'object',
      patternProperties: { '^(a+)+$': { type: 'integer' } },
      properties: { nested: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string', pattern: '^(x|xx)+$' } } } } },
    };
    expect(validator.check({ [long]: 'not a number' }, schema)?.message).toMatch(/must be integer/);
    expect(validator.check({ [`${long}!`]: 'anything' }, schema)).toBeNull();
    expect(validator.check({ nested: { tags: ['x'.repeat(5000), `${'x'.repeat(5000)}y`] } }, schema)?.field).toBe('nested.tags.1');
  });

  it('keeps the ECMAScript meaning of common patterns (anchors, classes, named groups, \\u escapes)', () => {
    const schema = {
      type: 'object',
      properties: {
        zip: { type: 'string', pattern: '^\\d{5}$' },
        slug: { type: 'string', pattern: '^[a-z0-9-]+$' },
        date: { type: 'string', pattern: '^(?<year>\\d{4})-(?<month>\\d{2})$' },
        accent: { type: 'string', pattern: '\\u00e9' },
        anywhere: { type: 'string', pattern: 'pay' },
      },
    };
    expect(validator.check({ zip: '12345', slug: 'a-b-1', date: '2024-05', accent: 'café', anywhere: 'epay.example' }, schema)).toBeNull();
    expect(validator.check({ zip: '1234' }, schema)?.field).toBe('zip');
    expect(validator.check({ zip: '123456' }, schema)?.field).toBe('zip');
    expect(validator.check({ slug: 'A' }, schema)?.field).toBe('slug');
    expect(validator.check({ date: '2024-5' }, schema)?.field).toBe('date');
    expect(validator.check({ accent: 'cafe' }, schema)?.field).toBe('accent');
    expect(validator.check({ anywhere: 'gateway' }, schema)?.field).toBe('anywhere');
  });

  it('refuses a pattern RE2 cannot run (backreference, lookahead, lookbehind), naming the field, without crashing', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'object', properties: { pin: { type: 'string', pattern: '^(\\d)\\1$' } } }, /pattern "\^\(\\\\d\)\\\\1\$" of config field "pin" cannot be run by RE2/],
      [{ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string', pattern: '^(?=x)' } } } } }, /of config field "a\.b" cannot be run by RE2/],
      [{ type: 'object', properties: { c: { type: 'string', pattern: '(?<!x)y' } } }, /of config field "c" cannot be run by RE2/],
      [{ type: 'object', patternProperties: { '(a)\\1': {} } }, /patternProperties "\(a\)\\\\1" of the config cannot be run by RE2/],
    ];
    for (const [schema, message] of cases) {
      const error = (() => {
        try {
          validator.check({}, schema as Record<string, unknown>);
          return null;
        } catch (thrown) {
          return thrown;
        }
      })();
      expect(error).toBeInstanceOf(InvalidConfigSchemaError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain('no backreferences, lookahead or lookbehind');
    }
  });
});

describe('secret fields (format: "password")', () => {
  it('finds them, also nested', () => {
    expect(secretPaths(schema)).toEqual([['app_secret'], ['nested', 'token']]);
  });

  it('masks set secrets with "" and leaves everything else', () => {
    const config = { api_url: 'https://x', app_secret: 'top', nested: { token: 't', other: 1 } };
    expect(maskSecrets(config, schema)).toEqual({ api_url: 'https://x', app_secret: '', nested: { token: '', other: 1 } });
    expect(config.app_secret).toBe('top');
    expect(maskSecrets({ api_url: 'https://x' }, schema)).toEqual({ api_url: 'https://x' });
  });

  it('keeps stored secrets when a masked form is saved back', () => {
    const stored = { api_url: 'https://x', app_secret: 'top', nested: { token: 't' } };
    expect(keepMaskedSecrets({ api_url: 'https://y', app_secret: '', nested: { token: '' } }, stored, schema)).toEqual({
      api_url: 'https://y', app_secret: 'top', nested: { token: 't' },
    });
    expect(keepMaskedSecrets({ app_secret: 'new' }, stored, schema)).toEqual({ app_secret: 'new' });
  });
});

describe('versions and hashes', () => {
  it('compares semantic versions, a missing or invalid version being 0.0.0', () => {
    expect(compareVersions('1.0.1', '1.0.0')).toBeGreaterThan(0);
    expect(compareVersions('1.10.0', '1.9.9')).toBeGreaterThan(0);
    expect(compareVersions('2.0.0', '2.0.0')).toBe(0);
    expect(compareVersions('1.0.0-beta.2', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('1.0.0-beta.10', '1.0.0-beta.2')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0-alpha', '1.0.0-alpha.1')).toBeLessThan(0);
    expect(compareVersions('0.0.1', 'garbage')).toBeGreaterThan(0);
    expect(compareVersions('v1.2.3', '1.2.3+build.5')).toBe(0);
  });

  it('parses only MAJOR.MINOR.PATCH versions', () => {
    expect(parseVersion('1.2')).toBeNull();
    expect(parseVersion('01.2.3')).toBeNull();
    expect(parseVersion('1.2.3-rc.1')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: ['rc', '1'] });
  });

  it('hashes sources with SHA-256', () => {
    expect(scriptHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('contract function results', () => {
  it('reads health verdicts', () => {
    expect(readHealth(true)).toEqual({ healthy: true, error: null });
    expect(readHealth('true')).toEqual({ healthy: true, error: null });
    expect(readHealth(false).healthy).toBe(false);
    expect(readHealth('false')).toEqual({ healthy: false, error: 'health_check() returned "false"' });
    expect(readHealth('{"healthy":false,"error":"api down"}')).toEqual({ healthy: false, error: 'api down' });
    expect(readHealth(undefined).healthy).toBe(false);
  });

  it('reads quotes, balances and instances, refusing unusable results as script errors', () => {
    expect(readPriceQuote('{"amount":"12.5","currency":"USD","billing_cycle":"monthly"}')).toEqual({ amount: '12.50', currency: 'USD', billingCycle: 'monthly' });
    expect(() => readPriceQuote('{"amount":"cheap"}')).toThrow(PluginError);
    expect(() => readPriceQuote('oops')).toThrow(/query_price\(\) returned "oops"/);
    expect(readUpstreamBalance('{"balance":"100","currency":"CNY"}')).toEqual({ balance: '100.00', currency: 'CNY' });
    expect(readUpstreamBalance('-3.456')).toEqual({ balance: '-3.46', currency: 'CNY' });
    expect(readCreatedInstance('{"instance_id":"i-1","status":"Running","ip_address":"1.2.3.4","created_at":""}')).toMatchObject({ instanceId: 'i-1', ipAddress: '1.2.3.4' });
    expect(() => readCreatedInstance('{"status":"Running"}')).toThrow(/instance_id/);
    expect(readInstanceStatus('running')).toEqual({ status: 'running', ipAddress: '' });
    expect(readInstanceStatus({ status: 'stopped', ip_address: '10.0.0.1' })).toEqual({ status: 'stopped', ipAddress: '10.0.0.1' });
    expect(readUpstreamInstances('{"instances":[{"instance_id":"a","status":"running"},{"id":"b"}]}').map((item) => item.instanceId)).toEqual(['a', 'b']);
  });

  it('reads action results: the guide\'s object, an empty result as success, data as text, the reported status', () => {
    const stopped = readActionResult('execute_action', '{"success":true,"message":"Instance stopped","data":"{\\"status\\":\\"stopped\\"}"}');
    expect(stopped).toEqual({ success: true, message: 'Instance stopped', data: '{"status":"stopped"}' });
    expect(reportedActionStatus(stopped)).toBe('stopped');
    expect(readActionResult('terminate_instance', '')).toEqual({ success: true, message: '', data: '' });
    expect(readActionResult('execute_action', { success: false, message: 'busy', data: { job: 7 } })).toEqual({ success: false, message: 'busy', data: '{"job":7}' });
    expect(readActionResult('execute_action', false).success).toBe(false);
    expect(reportedActionStatus(readActionResult('execute_action', 'done'))).toBeNull();
    expect(() => readActionResult('execute_action', 42)).toThrow(/execute_action\(\) returned 42/);
  });

  it('reads detail sections ordered by order, with null texts as empty and data_json as text; and actions with defaults', () => {
    const sections = readDetailSections(JSON.stringify([
      { kind: 'iframe', title: 'Console', order: 2, content_html: null, iframe_url: 'https://c/1', data_json: null },
      { kind: 'properties', title: 'Server', order: 1, content_html: '<p>x</p>', iframe_url: null, data_json: { cpu: 2 }, fields: [{ key: 'IP', value: '1.2.3.4' }] },
      'junk',
    ]));
    expect(sections).toEqual([
      { kind: 'properties', title: 'Server', order: 1, contentHtml: '<p>x</p>', iframeUrl: '', dataJson: '{"cpu":2}', fields: [{ key: 'IP', value: '1.2.3.4', valueType: '' }] },
      { kind: 'iframe', title: 'Console', order: 2, contentHtml: '', iframeUrl: 'https://c/1', dataJson: '', fields: [] },
    ]);
    expect(() => readDetailSections('{"title":"one"}')).toThrow(/instance_detail_sections/);
    expect(readInstanceActions('{"actions":[{"id":"reboot"},{"label":"no id"},{"id":"stop","label":"Shut down","style":"Default","confirmation":"Sure?","enabled":false}]}')).toEqual([
      { id: 'reboot', label: 'reboot', style: '', confirmation: '', enabled: true },
      { id: 'stop', label: 'Shut down', style: 'Default', confirmation: 'Sure?', enabled: false },
    ]);
    expect(() => readInstanceActions('nope')).toThrow(/instance_actions/);
  });

  it('reads synced products and spec templates', () => {
    const products = readSyncedProducts('[{"name":"VPS-1","price":"5","specs":{"cpu":1},"cost_price":"3"}]', 'iface', '');
    expect(products).toEqual([expect.objectContaining({ name: 'VPS-1', pricePerMonth: '5.00', costPrice: '3.00', specs: { cpu: '1' }, interfaceId: 'iface', billingCycles: { monthly: '5.00' } })]);
    expect(() => readSyncedProducts('[{"price":"5"}]', 'i', '')).toThrow(/name/);
    const template = readSpecTemplate('{"groups":[{"key":"compute","label":"C","display_order":1,"fields":[{"key":"cpu_cores","field_type":"slider","min":1,"max":64,"step":1,"default_value":"2","required":true}]}]}');
    expect(template.groups?.[0]?.fields?.[0]).toMatchObject({ key: 'cpu_cores', min: 1n, max: 64n, step: 1n, defaultValue: '2', required: true });
  });

  it('reads admin pages and action results', () => {
    expect(readAdminPage('<h1>x</h1>', 'Main')).toEqual({ html: '<h1>x</h1>', title: 'Main' });
    expect(readAdminPage({ html: '<p/>', title: 'T' }, 'Main')).toEqual({ html: '<p/>', title: 'T' });
    expect(toResultJson('{"a":1}')).toBe('{"a":1}');
    expect(toResultJson('plain')).toBe('"plain"');
    expect(toResultJson(undefined)).toBe('null');
  });
});

describe('registry rules', () => {
  const gateway = { displayName: 'Main pay', pluginType: 'gateway', pluginId: 'yipay' } as const;
  const firstParty = { displayName: 'Incus', pluginType: 'first_party_provider', pluginId: 'incus' } as const;
  const upstreamProvider = { displayName: 'Up', pluginType: 'upstream_provider', pluginId: 'rustbill' } as const;

  it('refuses deleting an interface while anything uses it, listing every use with its count', () => {
    expect(usageRefusal(gateway, { openOrders: 0, liveInstances: 0, pendingPayments: 0 })).toBeNull();
    expect(usageRefusal(gateway, { openOrders: 1, liveInstances: 0, pendingPayments: 0 })?.message)
      .toBe('plugin interface "Main pay" (gateway/yipay) is still used by 1 open order; finish or move them first, or disable the interface instead');
    const all = usageRefusal(gateway, { openOrders: 2, liveInstances: 1, pendingPayments: 3 });
    expect(all).toBeInstanceOf(PluginRegistryError);
    expect(all?.kind).toBe('failed_precondition');
    expect(all?.message).toMatch(/is still used by 2 open orders, 1 instance not terminated, 3 pending payments;/);
    expect(usageRefusal(gateway, { openOrders: 0, liveInstances: 2, pendingPayments: 1 })?.message).toMatch(/used by 2 instances not terminated, 1 pending payment;/);
  });

  it('lets providers run provider functions, and upstream-only ones only upstream providers', () => {
    expect(providerRefusal(firstParty, 'query_price')).toBeNull();
    expect(providerRefusal(upstreamProvider, 'get_upstream_balance')).toBeNull();
    expect(providerRefusal(gateway, 'query_price')?.message).toBe('plugin interface "Main pay" (gateway/yipay) is not a provider; query_price needs a first-party or upstream provider interface');
    for (const fn of ['sync_upstream_instances', 'import_upstream_instance', 'get_upstream_balance']) {
      expect(providerRefusal(firstParty, fn)?.message).toMatch(new RegExp(`is a first-party provider; ${fn} is for upstream providers only$`));
    }
  });

  it('lets the admin bridge call functions the script defines, never those moving money or servers', () => {
    const functions = ['admin_echo', 'refund', 'create_instance', 'health_check'];
    expect(bridgeRefusal(gateway, functions, 'admin_echo')).toBeNull();
    expect(bridgeRefusal(gateway, functions, 'health_check')).toBeNull();
    expect(bridgeRefusal(gateway, functions, 'nope')).toMatchObject({ kind: 'not_found', message: 'the script of plugin interface "Main pay" (gateway/yipay) defines no function "nope"' });
    for (const fn of BRIDGE_REFUSED_FUNCTIONS) {
      expect(bridgeRefusal(gateway, [...functions, fn], fn)).toMatchObject({ kind: 'failed_precondition', message: expect.stringMatching(/cannot be called from the admin page/) });
    }
    expect(checkFunctionName('admin_list')).toBe('admin_list');
    expect(() => checkFunctionName('')).toThrow(/function is required/);
    expect(() => checkFunctionName('a.b')).toThrow(/"a.b" is not a function name/);
    expect(() => checkFunctionName('x'.repeat(129))).toThrow(/is not a function name/);
  });

  it('shows secrets to and takes scripts from admins with the admin role only', () => {
    const admin = { kind: 'admin', userId: 'u', username: 'root', role: 'admin', sessionId: 's' } as const;
    const operator = { ...admin, role: 'operator' } as const;
    const customer = { kind: 'customer', userId: 'u', username: 'c', customerId: 'c', tokenId: 't' } as const;
    expect([admin, operator, customer].map(seesSecrets)).toEqual([true, false, false]);
    expect(scriptAuthorRefusal(admin)).toBeNull();
    for (const caller of [operator, customer]) {
      expect(scriptAuthorRefusal(caller)).toMatchObject({ kind: 'permission_denied', message: expect.stringMatching(/^script_source may only be set by users with the admin role/) });
    }
  });

  it('parses JSON object fields and display names, naming the field', () => {
    expect(parseJsonObject('args_json', '')).toEqual({});
    expect(parseJsonObject('args_json', '{"a":1}')).toEqual({ a: 1 });
    expect(() => parseJsonObject('args_json', '[]')).toThrow('args_json must be a JSON object, got an array');
    expect(() => parseJsonObject('config_json', 'null')).toThrow('config_json must be a JSON object, got object');
    expect(checkDisplayName('  Pay  ')).toBe('Pay');
    expect(() => checkDisplayName('x'.repeat(256))).toThrow('display_name must be at most 255 characters, got 256');
    expect(() => checkDisplayName('a\nb')).toThrow('display_name must not contain control characters');
  });

  it('makes a failing plugin a refusal of the matching kind, the script\'s message clipped to 500 characters', () => {
    expect(pluginFailure(new PluginError('timeout', 'after 5000 ms'))).toMatchObject({ kind: 'unavailable', message: 'the plugin did not finish within its time limit (after 5000 ms); try again later' });
    expect(pluginFailure(new PluginError('host_error', 'GET x failed')).kind).toBe('unavailable');
    expect(pluginFailure(new PluginError('script_error', 'no such instance'))).toMatchObject({ kind: 'failed_precondition', message: 'the plugin reported an error: no such instance' });
    expect(pluginFailure(new PluginError('memory', 'out of memory')).kind).toBe('failed_precondition');
    for (const kind of ['syntax', 'contract', 'forbidden'] as const) {
      expect(pluginFailure(new PluginError(kind, 'm')).message).toBe(`the plugin script cannot run (${kind}): m; fix the script`);
    }
    expect(pluginFailure(new PluginError('script_error', 'x'.repeat(600))).message).toBe(`the plugin reported an error: ${'x'.repeat(500)}…`);
  });
});

describe('spec templates as ListProviders sends them', () => {
  const field = (key: string, displayOrder: number, group = '') => ({ key, displayOrder, group, label: key });

  it('sends the fields of every group at the top level with the group key, groups and fields in display order', () => {
    const template = flattenSpecTemplate({
      groups: [
        { key: 'system', label: 'System', displayOrder: 2, fields: [field('os', 1)] },
        { key: 'compute', label: 'Compute', displayOrder: 1, fields: [field('memory_gb', 2), field('cpu_cores', 1), field('disk_gb', 2)] },
      ],
      fields: [],
    });
    expect(template.fields.map((item) => [item.key, item.group, item.displayOrder])).toEqual([
      ['cpu_cores', 'compute', 1], ['memory_gb', 'compute', 2], ['disk_gb', 'compute', 2], ['os', 'system', 1],
    ]);
    // The groups stay, in their own order, for labels and layout; their fields carry the key too.
    expect(template.groups.map((group) => [group.key, group.label, group.fields.map((item) => `${item.key}@${item.group}`)])).toEqual([
      ['system', 'System', ['os@system']], ['compute', 'Compute', ['memory_gb@compute', 'cpu_cores@compute', 'disk_gb@compute']],
    ]);
  });

  it('keeps top-level fields after the grouped ones, once per key, and a flat template as it is', () => {
    const template = flattenSpecTemplate({
      groups: [{ key: 'compute', label: 'C', displayOrder: 1, fields: [field('cpu_cores', 1)] }],
      fields: [field('region', 5, 'location'), field('cpu_cores', 1, 'compute')],
    });
    expect(template.fields.map((item) => `${item.key}@${item.group}`)).toEqual(['cpu_cores@compute', 'region@location']);
    const flat = { groups: [], fields: [field('b', 2), field('a', 1)] };
    expect(flattenSpecTemplate(flat)).toEqual(flat);
  });

  it('leaves the reader of spec_template() unchanged: it reads what the script returned', () => {
    const read = readSpecTemplate('{"groups":[{"key":"g","fields":[{"key":"x"}]}]}');
    expect(read.fields).toEqual([]);
    expect(flattenSpecTemplate(read).fields.map((item) => `${item.key}@${item.group}`)).toEqual(['x@g']);
  });
});
