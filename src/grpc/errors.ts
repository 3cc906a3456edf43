import { Code, ConnectError } from '@connectrpc/connect';
import { DomainError, type DomainErrorKind } from '../domain/errors.ts';
import { pluginFailure } from '../plugins/registry/errors.ts';
import { PluginError } from '../plugins/types.ts';

/**
 * Errors a handler throws to answer with a gRPC status. Messages are meant for the person calling:
 * say what is wrong and what to do. Anything that is not a ConnectError becomes `Internal` with a
 * generic message and the request id (no stack traces or SQL reach the caller).
 */
export { Code, ConnectError };

/** InvalidArgument (3): the request is malformed; nothing was changed. */
export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}
/** NotFound (5). */
export function notFound(message: string): ConnectError {
  return new ConnectError(message, Code.NotFound);
}
/** AlreadyExists (6). */
export function alreadyExists(message: string): ConnectError {
  return new ConnectError(message, Code.AlreadyExists);
}
/** PermissionDenied (7): authenticated, but not allowed. */
export function permissionDenied(message: string): ConnectError {
  return new ConnectError(message, Code.PermissionDenied);
}
/** Unauthenticated (16): no or invalid credentials. */
export function unauthenticated(message: string): ConnectError {
  return new ConnectError(message, Code.Unauthenticated);
}
/** FailedPrecondition (9): the request is valid but the current state does not allow it. */
export function failedPrecondition(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}
/** ResourceExhausted (8): rate limited; the message says when to retry. */
export function resourceExhausted(message: string): ConnectError {
  return new ConnectError(message, Code.ResourceExhausted);
}
/** Unavailable (14): a dependency is down or the server is draining; retrying later may succeed. */
export function unavailable(message: string): ConnectError {
  return new ConnectError(message, Code.Unavailable);
}

/** The gRPC status of each {@link DomainErrorKind}. */
const DOMAIN_CODES: Readonly<Record<DomainErrorKind, Code>> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

/** The ConnectError of a refused use case (its message, at most 1,000 characters). */
export function fromDomainError(error: DomainError): ConnectError {
  const message = error.message.length > 1000 ? `${error.message.slice(0, 1000)}…` : error.message;
  return new ConnectError(message, DOMAIN_CODES[error.kind]);
}

/**
 * Normalises anything thrown by a handler into a ConnectError safe to send to the caller: a
 * ConnectError as it is, a {@link DomainError} as the status of its kind, a failing plugin
 * ({@link PluginError}) as the DomainError {@link pluginFailure} makes of it.
 * Returns `{ error, internal }`, where `internal` is true when the original error was unexpected
 * (and must be logged with its stack by the caller of this function).
 */
export function toPublicError(thrown: unknown, requestId: string): { error: ConnectError; internal: boolean } {
  if (thrown instanceof DomainError) return { error: fromDomainError(thrown), internal: false };
  if (thrown instanceof PluginError) return { error: fromDomainError(pluginFailure(thrown)), internal: false };
  if (thrown instanceof ConnectError) {
    if (thrown.code === Code.Internal || thrown.code === Code.Unknown) {
      return { error: new ConnectError(`internal error (request id ${requestId})`, Code.Internal), internal: true };
    }
    return { error: thrown, internal: false };
  }
  return { error: new ConnectError(`internal error (request id ${requestId})`, Code.Internal), internal: true };
}
