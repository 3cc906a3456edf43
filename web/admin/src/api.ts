/**
 * The API clients of the admin console: gRPC-Web to the server that served the page, clients
 * generated from proto/ (src/gen, the server's own), the admin session cookie sent by the browser
 * (same origin). No hand-written codec anywhere.
 */
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import type { DescService } from '@bufbuild/protobuf';
import { BalanceService } from '../../../src/gen/rustbill/balance_pb.ts';
import { BillingService } from '../../../src/gen/rustbill/billing_pb.ts';
import { CustomerService } from '../../../src/gen/rustbill/customer_pb.ts';
import { ApiKeyService } from '../../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../../src/gen/rustbill/identity_pb.ts';
import { InstanceService } from '../../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../../src/gen/rustbill/integration_pb.ts';
import { NotificationService } from '../../../src/gen/rustbill/notification_pb.ts';
import { OrderService } from '../../../src/gen/rustbill/order_pb.ts';
import { PaymentService } from '../../../src/gen/rustbill/payment_pb.ts';
import { ProductCategoryService } from '../../../src/gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../../../src/gen/rustbill/product_group_pb.ts';
import { ProductService } from '../../../src/gen/rustbill/product_pb.ts';
import { TicketService } from '../../../src/gen/rustbill/ticket_pb.ts';

const transport = createGrpcWebTransport({ baseUrl: window.location.origin, useBinaryFormat: true });

function client<S extends DescService>(service: S): Client<S> {
  return createClient(service, transport);
}

/** One client per service. */
export const api = {
  identity: client(IdentityService),
  customers: client(CustomerService),
  orders: client(OrderService),
  payments: client(PaymentService),
  balance: client(BalanceService),
  billing: client(BillingService),
  instances: client(InstanceService),
  integration: client(IntegrationService),
  notifications: client(NotificationService),
  products: client(ProductService),
  categories: client(ProductCategoryService),
  groups: client(ProductGroupService),
  tickets: client(TicketService),
  apiKeys: client(ApiKeyService),
};

export { isUnauthenticated, problemOf, type ApiProblem } from '../../shared/problem.ts';
