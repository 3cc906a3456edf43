import { metrics } from '../metrics/metrics.ts';
import { activeTraceparent, inSpan, SpanKind } from '../telemetry/index.ts';
import type { ActorHost } from './actor-host.ts';
import type { CustomerReply, CustomerRequest } from './messages.ts';
import { shardOf } from './shards.ts';

/** Sends a request to the worker slot that owns a shard (cluster IPC through the primary). */
export interface ShardForwarder {
  forward(targetSlot: number, customerId: string, request: CustomerRequest): Promise<CustomerReply>;
}

/**
 * Routes a customer's messages to the one worker that owns the customer's shard: locally when that
 * is this worker, otherwise over IPC (ARCHITECTURE.md, The cluster).
 */
export class ShardRouter {
  private readonly options: { slot: number; shardMap: readonly number[]; host: ActorHost; forwarder: ShardForwarder };

  constructor(options: ShardRouter['options']) {
    this.options = options;
  }

  /** The slot owning `customerId`'s shard. */
  ownerOf(customerId: string): number {
    const owner = this.options.shardMap[shardOf(customerId, this.options.shardMap.length)];
    if (owner === undefined) throw new Error('shard map is empty');
    return owner;
  }

  /**
   * Asks the customer's actor wherever it lives. A command carries the active span's
   * `traceparent` (tracing on), so the actor's span continues the caller's trace in this worker or
   * in the one it is forwarded to (a CLIENT span `actor.forward` covers the IPC round trip).
   */
  async ask(customerId: string, request: CustomerRequest): Promise<CustomerReply> {
    const owner = this.ownerOf(customerId);
    const traced = withTraceparent(request);
    if (owner === this.options.slot) {
      metrics.actorMessages.inc({ kind: request.type, route: 'local' });
      return this.options.host.ask(customerId, traced);
    }
    metrics.actorMessages.inc({ kind: request.type, route: 'forwarded' });
    if (traced === request) return this.options.forwarder.forward(owner, customerId, request);
    return inSpan('actor.forward', { kind: SpanKind.CLIENT, attributes: { 'nodebill.customer_id': customerId, 'nodebill.actor.target_worker': owner } }, () =>
      this.options.forwarder.forward(owner, customerId, withTraceparent(request)));
  }

  /** Handles a request another worker forwarded here (this worker must own the shard). */
  async receive(customerId: string, request: CustomerRequest): Promise<CustomerReply> {
    metrics.actorMessages.inc({ kind: request.type, route: 'received' });
    if (this.ownerOf(customerId) !== this.options.slot) {
      return { ok: false, error: 'unavailable', message: `worker ${this.options.slot} does not own the shard of customer ${customerId}` };
    }
    return this.options.host.ask(customerId, request);
  }
}

/** `request` stamped with the active span's `traceparent` (commands only; unchanged when tracing is off). */
function withTraceparent(request: CustomerRequest): CustomerRequest {
  if (request.type !== 'command' && request.type !== 'account') return request;
  const traceparent = activeTraceparent();
  return traceparent === null ? request : { ...request, traceparent };
}
