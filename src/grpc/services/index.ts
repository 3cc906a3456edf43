import type { MikroORM } from '@mikro-orm/postgresql';
import type { Application } from '../../application/index.ts';
import type { ShardRouter } from '../../actors/router.ts';
import type { AppConfig } from '../../../cluster.config.ts';
import { BalanceService } from '../../gen/rustbill/balance_pb.ts';
import { BillingService } from '../../gen/rustbill/billing_pb.ts';
import { CustomerService } from '../../gen/rustbill/customer_pb.ts';
import { ApiKeyService } from '../../gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../gen/rustbill/identity_pb.ts';
import { InstanceService } from '../../gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../gen/rustbill/integration_pb.ts';
import { NotificationService } from '../../gen/rustbill/notification_pb.ts';
import { OrderService } from '../../gen/rustbill/order_pb.ts';
import { PaymentService } from '../../gen/rustbill/payment_pb.ts';
import { ProductCategoryService } from '../../gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../../gen/rustbill/product_group_pb.ts';
import { ProductService } from '../../gen/rustbill/product_pb.ts';
import { TicketService } from '../../gen/rustbill/ticket_pb.ts';
import type { Identity } from '../../identity/module.ts';
import type { NotificationDispatcher } from '../../plugins/notifications.ts';
import type { PluginRegistry } from '../../plugins/registry/registry.ts';
import type { HandlerRegistry } from '../handlers.ts';
import { apiKeyHandlers } from './api-key.ts';
import { balanceHandlers } from './balance.ts';
import { billingHandlers } from './billing.ts';
import { billingTermsHandlers } from './billing-terms.ts';
import { customerHandlers } from './customer.ts';
import { customerCrmHandlers } from './customer-crm.ts';
import { identityHandlers } from './identity.ts';
import { instanceHandlers } from './instance.ts';
import { integrationHandlers } from './integration.ts';
import { operationLogHandlers } from './operation-logs.ts';
import { OperationLogs } from '../../application/system/operation-logs.ts';
import { notificationHandlers } from './notification.ts';
import { orderHandlers } from './order.ts';
import { revenueHandlers } from './revenue.ts';
import { lifecycleHandlers, serviceChangeHandlers } from './service-lifecycle.ts';
import { paymentHandlers } from './payment.ts';
import { productHandlers } from './product.ts';
import { productCategoryHandlers } from './product-category.ts';
import { productGroupHandlers } from './product-group.ts';
import { ticketHandlers } from './ticket.ts';

/** What service modules may use. */
export interface ServiceDeps {
  orm: MikroORM;
  /** The application services (src/application). */
  app: Application;
  config: AppConfig;
  identity: Identity;
  router: ShardRouter;
  /** Cluster operations a service may ask the primary for. */
  cluster: {
    /** Starts a rolling restart of all workers (IntegrationService/RestartServer); resolves once accepted. */
    restartServer(requestedBy: string): Promise<{ alreadyRunning: boolean }>;
  };
  /** The plugin system: interface registry over the sandboxed engine (IntegrationService). */
  plugins: { registry: PluginRegistry; notifications: NotificationDispatcher };
}

/**
 * Registers the handlers of all 14 services (every RPC of the contract; `HandlerRegistry.pending`
 * remains for services a future contract adds).
 */
export function registerServices(registry: HandlerRegistry, deps: ServiceDeps): void {
  registry.register(IdentityService, identityHandlers({ ...deps.app, adminPath: deps.config.server.admin_path }));
  registry.register(BalanceService, balanceHandlers(deps.router, deps.app.money));
  registry.register(OrderService, { ...orderHandlers(deps.app.money), ...serviceChangeHandlers(deps.app.serviceChanges) });
  registry.register(PaymentService, paymentHandlers(deps.app.money));
  registry.register(CustomerService, { ...customerHandlers(deps.app.crm.customers), ...customerCrmHandlers(deps.app.crm) });
  registry.register(IntegrationService, {
    ...integrationHandlers({ registry: deps.plugins.registry, app: deps.app.integration, productSync: deps.app.catalog.sync, orderQuotes: deps.app.money.orders }),
    // The audit-log reader (issue 12, a NodeBill extension).
    ...operationLogHandlers(new OperationLogs({ orm: deps.orm })),
  });
  registry.register(NotificationService, notificationHandlers(deps.plugins.notifications));
  registry.register(InstanceService, instanceHandlers(deps.app.instances));
  registry.register(ApiKeyService, apiKeyHandlers(deps.app.apiKeys));
  registry.register(BillingService, {
    ...billingHandlers(deps.app.billing, { dueDays: deps.config.billing.due_days }),
    ...billingTermsHandlers({ promotions: deps.app.billingTerms.promotions, taxRules: deps.app.billingTerms.taxRules, settings: deps.config.billing }),
    ...lifecycleHandlers(deps.app.lifecycle),
    ...revenueHandlers(deps.app.revenue),
  });
  const { catalog } = deps.app;
  registry.register(ProductService, productHandlers(catalog));
  registry.register(ProductCategoryService, productCategoryHandlers(catalog.categories));
  registry.register(ProductGroupService, productGroupHandlers(catalog.groups));
  registry.register(TicketService, ticketHandlers(deps.app.tickets));
}
