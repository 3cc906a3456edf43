/**
 * Health checks of plugin interfaces (CheckPluginHealth; the periodic health check of
 * src/plugins/schedules.ts): running a script's `health_check()` and storing the verdict on its
 * interface (`is_healthy`, `health_error`, `last_check_at`). A script that returns false, throws or
 * times out is unhealthy with the reason; running a check never throws for script failures.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { PluginInterface } from '../../persistence/entities/plugins.ts';
import { PluginError } from '../types.ts';
import { PluginRegistryError } from './errors.ts';
import type { InterfaceScripts } from './interface-scripts.ts';
import type { PluginInterfaces } from './interfaces.ts';
import { readHealth, type HealthVerdict } from './results.ts';

/** Longest `health_error` stored (characters). */
const HEALTH_ERROR_MAX = 2000;

/** A stored health verdict. */
export interface HealthResult {
  healthy: boolean;
  /** Why it is unhealthy (null when healthy), at most 2,000 characters. */
  error: string | null;
  checkedAt: Date;
}

/** See the file comment. */
export class HealthChecks {
  private readonly orm: MikroORM;
  private readonly scripts: InterfaceScripts;
  private readonly interfaces: PluginInterfaces;
  private readonly log: Logger;

  constructor(deps: { orm: MikroORM; scripts: InterfaceScripts; interfaces: PluginInterfaces; log: Logger }) {
    this.orm = deps.orm;
    this.scripts = deps.scripts;
    this.interfaces = deps.interfaces;
    this.log = deps.log;
  }

  /**
   * Runs the interface's `health_check()`: its verdict, or unhealthy with the failure
   * (`timeout: …`, `script_error: …`, a missing script). Stores nothing; never throws.
   */
  async run(row: PluginInterface): Promise<HealthVerdict> {
    let verdict: HealthVerdict;
    try {
      verdict = readHealth(await this.scripts.call(row, 'health_check'));
    } catch (error) {
      if (error instanceof PluginError) {
        verdict = { healthy: false, error: `${error.kind}: ${error.message}` };
      } else if (error instanceof PluginRegistryError) {
        verdict = { healthy: false, error: error.message };
      } else {
        this.log.error({ err: error, interfaceId: row.id }, 'health check failed unexpectedly');
        verdict = { healthy: false, error: 'health check failed: internal error (see the server log)' };
      }
    }
    if (!verdict.healthy) this.log.warn({ interfaceId: row.id, pluginType: row.pluginType, pluginId: row.pluginId, error: verdict.error }, 'plugin interface unhealthy');
    return verdict;
  }

  /** Stores `verdict` as the interface's health, checked now, through `em` (in its transaction, if any). */
  async record(em: EntityManager, interfaceId: string, verdict: HealthVerdict): Promise<HealthResult> {
    const checkedAt = new Date();
    const error = verdict.error === null ? null : verdict.error.slice(0, HEALTH_ERROR_MAX);
    await em.nativeUpdate(PluginInterface, { id: interfaceId }, { isHealthy: verdict.healthy, healthError: error, lastCheckAt: checkedAt });
    return { healthy: verdict.healthy, error, checkedAt };
  }

  /** Checks every enabled interface, one after the other, storing each verdict; returns how many were healthy. */
  async checkAllEnabled(): Promise<{ checked: number; healthy: number }> {
    const rows = await this.interfaces.list({ enabledOnly: true });
    let healthy = 0;
    for (const row of rows) {
      const result = await this.record(this.orm.em.fork(), row.id, await this.run(row));
      if (result.healthy) healthy += 1;
    }
    return { checked: rows.length, healthy };
  }
}
