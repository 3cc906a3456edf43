import { dispatch, type ActorContext, type Ref } from 'nact';
import type { CustomerReply, CustomerRequest, CustomerSnapshot } from './messages.ts';
import type { CustomerSnapshotStore } from './snapshot-store.ts';

/** A request plus where to send the reply (the nact envelope; never crosses IPC). */
export interface CustomerEnvelope {
  request: CustomerRequest;
  replyTo: Ref<CustomerReply>;
}

/** In-memory state of one customer actor: nothing until the snapshot is loaded on first use. */
export type CustomerActorState = { loaded: false } | { loaded: true; snapshot: CustomerSnapshot | null };

/**
 * The behaviour of a customer actor (ARCHITECTURE.md, "one writer per customer"): it loads its
 * snapshot on first use and answers one message at a time. Read-only in this version; commands that
 * change money come with the catalog and money-path issues.
 */
export function customerBehaviour(store: CustomerSnapshotStore, slot: number) {
  return async (
    state: CustomerActorState,
    envelope: CustomerEnvelope,
    context: ActorContext<CustomerEnvelope, Ref<unknown>>,
  ): Promise<CustomerActorState> => {
    let current = state;
    if (!current.loaded) {
      try {
        current = { loaded: true, snapshot: await store.load(context.name) };
      } catch (error) {
        dispatch(envelope.replyTo, { ok: false, error: 'unavailable', message: `could not load customer ${context.name}: ${(error as Error).message}` });
        return state;
      }
    }
    const snapshot = current.snapshot;
    switch (envelope.request.type) {
      case 'get_snapshot':
        dispatch(
          envelope.replyTo,
          snapshot
            ? { ok: true, type: 'snapshot', snapshot, servedBySlot: slot }
            : { ok: false, error: 'not_found', message: `customer ${context.name} does not exist` },
        );
        // A missing customer is not cached: it may be created a moment later.
        return snapshot ? current : { loaded: false };
    }
  };
}
