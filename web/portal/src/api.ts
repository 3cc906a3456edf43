/**
 * The portal's API clients: gRPC-Web to the server that served the page, clients generated from
 * proto/ (src/gen, the server's own; no hand-written codec). Every call carries the customer's
 * access token; the token is refreshed silently — shortly before it expires, and once more when a
 * call is refused as Unauthenticated (RefreshToken rotates the pair; one refresh at a time for all
 * calls). When the refresh itself is refused the tokens are dropped and the app shows sign-in.
 */
import { Code, ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import type { DescService } from '@bufbuild/protobuf';
import { BalanceService } from '../../../src/gen/rustbill/balance_pb.ts';
import { BillingService } from '../../../src/gen/rustbill/billing_pb.ts';
import { ApiKeyService } from '../../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../../src/gen/rustbill/identity_pb.ts';
import { InstanceService } from '../../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../../src/gen/rustbill/integration_pb.ts';
import { OrderService } from '../../../src/gen/rustbill/order_pb.ts';
import { PaymentService } from '../../../src/gen/rustbill/payment_pb.ts';
import { ProductCategoryService } from '../../../src/gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../../../src/gen/rustbill/product_group_pb.ts';
import { ProductService } from '../../../src/gen/rustbill/product_pb.ts';
import { TicketService } from '../../../src/gen/rustbill/ticket_pb.ts';
import { currentTokens, storeTokens } from './tokens.ts';

/** The fixed id of "pay from balance" among the ways to pay (README "Orders, payments and provisioning"). */
export const BALANCE_METHOD_ID = '00000000-0000-7000-8000-000000000001';

/** Refresh this long (ms) before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

const bare = createGrpcWebTransport({ baseUrl: window.location.origin, useBinaryFormat: true });
const identityBare = createClient(IdentityService, bare);

let refreshing: Promise<boolean> | null = null;

/**
 * Rotates the token pair once (concurrent callers share the one RefreshToken call); false when
 * there is no pair or the server refused it (the pair is then dropped: signed out).
 */
export function refreshTokens(): Promise<boolean> {
  if (refreshing) return refreshing;
  const pair = currentTokens();
  if (!pair) return Promise.resolve(false);
  refreshing = identityBare.refreshToken({ refreshToken: pair.refreshToken }).then(
    (answer) => {
      storeTokens({ accessToken: answer.accessToken, refreshToken: answer.refreshToken, expiresInSecs: Number(answer.expiresIn) });
      return true;
    },
    (error: unknown) => {
      // Only a refusal signs out; a network failure keeps the pair for the next try.
      const code = ConnectError.from(error).code;
      if (code === Code.Unauthenticated || code === Code.InvalidArgument || code === Code.NotFound || code === Code.PermissionDenied) storeTokens(null);
      return false;
    },
  ).finally(() => { refreshing = null; });
  return refreshing;
}

const NO_REFRESH = new Set(['Login', 'RefreshToken', 'Register', 'SendVerificationCode']);

const withTokens: Interceptor = (next) => async (request) => {
  if (NO_REFRESH.has(request.method.name)) return next(request);
  let pair = currentTokens();
  if (pair && pair.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
    await refreshTokens();
    pair = currentTokens();
  }
  if (pair) request.header.set('authorization', `Bearer ${pair.accessToken}`);
  try {
    return await next(request);
  } catch (error) {
    if (!pair || ConnectError.from(error).code !== Code.Unauthenticated) throw error;
    if (!(await refreshTokens())) throw error;
    const fresh = currentTokens();
    if (fresh) request.header.set('authorization', `Bearer ${fresh.accessToken}`);
    return next(request);
  }
};

const transport = createGrpcWebTransport({ baseUrl: window.location.origin, useBinaryFormat: true, interceptors: [withTokens] });

function client<S extends DescService>(service: S): Client<S> {
  return createClient(service, transport);
}

/** One client per service the portal uses. */
export const api = {
  identity: client(IdentityService),
  orders: client(OrderService),
  payments: client(PaymentService),
  balance: client(BalanceService),
  billing: client(BillingService),
  instances: client(InstanceService),
  integration: client(IntegrationService),
  products: client(ProductService),
  categories: client(ProductCategoryService),
  groups: client(ProductGroupService),
  tickets: client(TicketService),
  apiKeys: client(ApiKeyService),
};

/** Call options that make a money command safe to repeat: the same key returns the first outcome. */
export function idempotent(key: string): { headers: Record<string, string> } {
  return { headers: { 'idempotency-key': key } };
}

/** A fresh idempotency key for one user action (keep it while retrying that action). */
export function newActionKey(): string {
  return crypto.randomUUID();
}

/**
 * Fetches a file of the plain-HTTP routes (`/invoices/{id}.pdf`) with the customer's token and
 * opens it (an `<a href>` cannot send the token).
 * @throws Error with the server's text when it answers other than 200
 */
export async function openAuthorizedFile(path: string, fileName: string): Promise<void> {
  const send = () => fetch(path, { headers: currentTokens() ? { authorization: `Bearer ${currentTokens()?.accessToken ?? ''}` } : {} });
  let response = await send();
  if (response.status === 401 && (await refreshTokens())) response = await send();
  if (!response.ok) throw new Error((await response.text()).trim() || `HTTP ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export { isUnauthenticated, problemOf, type ApiProblem } from '../../shared/problem.ts';
