/**
 * The plugin registry: the pieces behind IntegrationService, NotificationService and the plugin
 * schedules, each with one job, built once per worker over one engine so that they share its
 * caches:
 * - `definitions` (definitions.ts): plugin definitions, read only (the scanner writes them);
 * - `scripts` (interface-scripts.ts): which script an interface runs, inspection (cached), calls;
 * - `interfaces` (interfaces.ts): interface reads and the admin's changes, written into the
 *   caller's transaction; deletion asks an {@link InterfaceUsers} port who still uses it;
 * - `health` (health.ts): running `health_check()` and storing verdicts;
 * - `adminPages` (admin-pages.ts): `admin_page()` and the admin-page action bridge;
 * - `providers` (providers.ts): provider contract functions, results read, nothing stored;
 * - `gateways` (gateways.ts): payment gateway contract functions, results read, nothing stored.
 * The use cases that change things, each one transaction with its audit row, are application
 * services (src/application/plugins, src/application/provisioning) over these pieces.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { PgInterfaceUsers } from '../../persistence/interface-users.ts';
import type { PluginEngine } from '../types.ts';
import { AdminPages } from './admin-pages.ts';
import { PluginDefinitions } from './definitions.ts';
import { HealthChecks } from './health.ts';
import { InterfaceScripts } from './interface-scripts.ts';
import type { InterfaceUsers } from './interface-users.ts';
import { PluginInterfaces } from './interfaces.ts';
import { GatewayCalls } from './gateways.ts';
import { ProviderCalls } from './providers.ts';

/** Options of {@link PluginRegistry}. */
export interface PluginRegistryOptions {
  orm: MikroORM;
  engine: PluginEngine;
  log: Logger;
  /** Who uses an interface (default: counted over orders, instances and payments in PostgreSQL). */
  users?: InterfaceUsers;
}

/** See the file comment. */
export class PluginRegistry {
  readonly definitions: PluginDefinitions;
  readonly scripts: InterfaceScripts;
  readonly interfaces: PluginInterfaces;
  readonly health: HealthChecks;
  readonly adminPages: AdminPages;
  readonly providers: ProviderCalls;
  readonly gateways: GatewayCalls;
  /** The plugin system's logger (application services over the registry log to it). */
  readonly log: Logger;

  constructor(options: PluginRegistryOptions) {
    const { orm, engine, log } = options;
    this.log = log;
    this.definitions = new PluginDefinitions({ orm });
    this.scripts = new InterfaceScripts({ orm, engine });
    this.interfaces = new PluginInterfaces({ orm, definitions: this.definitions, scripts: this.scripts, users: options.users ?? new PgInterfaceUsers() });
    this.health = new HealthChecks({ orm, scripts: this.scripts, interfaces: this.interfaces, log });
    this.adminPages = new AdminPages({ interfaces: this.interfaces, scripts: this.scripts });
    this.providers = new ProviderCalls({ orm, scripts: this.scripts, interfaces: this.interfaces, log });
    this.gateways = new GatewayCalls({ orm, scripts: this.scripts, log });
  }
}
