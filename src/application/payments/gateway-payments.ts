/**
 * Starting a payment through a gateway plugin (PayOrder / CreatePayment / Recharge with a gateway):
 * the gateway's create_payment is asked for a payment URL under a new payment id, then the
 * customer's actor records the payment `pending` (and the order's gateway fields). The money moves
 * only when the gateway reports success (callback or query), through `settle_payment`.
 */
import type { AccountResult, NewGatewayPayment } from '../../domain/accounts/account.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import type { Origin } from '../../domain/origin.ts';
import type { PaymentState } from '../../domain/payments/payment.ts';
import { newId } from '../../lib/ids.ts';
import type { AccountCommands } from '../accounts/account-commands.ts';
import type { PaymentGateways } from './gateway-port.ts';

/** A started gateway payment and where to send the payer. */
export interface StartedPayment {
  payment: PaymentState;
  paymentUrl: string;
  qrCode: string;
  instructions: string;
}

/**
 * Asks the gateway and records the payment.
 * @throws DomainError not_found (no such enabled gateway interface), unavailable (the gateway
 *   failed: nothing was recorded), and the actor's refusals (order not pending, …)
 */
export async function startGatewayPayment(
  deps: { gateways: PaymentGateways; accounts: AccountCommands },
  origin: Origin,
  input: { customerId: string; kind: NewGatewayPayment['kind']; orderId: string | null; invoiceId?: string | null; amount: string; currency: string; gatewayInterfaceId: string; returnUrl: string; description: string; key: string },
): Promise<StartedPayment> {
  if (!(await deps.gateways.isGateway(input.gatewayInterfaceId))) {
    throw new DomainError('not_found', `gateway interface ${input.gatewayInterfaceId} does not exist or is disabled; ListGateways lists the ways to pay`);
  }
  if (input.returnUrl !== '' && !/^https?:\/\/[^\s]{1,2000}$/.test(input.returnUrl)) throw invalid('return_url must be an http(s) URL');
  const paymentId = newId();
  let created;
  try {
    created = await deps.gateways.create(input.gatewayInterfaceId, { paymentId, amount: input.amount, description: input.description, returnUrl: input.returnUrl });
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError('unavailable', `the payment gateway could not create the payment: ${error instanceof Error ? error.message.slice(0, 300) : 'unknown error'}`);
  }
  const payment: NewGatewayPayment = {
    id: paymentId, kind: input.kind, orderId: input.orderId, invoiceId: input.invoiceId ?? null, amount: input.amount, currency: input.currency, gatewayInterfaceId: input.gatewayInterfaceId,
    gatewayPaymentId: created.gatewayPaymentId || paymentId, paymentUrl: created.paymentUrl, qrCode: created.qrCode, instructions: created.instructions,
    returnUrl: input.returnUrl === '' ? null : input.returnUrl,
  };
  const outcome = await deps.accounts.run(input.customerId, { type: 'start_payment', payment }, { origin, key: input.key });
  const recorded = requirePayment(outcome.result);
  return { payment: recorded, paymentUrl: recorded.paymentUrl ?? '', qrCode: recorded.qrCode ?? '', instructions: recorded.instructions ?? '' };
}

/** The payment of a command's result. @throws DomainError unavailable when it has none */
export function requirePayment(result: AccountResult): PaymentState {
  if (!result.payment) throw new DomainError('unavailable', 'the payment was not recorded; try again');
  return result.payment;
}
