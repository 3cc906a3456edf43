/**
 * Order actors (issue 8, "each order is a child actor of its customer holding the order's state
 * machine"): the customer actor spawns one child per order it works on, named by the order id. The
 * child holds the order's state — loaded once from its row, replaced by the customer actor after
 * each committed change — and stops after a while without messages. Only the customer actor talks
 * to its children, so an order's state changes only through its customer's serialized commands.
 */
import { dispatch, query, spawn, type ActorContext, type Ref } from 'nact';
import type { OrderState } from '../domain/orders/order.ts';

/** Messages of an order actor. */
export type OrderMessage =
  | { type: 'get'; replyTo: Ref<OrderReply> }
  /** The committed state (null: the order was deleted, or must be reloaded). */
  | { type: 'set'; order: OrderState | null; loaded: boolean };

/** The answer to `get`. */
export type OrderReply = { ok: true; order: OrderState | null } | { ok: false; message: string };

type OrderActorState = { loaded: false } | { loaded: true; order: OrderState | null };

/** How long a caller waits for an order actor. */
const ORDER_ASK_TIMEOUT_MS = 5_000;

function orderBehaviour(load: () => Promise<OrderState | null>) {
  return async (state: OrderActorState, message: OrderMessage, _context: ActorContext<OrderMessage, Ref<unknown>>): Promise<OrderActorState> => {
    if (message.type === 'set') return message.loaded ? { loaded: true, order: message.order } : { loaded: false };
    try {
      const current = state.loaded ? state : { loaded: true as const, order: await load() };
      dispatch(message.replyTo, { ok: true, order: current.order });
      return current;
    } catch (error) {
      dispatch(message.replyTo, { ok: false, message: error instanceof Error ? error.message : String(error) });
      return { loaded: false };
    }
  };
}

/**
 * The order children of one customer actor.
 */
export class OrderChildren {
  private readonly parent: Ref<unknown>;
  private readonly load: (orderId: string) => Promise<OrderState | null>;
  private readonly idleMs: number;
  private readonly children = new Map<string, Ref<OrderMessage>>();

  /**
   * @param parent the customer actor (`context.self`)
   * @param load reads an order of this customer from the database (null: none)
   * @param idleMs how long an idle order actor lives
   */
  constructor(parent: Ref<unknown>, load: (orderId: string) => Promise<OrderState | null>, idleMs: number) {
    this.parent = parent;
    this.load = load;
    this.idleMs = idleMs;
  }

  /** Order actors alive. */
  get size(): number {
    return this.children.size;
  }

  /**
   * The order's state from its actor (spawned and loaded on first use).
   * @throws Error when the order could not be loaded or its actor did not answer
   */
  async get(orderId: string): Promise<OrderState | null> {
    const reply = await query(this.childFor(orderId), (replyTo: Ref<OrderReply>): OrderMessage => ({ type: 'get', replyTo }), ORDER_ASK_TIMEOUT_MS);
    if (!reply.ok) throw new Error(`order ${orderId} could not be loaded: ${reply.message}`);
    return reply.order;
  }

  /** Gives the order actor the state just committed (a new order gets its actor now). */
  set(order: OrderState, deleted = false): void {
    dispatch(this.childFor(order.id), { type: 'set', order: deleted ? null : order, loaded: true });
  }

  /** Makes the order actor reload its row on next use (after a conflict or a failed commit). */
  forget(orderId: string): void {
    const child = this.children.get(orderId.toLowerCase());
    if (child) dispatch(child, { type: 'set', order: null, loaded: false });
  }

  /** Makes every order actor reload its row on next use (after a commit whose outcome is unknown). */
  forgetAll(): void {
    for (const child of this.children.values()) dispatch(child, { type: 'set', order: null, loaded: false });
  }

  private childFor(orderId: string): Ref<OrderMessage> {
    const key = orderId.toLowerCase();
    const existing = this.children.get(key);
    if (existing) return existing;
    const ref = spawn(this.parent as Ref<never>, orderBehaviour(() => this.load(key)), key, {
      initialState: { loaded: false } as OrderActorState,
      shutdownAfter: this.idleMs,
      afterStop: () => {
        if (this.children.get(key) === ref) this.children.delete(key);
      },
    });
    this.children.set(key, ref);
    return ref;
  }
}
