/**
 * How a customer actor applies a money command (issue 8, "Actors and the ledger"): load what the
 * command names (the order from its child order actor, the payment, the order's payments), run the
 * pure {@link decideAccount}, commit the decision in one fenced transaction, and only then change
 * memory (the customer snapshot, the order actors). A conflict (another writer got there first)
 * reloads and decides once more; a key applied before answers with its recorded outcome.
 */
import { accountNeeds, decideAccount, followUpInvoiceId, followUpOrderId, needsCreditStanding } from '../domain/accounts/decide.ts';
import type { AccountView } from '../domain/accounts/account.ts';
import type { CustomerState } from '../domain/customers/customer.ts';
import { DomainError } from '../domain/errors.ts';
import { newId } from '../lib/ids.ts';
import { businessClock } from '../lib/clock.ts';
import { rfc3339 } from '../lib/time.ts';
import { metrics } from '../metrics/metrics.ts';
import type { AccountStore } from './account-store.ts';
import type { CustomerReply, CustomerRequest } from './messages.ts';
import type { OrderChildren } from './order-actor.ts';
import type { StandingCache } from './standing-cache.ts';

type AccountRequest = Extract<CustomerRequest, { type: 'account' }>;

/** What applying a command needs. */
export interface AccountCommandDeps {
  store: AccountStore;
  children: OrderChildren;
  /** The outcome recorded for a key of this customer, or null. */
  recordedOutcome: (customerId: string, idempotencyKey: string) => Promise<CustomerReply | null>;
  /** The customer's overdue standing (this actor's copy). */
  standing: StandingCache;
}

function refusal(error: DomainError): CustomerReply {
  return { ok: false, error: error.kind, message: error.message, ...(error.reason ? { reason: error.reason } : {}) };
}

/**
 * Applies `request` to the customer whose current snapshot is `snapshot` (null: no such customer).
 * @returns the reply and the snapshot after the command
 * @throws Error when the database fails (nothing in memory changed; the caller reloads)
 */
export async function applyAccountCommand(
  deps: AccountCommandDeps,
  customerId: string,
  snapshot: CustomerState | null,
  request: AccountRequest,
): Promise<{ reply: CustomerReply; snapshot: CustomerState | null }> {
  const { store, children } = deps;
  let current = snapshot;
  let fresh = false;
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    if (!current) return { reply: { ok: false, error: 'not_found', message: `customer ${customerId} does not exist` }, snapshot: current };
    const needs = accountNeeds(request.command);
    const payment = needs.paymentId ? await store.loadPayment(customerId, needs.paymentId) : null;
    const invoiceId = needs.invoiceId ?? followUpInvoiceId(request.command, payment);
    const invoice = invoiceId ? await store.loadInvoice(customerId, invoiceId) : null;
    // A renewal invoice's payment may restore its service: its order comes with it.
    const orderId = needs.orderId ?? followUpOrderId(request.command, payment) ?? invoice?.renewal?.orderId ?? null;
    const order = orderId ? await children.get(orderId) : null;
    const orderPayments = needs.orderPayments && orderId ? await store.orderPayments(customerId, orderId) : [];
    const view: AccountView = { customer: current, order, payment, orderPayments, invoice };
    if (needsCreditStanding(request.command)) view.standing = await deps.standing.get(current);
    let decision;
    try {
      decision = decideAccount(view, request.command, { now: rfc3339(businessClock.now()), newId });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // A refusal is never written, so no fence tells a stale memory from the truth: decide once
      // more on the stored rows before refusing.
      if (!fresh) {
        fresh = true;
        current = await store.loadCustomer(customerId);
        if (orderId) children.forget(orderId);
        continue;
      }
      return { reply: refusal(error), snapshot: current };
    }
    const next = decision.customer ?? current;
    const outcome = { ok: true as const, type: 'account' as const, result: decision.result, customer: next, replayed: false };
    const result = await store.commit({
      customerId,
      expectedVersion: current.version,
      decision,
      idempotencyKey: request.idempotencyKey,
      commandType: request.command.type,
      outcome,
      origin: request.origin,
    });
    metrics.snapshotWrites.inc({ kind: 'account', outcome: result.ok ? 'written' : result.conflict ? 'conflict' : 'refused' });
    if (result.ok) {
      for (const write of decision.orders) children.set(write.row, write.op === 'delete');
      if (decision.invoices.length > 0) deps.standing.forget();
      return { reply: outcome, snapshot: next };
    }
    if (!result.conflict) return { reply: refusal(result.error), snapshot: current };
    metrics.snapshotConflicts.inc({ kind: 'account' });
    // Someone else wrote first — or committed this very key (a retry racing its first attempt).
    const replay = await deps.recordedOutcome(customerId, request.idempotencyKey);
    current = await store.loadCustomer(customerId);
    if (replay) return { reply: replay, snapshot: current };
    fresh = true;
    if (orderId) children.forget(orderId);
    for (const write of decision.orders) children.forget(write.row.id);
  }
  return { reply: { ok: false, error: 'unavailable', message: `customer ${customerId} was changed by other writers while this command was applied; try again` }, snapshot: current };
}
