/**
 * Sends money commands to customers' actors (issue 8): every order, payment, refund, recharge and
 * adjustment goes through {@link AccountCommands.run}, which turns the actor's refusal into a
 * DomainError. A command whose ask timed out (`unavailable`) is sent again with the same
 * idempotency key: the actor answers a key it committed with the recorded outcome (a unique row in
 * `customer_commands`), so "maybe applied" never becomes "applied twice".
 */
import type { CustomerReply } from '../../actors/messages.ts';
import type { AccountCommand, AccountResult } from '../../domain/accounts/account.ts';
import type { CustomerState } from '../../domain/customers/customer.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Origin } from '../../domain/origin.ts';
import type { CustomerActors } from '../customers/customer-accounts.ts';

/** What a money command gave. */
export interface AccountOutcome {
  result: AccountResult;
  /** The customer after the command (balance, credit limit). */
  customer: CustomerState;
  /** True when this is the recorded outcome of an earlier attempt with the same key. */
  replayed: boolean;
}

/** How often an `unavailable` answer is retried with the same key. */
const RETRIES = 2;

/** See the file comment. */
export class AccountCommands {
  private readonly actors: CustomerActors;

  constructor(actors: CustomerActors) {
    this.actors = actors;
  }

  /**
   * Applies `command` to `customerId`'s account under `key`.
   * @param origin who asked (audit row); null for system work that needs none
   * @throws DomainError the actor's refusal (not_found, failed_precondition with reason
   *   insufficient_funds / invalid_transition, invalid_argument, already_exists, unavailable)
   */
  async run(customerId: string, command: AccountCommand, options: { origin: Origin | null; key: string }): Promise<AccountOutcome> {
    // A key the server made this moment (`nb:…`) has no earlier outcome on its first attempt.
    const fresh = options.key.startsWith('nb:');
    let reply: CustomerReply = await this.actors.ask(customerId, { type: 'account', idempotencyKey: options.key, origin: options.origin, command, mayBeRecorded: !fresh });
    for (let retry = 0; retry < RETRIES && !reply.ok && reply.error === 'unavailable'; retry += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100 * (retry + 1)));
      reply = await this.actors.ask(customerId, { type: 'account', idempotencyKey: options.key, origin: options.origin, command, mayBeRecorded: true });
    }
    if (!reply.ok) throw new DomainError(reply.error, reply.message, reply.reason);
    if (reply.type !== 'account') throw new DomainError('unavailable', 'the customer actor answered out of turn; try again');
    return { result: reply.result, customer: reply.customer, replayed: reply.replayed };
  }
}
