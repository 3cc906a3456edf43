/**
 * The API clients of the admin console: gRPC-Web to the server that served the page, clients
 * generated from proto/ (src/gen, the server's own), the admin session cookie sent by the browser
 * (same origin). No hand-written codec anywhere.
 */
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
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

/** What a refused call says, for people: the server's message (never a status number or percent-encoding). */
export interface ApiProblem {
  code: Code;
  message: string;
  /** The request field the message names (`customer_id: …`, `name is required`), when it names one. */
  field: string | null;
}

/**
 * The problem of a failed call. The server's messages start with the field they are about
 * (`credit_limit must not be negative`, `items[0].unit_price: …`), which forms show beside it.
 */
export function problemOf(error: unknown): ApiProblem {
  const connect = ConnectError.from(error);
  const message = connect.rawMessage;
  const match = /^([a-z][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z0-9_]+)*)(?::| must| is | may | cannot| has | "| should| -?\d+\.\d{2} disagrees| \()/.exec(message);
  return { code: connect.code, message, field: match?.[1] ?? null };
}

/** True when the call failed because the session is gone (the app shows the login page). */
export function isUnauthenticated(error: unknown): boolean {
  return ConnectError.from(error).code === Code.Unauthenticated;
}
