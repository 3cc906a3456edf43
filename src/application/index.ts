/**
 * The application services of one worker (ARCHITECTURE.md "Layers"): each runs one use case in one
 * transaction or actor command, audit row included, on the domain rules of src/domain. Built once
 * per worker from the infrastructure it needs; the gRPC handlers call them.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Identity } from '../identity/module.ts';
import type { PluginRegistry } from '../plugins/registry/registry.ts';
import { DatabaseAccountOpening } from './customers/account-opening.ts';
import { Accounts } from './identity/accounts.ts';
import { Registration } from './identity/registration.ts';
import { UserAdministration } from './identity/user-administration.ts';
import { InterfaceAdministration } from './plugins/interface-administration.ts';
import { InterfaceOperations } from './plugins/interface-operations.ts';
import { UpstreamInstanceImport } from './provisioning/upstream-instance-import.ts';
import { ServerRestart, type ClusterControl } from './system/server-restart.ts';

/** Every application service. */
export interface Application {
  accounts: Accounts;
  registration: Registration;
  users: UserAdministration;
}

/** Builds the application services over `orm` and the identity components. */
export function createApplication(deps: { orm: MikroORM; identity: Identity }): Application {
  const { orm, identity } = deps;
  return {
    accounts: new Accounts({ orm, identity }),
    registration: new Registration({ orm, identity, accounts: new DatabaseAccountOpening(orm) }),
    users: new UserAdministration({ orm, identity }),
  };
}

/** The application services over the plugin system and the cluster (IntegrationService). */
export interface IntegrationApplication {
  interfaces: InterfaceAdministration;
  operations: InterfaceOperations;
  upstreamImport: UpstreamInstanceImport;
  restart: ServerRestart;
}

/** Builds them over `orm`, the worker's plugin registry and the cluster port. */
export function createIntegrationApplication(deps: { orm: MikroORM; registry: PluginRegistry; cluster: ClusterControl }): IntegrationApplication {
  const { orm, registry, cluster } = deps;
  return {
    interfaces: new InterfaceAdministration({ orm, registry }),
    operations: new InterfaceOperations({ orm, registry }),
    upstreamImport: new UpstreamInstanceImport({ orm, source: registry.providers }),
    restart: new ServerRestart({ orm, cluster, log: registry.log }),
  };
}
