/**
 * The application services of one worker (ARCHITECTURE.md "Layers"): each runs one use case in one
 * transaction or actor command, audit row included, on the domain rules of src/domain. Built once
 * per worker from the infrastructure it needs; the gRPC handlers call them.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from '../../cluster.config.ts';
import { createCrm, type CrmApplication } from './crm/index.ts';
import { InvoiceBilling } from './billing/invoices.ts';
import { Promotions } from './billing/promotions.ts';
import { TaxRules } from './billing/tax-rules.ts';
import { ServiceLifecycle } from './billing/service-lifecycle.ts';
import { RevenueReports } from './billing/revenue.ts';
import { ServiceChanges } from './orders/service-changes.ts';
import { ServiceInstances } from './provisioning/service-instances.ts';
import { lifecycleSettingsOf } from '../config/schema.ts';
import { createMoneyPath, type MoneyPath } from './money-path.ts';
import { UpstreamPurchases } from './provisioning/upstream-purchases.ts';
import type { PaymentGateways } from './payments/gateway-port.ts';
import type { Identity } from '../identity/module.ts';
import type { Invalidation } from '../identity/principal-cache.ts';
import type { PluginRegistry } from '../plugins/registry/registry.ts';
import { ProductCategories } from './catalog/product-categories.ts';
import { ProductGroups } from './catalog/product-groups.ts';
import { ProductSync } from './catalog/product-sync.ts';
import { ProductCatalog } from './catalog/products.ts';
import type { ProviderProducts } from './catalog/provider-products.ts';
import { CustomerAccounts, type CustomerActors } from './customers/customer-accounts.ts';
import { Accounts } from './identity/accounts.ts';
import { ApiKeys } from './identity/api-keys.ts';
import { Registration } from './identity/registration.ts';
import { UserAdministration } from './identity/user-administration.ts';
import { InterfaceAdministration } from './plugins/interface-administration.ts';
import { InterfaceOperations } from './plugins/interface-operations.ts';
import { InstanceManagement } from './provisioning/instances.ts';
import { UpstreamInstanceImport } from './provisioning/upstream-instance-import.ts';
import { ServerRestart, type ClusterControl } from './system/server-restart.ts';
import { Tickets } from './tickets/tickets.ts';

/** Every application service. */
export interface Application {
  customers: CustomerAccounts;
  accounts: Accounts;
  registration: Registration;
  users: UserAdministration;
  /** ApiKeyService: downstream API keys. */
  apiKeys: ApiKeys;
  integration: IntegrationApplication;
  catalog: Catalog;
  /** Orders, payments and balances (issue 8). */
  money: MoneyPath;
  /** InstanceService: instances and their provider plugins' actions. */
  instances: InstanceManagement;
  /** TicketService: support tickets, their replies and events. */
  tickets: Tickets;
  /** BillingService: invoices, the billing run, the overdue sweep, invoice PDFs. */
  billing: InvoiceBilling;
  /** BillingService's recurring-billing terms: promotion codes and tax rules (issue 11). */
  billingTerms: { promotions: Promotions; taxRules: TaxRules };
  /** The service lifecycle (issue 11): renewals, automatic payment, dunning, suspension, termination. */
  lifecycle: ServiceLifecycle;
  /** OrderService's CancelService and ChangeServicePlan (issue 11). */
  serviceChanges: ServiceChanges;
  /** The provider side of the lifecycle: instances follow their orders (service_* events). */
  serviceInstances: ServiceInstances;
  /** Revenue for the admin console's dashboard (issue 12). */
  revenue: RevenueReports;
  /** CustomerService with the CRM extension: ratings, risk, RFM, statistics, imports and exports. */
  crm: CrmApplication;
}

/**
 * Builds the application services over `orm`, the identity components, the customer actors, the
 * worker's plugin registry and the cluster port.
 */
export function createApplication(deps: {
  orm: MikroORM;
  identity: Identity;
  actors: CustomerActors;
  plugins: PluginRegistry;
  cluster: ClusterControl;
  /** The money path's own pool. */
  pool: pg.Pool;
  gateways: PaymentGateways;
  /** The settings the services read (`[crm]`, `[billing]`). */
  config: Pick<AppConfig, 'crm' | 'billing'>;
  log: Logger;
  /** Wakes the event processing after a service wrote outbox events outside the money path. */
  nudgeEvents?: () => void;
  /** Spreads a cache invalidation to the other workers of this node (and waits for them). */
  broadcastInvalidation?: (event: Invalidation) => Promise<void>;
}): Application {
  const { orm, identity, actors } = deps;
  const customers = new CustomerAccounts({ orm, actors });
  const broadcast = deps.broadcastInvalidation;
  const billingTerms = {
    promotions: new Promotions({ orm }),
    taxRules: new TaxRules({ orm, ...(broadcast ? { changed: () => broadcast({ kind: 'tax_rules' }) } : {}) }),
  };
  const pricesIncludeTax = deps.config.billing.prices_include_tax;
  const money = createMoneyPath({
    pool: deps.pool, actors, gateways: deps.gateways,
    pricing: { quote: (code, context) => billingTerms.promotions.quote(code, context), taxFor: (customerId, price, options) => billingTerms.taxRules.taxFor(customerId, price, options), pricesIncludeTax,
      specTemplates: deps.plugins.providers },
  });
  const invoicesChanged = async (customerId: string): Promise<void> => { await actors.ask(customerId, { type: 'invoices_changed' }); };
  const lifecycleLog = deps.log.child({ component: 'billing-lifecycle' });
  return {
    crm: createCrm({ orm, accounts: customers, money: money.accounts, config: deps.config, log: deps.log.child({ component: 'crm' }) }),
    customers,
    accounts: new Accounts({ orm, identity }),
    registration: new Registration({ orm, identity, accounts: customers }),
    users: new UserAdministration({ orm, identity }),
    apiKeys: new ApiKeys({ orm, invalidations: identity.invalidations }),
    integration: {
      ...createIntegrationApplication({ orm, registry: deps.plugins, cluster: deps.cluster }),
      purchases: new UpstreamPurchases({ pool: deps.pool, accounts: money.accounts, quotes: deps.plugins.providers, reads: money.reads, waitMs: UPSTREAM_WAIT_MS }),
    },
    catalog: createCatalog({ orm, providers: deps.plugins.providers }),
    money,
    instances: new InstanceManagement({ orm, provider: deps.plugins.providers, log: deps.plugins.log }),
    tickets: new Tickets({ orm }),
    // An invoice issued or cancelled changes who may order: the customer's actor refreshes its standing.
    billing: new InvoiceBilling({ orm, invoicesChanged }),
    billingTerms,
    lifecycle: new ServiceLifecycle({
      orm, pool: deps.pool, accounts: money.accounts, taxes: billingTerms.taxRules, settings: lifecycleSettingsOf(deps.config.billing), pricesIncludeTax,
      invoicesChanged, log: lifecycleLog, ...(deps.nudgeEvents ? { nudge: deps.nudgeEvents } : {}),
    }),
    serviceChanges: new ServiceChanges({
      pool: deps.pool, accounts: money.accounts, reads: money.reads, resizer: deps.plugins.providers, taxes: billingTerms.taxRules, pricesIncludeTax, log: lifecycleLog,
    }),
    serviceInstances: new ServiceInstances({ pool: deps.pool, provider: deps.plugins.providers, log: lifecycleLog }),
    revenue: new RevenueReports({ pool: deps.pool }),
  };
}

/** How long CreateUpstreamInstance for a customer waits for its instance (ms). */
const UPSTREAM_WAIT_MS = 60_000;

/** The application services over the plugin system and the cluster (IntegrationService). */
export interface IntegrationApplication {
  /** CreateUpstreamInstance for customers and API keys, paid through the money path (absent in plugin-only setups). */
  purchases?: UpstreamPurchases;
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

/** The catalog's application services (ProductService, ProductGroupService, ProductCategoryService). */
export interface Catalog {
  products: ProductCatalog;
  /** SyncProducts and ImportUpstreamProducts (also for IntegrationService/SyncProducts). */
  sync: ProductSync;
  groups: ProductGroups;
  categories: ProductCategories;
}

/** Builds the catalog's services over `orm`, getting providers' products through `providers` (the plugin registry). */
export function createCatalog(deps: { orm: MikroORM; providers: ProviderProducts }): Catalog {
  const { orm, providers } = deps;
  return {
    products: new ProductCatalog({ orm }),
    sync: new ProductSync({ orm, providers }),
    groups: new ProductGroups({ orm }),
    categories: new ProductCategories({ orm }),
  };
}
