/**
 * The node link (issue 15): how a node hands a customer's request to the node that owns the
 * customer's shard. Native gRPC on the nodes' own port (the one-port listener), one unary method
 * `/nodebill.cluster.NodeLink/Ask` whose messages are JSON (the same request and reply objects the
 * workers exchange over IPC), authenticated with the cluster secret (`[cluster] secret`) in the
 * `x-nodebill-cluster-secret` metadata. Not part of the RustBill contract.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { CustomerReply, CustomerRequest } from '../actors/messages.ts';
import { NODE_UNREACHABLE, type NodeForwarder } from '../actors/router.ts';

const ASK_PATH = '/nodebill.cluster.NodeLink/Ask';
const SECRET_HEADER = 'x-nodebill-cluster-secret';

/** The message a node sends: whose request, the request, and how long the owner may wait for a lease it is taking (ms). */
interface AskMessage {
  customerId: string;
  request: CustomerRequest;
  waitMs: number;
}

const toJson = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
function fromJson<T>(bytes: Buffer): T {
  return JSON.parse(bytes.toString('utf8')) as T;
}

const DEFINITION: grpc.ServiceDefinition = {
  ask: {
    path: ASK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: toJson,
    requestDeserialize: (bytes: Buffer) => fromJson<AskMessage>(bytes),
    responseSerialize: toJson,
    responseDeserialize: (bytes: Buffer) => fromJson<CustomerReply>(bytes),
  },
};

/** Constant-time comparison of two secrets (their SHA-256 digests, so lengths do not leak). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The server side, to add to the native gRPC server before it serves.
 * @param options.secret the cluster secret; '' refuses every call (Unauthenticated)
 * @param options.receive serves a request in this node (ShardRouter.receiveFromNode)
 */
export function nodeLinkService(options: {
  secret: string;
  receive: (customerId: string, request: CustomerRequest, waitMs: number) => Promise<CustomerReply>;
}): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const ask: grpc.handleUnaryCall<AskMessage, CustomerReply> = (call, callback) => {
    const given = call.metadata.get(SECRET_HEADER)[0];
    if (options.secret === '' || typeof given !== 'string' || !sameSecret(given, options.secret)) {
      callback({ code: grpc.status.UNAUTHENTICATED, details: options.secret === '' ? 'this node has no [cluster] secret; it accepts no forwarded requests' : 'wrong cluster secret' });
      return;
    }
    const message = call.request;
    if (typeof message?.customerId !== 'string' || typeof message.request !== 'object' || message.request === null) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: 'a forwarded request needs customerId and request' });
      return;
    }
    options.receive(message.customerId, message.request, Math.max(0, Math.min(Number(message.waitMs) || 0, 5_000))).then(
      (reply) => callback(null, reply),
      () => callback({ code: grpc.status.INTERNAL, details: 'the request could not be served' }),
    );
  };
  return { definition: DEFINITION, implementation: { ask: ask as grpc.UntypedHandleCall } };
}

/**
 * The client side: one channel per peer address, kept for the life of the worker.
 * A peer that cannot be reached (refused, reset, deadline) gives a reply with reason
 * {@link NODE_UNREACHABLE}, which the router answers by routing again once the leases moved.
 */
export class NodeLinkClient implements NodeForwarder {
  private readonly clients = new Map<string, grpc.Client>();
  private readonly secret: string;
  /** How long the owner may wait for a lease it is about to take, in ms. */
  private readonly ownerWaitMs: number;

  constructor(options: { secret: string; ownerWaitMs: number }) {
    this.secret = options.secret;
    this.ownerWaitMs = options.ownerWaitMs;
  }

  /** @see NodeForwarder.forward */
  forward(address: string, customerId: string, request: CustomerRequest, timeoutMs: number): Promise<CustomerReply> {
    if (this.secret === '') {
      return Promise.resolve({ ok: false, error: 'unavailable', message: 'the customer is served by another node, and this node has no [cluster] secret to forward with' });
    }
    const client = this.clientFor(address);
    const metadata = new grpc.Metadata();
    metadata.set(SECRET_HEADER, this.secret);
    const message: AskMessage = { customerId, request, waitMs: this.ownerWaitMs };
    return new Promise((resolve) => {
      client.makeUnaryRequest<AskMessage, CustomerReply>(ASK_PATH, toJson, (bytes) => fromJson<CustomerReply>(bytes), message, metadata,
        { deadline: Date.now() + Math.max(100, timeoutMs) }, (error, reply) => {
          if (!error && reply) return resolve(reply);
          if (error?.code === grpc.status.UNAUTHENTICATED) {
            return resolve({ ok: false, error: 'unavailable', message: `node ${address} refused this node's cluster secret; check [cluster] secret on every node` });
          }
          resolve({ ok: false, error: 'unavailable', message: `node ${address} could not be reached`, reason: NODE_UNREACHABLE });
        });
    });
  }

  /** Closes every channel. */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private clientFor(address: string): grpc.Client {
    let client = this.clients.get(address);
    if (!client) {
      client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.keepalive_time_ms': 10_000, 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 1_000 });
      this.clients.set(address, client);
    }
    return client;
  }
}
