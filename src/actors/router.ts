import { metrics } from '../metrics/metrics.ts';
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

  /** Asks the customer's actor wherever it lives. */
  async ask(customerId: string, request: CustomerRequest): Promise<CustomerReply> {
    const owner = this.ownerOf(customerId);
    if (owner === this.options.slot) {
      metrics.actorMessages.inc({ kind: request.type, route: 'local' });
      return this.options.host.ask(customerId, request);
    }
    metrics.actorMessages.inc({ kind: request.type, route: 'forwarded' });
    return this.options.forwarder.forward(owner, customerId, request);
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
