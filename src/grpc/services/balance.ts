import type { ShardRouter } from '../../actors/router.ts';
import { BalanceService } from '../../gen/rustbill/balance_pb.ts';
import { isUuid } from '../../lib/ids.ts';
import type { CallContext } from '../context.ts';
import { invalidArgument, notFound, permissionDenied, unavailable } from '../errors.ts';
import type { ServiceHandlers } from '../handlers.ts';

/**
 * The customer whose data an `admin_or_own` call may touch: admins name any customer (required),
 * customers and API keys get their own (a different one is PermissionDenied).
 * @throws ConnectError InvalidArgument / PermissionDenied
 */
export function scopedCustomerId(call: CallContext, requested: string): string {
  const caller = call.caller;
  if (caller.kind === 'customer' || caller.kind === 'apikey') {
    if (requested !== '' && requested.toLowerCase() !== caller.customerId.toLowerCase()) {
      throw permissionDenied('you may only access your own customer account');
    }
    return caller.customerId;
  }
  if (requested === '') throw invalidArgument('customer_id is required');
  if (!isUuid(requested)) throw invalidArgument(`customer_id "${requested.slice(0, 64)}" is not a UUID`);
  return requested;
}

/**
 * BalanceService (extra-services.md). GetBalance asks the customer's actor, which owns the live
 * balance; the other RPCs come with the money-path issue.
 */
export function balanceHandlers(router: ShardRouter): ServiceHandlers<typeof BalanceService> {
  return {
    async getBalance(request, call) {
      const customerId = scopedCustomerId(call, request.customerId);
      const reply = await router.ask(customerId, { type: 'get_snapshot' });
      if (!reply.ok) {
        if (reply.error === 'not_found') throw notFound(`customer ${customerId} does not exist`);
        throw unavailable(`the customer's account is temporarily unavailable; retry shortly`);
      }
      return { customerId: reply.snapshot.id, balance: reply.snapshot.balance, creditLimit: reply.snapshot.creditLimit };
    },
  };
}
