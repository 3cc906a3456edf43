import type { DescMessage, DescMethod, DescMethodUnary, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { CallContext } from './context.ts';
import { Code, ConnectError } from './errors.ts';

/** A unary RPC implementation: the same function serves native gRPC and gRPC-Web. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  call: CallContext,
) => Promise<MessageInitShape<O>>;

/** Implementations of (some of) a service's RPCs, keyed by the method's local (lowerCamel) name. */
export type ServiceHandlers<S extends DescService> = {
  [K in keyof S['method']]?: S['method'][K] extends DescMethodUnary<infer I, infer O> ? UnaryHandler<I, O> : never;
};

/** Type-erased handler stored in the registry. */
export type ErasedHandler = (request: MessageShape<DescMessage>, call: CallContext) => Promise<MessageInitShape<DescMessage>>;

/** `rustbill.identity.IdentityService/Login` — the path without the leading slash. */
export function procedureOf(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/**
 * The RPC implementations of one process. Methods without an implementation answer
 * `UNIMPLEMENTED` naming the issue that will build them (never a fake success).
 */
export class HandlerRegistry {
  private readonly handlers = new Map<string, ErasedHandler>();
  private readonly pendingSubjects = new Map<string, string>();

  /** Registers handlers for a service's methods; registering a method twice throws. */
  register<S extends DescService>(service: S, handlers: ServiceHandlers<S>): this {
    for (const method of service.methods) {
      const handler = (handlers as Record<string, ErasedHandler | undefined>)[method.localName];
      if (!handler) continue;
      const key = procedureOf(method);
      if (this.handlers.has(key)) throw new Error(`handler for ${key} registered twice`);
      this.handlers.set(key, handler);
    }
    return this;
  }

  /** Declares what the not-yet-implemented methods of `service` are waiting for (shown in UNIMPLEMENTED). */
  pending(service: DescService, subject: string): this {
    this.pendingSubjects.set(service.typeName, subject);
    return this;
  }

  /** The handler for `method`, or one that throws UNIMPLEMENTED with the pending subject. */
  lookup(method: DescMethod): ErasedHandler {
    const handler = this.handlers.get(procedureOf(method));
    if (handler) return handler;
    const subject = this.pendingSubjects.get(method.parent.typeName) ?? 'a later issue';
    return async () => {
      throw new ConnectError(`${procedureOf(method)} is not implemented yet: it comes with ${subject}`, Code.Unimplemented);
    };
  }

  /** True when a real implementation is registered. */
  isImplemented(method: DescMethod): boolean {
    return this.handlers.has(procedureOf(method));
  }
}
