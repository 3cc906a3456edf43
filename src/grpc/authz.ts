import type { DescMethod } from '@bufbuild/protobuf';
import type { Caller } from '../domain/identity/principal.ts';
import { permissionDenied, unauthenticated } from './errors.ts';

/**
 * Permission levels of the RustBill API reference (权限级别):
 * - `public` (公开): no credentials needed.
 * - `authenticated` (已认证): any admin, customer or API key.
 * - `admin`: an admin user, role admin or operator.
 * - `admin_only`: an admin user with role admin (not operator).
 * - `admin_or_own`: admins see everything; customers and API keys only their own customer's data
 *   (the handler scopes queries by `caller.customerId`).
 */
export type Permission = 'public' | 'authenticated' | 'admin' | 'admin_only' | 'admin_or_own';

/**
 * The one table of who may call what, per service and RPC, from the spec's RPC tables
 * (rustbill-docs.md, extra-services.md). A method missing here is refused to everybody but
 * admin-only callers — the test suite checks that every RPC of every service is listed.
 */
export const PERMISSIONS: Readonly<Record<string, Readonly<Record<string, Permission>>>> = {
  'rustbill.identity.IdentityService': {
    Register: 'public', SendVerificationCode: 'public', Login: 'public', RefreshToken: 'public',
    ListUsers: 'admin', GetUser: 'admin', UpdateUser: 'admin', DeleteUser: 'admin_only',
    ChangePassword: 'authenticated', AdminResetPassword: 'admin_only', GetMe: 'authenticated', Logout: 'authenticated',
    // NodeBill extension (issue 12): creating admins and operators, like resetting their passwords.
    CreateAdminUser: 'admin_only',
  },
  'rustbill.product.ProductService': {
    CreateProduct: 'admin', ListProducts: 'public', GetProduct: 'public', UpdateProduct: 'admin', DeleteProduct: 'admin',
    SyncProducts: 'admin', BatchSetActive: 'admin', BatchSetGroup: 'admin', BatchDelete: 'admin',
    ImportUpstreamProducts: 'admin', BatchUpdatePrice: 'admin',
  },
  'rustbill.product.ProductCategoryService': {
    CreateProductCategory: 'admin', ListProductCategories: 'public', GetProductCategory: 'public',
    UpdateProductCategory: 'admin', DeleteProductCategory: 'admin',
  },
  'rustbill.product.ProductGroupService': {
    ListProductGroups: 'public', CreateProductGroup: 'admin', GetProductGroup: 'public',
    UpdateProductGroup: 'admin', DeleteProductGroup: 'admin',
  },
  'rustbill.customer.CustomerService': {
    CreateCustomer: 'admin', ListCustomers: 'admin', GetCustomer: 'admin', UpdateCustomer: 'admin', DeleteCustomer: 'admin',
    // The CRM extension (issue 10): for admins and operators, like the customer RPCs themselves;
    // balance changes like BalanceService/AdjustBalance.
    ListActiveCustomers: 'admin', SearchCustomers: 'admin', ListCustomersByType: 'admin', ListCustomersByIndustry: 'admin',
    UpdateCustomerStatus: 'admin', UpdateCustomerRating: 'admin', UpdateCreditLimit: 'admin', UpdateCustomerBalance: 'admin',
    GetCustomerStatistics: 'admin', GetPurchaseHistory: 'admin', GetRatingDistribution: 'admin', GetOverallStatistics: 'admin',
    ImportCustomers: 'admin', ExportCustomers: 'admin', GetImportTemplate: 'admin', ImportCustomersJson: 'admin', GetCustomerImport: 'admin',
    CheckCustomerCode: 'admin', ListOutstandingBalances: 'admin', ListVipCustomers: 'admin', GetTypeDistribution: 'admin',
    GetIndustryDistribution: 'admin', GetRfmDistribution: 'admin', RecomputeCustomerScores: 'admin',
  },
  'rustbill.order.OrderService': {
    // A customer orders only for itself: admin_or_own refuses another customer_id.
    CreateOrder: 'admin_or_own', ListOrders: 'admin_or_own', GetOrder: 'admin_or_own',
    UpdateOrder: 'admin', DeleteOrder: 'admin', PayOrder: 'authenticated',
    // Recurring billing (issue 11): a customer changes its own services; a refund on cancellation
    // is for admins (the handler refuses it to customers).
    CancelService: 'admin_or_own', ChangeServicePlan: 'admin_or_own',
  },
  'rustbill.billing.BillingService': {
    CreateInvoice: 'admin', ListInvoices: 'admin_or_own', GetInvoice: 'admin_or_own',
    UpdateInvoice: 'admin', DeleteInvoice: 'admin', GenerateInvoices: 'admin',
    // Recurring billing (issue 11): promotions and the settings for admins and operators; tax
    // rules and running the lifecycle change what every customer pays: admins only.
    CreatePromotionCode: 'admin', ListPromotionCodes: 'admin', UpdatePromotionCode: 'admin', DeletePromotionCode: 'admin',
    CreateTaxRule: 'admin_only', ListTaxRules: 'admin', UpdateTaxRule: 'admin_only', DeleteTaxRule: 'admin_only',
    GetBillingSettings: 'admin', RunBillingLifecycle: 'admin_only',
    // The admin console's dashboard (issue 12).
    GetRevenueSummary: 'admin',
  },
  'rustbill.payment.PaymentService': {
    CreatePayment: 'authenticated', ListPayments: 'admin_or_own', GetPayment: 'admin_or_own',
    QueryPaymentStatus: 'admin', HandleCallback: 'public', RefundPayment: 'admin',
  },
  'rustbill.integration.IntegrationService': {
    // Customer front-ends list providers and gateways to order and pay (extra-services.md).
    ListProviders: 'authenticated', ListGateways: 'authenticated', ListNotifiers: 'admin',
    ListPlugins: 'admin', GetPlugin: 'admin', ListPluginInterfaces: 'admin', GetPluginInterface: 'admin',
    CreatePluginInterface: 'admin', UpdatePluginInterface: 'admin', TogglePluginInterface: 'admin',
    DeletePluginInterface: 'admin', CheckPluginHealth: 'admin', GetPluginAdminPage: 'admin',
    // A script function sees the interface's whole config, secrets included (issue 6): admins only.
    // Create/UpdatePluginInterface with script_source are refused to operators by the application
    // service (src/application/plugins/interface-administration.ts).
    // SyncProducts stores the provider's products in the catalog (the spec says 已认证, but a
    // catalog change is an admin's): admins, like ProductService/SyncProducts.
    CallPluginAction: 'admin_only', RestartServer: 'admin', SyncProducts: 'admin', QueryPrice: 'authenticated',
    // 已认证 as the spec says: a customer or API key is charged through the money path (issue 8).
    CreateUpstreamInstance: 'authenticated', GetInstanceStatus: 'admin', SyncUpstreamInstances: 'admin',
    ImportUpstreamInstance: 'admin', GetUpstreamBalance: 'admin',
    // The audit-log reader (issue 12, a NodeBill extension): for admins and operators.
    ListOperationLogs: 'admin',
  },
  'rustbill.notification.NotificationService': { ListNotifiers: 'admin', SendNotification: 'admin' },
  'rustbill.ticket.TicketService': {
    CreateTicket: 'authenticated', ListTickets: 'admin_or_own', GetTicket: 'admin_or_own',
    UpdateTicket: 'admin', CreateReply: 'authenticated', DeleteTicket: 'admin',
  },
  'rustbill.downstream.ApiKeyService': { CreateApiKey: 'admin_or_own', ListApiKeys: 'admin_or_own', RevokeApiKey: 'admin_or_own' },
  'rustbill.instance.InstanceService': {
    ListInstances: 'admin_or_own', GetInstance: 'admin_or_own', StartInstance: 'admin_or_own', StopInstance: 'admin_or_own',
    RestartInstance: 'admin_or_own', TerminateInstance: 'admin_or_own', ExecuteInstanceAction: 'admin_or_own',
  },
  'rustbill.balance.BalanceService': {
    GetBalance: 'admin_or_own', ListBalanceTransactions: 'admin_or_own', Recharge: 'admin_or_own', AdjustBalance: 'admin',
  },
};

/** The declared permission of `method`, or undefined when the table lacks it. */
export function permissionOf(method: DescMethod): Permission | undefined {
  return PERMISSIONS[method.parent.typeName]?.[method.name];
}

/**
 * The customer an `admin_or_own` call works on: a customer or API key always its own (whatever the
 * request said: {@link authorize} already refused another customer's id); an admin the one it
 * named, or undefined when it named none (all customers, for lists).
 */
export function scopedCustomerId(caller: Caller, requested: string | undefined): string | undefined {
  if (caller.kind === 'customer' || caller.kind === 'apikey') return caller.customerId;
  return requested === undefined || requested === '' ? undefined : requested;
}

/** The `customer_id` string field of a request, when its message has one. */
function requestedCustomerId(method: DescMethod, request: object): string | undefined {
  const field = method.input.fields.find((candidate) => candidate.name === 'customer_id');
  if (!field) return undefined;
  const value: unknown = (request as Record<string, unknown>)[field.localName];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Throws Unauthenticated or PermissionDenied when `caller` may not call `method` with `request`.
 * `credentialProblem` is why presented credentials were rejected (shown instead of "not logged in").
 * For `admin_or_own` RPCs a customer or API key naming another customer in the request's
 * `customer_id` is refused here, one rule for every such RPC; handlers then scope by
 * {@link scopedCustomerId}. Spec: gRPC API 参考, 权限级别.
 */
export function authorize(method: DescMethod, caller: Caller, credentialProblem?: string, request?: object): void {
  const permission = permissionOf(method) ?? 'admin_only';
  if (permission === 'public') return;
  if (caller.kind === 'anonymous') {
    throw unauthenticated(credentialProblem ?? `${method.name} requires you to log in (session cookie or "authorization: Bearer <token>")`);
  }
  switch (permission) {
    case 'authenticated':
      return;
    case 'admin_or_own': {
      if (caller.kind !== 'customer' && caller.kind !== 'apikey') return;
      const requested = request === undefined ? undefined : requestedCustomerId(method, request);
      if (requested !== undefined && requested.toLowerCase() !== caller.customerId.toLowerCase()) {
        throw permissionDenied(`${method.name}: you may only access your own customer account`);
      }
      return;
    }
    case 'admin':
      if (caller.kind !== 'admin') throw permissionDenied(`${method.name} is for administrators only`);
      return;
    case 'admin_only':
      if (caller.kind !== 'admin' || caller.role !== 'admin') {
        throw permissionDenied(`${method.name} requires the admin role (operators and customers may not call it)`);
      }
      return;
  }
}
