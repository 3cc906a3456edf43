import { metrics } from '../metrics/metrics.ts';
import { activeTraceparent, inSpan, SpanKind } from '../telemetry/index.ts';
import type { ActorHost } from './actor-host.ts';
import type { CustomerReply, CustomerRequest } from './messages.ts';
import type { ShardRoute, ShardTable } from './shard-table.ts';
import { SHARD_MOVED } from './snapshot-store.ts';

/** Sends a request to the worker slot that owns a shard (cluster IPC through the primary). */
export interface ShardForwarder {
  forward(targetSlot: number, customerId: string, request: CustomerRequest): Promise<CustomerReply>;
}

/** Sends a request to another node (native gRPC with the cluster secret; src/cluster/node-link.ts). */
export interface NodeForwarder {
  /**
   * @param timeoutMs how long the other node may take, in ms
   * @returns its reply; a reply with reason {@link NODE_UNREACHABLE} when it could not be reached
   */
  forward(address: string, customerId: string, request: CustomerRequest, timeoutMs: number): Promise<CustomerReply>;
}

/** Reason of a reply when another node could not be reached: route again once the leases moved. */
export const NODE_UNREACHABLE = 'node_unreachable';

/** A refusal that asks the caller to route again. */
export function shardMoved(message: string): CustomerReply {
  return { ok: false, error: 'unavailable', message, reason: SHARD_MOVED };
}

/**
 * Routes a customer's messages to the one actor that owns the customer's shard (ARCHITECTURE.md,
 * The cluster; issue 15): in this worker, in another worker of this node over IPC, or in another
 * node over the node link, as the shard leases say. While a shard has no owner (taken over after
 * a crash, handed over by a stopping node) or the owner answers that it moved, the call waits for
 * the next lease update and routes again, up to `routeTimeoutMs`: the caller never notices a move.
 */
export class ShardRouter {
  private readonly options: {
    slot: number;
    table: ShardTable;
    host: ActorHost;
    forwarder: ShardForwarder;
    nodes: NodeForwarder;
    /** How long one call may keep routing, in ms (covers a takeover after a lease timeout). */
    routeTimeoutMs: number;
  };

  constructor(options: ShardRouter['options']) {
    this.options = options;
  }

  /**
   * Asks the customer's actor wherever it lives. A command carries the active span's
   * `traceparent` (tracing on), so the actor's span continues the caller's trace in this worker or
   * in the one it is forwarded to (a CLIENT span `actor.forward` covers the round trip).
   */
  async ask(customerId: string, request: CustomerRequest): Promise<CustomerReply> {
    const deadline = performance.now() + this.options.routeTimeoutMs;
    let attempt = withTraceparent(request);
    for (;;) {
      const route = this.options.table.route(customerId);
      const left = deadline - performance.now();
      if (route.kind === 'none') {
        if (left <= 0) return noOwner(customerId);
        await this.options.table.changed(Math.min(left, 250));
        continue;
      }
      const reply = await this.send(route, customerId, attempt, left);
      const again = !reply.ok && (reply.reason === SHARD_MOVED || reply.reason === NODE_UNREACHABLE);
      if (!again || performance.now() >= deadline) return again ? noOwner(customerId) : reply;
      // It may have been applied before the connection broke: the retry looks for its outcome.
      attempt = mayBeRecorded(attempt);
      metrics.actorMessages.inc({ kind: attempt.type, route: 'rerouted' });
      await this.options.table.changed(Math.min(deadline - performance.now(), reply.reason === NODE_UNREACHABLE ? 500 : 100));
    }
  }

  /** Handles a request another worker of this node forwarded here (this worker must own the shard). */
  async receive(customerId: string, request: CustomerRequest): Promise<CustomerReply> {
    metrics.actorMessages.inc({ kind: request.type, route: 'received' });
    const route = this.options.table.route(customerId);
    if (route.kind !== 'local') return shardMoved(`worker ${this.options.slot} does not own the shard of customer ${customerId} now`);
    return this.options.host.ask(customerId, request);
  }

  /**
   * Handles a request another node forwarded here: served in this node (this worker or a sibling)
   * when it owns the shard, waiting up to `waitMs` for a lease it is about to take; otherwise
   * answered {@link SHARD_MOVED}, so that the sender routes again (never forwarded a second time).
   */
  async receiveFromNode(customerId: string, request: CustomerRequest, waitMs: number): Promise<CustomerReply> {
    metrics.actorMessages.inc({ kind: request.type, route: 'node_received' });
    const deadline = performance.now() + waitMs;
    for (;;) {
      const route = this.options.table.route(customerId);
      if (route.kind === 'local') return this.options.host.ask(customerId, request);
      if (route.kind === 'worker') return this.options.forwarder.forward(route.slot, customerId, request);
      const left = deadline - performance.now();
      if (route.kind === 'node' || left <= 0) return shardMoved(`this node does not own the shard of customer ${customerId} now`);
      await this.options.table.changed(Math.min(left, 250));
    }
  }

  private send(route: Exclude<ShardRoute, { kind: 'none' }>, customerId: string, request: CustomerRequest, timeoutMs: number): Promise<CustomerReply> {
    if (route.kind === 'local') {
      metrics.actorMessages.inc({ kind: request.type, route: 'local' });
      return this.options.host.ask(customerId, request);
    }
    const forward = route.kind === 'worker'
      ? (): Promise<CustomerReply> => this.options.forwarder.forward(route.slot, customerId, withTraceparent(request))
      : (): Promise<CustomerReply> => this.options.nodes.forward(route.address, customerId, withTraceparent(request), timeoutMs);
    metrics.actorMessages.inc({ kind: request.type, route: route.kind === 'worker' ? 'forwarded' : 'node_forwarded' });
    if (activeTraceparent() === null) return forward();
    const target = route.kind === 'worker' ? { 'nodebill.actor.target_worker': route.slot } : { 'nodebill.actor.target_node': route.node };
    return inSpan('actor.forward', { kind: SpanKind.CLIENT, attributes: { 'nodebill.customer_id': customerId, ...target } }, forward);
  }
}

function noOwner(customerId: string): CustomerReply {
  return { ok: false, error: 'unavailable', message: `no node serves customer ${customerId} right now (its shard is moving between nodes); try again` };
}

/** `request` stamped with the active span's `traceparent` (commands only; unchanged when tracing is off). */
function withTraceparent(request: CustomerRequest): CustomerRequest {
  if (request.type !== 'command' && request.type !== 'account') return request;
  const traceparent = activeTraceparent();
  return traceparent === null ? request : { ...request, traceparent };
}

/** A command sent again after an ambiguous failure must look for the outcome of its first attempt. */
function mayBeRecorded(request: CustomerRequest): CustomerRequest {
  if (request.type === 'account') return request.mayBeRecorded ? request : { ...request, mayBeRecorded: true };
  if (request.type === 'command' && request.mayBeRecorded === false) return { ...request, mayBeRecorded: true };
  return request;
}
