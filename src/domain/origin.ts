import type { Caller } from './identity/principal.ts';

/**
 * Where a use case comes from, as the audit trail records it: the caller, its address and the
 * request id. A gRPC handler's CallContext is one; the CLI and background jobs build their own.
 */
export interface Origin {
  readonly caller: Caller;
  readonly clientAddress: string;
  readonly requestId: string;
}

/** The origin of work the system does by itself (schedulers, event handlers). */
export const SYSTEM_ORIGIN: Origin = { caller: { kind: 'anonymous' }, clientAddress: '', requestId: '' };
