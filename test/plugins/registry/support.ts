/**
 * Shared set-up of the plugin registry suites: a migrated database, the ORM, the real host
 * services and QuickJS engine, a capturing logger, small plugin scripts written inline, and the
 * registry with the application services over it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { AppConfigSchema, type AppConfig } from '../../../cluster.config.ts';
import { ProductSync } from '../../../src/application/catalog/product-sync.ts';
import { createIntegrationApplication, type IntegrationApplication } from '../../../src/application/index.ts';
import type { Origin } from '../../../src/domain/origin.ts';
import type { ClusterControl } from '../../../src/application/system/server-restart.ts';
import { newId } from '../../../src/lib/ids.ts';
import { PluginRegistry } from '../../../src/plugins/registry/registry.ts';
import { createPluginEngine } from '../../../src/plugins/engine/index.ts';
import { createHostServices } from '../../../src/plugins/host/index.ts';
import type { PluginEngine } from '../../../src/plugins/types.ts';
import { createOrm } from '../../../src/persistence/orm.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../../support/db.ts';

/** One JSON log line. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A pino logger collecting its lines. */
export function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

/** Everything a registry suite uses; `close()` releases it all. */
export interface PluginTestBed {
  database: MigratedTestDatabase;
  orm: MikroORM;
  engine: PluginEngine;
  config: AppConfig['plugins'];
  log: Logger;
  lines: LogLine[];
  /** A fresh temporary plugins directory. */
  tempDir(): string;
  close(): Promise<void>;
}

/**
 * Builds a {@link PluginTestBed} (real PostgreSQL, real host services, real engine).
 * @param overrides `[plugins]` settings to change (defaults: 1 s calls, 32 MiB, no HTTP retries, the
 *   production outbound policy — a suite talking to local counterparts passes `outbound_allow`)
 */
export async function pluginTestBed(overrides: Partial<AppConfig['plugins']> = {}): Promise<PluginTestBed> {
  const database = await migratedTestDatabase();
  const orm = await createOrm({ url: database.url, poolMin: 0, poolMax: 6 });
  const { log, lines } = capturingLogger();
  const config: AppConfig['plugins'] = { ...AppConfigSchema.parse({}).plugins, call_timeout_ms: 1000, memory_limit_mb: 32, http_retries: 0, ...overrides };
  const host = createHostServices({ orm, config, log, registry: new Registry() });
  const engine = await createPluginEngine({ host, callTimeoutMs: config.call_timeout_ms, memoryLimitMb: config.memory_limit_mb, log });
  const dirs: string[] = [];
  return {
    database,
    orm,
    engine,
    config,
    log,
    lines,
    tempDir() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'nodebill-plugins-'));
      dirs.push(dir);
      return dir;
    },
    async close() {
      await host.close();
      await orm.close(true);
      await database.drop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `source` as `<dir>/<file>`. */
export function writePlugin(dir: string, file: string, source: string): void {
  writeFileSync(path.join(dir, file), source);
}

export { gatewayScript, providerScript, type GatewayScriptOptions } from './scripts.ts';

/** An admin's origin (role admin unless `role` says otherwise), as a gRPC call would give it. */
export function adminOrigin(role: 'admin' | 'operator' = 'admin', username = role === 'admin' ? 'root' : 'op'): Origin {
  return { caller: { kind: 'admin', userId: newId(), username, role, sessionId: newId() }, clientAddress: '127.0.0.1', requestId: newId() };
}

/** The plugin registry and the application services over it, built as a worker builds them. */
export function registryServices(bed: PluginTestBed, cluster: ClusterControl = { restartServer: async () => ({ alreadyRunning: false }) }): {
  registry: PluginRegistry;
  app: IntegrationApplication;
  productSync: ProductSync;
} {
  const registry = new PluginRegistry({ orm: bed.orm, engine: bed.engine, log: bed.log });
  return {
    registry,
    app: createIntegrationApplication({ orm: bed.orm, registry, cluster }),
    productSync: new ProductSync({ orm: bed.orm, providers: registry.providers }),
  };
}
