import type { ShardRouter } from '../../actors/router.ts';
import { BalanceService } from '../../gen/rustbill/balance_pb.ts';
import { invalid } from '../../domain/errors.ts';
import { scopedCustomerId } from '../authz.ts';
import { notFound, unavailable } from '../errors.ts';
import { uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';

/**
 * BalanceService (extra-services.md). GetBalance asks the customer's actor, which owns the live
 * balance; the other RPCs come with the money-path issue.
 */
export function balanceHandlers(router: ShardRouter): ServiceHandlers<typeof BalanceService> {
  return {
    async getBalance(request, call) {
      const scoped = scopedCustomerId(call.caller, request.customerId);
      if (scoped === undefined) throw invalid('customer_id is required');
      const customerId = uuidField('customer_id', scoped);
      const reply = await router.ask(customerId, { type: 'get_snapshot' });
      if (!reply.ok) {
        if (reply.error === 'not_found') throw notFound(`customer ${customerId} does not exist`);
        throw unavailable(`the customer's account is temporarily unavailable; retry shortly`);
      }
      if (reply.type !== 'snapshot') throw unavailable('the customer actor answered out of turn; retry');
      return { customerId: reply.snapshot.id, balance: reply.snapshot.balance, creditLimit: reply.snapshot.creditLimit };
    },
  };
}
