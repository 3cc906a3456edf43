/**
 * Every shipped script in plugins/ loads in the real engine and satisfies its type's contract:
 * all required functions, version "1.0.0", a config_schema object whose secrets are marked
 * `format: "password"` and which the registry's validator compiles. The complete examples of
 * README.md (Writing a plugin) do too, and their offline functions give what the registry reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigValidator, secretPaths } from '../../../src/plugins/registry/config-schema.ts';
import { readPriceQuote, readSpecTemplate, readSyncedProducts } from '../../../src/plugins/registry/results.ts';
import { CONTRACT_FUNCTIONS, identifyScriptFile } from '../../../src/plugins/types.ts';
import { REPO_ROOT } from '../../support/server.ts';
import { object, type ShippedPluginBed, shippedPluginBed, shippedScript } from './harness.ts';

const EXPECTED: Record<string, { type: string; secrets: string[]; version?: string }> = {
  'gateway-banktransfer': { type: 'gateway', secrets: ['confirm_secret'] },
  // 1.1.0: reports carry the amount; notify_url may come from the host ([server] public_url).
  'gateway-yipay': { type: 'gateway', secrets: ['key'], version: '1.1.0' },
  'notifier-webhook': { type: 'notifier', secrets: ['secret'] },
  'notifier-email': { type: 'notifier', secrets: ['password'] },
  // 1.1.0: resize_instance; the spec template prices cpu, memory and disk (README "Spec pricing").
  'provider-incus': { type: 'first_party_provider', secrets: ['key_pem'], version: '1.1.0' },
  'provider-rustbill': { type: 'upstream_provider', secrets: ['api_key'] },
};

let bed: ShippedPluginBed;
beforeAll(async () => {
  bed = await shippedPluginBed();
});
afterAll(async () => {
  await bed?.close();
});

describe('shipped plugin scripts', () => {
  it('are exactly the six documented ones', () => {
    const files = readdirSync(path.join(REPO_ROOT, 'plugins')).filter((file) => file.endsWith('.js')).sort();
    expect(files).toEqual(Object.keys(EXPECTED).map((name) => `${name}.js`).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name} passes engine.inspect with its ${expected.type} contract`, async () => {
      const identity = identifyScriptFile(`${name}.js`);
      expect(identity?.pluginType).toBe(expected.type);
      if (!identity) return;
      const metadata = await bed.engine.inspect(identity.pluginType, identity.pluginId, shippedScript(name));
      expect(metadata.version).toBe(expected.version ?? '1.0.0');
      for (const fn of CONTRACT_FUNCTIONS[identity.pluginType]) expect(metadata.functions).toContain(fn);
      expect(metadata.configSchema).toMatchObject({ type: 'object' });
      expect(secretPaths(metadata.configSchema).map((secret) => secret.join('.')).sort()).toEqual(expected.secrets.sort());
      expect(() => new ConfigValidator().compile(metadata.configSchema)).not.toThrow();
    });
  }
});

/** The ```js blocks of README.md (Writing a plugin) that are complete scripts (first line `// plugins/<name>.js — …`). */
function documentedScripts(): Map<string, string> {
  const markdown = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const scripts = new Map<string, string>();
  for (const match of markdown.matchAll(/```js\n([\s\S]*?)```/g)) {
    const source = match[1] ?? '';
    const name = /^\/\/ plugins\/([a-z0-9-]+)\.js —/.exec(source)?.[1];
    if (name) scripts.set(name, source);
  }
  return scripts;
}

describe('the examples of README.md (Writing a plugin)', () => {
  const scripts = documentedScripts();

  it('include a complete gateway, notifier and first-party provider', () => {
    expect([...scripts.keys()]).toEqual(['gateway-simplepay', 'notifier-slack', 'provider-example']);
  });

  it('pass engine.inspect and answer their offline functions as the registry expects', async () => {
    for (const [name, source] of scripts) {
      const identity = identifyScriptFile(`${name}.js`);
      if (!identity) throw new Error(`${name} is not a plugin name`);
      await bed.engine.inspect(identity.pluginType, identity.pluginId, source);
    }
    const gateway = await bed.installSource('gateway-simplepay', scripts.get('gateway-simplepay') ?? '', { api_url: 'https://pay.example.com', app_id: 'a1', app_secret: 's' });
    expect(object(await bed.call(gateway, 'create_payment', { payment_id: 'p1', amount: '9.90' })).payment_url).toMatch(/^https:\/\/pay\.example\.com\/pay\?app_id=a1&order=p1&amount=9\.90&sign=[0-9a-f]{32}$/);
    const notifier = await bed.installSource('notifier-slack', scripts.get('notifier-slack') ?? '', { webhook_url: 'https://hooks.slack.com/x' });
    expect(await bed.call(notifier, 'supported_events')).toEqual(['order.paid', 'instance.ready']);
    expect(await bed.call(notifier, 'health_check')).toBe(true);
    const provider = await bed.installSource('provider-example', scripts.get('provider-example') ?? '', { api_url: 'https://api.example.com', token: 't' });
    expect(readSpecTemplate(await bed.call(provider, 'spec_template')).fields?.[0]).toMatchObject({ key: 'cpu_cores', fieldType: 'slider' });
    expect(readSyncedProducts(await bed.call(provider, 'sync_products'), provider.interfaceId, '')[0]).toMatchObject({ name: 'Small', pricePerMonth: '5.00' });
    expect(readPriceQuote(await bed.call(provider, 'query_price', { cpu_cores: 2 })).amount).toBe('10.00');
  });
});
