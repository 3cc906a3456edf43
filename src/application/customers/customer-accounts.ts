/**
 * The customer actor's profile commands (CustomerService's changes; customer-service.md and the
 * CRM extension, src/application/crm/) and the opening of self-registered accounts. Every change
 * of a customer is a command to that customer's actor — which decides on its live state and commits the snapshot, the audit row and the command's
 * outcome in one transaction — so no code path writes a customer row around its actor. Reads are
 * the CRM directory's (src/application/crm/customer-directory.ts).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { CommandAttachments, CustomerReply, CustomerRequest } from '../../actors/messages.ts';
import {
  validateChanges, validateNewCustomer, type CustomerChanges, type CustomerCommand, type CustomerState, type NewCustomerInput,
} from '../../domain/customers/customer.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { clip } from '../../domain/input-limits.ts';
import type { Origin } from '../../domain/origin.ts';
import { newId } from '../../lib/ids.ts';
import type { AccountOpening, RegisteredAccount } from '../identity/registration.ts';

/** The customer actors, wherever they live (src/actors/router.ts ShardRouter). */
export interface CustomerActors {
  ask(customerId: string, request: CustomerRequest): Promise<CustomerReply>;
}

/** The prefix of idempotency keys the server makes (never a client's). */
export const SERVER_KEY_PREFIX = 'nb:';

/**
 * A command key the server chose for its own work (`nb:<purpose>:…`, e.g. an import's row), unique
 * to the attempt it names: no earlier outcome is looked up on the first attempt.
 */
export interface ServerKey {
  serverKey?: string;
}

/** A client-chosen idempotency key: printable ASCII, at most 128 characters. */
const KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * The idempotency key of a command: the client's (`idempotency-key` header) or a new one.
 * @throws DomainError invalid_argument for a malformed client key
 */
export function commandKey(clientKey: string | null | undefined): string {
  if (clientKey === null || clientKey === undefined || clientKey === '') return `${SERVER_KEY_PREFIX}${newId()}`;
  if (!KEY.test(clientKey)) throw invalid('the idempotency-key header must be 1 to 128 printable ASCII characters without spaces');
  return `client:${clientKey}`;
}


function refusalOf(reply: Extract<CustomerReply, { ok: false }>, customerId: string): DomainError {
  return new DomainError(reply.error, reply.message === '' ? `customer ${customerId} was refused (${reply.error})` : reply.message);
}

/** See the file comment. Methods throw DomainError for refused requests. */
export class CustomerAccounts implements AccountOpening {
  private readonly orm: MikroORM;
  private readonly actors: CustomerActors;

  constructor(deps: { orm: MikroORM; actors: CustomerActors }) {
    this.orm = deps.orm;
    this.actors = deps.actors;
  }

  /**
   * Creates a customer (CreateCustomer); another customer of the same name (case-insensitive),
   * e-mail or customer code is refused. Without a customer code one is assigned (`C000001`, …).
   * @throws DomainError invalid_argument (a field), already_exists (name, e-mail or code taken)
   */
  async create(origin: Origin, input: NewCustomerInput, clientKey?: string | null, options: ServerKey = {}): Promise<CustomerState> {
    const customer = validateNewCustomer(input);
    const key = options.serverKey ?? commandKey(clientKey);
    // A retried create with the client's key finds the customer its first attempt made.
    const earlier = clientKey && options.serverKey === undefined ? await this.customerOfKey(key) : null;
    const customerId = earlier ?? newId();
    const reply = await this.command(customerId, key, origin, { type: 'create', customer }, { uniqueName: true, uniqueCode: customer.customerCode !== '' });
    return this.applied(reply, customerId);
  }

  /**
   * Changes the fields given (UpdateCustomer); activity, credit limit and API-key permission too.
   * @throws DomainError invalid_argument, not_found, already_exists (name or e-mail taken)
   */
  async update(origin: Origin, customerId: string, changes: CustomerChanges, clientKey?: string | null, options: ServerKey = {}): Promise<CustomerState> {
    const valid = validateChanges(changes);
    const key = options.serverKey ?? commandKey(clientKey);
    const reply = await this.command(customerId, key, origin, { type: 'update', changes: valid }, { uniqueName: valid.name !== undefined, uniqueCode: valid.customerCode !== undefined });
    return this.applied(reply, customerId);
  }

  /**
   * Deletes a customer (DeleteCustomer): refused while its balance is not zero or orders,
   * instances, invoices, payments or ledger entries reference it — never a silent cascade.
   * @throws DomainError not_found, failed_precondition
   */
  async remove(origin: Origin, customerId: string, clientKey?: string | null): Promise<void> {
    const reply = await this.command(customerId, commandKey(clientKey), origin, { type: 'delete' });
    if (!reply.ok) throw refusalOf(reply, customerId);
  }

  /**
   * Opens a self-registered account through a `create` command of the new customer's actor, whose
   * transaction also consumes the code and creates the user (see AccountOpening).
   */
  async open(account: RegisteredAccount): Promise<{ customerId: string; userId: string }> {
    const customerId = newId();
    const userId = newId();
    const customer = validateNewCustomer({ ...account.customer, phone: '', company: '', notes: '', creditLimit: '' });
    const reply = await this.command(customerId, commandKey(null), null, { type: 'create', customer }, {
      registration: { verificationCodeId: account.verificationCodeId, user: { id: userId, ...account.user } },
    });
    this.applied(reply, customerId);
    return { customerId, userId };
  }

  /**
   * Sends a command; an ask that timed out is sent again with the same key (the actor answers a
   * key it applied with the recorded outcome, so "maybe applied" never becomes "applied twice").
   */
  private async command(customerId: string, key: string, origin: Origin | null, command: CustomerCommand, attachments?: CommandAttachments): Promise<CustomerReply> {
    const request: CustomerRequest = { type: 'command', idempotencyKey: key, origin, command, ...(attachments ? { attachments } : {}) };
    // A key the server made this moment (`nb:…`) has no earlier outcome on its first attempt.
    const first = await this.actors.ask(customerId, { ...request, mayBeRecorded: !key.startsWith(SERVER_KEY_PREFIX) });
    if (first.ok || first.error !== 'unavailable') return first;
    return this.actors.ask(customerId, request);
  }

  /** The state an applied command left, or its refusal as a DomainError. */
  private applied(reply: CustomerReply, customerId: string): CustomerState {
    if (!reply.ok) throw refusalOf(reply, customerId);
    if (reply.type !== 'applied' || reply.state === null) throw new DomainError('unavailable', `customer ${clip(customerId)} answered out of turn; try again`);
    return reply.state;
  }

  private async customerOfKey(key: string): Promise<string | null> {
    const rows = await this.orm.em.fork().execute<Array<{ customer_id: string }>>(
      "select customer_id from customer_commands where idempotency_key = ? and command_type = 'create' limit 1",
      [key],
    );
    return rows[0]?.customer_id ?? null;
  }
}
