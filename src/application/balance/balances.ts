/**
 * BalanceService's changes (extra-services.md; issue 8): Recharge is a payment through a gateway
 * that credits the balance exactly once when the gateway reports success (settle_payment, and a
 * unique ledger row per recharge payment); AdjustBalance is an admin's signed ledger entry,
 * audited, never taking the balance below -credit_limit. Both are commands to the customer's actor.
 */
import type { LedgerEntry } from '../../domain/ledger/ledger.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { clip } from '../../domain/input-limits.ts';
import { formatMoney, parseMoney } from '../../domain/money.ts';
import type { Origin } from '../../domain/origin.ts';
import { BALANCE_METHOD_ID } from '../../domain/payments/balance-method.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import { commandKey } from '../customers/customer-accounts.ts';
import { startGatewayPayment, type StartedPayment } from '../payments/gateway-payments.ts';
import type { PaymentGateways } from '../payments/gateway-port.ts';

/** See the file comment. Methods throw DomainError for refused requests. */
export class Balances {
  private readonly accounts: AccountCommands;
  private readonly gateways: PaymentGateways;

  constructor(deps: { accounts: AccountCommands; gateways: PaymentGateways }) {
    this.accounts = deps.accounts;
    this.gateways = deps.gateways;
  }

  /**
   * Recharge: a pending recharge payment through `gatewayInterfaceId` and where to pay it.
   * @throws DomainError invalid_argument (amount, balance method), not_found (customer, gateway),
   *   failed_precondition (inactive customer), unavailable (gateway failed)
   */
  async recharge(origin: Origin, input: { customerId: string; amount: string; gatewayInterfaceId: string; returnUrl: string }, clientKey?: string | null): Promise<StartedPayment> {
    const amount = formatMoney(parseMoney('amount', input.amount.trim(), { allowZero: false }));
    if (input.gatewayInterfaceId === BALANCE_METHOD_ID) throw invalid('a recharge is paid through a payment gateway, not from the balance itself');
    return startGatewayPayment({ gateways: this.gateways, accounts: this.accounts }, origin, {
      customerId: input.customerId, kind: 'recharge', orderId: null, amount, currency: 'CNY', gatewayInterfaceId: input.gatewayInterfaceId,
      returnUrl: input.returnUrl, description: `Balance recharge ${amount}`, key: commandKey(clientKey),
    });
  }

  /**
   * AdjustBalance (admin): `amount` signed (+ credit, - debit), with a description for the ledger.
   * @throws DomainError invalid_argument (amount zero or malformed, description), not_found,
   *   failed_precondition (reason insufficient_funds)
   */
  async adjust(origin: Origin, customerId: string, amountText: string, description: string, clientKey?: string | null): Promise<LedgerEntry> {
    const amount = parseMoney('amount', amountText.trim(), { allowNegative: true, allowZero: false });
    const text = description.trim();
    if (text === '') throw invalid('description is required: say why the balance changes (it is shown in the ledger)');
    if (text.length > 500) throw invalid(`description must be at most 500 characters, got ${text.length}`);
    const outcome = await this.accounts.run(customerId, { type: 'adjust_balance', amount: formatMoney(amount), description: clip(text, 500) }, { origin, key: commandKey(clientKey) });
    if (!outcome.result.entry) throw new DomainError('unavailable', 'the adjustment was not recorded; try again');
    return outcome.result.entry;
  }
}
