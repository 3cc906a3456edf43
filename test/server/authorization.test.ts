/**
 * Issue 9, "One authorization table": every RPC of every served service (ALL_SERVICES, so a new RPC
 * without a request builder here fails), called over native gRPC by six callers — anonymous,
 * customer A, customer B acting on A's resources, an API key of A, an operator and the admin — and
 * the class of each answer checked against what PERMISSIONS (src/grpc/authz.ts) and the ownership
 * rule say:
 *
 * - public: nobody is refused (Unauthenticated / PermissionDenied never);
 * - anonymous on anything else: Unauthenticated;
 * - `admin`: customers and API keys PermissionDenied; `admin_only`: operators too;
 * - `authenticated` / `admin_or_own`: a customer naming another customer's `customer_id` is
 *   PermissionDenied; naming another customer's order, payment, instance, invoice, ticket or API
 *   key is NotFound (exactly as a missing one);
 * - every allowed call: anything but Unauthenticated / PermissionDenied (OK, InvalidArgument,
 *   NotFound for unknown ids, FailedPrecondition, …).
 *
 * Requests carry A's real ids (created through the API in beforeAll: a paid order, its running
 * instance, the balance payment, an issued invoice, a ticket, an API key). RPCs whose effect would
 * disturb the run get, for every caller but B, the same request with unknown ids (refused after
 * authorization, nothing changes); B always gets A's real ids. Logout runs last. RestartServer is
 * never called by a caller it would admit (that would restart the cluster): for admin and operator
 * the same authorize() the call pipeline runs is asked in-process instead.
 */
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/domain/identity/principal.ts';
import { hashPassword } from '../../src/domain/identity/passwords.ts';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { ApiKeyService } from '../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { InstanceService } from '../../src/gen/rustbill/instance_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { PaymentService } from '../../src/gen/rustbill/payment_pb.ts';
import { ProductCategoryService } from '../../src/gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../../src/gen/rustbill/product_group_pb.ts';
import { TicketService } from '../../src/gen/rustbill/ticket_pb.ts';
import { authorize, permissionOf, type Permission } from '../../src/grpc/authz.ts';
import { ALL_SERVICES } from '../../src/grpc/service-list.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import { queryRows } from '../support/db.ts';
import { BALANCE, SPEC, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { eventually } from '../support/eventually.ts';

type CallerName = 'anonymous' | 'customerA' | 'customerB' | 'apiKeyA' | 'operator' | 'admin';
const CALLERS: readonly CallerName[] = ['anonymous', 'customerB', 'customerA', 'apiKeyA', 'operator', 'admin'];

/** The class of answer a call must get. */
type Expected = 'allowed' | 'Unauthenticated' | 'PermissionDenied' | 'NotFound';

/** The ids requests are built from: A's real ones, or unknown ones where a call would change something. */
interface Targets {
  customerId: string;
  userId: string;
  orderId: string;
  paymentId: string;
  instanceId: string;
  invoiceId: string;
  ticketId: string;
  apiKeyId: string;
  productId: string;
  providerId: string;
  gatewayId: string;
  pluginDefId: string;
  categoryId: string;
  groupId: string;
  /** A refresh token of a fresh login of a spare customer (RefreshToken rotates what it gets). */
  refreshToken(): Promise<string>;
}

interface Entry {
  request(t: Targets): object | Promise<object>;
  /** The request names one of A's resources by id (B must get NotFound). */
  owned?: boolean;
  /** Calling it with A's real ids would change what later calls see: owners get unknown ids. */
  sideEffect?: boolean;
  /** A documented refusal of API keys beyond the table (README, "API keys"): PermissionDenied. */
  apiKeyRefused?: boolean;
}

const unknown = (): string => newId();
const page = { page: 1, pageSize: 5 };
const invoiceDraft = (customerId: string) => ({
  customerId, billingPeriodStart: '2024-01-01', billingPeriodEnd: '2024-01-31', amount: '1.00', taxAmount: '0.00',
  // Disagrees with amount + tax_amount: refused with InvalidArgument after authorization.
  totalAmount: '999.00', dueDate: '2024-02-15', notes: '', items: [{ description: 'x', quantity: 1, unitPrice: '1.00', amount: '1.00' }],
});

/** One request builder per RPC, keyed `Service/Method`. */
const ENTRIES: Record<string, Entry> = {
  // IdentityService
  'IdentityService/Register': { request: () => ({ username: `u${newId().slice(-8)}`, email: `${newId().slice(-8)}@example.com`, displayName: 'X', password: 'Customer-Pass1', verificationCode: '000000' }) },
  'IdentityService/SendVerificationCode': { request: () => ({ email: `${newId().slice(-10)}@example.com`, purpose: 'registration' }) },
  'IdentityService/Login': { request: () => ({ username: `nobody${newId().slice(-8)}`, password: 'Wrong-Pass1', userType: 'customer' }) },
  'IdentityService/RefreshToken': { request: async (t) => ({ refreshToken: await t.refreshToken() }) },
  'IdentityService/ListUsers': { request: (t) => ({ pagination: page, userType: 'customer', customerId: t.customerId }) },
  'IdentityService/GetUser': { request: (t) => ({ id: t.userId, userType: 'customer' }) },
  'IdentityService/UpdateUser': { sideEffect: true, request: (t) => ({ id: t.userId, userType: 'customer', displayName: 'Renamed' }) },
  'IdentityService/DeleteUser': { sideEffect: true, request: (t) => ({ id: t.userId }) },
  // A wrong old password: InvalidArgument, nothing changes.
  'IdentityService/ChangePassword': { request: () => ({ oldPassword: 'Not-The-Password1', newPassword: 'Another-Pass1' }) },
  // A malformed user name: InvalidArgument after authorization, nothing created.
  'IdentityService/CreateAdminUser': { request: () => ({ username: '!', email: '', displayName: 'X', role: 'operator', password: 'Another-Pass1' }) },
  'IdentityService/AdminResetPassword': { sideEffect: true, request: (t) => ({ userId: t.userId, newPassword: 'Another-Pass1' }) },
  'IdentityService/GetMe': { request: () => ({}) },
  'IdentityService/Logout': { request: () => ({}) },
  // ProductService
  'ProductService/CreateProduct': { request: (t) => ({ name: '', pricePerMonth: '1.00', interfaceId: t.providerId }) },
  'ProductService/ListProducts': { request: () => ({ pagination: page }) },
  'ProductService/GetProduct': { request: (t) => ({ id: t.productId }) },
  'ProductService/UpdateProduct': { request: () => ({ id: unknown(), name: 'Renamed' }) },
  'ProductService/DeleteProduct': { request: () => ({ id: unknown() }) },
  'ProductService/SyncProducts': { request: () => ({ interfaceId: unknown() }) },
  'ProductService/BatchSetActive': { request: () => ({ productIds: [unknown()], isActive: false }) },
  'ProductService/BatchSetGroup': { request: () => ({ productIds: [unknown()], groupId: '' }) },
  'ProductService/BatchDelete': { request: () => ({ productIds: [unknown()] }) },
  'ProductService/ImportUpstreamProducts': { request: () => ({ interfaceId: unknown(), items: [] }) },
  'ProductService/BatchUpdatePrice': { request: () => ({ productIds: [unknown()], markupRatio: '1.3' }) },
  // CustomerService
  'CustomerService/CreateCustomer': { request: () => ({ name: '' }) },
  'CustomerService/ListCustomers': { request: () => ({ pagination: page }) },
  'CustomerService/GetCustomer': { request: (t) => ({ id: t.customerId }) },
  'CustomerService/UpdateCustomer': { request: () => ({ id: unknown(), notes: 'x' }) },
  'CustomerService/DeleteCustomer': { request: () => ({ id: unknown() }) },
  // CustomerService, the CRM extension (issue 10): reads of A's customer, changes of unknown ones,
  // files that are refused as malformed after authorization.
  'CustomerService/ListActiveCustomers': { request: () => ({ pagination: page }) },
  'CustomerService/SearchCustomers': { request: () => ({ keyword: 'buyer', pagination: page }) },
  'CustomerService/ListCustomersByType': { request: () => ({ customerType: 'enterprise', pagination: page }) },
  'CustomerService/ListCustomersByIndustry': { request: () => ({ industry: 'hosting', pagination: page }) },
  'CustomerService/UpdateCustomerStatus': { request: () => ({ id: unknown(), isActive: true }) },
  'CustomerService/UpdateCustomerRating': { request: () => ({ id: unknown(), rating: 4, notes: 'x' }) },
  'CustomerService/UpdateCreditLimit': { request: () => ({ id: unknown(), creditLimit: '1.00' }) },
  'CustomerService/UpdateCustomerBalance': { request: () => ({ id: unknown(), balance: '1.00', description: 'x' }) },
  'CustomerService/GetCustomerStatistics': { request: (t) => ({ id: t.customerId }) },
  'CustomerService/GetPurchaseHistory': { request: (t) => ({ id: t.customerId, pagination: page }) },
  'CustomerService/GetRatingDistribution': { request: () => ({}) },
  'CustomerService/GetOverallStatistics': { request: () => ({}) },
  'CustomerService/ImportCustomers': { request: () => ({ file: new Uint8Array([1, 2, 3]), fileName: 'not.xlsx' }) },
  'CustomerService/ExportCustomers': { request: () => ({ customerType: 'retail' }) },
  'CustomerService/GetImportTemplate': { request: () => ({}) },
  'CustomerService/ImportCustomersJson': { request: () => ({ json: 'not json' }) },
  'CustomerService/GetCustomerImport': { request: () => ({ id: unknown() }) },
  'CustomerService/CheckCustomerCode': { request: () => ({ customerCode: 'C000001' }) },
  'CustomerService/ListOutstandingBalances': { request: () => ({ pagination: page }) },
  'CustomerService/ListVipCustomers': { request: () => ({ limit: 5 }) },
  'CustomerService/GetTypeDistribution': { request: () => ({}) },
  'CustomerService/GetIndustryDistribution': { request: () => ({}) },
  'CustomerService/GetRfmDistribution': { request: () => ({}) },
  'CustomerService/RecomputeCustomerScores': { request: () => ({ id: unknown() }) },
  // OrderService (CreateOrder without a gateway: a pending order, paid later — disturbs nothing)
  'OrderService/CreateOrder': {
    request: (t) => ({ customerId: t.customerId, productId: t.productId, providerInterfaceId: t.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly' }),
  },
  'OrderService/ListOrders': { request: (t) => ({ pagination: page, customerId: t.customerId }) },
  'OrderService/GetOrder': { owned: true, request: (t) => ({ id: t.orderId }) },
  'OrderService/UpdateOrder': { sideEffect: true, request: (t) => ({ id: t.orderId, notes: 'authorization test' }) },
  'OrderService/DeleteOrder': { sideEffect: true, request: (t) => ({ id: t.orderId }) },
  // A's order is paid already: FailedPrecondition for its owners, NotFound for B.
  'OrderService/PayOrder': { owned: true, request: (t) => ({ orderId: t.orderId, gatewayInterfaceId: BALANCE }) },
  // Recurring billing (issue 11): A's order named, unknown ids for callers that would change it.
  'OrderService/CancelService': { owned: true, sideEffect: true, request: (t) => ({ orderId: t.orderId, atPeriodEnd: true }) },
  'OrderService/ChangeServicePlan': { owned: true, request: (t) => ({ orderId: t.orderId, productId: t.productId, preview: true }) },
  // BillingService
  'BillingService/CreateInvoice': { request: (t) => invoiceDraft(t.customerId) },
  'BillingService/ListInvoices': { request: (t) => ({ pagination: page, customerId: t.customerId }) },
  'BillingService/GetInvoice': { owned: true, request: (t) => ({ id: t.invoiceId }) },
  'BillingService/UpdateInvoice': { sideEffect: true, request: (t) => ({ id: t.invoiceId, notes: 'authorization test' }) },
  'BillingService/DeleteInvoice': { sideEffect: true, request: (t) => ({ id: t.invoiceId }) },
  'BillingService/GenerateInvoices': { request: () => ({ billingPeriodStart: '2001-01-01', billingPeriodEnd: '2001-01-31' }) },
  // Recurring billing (issue 11): refused as malformed, or naming unknown ids, after authorization.
  'BillingService/CreatePromotionCode': { request: () => ({ terms: { code: '!', kind: 'percent', value: '10' } }) },
  'BillingService/ListPromotionCodes': { request: () => ({ pagination: page }) },
  'BillingService/UpdatePromotionCode': { request: () => ({ id: unknown(), terms: { code: 'NOPE', kind: 'percent', value: '10', recurrence: 'first_period' } }) },
  'BillingService/DeletePromotionCode': { request: () => ({ id: unknown() }) },
  'BillingService/CreateTaxRule': { request: () => ({ terms: { country: 'not a country', rate: '10', name: 'x' } }) },
  'BillingService/ListTaxRules': { request: () => ({ pagination: page }) },
  'BillingService/UpdateTaxRule': { request: () => ({ id: unknown(), terms: { country: 'DE', rate: '19.00', name: 'VAT' } }) },
  'BillingService/DeleteTaxRule': { request: () => ({ id: unknown() }) },
  'BillingService/GetBillingSettings': { request: () => ({}) },
  'BillingService/RunBillingLifecycle': { request: () => ({}) },
  'BillingService/GetRevenueSummary': { request: () => ({ days: 7, timeZone: 'UTC' }) },
  // PaymentService
  'PaymentService/CreatePayment': { owned: true, request: (t) => ({ orderId: t.orderId, gatewayInterfaceId: t.gatewayId, returnUrl: '' }) },
  'PaymentService/ListPayments': { request: (t) => ({ pagination: page, orderId: t.orderId }) },
  'PaymentService/GetPayment': { owned: true, request: (t) => ({ id: t.paymentId }) },
  'PaymentService/QueryPaymentStatus': { request: (t) => ({ paymentId: t.paymentId }) },
  'PaymentService/HandleCallback': { request: (t) => ({ gatewayInterfaceId: t.gatewayId, payload: 'out_trade_no=nothing&sign=forged' }) },
  'PaymentService/RefundPayment': { sideEffect: true, request: (t) => ({ paymentId: t.paymentId, amount: '1.00' }) },
  // IntegrationService
  'IntegrationService/ListProviders': { request: () => ({}) },
  'IntegrationService/ListGateways': { request: () => ({}) },
  'IntegrationService/ListNotifiers': { request: () => ({}) },
  'IntegrationService/ListPlugins': { request: () => ({}) },
  'IntegrationService/GetPlugin': { request: (t) => ({ id: t.pluginDefId }) },
  'IntegrationService/ListPluginInterfaces': { request: () => ({}) },
  'IntegrationService/GetPluginInterface': { request: (t) => ({ interfaceId: t.providerId }) },
  'IntegrationService/CreatePluginInterface': { request: () => ({ pluginDefId: unknown(), displayName: 'Nothing', configJson: '{}' }) },
  'IntegrationService/UpdatePluginInterface': { request: () => ({ interfaceId: unknown(), displayName: 'Renamed' }) },
  'IntegrationService/TogglePluginInterface': { request: () => ({ interfaceId: unknown(), enable: false }) },
  'IntegrationService/DeletePluginInterface': { request: () => ({ interfaceId: unknown() }) },
  'IntegrationService/CheckPluginHealth': { request: (t) => ({ interfaceId: t.providerId }) },
  'IntegrationService/GetPluginAdminPage': { request: (t) => ({ interfaceId: t.providerId }) },
  'IntegrationService/CallPluginAction': { request: () => ({ interfaceId: unknown(), function: 'nothing', argsJson: '{}' }) },
  'IntegrationService/RestartServer': { request: () => ({}) },
  'IntegrationService/SyncProducts': { request: () => ({ interfaceId: unknown() }) },
  'IntegrationService/QueryPrice': { request: (t) => ({ interfaceId: t.providerId, cpuCores: 2, memoryGb: 4, diskGb: 40, bandwidthMbps: 100, region: 'local', os: 'debian-12' }) },
  // An unknown provider: NotFound, nobody is charged and nothing is provisioned.
  'IntegrationService/CreateUpstreamInstance': { request: () => ({ interfaceId: unknown(), serverSpec: SPEC }) },
  'IntegrationService/GetInstanceStatus': { request: () => ({ interfaceId: unknown(), instanceId: 'nothing' }) },
  'IntegrationService/SyncUpstreamInstances': { request: () => ({ interfaceId: unknown() }) },
  'IntegrationService/ImportUpstreamInstance': { request: () => ({ interfaceId: unknown(), instanceId: 'nothing' }) },
  'IntegrationService/GetUpstreamBalance': { request: () => ({ interfaceId: unknown() }) },
  'IntegrationService/ListOperationLogs': { request: () => ({ targetType: 'ticket' }) },
  // NotificationService
  'NotificationService/ListNotifiers': { request: () => ({}) },
  'NotificationService/SendNotification': { request: () => ({ eventType: 'test', title: 'Test', body: 'Test', recipient: 'nobody@example.com', channelIds: [unknown()] }) },
  // TicketService
  'TicketService/CreateTicket': { request: (t) => ({ customerId: t.customerId, title: 'Authorization test', description: 'Please ignore', priority: 'low' }) },
  'TicketService/ListTickets': { request: (t) => ({ pagination: page, customerId: t.customerId }) },
  'TicketService/GetTicket': { owned: true, request: (t) => ({ id: t.ticketId }) },
  'TicketService/UpdateTicket': { sideEffect: true, request: (t) => ({ id: t.ticketId, priority: 'high' }) },
  'TicketService/CreateReply': { owned: true, request: (t) => ({ ticketId: t.ticketId, content: 'Authorization test reply', isInternal: false }) },
  'TicketService/DeleteTicket': { sideEffect: true, request: (t) => ({ id: t.ticketId }) },
  // ApiKeyService (an API key may not manage keys at all: README, "API keys")
  'ApiKeyService/CreateApiKey': { apiKeyRefused: true, request: (t) => ({ name: 'authorization test', customerId: t.customerId }) },
  'ApiKeyService/ListApiKeys': { apiKeyRefused: true, request: (t) => ({ customerId: t.customerId }) },
  'ApiKeyService/RevokeApiKey': { apiKeyRefused: true, owned: true, sideEffect: true, request: (t) => ({ id: t.apiKeyId }) },
  // ProductCategoryService
  'ProductCategoryService/CreateProductCategory': { request: () => ({ name: '' }) },
  'ProductCategoryService/ListProductCategories': { request: () => ({ pagination: page }) },
  'ProductCategoryService/GetProductCategory': { request: (t) => ({ id: t.categoryId }) },
  'ProductCategoryService/UpdateProductCategory': { request: () => ({ id: unknown(), name: 'Renamed' }) },
  'ProductCategoryService/DeleteProductCategory': { request: () => ({ id: unknown() }) },
  // ProductGroupService
  'ProductGroupService/ListProductGroups': { request: () => ({ pagination: page }) },
  'ProductGroupService/CreateProductGroup': { request: () => ({ name: '' }) },
  'ProductGroupService/GetProductGroup': { request: (t) => ({ id: t.groupId }) },
  'ProductGroupService/UpdateProductGroup': { request: () => ({ id: unknown(), name: 'Renamed' }) },
  'ProductGroupService/DeleteProductGroup': { request: () => ({ id: unknown() }) },
  // InstanceService (power actions and termination change the instance: owners use unknown ids)
  'InstanceService/ListInstances': { request: (t) => ({ pagination: page, customerId: t.customerId }) },
  'InstanceService/GetInstance': { owned: true, request: (t) => ({ id: t.instanceId }) },
  'InstanceService/StartInstance': { owned: true, sideEffect: true, request: (t) => ({ id: t.instanceId }) },
  'InstanceService/StopInstance': { owned: true, sideEffect: true, request: (t) => ({ id: t.instanceId }) },
  'InstanceService/RestartInstance': { owned: true, sideEffect: true, request: (t) => ({ id: t.instanceId }) },
  'InstanceService/TerminateInstance': { owned: true, sideEffect: true, request: (t) => ({ id: t.instanceId }) },
  'InstanceService/ExecuteInstanceAction': { owned: true, sideEffect: true, request: (t) => ({ id: t.instanceId, action: 'reboot' }) },
  // BalanceService (a negative amount is InvalidArgument after authorization: no money moves)
  'BalanceService/GetBalance': { request: (t) => ({ customerId: t.customerId }) },
  'BalanceService/ListBalanceTransactions': { request: (t) => ({ pagination: page, customerId: t.customerId }) },
  'BalanceService/Recharge': { request: (t) => ({ customerId: t.customerId, amount: '-1.00', gatewayInterfaceId: t.gatewayId, returnUrl: '' }) },
  'BalanceService/AdjustBalance': { request: (t) => ({ customerId: t.customerId, amount: 'not money', description: 'authorization test' }) },
};

/** RPCs run after all others (they end the caller's session). */
const LAST = new Set(['IdentityService/Logout']);
/** RPCs never sent by a caller they admit (RestartServer would restart the cluster under the test). */
const NEVER_ADMITTED = new Set(['IntegrationService/RestartServer']);

/**
 * Real authorization bugs: `Service/Method as caller` → what the server answers instead. Each is
 * checked to still answer that (so a fix makes the test fail until its line here is removed).
 */
const KNOWN_BUGS: Record<string, string> = {
};

const keyOf = (method: DescMethod): string => `${method.parent.name}/${method.name}`;

/** What the table (and the ownership rule) says `caller` must get for `request` to `method`. */
function expectedAnswer(permission: Permission, caller: CallerName, entry: Entry, request: object, ownerId: string): Expected {
  if (permission === 'public') return 'allowed';
  if (caller === 'anonymous') return 'Unauthenticated';
  const isCustomer = caller === 'customerA' || caller === 'customerB' || caller === 'apiKeyA';
  switch (permission) {
    case 'admin':
      return isCustomer ? 'PermissionDenied' : 'allowed';
    case 'admin_only':
      return caller === 'admin' ? 'allowed' : 'PermissionDenied';
    case 'authenticated':
    case 'admin_or_own': {
      if (!isCustomer) return 'allowed';
      if (caller === 'apiKeyA' && entry.apiKeyRefused) return 'PermissionDenied';
      if (caller !== 'customerB') return 'allowed';
      const named = (request as { customerId?: unknown }).customerId;
      if (typeof named === 'string' && named.toLowerCase() === ownerId.toLowerCase()) return 'PermissionDenied';
      return entry.owned ? 'NotFound' : 'allowed';
    }
  }
}

/** The answer's class: 'OK' or the status name. */
async function answerOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
    return { code: 'OK', message: '' };
  } catch (error) {
    if (error instanceof ConnectError) return { code: Code[error.code], message: error.rawMessage };
    return { code: 'thrown', message: String(error) };
  }
}

function fits(expected: Expected, code: string): boolean {
  if (expected === 'allowed') return code !== 'Unauthenticated' && code !== 'PermissionDenied' && code !== 'thrown';
  return code === expected;
}

/** The in-process caller authorize() sees for the admin and operator (for RestartServer). */
const IN_PROCESS: Partial<Record<CallerName, Caller>> = {
  admin: { kind: 'admin', userId: newId(), username: 'admin', role: 'admin', sessionId: newId() },
  operator: { kind: 'admin', userId: newId(), username: 'oper', role: 'operator', sessionId: newId() },
};

let bed: MoneyBed;
let real: Targets;
let safe: Targets;
const tokens: Partial<Record<CallerName, string>> = {};

beforeAll(async () => {
  bed = await startMoneyBed({ workers: 1 });
  const a = await bed.customer('200.00');
  const b = await bed.customer('200.00');
  const spare = await registerCustomer(bed.server, { prefix: 'spare' });
  for (const customer of [a, b]) await bed.admin.customers.updateCustomer({ id: customer.customerId, canCreateApiKeys: true });

  const order = (await a.api.orders.createOrder({ customerId: a.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC, currency: 'CNY', gatewayInterfaceId: '', notes: '', billingCycle: 'monthly' })).order;
  const orderId = order?.id ?? '';
  await a.api.orders.payOrder({ orderId, gatewayInterfaceId: BALANCE });
  const instanceId = await eventually(async () => {
    const found = (await a.api.instances.listInstances({})).instances.find((instance) => instance.orderId === orderId && instance.status === 'running');
    return found?.id;
  }, `the instance of order ${orderId}`, 60_000);
  const paymentId = (await a.api.payments.listPayments({ orderId })).payments[0]?.id ?? '';

  const billing = grpcClient(BillingService, bed.server.url, bearer(bed.adminToken));
  const draft = (await billing.createInvoice({ ...invoiceDraft(a.customerId), totalAmount: '1.00' })).invoice;
  await billing.updateInvoice({ id: draft?.id ?? '', status: 'issued' });
  const ticketId = (await grpcClient(TicketService, bed.server.url, bearer(a.accessToken)).createTicket({ title: 'My server', description: 'Is it up?' })).ticket?.id ?? '';
  const key = await grpcClient(ApiKeyService, bed.server.url, bearer(a.accessToken)).createApiKey({ name: 'authorization test' });
  const categoryId = (await grpcClient(ProductCategoryService, bed.server.url, bearer(bed.adminToken)).createProductCategory({ name: 'Authz category' })).category?.id ?? '';
  const groupId = (await grpcClient(ProductGroupService, bed.server.url, bearer(bed.adminToken)).createProductGroup({ name: 'Authz group', categoryId })).group?.id ?? '';
  const pluginDefId = (await bed.admin.integration.listPlugins({})).plugins[0]?.id ?? '';

  // An operator, as the CLI's `user create --role operator` makes one (bcrypt cost 4: fast).
  await queryRows(bed.db.url, "insert into admin_users (id, username, email, display_name, password_hash, role) values ($1, 'authzoperator', '', 'Operator', $2, 'operator')", [
    newId(), await hashPassword('Operator-Pass1', 4),
  ]);
  const identity = grpcClient(IdentityService, bed.server.url);
  tokens.operator = (await identity.login({ username: 'authzoperator', password: 'Operator-Pass1', userType: 'admin' })).accessToken;
  tokens.admin = bed.adminToken;
  tokens.customerA = a.accessToken;
  tokens.customerB = b.accessToken;
  tokens.apiKeyA = key.apiKey;

  const refreshToken = async (): Promise<string> => (await identity.login({ username: spare.username, password: spare.password, userType: 'customer' })).refreshToken;
  real = {
    customerId: a.customerId, userId: a.userId, orderId, paymentId, instanceId, invoiceId: draft?.id ?? '', ticketId, apiKeyId: key.id,
    productId: bed.productId, providerId: bed.providerId, gatewayId: bed.gatewayId, pluginDefId, categoryId, groupId, refreshToken,
  };
  for (const [name, value] of Object.entries(real)) if (value === '') throw new Error(`beforeAll made no ${name}`);
  safe = { ...real, userId: unknown(), orderId: unknown(), paymentId: unknown(), instanceId: unknown(), invoiceId: unknown(), ticketId: unknown(), apiKeyId: unknown() };
}, 240_000);

afterAll(async () => {
  await bed?.stop();
});

const methods: DescMethod[] = ALL_SERVICES.flatMap((service: DescService) => service.methods);
const ordered = [...methods.filter((method) => !LAST.has(keyOf(method))), ...methods.filter((method) => LAST.has(keyOf(method)))];

describe('one authorization table, over the wire', () => {
  it('has a request builder for every RPC of every served service, and a permission for each', () => {
    expect(methods.filter((method) => ENTRIES[keyOf(method)] === undefined).map(keyOf), 'RPCs without a request builder').toEqual([]);
    expect(methods.filter((method) => permissionOf(method) === undefined).map(keyOf), 'RPCs missing from PERMISSIONS').toEqual([]);
    const served = new Set(methods.map(keyOf));
    expect(Object.keys(ENTRIES).filter((key) => !served.has(key)), 'request builders of RPCs not served').toEqual([]);
  });

  it("shows customer B none of A's rows in its lists (lists are scoped, not refused)", async () => {
    const as = <S extends DescService>(service: S) => grpcClient(service, bed.server.url, bearer(tokens.customerB ?? ''));
    const answers = [
      await as(OrderService).listOrders({}), await as(PaymentService).listPayments({}), await as(PaymentService).listPayments({ orderId: real.orderId }),
      await as(BillingService).listInvoices({}), await as(TicketService).listTickets({}), await as(InstanceService).listInstances({}),
      await as(ApiKeyService).listApiKeys({}), await as(BalanceService).listBalanceTransactions({}),
    ];
    const seen = JSON.stringify(answers, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    const aIds = [real.customerId, real.orderId, real.paymentId, real.invoiceId, real.ticketId, real.instanceId, real.apiKeyId];
    expect(aIds.filter((id) => seen.includes(id)), "A's ids in B's lists").toEqual([]);
  });

  for (const method of ordered) {
    const key = keyOf(method);
    it(`${key} answers each caller as PERMISSIONS says (${permissionOf(method) ?? 'missing'})`, async () => {
      const entry = ENTRIES[key];
      const permission = permissionOf(method);
      if (!entry || !permission) throw new Error(`${key}: no request builder or no permission (see the first test)`);
      const mismatches: string[] = [];
      for (const caller of CALLERS) {
        const request = await entry.request(caller === 'customerB' || !entry.sideEffect ? real : safe);
        const expected = expectedAnswer(permission, caller, entry, request, real.customerId);
        const bug = KNOWN_BUGS[`${key} as ${caller}`];
        if (NEVER_ADMITTED.has(key) && expected === 'allowed') {
          // Not sent (it would act); the pipeline's own authorize() must let this caller through.
          const inProcess = IN_PROCESS[caller];
          if (!inProcess) throw new Error(`${key}: no in-process caller for ${caller}`);
          let refused = '';
          try { authorize(method, inProcess, undefined, request); } catch (error) { refused = String(error); }
          if (refused !== '') mismatches.push(`${key} as ${caller}: expected allowed, authorize() refused: ${refused}`);
          continue;
        }
        const headers = caller === 'anonymous' ? {} : bearer(tokens[caller] ?? '');
        const client = grpcClient(method.parent, bed.server.url, headers) as unknown as Record<string, (input: object) => Promise<unknown>>;
        const call = client[method.localName];
        if (!call) throw new Error(`${key}: the client has no ${method.localName}`);
        const answer = await answerOf(call(request));
        if (bug !== undefined) {
          if (answer.code !== bug) mismatches.push(`${key} as ${caller}: the known bug (answers ${bug}) is gone — now ${answer.code}; remove it from KNOWN_BUGS`);
          continue;
        }
        if (!fits(expected, answer.code)) mismatches.push(`${key} as ${caller}: expected ${expected}, got ${answer.code} (${answer.message})`);
        // B's NotFound means "hidden", not "missing": the ids are real, so A's side finds them.
        else if (entry.owned && !entry.sideEffect && expected === 'allowed' && answer.code === 'NotFound') {
          mismatches.push(`${key} as ${caller}: A's own resource answered NotFound (${answer.message}); the test's ids are wrong`);
        }
      }
      expect(mismatches, `${key}: answers contradicting the authorization table`).toEqual([]);
    }, 60_000);
  }
});
