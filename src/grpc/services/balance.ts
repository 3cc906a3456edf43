import type { ShardRouter } from '../../actors/router.ts';
import type { MoneyPath } from '../../application/money-path.ts';
import { invalid } from '../../domain/errors.ts';
import { LEDGER_TYPES, type LedgerType } from '../../domain/ledger/ledger.ts';
import { BalanceService } from '../../gen/rustbill/balance_pb.ts';
import { scopedCustomerId } from '../authz.ts';
import { notFound, unavailable } from '../errors.ts';
import { optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';
import { IDEMPOTENCY_HEADER } from './customer.ts';
import { ledgerEntryInfo, paymentRecord } from './money-mapping.ts';
import { rfc3339 } from '../../lib/time.ts';

function ledgerType(value: string | undefined): LedgerType | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(LEDGER_TYPES as readonly string[]).includes(value)) throw invalid(`transaction_type "${value.slice(0, 40)}" is not one of ${LEDGER_TYPES.join(', ')}`);
  return value as LedgerType;
}

/**
 * BalanceService, all 4 RPCs (extra-services.md). GetBalance asks the customer's actor, which owns
 * the live balance; Recharge and AdjustBalance are commands to it (src/application/balance).
 */
export function balanceHandlers(router: ShardRouter, money: MoneyPath): ServiceHandlers<typeof BalanceService> {
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

    async listBalanceTransactions(request, call) {
      const page = resolvePage(request.pagination);
      const customerId = optionalUuidField('customer_id', scopedCustomerId(call.caller, request.customerId));
      const type = ledgerType(request.transactionType);
      const { items, total } = await money.reads.ledger({ ...(customerId ? { customerId } : {}), ...(type ? { type } : {}) }, page);
      return { transactions: items.map(ledgerEntryInfo), meta: pageMeta(page, total) };
    },

    async recharge(request, call) {
      const customerId = uuidField('customer_id', scopedCustomerId(call.caller, request.customerId) ?? '');
      const started = await money.balances.recharge(call, {
        customerId, amount: request.amount, gatewayInterfaceId: uuidField('gateway_interface_id', request.gatewayInterfaceId), returnUrl: request.returnUrl.trim(),
      }, call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { payment: paymentRecord(started.payment), paymentUrl: started.paymentUrl, qrCode: started.qrCode, instructions: started.instructions };
    },

    async adjustBalance(request, call) {
      const customerId = uuidField('customer_id', request.customerId);
      const entry = await money.balances.adjust(call, customerId, request.amount, request.description, call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { transaction: ledgerEntryInfo({ ...entry, customerId, createdAt: rfc3339(new Date()) }) };
    },
  };
}
