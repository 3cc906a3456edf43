import { dispatch, type ActorContext, type Ref } from 'nact';
import type { Logger } from 'pino';
import { decide, type CustomerState, type Decision } from '../domain/customers/customer.ts';
import { DomainError } from '../domain/errors.ts';
import { rfc3339 } from '../lib/time.ts';
import { metrics } from '../metrics/metrics.ts';
import { requestKind, type CustomerReply, type CustomerRequest } from './messages.ts';
import { contextFromTraceparent, inSpan, tracingEnabled } from '../telemetry/index.ts';
import type { CustomerSnapshotStore, SnapshotWrite } from './snapshot-store.ts';
import { applyAccountCommand } from './account-commands.ts';
import type { AccountStore } from './account-store.ts';
import { OrderChildren } from './order-actor.ts';
import { StandingCache } from './standing-cache.ts';

/** How long an order actor stays in memory without messages. */
const ORDER_IDLE_MS = 20_000;

/** A request plus where to send the reply (the nact envelope; never crosses IPC). */
export interface CustomerEnvelope {
  request: CustomerRequest;
  replyTo: Ref<CustomerReply>;
}

/** Outcomes kept in memory per actor, most recent last (older keys are found in the database). */
const REMEMBERED_OUTCOMES = 256;

/** In-memory state of one customer actor: nothing until the snapshot is loaded on first use. */
export type CustomerActorState =
  | { loaded: false }
  | { loaded: true; snapshot: CustomerState | null; outcomes: Map<string, CustomerReply>};

type Command = Extract<CustomerRequest, { type: 'command' }>;

function refusal(error: unknown): CustomerReply {
  if (error instanceof DomainError) return { ok: false, error: error.kind, message: error.message, ...(error.reason ? { reason: error.reason } : {}) };
  throw error;
}

function auditOf(command: Command, decision: Decision, before: CustomerState | null): SnapshotWrite['audit'] {
  if (!command.origin) return null;
  const after = decision.next;
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of decision.changed) changes[field] = { from: before?.[field] ?? null, to: after?.[field] ?? null };
  return {
    origin: command.origin,
    action: `customer.${command.command.type}`,
    details: { changes, version: after?.version ?? null, ...(after === null && before ? { name: before.name } : {}) },
  };
}

/**
 * Applies one command: decide on the current state, commit the decision in one transaction fenced
 * by the version it was decided on, and only then take the new state into memory. A version
 * conflict (another writer got there first) reloads the snapshot and decides once more.
 * @returns the reply and the actor's next state
 */
async function applyCommand(
  store: CustomerSnapshotStore,
  customerId: string,
  state: Extract<CustomerActorState, { loaded: true }>,
  command: Command,
): Promise<{ reply: CustomerReply; state: CustomerActorState }> {
  const remembered = state.outcomes.get(command.idempotencyKey);
  if (remembered) return { reply: remembered, state };
  const recorded = command.mayBeRecorded === false ? null : await store.recordedOutcome(customerId, command.idempotencyKey);
  if (recorded) return { reply: recorded, state };

  let current = state.snapshot;
  let fresh = false;
  for (let attempt = 1; ; attempt += 1) {
    let decision: Decision;
    try {
      decision = decide(current, command.command, { customerId, now: rfc3339(new Date()) });
    } catch (error) {
      // A refusal is never written, so no fence would tell a stale memory (another process wrote
      // the row, as during a failover) from the truth: decide once more on the stored row.
      if (!fresh && error instanceof DomainError) {
        const stored = await store.load(customerId);
        fresh = true;
        if ((stored?.version ?? null) !== (current?.version ?? null)) {
          current = stored;
          attempt -= 1;
          continue;
        }
      }
      return { reply: refusal(error), state: { ...state, snapshot: current } };
    }
    if (decision.change === 'none') return { reply: { ok: true, type: 'applied', state: current, replayed: false }, state: { ...state, snapshot: current } };
    const outcome = { ok: true as const, type: 'applied' as const, state: decision.next, replayed: true };
    const result = await store.commit({
      customerId,
      expectedVersion: current?.version ?? null,
      change: decision.change,
      next: decision.next,
      idempotencyKey: command.idempotencyKey,
      commandType: command.command.type,
      outcome,
      audit: auditOf(command, decision, current),
      ...(command.attachments ? { attachments: command.attachments } : {}),
    });
    metrics.snapshotWrites.inc({ kind: 'customer', outcome: result.ok ? 'written' : result.conflict ? 'conflict' : 'refused' });
    if (result.ok) {
      const reply: CustomerReply = { ok: true, type: 'applied', state: result.state, replayed: false };
      const outcomes = new Map(state.outcomes);
      outcomes.set(command.idempotencyKey, outcome);
      if (outcomes.size > REMEMBERED_OUTCOMES) outcomes.delete(outcomes.keys().next().value ?? '');
      return { reply, state: { loaded: true, snapshot: result.state, outcomes } };
    }
    if (!result.conflict) return { reply: refusal(result.error), state: { ...state, snapshot: current } };
    metrics.snapshotConflicts.inc({ kind: 'customer' });
    // Memory may be stale (another process wrote the row): reload and decide again, once.
    current = await store.load(customerId);
    fresh = true;
    if (attempt >= 2) {
      return {
        reply: { ok: false, error: 'unavailable', message: `customer ${customerId} was changed by another writer twice while this command was applied; try again` },
        state: { ...state, snapshot: current },
      };
    }
  }
}

/**
 * A `create` under a key the server just made: its customer id was made with it, so there is no
 * row to load (were there one, the insert's primary key would refuse it and the actor reload).
 */
function isFreshCreate(request: CustomerRequest): boolean {
  return request.type === 'command' && request.command.type === 'create' && request.mayBeRecorded === false;
}

/**
 * The behaviour of a customer actor (ARCHITECTURE.md, "one writer per customer"): it loads its
 * snapshot on first use and handles one message at a time — a snapshot query, or a command applied
 * through {@link decide} and committed by the store before memory changes. A command whose
 * idempotency key was applied before answers with the recorded outcome.
 */
export function customerBehaviour(store: CustomerSnapshotStore, slot: number, log: Pick<Logger, 'error'>, accounts?: AccountStore) {
  // This actor's order children and overdue standing (the behaviour is made once per customer actor).
  let orderChildren: OrderChildren | null = null;
  let standing: StandingCache | null = null;
  const handle = async (
    state: CustomerActorState,
    envelope: CustomerEnvelope,
    context: ActorContext<CustomerEnvelope, Ref<unknown>>,
  ): Promise<CustomerActorState> => {
    const customerId = context.name;
    if (envelope.request.type === 'invoices_changed') {
      // Nothing to load for it: an actor that holds no copy has nothing to forget.
      standing?.forget();
      dispatch(envelope.replyTo, { ok: true, type: 'noted' });
      return state;
    }
    let current: Extract<CustomerActorState, { loaded: true }>;
    try {
      current = state.loaded ? state : { loaded: true, snapshot: isFreshCreate(envelope.request) ? null : await store.load(customerId), outcomes: new Map() };
    } catch (error) {
      log.error({ err: error, customerId }, 'customer snapshot could not be loaded');
      dispatch(envelope.replyTo, { ok: false, error: 'unavailable', message: `customer ${customerId} could not be loaded; try again` });
      return state;
    }
    const { request } = envelope;
    switch (request.type) {
      case 'get_snapshot': {
        const snapshot = current.snapshot;
        dispatch(
          envelope.replyTo,
          snapshot ? { ok: true, type: 'snapshot', snapshot, servedBySlot: slot } : { ok: false, error: 'not_found', message: `customer ${customerId} does not exist` },
        );
        // A missing customer is not cached: it may be created a moment later (by this actor, or,
        // during a failover, by another process).
        return snapshot ? current : { loaded: false };
      }
      case 'account': {
        if (!accounts) {
          dispatch(envelope.replyTo, { ok: false, error: 'unavailable', message: 'money commands are not served by this actor host' });
          return current;
        }
        orderChildren ??= new OrderChildren(context.self, (orderId) => accounts.loadOrder(customerId, orderId), ORDER_IDLE_MS);
        standing ??= new StandingCache((customer) => accounts.loadStanding(customer));
        const children = orderChildren;
        const standingCache = standing;
        try {
          const remembered = current.outcomes.get(request.idempotencyKey) ?? (request.mayBeRecorded ? await accounts.recordedOutcome(customerId, request.idempotencyKey) : null);
          if (remembered) {
            dispatch(envelope.replyTo, remembered);
            return current;
          }
          const { reply, snapshot } = await applyAccountCommand(
            { store: accounts, children, standing: standingCache, recordedOutcome: (id, key) => accounts.recordedOutcome(id, key) }, customerId, current.snapshot, request,
          );
          dispatch(envelope.replyTo, reply);
          const outcomes = current.outcomes;
          if (reply.ok && reply.type === 'account') {
            outcomes.set(request.idempotencyKey, { ...reply, replayed: true });
            if (outcomes.size > REMEMBERED_OUTCOMES) outcomes.delete(outcomes.keys().next().value ?? '');
          }
          return { loaded: true, snapshot, outcomes };
        } catch (error) {
          log.error({ err: error, customerId, command: request.command.type }, 'money command failed');
          dispatch(envelope.replyTo, { ok: false, error: 'unavailable', message: `the change to customer ${customerId}'s account could not be written; try again` });
          // Memory may be ahead of or behind the database: everything reloads on next use.
          children.forgetAll();
          standingCache.forget();
          return { loaded: false };
        }
      }
      case 'command': {
        try {
          const { reply, state: next } = await applyCommand(store, customerId, current, request);
          dispatch(envelope.replyTo, reply);
          return next;
        } catch (error) {
          // The database failed mid-command: nothing in memory changed; the next message reloads.
          log.error({ err: error, customerId, command: request.command.type }, 'customer command failed');
          dispatch(envelope.replyTo, { ok: false, error: 'unavailable', message: `the change to customer ${customerId} could not be written; try again` });
          return { loaded: false };
        }
      }
    }
  };
  // Tracing on: a command is one span (`customer.pay_order`…), child of the span that asked (its
  // `traceparent`, carried across IPC); the commit's database spans and outbox events hang below it.
  return async (
    state: CustomerActorState,
    envelope: CustomerEnvelope,
    context: ActorContext<CustomerEnvelope, Ref<unknown>>,
  ): Promise<CustomerActorState> => {
    const { request } = envelope;
    if (!tracingEnabled() || (request.type !== 'command' && request.type !== 'account')) return handle(state, envelope, context);
    return inSpan(`customer.${requestKind(request)}`, {
      parent: contextFromTraceparent(request.traceparent),
      attributes: { 'nodebill.actor': 'customer', 'nodebill.customer_id': context.name, 'nodebill.command': requestKind(request), 'nodebill.actor.worker': slot },
    }, () => handle(state, envelope, context));
  };
}
