/**
 * Set-up of the shipped-plugin suites: a migrated database, the real host services and the real
 * QuickJS engine, and plugin interfaces (rows in `plugins` / `plugin_interfaces`, so that the
 * plugin state store has its namespace) running the scripts of `plugins/`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { AppConfigSchema, type AppConfig } from '../../../cluster.config.ts';
import { createPluginEngine, type SandboxedPluginEngine } from '../../../src/plugins/engine/index.ts';
import { createHostServices, type HostServicesHandle } from '../../../src/plugins/host/index.ts';
import { ConfigValidator } from '../../../src/plugins/registry/config-schema.ts';
import { identifyScriptFile, PluginError, type PluginErrorKind, type PluginTarget } from '../../../src/plugins/types.ts';
import { Plugin, PluginInterface } from '../../../src/persistence/entities/plugins.ts';
import { createOrm } from '../../../src/persistence/orm.ts';
import { newId } from '../../../src/lib/ids.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../../support/db.ts';
import { REPO_ROOT } from '../../support/server.ts';

/** One JSON log line. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** The source of a shipped script, e.g. `shippedScript('gateway-yipay')`. */
export function shippedScript(name: string): string {
  return readFileSync(path.join(REPO_ROOT, 'plugins', `${name}.js`), 'utf8');
}

/** Everything a shipped-plugin suite uses; `close()` releases it all. */
export interface ShippedPluginBed {
  engine: SandboxedPluginEngine;
  host: HostServicesHandle;
  orm: MikroORM;
  log: Logger;
  lines: LogLine[];
  /**
   * Creates a plugin interface for `plugins/<scriptName>.js` with `config` (checked against the
   * script's config_schema first, as the registry does) and returns the engine's call target.
   */
  install(scriptName: string, config: Record<string, unknown>): Promise<PluginTarget>;
  /** The same for a script given as text (`scriptName` names its type and id). */
  installSource(scriptName: string, source: string, config: Record<string, unknown>): Promise<PluginTarget>;
  /** `engine.call(target, fn, args)`. */
  call(target: PluginTarget, fn: string, args?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Builds the bed: real PostgreSQL, `createHostServices` and `createPluginEngine`.
 * @param overrides `[plugins]` settings to change (defaults: 5 s calls, 64 MiB, no HTTP retries, the
 *   production outbound policy — a suite talking to local counterparts passes `outbound_allow`)
 */
export async function shippedPluginBed(overrides: Partial<AppConfig['plugins']> = {}): Promise<ShippedPluginBed> {
  const database: MigratedTestDatabase = await migratedTestDatabase();
  const orm = await createOrm({ url: database.url, poolMin: 0, poolMax: 6 });
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const config: AppConfig['plugins'] = {
    ...AppConfigSchema.parse({}).plugins,
    call_timeout_ms: 5000,
    memory_limit_mb: 64,
    http_retries: 0,
    http_timeout_ms: 4000,
    ...overrides,
  };
  const host = createHostServices({ orm, config, log, registry: new Registry() });
  const engine = await createPluginEngine({ host, callTimeoutMs: config.call_timeout_ms, memoryLimitMb: config.memory_limit_mb, log });
  const validator = new ConfigValidator();

  return {
    engine,
    host,
    orm,
    log,
    lines,
    install(scriptName, pluginConfig) {
      return installSource(scriptName, shippedScript(scriptName), pluginConfig);
    },
    installSource,
    call: (target, fn, args) => engine.call(target, fn, args),
    async close() {
      await host.close();
      await orm.close(true);
      await database.drop();
    },
  };

  /** See {@link ShippedPluginBed.installSource}. */
  async function installSource(scriptName: string, source: string, pluginConfig: Record<string, unknown>): Promise<PluginTarget> {
    const identity = identifyScriptFile(`${scriptName}.js`);
    if (!identity) throw new Error(`${scriptName}.js is not a plugin script name`);
    const metadata = await engine.inspect(identity.pluginType, identity.pluginId, source);
    const problem = validator.check(pluginConfig, metadata.configSchema);
    if (problem) throw new Error(`test config of ${scriptName} does not satisfy its config_schema: ${problem.message}`);
    const em = orm.em.fork();
    let definition = await em.findOne(Plugin, { pluginType: identity.pluginType, pluginId: identity.pluginId });
    if (!definition) {
      definition = em.create(Plugin, { id: newId(), pluginType: identity.pluginType, pluginId: identity.pluginId, version: metadata.version, scriptSource: source });
    }
    const row = em.create(PluginInterface, {
      id: newId(),
      pluginDefId: definition.id,
      pluginType: identity.pluginType,
      pluginId: identity.pluginId,
      displayName: `${scriptName} ${newId().slice(-8)}`,
      enabled: true,
      config: pluginConfig,
      configSchema: metadata.configSchema,
      scriptSource: source,
      pluginVersion: metadata.version,
      hasAdminPage: metadata.hasAdminPage,
    });
    await em.flush();
    return { interfaceId: row.id, pluginType: identity.pluginType, pluginId: identity.pluginId, source, config: pluginConfig };
  }
}

/** A script's value as data: JSON text is parsed, anything else returned as it is. */
export function data(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** `data(value)` as an object (fails the test when it is not one). */
export function object(value: unknown): Record<string, unknown> {
  const parsed = data(value);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  return parsed as Record<string, unknown>;
}

/** `data(value)` as an array of objects (fails the test when it is not one). */
export function objects(value: unknown): Array<Record<string, unknown>> {
  const parsed = data(value);
  if (!Array.isArray(parsed)) throw new Error(`expected an array, got ${JSON.stringify(value)}`);
  return parsed.map((item) => object(item));
}

/** Awaits a call that must fail; returns its PluginError after checking the kind. */
export async function failure(promise: Promise<unknown>, kind: PluginErrorKind): Promise<PluginError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a ${kind} failure, got ${JSON.stringify(value)}`);
    },
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof PluginError)) throw error;
  if (error.kind !== kind) throw new Error(`expected a ${kind} failure, got ${error.kind}: ${error.message}`);
  return error;
}
